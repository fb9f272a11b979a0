"""A data package as the portal should hold it: thai_gdc dataset fields at the top level,
resources keyed by their Frictionless name, organizations and groups.

Pure: nothing here talks to a server. ``wanted`` says what we send, ``observed`` projects a
``package_show`` dict onto the same keys, so that "unchanged" means the two are equal and a
second sync writes nothing.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from publisher.catalog.views import ChartError, chart_views
from publisher.packages import workbook_path
from publisher.settings import ROOT, schema_file, shipped_schema
from publisher.spreadsheet import MEDIA_TYPE as XLSX_MEDIA_TYPE
from publisher.gate.documents import DocumentError, load_json
from publisher.gate.paths import PathRefused, descriptor_refusals, safe_file

MARKER_KEY = "managed_by"
MARKER = "thai-opendata-publisher"     # the default catalog: one repository's datasets on a portal
RESOURCE_KEY = "frictionless_name"     # a resource's identity on the portal (a resource extra)
DATASTORE_HASH = "datastore_hash"      # sha256 of the CSV last loaded into the DataStore
FINGERPRINT_KEY = "publisher_fingerprint"  # of the dataset fields last written (see plan.fingerprint)
DATAPACKAGE = "datapackage.json"       # the package descriptor, published as a resource of its own
DATAPACKAGE_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
SHA256_URI = "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"
PUBLIC = "ข้อมูลสาธารณะ"

GROUPS_FILE = schema_file("ckan/groups.json")
DATASET_SCHEMA_FILE = shipped_schema("ckan/gdc_dataset.json")
REGISTRY_FILE = ROOT / "reports" / "registry.json"


class MappingError(ValueError):
    """A package that cannot become a portal dataset; the message names the file and key."""


@dataclass(frozen=True)
class LocalResource:
    """What planning needs of a resource. The Table Schema is read again from the descriptor
    when a table is loaded, so a sync of many packages does not hold every schema at once."""

    key: str                 # the Frictionless resource name
    path: Path | None        # the file to upload; None for the descriptor, rendered at publish time
    sha256: str | None
    fields: dict             # the CKAN resource fields we own
    tabular: bool = False    # has a Table Schema, so it is loaded into the DataStore
    descriptor_path: Path | None = None
    descriptor_sha256: str = field(default="", repr=False)
    views: tuple = ()        # the views sync keeps on it (charts, a report's text view)

    @property
    def schema(self) -> dict:
        descriptor = read_descriptor(self.descriptor_path, self.descriptor_sha256)
        return next(r for r in descriptor["resources"] if r["name"] == self.key)["schema"]


@dataclass(frozen=True)
class LocalDataset:
    """A package as the portal will hold it. Only the fields are kept; the descriptor itself is
    read again when it is published, and must still be the one that was read (and validated)."""

    name: str
    directory: Path
    fields: dict                          # the CKAN dataset fields we own, resources excluded
    resources: list[LocalResource]
    descriptor_sha256: str = field(default="", repr=False)

    @property
    def descriptor(self) -> dict:
        return read_descriptor(self.directory / "datapackage.json", self.descriptor_sha256)


def read_descriptor(path: Path, sha256: str = "") -> dict:
    """``sha256``: the bytes read the first time; a descriptor edited since is refused."""
    content, descriptor = _read_descriptor(path)
    if sha256 and hashlib.sha256(content).hexdigest() != sha256:
        raise MappingError(f"{path}: changed while this run was under way; run it again")
    return descriptor


def _read_descriptor(path: Path) -> tuple[bytes, dict]:
    """Through the gate: bounded, strict UTF-8, and every path it names checked before use."""
    try:
        content, descriptor = load_json(path)
    except (OSError, DocumentError) as exc:
        raise MappingError(f"{path}: cannot read: {exc}") from None
    if not isinstance(descriptor, dict):
        raise MappingError(f"{path}: not a descriptor: a JSON {type(descriptor).__name__}, not an object")
    refused = descriptor_refusals(path.parent, descriptor)
    if refused:
        raise MappingError(f"{path}: [{refused[0].rule}] {refused[0].field}: {refused[0].message}")
    return content, descriptor


# --- organizations and groups ----------------------------------------------------------

def organizations(registry_file: Path = REGISTRY_FILE) -> dict[str, dict]:
    """The issuing agencies of the report registry, as CKAN organization fields."""
    registry = json.loads(registry_file.read_text(encoding="utf-8"))
    return {a["id"]: {"name": a["id"], "title": a["title_th"],
                      "description": f"{a['title_th']}\n\n{a['title_en']}"}
            for a in registry["agencies"]}


def groups(groups_file: Path = GROUPS_FILE) -> dict[str, dict]:
    spec = json.loads(groups_file.read_text(encoding="utf-8"))
    return {g["name"]: {"name": g["name"], "type": g["group_type"], "title": g["title"],
                        "description": f"{g['description']}\n\n{g['title_en']}: {g['description_en']}"}
            for g in spec["groups"]}


# --- datasets ----------------------------------------------------------------------------

def _bilingual(thai: str, english_title: str, english: str) -> str:
    parts = [thai.strip(), f"**{english_title.strip()}**" if english_title else "", english.strip()]
    return "\n\n".join(p for p in parts if p)


def _extras(descriptor: dict, catalog: str) -> list[dict]:
    extras = {MARKER_KEY: catalog, "title_en": descriptor.get("title_en", ""),
              "frictionless_profile": "data-package"}
    return [{"key": k, "value": v} for k, v in sorted(extras.items()) if v]


@functools.cache
def multiple_choice_order() -> dict[str, list[str]]:
    """The portal stores a multiple-select field in the order of its choices, whatever order it
    was sent in; sending that order makes the round trip exact."""
    schema = json.loads(DATASET_SCHEMA_FILE.read_text(encoding="utf-8"))
    return {f["field_name"]: [c["value"] for c in f["choices"]] for f in schema["dataset_fields"]
            if f.get("preset") == "multiple_select" and f.get("choices")}


def _in_choice_order(key: str, values: list) -> list:
    order = multiple_choice_order().get(key)
    if not order:
        return values
    return sorted(values, key=lambda v: order.index(v) if v in order else len(order))


def dataset_fields(descriptor: dict, known_groups: dict[str, dict], catalog: str = MARKER) -> dict:
    """``catalog`` marks the dataset as ours (extra ``managed_by``): sync reads, updates and
    prunes only datasets carrying its own mark, so two catalogs can share one portal."""
    gdc = dict(descriptor.get("gdc") or {})
    for group in descriptor.get("groups", []):
        if group not in known_groups:
            raise MappingError(f"groups: {group!r} is not a group of {GROUPS_FILE.name} "
                               f"(known: {', '.join(sorted(known_groups))})")
    fields = {
        "name": descriptor["name"],
        "title": descriptor["title"],
        "notes": _bilingual(descriptor.get("description", ""), descriptor.get("title_en", ""),
                            descriptor.get("description_en", "")),
        "owner_org": descriptor["organization"]["name"],
        "tag_string": ",".join(descriptor.get("keywords", [])),
        "private": gdc.get("data_category") != PUBLIC,
        "groups": [{"name": g} for g in descriptor.get("groups", [])],
        "extras": _extras(descriptor, catalog),
    }
    for key, value in gdc.items():
        if key in fields:
            raise MappingError(f"gdc.{key}: set by the package itself, not under gdc")
        fields[key] = _in_choice_order(key, value) if isinstance(value, list) else value
    return fields


def resource_fields(resource: dict) -> dict:
    description = _bilingual(resource.get("description", ""), resource.get("title_en", ""),
                             resource.get("description_en", ""))
    digest = resource["hash"].removeprefix("sha256:")
    return {
        RESOURCE_KEY: resource["name"],
        "name": resource.get("title") or resource["name"],
        "description": description,
        "format": "CSV",
        "mimetype": "text/csv",
        "hash": digest,
        "hash_algorithm": SHA256_URI,
        "size": resource["bytes"],
    }


def datapackage_fields(content: bytes) -> dict:
    return {
        RESOURCE_KEY: DATAPACKAGE,
        "name": "datapackage.json (Frictionless Data Package)",
        "description": _bilingual(
            "คำอธิบายชุดข้อมูลทั้งชุดตามมาตรฐาน Frictionless Data Package: ทรัพยากร โครงสร้างตาราง (Table Schema) "
            "และแหล่งที่มา ใช้โหลดทุกตารางในคำสั่งเดียว เช่น frictionless.Package(url)",
            "The whole package as a Frictionless Data Package",
            "Resources, Table Schemas and sources; load every table at once, e.g. frictionless.Package(url)."),
        "format": "JSON",
        "mimetype": "application/json",
        "hash": hashlib.sha256(content).hexdigest(),
        "hash_algorithm": SHA256_URI,
        "size": len(content),
    }


def workbook_fields(path: Path, content: bytes) -> dict:
    """The package's XLSX: every table of the dataset in one workbook, typed, for spreadsheet users."""
    return {
        RESOURCE_KEY: path.name,
        "name": f"{path.name} (ทุกตารางในไฟล์ Excel เดียว)",
        "description": _bilingual(
            "ทุกตารางของชุดข้อมูลในไฟล์ XLSX เดียว หนึ่งแผ่นงานต่อหนึ่งตาราง แผ่นงานแรกอธิบายชุดข้อมูลและทุกคอลัมน์ "
            "คอลัมน์ข้อความเก็บเป็นข้อความ รหัส (เช่น R000, 0101) และปี พ.ศ. จึงไม่ถูกโปรแกรมตารางคำนวณแปลงเป็นตัวเลข",
            "Every table in one spreadsheet",
            "One sheet per table and a first sheet describing the dataset and every column; text columns are stored "
            "as text, so codes such as R000 or 0101 are not turned into numbers by a spreadsheet."),
        "format": "XLSX",
        "mimetype": XLSX_MEDIA_TYPE,
        "hash": hashlib.sha256(content).hexdigest(),
        "hash_algorithm": SHA256_URI,
        "size": len(content),
    }


