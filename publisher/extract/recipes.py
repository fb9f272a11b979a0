"""Run the extraction recipe of each resource against its report: rows with provenance.

A recipe (``datapackages/<slug>/recipe.yaml``) says, for each resource, which passages of
which report hold its values. Two kinds of source, which a resource may combine:

``rows`` – one row per quoted statement::

    - report: "000"
      quote: "ในปีงบประมาณ พ.ศ. ๒๕๖๔ มีส่วนราชการที่ได้รับผลกระทบในเรื่องดังกล่าวร้อยละ ๕๖.๔๑"
      numbers: {fiscal_year_be: "๒๕๖๔", percent_of_agencies: "๕๖.๔๑"}
      values: {indicator_id: face_to_face_service}

  ``quote`` must occur exactly once in the report (it is found again if the report is
  revised, and the build fails if it is gone); where the report lays the same words out
  with other line breaks or spaces, that one place is taken and ``source_text`` is the
  passage as the report prints it. Every numeric column comes from ``numbers``:
  a literal that occurs inside the quote, parsed by the column's type. ``values`` holds
  only text a person wrote (labels, codes, notes), never a number.

  ``dates: {signed_on: "๑๗ มีนาคม ๒๕๖๕"}`` turns a Thai date of the quote into an ISO date
  column (BE to CE). A number printed with a multiplier word (``"๑๘ ล้าน"``, ``"1.5 พันล้าน"``)
  is multiplied out, and a column ``<name>_printed``, when the schema has one, keeps the
  figure as printed. ``quote_2`` is a second supporting passage of the same report for a row
  whose values sit in two places: numbers and dates may come from either, and the row gets
  ``source_line_2`` and ``source_text_2``. ``confirmed: true`` says a person checked a number
  that OCR read (validate refuses it until then).

``table`` – the rows of a tab table found after an anchor line::

    table:
      report: "000"
      after: "ตัวอย่าง ตัวชี้วัดที่ได้รับผลกระทบ"   # unique text just above the table
      header_rows: 2                           # merged two-row headers are joined
      expect_header: ["ลำดับ", "ตัวชี้วัด", ...]  # the table we think it is, or fail
      columns: [seq, kpi_name_th, affected_2563, affected_2564]   # by cell; null skips
      group_column: kpi_group_th               # label of <b>…</b> group rows above
      expect_rows: 13

  Further options: ``single_cell_groups`` (a row with only its first cell filled is a
  group label), ``continuation`` (default true: a row with an empty first cell continues
  the one above), ``skip`` (regexes; rows whose first cell matches are left out),
  ``fill_down`` (columns whose empty cells repeat the value above), ``explode``
  (``{column, separator}``: one row per item of a list cell), ``patterns`` (``[{from,
  pattern, into}]``: a regex group of one column moved into another), ``values``
  (constants for every row), ``until`` (text of the first line after the table).

Every row carries ``source_report``, ``source_line`` and ``source_text``: the verbatim
passage (the quote, or the table row's physical lines) that contains its values.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from publisher.settings import schema_file
from publisher.extract import thai
from publisher.extract.closest import closest_passage
from publisher.extract.numbers import MULTIPLIERS, parse_multiplied
from publisher.gate.paths import slug_refusal
from publisher.reports.registry import Registry, Report, ReportError

TABLE_SCHEMAS = schema_file("tables")
PROVENANCE_FIELDS = ("source_report", "source_line", "source_text")
NUMERIC_TYPES = ("integer", "number", "year")


class RecipeError(ValueError):
    """A recipe cannot be run; the message names the file, resource, row and rule."""


@dataclass(frozen=True)
class Where:
    recipe: Path
    resource: str

    def error(self, rule: str, message: str, row: int | None = None) -> RecipeError:
        at = f"{self.recipe}: resource {self.resource!r}" + (f", row {row}" if row is not None else "")
        return RecipeError(f"{at}: [{rule}] {message}")


def load_table_schema(name: str, directory: Path = TABLE_SCHEMAS, second_quote: bool = False) -> dict:
    """A Table Schema from schemas/tables/, with the shared provenance fields appended (and
    those of a second supporting quote when a row of the resource has one)."""
    refused = slug_refusal(name, "schema")
    if refused:
        raise RecipeError(f"[{refused.rule}] schema: {refused.message}")
    path = directory / f"{name}.json"
    if not path.exists():
        raise RecipeError(f"no Table Schema {path}")
    schema = json.loads(path.read_text(encoding="utf-8"))
    provenance = json.loads((directory / "_provenance.json").read_text(encoding="utf-8"))
    names = [f["name"] for f in schema["fields"]]
    clash = set(names) & set(PROVENANCE_FIELDS)
    if clash:
        raise RecipeError(f"{path}: fields {sorted(clash)} are added to every schema; remove them")
    schema["fields"] = schema["fields"] + provenance["fields"] + (provenance["second"] if second_quote else [])
    return schema


def _field_map(schema: dict) -> dict[str, dict]:
    return {f["name"]: f for f in schema["fields"]}


def parse_cell(text: str, spec: dict) -> Any:
    """A value from report text, by its Table Schema field: numbers, BE years, ✓/X, text."""
    kind = spec.get("type", "string")
    cleaned = thai.strip_markup(text)
    if cleaned == "":
        return None
    if kind in NUMERIC_TYPES:
        if spec.get("calendar") == "buddhist-era":
            return thai.parse_be_year(cleaned)
        if cleaned.startswith("ร้อยละ") or cleaned.endswith("%"):
            value = thai.parse_percent(cleaned)
        elif cleaned.endswith(tuple(MULTIPLIERS)):
            value = parse_multiplied(cleaned)
        else:
            value = thai.parse_number(cleaned)
        if kind in ("integer", "year"):
            if value != value.to_integral_value():
                raise ValueError(f"{cleaned!r} is not a whole number")
            return int(value)
        return value
    if kind == "boolean":
        return thai.parse_check_mark(cleaned)
    return cleaned


# --- statements ----------------------------------------------------------------------

def statement_rows(specs: list[dict], schema: dict, registry: Registry, where: Where,
                   default_report: str | None) -> list[dict]:
    fields = _field_map(schema)
    rows = []
    for index, spec in enumerate(specs, start=1):
        unknown = set(spec) - ROW_KEYS
        if unknown:
            raise where.error("recipe-key", f"unknown keys {sorted(unknown)}", index)
        report_id = str(spec.get("report") or default_report or "")
        if not report_id:
            raise where.error("recipe-report", "no report: give report: on the row or the resource", index)
        quote = spec.get("quote")
        if not quote:
            raise where.error("recipe-quote", "every row needs the quote that contains its values", index)
        quotes = [quote] + ([spec["quote_2"]] if spec.get("quote_2") else [])
        lines, printed = [], []
        for text in quotes:
            try:
                report = registry.report(report_id)
                found_line, found_text = report.find(text)
                lines.append(found_line)
                printed.append(found_text)
            except ReportError as exc:
                raise where.error("quote-not-found", str(exc) + _closest_hint(registry, report_id, text), index) from None
        line = lines[0]
        row: dict[str, Any] = {}
        for column, literal in (spec.get("numbers") or {}).items():
            row[column] = _quoted_value(column, str(literal), quotes, fields, NUMERIC_TYPES, where, index)
            if f"{column}_printed" in fields:
                row[f"{column}_printed"] = str(literal)
        for column, literal in (spec.get("dates") or {}).items():
            row[column] = _quoted_value(column, str(literal), quotes, fields, ("date",), where, index)
        for column, value in (spec.get("values") or {}).items():
            field = fields.get(column)
            if field is None:
                raise where.error("unknown-column", f"{column!r} is not in the Table Schema", index)
            if field.get("type") in NUMERIC_TYPES:
                raise where.error("numbers-must-be-quoted",
                                  f"{column!r} is numeric: give it under numbers: as text quoted from the report",
                                  index)
            row[column] = value
        row.update(source_report=report.id, source_line=line, source_text=printed[0])
        if len(quotes) > 1:
            row.update(source_line_2=lines[1], source_text_2=printed[1])
        rows.append(row)
    return rows


ROW_KEYS = {"report", "quote", "quote_2", "numbers", "dates", "values", "confirmed"}
_DIGIT = "0-9" + thai.THAI_DIGITS


def _quoted_value(column: str, literal: str, quotes: list[str], fields: dict[str, dict], types: tuple[str, ...],
                  where: Where, index: int) -> Any:
    """A number or date column: its literal occurs whole in one of the row's quotes, parsed by the field."""
    field = fields.get(column)
    if field is None:
        raise where.error("unknown-column", f"{column!r} is not in the Table Schema", index)
    if field.get("type") not in types:
        raise where.error("numbers-are-numeric" if "date" not in types else "dates-are-dates",
                          f"{column!r} is {field.get('type')}; put it under values", index)
    if not any(literal in quote for quote in quotes):
        raise where.error("number-not-in-quote", f"{column}: {literal!r} does not occur in the quote", index)
    if not any(_occurs_whole(literal, quote) for quote in quotes):
        raise where.error("number-not-in-quote",
                          f"{column}: {literal!r} occurs in the quote only as part of a longer number", index)
    try:
        return thai.parse_thai_date(literal) if field.get("type") == "date" else parse_cell(literal, field)
    except ValueError as exc:
        raise where.error("number-unparsable", f"{column}: {exc}", index) from None


