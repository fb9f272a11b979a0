"""Seeding a portal with thousands of datasets in minutes instead of hours, exactly as sync would.

Through HTTP, each of 10,000 datasets costs a dozen requests and a Solr commit each. Here the
same code that ``publisher sync`` runs (plan, then ``apply_owner`` / ``apply_dataset``) makes
the same calls with the same arguments, but each call goes to CKAN's action functions inside
the portal's own CKAN venv (bench/drivers/ckan_local.py, ckanapi's LocalCKAN, run as the
publisher sysadmin). The only difference is that Solr commits are deferred: every change is
still sent to the index, and one commit at the end makes them visible.

``check_same_as_sync`` proves it on a few datasets: published by ``publisher sync`` over HTTP,
read back the way sync reads, purged, seeded by this route, read back again; the two reads
must be equal but for ids, timestamps and what holds them (URLs, the datapackage.json ids).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import ckanapi

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from publisher.catalog import map as mapping  # noqa: E402
from publisher.catalog.map import DATAPACKAGE, RESOURCE_KEY  # noqa: E402
from publisher.catalog.apply import Api, apply_dataset, apply_owner  # noqa: E402
from publisher.catalog.plan import dataset_step, owner_steps  # noqa: E402
from publisher.catalog.state import complete, read_datasets  # noqa: E402
from publisher.catalog.local import load_local  # noqa: E402
from publisher.stack.solr import solr_credentials  # noqa: E402
from publisher.stack.supervisor import Stack  # noqa: E402

WORKER = ROOT / "bench" / "drivers" / "ckan_local.py"
ERRORS = {"NotFound": ckanapi.NotFound, "ValidationError": ckanapi.ValidationError,
          "NotAuthorized": ckanapi.NotAuthorized}


class LocalClient:
    """A ckanapi-like client whose calls run in a CKAN process of the portal's venv."""

    last_status = None

    def __init__(self, stack: Stack):
        self.process = subprocess.Popen([stack.ckan_bin("python"), str(WORKER)], env=stack.ckan_env(),
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                        stderr=subprocess.DEVNULL)
        ready = self.process.stdout.readline()
        if not ready:
            raise RuntimeError(f"{WORKER} did not start (run it by hand with CKAN_INI set to see why)")

    def call_action(self, action: str, data: dict | None = None, files: dict | None = None, requests_kwargs=None):
        request = {"action": action, "data": data or {}}
        spool = None
        if files:
            filename, handle = files["upload"]
            handle.seek(0)
            spool = tempfile.NamedTemporaryFile(suffix="-" + Path(filename).name)
            spool.write(handle.read())
            spool.flush()
            request["upload"] = [filename, spool.name]
        try:
            self.process.stdin.write(json.dumps(request, ensure_ascii=False) + "\n")
            self.process.stdin.flush()
            answer = json.loads(self.process.stdout.readline())
        finally:
            if spool:
                spool.close()
        if "error" in answer:
            kind = ERRORS.get(answer["error"])
            if kind is ckanapi.ValidationError:
                raise ckanapi.ValidationError(answer["detail"])
            if kind:
                raise kind(answer["detail"])
            self.last_status = 500
            raise ckanapi.CKANAPIError(answer["detail"])
        self.last_status = 200
        return answer["result"]

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


@dataclass
class LocalPortal:
    """What ``Api`` needs of a portal, its clients being CKAN processes: one per thread."""

    stack: Stack
    clients: list[LocalClient] = field(default_factory=list)
    token: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return self.stack.ckan_url + " (in-process)"

    def client(self) -> LocalClient:
        made = LocalClient(self.stack)
        with self._lock:
            self.clients.append(made)
        return made

    def redact(self, text: str) -> str:
        return text

    def close(self) -> None:
        for client in self.clients:
            client.close()


def solr_commit(stack: Stack) -> None:
    request = urllib.request.Request(f"{stack.solr_url}/update?commit=true&wt=json", data=b"{}",
                                     headers={"Content-Type": "application/json"})
    user, password = solr_credentials(stack)
    manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    manager.add_password(None, stack.solr_url, user, password)
    opener = urllib.request.build_opener(urllib.request.HTTPBasicAuthHandler(manager))
    with opener.open(request, timeout=600) as answer:
        answer.read()


