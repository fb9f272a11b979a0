"""A package's tables as one XLSX workbook, for people who open data in a spreadsheet.

A CSV opened in a spreadsheet is typed by guessing: LibreOffice Calc and Excel read the code
``0101`` as the number 101, the year ``2564`` as a number, a cell starting with ``-`` as a
formula, and Calc's default import ignores the byte-order mark and garbles Thai. The workbook
carries the types itself: a ``string`` column of the Table Schema is written as text (cells and
column formatted ``@``), numbers as numbers, booleans as booleans, so nothing is guessed. Its
first sheet describes the dataset and every column in Thai and English.

It is made from the CSV bytes, so each cell is the CSV's cell; and it is byte-stable: the zip
entries carry XlsxWriter's fixed 1980-01-01 timestamp (in-memory mode) and the document's
creation date is fixed, so an unchanged dataset gives the same bytes and is not uploaded again.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import xlsxwriter

ABOUT_SHEET = "คำอธิบาย"
SHEET_NAME_MAX = 31         # Excel's limit on a sheet name
CELL_TEXT_MAX = 32767       # Excel's limit on the characters of one cell
CREATED = datetime(2000, 1, 1, tzinfo=timezone.utc)  # fixed, so the bytes do not depend on the day
MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SpreadsheetError(ValueError):
    """A table that cannot be written faithfully (a cell longer than a spreadsheet holds)."""


def sheet_names(resource_names: list[str]) -> dict[str, str]:
    """A sheet name per resource: at most 31 characters and unique (the about sheet keeps its own)."""
    taken, out = {ABOUT_SHEET.lower()}, {}
    for name in resource_names:
        candidate, n = name[:SHEET_NAME_MAX], 1
        while candidate.lower() in taken:
            n += 1
            suffix = f"~{n}"
            candidate = name[:SHEET_NAME_MAX - len(suffix)] + suffix
        taken.add(candidate.lower())
        out[name] = candidate
    return out


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def cell_value(kind: str, text: str):
    """The typed value of a CSV cell; None for an empty one. Anything not numeric or boolean stays text."""
    if text == "":
        return None
    if kind == "integer":
        return int(text)
    if kind == "number":
        return float(text)
    if kind == "boolean":
        return text == "true"
    return text


def _about(book, sheet, descriptor: dict, names: dict[str, str], rows: dict[str, int], fmt: dict) -> None:
    organization = descriptor.get("organization", {})
    lines = [
        ("ชื่อชุดข้อมูล", "Title", descriptor.get("title", ""), descriptor.get("title_en", "")),
        ("คำอธิบาย", "Description", descriptor.get("description", ""), descriptor.get("description_en", "")),
        ("หน่วยงาน", "Organization", organization.get("title", ""), organization.get("title_en", "")),
        ("สัญญาอนุญาต", "Licence", ", ".join(l.get("title") or l["name"] for l in descriptor.get("licenses", [])),
         ", ".join(l["name"] for l in descriptor.get("licenses", []))),
        ("ชื่อในระบบ", "Identifier", descriptor.get("name", ""), ""),
    ]
    for source in descriptor.get("sources", []):
        lines.append(("แหล่งที่มา " + source.get("report", ""), "Source " + source.get("report", ""),
                      source.get("title", ""), source.get("title_en", "")))
    sheet.set_column(0, 1, 18, fmt["text"])
    sheet.set_column(2, 3, 60, fmt["wrap"])
    sheet.set_column(4, 8, 24, fmt["wrap"])
    row = 0
    for th, en, value_th, value_en in lines:
        sheet.write_string(row, 0, th, fmt["bold"])
        sheet.write_string(row, 1, en, fmt["bold"])
        sheet.write_string(row, 2, value_th, fmt["wrap"])
        sheet.write_string(row, 3, value_en, fmt["wrap"])
        row += 1
    row += 1
    header = ["แผ่นงาน / Sheet", "คอลัมน์ / Column", "ชื่อ (ไทย)", "Title (English)", "ชนิด / Type",
              "คำอธิบาย (ไทย)", "Description (English)", "แถว / Rows", "ทรัพยากร / Resource"]
    for col, label in enumerate(header):
        sheet.write_string(row, col, label, fmt["bold"])
    sheet.freeze_panes(row + 1, 0)
    for resource in descriptor.get("resources", []):
        row += 1
        title = resource.get("title", "")
        for col, value in enumerate([names[resource["name"]], "", title, resource.get("title_en", ""), "",
                                     resource.get("description", ""), resource.get("description_en", "")]):
            sheet.write_string(row, col, value, fmt["bold"] if col < 4 else fmt["wrap"])
        sheet.write_number(row, 7, rows[resource["name"]])
        sheet.write_string(row, 8, resource["name"], fmt["text"])
        for field in resource["schema"]["fields"]:
            row += 1
            for col, value in enumerate([names[resource["name"]], field["name"], field.get("title", ""),
                                         field.get("title_en", ""), field.get("type", "string"),
                                         field.get("description", ""), field.get("description_en", "")]):
                sheet.write_string(row, col, value, fmt["wrap"] if col >= 5 else fmt["text"])


def _table(sheet, resource: dict, rows: list[list[str]], fmt: dict) -> None:
    fields = resource["schema"]["fields"]
    kinds = [f.get("type", "string") for f in fields]
    for col, kind in enumerate(kinds):
        text = kind not in ("integer", "number", "boolean")
        sheet.set_column(col, col, 40 if fields[col]["name"] == "source_text" else 16, fmt["text"] if text else None)
    header, body = rows[0], rows[1:]
    for col, name in enumerate(header):
        sheet.write_string(0, col, name, fmt["bold"])
    sheet.freeze_panes(1, 0)
    for r, cells in enumerate(body, start=1):
        for col, (kind, text) in enumerate(zip(kinds, cells)):
            value = cell_value(kind, text)
            if value is None:
                continue
            if isinstance(value, bool):
                sheet.write_boolean(r, col, value)
            elif isinstance(value, (int, float)):
                sheet.write_number(r, col, value)
            else:
                if len(value) > CELL_TEXT_MAX:
                    raise SpreadsheetError(f"{resource['path']}: row {r + 1}, field {header[col]}: "
                                           f"{len(value)} characters, more than a spreadsheet cell holds")
                sheet.write_string(r, col, value, fmt["text"])


def workbook(descriptor: dict, tables: dict[str, bytes]) -> bytes:
    """``tables``: each resource's CSV bytes by resource name. Returns the XLSX bytes."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False})
    book.set_properties({"title": descriptor.get("title", ""), "subject": descriptor.get("title_en", ""),
                         "author": descriptor.get("organization", {}).get("title", ""),
                         "created": CREATED})
    fmt = {"text": book.add_format({"num_format": "@"}),
           "wrap": book.add_format({"num_format": "@", "text_wrap": True, "valign": "top"}),
           "bold": book.add_format({"num_format": "@", "bold": True})}
    resources = descriptor.get("resources", [])
    names = sheet_names([r["name"] for r in resources])
    parsed = {r["name"]: csv_rows(tables[r["name"]]) for r in resources}
    about = book.add_worksheet(ABOUT_SHEET)
    _about(book, about, descriptor, names, {k: len(v) - 1 for k, v in parsed.items()}, fmt)
    for resource in resources:
        _table(book.add_worksheet(names[resource["name"]]), resource, parsed[resource["name"]], fmt)
    book.close()
    return buffer.getvalue()
