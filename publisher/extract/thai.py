"""Thai text as the reports print it, turned into values: digits, numbers, percentages,
Buddhist-Era and fiscal years, dates, check marks, markup remnants and tab tables.

Every parser here is strict: text it does not recognise raises ``ValueError`` naming the
text, because a number silently misread is worse than a build that stops.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
BE_OFFSET = 543
_TO_ARABIC = str.maketrans(THAI_DIGITS, "0123456789")
_TO_THAI = str.maketrans("0123456789", THAI_DIGITS)

THAI_MONTHS = ("มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
               "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม")
THAI_MONTHS_SHORT = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
                     "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")

CHECK_MARKS = {"✓": True, "✔": True, "X": False, "x": False, "✗": False, "×": False}

# ASCII only: Decimal() would also read Arabic-Indic, full-width or Bengali digits
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?", re.ASCII)
_PERCENT_WORD = "ร้อยละ"
_MARKUP = re.compile(r"</?(?:b|p|ul|li|strong|em|br)\b[^>]*>|\*\*", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\u00a0]+")


# --- digits and numbers --------------------------------------------------------------

def to_arabic_digits(text: str) -> str:
    return text.translate(_TO_ARABIC)


def to_thai_digits(text: str) -> str:
    return text.translate(_TO_THAI)


def parse_number(text: str) -> Decimal:
    """'๒,๔๗๕' → 2475, '๕๖.๔๑' → 56.41, '1,206,349,014' → 1206349014.

    Thousands separators must sit every three digits; anything else around the number
    (units, words, a percent sign) is an error: quote the number alone.
    """
    cleaned = to_arabic_digits(unicodedata.normalize("NFC", text)).strip()
    if not _NUMBER.fullmatch(cleaned):
        raise ValueError(f"not a number: {text!r}")
    try:
        return Decimal(cleaned.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the pattern already rules this out
        raise ValueError(f"not a number: {text!r}") from exc


def parse_integer(text: str) -> int:
    value = parse_number(text)
    if value != value.to_integral_value():
        raise ValueError(f"not a whole number: {text!r}")
    return int(value)


def format_number(value: Decimal | int, thousands: bool = False, thai_digits: bool = False) -> str:
    """The inverse of parse_number: plain decimal notation, no exponent, scale kept."""
    if isinstance(value, int):
        value = Decimal(value)  # f"{5:f}" is '5.000000', and goes through float for big integers
    text = f"{value:,f}" if thousands else f"{value:f}"
    return to_thai_digits(text) if thai_digits else text


def parse_percent(text: str) -> Decimal:
    """'ร้อยละ ๕๖.๔๑' → 56.41, '๑๐๐%' → 100, '56.41 %' → 56.41."""
    cleaned = unicodedata.normalize("NFC", text).strip()
    if cleaned.startswith(_PERCENT_WORD):
        cleaned = cleaned[len(_PERCENT_WORD):]
    elif cleaned.endswith("%"):
        cleaned = cleaned[:-1]
    else:
        raise ValueError(f"not a percentage (needs ร้อยละ or %): {text!r}")
    try:
        return parse_number(cleaned)
    except ValueError:
        raise ValueError(f"not a percentage: {text!r}") from None


# --- years and dates -----------------------------------------------------------------

def be_to_ce(year_be: int) -> int:
    return year_be - BE_OFFSET


def ce_to_be(year_ce: int) -> int:
    return year_ce + BE_OFFSET


def parse_be_year(text: str) -> int:
    """A four-digit Buddhist-Era year ('๒๕๖๔', 'พ.ศ. 2564'); rejects CE years by range."""
    cleaned = unicodedata.normalize("NFC", text).strip()
    cleaned = re.sub(r"^(?:พ\.\s?ศ\.|ปีงบประมาณ|ปี)\s*", "", cleaned)
    cleaned = re.sub(r"^(?:พ\.\s?ศ\.)\s*", "", cleaned)
    try:
        year = parse_integer(cleaned)
    except ValueError:
        raise ValueError(f"not a Buddhist-Era year: {text!r}") from None
    if not 2400 <= year <= 2700:
        raise ValueError(f"not a Buddhist-Era year: {text!r}")
    return year


def fiscal_year_range(year_be: int) -> tuple[date, date]:
    """Thai fiscal year ปีงบประมาณ 2564 runs 1 Oct 2020 – 30 Sep 2021."""
    year_ce = be_to_ce(year_be)
    return date(year_ce - 1, 10, 1), date(year_ce, 9, 30)


def fiscal_year_of(day: date) -> int:
    """The BE fiscal year a CE date falls in."""
    return ce_to_be(day.year + 1 if day.month >= 10 else day.year)


def thai_month(name: str) -> int:
    cleaned = unicodedata.normalize("NFC", name).strip()
    for table in (THAI_MONTHS, THAI_MONTHS_SHORT):
        if cleaned in table:
            return table.index(cleaned) + 1
    raise ValueError(f"not a Thai month name: {name!r}")


def parse_thai_date(text: str) -> date:
    """'๑๗ มีนาคม ๒๕๖๕' or '3 ก.ย. 2564' (day, Thai month, BE year) → a CE date."""
    cleaned = _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()
    match = re.fullmatch(r"(\S+) (\S+?) (?:พ\.\s?ศ\.\s?)?(\S+)", cleaned)
    if not match:
        raise ValueError(f"not a Thai date (day month BE-year): {text!r}")
    day, month, year = match.groups()
    try:
        return date(be_to_ce(parse_be_year(year)), thai_month(month), parse_integer(day))
    except ValueError as exc:
        raise ValueError(f"not a Thai date: {text!r} ({exc})") from exc


def format_thai_date(day: date, thai_digits: bool = True) -> str:
    text = f"{day.day} {THAI_MONTHS[day.month - 1]} {ce_to_be(day.year)}"
    return to_thai_digits(text) if thai_digits else text


# --- cells, marks and markup ---------------------------------------------------------

def parse_check_mark(text: str) -> bool:
    """'✓' → True, 'X' → False (the reports' legend: X หมายถึง ไม่ได้รับผลกระทบ)."""
    cleaned = text.strip()
    if cleaned not in CHECK_MARKS:
        raise ValueError(f"not a check mark (✓ or X): {text!r}")
    return CHECK_MARKS[cleaned]


def strip_markup(text: str) -> str:
    """Remove <b>, <p>, <ul>, <li> and ** remnants; fold runs of spaces; NFC."""
    return _SPACES.sub(" ", _MARKUP.sub(" ", unicodedata.normalize("NFC", text))).strip()


def is_stub(line: str) -> bool:
    """A placeholder line cut off with '...' that repeats the heading of the next line."""
    stripped = line.strip()
    return "\t" not in line and (stripped.endswith("...") or stripped.endswith("…"))


# --- tab tables ----------------------------------------------------------------------

@dataclass
class Row:
    line: int                    # 1-based physical line of the row's first line
    cells: list[str]
    lines: list[int] = field(default_factory=list)  # every physical line merged into it
    group: str | None = None     # the label of the last <b> group row above it

    @property
    def last_line(self) -> int:
        return self.lines[-1] if self.lines else self.line


@dataclass
class Table:
    header: list[str]
    rows: list[Row]


def split_cells(line: str) -> list[str]:
    return line.split("\t")


def merge_header(rows: list[list[str]]) -> list[str]:
    """Two-row merged headers: a top cell spans the empty cells to its right, and the
    bottom row names the columns beneath it ('ปีที่ได้รับผลกระทบ' / 'ปี ๒๕๖๓')."""
    width = max(len(r) for r in rows)
    padded = [[strip_markup(c) for c in r] + [""] * (width - len(r)) for r in rows]
    merged = []
    for column in range(width):
        parts = []
        for level, row in enumerate(padded):
            cell = row[column]
            if not cell and level < len(padded) - 1:
                below = padded[level + 1][column]
                # a spanning top cell: inherit from the left when a lower row names this column
                if below and column > 0:
                    left = next((row[c] for c in range(column - 1, -1, -1) if row[c]), "")
                    if left and padded[level + 1][column - 1]:
                        cell = left
            if cell:
                parts.append(cell)
        merged.append(" ".join(parts))
    return merged


def parse_tab_table(lines: list[tuple[int, str]], header_rows: int = 1,
                    continuation: bool = True) -> Table:
    """Parse a tab table given as (line number, text) pairs, blank lines already removed.

    - ``header_rows`` rows are merged into one header (see ``merge_header``); with 0 the table
      has no header row and every line is data;
    - a row repeating the header (a page header mid-table) is dropped;
    - a row that is a single ``<b>…</b>`` label with empty cells starts a group;
    - with ``continuation``, a row whose first cell is empty continues the row above.
    """
    if len(lines) < header_rows:
        raise ValueError("table has fewer lines than its header")
    header_cells = [split_cells(text) for _, text in lines[:header_rows]]
    header = merge_header(header_cells) if header_cells else []
    header_signature = [_signature(cells) for cells in header_cells]
    rows: list[Row] = []
    group = None
    for number, text in lines[header_rows:]:
        cells = split_cells(text)
        if _signature(cells) in header_signature:
            continue
        filled = [c for c in cells if c.strip()]
        if len(filled) == 1 and re.fullmatch(r"\s*<b>.*</b>\s*", cells[0]):
            group = strip_markup(cells[0])
            continue
        if continuation and rows and not cells[0].strip():
            previous = rows[-1]
            width = max(len(previous.cells), len(cells))
            previous.cells += [""] * (width - len(previous.cells))
            for index, cell in enumerate(cells):
                if cell.strip():
                    previous.cells[index] = (previous.cells[index] + " " + cell).strip()
            previous.lines.append(number)
            continue
        rows.append(Row(line=number, cells=cells, lines=[number], group=group))
    return Table(header=header, rows=rows)


def _signature(cells: list[str]) -> tuple[str, ...]:
    """Header cells compared without spaces or markup ('หน่วยงาน รับผิดชอบ' = 'หน่วยงานรับผิดชอบ')."""
    return tuple(c for c in (re.sub(r"\s+", "", strip_markup(cell)) for cell in cells) if c)
