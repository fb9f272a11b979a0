"""Since the last sync: read only what changed, on either side, in one request.

A sync that ends cleanly leaves a record (var/synced/, one file per portal and catalog): the
digest of every local dataset it left equal on the portal, the newest ``metadata_modified`` it
saw there, and how many managed datasets the portal held in each state. The next run compares
its packages with the record, so it knows which changed here, and asks the portal in one
``package_search`` for those datasets and for every managed one modified since: boosted to the
top of a search over all managed datasets, whose count by state comes back in the same answer.
Everything else is recognised as unchanged without being read: a change made through the API
or the web form moves ``metadata_modified``, and one that does not (a dataset deleted or purged,
a portal wiped) changes the count by state.

Whenever that cannot be trusted, the run reads the whole catalog a page at a time, as before,
and says why: no record (or one of another portal, catalog or publisher version, or of other
mappings), more changes than one answer holds, a count by state that differs, ``--full``.
Changes the portal makes without touching the dataset (a DataStore table dropped by hand) are
seen only by a full read, so one comes at least every ``FULL_EVERY``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from publisher.catalog.map import GROUPS_FILE, MARKER_KEY, REGISTRY_FILE, LocalDataset, catalog_of
from publisher.catalog.state import PAGE, PortalState, states_of
from publisher.catalog.validated import CODE_DIR, code_files, inputs_digest, write_json
from publisher.settings import ROOT, settings

MARGIN = timedelta(minutes=2)   # a change committed just before the newest one seen may be indexed after it
BOOST = 1000                    # lifts what changed above every other managed dataset
MAPPING_INPUTS = ["schemas/ckan"]
DATASET_NAME = re.compile(r"[a-z0-9_-]{2,100}")     # CKAN's own rule for a dataset's name
STATE_CHANGES = {"create": {"active": 1}, "undelete": {"active": 1},
                 "delete": {"active": -1}}     # what a write does to the count of live datasets
FULL_EVERY = timedelta(days=7)  # then a run reads every page anyway: what moves no modified time is seen
MAX_NAMES = 400                 # local changes asked for by name in one request (Solr's clause limit is 1,024)


@dataclass
class SyncRecord:
    portal: str
    catalog: str
    inputs: str                          # the mapping's code and data: another one, another record
    since: str = ""                      # the newest metadata_modified seen on the portal
    states: dict[str, int] = field(default_factory=dict)     # live managed datasets by state
    datasets: dict[str, str] = field(default_factory=dict)   # name -> digest of the dataset left equal
    gone: list[str] = field(default_factory=list)            # managed, live, not in the repository
    full_at: str = ""                    # when every page was last read (this machine's clock, UTC)


def record_file(portal_url: str, catalog: str) -> Path:
    key = hashlib.sha256(f"{portal_url.rstrip('/')}\n{catalog}".encode()).hexdigest()[:24]
    return settings().var / "synced" / f"{key}.json"


def inputs_key(catalog: str, root: Path = ROOT) -> str:
    """The code that maps and compares datasets, and the data it maps them with."""
    digest = inputs_digest(code_files(CODE_DIR, "catalog/sync.py"), MAPPING_INPUTS, root,
                           extra=[p for p in (REGISTRY_FILE, GROUPS_FILE) if p.is_file()])
    digest.update(catalog.encode())
    return digest.hexdigest()


def load_record(path: Path, portal_url: str, catalog: str, inputs: str) -> tuple[SyncRecord | None, str]:
    """The record, or None and why it cannot be used."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        record = SyncRecord(**{k: data[k] for k in SyncRecord.__dataclass_fields__ if k in data})
    except FileNotFoundError:
        return None, "no earlier sync to this portal recorded"
    except (OSError, ValueError, TypeError) as exc:
        return None, f"{path}: unreadable ({exc})"
    if (record.portal, record.catalog) != (portal_url.rstrip("/"), catalog):
        return None, f"{path}: recorded for another portal or catalog"
    if record.inputs != inputs:
        return None, "the publisher or its mappings changed since the last sync"
    if not record.since or not record.states:
        return None, "the last sync recorded no state of the portal"
    try:
        age = now() - datetime.fromisoformat(record.full_at)
    except ValueError:
        return None, "the last sync recorded no read of every page"
    if age > FULL_EVERY:
        return None, f"every page was last read {age.days} days ago (at most {FULL_EVERY.days})"
    return record, ""


def now() -> datetime:
    return datetime.now(timezone.utc)


def save_record(path: Path, record: SyncRecord) -> None:
    write_json(path, asdict(record))


def dataset_digest(dataset: LocalDataset) -> str:
    """Of everything sync would write for the dataset: its fields and each resource's."""
    resources = [[r.key, r.sha256, r.fields, r.tabular, r.descriptor_sha256, list(r.views)] for r in dataset.resources]
    content = json.dumps([dataset.name, dataset.fields, resources, dataset.descriptor_sha256],
                         ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(content.encode()).hexdigest()


def newest(datasets, since: str = "") -> str:
    stamps = [d.get("metadata_modified") or "" for d in datasets]
    return max([since, *stamps])


def _solr_time(stamp: str) -> str:
    moment = datetime.fromisoformat(stamp.removesuffix("Z")) - MARGIN
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def read_changes(call: Callable, catalog: str, record: SyncRecord, names: list[str],
                 rows: int = PAGE) -> tuple[PortalState, dict[str, int], str]:
    """The managed datasets named, and those modified since the record, over every managed one:
    (what was found, the count by state, why it cannot be trusted or "")."""
    odd = [n for n in names if not DATASET_NAME.fullmatch(n)]
    if odd:     # asked for by name in a query: only what CKAN accepts as a name is put there
        return PortalState(), {}, f"{odd[0]!r} is not a name CKAN gives a dataset"
    since = _solr_time(record.since)
    wanted = [f'name:"{n}"^{BOOST}' for n in names] + [f"metadata_modified:[{since} TO *]^{BOOST}", "*:*"]
    result = call("package_search", q=" OR ".join(wanted), fq=f'extras_{MARKER_KEY}:"{catalog}"', rows=rows,
                  start=0, sort="score desc, metadata_modified desc", include_private=True, include_drafts=True,
                  include_deleted=True, **{"facet.field": '["state"]', "facet.limit": -1})
    states = states_of(result)
    state = PortalState()
    asked, last_changed, quiet = set(names), -1, -1
    for position, dataset in enumerate(result["results"]):
        changed = dataset["name"] in asked or (dataset.get("metadata_modified") or "") >= since.rstrip("Z")
        if changed:
            last_changed = position
        elif quiet < 0:
            quiet = position
        if not changed or catalog_of(dataset) != catalog:
            continue
        state.add(dataset)
    if states != record.states:
        return state, states, "the portal's count of managed datasets by state differs from the last sync's"
    if 0 <= quiet < last_changed:
        return state, states, "the portal did not rank what changed first"
    if len(result["results"]) >= rows and quiet < 0 and result["count"] > rows:
        return state, states, f"more than {rows} datasets changed"
    return state, states, ""
