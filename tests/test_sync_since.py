"""After a clean sync, the next reads only what changed since, on either side, in one request;
whatever that cannot be trusted for sends it back to reading every page. Against the real portal."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest

from publisher.catalog import since
from publisher.catalog.apply import Outcome
from publisher.catalog.local import LocalIndex
from publisher.catalog.pages import Paging
from publisher.catalog.sync import SyncReport, _remember
from publisher.catalog.client import Portal
from tests.catalog_copy import copy_catalog, descriptor_of, rewrite_csv, write_descriptor
from tests.conftest import publisher
from tests.test_sync import catalog, run  # noqa: F401  (the fixture: a private copy of two packages)

pytestmark = pytest.mark.portal


def named(catalog, prefix: str) -> str:
    return next(n for n in catalog["folders"] if n.startswith(prefix))


def test_the_run_after_a_sync_reads_one_request_and_writes_only_what_changed_here(portal, ckan, catalog):
    first = run(portal, catalog)
    assert first.exit_code == 0 and first.read == "catalog", first.to_json()
    assert first.read_why == "no earlier sync to this portal recorded"

    again = run(portal, catalog)
    assert (again.read, again.calls, again.writes) == ("changes", {"package_search": 1}, 0), again.read_why
    assert again.summary()["unchanged"] == 2

    provinces = named(catalog, "th-provinces")
    rewrite_csv(catalog["folders"][provinces], "provinces", "Krung Thep Maha Nakhon", "Krung Thep (Bangkok)")
    changed = run(portal, catalog)
    assert changed.exit_code == 0 and changed.read == "changes", changed.to_json()
    assert [(o.name, o.action) for o in changed.outcomes] == [(provinces, "update")]
    # one read before, one read back after: the writes are the CSV, its workbook, the descriptor
    # and the table's DataStore reload
    assert changed.calls["package_search"] == 2, changed.calls
    assert changed.summary()["unchanged"] == 1 and not changed.unconverged

    title = named(catalog, "public-sector-digital-indicators")
    descriptor = descriptor_of(catalog["folders"][title])
    write_descriptor(catalog["folders"][title], {**descriptor, "title": descriptor["title"] + " (แก้ชื่อ)"})
    retitled = run(portal, catalog)
    assert [(o.name, o.action) for o in retitled.outcomes] == [(title, "update")]
    assert sum(retitled.calls.values()) == 2 + retitled.writes, retitled.calls
    assert ckan.action.package_show(id=title)["title"].endswith("(แก้ชื่อ)")
    assert run(portal, catalog).calls == {"package_search": 1}


def test_an_edit_made_on_the_portal_is_found_by_its_modified_time_and_put_back(portal, ckan, catalog):
    assert run(portal, catalog).exit_code == 0
    name = named(catalog, "th-provinces")
    ckan.action.package_patch(id=name, maintainer="แก้ไขด้วยมือบนพอร์ทัล")

    report = run(portal, catalog)
    assert report.read == "changes"
    assert report.drift == {name: ["maintainer"]}
    assert ckan.action.package_show(id=name)["maintainer"] == descriptor_of(catalog["folders"][name])["gdc"]["maintainer"]
    assert run(portal, catalog).writes == 0


def test_a_dataset_deleted_or_purged_on_the_portal_makes_the_run_read_every_page(portal, ckan, catalog):
    assert run(portal, catalog).exit_code == 0
    deleted, purged = named(catalog, "th-provinces"), named(catalog, "public-sector-digital-indicators")
    ckan.action.package_delete(id=deleted)     # moves no modified time: only the count by state shows it
    ckan.action.dataset_purge(id=purged)

    report = run(portal, catalog)
    assert report.read == "catalog"
    assert "count of managed datasets by state" in report.read_why
    assert sorted((o.name, o.action) for o in report.outcomes) == [(purged, "create"), (deleted, "undelete")]
    assert ckan.action.package_show(id=deleted)["state"] == "active"

    after = run(portal, catalog)
    assert (after.read, after.writes) == ("changes", 0)


def test_a_removed_package_is_pruned_after_a_read_of_every_page(portal, ckan, catalog, unique):
    extra = copy_catalog(catalog["dir"], unique, ["next-normal-4-0-plus", "policy-11-public-administration-reform"])
    catalog["folders"].update(extra)
    assert run(portal, catalog).exit_code == 0
    removed = named(catalog, "next-normal-4-0-plus")
    for path in sorted(catalog["folders"].pop(removed).rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    catalog["dir"].joinpath(removed).rmdir()

    kept = run(portal, catalog)            # no --prune: what changed is read, nothing is deleted
    assert (kept.read, kept.writes) == ("changes", 0)
    pruned = run(portal, catalog, prune=True, prune_share=0.5)
    assert pruned.read == "catalog" and "prune" in pruned.read_why
    assert [(o.name, o.action) for o in pruned.outcomes] == [(removed, "delete")]
    assert (run(portal, catalog, prune=True, prune_share=0.5).read, ckan.action.package_show(id=removed)["state"]) \
        == ("changes", "deleted")


def test_full_and_a_saved_plan_read_every_page(portal, catalog, tmp_path):
    assert run(portal, catalog).exit_code == 0
    full = run(portal, catalog, full=True)
    assert (full.read, full.read_why, full.writes) == ("catalog", "--full", 0)
    result = publisher("sync", "--packages", str(catalog["dir"]), "--catalog", catalog["name"], "--full", "--json")
    body = json.loads(result.stdout)
    assert body["read"] == "catalog" and body["read_why"] == "--full" and body["summary"]["writes"] == 0


def test_a_record_of_another_portal_catalog_or_publisher_is_not_used(tmp_path):
    path = tmp_path / "synced.json"
    record = since.SyncRecord(portal="http://a.example", catalog="c", inputs="k", since="2026-01-01T00:00:00",
                              states={"active": 1, "draft": 0}, datasets={"d": "x"},
                              full_at=(since.now() - timedelta(days=6)).isoformat())
    since.save_record(path, record)
    assert since.load_record(path, "http://a.example/", "c", "k") == (record, "")
    since.save_record(path, dataclasses.replace(record, full_at=(since.now() - timedelta(days=8)).isoformat()))
    assert since.load_record(path, "http://a.example", "c", "k")[1] == "every page was last read 8 days ago (at most 7)"
    since.save_record(path, record)
    assert "another portal or catalog" in since.load_record(path, "http://b.example", "c", "k")[1]
    assert "another portal or catalog" in since.load_record(path, "http://a.example", "other", "k")[1]
    assert "publisher or its mappings changed" in since.load_record(path, "http://a.example", "c", "k2")[1]
    path.write_text("{not json", encoding="utf-8")
    assert since.load_record(path, "http://a.example", "c", "k")[0] is None


def test_a_dataset_that_failed_or_did_not_converge_is_left_out_of_the_record(tmp_path, monkeypatch):
    monkeypatch.setenv("PUBLISHER_VAR_DIR", str(tmp_path))
    paging = Paging(LocalIndex([], {}, {}, "c"))
    paging.digests = {"ok": "1", "failed": "2", "unconverged": "3", "created": "4"}
    paging.states, paging.newest = {"active": 3, "draft": 0}, "2026-12-01T00:00:00"
    report = SyncReport(portal="http://a.example")
    report.outcomes = [Outcome("failed", "update", ok=False, error="HTTP 500"), Outcome("created", "create")]
    report.unconverged = {"unconverged": ["title"]}
    report.read = "catalog"
    _remember(Portal("http://a.example", None), "c", "k", paging, report, None)
    record, why = since.load_record(since.record_file("http://a.example", "c"), "http://a.example", "c", "k")
    assert why == "" and record.datasets == {"created": "4", "ok": "1"}
    assert record.states == {"active": 4, "draft": 0}       # the dataset created is counted


def test_a_name_that_is_not_a_dataset_name_is_never_put_in_a_query():
    record = since.SyncRecord(portal="http://a.example", catalog="c", inputs="k", since="2026-01-01T00:00:00",
                              states={"active": 1, "draft": 0})

    def portal(action, **query):
        raise AssertionError("no request may be made")

    _, _, why = since.read_changes(portal, "c", record, ['x" OR *:*'])
    assert why == "'x\" OR *:*' is not a name CKAN gives a dataset"
