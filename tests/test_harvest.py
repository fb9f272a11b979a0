"""The central catalog site harvests the portal with real, unmodified ckanext-harvest and
ckanext-dcat harvesters, each kind in turn: what the agency lets it take arrives identical (every
file byte for byte), nothing else arrives, a change reaches it at the next harvest, and a harvest
with nothing changed writes nothing. One central site per session; small data (one repository
package, a few datasets of the test's own, one 20 MB file)."""

from __future__ import annotations

import hashlib
import json
import urllib.request
from pathlib import Path

import pytest

from publisher.catalog.client import Portal, read_token
from publisher.catalog.sync import sync
from tests.catalog_copy import copy_catalog, rewrite_csv, sha256_file
from tests.conftest import complete_dataset, publisher

pytestmark = pytest.mark.portal

THAI_FILLER = "ข้อมูลสถิติการให้บริการภาครัฐผ่านช่องทางอิเล็กทรอนิกส์ " * 6
BIG = 20 * 1024 * 1024


@pytest.fixture(scope="module")
def central(stack) -> str:
    """An empty central site, started once for the module."""
    up = json.loads(publisher("ckan", "reset", "--central", "--yes", "--json").stdout)
    assert up["central"]["state"] == "running" and up["central"]["datasets"] == 0, up
    return f"http://127.0.0.1:{stack.central_port}"


@pytest.fixture(scope="module")
def big_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.csv"
    row = "รหัส,ค่า\n".encode("utf-8") + b"".join(f"{i:08d},{i * 7 % 1000:03d}\n".encode() for i in range(1000))
    path.write_bytes((row * (BIG // len(row) + 1))[:BIG])
    return path


def harvest(kind: str) -> dict:
    result = publisher("harvest-check", "--kind", kind, "--json", check=False)
    report = json.loads(result.stdout)
    assert report["harvest"]["errors"] == [] and report["harvest"]["status"] == "Finished", report["harvest"]
    report["exit"] = result.returncode
    report["by_name"] = {item["name"]: item for item in report["datasets"]}
    return report


def assert_identical_and_alone(report: dict) -> None:
    """Every public dataset with allow_harvest "True" arrived with no field differing; no other."""
    wrong = [item for item in report["datasets"] if not item["ok"]]
    assert wrong == [] and report["ok"] and report["exit"] == 0, wrong


def show(site: str, name: str) -> dict:
    with urllib.request.urlopen(f"{site}/api/3/action/package_show?id={name}") as response:
        return json.load(response)["result"]


def sha256_url(url: str) -> str:
    digest = hashlib.sha256()
    with urllib.request.urlopen(url) as response:
        for chunk in iter(lambda: response.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def assert_files_byte_for_byte(central: str, name: str, files: dict[str, Path], others: set[str] = set()) -> None:
    """Every resource of the dataset on the central site downloads its repository file (by file
    name); ``others``: the file names that are no repository file as such."""
    resources = show(central, name)["resources"]
    by_file = {r["url"].rsplit("/", 1)[-1]: r["url"] for r in resources}
    assert set(by_file) == set(files) | others, name
    for file, path in files.items():
        assert sha256_url(by_file[file]) == sha256_file(path), by_file[file]


def package_files(folder: Path) -> dict[str, Path]:
    """The tables and the workbook; datapackage.json is published as the portal's descriptor of
    the dataset (its URLs and hashes), not as the repository's file."""
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    paths = [folder / r["path"] for r in descriptor["resources"]] + list((folder / "data").glob("*.xlsx"))
    return {path.name: path for path in paths}


@pytest.mark.parametrize("kind", ["ckan", "dcat"])
def test_a_harvest_takes_what_the_agency_allows_keeps_it_in_step_and_writes_nothing_when_nothing_changed(
        stack, central, big_file, organization, unique, tmp_path, kind):
    portal = Portal(stack.ckan_url, read_token(env={}, default_file=stack.token_file))
    ckan = portal.client()
    catalog = f"harvest-{unique}"
    [(package, folder)] = copy_catalog(tmp_path, unique, ["th-provinces"]).items()
    assert sync(portal, tmp_path, catalog=catalog).exit_code == 0
    long_title = f"{unique} {THAI_FILLER}"[:200]   # titles are unique on the portal
    names = {what: f"{what}-{unique}" for what in ("withheld", "long-title", "trimmed", "big", "retitled",
                                                   "withdrawn", "pruned")}
    for what, name in names.items():
        extra = {"allow_harvest": "False" if what == "withheld" else "True"}
        if what == "long-title":
            extra["title"] = long_title
        dataset = ckan.action.package_create(**{**complete_dataset(organization, name), **extra})
        if what == "trimmed":
            for resource in ("kept", "deleted"):
                ckan.action.resource_create(package_id=dataset["id"], name=resource, format="CSV",
                                            url=f"https://example.invalid/{resource}.csv")
        if what == "big":
            with big_file.open("rb") as upload:
                ckan.action.resource_create(package_id=dataset["id"], name="ไฟล์ 20 MB", format="CSV",
                                            upload=upload)

    first = harvest(kind)
    assert_identical_and_alone(first)
    assert first["by_name"][names["withheld"]]["on_central"] is False
    for name in set(names.values()) - {names["withheld"]} | {package}:
        assert first["by_name"][name]["on_central"], name
    assert show(central, names["long-title"])["title"] == long_title and len(long_title) == 200
    assert show(central, names["big"])["organization"]["name"] == organization["name"]
    assert_files_byte_for_byte(central, package, package_files(folder), {"datapackage.json"})
    assert_files_byte_for_byte(central, names["big"], {"big.csv": big_file})

    unchanged = harvest(kind)["harvest"]
    assert unchanged["writes"] == 0 and unchanged["counts"]["added"] == unchanged["counts"]["updated"] == 0, unchanged

    # one CSV changed, one title changed, one dataset pruned, one withdrawn, one resource deleted
    rewrite_csv(folder, "provinces", "Krung Thep Maha Nakhon", "Krung Thep Maha Nakhon (Bangkok)")
    assert sync(portal, tmp_path, catalog=catalog).exit_code == 0
    ckan.action.package_patch(id=names["retitled"], title=f"ชื่อใหม่ของชุดข้อมูล ({unique})")
    ckan.action.package_patch(id=names["withdrawn"], allow_harvest="False")
    ckan.action.package_delete(id=names["pruned"])
    gone = next(r for r in ckan.action.package_show(id=names["trimmed"])["resources"] if r["name"] == "deleted")
    ckan.action.resource_delete(id=gone["id"])

    changed = harvest(kind)
    assert_identical_and_alone(changed)
    for what in ("withdrawn", "pruned"):
        assert changed["by_name"].get(names[what], {"on_central": False})["on_central"] is False, what
    assert changed["harvest"]["counts"]["deleted"] == 2, changed["harvest"]
    assert show(central, names["retitled"])["title"] == f"ชื่อใหม่ของชุดข้อมูล ({unique})"
    assert [r["name"] for r in show(central, names["trimmed"])["resources"]] == ["kept"]
    assert_files_byte_for_byte(central, package, package_files(folder), {"datapackage.json"})

    again = harvest(kind)["harvest"]
    assert again["writes"] == 0 and again["counts"]["deleted"] == 0, again
