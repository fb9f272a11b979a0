"""Each dataset's XLSX: every cell as in its CSV, codes as text, Thai intact, byte-stable; and
what a spreadsheet user meets when LibreOffice Calc opens the CSV and the XLSX as they are."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from publisher import packages
from publisher.packages import workbook_path
from publisher.reports.registry import load_registry
from publisher.spreadsheet import ABOUT_SHEET, sheet_names, workbook
from tests.conftest import ROOT

PACKAGES = sorted(p.parent for p in (ROOT / "datapackages").glob("*/datapackage.json"))


def descriptor_of(folder: Path) -> dict:
    return json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))


def csv_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def assert_cell_is_the_csv_cell(cell, kind: str, text: str, where: str) -> None:
    if text == "":
        assert cell.value is None, where
    elif kind in ("integer", "number"):
        assert cell.data_type == "n" and Decimal(str(cell.value)) == Decimal(text), (where, cell.value, text)
    elif kind == "boolean":
        assert cell.data_type == "b" and cell.value == (text == "true"), where
    else:  # text stays text: codes, years written as strings, Thai, "- " at the start
        assert cell.data_type == "s" and cell.value == text, (where, cell.value, text)


def assert_workbook_matches_csvs(path: Path, folder: Path) -> int:
    book = openpyxl.load_workbook(path)
    descriptor = descriptor_of(folder)
    names = sheet_names([r["name"] for r in descriptor["resources"]])
    assert book.sheetnames == [ABOUT_SHEET] + [names[r["name"]] for r in descriptor["resources"]]
    cells = 0
    for resource in descriptor["resources"]:
        sheet = book[names[resource["name"]]]
        rows = csv_rows(folder / resource["path"])
        kinds = [f.get("type", "string") for f in resource["schema"]["fields"]]
        assert sheet.max_row == len(rows) and sheet.max_column == len(rows[0]), resource["name"]
        assert [c.value for c in sheet[1]] == rows[0]
        for number, row in enumerate(rows[1:], start=2):
            for column, (kind, text) in enumerate(zip(kinds, row), start=1):
                assert_cell_is_the_csv_cell(sheet.cell(number, column), kind, text,
                                            f"{path.name}:{resource['name']}!R{number}C{column}")
                cells += 1
    return cells


@pytest.mark.parametrize("folder", PACKAGES, ids=lambda p: p.name)
def test_every_cell_of_the_workbook_is_the_cell_of_its_csv_and_codes_stay_text(folder):
    path = folder / workbook_path(folder.name)
    assert assert_workbook_matches_csvs(path, folder) > 0
    book = openpyxl.load_workbook(path)
    for sheet in book.sheetnames[1:]:
        header = [c.value for c in book[sheet][1]]
        if "source_report" in header:
            column = header.index("source_report") + 1
            ids = {book[sheet].cell(r, column).value for r in range(2, book[sheet].max_row + 1)}
            assert ids and all(isinstance(i, str) and not i.isdigit() for i in ids), ids


@pytest.mark.parametrize("folder", PACKAGES, ids=lambda p: p.name)
def test_the_first_sheet_describes_the_dataset_and_every_column_in_thai_and_english(folder):
    descriptor = descriptor_of(folder)
    about = openpyxl.load_workbook(folder / workbook_path(folder.name))[ABOUT_SHEET]
    values = [[c.value for c in row] for row in about.iter_rows()]
    flat = {v for row in values for v in row if v}
    assert {descriptor["title"], descriptor["title_en"], descriptor["description"], descriptor["description_en"]} <= flat
    described = {(row[0], row[1]) for row in values if row[1]}
    for resource in descriptor["resources"]:
        sheet = sheet_names([r["name"] for r in descriptor["resources"]])[resource["name"]]
        for field in resource["schema"]["fields"]:
            assert (sheet, field["name"]) in described
            row = next(r for r in values if (r[0], r[1]) == (sheet, field["name"]))
            assert row[2] == field.get("title", "") and row[3] == field.get("title_en", "")


def test_a_workbook_is_byte_stable_and_its_zip_carries_no_build_time():
    built = packages.build_all(names=["th-provinces", "public-sector-digital-indicators"], registry=load_registry())
    for package in built:
        path = workbook_path(package.name)
        committed = (ROOT / "datapackages" / package.name / path).read_bytes()
        assert package.files[path] == committed
        with zipfile.ZipFile(io.BytesIO(committed)) as archive:
            assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
            assert b"<dcterms:created" in archive.read("docProps/core.xml")
            assert b"2000-01-01T00:00:00Z" in archive.read("docProps/core.xml")


def test_sheet_names_fit_a_spreadsheet_and_stay_unique():
    names = sheet_names(["thaicert-incidents-and-monitoring", "thaicert-incidents-and-monitoring-2", "คำอธิบาย"])
    assert all(len(n) <= 31 for n in names.values()) and len(set(names.values())) == 3
    assert names["คำอธิบาย"] != ABOUT_SHEET


def test_a_workbook_writes_formula_like_text_as_text():
    schema = {"fields": [{"name": "note", "type": "string"}, {"name": "n", "type": "integer"}]}
    descriptor = {"name": "x", "title": "x", "resources": [{"name": "t", "path": "data/t.csv", "schema": schema}]}
    table = "\ufeffnote,n\n- ขั้นแรก,1\n=1+1,2\n0101,3\n".encode("utf-8")
    sheet = openpyxl.load_workbook(io.BytesIO(workbook(descriptor, {"t": table})))["t"]
    assert [(sheet.cell(r, 1).value, sheet.cell(r, 1).data_type) for r in (2, 3, 4)] == [
        ("- ขั้นแรก", "s"), ("=1+1", "s"), ("0101", "s")]


# --- as LibreOffice Calc opens them ---------------------------------------------------------------

def calc(tmp_path: Path, source: Path, infilter: str | None = None) -> openpyxl.Workbook:
    """Open a file in headless LibreOffice Calc (default import options unless infilter) and save it
    as XLSX, as a user who opens and saves it would; returns what Calc saved."""
    if not shutil.which("soffice"):
        pytest.fail("LibreOffice is missing: run stack/install-office.sh")
    out = tmp_path / f"calc-{source.stem}"
    command = ["soffice", f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless",
               "--convert-to", "xlsx", "--outdir", str(out)]
    if infilter:
        command.insert(-4, f"--infilter={infilter}")
    result = subprocess.run([*command, str(source)], capture_output=True, text=True, timeout=300,
                            env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    saved = out / f"{source.stem}.xlsx"
    assert saved.exists(), (result.stdout, result.stderr)
    return openpyxl.load_workbook(saved)


def test_calc_opens_the_xlsx_intact_with_its_default_options_where_the_csv_is_garbled(tmp_path):
    folder = ROOT / "datapackages" / "public-sector-digital-indicators"
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("recipe.yaml"))

    # the XLSX, default options: every Thai cell and every code exactly as in the CSVs
    calc(tmp_path, copy / workbook_path(folder.name))
    assert assert_workbook_matches_csvs(tmp_path / f"calc-{folder.name}" / f"{folder.name}.xlsx", copy) > 0

    # the CSV, default options: Calc ignores the byte-order mark and reads the UTF-8 as another
    # character set, and digit-only text becomes a number (what the README warns about)
    statements = csv_rows(copy / "data" / "statements.csv")
    sheet = calc(tmp_path, copy / "data" / "statements.csv").active
    header = [c.value for c in sheet[1]]
    assert header[0] != statements[0][0] and header[0].endswith(statements[0][0])   # "ï»¿statement_id"
    thai = statements[0].index("measure_th")
    assert sheet.cell(2, thai + 1).value != statements[1][thai]
    year = statements[0].index("year_be")
    assert isinstance(sheet.cell(2, year + 1).value, int)
    # report ids begin with a letter, so even this import keeps them text
    report = statements[0].index("source_report")
    assert [sheet.cell(r, report + 1).value for r in range(2, 6)] == [row[report] for row in statements[1:5]]

    # the CSV with the options the README names (Unicode UTF-8): the Thai is intact
    utf8 = calc(tmp_path, copy / "data" / "statements.csv", infilter="CSV:44,34,76,1").active
    assert [c.value for c in utf8[1]] == statements[0]
    assert utf8.cell(2, thai + 1).value == statements[1][thai]

