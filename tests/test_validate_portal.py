"""`publisher validate --portal`: what a live portal would refuse, known before publishing.

The pure tests feed portal answers (the dataset schema, the licence list, the organizations) to
the checking function, changed to offer less than our packages use. The `portal` tests read the
real local portal (started by the `stack` fixture); they only read.
"""

from __future__ import annotations

import copy
import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from publisher.catalog.client import Portal, read_token
from publisher.catalog.preflight import PortalError, PortalRules, fetch_portal_rules, portal_fields, portal_findings
from publisher.validate.findings import rules
from publisher.validate.run import validate

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "datapackages" / "covid19-lessons-learned"
SCHEMA = json.loads((ROOT / "schemas" / "ckan" / "gdc_dataset.json").read_text(encoding="utf-8"))
LICENCES = json.loads((ROOT / "schemas" / "ckan" / "licenses.json").read_text(encoding="utf-8"))
URL = "http://portal.invalid"


def descriptor() -> dict:
    return json.loads((PACKAGE / "datapackage.json").read_text(encoding="utf-8"))


def server(schema: dict | None = None, licences: list[dict] | None = None,
           organizations: tuple[str, ...] = ("opdc",)) -> PortalRules:
    return PortalRules.from_answers(URL, schema or SCHEMA, LICENCES if licences is None else licences,
                                    [{"name": name, "id": f"id-{name}"} for name in organizations])


def field_spec(schema: dict, name: str) -> dict:
    return next(f for f in schema["dataset_fields"] if f["field_name"] == name)


def found(rules_: PortalRules, package: dict | None = None) -> list[tuple[str, str]]:
    return [(f.rule, f.field) for f in portal_findings(package or descriptor(), "covid19-lessons-learned",
                                                       "datapackage.json", rules_)]


# --- the checking function, fed portal answers -----------------------------------------------------

def test_a_package_the_portal_accepts_has_no_findings():
    assert found(server()) == []


def test_fields_are_mapped_as_sync_sends_them():
    fields = portal_fields(descriptor())
    package = descriptor()
    assert fields["name"] == package["name"] and fields["title"] == package["title"]
    assert fields["owner_org"] == package["organization"]["name"]
    assert fields["tag_string"].split(",") == package["keywords"]
    assert package["description"].strip() in fields["notes"]
    for name, value in package["gdc"].items():
        assert fields[name] == value or sorted(fields[name]) == sorted(value), name


def test_a_licence_the_portal_does_not_offer_is_reported():
    schema = copy.deepcopy(SCHEMA)
    spec = field_spec(schema, "license_id")
    spec["choices"] = [c for c in spec["choices"] if c["value"] != "Creative Commons Attributions"]
    licences = [l for l in LICENCES if l["id"] != "Creative Commons Attributions"]
    assert found(server(schema, licences)) == [("portal.license", "license_id")]
    # the schema's choices decide, as the portal validates: without the licence there, it is
    # refused even though the register still lists it
    assert found(server(schema, LICENCES)) == [("portal.license", "license_id")]


# CKAN's default licence register as license_list answers it (ckan/model/license.py), which a
# thai_gdc portal keeps: it ships no register of its own, only the schema's license_id choices.
CKAN_DEFAULT_REGISTER = [
    {"id": "notspecified", "title": "License not specified", "url": "", "od_conformance": "not reviewed",
     "osd_conformance": "not reviewed", "status": "active", "maintainer": "", "family": "",
     "domain_content": False, "domain_data": False, "domain_software": False, "is_generic": True,
     "is_okd_compliant": False, "is_osi_compliant": False},
    {"id": "cc-by", "title": "Creative Commons Attribution", "url": "http://www.opendefinition.org/licenses/cc-by",
     "od_conformance": "approved", "osd_conformance": "not reviewed", "status": "active", "maintainer": "",
     "family": "", "domain_content": True, "domain_data": False, "domain_software": False, "is_generic": False,
     "is_okd_compliant": True, "is_osi_compliant": False},
    {"id": "cc-by-sa", "title": "Creative Commons Attribution Share-Alike",
     "url": "http://www.opendefinition.org/licenses/cc-by-sa", "od_conformance": "approved",
     "osd_conformance": "not reviewed", "status": "active", "maintainer": "", "family": "",
     "domain_content": True, "domain_data": False, "domain_software": False, "is_generic": False,
     "is_okd_compliant": True, "is_osi_compliant": False},
]


def test_licences_are_the_schema_choices_when_the_register_disagrees():
    """A thai_gdc site: CKAN's default register beside the GD-Catalog choices. It accepts
    'Creative Commons Attributions' (the schema offers it), and refuses 'cc-by' (the schema does not)."""
    thai_gdc = server(licences=CKAN_DEFAULT_REGISTER)
    assert "Creative Commons Attributions" not in thai_gdc.licences
    assert found(thai_gdc) == []
    package = descriptor()
    package["gdc"]["license_id"] = "cc-by"
    assert found(thai_gdc, package) == [("portal.license", "license_id")]


def test_the_register_decides_only_when_the_schema_offers_no_licence_choices():
    schema = copy.deepcopy(SCHEMA)
    spec = field_spec(schema, "license_id")
    del spec["choices"]
    spec["choices_helper"] = "scheming_licenses"
    assert found(server(schema, CKAN_DEFAULT_REGISTER)) == [("portal.license", "license_id")]
    assert found(server(schema, LICENCES)) == []