def _closest_hint(registry: Registry, report_id: str, quote: str) -> str:
    """'; closest passage at line 183: '2,181' in the quote, '2,180' in the report', or ''."""
    report = registry.find(report_id)
    if report is None or quote in report.text:
        return ""
    found = closest_passage(quote, report.lines)
    return f"; {found.describe()}" if found else ""


def _occurs_whole(literal: str, quote: str) -> bool:
    """The literal occurs in the quote not as a piece of a longer number: '๑๐' is not in '๑๐๓',
    '๕๖' is not in '๕๖.๔๑', '๔๗๕' is not in '๒,๔๗๕'."""
    pattern = re.escape(literal)
    if re.match(f"[{_DIGIT}]", literal):
        pattern = f"(?<![{_DIGIT}])(?<![{_DIGIT}][.,])" + pattern
    if re.search(f"[{_DIGIT}]$", literal):
        pattern += f"(?![{_DIGIT}])(?![.,][{_DIGIT}])"
    return re.search(pattern, quote) is not None


# --- tables --------------------------------------------------------------------------

TABLE_KEYS = {"report", "after", "until", "header_rows", "expect_header", "columns", "group_column",
              "single_cell_groups", "continuation", "skip", "fill_down", "explode", "patterns", "values",
              "expect_rows", "confirmed"}


