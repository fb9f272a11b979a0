"""The source reports on the portal: one reports dataset per agency, each report of
reports/registry.json a resource of it with a line-numbered text view.

A published row cites ``source_report`` and ``source_line``; the portal's ``/report/<id>#L<line>``
finds the resource whose ``report_id`` is that id and opens its text at that line. So the
reports are published like any package (the same GD-Catalog checks, uploads by sha256, views
kept by digest), only their descriptor is made here, from the registry and
schemas/ckan/reports_dataset.json, instead of by a recipe.
"""

from __future__ import annotations

import json
from pathlib import Path

from publisher.settings import schema_file
from publisher.catalog.map import (RESOURCE_KEY, SHA256_URI, LocalDataset, LocalResource, MappingError,
                                   dataset_fields)
from publisher.catalog.views import report_view
from publisher.reports.registry import REPORTS_DIR, Registry, load_registry
from publisher.validate.findings import Finding
from publisher.validate.metadata import metadata_findings

TEMPLATE_FILE = schema_file("ckan/reports_dataset.json")
GDC_DEFAULTS_FILE = schema_file("gdc/defaults.json")
LICENCES_FILE = schema_file("gdc/licences.json")
REPORT_ID_KEY = "report_id"          # resource field the portal's /report/<id> looks up
MEDIA = {".txt": ("TXT", "text/plain"), ".tsv": ("TSV", "text/tab-separated-values")}


def _template() -> dict:
    return json.loads(TEMPLATE_FILE.read_text(encoding="utf-8"))


def _fill(value, values: dict):
    if isinstance(value, str):
        return value.format(**values)
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    return value


def reports_by_agency(registry: Registry, template: dict) -> dict[str, list]:
    out: dict[str, list] = {}
    for report in registry.reports.values():
        out.setdefault(report.agency or template["code_lists_agency"], []).append(report)
    return out


def descriptor(agency_id: str, reports: list, registry: Registry, template: dict | None = None) -> dict:
    """The reports dataset of one agency as a data-package descriptor, so that it goes through
    the GD-Catalog checks every package goes through."""
    template = template or _template()
    agency = registry.agency(agency_id)
    values = {"agency": agency_id, "agency_th": agency["title_th"], "agency_en": agency["title_en"],
              "abbreviation_th": agency.get("abbreviation_th") or agency["title_th"]}
    defaults = json.loads(GDC_DEFAULTS_FILE.read_text(encoding="utf-8"))
    licence = json.loads(LICENCES_FILE.read_text(encoding="utf-8"))["licences"][defaults["license"]]
    contact = agency.get("contact") or {}
    agency_contact = {"maintainer": agency["title_th"], "maintainer_email": contact["email"]} if contact.get("email") else {}
    gdc = {**defaults["gdc"], **agency_contact, **_fill(template["gdc"], values), "license_id": licence["license_id"]}
    resources = []
    for report in sorted(reports, key=lambda r: r.id):
        meta = {**report.meta, "title_th": report.title_th, "title_en": report.title_en, "id": report.id}
        fmt, media = MEDIA.get(report.path.suffix, ("TXT", "text/plain"))
        resources.append({"name": f"report-{report.id}", "report": report.id, "path": str(report.path),
                          "title": _fill(template["resource"]["name"], meta),
                          "description": _fill(template["resource"]["description"], meta),
                          "format": fmt, "mediatype": media, "hash": f"sha256:{report.sha256}",
                          "bytes": report.path.stat().st_size})
    return {**{k: _fill(template[k], values) for k in ("name", "title", "title_en", "description",
                                                       "description_en", "keywords", "groups")},
            "organization": {"name": agency_id, "title": agency["title_th"], "title_en": agency["title_en"]},
            "licenses": [{"name": defaults["license"], "title": licence["title"], "path": licence["path"]}],
            "gdc": gdc, "resources": resources}


def local_dataset(desc: dict, known_groups: dict, catalog: str) -> LocalDataset:
    fields = dataset_fields(desc, known_groups, catalog)
    resources = []
    for resource in desc["resources"]:
        path = Path(resource["path"])
        resources.append(LocalResource(
            key=resource["name"], path=path, sha256=resource["hash"].removeprefix("sha256:"),
            fields={RESOURCE_KEY: resource["name"], REPORT_ID_KEY: resource["report"], "name": resource["title"],
                    "description": resource["description"], "format": resource["format"],
                    "mimetype": resource["mediatype"], "hash": resource["hash"].removeprefix("sha256:"),
                    "hash_algorithm": SHA256_URI, "size": resource["bytes"]},
            views=(report_view(),)))
    # no folder of its own: the name under reports/ only keeps it apart from the other datasets
    return LocalDataset(name=desc["name"], directory=REPORTS_DIR / desc["name"], fields=fields, resources=resources)


def reports_datasets(known_groups: dict, catalog: str, registry: Registry | None = None,
                     agencies: set[str] | None = None) -> tuple[list[LocalDataset], list[Finding]]:
    """The reports dataset of each agency (of ``agencies`` only, when given), and the GD-Catalog
    findings of their descriptors; a dataset with an error is left out."""
    registry = registry or load_registry()
    template = _template()
    datasets, findings = [], []
    for agency_id, reports in sorted(reports_by_agency(registry, template).items()):
        if agencies is not None and agency_id not in agencies:
            continue
        desc = descriptor(agency_id, reports, registry, template)
        found = metadata_findings(desc, desc["name"], TEMPLATE_FILE.name, registry)
        findings += found
        if any(f.severity == "error" for f in found):
            continue
        try:
            datasets.append(local_dataset(desc, known_groups, catalog))
        except MappingError as exc:
            raise MappingError(f"{TEMPLATE_FILE}: {exc}") from None
    return datasets, findings