def test_a_choice_the_portal_does_not_offer_is_reported_for_each_value():
    schema = copy.deepcopy(SCHEMA)
    spec = field_spec(schema, "objective")
    spec["choices"] = [c for c in spec["choices"] if c["value"] != "มติคณะรัฐมนตรี"]
    field_spec(schema, "geo_coverage")["choices"] = [{"value": "จังหวัด", "label": "จังหวัด"}]
    findings = portal_findings(descriptor(), "p", "datapackage.json", server(schema))
    assert sorted((f.rule, f.field) for f in findings) == [("portal.choice", "geo_coverage"),
                                                          ("portal.choice", "objective")]
    assert any("มติคณะรัฐมนตรี" in f.message for f in findings)


def test_a_field_the_portal_requires_is_reported_when_empty():
    schema = copy.deepcopy(SCHEMA)
    field_spec(schema, "data_support")["required"] = True
    assert "data_support" not in descriptor()["gdc"]
    assert found(server(schema)) == [("portal.required", "data_support")]
    package = descriptor()
    package["keywords"] = []
    del package["gdc"]["data_source"]
    assert sorted(found(server(), package)) == [("portal.required", "data_source"), ("portal.required", "tag_string")]


def test_a_package_sync_cannot_map_is_still_checked_field_by_field():
    package = descriptor()
    del package["title"]
    del package["organization"]
    assert sorted(found(server(), package)) == [("portal.required", "title")]


def test_an_organization_missing_on_the_portal_is_a_warning():
    assert found(server(organizations=("nso",))) == [("portal.organization", "owner_org")]
    assert rules()["portal.organization"]["severity"] == "warning"
    for rule in ("portal.required", "portal.choice", "portal.license"):
        assert rules()[rule]["severity"] == "error"
        assert rules()[rule]["title_th"] and rules()[rule]["hint_th"] and rules()[rule]["hint_en"]


def test_validate_applies_the_portal_rules_to_every_package(tmp_path):
    schema = copy.deepcopy(SCHEMA)
    field_spec(schema, "data_category")["choices"] = [{"value": "ข้อมูลความมั่นคง", "label": "x"}]
    result = validate([ROOT / "tests" / "broken" / "_valid"], portal=server(schema))
    assert [(f.rule, f.field) for f in result.findings] == [("portal.choice", "data_category")]
    assert not result.valid()


def test_an_unreachable_portal_raises_without_the_token():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = "secret-token-" + "x" * 30
    with pytest.raises(PortalError) as caught:
        fetch_portal_rules(Portal(f"http://127.0.0.1:{port}", token))
    assert str(port) in str(caught.value) and token not in str(caught.value)


# --- the real local portal (read only) ----------------------------------------------------------------

def publisher(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "publisher", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


@pytest.mark.portal
def test_the_local_portal_answers_anonymously(stack):
    live = fetch_portal_rules(Portal(stack.ckan_url, None))
    assert "Creative Commons Attributions" in live.licences and "อื่นๆ" in live.licences
    assert {"title", "notes", "tag_string", "license_id", "data_category", "name"} <= set(live.required())
    assert "ข้อมูลสาธารณะ" in live.choices()["data_category"]


@pytest.mark.portal
def test_the_real_packages_pass_the_live_portal_and_a_changed_one_does_not(stack, tmp_path):
    live = fetch_portal_rules(Portal(stack.ckan_url, read_token(env={}, default_file=stack.token_file)))
    result = validate([PACKAGE], portal=live)
    assert [f for f in result.findings if f.rule in ("portal.required", "portal.choice", "portal.license")] == []
    copy_ = tmp_path / "covid19-lessons-learned"
    shutil.copytree(PACKAGE, copy_)
    package = json.loads((copy_ / "datapackage.json").read_text(encoding="utf-8"))
    package["gdc"]["license_id"] = "Open Government Licence v3.0"
    package["gdc"]["geo_coverage"] = "ทวีป"
    (copy_ / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    portal = [(f.rule, f.field) for f in validate([copy_], portal=live).findings if f.rule.startswith("portal.")]
    assert sorted(portal) == [("portal.choice", "geo_coverage"), ("portal.license", "license_id")]


@pytest.mark.portal
def test_cli_portal_local_reports_the_portal_and_never_the_token(stack):
    run = publisher("validate", str(ROOT / "tests" / "broken" / "_valid"), "--portal", "local", "--json")
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(run.stdout)
    assert report["portal"] == stack.ckan_url and report["valid"] is True
    token = read_token(env={}, default_file=stack.token_file)
    assert token and token not in run.stdout + run.stderr


def test_cli_exits_2_when_the_portal_cannot_be_read():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run = publisher("validate", str(ROOT / "tests" / "broken" / "_valid"), "--portal", f"http://127.0.0.1:{port}")
    assert run.returncode == 2, run.stdout + run.stderr
    assert "portal unreachable" in run.stderr and str(port) in run.stderr
    bad = publisher("validate", "--portal", "datapackages/th-provinces")
    assert bad.returncode == 2 and "--portal" in bad.stderr
