"""The ledger: every numeric token of every report, and what became of it.

A token is *published* when a row of some package cites a passage that contains it and one of
the row's values is that number (or the text of a column holds it whole); *excluded* when an
entry of ``reports/exclusions/<report>.yaml`` selects it, with its reason; *unaccounted*
otherwise. ``publisher coverage`` prints it, and a test keeps the vendored reports at zero
unaccounted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from publisher.coverage.exclusions import EXCLUSIONS_DIR, apply_exclusions
from publisher.extract import thai
from publisher.extract.numbers import Token, tokens
from publisher.extract.recipes import PROVENANCE_FIELDS, extract_resource
from publisher.packages import PACKAGES_DIR, load_recipe, recipes
from publisher.reports.registry import Registry, Report


@dataclass(frozen=True)
class Place:
    """One row that publishes a number: package, resource (table) and 1-based row."""
    package: str
    resource: str
    row: int


@dataclass
class Entry:
    token: Token
    status: str                                   # published | excluded | unaccounted
    places: list[Place] = field(default_factory=list)
    reason: str = ""
    note: str = ""
    text: str = ""                                # the line it is printed on

    def as_dict(self, report: str) -> dict:
        found = {"report": report, "line": self.token.line, "column": self.token.start + 1,
                 "number": self.token.text, "kind": self.token.kind, "status": self.status}
        if self.token.value is not None:
            found["value"] = thai.format_number(self.token.value)
        if self.places:
            found["published_in"] = [vars(p) for p in self.places]
        if self.reason:
            found.update(reason=self.reason, **({"note": self.note} if self.note else {}))
        return found


@dataclass
class ReportLedger:
    report: str
    entries: list[Entry]

    def count(self, status: str) -> int:
        return sum(1 for e in self.entries if e.status == status)

    @property
    def unaccounted(self) -> list[Entry]:
        return [e for e in self.entries if e.status == "unaccounted"]


@dataclass(frozen=True)
class PublishedRow:
    place: Place
    start: int          # absolute offsets of its passage in the report's text
    end: int
    values: tuple[Any, ...]


def line_offsets(report: Report) -> list[int]:
    offsets, position = [], 0
    for line in report.lines:
        offsets.append(position)
        position += len(line) + 1
    return offsets


def published_rows(registry: Registry, packages_dir: Path = PACKAGES_DIR) -> dict[str, list[PublishedRow]]:
    """Every row of every recipe, by report, with the span of its passage."""
    found: dict[str, list[PublishedRow]] = {}
    offsets: dict[str, list[int]] = {}
    for path in recipes(packages_dir):
        recipe = load_recipe(path)
        for spec in recipe.get("resources", []):
            _, rows = extract_resource(spec, registry, path)
            for index, row in enumerate(rows, start=1):
                report = registry.report(row["source_report"])
                lines = offsets.setdefault(report.id, line_offsets(report))
                passages = [row["source_text"]] + [row[k] for k in row if k.startswith("source_text_") and row[k]]
                for passage in passages:
                    start = report.text.find(passage, lines[int(row["source_line"]) - 1]
                                             if passage is row["source_text"] else 0)
                    if start < 0:
                        continue
                    values = tuple(v for k, v in row.items() if k not in PROVENANCE_FIELDS
                                   and not k.startswith("source_"))
                    found.setdefault(report.id, []).append(
                        PublishedRow(Place(recipe["name"], spec["name"], index), start, start + len(passage), values))
    return found


def _as_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    return None


def _holds(value: Any, token: Token) -> bool:
    """The row value is this token's number: equal as a number (BE years also as CE; a
    multiplied figure also as printed), the same date, or the number whole inside a text."""
    number = _as_decimal(value)
    if number is not None and token.value is not None:
        candidates = {token.value}
        if token.kind == "year_be":
            candidates.add(token.value - thai.BE_OFFSET)
        if token.kind == "multiplied":
            candidates.add(thai.parse_number(token.text))
        return number in candidates
    if isinstance(value, date):
        return token.iso_date == value.isoformat()
    if isinstance(value, (list, tuple)):
        return any(_holds(item, token) for item in value)
    if isinstance(value, str):
        if token.iso_date and value == token.iso_date:
            return True
        digit = "0-9" + thai.THAI_DIGITS             # the number as printed, whole, inside a text
        return re.search(rf"(?<![{digit}])(?<![{digit}][.,]){re.escape(token.text)}(?![{digit}])(?![.,][{digit}])",
                         value) is not None
    return False


def report_ledger(report: Report, rows: list[PublishedRow], exclusions_dir: Path = EXCLUSIONS_DIR) -> ReportLedger:
    offsets = line_offsets(report)
    found = tokens(report.lines)
    excluded = apply_exclusions(report, found, offsets, exclusions_dir)
    entries = []
    for token in found:
        at = offsets[token.line - 1] + token.start
        places = [r.place for r in rows if r.start <= at < r.end and any(_holds(v, token) for v in r.values)]
        text = report.line(token.line)
        if places:
            entries.append(Entry(token, "published", places=sorted(set(places), key=lambda p: (p.package, p.resource, p.row)),
                                 text=text))
        elif token.key in excluded:
            why = excluded[token.key]
            entries.append(Entry(token, "excluded", reason=why.reason, note=why.note, text=text))
        else:
            entries.append(Entry(token, "unaccounted", text=text))
    return ReportLedger(report.id, entries)


def ledger(registry: Registry, report_ids: list[str] | None = None, packages_dir: Path = PACKAGES_DIR,
           exclusions_dir: Path = EXCLUSIONS_DIR) -> list[ReportLedger]:
    """The ledger of each report (all of the registry's, or those named)."""
    rows = published_rows(registry, packages_dir)
    chosen = [registry.report(rid) for rid in report_ids] if report_ids else [registry.report(r) for r in sorted(registry.reports)]
    return [report_ledger(report, rows.get(report.id, []), exclusions_dir) for report in chosen]
