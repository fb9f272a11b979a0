"""publisher plan / sync against the real local portal: what is written, how often, and what
the public can download afterwards."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
import requests

from publisher.catalog.apply import Api, add_table_views, read_dataset
from publisher.catalog.map import DATAPACKAGE, DATASTORE_HASH, RESOURCE_KEY
from publisher.catalog.sync import plan, sync
from publisher.stack.solr import solr_credentials
from publisher.validate.findings import rules
from tests.catalog_copy import copy_catalog, descriptor_of, rewrite_csv, sha256_file, write_descriptor
from tests.conftest import ROOT, publisher

pytestmark = pytest.mark.portal

SMALL = ["th-provinces", "public-sector-digital-indicators"]


@pytest.fixture
def catalog(tmp_path, unique):
    """A private copy of two packages, and the catalog mark that scopes them on the portal."""
    folders = copy_catalog(tmp_path / "packages", unique, SMALL)
    return {"dir": tmp_path / "packages", "name": f"test-{unique}", "folders": folders}


def run(portal, catalog, **kwargs):
    return sync(portal, catalog["dir"], catalog=catalog["name"], **kwargs)


def datasets_of(ckan, catalog) -> dict[str, dict]:
    found = ckan.action.package_search(fq=f'extras_managed_by:"{catalog["name"]}"', rows=1000,
                                       include_private=True, include_drafts=True)
    return {d["name"]: d for d in found["results"]}


def test_first_sync_creates_everything_and_the_second_writes_nothing(portal, ckan, catalog):
    first = run(portal, catalog)
    assert first.exit_code == 0, first.to_json()
    assert first.summary()["created"] == 2
    local_resources = sum(len(descriptor_of(f)["resources"]) for f in catalog["folders"].values())
    # every CSV, each package's XLSX and its datapackage.json, uploaded once
    assert first.summary()["uploads"] == local_resources + 2 * 2
    assert first.summary()["datastore_loads"] == local_resources
    # each table is marked loaded in the call that uploads it (it fits one datastore_create), and
    # the table previews are asked for once per dataset
    assert "resource_patch" not in first.calls, first.calls
    assert first.calls["package_create_default_resource_views"] == 2

    second = run(portal, catalog)
    assert second.exit_code == 0
    assert second.writes == 0, second.calls
    assert second.calls == {"package_search": 1}
    assert second.summary()["unchanged"] == 2

    shown = datasets_of(ckan, catalog)
    assert set(shown) == set(catalog["folders"])
    for name, folder in catalog["folders"].items():
        dataset = shown[name]
        assert dataset["private"] is False
        assert dataset["organization"]["name"] == descriptor_of(folder)["organization"]["name"]
        assert {g["name"] for g in dataset["groups"]} == set(descriptor_of(folder)["groups"])
        assert dataset["data_category"] == "ข้อมูลสาธารณะ"
        assert dataset["license_id"] == "Creative Commons Attributions"
        assert "extras" in dataset and not any(e["key"] in ("objective", "data_type") for e in dataset["extras"])
        keys = [r[RESOURCE_KEY] for r in dataset["resources"]]
        assert keys == [r["name"] for r in descriptor_of(folder)["resources"]] + [f"{name}.xlsx", DATAPACKAGE]


def test_every_resource_downloads_with_the_sha256_of_the_local_file(portal, ckan, catalog):
    assert run(portal, catalog).exit_code == 0
    for name, folder in catalog["folders"].items():
        dataset = ckan.action.package_show(id=name)
        for resource in dataset["resources"]:
            if resource[RESOURCE_KEY] == DATAPACKAGE:
                continue
            body = requests.get(resource["url"], timeout=30).content   # anonymous, as the public
            if resource[RESOURCE_KEY] == f"{name}.xlsx":   # the workbook: a file, not a table
                assert hashlib.sha256(body).hexdigest() == sha256_file(folder / "data" / f"{name}.xlsx")
                assert resource["hash"] == hashlib.sha256(body).hexdigest() and not resource.get("datastore_active")
                continue
            local = folder / "data" / f"{resource[RESOURCE_KEY]}.csv"
            assert hashlib.sha256(body).hexdigest() == sha256_file(local) == resource["hash"]
            assert resource["url_type"] == "upload"
            assert resource["datastore_active"] is True
            assert resource[DATASTORE_HASH] == resource["hash"]


def published_without_previews(portal, ckan, catalog) -> tuple[str, dict, list[dict]]:
    """A published dataset whose table previews have all been deleted: name, dataset, tables."""
    assert run(portal, catalog).exit_code == 0
    name = next(n for n in catalog["folders"] if n.startswith("th-provinces"))
    dataset = ckan.action.package_show(id=name)
    tables = [r for r in dataset["resources"] if r.get("datastore_active")]
    for resource in tables:
        for view in ckan.action.resource_view_list(id=resource["id"]):
            ckan.action.resource_view_delete(id=view["id"])
    return name, dataset, tables


def test_a_table_preview_is_asked_for_even_where_the_portal_makes_none(portal, ckan, catalog):
    name, dataset, tables = published_without_previews(portal, ckan, catalog)
    add_table_views(Api(portal), {"id": dataset["id"], "name": name}, tables)
    for resource in tables:
        assert [v["view_type"] for v in ckan.action.resource_view_list(id=resource["id"])] == ["datatables_view"]
    add_table_views(Api(portal), {"id": dataset["id"], "name": name}, tables)     # kept, not doubled
    assert len(ckan.action.resource_view_list(id=tables[0]["id"])) == 1


def test_a_first_publish_stopped_before_its_previews_gets_them_when_made_public(portal, ckan, catalog):
    """A run killed between the last DataStore load and the preview request leaves a private
    dataset whose tables are loaded; the run that makes it public asks for the previews."""
    name, dataset, tables = published_without_previews(portal, ckan, catalog)
    ckan.action.package_patch(id=dataset["id"], private=True)

    report = run(portal, catalog)
    assert report.exit_code == 0 and not report.unconverged
    assert report.calls["package_create_default_resource_views"] == 1
    assert "resource_patch" not in report.calls and report.summary()["uploads"] == 0
    assert ckan.action.package_show(id=name)["private"] is False
    for resource in tables:
        assert [v["view_type"] for v in ckan.action.resource_view_list(id=resource["id"])] == ["datatables_view"]
    assert run(portal, catalog).writes == 0


def test_datastore_has_the_rows_and_a_thai_english_data_dictionary(portal, ckan, catalog):
    assert run(portal, catalog).exit_code == 0
    name = next(n for n in catalog["folders"] if n.startswith("th-provinces"))
    resource = next(r for r in ckan.action.package_show(id=name)["resources"] if r[RESOURCE_KEY] == "provinces")
    found = ckan.action.datastore_search(resource_id=resource["id"], q="กรุงเทพมหานคร")
    assert found["total"] == 1 and found["records"][0]["code"] == "TH-10"
    assert ckan.action.datastore_search(resource_id=resource["id"], limit=0)["total"] == 78
    fields = {f["id"]: f for f in found["fields"]}
    assert fields["name_th"]["info"]["label"] == "ชื่อภาษาไทย"
    assert fields["name_th"]["info"]["label_en"] == "Thai name"
    assert fields["source_line"]["type"] == "int8"


def test_the_published_datapackage_loads_every_table_from_the_portal(portal, ckan, catalog):
    from frictionless import Package

    assert run(portal, catalog).exit_code == 0
    name = next(n for n in catalog["folders"] if n.startswith("public-sector-digital"))
    dataset = ckan.action.package_show(id=name)
    url = next(r["url"] for r in dataset["resources"] if r[RESOURCE_KEY] == DATAPACKAGE)
    package = Package(url)
    local = descriptor_of(catalog["folders"][name])
    assert [r.name for r in package.resources] == [r["name"] for r in local["resources"]]
    for resource in package.resources:
        assert resource.path.startswith(portal.url)
        assert len(resource.read_rows()) == sum(1 for _ in open(catalog["folders"][name] / "data" /
                                                               f"{resource.name}.csv", encoding="utf-8-sig")) - 1


def test_one_changed_csv_reuploads_exactly_that_resource_and_keeps_its_url(portal, ckan, catalog):
    assert run(portal, catalog).exit_code == 0
    name = next(n for n in catalog["folders"] if n.startswith("th-provinces"))
    before = {r[RESOURCE_KEY]: r for r in ckan.action.package_show(id=name)["resources"]}
    others_before = {n: ckan.action.package_show(id=n)["metadata_modified"] for n in catalog["folders"] if n != name}
    digest = rewrite_csv(catalog["folders"][name], "provinces", "Krung Thep Maha Nakhon",
                         "Krung Thep Maha Nakhon (Bangkok)")

    the_plan, *_ = plan(portal, catalog["dir"], catalog=catalog["name"])
    steps = {d.name: d for d in the_plan.datasets}
    assert steps[name].action == "update" and steps[name].changes == {}
    # the CSV, and the two files that carry it too: the workbook and the descriptor (its hash and bytes)
    workbook = f"{name}.xlsx"
    assert [(r.key, r.action) for r in steps[name].resources if r.action != "unchanged"] == [
        ("provinces", "reupload"), (workbook, "reupload"), (DATAPACKAGE, "reupload")]

    report = run(portal, catalog)
    assert report.exit_code == 0, report.to_json()
    assert [(o.name, o.uploads) for o in report.outcomes] == [(name, ["provinces", workbook, DATAPACKAGE])]
    assert report.calls.get("package_patch", 0) == 0 and report.calls.get("resource_create", 0) == 0
    after = {r[RESOURCE_KEY]: r for r in ckan.action.package_show(id=name)["resources"]}
    assert after["provinces"]["id"] == before["provinces"]["id"]
    assert after["provinces"]["url"] == before["provinces"]["url"]
    assert after["provinces"]["hash"] == digest
    assert requests.get(after["provinces"]["url"], timeout=30).content.decode("utf-8-sig").count("(Bangkok)") == 1
    assert after[DATAPACKAGE]["id"] == before[DATAPACKAGE]["id"]
    published = requests.get(after[DATAPACKAGE]["url"], timeout=30).json()
    [entry] = [r for r in published["resources"] if r["name"] == "provinces"]
    assert entry["hash"] == f"sha256:{digest}" and entry["path"] == after["provinces"]["url"]
    assert {n: ckan.action.package_show(id=n)["metadata_modified"] for n in others_before} == others_before
    assert run(portal, catalog).writes == 0


# what Solr fills itself from copyField rules, or numbers itself: left out when a document is posted back
SOLR_DERIVED = {"_version_", "title_ngram", "name_ngram", "urls"}


def solr_document(stack, name: str) -> dict:
    found = requests.get(f"{stack.solr_url}/select", params={"q": f'name:"{name}"', "fl": "*", "wt": "json"},
                         auth=solr_credentials(stack), timeout=30)
    found.raise_for_status()
    [document] = found.json()["response"]["docs"]
    return {k: v for k, v in document.items() if k not in SOLR_DERIVED}


def post_to_solr(stack, document: dict) -> None:
    requests.post(f"{stack.solr_url}/update?commit=true", json=[document], auth=solr_credentials(stack),
                  timeout=30).raise_for_status()


def test_a_write_the_search_index_does_not_show_yet_is_read_from_the_database_not_written_again(
        portal, ckan, catalog, stack, monkeypatch):
    """A portal that leaves commits to Solr shows a write only at its next soft commit, so the
    read-back can see the dataset as it was. The index is put back one version here, between the
    write and the read-back: sync reads that dataset from the database, finds it written, and
    does not write it twice."""
    from publisher.catalog import sync as sync_module
    assert run(portal, catalog).exit_code == 0
    name = next(n for n in catalog["folders"] if n.startswith("th-provinces"))
    as_it_was = solr_document(stack, name)
    folder = catalog["folders"][name]
    descriptor = descriptor_of(folder)
    descriptor["gdc"]["geo_coverage"] = "จังหวัด"
    write_descriptor(folder, descriptor)
    written: list[dict] = []
    apply = sync_module._apply

    def apply_then_lag(steps, context, api, report, jobs, progress):
        apply(steps, context, api, report, jobs, progress)
        written.append(solr_document(stack, name))
        post_to_solr(stack, as_it_was)

    monkeypatch.setattr(sync_module, "_apply", apply_then_lag)
    report = run(portal, catalog)
    monkeypatch.undo()
    assert report.exit_code == 0 and not report.unconverged, report.to_json()["outcomes"]
    assert report.index_lag == [name]
    assert [(o.name, o.action) for o in report.outcomes] == [(name, "update")]
    # one pass of writes; the read-back is the search page and one package_show
    assert report.calls.get("package_patch") == 1 and report.calls.get("package_show") == 1, report.calls
    assert len(written) == 1
    assert ckan.action.package_show(id=name)["geo_coverage"] == "จังหวัด"
    assert datasets_of(ckan, catalog)[name]["geo_coverage"] == "ประเทศ"      # search still one version behind

    post_to_solr(stack, written[0])                                          # the soft commit catches up
    assert run(portal, catalog).writes == 0


def test_a_resource_the_search_index_does_not_show_yet_is_not_created_twice(portal, ckan, catalog, stack):
    """A plan read from an index one write behind lacks the resource that write made; the
    dataset is planned again from the database before any resource is created."""
    assert run(portal, catalog).exit_code == 0
    name = next(n for n in catalog["folders"] if n.startswith("th-provinces"))
    gone = next(r for r in ckan.action.package_show(id=name)["resources"] if r[RESOURCE_KEY] == "provinces")
    ckan.action.resource_delete(id=gone["id"])
    without_it = solr_document(stack, name)
    assert run(portal, catalog).calls.get("resource_create") == 1           # made again
    restored = [r["id"] for r in ckan.action.package_show(id=name)["resources"]]
    written = solr_document(stack, name)
    post_to_solr(stack, without_it)                                         # search one write behind
    assert "provinces" not in {r[RESOURCE_KEY] for r in datasets_of(ckan, catalog)[name]["resources"]}

    report = run(portal, catalog, full=True)
    assert report.exit_code == 0 and not report.unconverged, report.to_json()["outcomes"]
    assert report.writes == 0 and "resource_create" not in report.calls, report.calls
    assert [r["id"] for r in ckan.action.package_show(id=name)["resources"]] == restored
    post_to_solr(stack, written)


def test_the_read_back_asks_the_database_not_an_index_copy_from_before_a_datastore_load(portal, ckan, catalog,
                                                                                       stack):
    """CKAN serves package_show from the search index while the copy there carries the database's
    metadata_modified, and a DataStore load does not move that stamp: on a portal that leaves
    commits to Solr the copy served can be one from before the load. Sync's own reads of a
    dataset (read-back, plan checks) ask for the database's copy."""
    assert run(portal, catalog).exit_code == 0
    name = next(n for n in catalog["folders"] if n.startswith("th-provinces"))
    document = solr_document(stack, name)
    before_the_load = json.loads(document["validated_data_dict"])
    table = next(r for r in before_the_load["resources"] if r[RESOURCE_KEY] == "provinces")
    assert table["datastore_active"] is True
    table["datastore_active"] = False
    post_to_solr(stack, {**document, "validated_data_dict": json.dumps(before_the_load, ensure_ascii=False)})
    try:
        def active(dataset):
            return next(r for r in dataset["resources"] if r[RESOURCE_KEY] == "provinces")["datastore_active"]
        assert active(ckan.action.package_show(id=name)) is False            # the index copy, served as is
        assert active(read_dataset(Api(portal), name)) is True               # what the database holds
    finally:
        post_to_solr(stack, document)


