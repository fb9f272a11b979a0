"""Carry out a plan through ckanapi, so that a run interrupted at any point is finished by the
next one: nothing is published half-done, nothing is created twice.

- A new dataset is created private, filled, and made public last.
- A file's ``hash`` is set in the same call that uploads it. A table counts as loaded only when
  the resource's ``datastore_hash`` is the file's sha256 *and* CKAN's ``datastore_active`` is
  true. A new resource whose rows fit one ``datastore_create`` gets its ``datastore_hash`` as it
  is uploaded, since that one call makes the table whole or not at all and only then sets
  ``datastore_active``; otherwise the hash is written after the last row, so an interrupted load
  is redone.
- A create that timed out or failed on the server is retried only after a read shows it did
  not happen.
- A DataStore write (``datastore_create`` with rows, ``datastore_upsert``) is never repeated
  as it was: a 5xx or a timeout may come after the rows were committed, and a table without a
  primary key would then hold them twice. The whole table is loaded again instead, from an
  empty one.
"""

from __future__ import annotations

import csv
import io
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import ckanapi
import requests

from publisher.catalog.apply_views import sync_views
from publisher.catalog.client import Portal
from publisher.catalog.faults import explain_failure, explain_refusal
from publisher.catalog.map import (DATAPACKAGE, DATASTORE_HASH, RESOURCE_KEY, LocalDataset, LocalResource,
                                   catalog_of, datapackage_fields, datastore_fields, datastore_records, merged_extras,
                                   portal_datapackage)
from publisher.catalog.plan import DatasetStep, OwnerStep, ResourceStep, dataset_step, with_fingerprint

TRANSIENT = {408, 429, 500, 502, 503, 504}
READS = ("_show", "_search", "_list")
CHUNK = 10_000  # DataStore records per call


class SyncError(RuntimeError):
    """An API call failed for good. The message names the action and never holds the token."""


class PortalUnreachable(SyncError):
    pass


class MayHaveCommitted(SyncError):
    """A write that is not safe to repeat failed in a way that does not say whether it happened."""

    def __init__(self, failure: SyncError):
        self.failure = failure
        super().__init__(str(failure))


def is_write(action: str) -> bool:
    return not action.endswith(READS)


@dataclass
class Api:
    """ckanapi with retries on 408/429/5xx and network errors, exponential backoff with jitter,
    a client per thread, and a count of every request made."""

    portal: Portal
    attempts: int = 4
    backoff: float = 0.5
    timeout: tuple[float, float] = (5, 120)
    sleep: Callable[[float], None] = time.sleep
    calls: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()

    def _client(self):
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self.portal.client()
        return client

    def pause(self, attempt: int) -> None:
        """Exponential backoff with jitter, so retries from several threads do not line up."""
        self.sleep(self.backoff * 2 ** attempt * (1 + random.random() / 2))

    @property
    def writes(self) -> int:
        return sum(n for action, n in self.calls.items() if is_write(action))

    def call(self, action: str, files: dict | None = None, exists: Callable[[], dict | None] | None = None,
             once: bool = False, **data):
        """``exists``: for creates, a read that finds the object if an earlier attempt made it.
        ``once``: a write that must not be repeated blindly; a failure that may have come after it
        was committed raises MayHaveCommitted instead of retrying."""
        for attempt in range(self.attempts):
            if attempt and exists is not None:
                found = exists()
                if found is not None:
                    return found
            client = self._client()
            with self._lock:
                self.calls[action] += 1
            try:
                return client.call_action(action, data, files=files, requests_kwargs={"timeout": self.timeout})
            except (ckanapi.ValidationError, ckanapi.NotFound, ckanapi.NotAuthorized,
                    ckanapi.SearchQueryError) as exc:
                raise exc
            except (requests.ConnectionError, requests.Timeout) as exc:
                failure: Exception = PortalUnreachable(
                    f"{action}: cannot reach the portal at {self.portal.url} ({type(exc).__name__}); "
                    f"is it running? (publisher ckan status)")
            except ckanapi.CKANAPIError as exc:
                status = getattr(client, "last_status", None)
                failure = SyncError(explain_failure(action, status, self.portal.redact(str(exc))))
                if status not in TRANSIENT:
                    raise failure from None
            if once:
                raise MayHaveCommitted(failure) from None
            for handle in (files or {}).values():
                handle[1].seek(0)
            if attempt + 1 < self.attempts:
                self.pause(attempt)
        raise failure


