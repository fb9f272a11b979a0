"""Sync a page at a time: pages follow names (one request per page, whatever is created
between two reads), a saved plan is read as a stream in any layout, and a sync killed with
``kill -9`` between two pages of the real portal is finished by the next run."""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from publisher.catalog import map as mapping
from publisher.catalog.local import LocalEntry, LocalIndex
from publisher.catalog.pages import Paging, last_steps, plan_pages
from publisher.catalog.plan import Plan, StreamedPlan, dataset_step
from publisher.catalog.plan_file import PlanFileError, saved_digest
from publisher.catalog.sync import PAGE_SIZE_ENV, sync
from tests.catalog_copy import copy_catalog
from tests.conftest import ROOT
from tests.test_sync_interrupted import assert_converged, explain
from tests.test_sync_plan import as_portal_returns

PACKAGE = ROOT / "datapackages" / "public-sector-digital-indicators"


class FakePortal:
    """package_search as CKAN answers it: sorted by name, ``name:{"x" TO *]`` honoured."""

    def __init__(self, datasets: list[dict]):
        self.datasets = sorted(datasets, key=lambda d: d["name"])
        self.searches: list[dict] = []

    def __call__(self, action: str, **query):
        assert action == "package_search", action
        self.searches.append(query)
        after = None
        if "name:{" in query["fq"]:
            after = query["fq"].split('name:{"', 1)[1].split('"', 1)[0]
        matching = [d for d in self.datasets if after is None or d["name"] > after]
        return {"count": len(matching), "results": matching[:query["rows"]]}


def _dataset(local: mapping.LocalDataset, name: str) -> mapping.LocalDataset:
    return dataclasses.replace(local, name=name, fields={**local.fields, "name": name})


def _remote(local: mapping.LocalDataset) -> dict:
    return {**as_portal_returns(local), "name": local.name, "id": f"id-{local.name}"}


def test_pages_follow_names_one_request_each_and_leave_out_nothing():
    template = mapping.load_dataset(PACKAGE)
    on_portal = [_dataset(template, f"d{n:02d}") for n in range(0, 23, 2)]       # 12 datasets: d00, d02, …
    local = [_dataset(template, f"d{n:02d}") for n in range(0, 26)]               # 26 packages, 14 of them new
    portal = FakePortal([_remote(d) for d in on_portal] + [
        {**_remote(_dataset(template, "d99")), "id": "id-d99"}])                 # ours, no longer local
    index = LocalIndex([LocalEntry(d.name, PACKAGE, "opdc", d) for d in local], {}, mapping.groups(),
                       mapping.MARKER)
    paging = Paging(index, page_size=5)
    pages = list(plan_pages(portal, paging, show=lambda name: None))

    # 13 datasets on the portal, 5 a page: 3 requests, each starting after the last name read
    assert len(portal.searches) == 3
    assert [s["fq"].split(" AND ")[1] if " AND " in s["fq"] else None for s in portal.searches] == \
        [None, 'name:{"d08" TO *]', 'name:{"d18" TO *]']
    planned = [s.name for p in pages for s in p.steps]
    assert planned == [d.name for d in local]                                   # every package once, in order
    assert all(len(p.local) <= 5 for p in pages)
    actions = {s.name: s.action for p in pages for s in p.steps}
    assert {n for n, a in actions.items() if a == "create"} == {d.name for d in local} - {d.name for d in on_portal}
    assert {n for n, a in actions.items() if a == "unchanged"} == {d.name for d in on_portal}
    # the organization and groups are planned once, before the first page that needs them
    assert pages[0].owners and not any(p.owners for p in pages[1:])
    deletes, refused = last_steps(paging, prune=True, prune_share=1.0)
    assert [(s.name, s.action, s.id) for s in deletes] == [("d99", "delete", "id-d99")] and refused is None


def test_a_page_planned_alone_is_the_plan_made_of_everything(local):
    """The steps of a paged plan are exactly make_plan's for the same datasets."""
    names = ["a-one", "b-two", "c-three"]
    locals_ = [_dataset(local, n) for n in names]
    changed = _remote(locals_[1])
    changed["title"] = "edited on the portal"
    portal = FakePortal([_remote(locals_[0]), changed])
    index = LocalIndex([LocalEntry(d.name, PACKAGE, "opdc", d) for d in locals_], {}, mapping.groups(),
                       mapping.MARKER)
    paged = [s for p in plan_pages(portal, Paging(index, page_size=1), show=lambda name: None) for s in p.steps]
    whole = [dataset_step(d, r) for d, r in zip(locals_, [_remote(locals_[0]), changed, None])]
    assert [dataclasses.asdict(s) for s in paged] == [dataclasses.asdict(s) for s in whole]
    assert [s.action for s in paged] == ["unchanged", "update", "create"]


