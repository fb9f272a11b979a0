"""Consistency: a fact stated in several reports has one value in every dataset that carries it.

The rules are data (schemas/validation/facts.json); these tests run them over the real catalog,
over copies of real packages with one cell changed, and over the corpus cases consistency-*.
No portal is needed.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from publisher.validate.consistency import (CatalogPackage, catalog_packages, comparable, consistency_findings,
                                           fact_findings, facts_spec)
from publisher.validate.findings import rules
from publisher.validate.run import package_paths, validate

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "datapackages"


def catalog() -> list[CatalogPackage]:
    return catalog_packages(package_paths([CATALOG]), None)


def fact(fact_id: str) -> dict:
    return next(f for f in facts_spec()["facts"] if f["id"] == fact_id)


def copy_package(name: str, into: Path) -> Path:
    """A copy of a real package without hashes, so that a changed cell breaks no other rule."""
    target = into / name
    shutil.copytree(CATALOG / name, target)
    descriptor = json.loads((target / "datapackage.json").read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        resource.pop("hash", None)
        resource.pop("bytes", None)
    (target / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    return target


def set_cell(csv_path: Path, key_column: str, key: str, column: str, value: str) -> int:
    """Change one cell; return its row number (header = 1)."""
    text = csv_path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[0]
    for number, cells in enumerate(rows[1:], start=2):
        if cells[header.index(key_column)] == key:
            cells[header.index(column)] = value
            out = io.StringIO(newline="")
            csv.writer(out, lineterminator="\n").writerows(rows)
            csv_path.write_text("\ufeff" + out.getvalue(), encoding="utf-8")
            return number
    raise AssertionError(f"no row {key_column}={key} in {csv_path}")


# --- the rules as data --------------------------------------------------------------------

def test_rules_have_thai_and_english_titles_and_hints():
    for rule in ("consistency.conflict", "consistency.documented", "consistency.mapping"):
        spec = rules()[rule]
        assert spec["severity"] in ("error", "warning")
        for key in ("title_th", "title_en", "hint_th", "hint_en"):
            assert spec[key].strip(), (rule, key)
    assert rules()["consistency.conflict"]["severity"] == "error"
    assert rules()["consistency.documented"]["severity"] == "warning"


def test_every_fact_is_carried_by_two_datasets_or_reports():
    spec = facts_spec()
    ids = [f["id"] for f in spec["facts"]]
    assert len(ids) == len(set(ids)), "fact ids must be unique"
    packages = catalog()
    for item in spec["facts"]:
        assert item["title_th"].strip() and item["title_en"].strip(), item["id"]
        assert len(item["carriers"]) >= 2, item["id"]
        places = set()
        for carrier in item["carriers"]:
            package = next(p for p in packages if p.name == carrier["package"])
            file, header, rows = package.table(carrier["resource"])
            matched = [(n, r) for n, r in rows if all(r[c] == v for c, v in carrier["where"].items())]
            assert matched, (item["id"], carrier)
            places |= {(file, r.get("source_report")) for _, r in matched}
        assert len(places) >= 2, f"{item['id']}: one place only {places}"


def test_the_real_catalog_is_consistent():
    found = consistency_findings(package_paths([CATALOG]), None)
    assert found == [], "\n".join(f"{f.rule} {f.file}:{f.row} {f.message}" for f in found)


def test_numbers_compare_as_numbers_and_text_in_nfc():
    assert comparable("85.00") == comparable("85") == Decimal("85")
    assert comparable(" 2,475 ") != comparable("2475")  # a thousands separator is text, as printed
    assert comparable("ต\u0e4d\u0e32บล") == comparable("ตำบล")
    assert comparable("NaN") == "NaN"


# --- the known conflicts of the source reports ------------------------------------------------

@pytest.mark.parametrize("fact_id", ["hpp-provinces-participating", "psea-entries-fy2564"])
def test_a_known_conflict_is_accepted_only_as_listed(fact_id):
    packages = catalog()
    listed = fact(fact_id)
    assert fact_findings(listed, packages) == []
    unlisted = {k: v for k, v in listed.items() if k != "known_conflict"}
    found = fact_findings(unlisted, packages)
    assert found and {f.rule for f in found} == {"consistency.conflict"}, found
    other_values = copy.deepcopy(listed)
    other_values["known_conflict"]["values"] = other_values["known_conflict"]["values"][:1] + ["1"]
    assert {f.rule for f in fact_findings(other_values, packages)} == {"consistency.conflict"}


def test_a_known_conflict_whose_quality_issue_is_gone_is_an_error():
    listed = copy.deepcopy(fact("psea-entries-fy2564"))
    listed["known_conflict"]["issues"][0]["issue_id"] = "no-such-issue"
    found = fact_findings(listed, catalog())
    assert found and {f.rule for f in found} == {"consistency.conflict"}


# --- changed copies of real packages -----------------------------------------------------------

def test_a_value_that_disagrees_with_another_package_is_reported_where_it_is(tmp_path):
    package = copy_package("covid19-lessons-learned", tmp_path)
    row = set_cell(package / "data" / "key-facts.csv", "fact_id", "egdi_rank_thailand", "value", "58")
    result = validate([package])
    conflicts = [f for f in result.findings if f.rule.startswith("consistency.")]
    assert [(f.rule, Path(f.file).name, f.row, f.field) for f in conflicts] == \
        [("consistency.conflict", "key-facts.csv", row, "value")]
    assert "57" in conflicts[0].message and "58" in conflicts[0].message
    # 57 in every other dataset: the minority value is the one reported, with where the others are
    assert "public-sector-digital-indicators" in conflicts[0].message


def test_without_the_catalog_only_the_given_packages_are_compared(tmp_path):
    package = copy_package("covid19-lessons-learned", tmp_path)
    set_cell(package / "data" / "key-facts.csv", "fact_id", "egdi_rank_thailand", "value", "58")
    alone = validate([package], catalog=None)
    assert not [f for f in alone.findings if f.rule.startswith("consistency.")]


def test_a_series_conflict_cited_by_one_row_only_stays_an_error(tmp_path):
    package = copy_package("public-sector-digital-indicators", tmp_path)
    statements = package / "data" / "statements.csv"
    # report 004's undated 34 provinces, dated 2564: it now meets report 001's 20 for 2564
    row = set_cell(statements, "statement_id", "high-performance-provinces-004-participating", "as_of_be", "2564")
    documented = [f for f in validate([package]).findings if f.rule.startswith("consistency.")]
    assert {(f.rule, f.row) for f in documented} == {("consistency.documented", row), ("consistency.documented", 35)}
    # drop the qi-01 citation from one of the two notes: nothing explains the conflict any more
    set_cell(statements, "statement_id", "high-performance-provinces-001-2564", "note", "ไม่มีหมายเหตุ / no note")
    errors = [f for f in validate([package]).findings if f.rule.startswith("consistency.")]
    assert {(f.rule, f.row) for f in errors} == {("consistency.conflict", row), ("consistency.conflict", 35)}


def test_a_callout_that_differs_from_the_indicator_it_repeats(tmp_path):
    package = copy_package("policy-11-public-administration-reform", tmp_path)
    indicators = package / "data" / "performance-indicators.csv"
    row = set_cell(indicators, "indicator_id", "gdcc_systems_callout", "qualifier", "more_than")
    repeated = set_cell(indicators, "indicator_id", "gdcc_systems", "qualifier", "exact")
    found = [f for f in validate([package]).findings if f.rule.startswith("consistency.")]
    # one against one: both rows are named, at the column that differs (value and unit agree)
    assert sorted((f.rule, f.row, f.field) for f in found) == \
        sorted([("consistency.conflict", row, "qualifier"), ("consistency.conflict", repeated, "qualifier")])


def test_a_renamed_row_makes_the_rule_say_so(tmp_path):
    package = copy_package("next-normal-4-0-plus", tmp_path)
    set_cell(package / "data" / "context-facts.csv", "fact_id", "citizen_satisfaction_2561", "fact_id",
             "citizen_satisfaction_survey_2561")
    found = [f for f in validate([package]).findings if f.rule.startswith("consistency.")]
    assert [f.rule for f in found] == ["consistency.mapping"]
    assert "citizen_satisfaction_2561" in found[0].message
    assert rules()["consistency.mapping"]["severity"] == "warning"


# --- the command line ------------------------------------------------------------------------

def publisher(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "publisher", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_cli_documented_conflict_is_a_warning_unless_strict(tmp_path):
    package = copy_package("public-sector-digital-indicators", tmp_path)
    # report 004's undated 34 provinces dated 2564 meet report 001's 20; both notes cite qi-01
    set_cell(package / "data" / "statements.csv", "statement_id", "high-performance-provinces-004-participating",
             "as_of_be", "2564")
    case = str(package)
    lenient = publisher("validate", case, "--json")
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr
    report = json.loads(lenient.stdout)
    assert report["errors"] == 0 and report["warnings"] == 2
    assert {f["rule"] for f in report["findings"]} == {"consistency.documented"}
    strict = publisher("validate", case, "--strict", "--json", "--lang", "th")
    assert strict.returncode == 1
    assert {f["hint"] for f in json.loads(strict.stdout)["findings"]} == {rules()["consistency.documented"]["hint_th"]}
