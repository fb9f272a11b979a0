"""Build every data package from its recipe: ``datapackages/<slug>/recipe.yaml`` in,
``datapackage.json``, ``data/<resource>.csv`` and ``data/<package>.xlsx`` (every table in one
workbook, see ``spreadsheet``) out. They are generated, never edited.

The output is a pure function of the recipes, the Table Schemas and the vendored reports:
no timestamps, stable ordering, so a fresh build is byte-identical to the committed one
and ``build --check`` can fail CI when they drift.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from publisher.settings import ROOT, schema_file
from publisher.extract.recipes import RecipeError, extract_resource, to_csv_value
from publisher.gate.documents import DocumentError, Lines, load_yaml
from publisher.gate.paths import slug_refusal, write_refusal
from publisher.reports.registry import Registry, load_registry
from publisher.spreadsheet import workbook

PACKAGES_DIR = ROOT / "datapackages"
RECIPE = "recipe.yaml"
BOM = "\ufeff"  # Excel needs it to read Thai UTF-8; frictionless and pandas skip it
PACKAGE_KEYS = {"charts", "name", "title", "title_en", "description", "description_en", "keywords", "groups",
                "organization", "license", "gdc", "resources"}
REQUIRED_TEXT = ("title", "title_en", "description", "description_en", "organization")
RESOURCE_KEYS = {"name", "title", "title_en", "description", "description_en", "schema", "report", "rows", "table"}


@dataclass
class Built:
    name: str
    files: dict[str, bytes] = field(default_factory=dict)  # path inside the package -> content
    rows: dict[str, int] = field(default_factory=dict)     # resource -> row count


# the type each key of a recipe must have (a hostile recipe's surprises are errors, not tracebacks)
PACKAGE_TYPES = {"name": str, "title": str, "title_en": str, "description": str, "description_en": str,
                 "keywords": list, "groups": list, "organization": str, "license": str, "gdc": dict,
                 "resources": list}
RESOURCE_TYPES = {"name": str, "title": str, "title_en": str, "description": str, "description_en": str,
                  "schema": str, "report": str, "rows": list, "table": dict}


def _type_errors(mapping: dict, types: dict, lines: Lines, path: Path, *where) -> None:
    for key, kind in types.items():
        if key in mapping and not isinstance(mapping[key], kind):
            raise RecipeError(f"{path}:{lines.of(*where, key)}: [recipe-type] {key} must be a {kind.__name__}, "
                              f"not {type(mapping[key]).__name__}")


def load_recipe(path: Path) -> dict:
    """A recipe, read through the gate (bounded size, depth and alias expansion), its keys and
    their types checked, and its resource and schema names checked as slugs before any file
    name is made of them."""
    try:
        recipe, lines = load_yaml(path)
    except DocumentError as exc:
        raise RecipeError(str(exc)) from None
    if not isinstance(recipe, dict):
        raise RecipeError(f"{path}: a recipe is a mapping")
    unknown = set(recipe) - PACKAGE_KEYS
    if unknown:
        raise RecipeError(f"{path}: [recipe-key] unknown keys {sorted(unknown)}")
    _type_errors(recipe, PACKAGE_TYPES, lines, path)
    refused = slug_refusal(recipe.get("name"), "name")
    if refused:
        raise RecipeError(f"{path}:{lines.of('name')}: [{refused.rule}] name: {refused.message}")
    if recipe.get("name") != path.parent.name:
        raise RecipeError(f"{path}: [recipe-name] name {recipe.get('name')!r} must equal the folder name "
                          f"{path.parent.name!r}")
    missing = [key for key in REQUIRED_TEXT if not isinstance(recipe.get(key), str) or not recipe[key].strip()]
    if missing:
        raise RecipeError(f"{path}: [recipe-required] {', '.join(missing)} missing or not text; "
                          f"a recipe gives {', '.join(REQUIRED_TEXT)} and keywords")
    keywords = recipe.get("keywords")
    if not isinstance(keywords, list) or not keywords or not all(isinstance(k, str) for k in keywords):
        raise RecipeError(f"{path}: [recipe-required] keywords must be a non-empty list of words")
    for index, resource in enumerate(recipe.get("resources", [])):
        if not isinstance(resource, dict):
            raise RecipeError(f"{path}:{lines.of('resources', index)}: [recipe-type] a resource is a mapping")
        unknown = set(resource) - RESOURCE_KEYS
        if unknown:
            raise RecipeError(f"{path}: resource {resource.get('name')!r}: [recipe-key] unknown keys {sorted(unknown)}")
        _type_errors(resource, RESOURCE_TYPES, lines, path, "resources", index)
        for key in ("name", "schema"):
            refused = slug_refusal(resource.get(key), key) if key in resource or key == "name" else None
            if refused:
                raise RecipeError(f"{path}:{lines.of('resources', index, key)}: [{refused.rule}] resource "
                                  f"{key}: {refused.message}")
    return recipe


def _gdc_metadata(recipe: dict, agency: dict) -> tuple[dict, list[dict]]:
    """The defaults, then the agency's public contact (when the registry records one), then the recipe."""
    defaults = json.loads(schema_file("gdc/defaults.json").read_text(encoding="utf-8"))
    licences = json.loads(schema_file("gdc/licences.json").read_text(encoding="utf-8"))["licences"]
    spdx = recipe.get("license", defaults["license"])
    contact = agency.get("contact") or {}
    agency_contact = {"maintainer": agency["title_th"], "maintainer_email": contact["email"]} if contact.get("email") else {}
    gdc = {**defaults["gdc"], **agency_contact, **(recipe.get("gdc") or {})}
    if spdx in licences:
        mapped = licences[spdx]
        gdc["license_id"] = mapped["license_id"]
        licenses = [{"name": spdx, "title": mapped["title"], "path": mapped["path"]}]
    else:
        gdc["license_id"], gdc["license_id_other"] = "อื่นๆ", spdx
        licenses = [{"name": spdx}]
    return gdc, licenses