def test_a_metadata_change_is_planned_field_by_field_and_patched(portal, ckan, catalog):
    assert run(portal, catalog).exit_code == 0
    name = next(n for n in catalog["folders"] if n.startswith("th-provinces"))
    folder = catalog["folders"][name]
    descriptor = descriptor_of(folder)
    descriptor["keywords"] = descriptor["keywords"] + ["รหัสไปรษณีย์"]
    descriptor["gdc"]["geo_coverage"] = "จังหวัด"
    write_descriptor(folder, descriptor)

    the_plan, *_ = plan(portal, catalog["dir"], catalog=catalog["name"])
    step = next(d for d in the_plan.datasets if d.name == name)
    assert set(step.changes) == {"tag_string", "geo_coverage", "extras"}
    assert step.changes["geo_coverage"] == ["ประเทศ", "จังหวัด"]
    # the CSVs stay; the published descriptor carries the metadata, so it alone is uploaded again
    assert [(r.key, r.action) for r in step.resources if r.action != "unchanged"] == [(DATAPACKAGE, "reupload")]

    report = run(portal, catalog)
    assert report.calls.get("package_patch") == 1
    assert [o.uploads for o in report.outcomes] == [[DATAPACKAGE]]
    shown = ckan.action.package_show(id=name)
    assert shown["geo_coverage"] == "จังหวัด"
    assert "รหัสไปรษณีย์" in {t["name"] for t in shown["tags"]}


