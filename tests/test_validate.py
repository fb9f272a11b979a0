"""`publisher validate` against a corpus of deliberately broken packages.

tests/broken/_valid/ is a small valid package (rows copied from datapackages/covid19-lessons-learned,
provenance exact). Every other folder of tests/broken/ differs from it by one defect (the consistency-*
cases differ by one cell from a real package, whose name they keep) and lists in expected.json the
findings it must produce: {"rule", "file", "row", "field"}, file relative to the
package folder, row the CSV's physical row (header = 1) or null.

No portal is needed: these tests read files only and run in a few seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

from publisher.validate.findings import Finding, Result, canonical, rules
from publisher.validate.personal import personal_data_in
from publisher.validate.run import validate

ROOT = Path(__file__).resolve().parents[1]
BROKEN = ROOT / "tests" / "broken"
VALID = BROKEN / "_valid"
CASES = sorted(p.name for p in BROKEN.iterdir() if (p / "expected.json").is_file())
# a few cases also go through the command line, one per kind of check
CLI_CASES = ["encoding-tis620", "foreign-key-broken", "gdc-data-source-missing", "number-not-in-passage",
             "personal-phone-thai-digits", "invalid-json", "consistency-fact-conflict"]


@lru_cache(maxsize=None)
def result_of(case: str) -> Result:
    return validate([BROKEN / case])


def expected_of(case: str) -> list[dict]:
    return json.loads((BROKEN / case / "expected.json").read_text(encoding="utf-8"))


def matches(finding: Finding | dict, want: dict, case: str) -> bool:
    get = finding.get if isinstance(finding, dict) else lambda name: getattr(finding, name)
    file = get("file").replace(os.sep, "/")
    return (get("rule") == want["rule"] and file.endswith(f"{case}/{want['file']}")
            and get("row") == want["row"] and get("field") == want["field"])


def describe(findings) -> str:
    return "\n".join(f"  {f.rule} {f.file}:{f.row} [{f.field}] {f.message}" for f in findings) or "  (none)"


def publisher(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "publisher", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


# --- the corpus ------------------------------------------------------------------------

def test_corpus_has_at_least_30_cases_each_a_full_package():
    assert len(CASES) >= 30, CASES
    for case in CASES:
        folder = BROKEN / case
        assert (folder / "datapackage.json").is_file(), case
        if case not in ("data-file-missing", "invalid-json"):
            descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
            for resource in descriptor["resources"]:
                assert (folder / resource["path"]).is_file(), (case, resource["path"])
        expected = expected_of(case)
        assert expected, f"{case}: expected.json lists no finding"
        for want in expected:
            assert set(want) == {"rule", "file", "row", "field"}, (case, want)
            assert want["rule"] in rules(), (case, want["rule"])
            assert want["file"] == "datapackage.json" or want["file"].startswith("data/"), (case, want)


def test_base_package_is_valid_with_no_findings():
    result = validate([VALID])
    assert result.packages == ["_valid"]
    assert result.findings == [], describe(result.findings)
    assert result.valid(strict=True)


def test_base_package_is_valid_on_the_command_line():
    run = publisher("validate", str(VALID), "--strict", "--json")
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(run.stdout)
    assert report["valid"] is True and report["findings"] == [] and report["errors"] == 0


# --- every case: the findings it must produce, and nothing else ---------------------------

@pytest.mark.parametrize("case", CASES)
def test_case_reports_its_expected_findings(case):
    result = result_of(case)
    assert result.packages == [case]
    for want in expected_of(case):
        assert any(matches(f, want, case) for f in result.findings), \
            f"{case}: missing {want}; found:\n{describe(result.findings)}"


@pytest.mark.parametrize("case", CASES)
def test_case_reports_nothing_but_its_one_defect(case):
    result = result_of(case)
    expected = expected_of(case)
    unexpected = [f for f in result.findings if not any(matches(f, want, case) for want in expected)]
    assert not unexpected, f"{case}: unexpected findings:\n{describe(unexpected)}"
    assert all(f.package == case for f in result.findings)


@pytest.mark.parametrize("case", CASES)
def test_errors_make_the_package_invalid(case):
    result = result_of(case)
    severities = {rules()[want["rule"]]["severity"] for want in expected_of(case)}
    assert not result.valid(strict=True)
    if "error" in severities:
        assert not result.valid()
        assert result.invalid_packages() == {case}
    else:  # warnings only: valid unless --strict
        assert result.valid() and result.errors() == []
        assert result.invalid_packages(strict=True) == {case}


def test_folder_of_packages_validates_each_one():
    result = validate([BROKEN])
    assert sorted(result.packages) == sorted(["_valid", *CASES])
    warnings_only = {case for case in CASES
                     if all(rules()[w["rule"]]["severity"] == "warning" for w in expected_of(case))}
    assert warnings_only == set(), "every case of the corpus must keep sync from publishing it"
    assert result.invalid_packages() == set(CASES) - warnings_only
    assert result.invalid_packages(strict=True) == set(CASES)


# --- the command line -------------------------------------------------------------------

@pytest.mark.parametrize("case", CLI_CASES)
def test_cli_json_exits_1_with_the_findings(case):
    run = publisher("validate", str(BROKEN / case), "--json")
    assert run.returncode == 1, run.stdout + run.stderr
    report = json.loads(run.stdout)
    assert set(report) == {"valid", "strict", "packages", "errors", "warnings", "findings"}
    assert report["valid"] is False and report["strict"] is False
    assert report["packages"] == [case]
    assert report["errors"] == sum(f["severity"] == "error" for f in report["findings"]) >= 1
    assert report["warnings"] == sum(f["severity"] == "warning" for f in report["findings"])
    for finding in report["findings"]:
        assert set(finding) == {"rule", "package", "file", "message", "row", "field", "severity", "title", "hint"}
        assert finding["hint"] == rules()[finding["rule"]]["hint_en"]
    for want in expected_of(case):
        assert any(matches(f, want, case) for f in report["findings"]), (want, report["findings"])


def test_cli_lang_th_prints_the_thai_hint():
    case = "personal-phone-thai-digits"
    run = publisher("validate", str(BROKEN / case), "--lang", "th")
    assert run.returncode == 1, run.stdout + run.stderr
    rule = rules()["personal.phone"]
    assert rule["hint_th"] in run.stdout
    assert rule["title_th"] in run.stdout
    assert rule["hint_en"] not in run.stdout
    report = json.loads(publisher("validate", str(BROKEN / case), "--lang", "th", "--json").stdout)
    assert [f["hint"] for f in report["findings"]] == [rule["hint_th"]]


def test_cli_bom_missing_is_an_error_so_sync_never_publishes_it():
    # Excel shows a BOM-less Thai CSV garbled; sync refuses packages with errors
    run = publisher("validate", str(BROKEN / "bom-missing"), "--json")
    assert run.returncode == 1, run.stdout + run.stderr
    report = json.loads(run.stdout)
    assert report["valid"] is False and report["errors"] == 1 and report["warnings"] == 0
    assert [f["rule"] for f in report["findings"]] == ["table.bom"]


def test_cli_exits_2_on_a_path_that_does_not_exist():
    run = publisher("validate", str(BROKEN / "no-such-package"), "--json")
    assert run.returncode == 2, run.stdout + run.stderr
    assert "no-such-package" in run.stderr


def test_cli_exits_2_on_an_unknown_language():
    run = publisher("validate", str(VALID), "--lang", "fr")
    assert run.returncode == 2, run.stdout + run.stderr


# --- the real packages ------------------------------------------------------------------

def test_real_covid19_package_has_no_errors():
    # only this package: the others under datapackages/ are being written right now
    result = validate([ROOT / "datapackages" / "covid19-lessons-learned"])
    assert result.packages == ["covid19-lessons-learned"]
    assert result.errors() == [], describe(result.errors())


# --- helpers the cases rely on ----------------------------------------------------------

def test_canonical_composes_sara_am_and_orders_marks():
    assert canonical("ต\u0e4d\u0e32บล") == "ตำบล"
    assert canonical("น\u0e49\u0e4d\u0e32") == canonical("น\u0e4d\u0e49\u0e32") == "น้ำ"
    assert canonical("ผ\u0e49\u0e39") == "ผู้"
    assert canonical("ตำบล") == "ตำบล"


@pytest.mark.parametrize("text", [
    "นายกรัฐมนตรี ได้มีข้อสั่งการ",           # a role, not a name
    "ติดต่อ opendata@opdc.go.th",              # a role mailbox
    "ร้อยละ ๕๖.๔๑ จาก ๓๙ หน่วยงาน",            # numbers, not a phone
    "1101700230700",                           # 13 digits with a wrong check digit
])
def test_personal_data_is_not_flagged_in_ordinary_text(text):
    assert personal_data_in(text) == []


@pytest.mark.parametrize("content", ["[1, 2]", '"a string"', "42", "null"])
def test_a_descriptor_that_is_not_a_json_object_is_a_finding_not_a_crash(tmp_path, content):
    import shutil

    shutil.copytree(VALID, tmp_path / "_valid")
    (tmp_path / "not-an-object").mkdir()
    (tmp_path / "not-an-object" / "datapackage.json").write_text(content, encoding="utf-8")
    result = validate([tmp_path])
    assert sorted(result.packages) == ["_valid", "not-an-object"]
    assert [(f.rule, f.package) for f in result.findings] == [("package.shape", "not-an-object")]
    run = publisher("validate", str(tmp_path), "--json")
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert [f["rule"] for f in json.loads(run.stdout)["findings"]] == ["package.shape"]


def test_a_published_dataset_whose_contact_is_on_a_reserved_domain_is_reported(tmp_path):
    """Harvesters copy the contact: opendata@publisher.invalid or x@example.com is never delivered."""
    for email, category, reported in (("opendata@publisher.invalid", "ข้อมูลสาธารณะ", True),
                                      ("data@sub.example.com", "ข้อมูลสาธารณะ", True),
                                      ("saraban@opdc.go.th", "ข้อมูลสาธารณะ", False),
                                      ("opendata@publisher.invalid", "ข้อมูลส่วนบุคคล", False)):
        folder = tmp_path / f"case-{len(list(tmp_path.iterdir()))}"
        shutil.copytree(VALID, folder)
        descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
        descriptor["gdc"].update(maintainer_email=email, data_category=category)
        if category != "ข้อมูลสาธารณะ":
            descriptor["gdc"]["allow_harvest"] = "False"
        (folder / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
        found = [f for f in validate([folder]).findings if f.rule == "gdc.contact"]
        assert [(f.field, f.severity) for f in found] == ([("gdc.maintainer_email", "warning")] if reported else []), email