def _workbook_resource(directory: Path, name: str) -> LocalResource | None:
    path = directory / workbook_path(name)
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        return None   # a package built before workbooks existed: its tables are published as CSV only
    except OSError as exc:
        raise MappingError(f"{path}: cannot read: {exc}") from None
    fields = workbook_fields(path, content)
    return LocalResource(key=path.name, path=path, sha256=fields["hash"], fields=fields)


def load_dataset(directory: Path, known_groups: dict[str, dict] | None = None, catalog: str = MARKER) -> LocalDataset:
    descriptor_path = directory / "datapackage.json"
    content, descriptor = _read_descriptor(descriptor_path)
    digest = hashlib.sha256(content).hexdigest()
    try:
        fields = dataset_fields(descriptor, groups() if known_groups is None else known_groups, catalog)
        views = chart_views(directory / "recipe.yaml", descriptor)
        resources = []
        for resource in descriptor.get("resources", []):
            path = safe_file(directory, resource["path"], "path")
            resources.append(LocalResource(key=resource["name"], path=path,
                                           sha256=resource["hash"].removeprefix("sha256:"),
                                           fields=resource_fields(resource), tabular="schema" in resource,
                                           descriptor_path=descriptor_path, descriptor_sha256=digest,
                                           views=tuple(views.get(resource["name"], ()))))
    except KeyError as exc:
        raise MappingError(f"{descriptor_path}: missing key {exc}") from None
    except ChartError as exc:
        raise MappingError(str(exc)) from None
    except PathRefused as exc:
        raise MappingError(f"{descriptor_path}: {exc}") from None
    except MappingError as exc:
        raise MappingError(f"{descriptor_path}: {exc}") from None
    workbook = _workbook_resource(directory, descriptor["name"])
    if workbook is not None:
        resources.append(workbook)
    resources.append(LocalResource(key=DATAPACKAGE, path=None, sha256=None, fields={}))
    return LocalDataset(name=descriptor["name"], directory=directory, fields=fields, resources=resources,
                        descriptor_sha256=digest)


