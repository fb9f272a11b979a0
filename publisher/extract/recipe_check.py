"""What a recipe says about its package, checked before anything is built: keys the format
knows, GD-Catalog keys and their exact Thai vocabulary strings, a licence the portal maps,
and a Thai title on every resource and field. Each problem is at its recipe line, with a fix."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from publisher.settings import schema_file, shipped_schema
from publisher.extract.problems import Problem, RecipeText, did_you_mean

CKAN_SCHEMA_FILE = shipped_schema("ckan/gdc_dataset.json")
THAI = re.compile("[\u0e01-\u0e5b]")
# portal fields a recipe gives outside its gdc: block (or that the build writes)
NOT_IN_GDC = {"title", "name", "owner_org", "tag_string", "notes", "url"}


@lru_cache(maxsize=1)
def vocabularies() -> dict[str, tuple[bool, list[str]]]:
    """thai_gdc field -> (multi-valued?, allowed values) from the portal's own schema."""
    schema = json.loads(CKAN_SCHEMA_FILE.read_text(encoding="utf-8"))
    return {f["field_name"]: (f.get("preset") == "multiple_select", [c["value"] for c in f["choices"]])
            for f in schema["dataset_fields"] if f.get("choices")}


@lru_cache(maxsize=1)
def gdc_keys() -> tuple[str, ...]:
    """The GD-Catalog fields a gdc: block may set."""
    schema = json.loads(CKAN_SCHEMA_FILE.read_text(encoding="utf-8"))
    return tuple(f["field_name"] for f in schema["dataset_fields"] if f["field_name"] not in NOT_IN_GDC)


def licences() -> dict[str, dict]:
    return json.loads(schema_file("gdc/licences.json").read_text(encoding="utf-8"))["licences"]


def unknown_keys(keys: object, known: set[str] | tuple[str, ...], file: str, where: str,
                 line_of) -> list[Problem]:
    """recipe.unknown-key for each key the format does not know, with the closest known key."""
    if not isinstance(keys, dict):
        return []
    return [Problem("recipe.unknown-key", file, f"{where}: unknown key {key!r}", line_of(key),
                    did_you_mean(key, known) or f"known keys: {', '.join(sorted(known))}")
            for key in keys if key not in known]


def gdc_problems(gdc: object, file: str, text: RecipeText) -> list[Problem]:
    if gdc is None:
        return []
    block = text.top("gdc")
    line_of = lambda key: text.key(key, block or 1, text.block_end(block) if block else None) or block  # noqa: E731
    if not isinstance(gdc, dict):
        return [Problem("recipe.unknown-key", file, "gdc: must be a mapping of GD-Catalog fields", block)]
    problems = unknown_keys(gdc, gdc_keys(), file, "gdc", line_of)
    for name, value in gdc.items():
        if name not in vocabularies():
            continue
        allowed = vocabularies()[name][1]
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item not in allowed:
                problems.append(Problem("recipe.vocabulary", file, f"gdc.{name}: {item!r} is not one of the "
                                        f"portal's values", line_of(name),
                                        did_you_mean(item, allowed) or f"allowed: {', '.join(allowed)}"))
    return problems


def license_problems(recipe: dict, file: str, text: RecipeText) -> list[Problem]:
    known = licences()
    spdx = recipe.get("license")
    if spdx is None or spdx in known:
        return []
    return [Problem("recipe.license", file, f"licence {spdx!r} is not in schemas/gdc/licences.json (the portal "
                    "would show it only as อื่นๆ)", text.top("license"),
                    (did_you_mean(spdx, list(known)) or f"known: {', '.join(known)}")
                    + "; or add it to schemas/gdc/licences.json")]


def title_problems(resource: dict, schema: dict | None, file: str, text: RecipeText) -> list[Problem]:
    """A resource, and every field of its Table Schema, has a Thai title (warnings: the package is
    built, and validate --strict refuses it)."""
    name = resource.get("name", "?")
    problems = []
    if not THAI.search(str(resource.get("title") or "")):
        problems.append(Problem("recipe.title-th", file, f"resource {name!r} has no Thai title",
                                text.in_resource(name, "title"), "add title: in Thai (title_en: in English)",
                                "warning"))
    for field in (schema or {}).get("fields", []):
        if not THAI.search(str(field.get("title") or "")):
            problems.append(Problem("recipe.title-th", file, f"resource {name!r}: field {field.get('name')!r} of "
                                    f"Table Schema {resource.get('schema')!r} has no Thai title",
                                    text.in_resource(name, "schema"),
                                    f"add \"title\" in Thai to the field in schemas/tables/{resource.get('schema')}.json",
                                    "warning"))
    return problems


def recipe_problems(recipe: dict, path: Path, package_keys: set[str], resource_keys: set[str]) -> list[Problem]:
    """Every problem of a recipe's own keys and metadata (not of its rows), each at its line."""
    file, text = str(path), RecipeText.read(path)
    problems = unknown_keys(recipe, package_keys, file, "recipe", text.top)
    for resource in recipe.get("resources") or []:
        if isinstance(resource, dict):
            name = resource.get("name", "?")
            problems += unknown_keys(resource, resource_keys, file, f"resource {name!r}",
                                     lambda key, name=name: text.in_resource(name, key))
    problems += gdc_problems(recipe.get("gdc"), file, text)
    problems += license_problems(recipe, file, text)
    return problems
