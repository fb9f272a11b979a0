"""The recipe steps for dates, multiplied figures and a second supporting quote."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from publisher.extract.recipes import RecipeError, Where, statement_rows, to_csv_value
from publisher.reports.registry import load_registry
from publisher.validate.provenance import numbers_in
from tests.conftest import ROOT

TEXT = "\n".join([
    "# หนังสือทดสอบ", "",
    "คณะรัฐมนตรีมีมติเมื่อวันที่ ๓ สิงหาคม ๒๕๖๔ ให้ดำเนินการ",
    "ใช้งบประมาณทั้งสิ้น ๑๘ ล้านบาท สำหรับ ๒๕ จังหวัด",
    "โดยในจำนวนนี้ ๑.๕ พันล้านบาทเป็นงบกลาง",
])
SCHEMA = {"fields": [
    {"name": "decided_on", "type": "date"}, {"name": "budget_baht", "type": "number"},
    {"name": "budget_baht_printed", "type": "string"}, {"name": "provinces", "type": "integer"},
    {"name": "source_report", "type": "string"}, {"name": "source_line", "type": "integer"},
    {"name": "source_text", "type": "string"}, {"name": "source_line_2", "type": "integer"},
    {"name": "source_text_2", "type": "string"}]}


@pytest.fixture
def registry(tmp_path: Path):
    folder = tmp_path / "reports"
    folder.mkdir()
    data = TEXT.encode("utf-8")
    (folder / "t.txt").write_bytes(data)
    registry = json.loads((ROOT / "reports" / "registry.json").read_text(encoding="utf-8"))
    registry["reports"] = [{"id": "t", "file": "t.txt", "sha256": hashlib.sha256(data).hexdigest(),
                            "title_th": "ทดสอบ", "title_en": "Test", "agency": "opdc"}]
    (folder / "registry.json").write_text(json.dumps(registry, ensure_ascii=False), encoding="utf-8")
    return load_registry(folder)


def rows(registry, spec: dict) -> list[dict]:
    return statement_rows([spec], SCHEMA, registry, Where(Path("recipe.yaml"), "r"), "t")


def test_a_thai_date_becomes_an_iso_date_in_ce(registry):
    [row] = rows(registry, {"quote": "มีมติเมื่อวันที่ ๓ สิงหาคม ๒๕๖๔", "dates": {"decided_on": "๓ สิงหาคม ๒๕๖๔"}})
    assert row["decided_on"] == date(2021, 8, 3)
    assert to_csv_value(row["decided_on"]) == "2021-08-03"


def test_a_multiplied_figure_is_multiplied_out_and_kept_as_printed(registry):
    [row] = rows(registry, {"quote": "ใช้งบประมาณทั้งสิ้น ๑๘ ล้านบาท", "numbers": {"budget_baht": "๑๘ ล้าน"}})
    assert row["budget_baht"] == Decimal(18_000_000)
    assert row["budget_baht_printed"] == "๑๘ ล้าน"
    assert Decimal(18_000_000) in numbers_in(row["source_text"])
    [row] = rows(registry, {"quote": "๑.๕ พันล้านบาท", "numbers": {"budget_baht": "๑.๕ พันล้าน"}})
    assert row["budget_baht"] == Decimal(1_500_000_000)


def test_a_second_quote_supports_values_from_another_passage(registry):
    [row] = rows(registry, {"quote": "สำหรับ ๒๕ จังหวัด", "quote_2": "มีมติเมื่อวันที่ ๓ สิงหาคม ๒๕๖๔",
                            "numbers": {"provinces": "๒๕"}, "dates": {"decided_on": "๓ สิงหาคม ๒๕๖๔"}})
    assert (row["provinces"], row["decided_on"]) == (25, date(2021, 8, 3))
    assert (row["source_line"], row["source_line_2"]) == (4, 3)
    assert row["source_text_2"] == "มีมติเมื่อวันที่ ๓ สิงหาคม ๒๕๖๔"


@pytest.mark.parametrize("spec, rule", [
    ({"quote": "สำหรับ ๒๕ จังหวัด", "dates": {"decided_on": "๓ สิงหาคม ๒๕๖๔"}}, "number-not-in-quote"),
    ({"quote": "สำหรับ ๒๕ จังหวัด", "quote_2": "ไม่มีข้อความนี้", "numbers": {"provinces": "๒๕"}}, "quote-not-found"),
    ({"quote": "สำหรับ ๒๕ จังหวัด", "dates": {"provinces": "๒๕"}}, "dates-are-dates"),
])
def test_bad_steps_are_refused_with_their_rule(registry, spec, rule):
    with pytest.raises(RecipeError, match=rf"\[{rule}\]"):
        rows(registry, spec)