def test_a_field_edited_on_the_portal_is_reported_as_drift_and_put_back(portal, ckan, catalog):
    assert run(portal, catalog).exit_code == 0
    name = next(n for n in catalog["folders"] if n.startswith("th-provinces"))
    ckan.action.package_patch(id=name, maintainer="แก้ไขด้วยมือบนพอร์ทัล")

    report = run(portal, catalog)
    assert report.drift == {name: ["maintainer"]}
    assert report.exit_code == 0 and not report.unconverged
    assert ckan.action.package_show(id=name)["maintainer"] == descriptor_of(catalog["folders"][name])["gdc"]["maintainer"]


def test_removed_package_is_deleted_only_with_prune_and_within_the_limit(portal, ckan, catalog, tmp_path, unique):
    extra = copy_catalog(catalog["dir"], unique, ["next-normal-4-0-plus", "policy-11-public-administration-reform"])
    catalog["folders"].update(extra)
    assert run(portal, catalog).exit_code == 0
    assert len(datasets_of(ckan, catalog)) == 4
    gone = next(n for n in catalog["folders"] if n.startswith("th-provinces"))
    shutil.rmtree(catalog["folders"].pop(gone))

    without = run(portal, catalog)
    assert without.writes == 0 and gone in datasets_of(ckan, catalog)

    pruned = run(portal, catalog, prune=True)
    assert pruned.exit_code == 0
    assert [(o.name, o.action) for o in pruned.outcomes] == [(gone, "delete")]
    assert set(datasets_of(ckan, catalog)) == set(catalog["folders"])
    assert ckan.action.package_show(id=gone)["state"] == "deleted"

    # a second package gone would be 2 of 3 (67 %): over the default limit of 25 %
    second = next(n for n in catalog["folders"] if n.startswith("public-sector-digital"))
    third = next(n for n in catalog["folders"] if n.startswith("next-normal"))
    shutil.rmtree(catalog["folders"].pop(second))
    shutil.rmtree(catalog["folders"].pop(third))
    refused = run(portal, catalog, prune=True)
    assert refused.exit_code == 1 and "more than the limit" in refused.plan.refused
    assert refused.writes == 0 and {second, third} <= set(datasets_of(ckan, catalog))

    # brought back, a deleted dataset is undeleted with the same id and URL
    restored = copy_catalog(catalog["dir"], unique, ["th-provinces"])
    catalog["folders"].update(restored)
    before = ckan.action.package_show(id=gone)["id"]
    again = run(portal, catalog)
    assert [(o.name, o.action) for o in again.outcomes if o.name == gone] == [(gone, "undelete")]
    shown = ckan.action.package_show(id=gone)
    assert shown["id"] == before and shown["state"] == "active" and shown["private"] is False


