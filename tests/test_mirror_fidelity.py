"""Where the local portal must behave as a data.go.th portal (ckanext-thai_gdc) does, and where
it deliberately differs, checked against real CKAN.

A thai_gdc portal keeps CKAN's default licence register (cc-by, odc-by, …) beside a dataset schema
whose license_id choices are the GD-Catalog strings. The `register_site` fixture is such a site:
a second CKAN server on the local portal's database and settings, without our licence register.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import ckanapi
import pytest
import requests
from rdflib import Graph, Namespace, URIRef

from publisher.catalog.client import Portal
from publisher.catalog.preflight import fetch_portal_rules
from publisher.validate.run import validate
from tests.catalog_copy import copy_catalog
from tests.conftest import ROOT, complete_dataset, publisher

pytestmark = pytest.mark.portal

PACKAGES = sorted(p.parent for p in (ROOT / "datapackages").glob("*/datapackage.json"))
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
OUR_REGISTER = {l["id"]: l for l in json.loads((ROOT / "schemas" / "ckan" / "licenses.json").read_text(encoding="utf-8"))}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/api/3/action/status_show", timeout=5).ok
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def register_site(stack, tmp_path_factory):
    """The local portal's settings without `licenses_group_url`, served on a port of its own."""
    folder = tmp_path_factory.mktemp("register-site")
    port = free_port()
    lines = []
    for line in stack.ckan_ini.read_text(encoding="utf-8").splitlines():
        key = line.partition("=")[0].strip()
        if key == "licenses_group_url":
            continue
        lines.append(f"ckan.site_url = http://127.0.0.1:{port}" if key == "ckan.site_url" else line)
    ini = folder / "ckan.ini"
    ini.touch(mode=0o600)
    ini.write_text("\n".join(lines) + "\n", encoding="utf-8")
    url = f"http://127.0.0.1:{port}"
    with open(folder / "ckan.log", "wb") as log:
        process = subprocess.Popen(
            [stack.ckan_bin("gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "120",
             "--pythonpath", str(ROOT / "stack" / "ckan"), "wsgi:application"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**stack.ckan_env(), "CKAN_INI": str(ini)}, cwd=stack.state, start_new_session=True)
    try:
        for _ in range(300):
            if answers(url) or process.poll() is not None:
                break
            time.sleep(1)
        assert answers(url), (folder / "ckan.log").read_text(errors="replace")[-3000:]
        yield url
    finally:
        process.terminate()
        process.wait(timeout=60)


@pytest.fixture
def made(ckan) -> Iterator[list[str]]:
    """Ids of the datasets a test creates, deleted after it: the home page lists the ten agencies
    with the most datasets, which a test's own agencies must not push the real ones out of."""
    ids: list[str] = []
    yield ids
    for dataset_id in ids:
        try:
            ckan.action.package_delete(id=dataset_id)
        except ckanapi.NotFound:
            pass


# --- licences: the schema's choices decide, as on a thai_gdc portal --------------------------------

def test_validate_portal_reads_the_licences_the_way_a_thai_gdc_site_validates_them(register_site, portal, organization,
                                                                                   unique, made):
    site = fetch_portal_rules(Portal(register_site, None))
    assert "cc-by" in site.licences and "Creative Commons Attributions" not in site.licences
    result = validate(PACKAGES, portal=site)
    assert [f for f in result.findings if f.rule.startswith("portal.") and f.rule != "portal.organization"] == []

    # and the site agrees: it accepts the GD-Catalog string its register lacks, and refuses the
    # register's own id, which its schema does not offer
    there = Portal(register_site, portal.token).client()
    created = there.action.package_create(**complete_dataset(organization, f"lic-{unique}"))
    made.append(created["id"])
    assert created["license_id"] == "Creative Commons Attributions"
    refused = complete_dataset(organization, f"lic2-{unique}")
    refused["license_id"] = "cc-by"
    with pytest.raises(ckanapi.ValidationError) as rejected:
        there.action.package_create(**refused)
    assert "license_id" in rejected.value.error_dict
    package = json.loads((PACKAGES[0] / "datapackage.json").read_text(encoding="utf-8"))
    package["gdc"]["license_id"] = "cc-by"
    from_site = site(package, PACKAGES[0].name, "datapackage.json")
    assert [(f.rule, f.field) for f in from_site if f.rule != "portal.organization"] == [
        ("portal.license", "license_id")]


def test_the_licence_register_is_what_our_portal_adds_to_a_thai_gdc_answer(register_site, portal, ckan, organization,
                                                                           unique, made):
    """The same dataset read from both sites: the stored licence is the same string, and only our
    register adds whether it is open and where its text is. (Both sites share one search index,
    which package_show answers from; include_plugin_data makes each read its own database.)"""
    created = ckan.action.package_create(**complete_dataset(organization, f"reg-{unique}"))
    made.append(created["id"])
    ours = ckan.action.package_show(id=created["id"], include_plugin_data=True)
    theirs = Portal(register_site, portal.token).client().action.package_show(id=created["id"],
                                                                                include_plugin_data=True)
    assert ours["license_id"] == theirs["license_id"] == ours["license_title"] == theirs["license_title"]
    assert theirs["isopen"] is False and not theirs.get("license_url")
    assert ours["isopen"] is True and ours["license_url"] == OUR_REGISTER[ours["license_id"]]["url"]


@pytest.mark.parametrize("licence, other", [
    ("Creative Commons Attributions", ""),
    ("Creative Commons Non-Commercial (Any)", ""),
    ("License not specified", ""),
    ("อื่นๆ", "สัญญาอนุญาตของหน่วยงาน (ทดสอบ)"),
])
def test_portal_dcat_and_schema_org_give_the_same_licence(stack, ckan, organization, unique, made, licence, other):
    dataset = complete_dataset(organization, f"out-{unique}")
    dataset.update(license_id=licence, license_id_other=other,
                   resources=[{"name": "table", "url": "https://example.invalid/table.csv", "format": "CSV"}])
    shown = ckan.action.package_create(**dataset)
    made.append(shown["id"])
    entry = OUR_REGISTER[licence]
    assert shown["isopen"] is (entry["od_conformance"] == "approved")
    assert (shown.get("license_url") or "") == entry["url"]
    said = other or shown["license_title"]

    graph = Graph().parse(data=requests.get(f"{stack.ckan_url}/dataset/{dataset['name']}.ttl", timeout=60).content.decode(),
                          format="turtle")
    subject = next(graph.subjects(DCAT.distribution, None))
    holders = [subject, *graph.objects(subject, DCAT.distribution)]
    licences = [set(graph.objects(holder, DCT.license)) for holder in holders]
    assert all(len(found) == 1 for found in licences) and len(set.union(*licences)) == 1
    node = next(iter(licences[0]))
    if entry["url"]:
        assert node == URIRef(entry["url"])
    else:
        assert [str(label) for label in graph.objects(node, RDFS.label)] == [said]

    page = requests.get(f"{stack.ckan_url}/dataset/{dataset['name']}", timeout=60).text
    markup = page.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    nodes = json.loads(markup)["@graph"]
    schema_licence = [n["schema:license"] for n in nodes if "schema:license" in n]
    assert schema_licence == [entry["url"] or said]


# --- names in the trash ----------------------------------------------------------------------------

def test_a_name_held_by_a_deleted_dataset_is_refused_and_stays_with_it(ckan, organization, unique, made):
    first = complete_dataset(organization, f"trash-{unique}")
    created = ckan.action.package_create(**first)
    ckan.action.package_delete(id=created["id"])

    again = complete_dataset(organization, f"trash-{unique}")
    again["title"] += " (again)"
    with pytest.raises(ckanapi.ValidationError) as rejected:
        ckan.action.package_create(**again)
    assert list(k for k in rejected.value.error_dict if not k.startswith("__")) == ["name"]
    # CKAN core would have renamed the deleted dataset to its id; here it keeps its name
    held = ckan.action.package_show(id=first["name"])
    assert held["id"] == created["id"] and held["state"] == "deleted"

    other = ckan.action.package_create(**complete_dataset(organization, f"trash2-{unique}"))
    made.extend([created["id"], other["id"]])
    with pytest.raises(ckanapi.ValidationError) as renamed:
        ckan.action.package_patch(id=other["id"], name=first["name"])
    assert "name" in renamed.value.error_dict

    restored = ckan.action.package_patch(id=created["id"], state="active")
    assert (restored["id"], restored["name"], restored["state"]) == (created["id"], first["name"], "active")


def test_sync_prune_then_restore_brings_the_dataset_back_with_its_id(ckan, organization, unique, made, tmp_path):
    packages, aside = tmp_path / "packages", tmp_path / "aside"
    folders = copy_catalog(packages, unique, ["th-provinces", "public-sector-digital-indicators"])
    catalog = ["--packages", str(packages), "--catalog", f"test-{unique}", "--json"]
    assert json.loads(publisher("sync", *catalog).stdout)["summary"]["created"] == 2
    made.extend(folders)
    gone = next(n for n in folders if n.startswith("th-provinces"))
    first_id = ckan.action.package_show(id=gone)["id"]

    aside.mkdir()
    shutil.move(str(folders[gone]), str(aside / gone))
    pruned = json.loads(publisher("sync", *catalog, "--prune", "--prune-limit", "0.5").stdout)
    assert [(o["name"], o["action"]) for o in pruned["outcomes"]] == [(gone, "delete")]
    assert ckan.action.package_show(id=gone)["state"] == "deleted"

    # while it is in the trash, nobody else takes its name
    taker = complete_dataset(organization, gone)
    with pytest.raises(ckanapi.ValidationError) as rejected:
        ckan.action.package_create(**taker)
    assert "name" in rejected.value.error_dict

    shutil.move(str(aside / gone), str(folders[gone]))
    restored = json.loads(publisher("sync", *catalog).stdout)
    assert [(o["name"], o["action"]) for o in restored["outcomes"]] == [(gone, "undelete")]
    shown = ckan.action.package_show(id=gone)
    assert (shown["id"], shown["state"], shown["private"]) == (first_id, "active", False)


# --- what CKAN 2.11 itself refuses that a thai_gdc schema or data may use -------------------------------

def ckan_python(stack, code: str) -> str:
    run = subprocess.run([stack.ckan_bin("python"), "-c", code], capture_output=True, text=True,
                         env=stack.ckan_env(), timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout.strip()


def test_ckan_2_11_knows_no_unicode_validator_and_refuses_thai_tags(stack):
    """thai_gdc's released schema names `unicode` (CKAN 2.9 and before); 2.11 has only
    `unicode_safe`. Core's tag rule refuses Thai vowel and tone marks, which gdc_mirror allows."""
    known = ckan_python(stack, "\n".join([
        "from ckan.logic import get_validator, UnknownValidator",
        "from ckan.logic.validators import tag_name_validator",
        "from ckan.lib.navl.dictization_functions import Invalid",
        "def known(name):",
        "    try: get_validator(name); return True",
        "    except UnknownValidator: return False",
        "def tag(value):",
        "    try: tag_name_validator(value, {}); return True",
        "    except Invalid: return False",
        "import json",
        "print(json.dumps({'unicode': known('unicode'), 'unicode_safe': known('unicode_safe'),",
        "                  'thai_tag': tag('รัฐบาลดิจิทัล'), 'latin_tag': tag('e-Service')}))",
    ]))
    assert json.loads(known) == {"unicode": False, "unicode_safe": True, "thai_tag": False, "latin_tag": True}
