"""The nightly job's change path against the real portal: after one change, the run validates
the changed package only and makes few requests: at most 2 + 2 for each changed resource."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from publisher.jobs.config import load_config
from publisher.jobs.runner import run_once
from publisher.jobs.steps import pipeline
from publisher.validate import run as validation
from tests.catalog_copy import copy_catalog, descriptor_of, rewrite_csv, write_descriptor
from tests.conftest import ROOT

NAMES = ["th-provinces", "public-sector-digital-indicators", "covid19-lessons-learned"]


@pytest.mark.portal
def test_one_change_is_validated_alone_and_published_in_a_few_requests(stack, portal, tmp_path, unique,
                                                                        monkeypatch):
    packages_dir = tmp_path / "datapackages"
    copies = copy_catalog(packages_dir, unique, NAMES)
    for name in ("PUBLISHER_SCHEDULE_PORTAL", "PUBLISHER_CKAN_URL", "PUBLISHER_CKAN_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    config = load_config(env={"PUBLISHER_SCHEDULE_RUN_LOG": str(tmp_path / "var" / "run-log.jsonl"),
                              "PUBLISHER_SCHEDULE_STATUS_FILE": str(tmp_path / "var" / "last-run.json"),
                              "PUBLISHER_SCHEDULE_LOCK_FILE": str(tmp_path / "var" / "publisher.lock"),
                              "PUBLISHER_SCHEDULE_VALIDATED_FILE": str(tmp_path / "var" / "validated.json")})
    checked: list[str] = []
    real = validation.validate_package

    def counting(descriptor_path, *args, **kwargs):
        checked.append(descriptor_path.parent.name)
        return real(descriptor_path, *args, **kwargs)

    monkeypatch.setattr(validation, "validate_package", counting)

    def run_job() -> tuple[list[str], dict]:
        checked.clear()
        run = run_once(config, steps=pipeline(config, packages_dir, ROOT / "reports"))
        assert run.exit_code == 0, (run.error, json.dumps(run.sync, ensure_ascii=False)[:3000])
        return sorted(checked), run

    first_checked, first = run_job()
    assert first_checked == sorted(copies) and first.plan["created"] == len(copies)

    quiet_checked, quiet = run_job()
    assert quiet_checked == [] and quiet.counts["already_valid"] == len(copies)
    assert sum(quiet.sync["calls"].values()) == 1 and quiet.plan["writes"] == 0

    provinces, indicators, lessons = (next(n for n in copies if n.startswith(name)) for name in NAMES)
    # one CSV changed: the CSV and the workbook built from it are the changed resources
    rewrite_csv(copies[provinces], "provinces", "Krung Thep", "Krung Thep Maha Nakhon")
    csv_checked, csv_run = run_job()
    assert csv_checked == [provinces] and csv_run.counts["already_valid"] == len(copies) - 1
    # the CSV, the workbook built from it and the descriptor that records their hashes
    assert csv_run.plan["updated"] == 1 and csv_run.sync["outcomes"][0]["uploads"] == [
        "provinces", f"{provinces}.xlsx", "datapackage.json"]
    assert sum(csv_run.sync["calls"].values()) <= 2 + 2 * 3, csv_run.sync["calls"]
    assert csv_run.sync["calls"]["datastore_create"] == 1
    ckan = portal.client()
    table = next(r for r in ckan.action.package_show(id=provinces)["resources"] if r.get("datastore_active"))
    assert [v["view_type"] for v in ckan.action.resource_view_list(id=table["id"])] == ["datatables_view"]

    # one dataset's title changed: the descriptor is the one changed resource
    descriptor = descriptor_of(copies[indicators])
    descriptor["title"] += " ฉบับปรับปรุง"
    write_descriptor(copies[indicators], descriptor)
    title_checked, title_run = run_job()
    assert title_checked == [indicators] and title_run.plan["updated"] == 1
    assert title_run.sync["outcomes"][0]["uploads"] == ["datapackage.json"]
    assert sum(title_run.sync["calls"].values()) <= 2 + 2 * 1, title_run.sync["calls"]

    # nothing else: the next run checks nothing and writes nothing
    after_checked, after = run_job()
    assert after_checked == [] and after.plan["writes"] == 0 and sum(after.sync["calls"].values()) == 1
    assert lessons in copies and os.environ["PUBLISHER_STACK_DIR"] == str(stack.state)
    shutil.rmtree(packages_dir)