def describe(exc: Exception, portal: Portal) -> str:
    if isinstance(exc, ckanapi.ValidationError):
        errors = {k: v for k, v in exc.error_dict.items() if k != "__type"}
        return portal.redact(explain_refusal(errors))
    if isinstance(exc, ckanapi.NotFound):
        return portal.redact(f"not found on the portal ({exc}); it changed during the run, sync again")
    if isinstance(exc, ckanapi.NotAuthorized):
        return "the portal refused the API token (not authorized); set PUBLISHER_CKAN_TOKEN or PUBLISHER_CKAN_TOKEN_FILE"
    return portal.redact(str(exc))


# --- organizations and groups ------------------------------------------------------------

def apply_owner(api: Api, step: OwnerStep, fields: dict) -> None:
    kind = step.kind
    if step.action == "create":
        api.call(f"{kind}_create", exists=lambda: _show_or_none(api, f"{kind}_show", fields["name"]), **fields)
    elif step.action == "update":
        api.call(f"{kind}_patch", id=fields["name"], **{k: fields[k] for k in step.changes})


def _show_or_none(api: Api, action: str, name: str) -> dict | None:
    try:
        return api.call(action, id=name)
    except ckanapi.NotFound:
        return None


def show_dataset(api: Api, name_or_id: str) -> dict:
    """package_show as the database holds the dataset. CKAN answers package_show from its search
    index when the copy there carries the database's metadata_modified; a DataStore load does not
    move that stamp, so on a portal that leaves commits to Solr the index copy can predate a load
    and still be served. For a sysadmin, include_plugin_data makes CKAN read the database
    instead (other users get the usual answer)."""
    return api.call("package_show", id=name_or_id, include_plugin_data=True)


def read_dataset(api: Api, name: str) -> dict | None:
    """``show_dataset``, or None if there is no such dataset."""
    try:
        return show_dataset(api, name)
    except ckanapi.NotFound:
        return None


# --- datasets -------------------------------------------------------------------------------

@dataclass
class Outcome:
    name: str
    action: str
    ok: bool = True
    error: str = ""
    uploads: list[str] = field(default_factory=list)
    datastore: list[str] = field(default_factory=list)
    deleted_resources: int = 0


def _resource_by_key(api: Api, package_id: str, key: str) -> dict | None:
    dataset = show_dataset(api, package_id)
    return next((r for r in dataset["resources"] if r.get(RESOURCE_KEY) == key), None)


def _upload(path_or_bytes, filename: str):
    handle = open(path_or_bytes, "rb") if not isinstance(path_or_bytes, bytes) else io.BytesIO(path_or_bytes)
    return {"upload": (filename, handle)}


def _close(files: dict) -> None:
    for _, handle in files.values():
        handle.close()


def load_datastore(api: Api, resource: LocalResource, remote: dict, replace: bool) -> None:
    """Replace the DataStore table of a resource with the CSV's rows and its data dictionary.
    A write that failed after perhaps committing is never repeated: the table is loaded again
    from empty, so no row is ever there twice."""
    for attempt in range(api.attempts):
        try:
            _fill_table(api, resource, remote["id"], replace or attempt > 0)
            break
        except MayHaveCommitted as exc:
            if attempt + 1 == api.attempts:
                raise exc.failure from None
            api.pause(attempt)
        except ckanapi.NotFound:
            # the table went away mid-load (a killed run's leftover request dropped it): while the
            # resource itself is there, load it again from empty; a resource gone is the plan's to redo
            if attempt + 1 == api.attempts or _show_or_none(api, "resource_show", remote["id"]) is None:
                raise
            api.pause(attempt)
        except ckanapi.ValidationError as exc:
            if "resource_id" in exc.error_dict:
                # the DataStore's way of saying the resource is gone: the portal changed under the plan
                raise ckanapi.NotFound(f"resource {remote['id']}") from None
            # a run killed mid-load leaves its last request running on the server; until it ends,
            # making the same table again collides with it in PostgreSQL (unique violation 23505)
            if not _table_collision(exc) or attempt + 1 == api.attempts:
                raise
            api.pause(attempt)