def broken_cases() -> list[str]:
    """Cases of the corpus that expect at least one error (some only expect a warning)."""
    found = []
    for expected in sorted((ROOT / "tests" / "broken").glob("*/expected.json")):
        if any(rules()[f["rule"]]["severity"] == "error" for f in json.loads(expected.read_text(encoding="utf-8"))):
            found.append(expected.parent.name)
    return found


def test_broken_packages_are_never_published(portal, ckan, unique, tmp_path):
    cases = broken_cases()
    assert len(cases) >= 30
    for case in cases:
        shutil.copytree(ROOT / "tests" / "broken" / case, tmp_path / case)
    report = sync(portal, tmp_path, catalog=f"broken-{unique}")
    assert report.exit_code == 1
    assert sorted(report.skipped) == cases
    assert report.writes == 0 and report.outcomes == []
    published = ckan.action.package_search(fq=f'extras_managed_by:"broken-{unique}"', include_private=True,
                                           include_drafts=True, rows=1000)
    assert published["count"] == 0


def test_plan_and_sync_cli_apply_a_saved_plan_and_refuse_a_stale_one(portal, ckan, catalog, tmp_path):
    args = ["--packages", str(catalog["dir"]), "--catalog", catalog["name"]]
    planned = publisher("plan", *args, "--json", check=False)
    assert planned.returncode == 1, planned.stderr
    saved = tmp_path / "plan.json"
    saved.write_text(planned.stdout, encoding="utf-8")
    body = json.loads(planned.stdout)
    assert {d["action"] for d in body["plan"]["datasets"]} == {"create"}

    applied = publisher("sync", *args, "--plan", str(saved), "--json", check=False)
    assert applied.returncode == 0, applied.stdout[-2000:] + applied.stderr[-2000:]
    assert json.loads(applied.stdout)["summary"]["created"] == 2

    stale = publisher("sync", *args, "--plan", str(saved), check=False)
    assert stale.returncode == 2 and "stale plan" in stale.stderr

    clean = publisher("plan", *args, check=False)
    assert clean.returncode == 0 and "2 unchanged" in clean.stdout
    for output in (planned, applied, stale, clean):
        assert portal.token not in output.stdout + output.stderr


