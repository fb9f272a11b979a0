"""What a central catalog took of the portal: each public dataset the portal lets it harvest
(allow_harvest "True") compared, field by field, with what the central site holds.

The fields are the GD-Catalog dataset schema's (schemas/ckan/gdc_dataset.json), plus the
organization and tags by name and each resource's schema fields; ids, timestamps and what a
portal computes itself (revision, metadata dates, resource ids) are not compared.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from publisher.catalog.client import Client
from publisher.settings import SHIPPED

# what the CKAN-to-CKAN harvester and the DCAT harvester may legitimately change: ids, and the
# organization id (compared by name instead)
NOT_COMPARED = {"owner_org", "tag_string"}


def _schema() -> dict:
    return json.loads((SHIPPED / "schemas" / "ckan" / "gdc_dataset.json").read_text(encoding="utf-8"))


@dataclass
class DatasetCheck:
    """One dataset: where it is, and each field that differs (source value, central value)."""

    name: str
    on_source: bool
    on_central: bool
    expected: bool  # public and allow_harvest "True" on the source
    differences: dict[str, tuple[object, object]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.on_central == self.expected and not self.differences

    def as_dict(self) -> dict:
        return {"name": self.name, "on_source": self.on_source, "on_central": self.on_central,
                "expected": self.expected, "ok": self.ok,
                "differences": {k: {"source": a, "central": b} for k, (a, b) in self.differences.items()}}


def _value(value: object) -> object:
    """No value is no value, however a site stores it (missing, null, "" or [])."""
    return None if value in ("", [], {}) else value


def comparable(dataset: dict, schema: dict | None = None, ordered: bool = True) -> dict:
    """The fields of a dataset the harvest must carry, flattened to 'field' and 'resources[i].field'.
    Not ordered: the resources are taken in the order of their URLs (DCAT, being RDF, has no order)."""
    schema = schema or _schema()
    flat = {f["field_name"]: _value(dataset.get(f["field_name"])) for f in schema["dataset_fields"]
            if f["field_name"] not in NOT_COMPARED}
    flat["organization"] = (dataset.get("organization") or {}).get("name")
    flat["organization title"] = (dataset.get("organization") or {}).get("title")
    flat["tags"] = sorted(tag["name"] for tag in dataset.get("tags") or [])
    resources = dataset.get("resources") or []
    if not ordered:
        resources = sorted(resources, key=lambda resource: resource.get("url") or "")
    flat["resources"] = len(resources)
    for index, resource in enumerate(resources):
        for spec in schema["resource_fields"]:
            flat[f"resources[{index}].{spec['field_name']}"] = _value(resource.get(spec["field_name"]))
    return flat


def differences(source: dict, central: dict, schema: dict | None = None,
                ordered: bool = True) -> dict[str, tuple[object, object]]:
    a, b = comparable(source, schema, ordered), comparable(central, schema, ordered)
    return {key: (a.get(key), b.get(key)) for key in sorted(set(a) | set(b)) if a.get(key) != b.get(key)}


def harvestable(dataset: dict) -> bool:
    return not dataset.get("private") and dataset.get("allow_harvest") == "True"


def all_datasets(client: Client) -> dict[str, dict]:
    """Every active dataset of a portal by name, full records, 1,000 a page."""
    found, start = {}, 0
    while True:
        page = client.action.package_search(q="*:*", rows=1000, start=start, include_private=True,
                                            fq="dataset_type:dataset")
        for dataset in page["results"]:
            found[dataset["name"]] = dataset
        start += len(page["results"])
        if not page["results"] or start >= page["count"]:
            return found


def check(source: Client, central: Client, ordered: bool = True) -> list[DatasetCheck]:
    """Each dataset of either site: expected on the central site or not, and what differs
    (``ordered``: whether the harvest keeps the order of resources)."""
    schema = _schema()
    ours, theirs = all_datasets(source), all_datasets(central)
    checks = []
    for name in sorted(set(ours) | set(theirs)):
        mine, their = ours.get(name), theirs.get(name)
        item = DatasetCheck(name, mine is not None, their is not None, bool(mine and harvestable(mine)))
        if mine and their:
            item.differences = differences(mine, their, schema, ordered)
        checks.append(item)
    return checks