def table_block(report: Report, after: str, until: str | None) -> list[tuple[int, str]]:
    """The tab lines after the anchor, across blank lines, up to the first line without a tab."""
    start, _ = report.find(after)
    block: list[tuple[int, str]] = []
    for number in range(start + 1, len(report.lines) + 1):
        text = report.line(number)
        if until is not None and until in text:
            break
        if not text.strip():
            continue
        if "\t" not in text:
            if block:
                break
            continue  # a caption or note between the anchor and the table
        block.append((number, text))
    if not block:
        raise ReportError(f"report {report.id}: no tab table after {after!r} (line {start})")
    return block


def table_rows(spec: dict, schema: dict, registry: Registry, where: Where) -> list[dict]:
    unknown = set(spec) - TABLE_KEYS
    if unknown:
        raise where.error("recipe-key", f"unknown table keys {sorted(unknown)}")
    fields = _field_map(schema)
    if not isinstance(spec.get("columns"), list):
        raise where.error("recipe-columns", "a table needs columns: one name (or null) per cell")
    columns: list[str | None] = spec["columns"]
    for column in [c for c in columns if c] + [spec.get("group_column")] + list(spec.get("values") or {}):
        if column and column not in fields:
            raise where.error("unknown-column", f"{column!r} is not in the Table Schema")
    try:
        report = registry.report(str(spec["report"]))
        block = table_block(report, spec["after"], spec.get("until"))
    except (ReportError, KeyError) as exc:
        raise where.error("table-not-found", str(exc)) from None
    header_rows = int(spec.get("header_rows", 1))
    if spec.get("single_cell_groups"):
        block = [(n, _as_group(t)) for n, t in block]
    table = thai.parse_tab_table(block, header_rows=header_rows,
                                 continuation=spec.get("continuation", True))
    if "expect_header" in spec:
        squeeze = lambda cells: [re.sub(r"\s+", "", c) for c in cells if c.strip()]  # noqa: E731
        if squeeze(table.header) != squeeze(spec["expect_header"]):
            raise where.error("table-header-changed", f"header is {table.header}, expected {spec['expect_header']}")
    skip = [re.compile(p) for p in spec.get("skip", [])]
    rows: list[dict] = []
    previous: dict[str, Any] = {}
    for row in table.rows:
        first = thai.strip_markup(row.cells[0]) if row.cells else ""
        if any(p.search(first) for p in skip):
            continue
        # the contiguous span, so a row continued after a repeated header is still verbatim
        passage = "\n".join(report.line(n) for n in range(row.line, row.last_line + 1))
        raw: dict[str, str] = {}
        for index, column in enumerate(columns):
            if column:
                raw[column] = row.cells[index] if index < len(row.cells) else ""
        for pieces in _explode(raw, spec.get("explode")):
            record: dict[str, Any] = {}
            for column, text in pieces.items():
                try:
                    record[column] = parse_cell(text, fields[column])
                except ValueError as exc:
                    raise where.error("cell-unparsable", f"line {row.line}, column {column}: {exc}") from None
            for rule in spec.get("patterns", []):
                source = record.get(rule["from"]) or ""
                match = re.search(rule["pattern"], source)
                record[rule["into"]] = match.group(1) if match else None
                if match and rule.get("remove", True):
                    record[rule["from"]] = (source[:match.start()] + source[match.end():]).strip()
            if spec.get("group_column"):
                record[spec["group_column"]] = row.group
            for column in spec.get("fill_down", []):
                if record.get(column) in (None, ""):
                    record[column] = previous.get(column)
            record.update(spec.get("values") or {})
            record.update(source_report=report.id, source_line=row.line, source_text=passage)
            previous = record
            rows.append(record)
    if "expect_rows" in spec and len(rows) != spec["expect_rows"]:
        raise where.error("table-rows-changed", f"{len(rows)} rows, expected {spec['expect_rows']}")
    return rows