def seed(stack: Stack, packages_dir: Path, catalog: str, jobs: int = 2,
         progress=lambda done, total: None) -> dict:
    """Publish every package of ``packages_dir`` (not validated: the benchmark's packages are
    valid by construction) through CKAN's action functions, then commit the search index once."""
    portal = LocalPortal(stack)
    api = Api(portal)
    try:
        local, skipped = load_local(packages_dir, validate=False, catalog=catalog)
        if skipped:
            raise RuntimeError(f"packages that cannot be published: {skipped}")
        solr_commit(stack)       # what an interrupted seed left is seen, and finished below
        state = read_datasets(api.call, catalog)
        organizations, groups = mapping.organizations(), mapping.groups()
        wanted_orgs = {d.fields["owner_org"] for d in local}
        wanted_groups = {g["name"] for d in local for g in d.fields["groups"]}
        complete(state, api.call, wanted_orgs, wanted_groups)
        owners = owner_steps("organization", {o: organizations[o] for o in wanted_orgs}, state.organizations) + \
            owner_steps("group", {g: groups[g] for g in wanted_groups}, state.groups)
        for step in owners:
            apply_owner(api, step, (organizations if step.kind == "organization" else groups)[step.name])
        steps = {d.name: dataset_step(d, state.datasets.get(d.name)) for d in local}
        todo = [d for d in local if steps[d.name].writes]
        failures, done = [], 0
        lock = threading.Lock()

        def one(dataset):
            nonlocal done
            outcome = apply_dataset(api, steps[dataset.name], dataset, state.datasets.get(dataset.name))
            with lock:
                done += 1
                if not outcome.ok:
                    failures.append((dataset.name, outcome.error))
                progress(done, len(todo))

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(one, todo))
        solr_commit(stack)
        return {"seeded": len(todo), "already_there": len(local) - len(todo), "failures": failures,
                "calls": dict(api.calls)}
    finally:
        portal.close()


# --- the proof: what sync reads is what sync's own writes leave ------------------------------

VOLATILE = {"id", "package_id", "revision_id", "metadata_created", "metadata_modified", "created",
            "last_modified", "creator_user_id", "cache_last_updated"}
FILE_OF_IDS = {"hash", "size"}   # datapackage.json names the other resources by their URLs, so ids
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def comparable_read(dataset: dict) -> object:
    """A dataset as sync reads it, with what differs between any two creations taken out."""
    def clean(value):
        if isinstance(value, dict):
            skip = VOLATILE | (FILE_OF_IDS if value.get(RESOURCE_KEY) == DATAPACKAGE else set())
            return {k: clean(v) for k, v in sorted(value.items()) if k not in skip}
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, str):
            return UUID.sub("<id>", value)
        return value
    return clean(dataset)


def differences(a: object, b: object, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            out += differences(a.get(key, "<missing>"), b.get(key, "<missing>"), f"{path}.{key}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {json.dumps(a, ensure_ascii=False)[:120]} != "
                              f"{json.dumps(b, ensure_ascii=False)[:120]}"]


def read_as_sync(api: Api, catalog: str) -> dict[str, object]:
    return {n: comparable_read(d) for n, d in read_datasets(api.call, catalog).datasets.items()}


def check_same_as_sync(stack: Stack, http_api: Api, packages_dir: Path, catalog: str, sync_http) -> list[str]:
    """Publish ``packages_dir`` both ways under ``catalog`` and return how sync's two reads differ
    (nothing, if the fast route is faithful). ``sync_http``: runs ``publisher sync`` over HTTP.
    The datasets an earlier check left (same names, another catalog) are purged first."""
    for directory in sorted(p.parent for p in packages_dir.glob("*/datapackage.json")):
        name = json.loads((directory / "datapackage.json").read_text(encoding="utf-8"))["name"]
        try:
            http_api.call("dataset_purge", id=name)
        except ckanapi.NotFound:
            pass
    solr_commit(stack)
    sync_http(packages_dir, catalog)
    by_http = read_as_sync(http_api, catalog)
    for name in by_http:
        http_api.call("dataset_purge", id=name)
    solr_commit(stack)
    outcome = seed(stack, packages_dir, catalog)
    if outcome["failures"]:
        return [f"{name}: {error}" for name, error in outcome["failures"]]
    by_seed = read_as_sync(http_api, catalog)
    found = [] if sorted(by_http) == sorted(by_seed) and by_http else [f"names {sorted(by_http)} != {sorted(by_seed)}"]
    return found + [d for name in sorted(by_http) if name in by_seed
                    for d in differences(by_http[name], by_seed[name], name)]