def portal_datapackage(dataset: LocalDataset, urls: dict[str, str]) -> bytes:
    """The descriptor as published: each path is the resource's download URL on the portal,
    so ``frictionless.Package(url)`` loads every table from the portal itself.

    It names its profile (Data Package v2, the shape it has: ``"type": "table"``), so a reader
    need not guess, and keeps each file's ``hash`` and ``bytes``, so a remote consumer can check
    what it downloaded. Its bytes change only when a file or the metadata does, so an unchanged
    package still uploads nothing."""
    descriptor = {"$schema": DATAPACKAGE_PROFILE, **dataset.descriptor}
    for resource in descriptor.get("resources", []):
        resource["path"] = urls[resource["name"]]
        resource.pop("scheme", None)
    for source in descriptor.get("sources", []):
        source.pop("path", None)
    return (json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# --- comparing with what the portal holds --------------------------------------------------

def _tags(value) -> list[str]:
    if isinstance(value, str):
        return sorted(t.strip() for t in value.split(",") if t.strip())
    return sorted(t["name"] for t in value or [])


def comparable(fields: dict) -> dict:
    """Normalise the fields we send so they compare equal to what package_show returns."""
    out = {}
    for key, value in fields.items():
        if key == "tag_string":
            out[key] = _tags(value)
        elif key == "groups":
            out[key] = sorted(g["name"] for g in value)
        elif key == "extras":
            out[key] = {e["key"]: e["value"] for e in value}
        else:
            out[key] = value
    return out


def observed(remote: dict, keys) -> dict:
    """package_show output projected onto the keys we manage, in ``comparable`` form."""
    out = {}
    extras = {e["key"]: e["value"] for e in remote.get("extras", [])}
    for key in keys:
        if key == "tag_string":
            out[key] = _tags(remote.get("tags"))
        elif key == "groups":
            out[key] = sorted(g["name"] for g in remote.get("groups", []))
        elif key == "owner_org":
            out[key] = (remote.get("organization") or {}).get("name", remote.get("owner_org"))
        elif key == "extras":
            out[key] = {k: extras[k] for k in sorted(extras) if k in _OUR_EXTRAS}
        else:
            out[key] = remote.get(key)
    return out


def catalog_of(dataset: dict) -> str | None:
    """The catalog mark a dataset (portal or local fields) carries, if any."""
    return next((e["value"] for e in dataset.get("extras", []) if e.get("key") == MARKER_KEY), None)


_OUR_EXTRAS = {MARKER_KEY, FINGERPRINT_KEY, "title_en", "frictionless_profile"}


def merged_extras(remote: dict, wanted: list[dict]) -> list[dict]:
    """Our extras over the portal's: extras someone else added are kept."""
    mine = {e["key"]: e["value"] for e in wanted}
    theirs = {e["key"]: e["value"] for e in remote.get("extras", []) if e["key"] not in _OUR_EXTRAS}
    return [{"key": k, "value": v} for k, v in sorted({**theirs, **mine}.items())]


def field_changes(wanted: dict, remote: dict) -> dict[str, tuple]:
    """{field: (portal value, local value)} for every managed field that differs."""
    mine, theirs = comparable(wanted), observed(remote, wanted.keys())
    return {k: (theirs[k], mine[k]) for k in mine if _norm(theirs[k]) != _norm(mine[k])}


def resource_changes(wanted: dict, remote: dict) -> dict[str, tuple]:
    return {k: (remote.get(k), v) for k, v in wanted.items() if _norm(remote.get(k)) != _norm(v)}


def _norm(value):
    """CKAN returns numbers it was sent as numbers or strings, and None for empty."""
    if value in (None, "", [], {}):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    return value


# --- the DataStore -----------------------------------------------------------------------

DATASTORE_TYPES = {"integer": "int8", "number": "numeric", "boolean": "bool", "date": "date",
                   "datetime": "timestamp", "year": "int4", "time": "time"}


def datastore_fields(schema: dict) -> list[dict]:
    """The data dictionary: column types from the Table Schema, labels and notes in Thai and English."""
    out = []
    for f in schema["fields"]:
        info = {"label": f.get("title") or f["name"],
                "notes": _bilingual(f.get("description", ""), f.get("title_en", ""), f.get("description_en", "")),
                "label_en": f.get("title_en", ""), "notes_en": f.get("description_en", "")}
        out.append({"id": f["name"], "type": DATASTORE_TYPES.get(f.get("type"), "text"),
                    "info": {k: v for k, v in info.items() if v}})
    return out


def datastore_records(schema: dict, rows) -> list[dict]:
    """CSV rows (lists of strings) as DataStore records: empty cells become nulls."""
    names = [f["name"] for f in schema["fields"]]
    return [{n: (v if v != "" else None) for n, v in zip(names, row)} for row in rows]
