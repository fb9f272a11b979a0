"""Interrupted syncs: ``kill -9`` at random moments, and the CKAN server dying mid-run. The next
full sync must leave the portal exactly like the repository: no duplicate or orphan resource,
every file with its sha256, every DataStore table loaded, and nothing left to do."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import ckanapi
import pytest

from publisher.catalog.apply import Api, load_datastore
from publisher.catalog.map import DATAPACKAGE, DATASTORE_HASH, RESOURCE_KEY, LocalResource
from publisher.catalog.sync import sync
from publisher.stack.supervisor import Stack, components
from tests.catalog_copy import copy_catalog, descriptor_of, rewrite_csv, sha256_file, write_descriptor
from tests.conftest import ROOT, complete_dataset, publisher

pytestmark = pytest.mark.portal

PACKAGES = ["th-provinces", "public-sector-digital-indicators"]
KILLS = 20


def explain(report) -> str:
    body = report.to_json()
    body.pop("plan")
    return json.dumps(body, ensure_ascii=False, indent=1)


def start_sync(directory, catalog: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "publisher", "sync", "--packages", str(directory),
                             "--catalog", catalog, "--json"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=os.environ.copy())


def assert_converged(portal, ckan, directory, catalog: str) -> None:
    again = sync(portal, directory, catalog=catalog)
    assert again.exit_code == 0 and again.writes == 0, explain(again)
    local = {p.parent.name: descriptor_of(p.parent) for p in directory.glob("*/datapackage.json")}
    found = ckan.action.package_search(fq=f'extras_managed_by:"{catalog}"', include_private=True,
                                       include_drafts=True, rows=1000)["results"]
    assert sorted(d["name"] for d in found) == sorted(local)
    for dataset in found:
        descriptor = local[dataset["name"]]
        assert dataset["private"] is False and dataset["state"] == "active"
        keys = [r.get(RESOURCE_KEY) for r in dataset["resources"]]
        workbook = f"{dataset['name']}.xlsx"
        assert keys == [r["name"] for r in descriptor["resources"]] + [workbook, DATAPACKAGE], \
            "duplicate or orphan resource"
        for resource in dataset["resources"]:
            if resource[RESOURCE_KEY] == DATAPACKAGE:
                continue
            if resource[RESOURCE_KEY] == workbook:   # a file, not a table
                assert resource["hash"] == sha256_file(directory / dataset["name"] / "data" / workbook)
                continue
            path = directory / dataset["name"] / "data" / f"{resource[RESOURCE_KEY]}.csv"
            assert resource["hash"] == sha256_file(path) == resource[DATASTORE_HASH]
            assert resource["datastore_active"] is True
            views = ckan.action.resource_view_list(id=resource["id"])
            assert [v["view_type"] for v in views] == ["datatables_view"], "table preview missing or doubled"
            rows = sum(1 for _ in open(path, encoding="utf-8-sig")) - 1
            assert ckan.action.datastore_search(resource_id=resource["id"], limit=0)["total"] == rows


def change(kind: str, folders: dict, step: int) -> None:
    """A change of the given kind to the local packages, different at every step."""
    provinces = next(f for n, f in folders.items() if n.startswith("th-provinces"))
    if kind == "file":
        text = (provinces / "data" / "provinces.csv").read_text(encoding="utf-8")
        old = next(t for t in ("Bangkok", "Krung Thep Maha Nakhon") if t in text)
        rewrite_csv(provinces, "provinces", old, "Bangkok" if old != "Bangkok" else "Krung Thep Maha Nakhon")
    elif kind == "metadata":
        descriptor = descriptor_of(provinces)
        descriptor["keywords"] = descriptor["keywords"][:4] + [f"รอบที่{step}"]
        write_descriptor(provinces, descriptor)


def run_or_kill(process: subprocess.Popen, delay: float) -> float | None:
    """Kill the run ``delay`` seconds after it started; if it ends first, how long it took."""
    started = time.monotonic()
    while (elapsed := time.monotonic() - started) < delay:
        if process.poll() is not None:
            return elapsed
        time.sleep(0.02)
    if process.poll() is not None:
        return time.monotonic() - started
    os.kill(process.pid, signal.SIGKILL)
    return None


def test_kill_9_at_random_points_then_a_full_sync_converges(portal, ckan, tmp_path, unique):
    rng = random.Random(20261121)
    epoch, kills, finished, attempts = 0, [], 0, 0
    directory = tmp_path / "epoch-0"
    folders = copy_catalog(directory, f"{unique}e0", PACKAGES)
    catalog = f"kill-{unique}-0"
    started = time.monotonic()
    first = start_sync(directory, catalog)
    first.communicate(timeout=600)
    # How long a whole run of each kind takes, start-up included. A change writes far less than a
    # first publish; its span is learnt from the runs that end before their kill.
    spans = {"new": time.monotonic() - started}
    assert_converged(portal, ckan, directory, catalog)
    started = time.monotonic()
    publisher("sync", "--packages", str(directory), "--catalog", catalog, "--dry-run")
    reading = time.monotonic() - started      # start-up and the read, validation remembered: no write yet

    while len(kills) < KILLS:
        attempts += 1
        assert attempts <= 4 * KILLS, f"only {len(kills)} syncs were still running when killed"
        kind = ["new", "file", "metadata", "file"][attempts % 4]
        if kind == "new":     # a fresh catalog: the kill lands in a first publish
            epoch += 1
            directory = tmp_path / f"epoch-{epoch}"
            folders = copy_catalog(directory, f"{unique}e{epoch}", PACKAGES)
            catalog = f"kill-{unique}-{epoch}"
        else:
            change(kind, folders, attempts)
        span = spans.get(kind, spans["new"])
        delay = rng.uniform(min(reading, span * 0.6), span * 0.95)
        process = start_sync(directory, catalog)
        took = run_or_kill(process, delay)
        if took is None:
            kills.append((kind, round(delay, 2)))
        else:
            finished += 1
            spans[kind] = min(span, took)
        process.communicate(timeout=60)
        recovery = sync(portal, directory, catalog=catalog)
        assert recovery.exit_code == 0, explain(recovery)
        assert not recovery.unconverged
        assert_converged(portal, ckan, directory, catalog)
    print(f"{len(kills)} kills ({dict(Counter(k for k, _ in kills))}) in {attempts} runs, {finished} ended "
          f"first; reading {reading:.1f} s, spans {', '.join(f'{k} {v:.1f} s' for k, v in spans.items())}; "
          f"kill delays {sorted(d for _, d in kills)}")


def test_ckan_stopping_mid_sync_is_a_clear_error_and_the_next_run_repairs(portal, ckan, tmp_path, unique):
    directory = tmp_path / "packages"
    copy_catalog(directory, unique, PACKAGES)
    catalog = f"stopped-{unique}"
    stack = Stack.from_env()
    ckan_server = next(c for c in components(stack) if c.name == "ckan")

    process = start_sync(directory, catalog)
    # wait for the first write to reach the portal, then take the server away
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not ckan.action.package_search(
            fq=f'extras_managed_by:"{catalog}"', include_private=True)["count"]:
        time.sleep(0.05)
    os.killpg(ckan_server.pid(), signal.SIGKILL)
    out, err = process.communicate(timeout=300)
    try:
        assert process.returncode == 2, err[-2000:]
        report = json.loads(out)
        assert "cannot reach the portal" in (report["error"] or "") or \
            any("cannot reach the portal" in o["error"] for o in report["outcomes"])
        assert "Traceback" not in err
        assert portal.token not in out + err
    finally:
        publisher("ckan", "up")
    repaired = sync(portal, directory, catalog=catalog)
    assert repaired.exit_code == 0, explain(repaired)
    assert not repaired.unconverged
    # A create cut short by the dying server can leave a search-index entry for a dataset the
    # database never committed; sync uses the database copy and names the entry, and a
    # rebuild of the index removes it.
    if repaired.stale_index:
        assert set(repaired.stale_index) <= {p.name for p in directory.iterdir()}
        publisher("ckan", "reindex")
    assert_converged(portal, ckan, directory, catalog)
    print(f"stale index entries after the crash: {repaired.stale_index}")


def test_a_load_overlapping_one_still_running_on_the_server_waits_and_succeeds(portal, ckan, organization,
                                                                               unique, tmp_path):
    """A killed run's last request goes on running on the server; the next run's DataStore load of
    the same table must not fail on PostgreSQL's collision (unique violation 23505) but wait it out."""
    dataset = ckan.action.package_create(**complete_dataset(organization, f"overlap-{unique}"))
    remote = ckan.action.resource_create(package_id=dataset["id"], url="http://example.invalid/t.csv", name="t")
    rows = 20_000
    path = tmp_path / "t.csv"
    path.write_text("n,label\n" + "".join(f"{n},แถวที่ {n}\n" for n in range(rows)), encoding="utf-8")
    schema = {"fields": [{"name": "n", "type": "integer"}, {"name": "label", "type": "string"}]}
    (tmp_path / "datapackage.json").write_text(json.dumps({"resources": [{"name": "t", "schema": schema}]}))
    resource = LocalResource(key="t", path=path, sha256=None, fields={}, tabular=True,
                             descriptor_path=tmp_path / "datapackage.json")
    api, failures = Api(portal), []

    def load():
        try:
            load_datastore(api, resource, remote, replace=True)
        except Exception as exc:  # noqa: BLE001 (collected and shown below)
            failures.append(repr(exc)[:300])

    for _ in range(3):
        loads = [threading.Thread(target=load) for _ in range(2)]
        for thread in loads:
            thread.start()
        for thread in loads:
            thread.join()
    assert failures == []
    assert api.calls["datastore_create"] > 6, "the loads never overlapped, so nothing was shown"
    assert ckan.action.datastore_search(resource_id=remote["id"], limit=0)["total"] == rows

    # a resource removed meanwhile (a leftover request can do that too) is "not found", which sync
    # answers by reading the dataset again and planning it afresh
    ckan.action.dataset_purge(id=dataset["id"])
    with pytest.raises(ckanapi.NotFound):
        load_datastore(api, resource, remote, replace=False)
