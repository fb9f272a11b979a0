"""``publisher suggest``: recipe rows ready to paste, one per passage that prints numbers.

Each suggestion is the passage (the line, or a window of it cut at spaces when the line is
long, widened until it is unique in the report), its numbers with keys guessed from the word
after each (its unit) or before it (schemas/coverage/keys.json), dates under ``dates:``,
multiplied figures (๑๘ ล้าน) as printed, and what the ledger says of each number today.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from publisher.settings import ROOT, shipped_schema
from publisher.coverage.ledger import Entry, ReportLedger
from publisher.extract.numbers import DATE, Token
from publisher.reports.registry import Report

KEYS = shipped_schema("coverage/keys.json")
WINDOW = 90          # characters kept either side of a line's numbers when the line is long
LONG_LINE = 240


@dataclass
class Suggestion:
    line: int
    quote: str
    numbers: dict[str, str] = field(default_factory=dict)
    dates: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)     # literal -> published in … / excluded: … / unaccounted

    @property
    def accounted(self) -> bool:
        return all(not s.startswith("unaccounted") for s in self.status.values())

    def as_dict(self, report: str) -> dict:
        row: dict = {"report": report, "quote": self.quote}
        if self.numbers:
            row["numbers"] = self.numbers
        if self.dates:
            row["dates"] = self.dates
        return {"line": self.line, "row": row, "units": self.units, "status": self.status}


def _keys() -> dict:
    return json.loads(KEYS.read_text(encoding="utf-8"))


def guess_key(token: Token, text: str, keys: dict) -> tuple[str, str]:
    """(key, unit) for a number from the words around it."""
    after = text[token.end:].lstrip()
    before = text[:token.start].rstrip()
    if token.kind == "year_be" and token.fiscal:
        return "fiscal_year_be", ""
    if token.kind in keys["kinds"] and token.kind != "multiplied":
        return keys["kinds"][token.kind], "ร้อยละ" if token.kind == "percent" else ""
    for word, key in sorted(keys["after"].items(), key=lambda kv: -len(kv[0])):
        if after.startswith(word):
            return (key if token.kind != "multiplied" else "amount"), word
    for word, key in keys["before"].items():
        if before.endswith(word):
            return key, ""
    return ("amount" if token.kind == "multiplied" else "value"), ""


def passage_for(report: Report, line: int, first: int, last: int) -> str:
    """The shortest window of the line around [first, last) cut at spaces that is unique in the report."""
    text = report.line(line)
    if len(text) <= LONG_LINE:
        return text
    width = WINDOW
    while True:
        start = max(0, first - width)
        end = min(len(text), last + width // 2)
        if start > 0:                         # widen to the spaces around, never cut a word
            space = text.rfind(" ", 0, start)
            start = space + 1 if space >= 0 else 0
        if end < len(text):
            space = text.find(" ", end)
            end = space if space >= 0 else len(text)
        quote = text[start:end].strip()
        if report.text.count(quote) == 1 or (start == 0 and end == len(text)):
            return quote
        width *= 2


def _status(entry: Entry) -> str:
    if entry.status == "published":
        return "published in " + ", ".join(f"{p.package}/{p.resource} row {p.row}" for p in entry.places)
    if entry.status == "excluded":
        return f"excluded: {entry.reason}"
    return "unaccounted"


def suggest(report: Report, ledger: ReportLedger, first_line: int = 1, last_line: int | None = None,
            not_published: bool = False) -> list[Suggestion]:
    keys = _keys()
    by_line: dict[int, list[Entry]] = {}
    for entry in ledger.entries:
        if first_line <= entry.token.line <= (last_line or len(report.lines)):
            by_line.setdefault(entry.token.line, []).append(entry)
    found = []
    for line, entries in sorted(by_line.items()):
        if not_published and all(e.status != "unaccounted" for e in entries):
            continue
        shown = [e for e in entries if e.status == "unaccounted"] if not_published else entries
        text = report.line(line)
        quote = passage_for(report, line, shown[0].token.start, shown[-1].token.end)
        suggestion = Suggestion(line=line, quote=quote)
        for entry in shown:
            token = entry.token
            if token.text not in quote:
                continue
            if token.kind == "dotted":          # a section or item number: exclude it, or quote it as text
                suggestion.status[token.text] = _status(entry) + " (a dotted number: not a value)"
                continue
            if token.iso_date:
                date_text = DATE.match(text, token.start)
                if date_text and date_text.group(0) in quote:
                    suggestion.dates.setdefault("date", date_text.group(0))
                suggestion.status[token.text] = _status(entry)
                continue
            key, unit = guess_key(token, text, keys)
            name, count = key, 2
            while name in suggestion.numbers:
                name, count = f"{key}_{count}", count + 1
            suggestion.numbers[name] = token.printed or token.text
            if unit:
                suggestion.units[name] = unit
            suggestion.status[token.printed or token.text] = _status(entry)
        found.append(suggestion)
    return found
