"""Quotes and reports are compared after NFC, with the Thai of PDF text layers put back (sara am
spelt nikhahit + sara aa): a quote that looks right is found, and the row keeps the passage as
the report prints it. A quote that is not found shows its closest passage whole, the differing
characters marked."""

from __future__ import annotations

from pathlib import Path

import pytest

from publisher import packages
from publisher.extract.closest import closest_passage
from publisher.extract.problems import RecipeError, RecipeText
from publisher.reports.compare import fold
from publisher.reports.registry import load_registry
from tests.report_files import one_report_folder
from tests.test_extract import RELIEF, REGISTRY, recipe, relief, statements, table_schemas  # noqa: F401

AM, SPLIT_AM = "\u0e33", "\u0e4d\u0e32"
COMPOSED = "ผลการดำเนินงานปี ๒๕๖๔ จำนวน ๑๒ เรื่อง คิดเป็นร้อยละ ๘๐.๕๐"


def registry_with(tmp_path: Path, text: str):
    """The project's registry with one more report, 'scan', whose text is ``text``."""
    return load_registry(one_report_folder(tmp_path, text, "รายงานทดสอบ", "A test report"))


def row(quote: str) -> dict:
    return {"quote": quote, "numbers": {"count": "๑๒", "value": "๘๐.๕๐", "year_be": "๒๕๖๔"},
            "values": {"measure": "done"}}


def built_rows(path: Path, registry) -> list[dict]:
    built = packages.build_package(path, registry)
    lines = built.files["data/facts.csv"].decode("utf-8-sig").split("\n")
    header = lines[0].split(",")
    return [dict(zip(header, line.split(","))) for line in lines[1:] if line]


@pytest.mark.parametrize("report_text, quote", [
    (COMPOSED.replace(AM, SPLIT_AM), COMPOSED),           # the report's sara am decomposed (out of a PDF)
    (COMPOSED, COMPOSED.replace(AM, SPLIT_AM)),           # the quote's
    (COMPOSED.replace("ดำ", "ด\u200bำ"), COMPOSED),        # a zero-width space in the report
])
def test_a_quote_that_looks_right_is_found_and_the_printed_text_kept(recipe, tmp_path, report_text, quote):
    registry = registry_with(tmp_path, "# รายงาน\n\n" + report_text)
    rows = built_rows(recipe(statements(row(quote), report="scan")), registry)
    assert [(r["source_line"], r["source_text"]) for r in rows] == [("3", report_text)]
    assert rows[0]["count"] == "12" and rows[0]["value"] == "80.50"


def test_compared_form_maps_back_to_the_printed_text():
    printed = "น้" + SPLIT_AM + " " + "ท" + SPLIT_AM
    folded = fold(printed)
    assert folded.text == "น้ำ ทำ"
    assert folded.printed(0, len(folded.text)) == (0, len(printed))


def test_a_quote_found_twice_only_when_compared_says_both_lines(recipe, tmp_path):
    registry = registry_with(tmp_path, COMPOSED + "\n" + COMPOSED.replace(AM, SPLIT_AM))
    quote = COMPOSED.replace("ดำ", "ด" + SPLIT_AM)  # in neither line as it is spelt
    path = recipe(statements(row(quote), report="scan"))
    with pytest.raises(RecipeError) as refused:
        packages.build_package(path, registry)
    (problem,) = refused.value.problems
    assert problem.rule == "quote-not-found" and problem.line == RecipeText.read(path).row("facts", 1)
    assert "[1, 2]" in problem.message


# report 000 line 49 to past its ๒๕๖๔ at character 185; the quote says ๒๕๖๕ there
LONG = REGISTRY.report("000").line(49)[:230]
WRONG = LONG[:185] + "๒๕๖๕" + LONG[189:]


def test_a_long_quote_with_one_wrong_digit_is_shown_whole_with_the_difference_marked(recipe):
    assert LONG[185:189] == "๒๕๖๔"
    path = recipe(statements(relief(), {**relief(), "quote": WRONG, "numbers": {"count": "๙๐"}}))
    with pytest.raises(RecipeError) as refused:
        packages.build_package(path, REGISTRY)
    (problem,) = refused.value.problems
    assert problem.rule == "quote-not-found" and problem.line == RecipeText.read(path).row("facts", 2)
    closest = closest_passage(WRONG, REGISTRY.report("000").lines)
    assert closest.line == 49 and closest.differences == [("๒๕๖๕", "๒๕๖๔")]
    assert closest.marked() == LONG[:185] + "⟦๒๕๖๔⟧" + LONG[189:]
    assert WRONG in problem.message            # the quote whole, not cut at 120 characters
    assert closest.marked() in problem.message  # the report's passage whole, the change marked


def test_an_invisible_difference_is_shown_by_its_code_points():
    closest = closest_passage("ผลการดำเนินงานปี ๒๕๖๔ จำนวน ๑๒\u00a0เรื่อง", [COMPOSED])
    assert [("๑๒\u00a0", "๑๒ ")] == closest.differences
    assert "U+00A0" in closest.describe()
