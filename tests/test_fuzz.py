"""Arbitrary text through the readers of untrusted input: the recipe loader, the Thai number,
year and date parsers, and the CSV checks. Whatever the text, no uncaught exception: each
failure is a finding or the reader's own clear error (RecipeError, ValueError)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from publisher import packages
from publisher.extract import thai
from publisher.extract.recipes import RecipeError
from publisher.validate.cells import cell_findings
from publisher.validate.personal import personal_data_in
from publisher.validate.run import validate
from tests.hostile.cases import VALID, rehash

# text that hits the parsers' alphabets: Thai digits and letters, signs, separators, YAML syntax
THAI_ISH = st.text(alphabet=st.sampled_from(list("๐๑๒๓๔๕๖๗๘๙0123456789.,-+% ร้อยละพ.ศ.มกราคมธันวาคม\t\n:[]{}&*!|>'\"#@=\x00\u202e")),
                   max_size=60)
ANY_TEXT = st.one_of(st.text(max_size=200), THAI_ISH)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(ANY_TEXT)
def test_thai_parsers_return_a_value_or_a_value_error(text):
    for parse in (thai.parse_number, thai.parse_integer, thai.parse_percent, thai.parse_be_year,
                  thai.parse_thai_date, thai.parse_check_mark):
        try:
            parse(text)
        except ValueError:
            pass


@SETTINGS
@given(ANY_TEXT)
def test_the_personal_data_guard_takes_any_text(text):
    assert all(rule.startswith("personal.") for rule, _ in personal_data_in(text))


@SETTINGS
@given(st.one_of(st.text(max_size=400), THAI_ISH, st.binary(max_size=400).map(lambda b: b.decode("latin-1"))))
def test_the_recipe_loader_returns_a_recipe_or_a_recipe_error(text):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "fuzzed"
        folder.mkdir()
        (folder / "recipe.yaml").write_bytes(text.encode("utf-8", "surrogatepass"))
        try:
            packages.load_recipe(folder / "recipe.yaml")
        except RecipeError as exc:
            assert "[" in str(exc) or "recipe is a mapping" in str(exc)


@SETTINGS
@given(st.binary(max_size=600))
def test_the_cell_checks_take_any_bytes(raw):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "table.csv"
        path.write_bytes(raw)
        findings, blocking = cell_findings(path, "fuzzed", "table.csv", public=True)
        assert isinstance(blocking, bool) and all(f.rule for f in findings)


@settings(max_examples=40, deadline=None)
@given(st.one_of(st.text(max_size=300), THAI_ISH))
def test_validate_takes_any_text_as_a_table(text):
    """The first table of the valid package replaced by arbitrary text: findings, never a crash."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "fuzzed"
        shutil.copytree(VALID, folder)
        (folder / "data" / "agency-impact.csv").write_bytes(text.encode("utf-8", "surrogatepass"))
        rehash(folder)
        result = validate([folder], catalog=None)
        assert all(f.package == "fuzzed" for f in result.findings)
