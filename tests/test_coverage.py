"""publisher coverage and suggest: every number of a report found, and what became of it."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import yaml

from publisher.coverage.exclusions import ExclusionError
from publisher.coverage.ledger import ledger
from publisher.extract.numbers import parse_date_in, parse_multiplied, tokens_of_line
from publisher.reports.registry import load_registry
from tests.conftest import ROOT, publisher


def kinds(text: str) -> list[tuple[str, str]]:
    return [(t.text, t.kind) for t in tokens_of_line(text, 1)]


def test_every_kind_of_number_is_a_token():
    line = ("ในปีงบประมาณ พ.ศ. ๒๕๖๔ ร้อยละ ๕๖.๔๑ ของ 1,206 หน่วยงาน งบ ๑๘ ล้านบาท และ 1.5 พันล้านบาท "
            "ช่วงปี ๒๕๖๓–๒๕๖๖ ลงวันที่ ๑๗ มีนาคม ๒๕๖๕ ข้อ ๓.๑.๑ 80%")
    found = {t.text: t for t in tokens_of_line(line, 7)}
    assert found["๒๕๖๔"].kind == "year_be" and found["๒๕๖๔"].fiscal
    assert found["๕๖.๔๑"].kind == "percent" and found["๕๖.๔๑"].value == Decimal("56.41")
    assert found["1,206"].kind == "number" and found["1,206"].value == 1206
    assert found["๑๘"].kind == "multiplied" and found["๑๘"].value == 18_000_000 and found["๑๘"].printed == "๑๘ ล้าน"
    assert found["1.5"].value == 1_500_000_000
    assert found["๒๕๖๓"].in_range and found["๒๕๖๖"].in_range
    assert found["๑๗"].kind == "date" and found["๑๗"].iso_date == "2022-03-17"
    assert found["๓.๑.๑"].kind == "dotted" and found["๓.๑.๑"].value is None
    assert found["80"].kind == "percent"
    assert all(t.line == 7 for t in found.values())


def test_a_number_inside_a_longer_one_is_not_a_token_of_its_own():
    assert kinds("๒,๔๗๕ และ ๕๖.๔๑") == [("๒,๔๗๕", "number"), ("๕๖.๔๑", "number")]


def test_dates_and_multipliers_parse():
    assert parse_date_in("หนังสือลงวันที่ ๑๗ มีนาคม ๒๕๖๕ เรื่อง").isoformat() == "2022-03-17"
    assert parse_multiplied("๑๘ ล้าน") == 18_000_000
    with pytest.raises(ValueError):
        parse_multiplied("๑๘ คน")


def test_the_ledger_places_a_published_number_in_its_dataset_table_and_row():
    book = ledger(load_registry(), ["R000"])[0]
    entry = next(e for e in book.entries if e.token.text == "๕๖.๔๑" and e.status == "published")
    packages = {(p.package, p.resource) for p in entry.places}
    assert ("covid19-lessons-learned", "agency-impact-and-response") in packages
    assert all(p.row >= 1 for p in entry.places)


@pytest.mark.parametrize("entry, rule", [
    ({"line": 1, "reason": "no-such-reason"}, "exclusion-reason"),
    ({"quote": "ข้อความที่ไม่มีในรายงาน", "reason": "section-number"}, "exclusion-not-found"),
    ({"line": 1, "numbers": ["๙๙๙๙๙"], "reason": "section-number"}, "exclusion-empty"),
    ({"line": 1, "reason": "out-of-scope"}, "exclusion-note"),
    ({"lines": 1, "reason": "page-number", "colour": "red"}, "exclusion-key"),
])
def test_a_bad_exclusion_is_refused_with_its_rule(tmp_path, entry, rule):
    registry = load_registry()
    first = next(t for t in sorted(registry.reports) if any(ch.isdigit() for ch in registry.report(t).line(1)))
    (tmp_path / f"{first}.yaml").write_text(yaml.safe_dump({"exclusions": [entry]}, allow_unicode=True),
                                            encoding="utf-8")
    with pytest.raises(ExclusionError, match=rf"\[{rule}\]"):
        ledger(registry, [first], exclusions_dir=tmp_path)


def test_coverage_json_counts_every_number():
    result = publisher("coverage", "--json", check=False)
    assert result.returncode in (0, 1)
    data = json.loads(result.stdout)
    for report in data["reports"]:
        assert report["numbers"] == report["published"] + report["excluded"] + report["unaccounted"]
        assert report["numbers"] == len(report["entries"])
    assert data["ok"] == (result.returncode == 0)


def test_suggest_prints_rows_whose_quotes_and_numbers_are_in_the_report():
    registry = load_registry()
    result = publisher("suggest", "R000", "--lines", "40-80", "--json")
    suggestions = json.loads(result.stdout)["suggestions"]
    assert suggestions
    text = registry.report("R000").text
    for suggestion in suggestions:
        assert 40 <= suggestion["line"] <= 80
        row = suggestion["row"]
        assert text.count(row["quote"]) == 1
        assert all(literal in row["quote"] for literal in (row.get("numbers") or {}).values())
    plain = publisher("suggest", "R000", "--lines", "40-80").stdout
    pasted = yaml.safe_load(plain)
    assert isinstance(pasted, list) and pasted[0]["report"] == "R000"


def test_suggest_refuses_bad_lines():
    assert publisher("suggest", "R000", "--lines", "9-1", check=False).returncode == 2
    assert publisher("suggest", "no-such-report", check=False).returncode == 2


def test_every_number_of_every_registered_report_is_published_or_excluded():
    registry = load_registry()
    books = ledger(registry)
    left = {book.report: [f"line {e.token.line}: {e.token.text} ({e.token.kind})" for e in book.unaccounted[:10]]
            for book in books if book.unaccounted}
    assert left == {}, "publish them (publisher suggest REPORT --not-published) or exclude them with a reason"
    assert sum(book.count("published") for book in books) > 500


def test_every_exclusions_file_belongs_to_a_registered_report():
    """A report renamed in the registry takes its exclusions file with it, or this fails."""
    known = set(load_registry().reports)
    files = {p.stem for p in (ROOT / "reports" / "exclusions").glob("*.yaml")}
    assert files and files <= known, files - known


def test_a_rank_or_the_next_cell_is_no_multiplier():
    assert kinds("94101\tพันตำรวจโทชัยฤๅญะ") == [("94101", "number")]
    assert kinds("ภารกิจ ๓ พันธกิจ") == [("๓", "number")]
    assert kinds("๒ พันล้านบาท")[0] == ("๒", "multiplied")