def test_an_unreachable_portal_is_a_clear_error_with_exit_2(catalog):
    result = publisher("sync", "--packages", str(catalog["dir"]), "--catalog", catalog["name"],
                       "--portal", "http://127.0.0.1:9", check=False)
    assert result.returncode == 2
    assert "cannot reach the portal at http://127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_name_taken_by_a_dataset_of_another_catalog_is_refused_by_name(portal, ckan, catalog):
    name = next(n for n in catalog["folders"] if n.startswith("th-provinces"))
    other = {**catalog, "name": f"{catalog['name']}-other"}
    assert run(portal, other).exit_code == 0           # the same names, published by another catalog
    report = run(portal, catalog)
    assert report.exit_code == 2, report.to_json()["outcomes"]
    refused = next(o for o in report.outcomes if o.name == name)
    assert f"the name {name!r} is taken on the portal by a dataset this catalog does not manage" in refused.error
    assert ckan.action.package_show(id=name)["extras"] == datasets_of(ckan, other)[name]["extras"]


def test_a_dataset_missing_from_the_search_index_is_carried_on_not_duplicated(portal, ckan, catalog, stack):
    """The plan reads the search index; a dataset the index lost (a server killed mid-create can
    do that) is planned as new, and the database copy is found and brought up to date instead."""
    assert run(portal, catalog).exit_code == 0
    name = next(n for n in catalog["folders"] if n.startswith("th-provinces"))
    before = ckan.action.package_show(id=name)
    requests.post(f"{stack.solr_url}/update?commit=true", json={"delete": {"query": f'name:"{name}"'}},
                  auth=solr_credentials(stack), timeout=30).raise_for_status()
    assert name not in datasets_of(ckan, catalog)
    rewrite_csv(catalog["folders"][name], "provinces", "Krung Thep Maha Nakhon", "Krung Thep Maha Nakhon (Bangkok)")

    report = run(portal, catalog)
    assert report.exit_code == 0 and not report.unconverged, report.to_json()["outcomes"]
    assert [(o.name, o.action) for o in report.outcomes] == [(name, "update")]
    # the changed CSV, and the workbook and descriptor that carry it
    assert "package_create" not in report.calls and report.summary()["uploads"] == 3, report.calls
    after = ckan.action.package_show(id=name)
    assert after["id"] == before["id"]
    assert [r["id"] for r in after["resources"]] == [r["id"] for r in before["resources"]]
    assert run(portal, catalog).writes == 0


