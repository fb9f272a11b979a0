"""The central catalog site harvests the portal with real, unmodified ckanext-harvest: what the
agency lets it take arrives identical, and nothing else arrives."""

from __future__ import annotations

import hashlib
import json
import urllib.request

import pytest

from tests.conftest import ROOT, complete_dataset, publisher

pytestmark = pytest.mark.portal


def test_a_ckan_harvest_takes_every_harvestable_dataset_identical_and_no_other(stack, ckan, organization, unique):
    publisher("sync")
    withheld = ckan.action.package_create(**{**complete_dataset(organization, f"withheld-{unique}"),
                                             "allow_harvest": "False"})
    # an empty central site: what earlier runs harvested (and the portal has since dropped) is gone
    up = json.loads(publisher("ckan", "reset", "--central", "--yes", "--json").stdout)
    assert up["central"]["state"] == "running" and up["central"]["datasets"] == 0, up

    result = publisher("harvest-check", "--json", check=False)
    report = json.loads(result.stdout)
    assert report["harvest"]["errors"] == [] and report["harvest"]["status"] == "Finished", report["harvest"]
    by_name = {item["name"]: item for item in report["datasets"]}
    ours = sorted(p.parent.name for p in (ROOT / "datapackages").glob("*/datapackage.json"))
    for name in ours:
        assert by_name[name]["expected"] and by_name[name]["on_central"], by_name.get(name)
        assert by_name[name]["differences"] == {}, by_name[name]
    assert by_name[withheld["name"]]["expected"] is False and by_name[withheld["name"]]["on_central"] is False
    assert result.returncode == 0 and report["ok"], [i for i in report["datasets"] if not i["ok"]]

    # a harvested resource downloads the repository's file byte for byte
    central = json.load(urllib.request.urlopen(
        f"http://127.0.0.1:{stack.central_port}/api/3/action/package_show?id=th-provinces"))["result"]
    resource = next(r for r in central["resources"] if r["url"].endswith("provinces.csv"))
    with urllib.request.urlopen(resource["url"]) as response:
        downloaded = hashlib.sha256(response.read()).hexdigest()
    expected = hashlib.sha256((ROOT / "datapackages" / "th-provinces" / "data" / "provinces.csv").read_bytes())
    assert downloaded == expected.hexdigest()

    # a second harvest with nothing changed writes nothing on the central site
    again = json.loads(publisher("harvest-check", "--json").stdout)["harvest"]["counts"]
    assert again["added"] == again["updated"] == again["deleted"] == again["errored"] == 0, again


def test_a_changed_title_reaches_the_central_site_and_what_should_leave_it_is_reported(stack, ckan, organization,
                                                                                         unique):
    names = {kind: f"{kind}-{unique}" for kind in ("retitled", "withdrawn", "pruned")}
    for name in names.values():
        ckan.action.package_create(**{**complete_dataset(organization, name), "allow_harvest": "True"})
    publisher("ckan", "up", "--central")
    first = json.loads(publisher("harvest-check", "--json", check=False).stdout)
    assert {n for n in names.values()} <= {i["name"] for i in first["datasets"] if i["on_central"]}

    ckan.action.package_patch(id=names["retitled"], title=f"ชื่อใหม่ของชุดข้อมูล ({unique})")
    ckan.action.package_patch(id=names["withdrawn"], allow_harvest="False")
    ckan.action.package_delete(id=names["pruned"])
    result = publisher("harvest-check", "--json", check=False)
    report = json.loads(result.stdout)
    by_name = {item["name"]: item for item in report["datasets"]}
    assert report["harvest"]["counts"]["updated"] >= 1
    assert by_name[names["retitled"]]["ok"] and by_name[names["retitled"]]["differences"] == {}
    # the stock CKAN harvester never deletes: the check names both, and fails
    for kind in ("withdrawn", "pruned"):
        assert by_name[names[kind]]["expected"] is False and by_name[names[kind]]["on_central"] is True
        assert by_name[names[kind]]["ok"] is False
    assert result.returncode == 1 and report["ok"] is False


def test_a_200_character_thai_title_and_a_deleted_resource_survive_the_harvest(stack, ckan, organization, unique):
    title = ("ข้อมูลสถิติการให้บริการภาครัฐผ่านช่องทางอิเล็กทรอนิกส์ " * 6)[:200]
    long_name, trimmed = f"long-title-{unique}", f"deleted-resource-{unique}"
    ckan.action.package_create(**{**complete_dataset(organization, long_name), "allow_harvest": "True",
                                  "title": title})
    dataset = ckan.action.package_create(**{**complete_dataset(organization, trimmed), "allow_harvest": "True"})
    for name in ("kept", "deleted"):
        ckan.action.resource_create(package_id=dataset["id"], name=name, format="CSV",
                                    url=f"https://example.invalid/{name}.csv")
    publisher("ckan", "up", "--central")
    publisher("harvest-check", "--json", check=False)
    gone = next(r for r in ckan.action.package_show(id=trimmed)["resources"] if r["name"] == "deleted")
    ckan.action.resource_delete(id=gone["id"])
    report = json.loads(publisher("harvest-check", "--json", check=False).stdout)
    by_name = {item["name"]: item for item in report["datasets"]}
    for name in (long_name, trimmed):
        assert by_name[name]["on_central"] and by_name[name]["differences"] == {}, by_name[name]
    central = json.load(urllib.request.urlopen(
        f"http://127.0.0.1:{stack.central_port}/api/3/action/package_show?id={long_name}"))["result"]
    assert central["title"] == title and len(central["title"]) == 200
    central = json.load(urllib.request.urlopen(
        f"http://127.0.0.1:{stack.central_port}/api/3/action/package_show?id={trimmed}"))["result"]
    assert [r["name"] for r in central["resources"]] == ["kept"]