def render_csv(schema: dict, rows: list[dict]) -> bytes:
    names = [f["name"] for f in schema["fields"]]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([to_csv_value(row.get(name)) for name in names])
    return (BOM + buffer.getvalue()).encode("utf-8")


def build_package(recipe_path: Path, registry: Registry) -> Built:
    recipe = load_recipe(recipe_path)
    built = Built(name=recipe["name"])
    organization = registry.agency(recipe["organization"])
    gdc, licenses = _gdc_metadata(recipe, organization)
    source_ids: list[str] = []
    resources = []
    for spec in recipe.get("resources", []):
        try:
            schema, rows = extract_resource(spec, registry, recipe_path)
        except (TypeError, AttributeError, KeyError) as exc:
            raise RecipeError(f"{recipe_path}: resource {spec['name']!r}: [recipe-type] a value of an "
                              f"unexpected type ({type(exc).__name__}: {exc})") from None
        data = render_csv(schema, rows)
        path = f"data/{spec['name']}.csv"
        built.files[path] = data
        built.rows[spec["name"]] = len(rows)
        for row in rows:
            if row["source_report"] not in source_ids:
                source_ids.append(row["source_report"])
        resource = {
            "name": spec["name"],
            "path": path,
            "type": "table",
            "scheme": "file",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "dialect": {"delimiter": ",", "quoteChar": "\"", "header": True},
            "title": spec.get("title", spec["name"]),
            "title_en": spec.get("title_en", ""),
            "description": spec.get("description", "").strip(),
            "description_en": spec.get("description_en", "").strip(),
            "bytes": len(data),
            "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
            "schema": schema,
        }
        resources.append({k: v for k, v in resource.items() if v != ""})
    sources = []
    for report_id in sorted(source_ids):
        report = registry.report(report_id)
        sources.append({"title": report.title_th, "title_en": report.title_en, "report": report.id,
                        "path": f"reports/{report.meta['file']}", "sha256": report.sha256,
                        "date": report.meta.get("date_ce")})
    descriptor = {
        "name": recipe["name"],
        "title": recipe["title"],
        "title_en": recipe["title_en"],
        "description": recipe["description"].strip(),
        "description_en": recipe["description_en"].strip(),
        "keywords": recipe["keywords"],
        **({"groups": recipe["groups"]} if recipe.get("groups") else {}),
        "licenses": licenses,
        "organization": {"name": organization["id"], "title": organization["title_th"],
                         "title_en": organization["title_en"]},
        "sources": sources,
        "gdc": gdc,
        "resources": resources,
    }
    built.files["datapackage.json"] = (json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    if resources:
        tables = {r["name"]: built.files[r["path"]] for r in resources}
        built.files[workbook_path(recipe["name"])] = workbook(descriptor, tables)
    return built


def workbook_path(package_name: str) -> str:
    """Where a package's XLSX lives inside its folder; sync uploads it beside the CSVs."""
    return f"data/{package_name}.xlsx"


def recipes(directory: Path = PACKAGES_DIR) -> list[Path]:
    return sorted(directory.glob(f"*/{RECIPE}"))


def build_all(directory: Path = PACKAGES_DIR, registry: Registry | None = None, names: list[str] | None = None,
              progress: Callable[[str], None] = lambda _: None) -> list[Built]:
    registry = registry or load_registry()
    paths = recipes(directory)
    if names:
        unknown = set(names) - {p.parent.name for p in paths}
        if unknown:
            raise RecipeError(f"no recipe for {sorted(unknown)} under {directory}")
        paths = [p for p in paths if p.parent.name in names]
    built = []
    for path in paths:
        progress(path.parent.name)
        built.append(build_package(path, registry))
    return built


def generated_files(package_dir: Path) -> set[str]:
    """What a build owns in a package folder: datapackage.json, data/*.csv and data/*.xlsx."""
    files = {"datapackage.json"} if (package_dir / "datapackage.json").exists() else set()
    for pattern in ("*.csv", "*.xlsx"):
        files |= {f"data/{p.name}" for p in (package_dir / "data").glob(pattern)}
    return files


def write(built: list[Built], directory: Path = PACKAGES_DIR) -> None:
    """Write each package's files inside its folder; a file that is a symlink or leads outside
    the folder is refused before anything of the package is written."""
    for package in built:
        target = directory / package.name
        for relative in package.files:
            refused = slug_refusal(package.name, "name") or write_refusal(target, relative)
            if refused:
                raise RecipeError(f"{target / relative}: [{refused.rule}] {refused.message}; not written")
        for stale in generated_files(target) - set(package.files):
            (target / stale).unlink()
        for relative, content in package.files.items():
            path = target / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_bytes() != content:
                path.write_bytes(content)


def differences(built: list[Built], directory: Path = PACKAGES_DIR) -> list[str]:
    """Files whose committed content differs from a fresh build (for ``build --check``)."""
    problems = []
    for package in built:
        target = directory / package.name
        for relative, content in sorted(package.files.items()):
            path = target / relative
            if not path.exists():
                problems.append(f"{path}: missing (run publisher build)")
            elif path.read_bytes() != content:
                problems.append(f"{path}: differs from a fresh build (edited by hand, or stale)")
        for stale in sorted(generated_files(target) - set(package.files)):
            problems.append(f"{target / stale}: no recipe produces it")
    return problems
