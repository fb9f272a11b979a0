"""A number read by OCR is never published unconfirmed: validate refuses the recipe row
(provenance.ocr-unconfirmed) until it says confirmed: true, or the line was corrected by hand."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from publisher import packages
from publisher.reports.registry import load_registry
from publisher.validate.ocr import ocr_findings
from publisher.validate.run import validate_package
from tests.report_files import one_report_folder

TEXT = "\n".join(["# รายงานทดสอบที่สแกน", "", "ในปี พ.ศ. ๒๕๖๔ มีผู้ใช้บริการ ๑,๒๐๙ ราย", "",
                  "ข้อความที่พิมพ์ไว้ ๑๒ เรื่อง"])


def make_report(tmp_path: Path, text: str = TEXT) -> Path:
    folder = one_report_folder(tmp_path, text, "รายงานทดสอบที่สแกน", "A scanned test report")
    sidecar = {"report": "scan", "ocr_pages": [1], "ocr_lines": [
        {"line": 3, "page": 1, "text": TEXT.split("\n")[2], "numbers": ["๒๕๖๔", "๑,๒๐๙"]}]}
    (folder / "scan.extraction.json").write_text(json.dumps(sidecar, ensure_ascii=False), encoding="utf-8")
    return folder


def make_package(tmp_path: Path, row: dict) -> Path:
    folder = tmp_path / "datapackages" / "ocr-demo"
    folder.mkdir(parents=True, exist_ok=True)
    recipe = {
        "name": "ocr-demo", "title": "ชุดข้อมูลทดสอบจากรายงานที่สแกน", "title_en": "OCR demo",
        "description": "ทดสอบ", "description_en": "A test", "keywords": ["ทดสอบ"], "organization": "opdc",
        "resources": [{"name": "facts", "schema": "covid19-lessons-learned--key-facts", "report": "scan",
                       "rows": [{"quote": "มีผู้ใช้บริการ ๑,๒๐๙ ราย", "numbers": {"value": "๑,๒๐๙"},
                                 "values": {"fact_id": "users", "report_section": "preamble",
                                            "measure_th": "ผู้ใช้บริการ", "measure_en": "Users",
                                            "unit_th": "ราย", "unit_en": "people"}, **row}]}],
    }
    (folder / "recipe.yaml").write_text(yaml.safe_dump(recipe, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


def rules_of(tmp_path: Path, row: dict, text: str = TEXT) -> set[str]:
    registry = load_registry(make_report(tmp_path, text))
    folder = make_package(tmp_path, row)
    built = packages.build_package(folder / "recipe.yaml", registry)
    packages.write([built], folder.parent)
    return {f.rule for f in validate_package(folder / "datapackage.json", registry)}


def test_a_number_read_by_ocr_is_refused_until_confirmed(tmp_path):
    assert "provenance.ocr-unconfirmed" in rules_of(tmp_path, {})


def test_confirmed_true_lets_it_through(tmp_path):
    assert "provenance.ocr-unconfirmed" not in rules_of(tmp_path, {"confirmed": True})


def test_a_line_corrected_by_hand_needs_no_flag(tmp_path):
    corrected = TEXT.replace("ในปี พ.ศ. ๒๕๖๔", "ในปี พ.ศ. ๒๕๖๔ (ตรวจแล้ว)")
    assert "provenance.ocr-unconfirmed" not in rules_of(tmp_path, {}, corrected)


# what every recipe must say besides its resources (a recipe without them is refused before any check)
REQUIRED_KEYS = {"title": "ตาราง", "title_en": "Table", "description": "ตาราง", "description_en": "Table",
                 "organization": "opdc", "keywords": ["ตาราง"]}


def test_a_table_read_by_ocr_is_refused_until_confirmed(tmp_path):
    text = "\n".join(["# ตาราง", "", "ตาราง ๑", "ปี\tจำนวน", "๒๕๖๓\t๑,๒๐๙"])
    folder = make_report(tmp_path, text)
    sidecar = {"ocr_lines": [{"line": 5, "page": 1, "text": "๒๕๖๓\t๑,๒๐๙", "numbers": ["๒๕๖๓", "๑,๒๐๙"]}]}
    (folder / "scan.extraction.json").write_text(json.dumps(sidecar, ensure_ascii=False), encoding="utf-8")
    registry = load_registry(folder)
    package = tmp_path / "datapackages" / "ocr-table"
    package.mkdir(parents=True)
    recipe = {"name": "ocr-table", **REQUIRED_KEYS, "resources": [{"name": "t", "schema": "x",
                                                   "table": {"report": "scan", "after": "ตาราง ๑", "columns": ["a", "b"]}}]}
    (package / "recipe.yaml").write_text(yaml.safe_dump(recipe, allow_unicode=True), encoding="utf-8")
    assert [f.rule for f in ocr_findings(package / "datapackage.json", "ocr-table", registry)] == \
        ["provenance.ocr-unconfirmed"]
    recipe["resources"][0]["table"]["confirmed"] = True
    (package / "recipe.yaml").write_text(yaml.safe_dump(recipe, allow_unicode=True), encoding="utf-8")
    assert ocr_findings(package / "datapackage.json", "ocr-table", registry) == []
    shutil.rmtree(package)