@pytest.fixture
def local():
    return mapping.load_dataset(PACKAGE)


def test_a_saved_plan_is_read_as_a_stream_in_any_layout(tmp_path, local):
    plan = StreamedPlan()
    remote = _remote(local)
    remote["title"] = "old"
    plan.add_dataset(dataset_step(local, remote))
    plan.add_dataset(dataset_step(_dataset(local, "z-new"), None))
    body = {"portal": "http://x", "plan": plan.to_json(), "skipped": {}, "digest": plan.digest()}
    for name, text in [("indented", json.dumps(body, ensure_ascii=False, indent=2)),
                       ("compact", json.dumps(body, ensure_ascii=False, separators=(",", ":"))),
                       ("bare", json.dumps(plan.to_json(), ensure_ascii=False))]:
        path = tmp_path / f"{name}.json"
        path.write_text(text, encoding="utf-8")
        assert saved_digest(path) == plan.digest() == Plan.from_json(plan.to_json()).digest(), name
    edited = copy.deepcopy(body)
    edited["plan"]["datasets"].pop()
    (tmp_path / "edited.json").write_text(json.dumps(edited), encoding="utf-8")
    assert saved_digest(tmp_path / "edited.json") != plan.digest()
    for broken in ('{"plan": {"datasets": [', "[]", '{"portal": 1}'):
        (tmp_path / "broken.json").write_text(broken, encoding="utf-8")
        with pytest.raises(PlanFileError):
            saved_digest(tmp_path / "broken.json")


KILL_AFTER_FIRST_PAGE = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from publisher.catalog.client import portal_for
    from publisher.catalog.sync import sync

    def progress(event, name, done, total):
        if event == "page" and done == 1:        # page 1 applied and read back; page 2 not read yet
            os.kill(os.getpid(), signal.SIGKILL)

    sync(portal_for(), Path(sys.argv[1]), catalog=sys.argv[2], progress=progress)
""")


@pytest.mark.portal
def test_kill_9_between_two_pages_then_the_next_run_finishes_the_rest(portal, ckan, tmp_path, unique,
                                                                        monkeypatch):
    monkeypatch.setenv(PAGE_SIZE_ENV, "1")
    directory = tmp_path / "packages"
    folders = copy_catalog(directory, unique, ["public-sector-digital-indicators", "th-provinces"])
    first, second = sorted(folders)
    catalog = f"pages-{unique}"
    killed = subprocess.run([sys.executable, "-c", KILL_AFTER_FIRST_PAGE, str(directory), catalog], cwd=ROOT,
                            env=os.environ.copy(), capture_output=True, text=True, timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    found = {d["name"]: d for d in ckan.action.package_search(
        fq=f'extras_managed_by:"{catalog}"', include_private=True, include_drafts=True)["results"]}
    assert sorted(found) == [first], "the kill did not land between the two pages"
    assert found[first]["private"] is False                     # page 1 was whole: published last

    recovery = sync(portal, directory, catalog=catalog)
    assert recovery.exit_code == 0 and not recovery.unconverged, explain(recovery)
    assert recovery.pages == 2
    assert [(o.name, o.action) for o in recovery.outcomes] == [(second, "create")]
    assert recovery.summary()["unchanged"] == 1
    assert_converged(portal, ckan, directory, catalog)


@pytest.mark.portal
def test_a_paged_no_op_reads_one_page_per_page_and_writes_nothing(portal, ckan, tmp_path, unique, monkeypatch):
    directory = tmp_path / "packages"
    copy_catalog(directory, unique, ["public-sector-digital-indicators", "th-provinces"])
    catalog = f"noop-{unique}"
    assert sync(portal, directory, catalog=catalog).exit_code == 0
    monkeypatch.setenv(PAGE_SIZE_ENV, "1")
    again = sync(portal, directory, catalog=catalog, full=True)
    assert again.exit_code == 0 and again.writes == 0, explain(again)
    assert again.calls == {"package_search": 2} and again.pages == 2