def fits_one_call(resource: LocalResource) -> bool:
    """Whether one ``datastore_create`` loads the whole table (at most CHUNK rows)."""
    with open(resource.path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        return len(_take(reader, CHUNK + 1)) <= CHUNK


def add_table_views(api: Api, dataset: dict, loaded: list[dict]) -> None:
    """The portal's default table previews for the tables just loaded, in one request per dataset
    (a preview can only be made once its table exists; existing ones are kept)."""
    if loaded:
        api.call("package_create_default_resource_views", create_datastore_views=True,
                 package={**dataset, "resources": [{**r, "datastore_active": True} for r in loaded]})


def _table_collision(exc: ckanapi.ValidationError) -> bool:
    info = exc.error_dict.get("info")
    return isinstance(info, dict) and info.get("pgcode") == "23505"


def _fill_table(api: Api, resource: LocalResource, resource_id: str, replace: bool) -> None:
    schema = resource.schema
    if replace:
        try:
            api.call("datastore_delete", resource_id=resource_id, force=True)
        except ckanapi.NotFound:
            pass
    with open(resource.path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        chunk = datastore_records(schema, _take(reader, CHUNK))
        extra = {"primary_key": schema["primaryKey"]} if schema.get("primaryKey") else {}
        api.call("datastore_create", once=True, resource_id=resource_id, force=True,
                 fields=datastore_fields(schema), records=chunk, **extra)
        while chunk:
            chunk = datastore_records(schema, _take(reader, CHUNK))
            if chunk:
                api.call("datastore_upsert", once=True, resource_id=resource_id, force=True, method="insert",
                         records=chunk)


def _take(reader, n: int) -> list[list[str]]:
    rows = []
    for row in reader:
        rows.append(row)
        if len(rows) == n:
            break
    return rows


def apply_resource(api: Api, step: ResourceStep, local: LocalResource, package_id: str, remote: dict | None,
                   outcome: Outcome) -> dict | None:
    """Returns the resource as it now is on the portal (None once deleted)."""
    if step.action == "delete":
        api.call("resource_delete", id=step.id)
        outcome.deleted_resources += 1
        return None
    filename = local.path.name
    if step.action == "create":
        whole = local.tabular and fits_one_call(local)
        marked = {DATASTORE_HASH: local.sha256} if whole else {}
        files = _upload(local.path, filename)
        try:
            remote = api.call("resource_create", files=files, package_id=package_id, **local.fields, **marked,
                              exists=lambda: _resource_by_key(api, package_id, local.key))
        finally:
            _close(files)
        outcome.uploads.append(local.key)
        if local.tabular:
            load_datastore(api, local, remote, replace=False)   # a resource made just now has no table
            outcome.datastore.append(local.key)
            if not whole:
                remote = api.call("resource_patch", id=remote["id"], **{DATASTORE_HASH: local.sha256})
        return remote
    if step.datastore:
        # the search index can lag behind datastore_active: a table may exist that it does not show
        load_datastore(api, local, remote or {"id": step.id, "package_id": package_id}, replace=True)
        outcome.datastore.append(local.key)
    patch = {k: local.fields[k] for k in step.changes}
    if step.datastore and (remote or {}).get(DATASTORE_HASH) != local.sha256:
        patch[DATASTORE_HASH] = local.sha256
    if step.action == "reupload":
        files = _upload(local.path, filename)
        try:
            remote = api.call("resource_patch", files=files, id=step.id, **{**local.fields, **patch})
        finally:
            _close(files)
        outcome.uploads.append(local.key)
    elif patch:
        remote = api.call("resource_patch", id=step.id, **patch)
    return remote


def apply_datapackage(api: Api, dataset: LocalDataset, package_id: str, remote: dict | None,
                      urls: dict[str, str], outcome: Outcome) -> dict:
    content = portal_datapackage(dataset, urls)
    fields = datapackage_fields(content)
    if remote is not None and all(remote.get(k) == v or str(remote.get(k)) == str(v) for k, v in fields.items()):
        return remote
    files = _upload(content, DATAPACKAGE)
    try:
        if remote is None:
            remote = api.call("resource_create", files=files, package_id=package_id, **fields,
                              exists=lambda: _resource_by_key(api, package_id, DATAPACKAGE))
        else:
            remote = api.call("resource_patch", files=files, id=remote["id"], **fields)
    finally:
        _close(files)
    outcome.uploads.append(DATAPACKAGE)
    return remote


def apply_dataset(api: Api, step: DatasetStep, local: LocalDataset | None, remote: dict | None,
                  from_database: bool = False) -> Outcome:
    """``from_database``: ``remote`` is the database's copy, not a search result."""
    outcome = Outcome(step.name, step.action)
    if step.action == "delete":
        api.call("package_delete", id=step.id)
        return outcome
    if step.action == "update" and not from_database and any(r.action == "create" for r in step.resources):
        # The plan read search, which can lag the database (a portal that leaves commits to Solr,
        # a run started right after another): a resource search lacks may be there already, and
        # creating it again would publish it twice. Plan this dataset again from the database.
        fresh = show_dataset(api, step.id or step.name)
        again = dataset_step(local, fresh)
        if not again.writes:
            return Outcome(step.name, again.action)
        return apply_dataset(api, again, local, fresh, from_database=True)
    fields = with_fingerprint(local.fields)
    if step.action == "create":
        # The search index may not list a deleted dataset; a name is only free if the database says so.
        existing = read_dataset(api, local.name)
        if existing is not None:
            if catalog_of(existing) != catalog_of(fields):
                raise SyncError(f"the name {local.name!r} is taken on the portal by a dataset this catalog does "
                                f"not manage; rename the package or remove that dataset")
            return apply_dataset(api, dataset_step(local, existing), local, existing, from_database=True)
        remote = api.call("package_create", exists=lambda: read_dataset(api, local.name), **{**fields, "private": True})
        if remote.get("resources"):      # an earlier attempt of this call got through
            return apply_dataset(api, dataset_step(local, remote), local, remote, from_database=True)
    elif step.action == "undelete":
        remote = api.call("package_patch", id=step.id, state="active", private=True)
    package_id = remote["id"]

    # the resource kept for each key: the one the plan chose, never one it deletes
    chosen = {s.key: s.id for s in step.resources if s.action != "delete" and s.id}
    dropped = {s.id for s in step.resources if s.action == "delete"}
    current: dict[str, dict] = {}
    for resource in remote.get("resources", []):
        key = resource.get(RESOURCE_KEY)
        if key and resource["id"] not in dropped and chosen.get(key, resource["id"]) == resource["id"]:
            current.setdefault(key, resource)
    by_key = {r.key: r for r in local.resources}
    loaded: list[dict] = []
    for resource_step in step.resources:
        if resource_step.action == "unchanged" or (resource_step.key == DATAPACKAGE and resource_step.action != "delete"):
            continue      # the descriptor is written last, once every file's URL is known
        found = next((r for r in remote.get("resources", []) if r["id"] == resource_step.id), None)
        tables = len(outcome.datastore)
        result = apply_resource(api, resource_step, by_key.get(resource_step.key), package_id, found, outcome)
        if result is not None:
            current[resource_step.key] = result
        if len(outcome.datastore) > tables and not (found or {}).get("datastore_active"):  # a reload keeps its view
            loaded.append(result or found or {"id": resource_step.id, "package_id": package_id})
    if step.action != "create" and remote.get("private") and not fields["private"]:
        # Never made public: an earlier run stopped after its tables were loaded, perhaps before
        # their previews were asked for. Asking again keeps the ones that exist.
        done = {r.get("id") for r in loaded}
        loaded += [r for key, r in current.items()
                   if key != DATAPACKAGE and r.get("datastore_active") and r["id"] not in done]
    add_table_views(api, {"id": package_id, "name": local.name}, loaded)
    for resource_step in step.resources:      # charts need their table, so they come after it
        if resource_step.views and resource_step.action != "delete" and resource_step.key in current:
            key = resource_step.key
            current[key] = sync_views(api, current[key]["id"], by_key[key].views)
    urls = {key: r["url"] for key, r in current.items() if key != DATAPACKAGE}
    if DATAPACKAGE in by_key:
        current[DATAPACKAGE] = apply_datapackage(api, local, package_id, current.get(DATAPACKAGE), urls, outcome)

    if step.action != "create" and _order_may_differ(step):
        wanted_order = [current[r.key]["id"] for r in local.resources if r.key in current]
        order = [r["id"] for r in show_dataset(api, package_id).get("resources", [])]
        if [i for i in order if i in set(wanted_order)] != wanted_order:
            api.call("package_resource_reorder", id=package_id, order=wanted_order)

    patch = {k: fields[k] for k in step.changes}
    if step.action == "create" and not fields["private"]:
        patch["private"] = False          # published only now that every file is in place
    if step.action == "undelete":
        patch["private"] = fields["private"]
    if "extras" in patch:
        patch["extras"] = merged_extras(remote, fields["extras"])
    if "tag_string" in patch:
        # a patch starts from package_show, whose tags a tag_string would be added to, not replace
        patch["tags"] = [{"name": t} for t in patch.pop("tag_string").split(",") if t.strip()]
    if patch:
        api.call("package_patch", id=package_id, **patch)
    return outcome


def _order_may_differ(step: DatasetStep) -> bool:
    """Creating or deleting resources can leave them out of order; a plan that said the order
    was wrong needs a fresh read too."""
    return step.reorder or any(r.action in ("create", "delete") for r in step.resources)
