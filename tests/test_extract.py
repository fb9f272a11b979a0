"""Recipes (publisher/extract/recipes.py, publisher/packages.py): every published number is quoted from a
vendored report, and a recipe that no longer matches its report stops the build, naming where.

Recipes and Table Schemas here are small ones written into tmp_path; the reports are the real ones.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import subprocess
import sys
from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest
import yaml

from publisher import packages
from publisher.extract import recipes as extract
from publisher.extract.recipes import PROVENANCE_FIELDS, RecipeError
from publisher.reports.document import Block, render
from publisher.reports.registry import REPORTS_DIR, ReportError, load_registry, verify

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = load_registry()
BOM = b"\xef\xbb\xbf"

# 000 L106 and L49, quoted verbatim
RELIEF = "แล้วจำนวน ๙๐ กระบวนงาน จากจำนวนทั้งสิ้น ๑๐๓ กระบวนงาน คิดเป็นร้อยละ ๘๗.๓๘"
FACE_TO_FACE = "โดยในปีงบประมาณ พ.ศ. ๒๕๖๔ มีส่วนราชการที่ได้รับผลกระทบในเรื่องดังกล่าวร้อยละ ๕๖.๔๑"

SCHEMAS = {
    "facts": [
        {"name": "measure", "type": "string"},
        {"name": "value", "type": "number"},
        {"name": "count", "type": "integer"},
        {"name": "base", "type": "integer"},
        {"name": "year_be", "type": "integer", "calendar": "buddhist-era"},
        {"name": "note", "type": "string"},
    ],
    "kpis": [
        {"name": "seq", "type": "integer"},
        {"name": "kpi_group_th", "type": "string"},
        {"name": "kpi_name_th", "type": "string"},
        {"name": "affected_2563", "type": "boolean"},
        {"name": "affected_2564", "type": "boolean"},
    ],
    "risks": [{"name": name, "type": "string"} for name in ("practice", "challenge", "risk", "management")],
}

KPI_TABLE = {
    "report": "000",
    "after": "ตัวอย่าง ตัวชี้วัดที่ได้รับผลกระทบ",
    "header_rows": 2,
    "expect_header": ["ลำดับ", "ตัวชี้วัด", "ปีที่ได้รับผลกระทบ ปี ๒๕๖๓", "ปีที่ได้รับผลกระทบ ปี ๒๕๖๔"],
    "columns": ["seq", "kpi_name_th", "affected_2563", "affected_2564"],
    "group_column": "kpi_group_th",
    "expect_rows": 13,
}


@pytest.fixture
def table_schemas(tmp_path, monkeypatch) -> Path:
    """Table Schemas of the test recipes, with the project's shared provenance fields."""
    directory = tmp_path / "schemas"
    directory.mkdir()
    shutil.copy(ROOT / "schemas" / "tables" / "_provenance.json", directory / "_provenance.json")
    for name, fields in SCHEMAS.items():
        (directory / f"{name}.json").write_text(json.dumps({"fields": fields}, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(extract, "load_table_schema", partial(extract.load_table_schema, directory=directory))
    return directory


def write_recipe(tmp_path: Path, *resources: dict, name: str = "test-package") -> Path:
    """A recipe.yaml of one package in tmp_path/packages/<name>/."""
    folder = tmp_path / "packages" / name
    folder.mkdir(parents=True)
    recipe = {"name": name, "title": "ชุดข้อมูลทดสอบ", "title_en": "Test package", "description": "ทดสอบ",
              "description_en": "Test", "keywords": ["ทดสอบ"], "organization": "opdc",
              "resources": list(resources)}
    path = folder / packages.RECIPE
    path.write_text(yaml.safe_dump(recipe, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def recipe(tmp_path, table_schemas):
    return partial(write_recipe, tmp_path)


def statements(*rows: dict, report: str = "000") -> dict:
    return {"name": "facts", "schema": "facts", "report": report, "rows": list(rows)}


def relief(**changes) -> dict:
    row = {"quote": RELIEF, "numbers": {"count": "๙๐", "base": "๑๐๓", "value": "๘๗.๓๘"},
           "values": {"measure": "relief_processes"}}
    return {**row, **changes}


def rows_of(path: Path, index: int = 0) -> list[dict]:
    recipe = packages.load_recipe(path)
    return extract.extract_resource(recipe["resources"][index], REGISTRY, path)[1]


def refused(path: Path) -> str:
    with pytest.raises(RecipeError) as failure:
        packages.build_package(path, REGISTRY)
    return str(failure.value)


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


# --- statement rows ------------------------------------------------------------------

def test_a_statement_rows_numbers_are_parsed_from_its_quote(recipe):
    path = recipe(statements(
        relief(),
        {"quote": FACE_TO_FACE, "numbers": {"year_be": "๒๕๖๔", "value": "ร้อยละ ๕๖.๔๑"},
         "values": {"measure": "face_to_face_service", "note": "ปีงบประมาณ"}},
    ))
    first, second = rows_of(path)
    assert first == {"measure": "relief_processes", "count": 90, "base": 103, "value": Decimal("87.38"),
                     "source_report": "R000", "source_line": 106, "source_text": RELIEF}
    assert second["year_be"] == 2564 and second["value"] == Decimal("56.41")
    assert second["source_line"] == 49 and second["source_text"] == FACE_TO_FACE


def test_a_statement_row_is_published_with_its_quote_as_provenance(recipe):
    built = packages.build_package(recipe(statements(relief())), REGISTRY)
    header, row = read_csv(built.files["data/facts.csv"])
    assert dict(zip(header, row)) == {"measure": "relief_processes", "value": "87.38", "count": "90", "base": "103",
                                      "year_be": "", "note": "", "source_report": "R000", "source_line": "106",
                                      "source_text": RELIEF}


def test_a_quote_that_is_not_in_the_report_fails_naming_the_recipe_and_row(recipe):
    """One changed digit (๙๑ for ๙๐) and the passage is gone: the report is the only source."""
    path = recipe(statements(relief(), relief(quote=RELIEF.replace("๙๐", "๙๑"))))
    message = refused(path)
    assert "[quote-not-found]" in message
    assert str(path) in message and "resource 'facts', row 2" in message
    assert "passage not found" in message


def test_a_quote_that_is_not_found_names_the_closest_passage_and_what_differs(recipe):
    path = recipe(statements(relief(), relief(quote=RELIEF.replace("๙๐", "๙๑"))))
    message = refused(path)
    assert "closest passage at line 106" in message and "'๙๑' in the quote, '๙๐' in the report" in message


def test_closest_passage_widens_a_change_to_the_whole_number():
    from publisher.extract.closest import closest_passage
    lines = ["หัวเรื่อง", "ปรับเปลี่ยนกระบวนการงานบริการภาครัฐให้เป็นดิจิทัลจำนวน 2,180 กระบวนการ", "ท้าย"]
    found = closest_passage("ให้เป็นดิจิทัลจำนวน 2,181 กระบวนการ", lines)
    assert found.line == 2 and found.differences == [("2,181", "2,180")]
    assert closest_passage("ไม่มีอะไรเหมือนเลยแม้แต่น้อย XYZ", ["abc"]) is None


def test_a_quote_from_a_report_not_in_the_registry_fails(recipe):
    message = refused(recipe(statements(relief(), report="999")))
    assert "[quote-not-found]" in message and "unknown report id '999'" in message and "row 1" in message


def test_an_ambiguous_quote_fails_naming_the_lines_it_is_on(recipe):
    """'ร้อยละ ๕๖.๔๑' is printed on L49 (face-to-face services) and L146 (collaboration)."""
    path = recipe(statements(
        {"quote": "ร้อยละ ๕๖.๔๑", "numbers": {"value": "๕๖.๔๑"}, "values": {"measure": "ambiguous"}}))
    message = refused(path)
    assert "[49, 146]" in message
    assert str(path) in message and "row 1" in message


@pytest.mark.parametrize("literal", ["๙๑", "91", "90"])
def test_a_number_that_is_not_in_the_quote_fails(recipe, literal):
    """The quote says ๙๐ in Thai digits: neither another number nor its Arabic spelling will do."""
    path = recipe(statements(relief(numbers={"count": literal})))
    message = refused(path)
    assert "[number-not-in-quote]" in message and repr(literal) in message
    assert str(path) in message and "row 1" in message


@pytest.mark.parametrize("column, literal", [("count", "๑๐"), ("count", "๐๓"), ("value", "๘๗"), ("value", "๓๘"),
                                             ("value", "๘๗.๓")])
def test_a_number_that_is_only_part_of_a_number_in_the_quote_fails(recipe, column, literal):
    """'๑๐' is a substring of '๑๐๓' and '๘๗' of '๘๗.๓๘', but the report never states 10 or 87."""
    message = refused(recipe(statements(relief(numbers={column: literal}))))
    assert "[number-not-in-quote]" in message and repr(literal) in message


@pytest.mark.parametrize("column, value", [("value", 87.38), ("count", 90), ("count", "๙๐")])
def test_a_number_under_values_fails_even_as_text(recipe, column, value):
    """values: holds what a person wrote; a number typed there would have no quote behind it."""
    path = recipe(statements(relief(values={"measure": "relief_processes", column: value})))
    message = refused(path)
    assert "[numbers-must-be-quoted]" in message and repr(column) in message
    assert str(path) in message and "row 1" in message


def test_a_column_the_schema_does_not_have_fails(recipe):
    message = refused(recipe(statements(relief(values={"measure": "x", "agency": "opdc"}))))
    assert "[unknown-column]" in message and "'agency'" in message


# --- tables --------------------------------------------------------------------------

def test_a_table_recipe_reads_the_kpi_table_with_groups_and_check_marks(recipe):
    rows = rows_of(recipe({"name": "kpis", "schema": "kpis", "table": KPI_TABLE}))
    assert [row["seq"] for row in rows] == list(range(1, 14))
    assert sum(row["affected_2563"] for row in rows) == 11 and sum(row["affected_2564"] for row in rows) == 6
    assert rows[0]["kpi_group_th"] == "ด้านเศรษฐกิจ"
    assert rows[12] == {"seq": 13, "kpi_name_th": "ระดับคะแนนเฉลี่ยผลการทดสอบทางการศึกษาระดับชาติด้านการศึกษานอกระบบ (N-NET)",
                        "affected_2563": False, "affected_2564": True,
                        "kpi_group_th": "ด้านแรงงานและการสร้างความสามารถในการแข่งขันให้กับประเทศ",
                        "source_report": "R000", "source_line": 84,
                        "source_text": REGISTRY.report("000").line(84)}


def test_a_table_whose_header_is_not_the_expected_one_fails_loudly(recipe):
    """A recipe pointed at the wrong table, or a table whose columns moved, must not be read."""
    table = {**KPI_TABLE, "expect_header": ["ลำดับ", "ตัวชี้วัด", "ปี ๒๕๖๓", "ปี ๒๕๖๔"]}
    path = recipe({"name": "kpis", "schema": "kpis", "table": table})
    message = refused(path)
    assert "[table-header-changed]" in message and str(path) in message and "'kpis'" in message
    assert "ปีที่ได้รับผลกระทบ ปี ๒๕๖๓" in message


def test_a_table_whose_row_count_changed_fails_loudly(recipe):
    path = recipe({"name": "kpis", "schema": "kpis", "table": {**KPI_TABLE, "expect_rows": 14}})
    message = refused(path)
    assert "[table-rows-changed]" in message and "13 rows, expected 14" in message and str(path) in message


def test_a_table_anchor_that_is_gone_fails(recipe):
    table = {**KPI_TABLE, "after": "ตัวอย่างตัวชี้วัดที่ได้รับผลกระทบ (ฉบับแก้ไข)"}
    message = refused(recipe({"name": "kpis", "schema": "kpis", "table": table}))
    assert "[table-not-found]" in message


def test_a_cell_that_is_not_a_check_mark_fails_naming_its_line(recipe):
    """Reading the KPI names as booleans is a recipe mistake, not a 'false'."""
    table = {**KPI_TABLE, "columns": ["seq", "affected_2563", "kpi_name_th", "affected_2564"]}
    message = refused(recipe({"name": "kpis", "schema": "kpis", "table": table}))
    assert "[cell-unparsable]" in message and "line 70" in message


def test_a_table_row_cut_by_a_page_break_cites_the_verbatim_passage(recipe):
    """003 Table 7: L569 continues on L572 after a blank line and a repeated header. source_text must
    be the report's own text from L569 to L572, not L569 and L572 glued together (which the report
    never prints, so publisher validate could not find it)."""
    table = {"report": "003", "after": "ตารางที่ 7 ความท้าทาย", "expect_rows": 9,
             "expect_header": ["แนวทางปฏิบัติเพื่อบรรลุเป้าหมาย", "ความท้าทาย", "ความเสี่ยง", "การบริหารความเสี่ยง"],
             "columns": ["practice", "challenge", "risk", "management"]}
    rows = rows_of(recipe({"name": "risks", "schema": "risks", "table": table}))
    assert [row["source_line"] for row in rows] == [561, 562, 565, 566, 567, 568, 569, 573, 574]
    cut = rows[6]
    source = REGISTRY.report("003")
    assert cut["source_text"] == "\n".join(source.line(n) for n in range(569, 573))
    assert source.locate(cut["source_text"]) == 569
    assert all(source.locate(row["source_text"]) == row["source_line"] for row in rows)
    assert cut["management"].endswith("อย่างมีประสิทธิภาพ มีการประเมินทักษะดิจิทัลบุคลากรทุกระดับ")


# --- vendored reports ----------------------------------------------------------------

def copy_registry(tmp_path: Path) -> tuple[Path, dict]:
    directory = tmp_path / "reports"
    data = json.loads((REPORTS_DIR / "registry.json").read_text(encoding="utf-8"))
    for entry in data["reports"]:
        (directory / entry["file"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPORTS_DIR / entry["file"], directory / entry["file"])
    return directory, data


def test_the_vendored_reports_match_their_registry():
    assert verify(REGISTRY) == []


def test_a_registry_whose_sha256_is_wrong_refuses_to_read_the_report(tmp_path, recipe):
    """A number may only be quoted from the very file the registry describes."""
    directory, data = copy_registry(tmp_path)
    entry = next(e for e in data["reports"] if e["id"] == "R000")
    entry["sha256"] = "0" * 64
    (directory / "registry.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    registry = load_registry(directory)

    problems = verify(registry)
    assert len(problems) == 1 and entry["file"] in problems[0] and "does not match" in problems[0]
    with pytest.raises(ReportError, match="does not match the registry"):
        registry.report("000").line(106)
    assert registry.report("003").line(560).startswith("แนวทางปฏิบัติเพื่อบรรลุเป้าหมาย")  # the others still read
    with pytest.raises(ValueError, match="sha256"):
        packages.build_package(recipe(statements(relief())), registry)


def test_a_report_edited_after_vendoring_is_refused(tmp_path):
    """Fixing a typo in a vendored report changes its bytes; the registry catches it."""
    directory, data = copy_registry(tmp_path)
    (directory / "registry.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    edited = directory / next(e["file"] for e in data["reports"] if e["id"] == "R000")
    edited.write_bytes(edited.read_bytes().replace("นางสาวอ้นฟ้า".encode(), "นางสาวอ่อนฟ้า".encode()))
    registry = load_registry(directory)
    assert len(verify(registry)) == 1
    with pytest.raises(ReportError, match="byte-identical"):
        registry.report("000").lines


# --- CSV and packages ----------------------------------------------------------------

def test_render_csv_writes_a_utf8_bom_and_the_provenance_columns_last(table_schemas):
    """Excel needs the BOM to read Thai; provenance closes every row so the data columns come first."""
    schema = extract.load_table_schema("facts")
    data = packages.render_csv(schema, [
        {"measure": "ก", "value": Decimal("61.10"), "count": 2475, "source_report": "000", "source_line": 108,
         "source_text": "ร้อยละ ๖๑.๑๐"},
        {"measure": "ข, \"ค\"", "value": None, "source_report": "000", "source_line": 1, "source_text": "ก\nข"},
    ])
    assert data.startswith(BOM) and not data.startswith(BOM + BOM)
    header, first, second = read_csv(data)
    assert header == [f["name"] for f in SCHEMAS["facts"]] + list(PROVENANCE_FIELDS)
    assert header[-3:] == ["source_report", "source_line", "source_text"]
    assert first == ["ก", "61.10", "2475", "", "", "", "000", "108", "ร้อยละ ๖๑.๑๐"]
    assert second[0] == "ข, \"ค\"" and second[1] == "" and second[-1] == "ก\nข"


def test_a_schema_may_not_declare_the_provenance_fields_itself(table_schemas):
    fields = SCHEMAS["facts"] + [{"name": "source_line", "type": "integer"}]
    (table_schemas / "clash.json").write_text(json.dumps({"fields": fields}), encoding="utf-8")
    with pytest.raises(RecipeError, match="source_line"):
        extract.load_table_schema("clash")


def test_check_finds_edited_missing_and_stale_files(recipe):
    """What `publisher build --check` reports, on a package folder in tmp_path."""
    path = recipe(statements(relief()))
    directory = path.parent.parent
    built = packages.build_all(directory=directory, registry=REGISTRY)
    assert packages.differences(built, directory) == [f"{path.parent / 'data/facts.csv'}: missing (run publisher build)",
                                                      f"{path.parent / 'data/test-package.xlsx'}: missing (run publisher build)",
                                                      f"{path.parent / 'datapackage.json'}: missing (run publisher build)"]
    packages.write(built, directory)
    assert packages.differences(built, directory) == []
    descriptor = json.loads((path.parent / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["resources"][0]["hash"].startswith("sha256:")
    assert descriptor["sources"][0]["report"] == "R000"

    csv_file = path.parent / "data" / "facts.csv"
    csv_file.write_bytes(csv_file.read_bytes().replace(b"87.38", b"87.39"))
    (path.parent / "data" / "old.csv").write_bytes(BOM)
    assert packages.differences(built, directory) == [f"{csv_file}: differs from a fresh build (edited by hand, or stale)",
                                                      f"{path.parent / 'data/old.csv'}: no recipe produces it"]


def test_building_twice_gives_byte_identical_files(recipe):
    """The output is a pure function of recipes, schemas and reports: no timestamps, stable order."""
    path = recipe(statements(relief()), {"name": "kpis", "schema": "kpis", "table": KPI_TABLE})
    first = packages.build_all(directory=path.parent.parent, registry=REGISTRY)
    second = packages.build_all(directory=path.parent.parent, registry=load_registry())
    assert [(b.name, b.files) for b in first] == [(b.name, b.files) for b in second]
    assert set(first[0].files) == {"datapackage.json", "data/facts.csv", "data/kpis.csv", f"data/{first[0].name}.xlsx"}


def test_building_the_committed_packages_twice_gives_byte_identical_files():
    first = packages.build_all()
    second = packages.build_all(registry=load_registry())
    assert first, "no recipes under datapackages/"
    files = lambda built: {(b.name, path): data for b in built for path, data in b.files.items()}  # noqa: E731
    assert files(first) == files(second)
    for (name, path), data in files(first).items():
        if path.endswith(".csv"):
            assert data.startswith(BOM), (name, path)
            assert read_csv(data)[0][-3:] == list(PROVENANCE_FIELDS), (name, path)


def test_build_check_passes_on_the_committed_tree():
    """The committed CSVs and descriptors are exactly what the recipes produce.

    Limited to the first package: the other packages' recipes are being written while these
    tests are, and `build --check` with no names fails on any package still half-written."""
    result = subprocess.run([sys.executable, "-m", "publisher", "build", "--check", "covid19-lessons-learned"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "match a fresh build" in result.stdout and "covid19-lessons-learned" in result.stdout


@pytest.mark.parametrize("key", ["title", "title_en", "description", "description_en", "organization", "keywords"])
def test_a_recipe_without_a_required_key_is_a_recipe_error_naming_it(recipe, key):
    path = recipe(statements(relief()))
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    del content[key]
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    message = refused(path)
    assert "recipe-required" in message and key in message and str(path) in message


def test_report_ids_are_not_numbers_and_the_digit_only_ids_they_had_still_resolve():
    """A spreadsheet reads 000 as the number 0; R000 stays text, and a row citing 000 still finds it."""
    for report in REGISTRY.reports.values():
        assert not report.id.replace(".", "").isdigit(), report.id
    assert REGISTRY.report("000") is REGISTRY.report("R000")
    assert REGISTRY.find("004").id == "R004" and REGISTRY.find("999") is None
    with pytest.raises(ReportError, match="unknown report id"):
        REGISTRY.report("999")


def test_a_quote_laid_out_otherwise_is_found_and_the_report_s_passage_kept(tmp_path):
    text = "หัวเรื่อง\n\n2. ภาครัฐบริหารงานแบบบูรณาการ โดย\n\n- 1) มียุทธศาสตร์ชาติ\n\nได้3 แนวทาง และ ๑๒ คน"
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "r.txt").write_text(text, encoding="utf-8")
    (folder / "registry.json").write_text(json.dumps({"agencies": [], "reports": [{
        "id": "r", "file": "r.txt", "sha256": hashlib.sha256(text.encode()).hexdigest(), "title_th": "t",
        "title_en": "t", "agency": "x"}]}), encoding="utf-8")
    report = load_registry(folder).report("r")
    line, printed = report.find("2. ภาครัฐบริหารงานแบบบูรณาการ โดย\n - 1) มียุทธศาสตร์ชาติ")
    assert (line, printed) == (3, "2. ภาครัฐบริหารงานแบบบูรณาการ โดย\n\n- 1) มียุทธศาสตร์ชาติ")
    assert report.find("ได้ 3 แนวทาง") == (7, "ได้3 แนวทาง")
    with pytest.raises(ReportError):
        report.find("๑ ๒ คน")            # two numbers never become one


def test_a_group_row_of_a_read_table_stays_in_its_table():
    rendered = render([Block("table", rows=[["ลำดับ", "ตัวชี้วัด"], ["<b>ด้านเศรษฐกิจ</b>"], ["๑", "มูลค่า"]])])
    assert rendered.text.split("\n") == ["ลำดับ\tตัวชี้วัด", "<b>ด้านเศรษฐกิจ</b>\t", "๑\tมูลค่า"]
