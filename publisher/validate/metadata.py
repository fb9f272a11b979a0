"""GD-Catalog metadata: the JSON Schema profile schemas/gdc/profile.json, the vocabularies
of the portal's own schema (schemas/ckan/gdc_dataset.json), and the rules that need code:
อื่นๆ needs its *_other, BE years in order, licence mapping, a known organization, NFC."""

from __future__ import annotations

import json
from functools import lru_cache

import jsonschema

from publisher.settings import schema_file, shipped_schema
from publisher.reports.registry import Registry
from publisher.validate.findings import Finding, canonical, rules

PROFILE_FILE = shipped_schema("gdc/profile.json")
CKAN_SCHEMA_FILE = shipped_schema("ckan/gdc_dataset.json")
LICENCES_FILE = schema_file("gdc/licences.json")
OTHER_VALUES = ("อื่นๆ", "ข้อมูลประเภทอื่นๆ")
# a missing element whose own rule is more precise than "mandatory element missing"
MISSING_RULES = {"title": "gdc.title", "title_en": "gdc.title", "description": "gdc.title",
                 "description_en": "gdc.title"}


@lru_cache(maxsize=1)
def vocabularies() -> dict[str, tuple[bool, list[str]]]:
    """thai_gdc field -> (multi-valued?, allowed values) from the portal's own schema."""
    schema = json.loads(CKAN_SCHEMA_FILE.read_text(encoding="utf-8"))
    return {f["field_name"]: (f.get("preset") == "multiple_select", [c["value"] for c in f["choices"]])
            for f in schema["dataset_fields"] if f.get("choices")}


@lru_cache(maxsize=1)
def profile_validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(PROFILE_FILE.read_text(encoding="utf-8")))


def _rule_of(error: jsonschema.ValidationError) -> str:
    """The deepest x-rule on the schema path of the failing keyword."""
    node, rule = profile_validator().schema, "package.profile"
    for step in [None, *error.absolute_schema_path]:
        if step is not None:
            try:
                node = node[step]
            except (KeyError, IndexError, TypeError):
                break
        if isinstance(node, dict) and "$ref" in node and node["$ref"].startswith("#/$defs/"):
            node = profile_validator().schema["$defs"][node["$ref"].split("/")[-1]]
        if isinstance(node, dict) and "x-rule" in node:
            rule = node["x-rule"]
    return rule


def metadata_findings(descriptor: dict, package: str, file: str, registry: Registry) -> list[Finding]:
    found = []
    gdc = descriptor.get("gdc") or {}
    category_known = gdc.get("data_category") in vocabularies().get("data_category", (False, []))[1]
    for error in sorted(profile_validator().iter_errors(descriptor), key=lambda e: list(e.path)):
        where = ".".join(str(p) for p in error.path) or None
        rule = _rule_of(error)
        if error.validator == "required" and isinstance(error.instance, dict):
            missing = [p for p in error.validator_value if p not in error.instance and repr(p) in error.message]
            if missing:
                rule = MISSING_RULES.get(missing[0], rule) if not where else rule
                where = f"{where}.{missing[0]}" if where else missing[0]
        message = f"{where or 'descriptor'}: {error.message}"
        if rule == "gdc.harvest":
            if not category_known:
                continue  # a misspelt data_category: the vocabulary finding says it
            where = "gdc.allow_harvest"
            message = f"allow_harvest is True but data_category is {gdc.get('data_category')!r}"
        found.append(Finding(rule, package, file, message, field=where))
    for name, value in gdc.items():
        if name not in vocabularies():
            continue
        multi, allowed = vocabularies()[name]
        values = value if isinstance(value, list) else [value]
        if multi != isinstance(value, list):
            found.append(Finding("gdc.type", package, file,
                                 f"gdc.{name} must be {'a list' if multi else 'a single value'}", field=f"gdc.{name}"))
        for item in values:
            if not isinstance(item, str):
                found.append(Finding("gdc.type", package, file, f"gdc.{name}: {item!r} is not text", field=f"gdc.{name}"))
            elif item in allowed:
                if item in OTHER_VALUES and not str(gdc.get(f"{name}_other", "")).strip():
                    found.append(Finding("gdc.other", package, file, f"gdc.{name} is {item} but gdc.{name}_other is empty",
                                         field=f"gdc.{name}_other"))
            elif canonical(item) in allowed:
                found.append(Finding("gdc.nfc", package, file, f"gdc.{name}: {item!r} is not NFC "
                                     f"(should be {canonical(item)!r})", field=f"gdc.{name}"))
            else:
                found.append(Finding("gdc.vocabulary", package, file,
                                     f"gdc.{name}: {item!r} is not one of {allowed}", field=f"gdc.{name}"))
    first, last = gdc.get("first_year_of_data"), gdc.get("last_year_of_data")
    if isinstance(first, str) and isinstance(last, str) and first.isdigit() and last.isdigit() and first > last:
        found.append(Finding("gdc.statistics", package, file, f"first_year_of_data {first} is after last_year_of_data {last}",
                             field="gdc.first_year_of_data"))
    licences = json.loads(LICENCES_FILE.read_text(encoding="utf-8"))["licences"]
    spdx = ((descriptor.get("licenses") or [{}])[0] or {}).get("name")
    if spdx and spdx in licences and gdc.get("license_id") != licences[spdx]["license_id"]:
        found.append(Finding("gdc.license", package, file,
                             f"licence {spdx} maps to {licences[spdx]['license_id']!r}, not {gdc.get('license_id')!r}",
                             field="gdc.license_id"))
    if spdx and spdx not in licences and gdc.get("license_id") != "อื่นๆ":
        found.append(Finding("gdc.license", package, file, f"licence {spdx} has no GD-Catalog equivalent; "
                             "set license_id อื่นๆ and license_id_other", field="licenses"))
    found += contact_findings(gdc, package, file)
    organization = (descriptor.get("organization") or {}).get("name")
    if organization and organization not in registry.agencies:
        found.append(Finding("gdc.organization", package, file, f"organization {organization!r} is not in the registry",
                             field="organization"))
    for text_field in ("title", "description"):
        value = descriptor.get(text_field)
        if isinstance(value, str) and canonical(value) != value:
            found.append(Finding("gdc.nfc", package, file, f"{text_field} is not NFC, or has a decomposed sara am",
                                 field=text_field))
    keywords = descriptor.get("keywords")
    for index, value in enumerate(keywords if isinstance(keywords, list) else []):
        if isinstance(value, str) and canonical(value) != value:   # a tag the search would not find
            found.append(Finding("gdc.nfc", package, file, f"keyword {index + 1} is not NFC, or has a decomposed "
                                 "sara am", field=f"keywords[{index}]"))
    return found


def reserved_domain(email: str) -> bool:
    """An address on a name reserved by RFC 2606/6761 (example.com, *.invalid, …): never delivered."""
    domain = email.rpartition("@")[2].lower().rstrip(".")
    return any(domain == name or domain.endswith("." + name) for name in rules()["gdc.contact"]["reserved_domains"])


def contact_findings(gdc: dict, package: str, file: str) -> list[Finding]:
    """A published dataset's contact is copied by every harvester: it must be deliverable."""
    email = gdc.get("maintainer_email")
    if gdc.get("data_category") != "ข้อมูลสาธารณะ" or not isinstance(email, str) or not reserved_domain(email):
        return []
    return [Finding("gdc.contact", package, file, f"gdc.maintainer_email {email!r} is on a reserved domain",
                    field="gdc.maintainer_email")]