def test_duplicate_resources_left_by_an_interrupted_run_are_removed(portal, ckan, catalog):
    assert run(portal, catalog).exit_code == 0
    name = next(n for n in catalog["folders"] if n.startswith("th-provinces"))
    dataset = ckan.action.package_show(id=name)
    for key in ("provinces", DATAPACKAGE):        # what a retried create could leave behind
        original = next(r for r in dataset["resources"] if r[RESOURCE_KEY] == key)
        ckan.action.resource_create(package_id=dataset["id"], name=original["name"], url="http://example.invalid/x",
                                    **{RESOURCE_KEY: key, "hash": "0" * 64})
    report = run(portal, catalog)
    assert report.exit_code == 0 and not report.unconverged
    assert report.outcomes[0].deleted_resources == 2
    after = ckan.action.package_show(id=name)
    assert [r["id"] for r in after["resources"]] == [r["id"] for r in dataset["resources"]]
    assert run(portal, catalog).writes == 0


def test_an_invalid_package_whose_folder_is_not_its_dataset_name_keeps_its_dataset(portal, ckan, catalog):
    assert run(portal, catalog).exit_code == 0
    name, folder = next(iter(catalog["folders"].items()))
    moved = folder.with_name(f"{folder.name[:20]}-v2")        # a hand-made package: folder ≠ dataset name
    folder.rename(moved)
    resource = descriptor_of(moved)["resources"][0]["name"]
    data = moved / "data" / f"{resource}.csv"
    data.write_bytes(data.read_bytes() + b"\n")                  # invalid: its hash no longer fits
    report = run(portal, catalog, prune=True, prune_share=1.0)
    assert report.exit_code == 1 and list(report.skipped) == [moved.name], report.to_json()
    assert not [s.name for s in report.plan.datasets if s.action == "delete"]
    assert ckan.action.package_show(id=name)["state"] == "active"