def _as_group(text: str) -> str:
    cells = text.split("\t")
    if cells[0].strip() and not any(c.strip() for c in cells[1:]) and "<b>" not in cells[0]:
        cells[0] = f"<b>{cells[0]}</b>"
    return "\t".join(cells)


def _explode(raw: dict[str, str], spec: dict | None) -> list[dict[str, str]]:
    if not spec:
        return [raw]
    column, separator = spec["column"], spec["separator"]
    items = [thai.strip_markup(i) for i in raw.get(column, "").split(separator)]
    items = [i for i in items if i]
    return [{**raw, column: item} for item in items] or [raw]


# --- one resource --------------------------------------------------------------------

def extract_resource(spec: dict, registry: Registry, recipe: Path) -> tuple[dict, list[dict]]:
    """The Table Schema and the rows of one resource of a recipe."""
    where = Where(recipe, spec.get("name", "?"))
    if "schema" not in spec:
        raise where.error("recipe-schema", "every resource names its Table Schema in schemas/tables/")
    schema = load_table_schema(spec["schema"], second_quote=any("quote_2" in r for r in spec.get("rows") or []))
    rows: list[dict] = []
    if "table" in spec:
        rows += table_rows(spec["table"], schema, registry, where)
    if "rows" in spec:
        rows += statement_rows(spec["rows"], schema, registry, where, spec.get("report"))
    if not rows:
        raise where.error("recipe-empty", "a resource needs rows: or table:")
    return schema, rows


def to_csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return thai.format_number(value)
    if isinstance(value, (list, tuple)):
        return json.dumps(list(value), ensure_ascii=False)
    return str(value)
