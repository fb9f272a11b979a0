"""What no cell and no text of a descriptor may hold, checked before anything else reads a table.

A CSV is untrusted: a cell Excel would run as a formula, a NUL the portal's PostgreSQL cannot
store, a bidirectional override that makes the displayed text lie, a cell or a row so large that
every later check slows down. The limits are rules with ids, not time-outs: a table over them is
reported and not read further, so validation stays linear in the size of its input.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from publisher.validate.findings import Finding
from publisher.validate.metadata import vocabularies
from publisher.validate.personal import PUBLIC

MAX_CELL_CHARS = 32_767   # what one Excel cell holds
MAX_COLUMNS = 1_600       # what one PostgreSQL table holds: the DataStore makes one of each CSV
PER_RULE = 10             # findings of one rule in one file, beyond which the rest are counted
# C0 and C1 control characters but tab, line feed and carriage return; PostgreSQL text holds no NUL
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# embeddings, overrides and isolates: text shown in another order than it is stored
BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?\Z")
# prose: a list bullet ("- การ…", "- 3) เกษตรกร…": a sign, a space, perhaps an item number) or a
# tab-indented line, then a letter, with nothing a formula needs to run a command (| for DDE, = for
# a nested formula); reports write their lists so
PROSE_BULLET = re.compile(r"(?:[-+]\s+(?:[\d\u0e50-\u0e59]{1,3}[).]\s+)?|[\t\r]+)[^\W\d_][^|=]*\Z", re.S)
# a quick look over the whole file: could any cell start like a formula?
FORMULA_ANYWHERE = re.compile(r'(?:\A|[,\n])"?[=+\-@\t\r]')


def classed_public(descriptor: dict) -> bool:
    """Classed ข้อมูลสาธารณะ, or not validly classed at all (which counts as public)."""
    category = (descriptor.get("gdc") or {}).get("data_category") if isinstance(descriptor.get("gdc"), dict) else None
    return category == PUBLIC or category not in vocabularies().get("data_category", (False, []))[1]


def formula_like(cell: str) -> bool:
    """A text a spreadsheet would run: it starts with = + - @ tab or CR and is neither a plain
    number nor a prose bullet."""
    return (len(cell) > 1 and cell.startswith(FORMULA_START) and not PLAIN_NUMBER.match(cell)
            and not PROSE_BULLET.match(cell))


def _code_point(text: str, pattern: re.Pattern) -> str:
    match = pattern.search(text)
    return f"U+{ord(match.group(0)):04X} at character {match.start() + 1}"


def text_problems(text: str) -> list[tuple[str, str]]:
    """(rule, message) for characters no published text may hold."""
    found = []
    if CONTROL.search(text):
        found.append(("text.control", f"control character {_code_point(text, CONTROL)}"))
    if BIDI.search(text):
        found.append(("text.bidi", f"bidirectional override {_code_point(text, BIDI)}"))
    return found


def descriptor_text_findings(descriptor: dict, package: str, file: str) -> list[Finding]:
    """Control characters and bidirectional overrides in any text of the descriptor, by field."""
    found, todo = [], [("", descriptor)]
    while todo:
        where, value = todo.pop()
        if isinstance(value, dict):
            todo += [(f"{where}.{k}" if where else str(k), v) for k, v in reversed(list(value.items()))]
        elif isinstance(value, list):
            todo += [(f"{where}[{i}]", v) for i, v in reversed(list(enumerate(value)))]
        elif isinstance(value, str):
            found += [Finding(rule, package, file, message, field=where) for rule, message in text_problems(value)]
    return found


class _Capped:
    """Findings of one file, at most PER_RULE of each rule, then a count of the rest."""

    def __init__(self, package: str, file: str):
        self.package, self.file, self.found, self.counts = package, file, [], {}

    def add(self, rule: str, message: str, row: int | None, field: str | None) -> None:
        self.counts[rule] = self.counts.get(rule, 0) + 1
        if self.counts[rule] <= PER_RULE:
            self.found.append(Finding(rule, self.package, self.file, message, row=row, field=field))

    def findings(self) -> list[Finding]:
        more = [Finding(rule, self.package, self.file, f"and {count - PER_RULE} more like it")
                for rule, count in self.counts.items() if count > PER_RULE]
        return self.found + more


def cell_findings(path: Path, package: str, file: str, public: bool) -> tuple[list[Finding], bool]:
    """The cells of one CSV: (findings, blocking). Blocking when a cell or a row is over the
    limits: the table is then not read by any slower check. One pass of the csv module, and a
    cell is looked at in Python only when a scan of the whole text says it may hold something."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], False                     # table.encoding says so
    del raw
    capped = _Capped(package, file)
    formula_rule = "cell.formula-public" if public else "cell.formula"
    looks = [(rule, pattern) for rule, pattern in (("text.control", CONTROL), ("text.bidi", BIDI),
                                                  (formula_rule, FORMULA_ANYWHERE)) if pattern.search(text)]
    long_text = len(text) > MAX_CELL_CHARS
    blocking = False
    previous = csv.field_size_limit(max(len(text), 131_072) + 1)
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, [])
        for number, cells in _with_header(header, enumerate(reader, start=2)):
            if len(cells) > MAX_COLUMNS:
                capped.add("table.too-many-columns", f"{len(cells):,} cells in a row, over {MAX_COLUMNS:,}",
                           number, None)
                blocking = True
                continue
            if long_text and cells and max(map(len, cells)) > MAX_CELL_CHARS:
                for position, cell in enumerate(cells):
                    if len(cell) > MAX_CELL_CHARS:
                        capped.add("cell.too-long", f"{len(cell):,} characters, over {MAX_CELL_CHARS:,}", number,
                                   _name(header, position))
                blocking = True
            if looks:
                _look(cells, header, number, looks, capped)
    except csv.Error as exc:
        capped.add("table.row", f"cannot be read as CSV: {exc}", None, None)
        blocking = True
    finally:
        csv.field_size_limit(previous)
    return capped.findings(), blocking


def _with_header(header: list[str], rows):
    yield 1, header
    yield from rows


def _name(header: list[str], position: int) -> str | None:
    return header[position] if position < len(header) and len(header) <= MAX_COLUMNS else None


def _look(cells: list[str], header: list[str], number: int, looks, capped: _Capped) -> None:
    for position, cell in enumerate(cells):
        for rule, _ in looks:
            if rule.startswith("cell.formula"):
                if formula_like(cell):
                    capped.add(rule, f"starts with {ascii(cell[:1])}: a spreadsheet would run it as a formula",
                               number, _name(header, position))
            else:
                for found, message in text_problems(cell):
                    if found == rule:
                        capped.add(rule, message, number, _name(header, position))
