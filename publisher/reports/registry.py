"""The vendored source reports and their registry (reports/registry.json).

A report is read only after its sha256 matches the registry, so a number can never be
quoted from a file that differs from the one the registry describes.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from publisher.settings import ROOT

REPORTS_DIR = ROOT / "reports"


class ReportError(ValueError):
    """A report is missing, altered, or a passage cannot be found in it."""


@dataclass(frozen=True)
class Report:
    id: str
    path: Path
    sha256: str
    title_th: str
    title_en: str
    agency: str
    meta: dict

    @cached_property
    def lines(self) -> list[str]:
        """Physical lines, 1-based through ``line(n)``; the files end without a newline."""
        data = self.path.read_bytes()
        actual = hashlib.sha256(data).hexdigest()
        if actual != self.sha256:
            raise ReportError(f"{self.path}: sha256 {actual} does not match the registry ({self.sha256}); "
                              f"vendored reports must stay byte-identical")
        return data.decode("utf-8").split("\n")

    def line(self, number: int) -> str:
        if not 1 <= number <= len(self.lines):
            raise ReportError(f"report {self.id}: no line {number} (it has {len(self.lines)})")
        return self.lines[number - 1]

    @cached_property
    def text(self) -> str:
        return "\n".join(self.lines)

    def locate(self, passage: str) -> int:
        """The one line where the passage starts; fails loudly when it is gone or ambiguous.

        A passage may span lines (a table row and its continuation), joined with newlines.
        """
        if not passage.strip():
            raise ReportError(f"report {self.id}: empty passage")
        text = self.text
        starts, offset = [], text.find(passage)
        while offset >= 0:
            starts.append(text.count("\n", 0, offset) + 1)
            offset = text.find(passage, offset + 1)
        candidates = sorted(set(starts))
        if not candidates:
            raise ReportError(f"report {self.id} ({self.path.name}): passage not found: {passage[:120]!r}")
        if len(candidates) > 1:
            raise ReportError(f"report {self.id} ({self.path.name}): passage is on lines {candidates}; "
                              f"quote more of it so it is unique: {passage[:120]!r}")
        return candidates[0]


    def find(self, passage: str) -> tuple[int, str]:
        """The line where the passage starts and the passage as the report prints it.

        Exactly as quoted when it is there (``locate``); otherwise the one place where the
        same text stands with its line breaks and spaces laid out differently (a paragraph
        re-flowed, a list item's indent or the blank line between paragraphs lost or added by
        a reader of PDF or DOCX), since a quote is about the words, not their layout. The
        passage returned is verbatim from the report, so provenance checks hold.
        """
        if passage in self.text:
            return self.locate(passage), passage
        pieces = [p for p in re.split(r"(\s+)", passage.strip()) if p]
        pattern = ""
        for index, piece in enumerate(pieces):
            if not piece.isspace():
                pattern += re.escape(piece)
                continue
            # spacing may differ, or be none (Thai runs on without a space); never between two
            # digits, which would make two numbers one
            digits = pieces[index - 1][-1:].isdigit() and pieces[index + 1][:1].isdigit()
            pattern += r"\s+" if digits else r"\s*"
        matches = list(re.finditer(pattern, self.text)) if pattern else []
        if len(matches) != 1:
            self.locate(passage)      # raises with the usual message (not found, or where it repeats)
        match = matches[0]
        return self.text.count("\n", 0, match.start()) + 1, match.group(0)


@dataclass(frozen=True)
class Registry:
    agencies: dict[str, dict]
    reports: dict[str, Report]
    former_ids: dict[str, str] = field(default_factory=dict)  # an id a report had before -> its id now

    def find(self, report_id: str) -> Report | None:
        """The report by its id, or by an id it had before (rows published with ``000`` still
        name report ``R000``); None when neither is known."""
        report_id = str(report_id)
        return self.reports.get(report_id) or self.reports.get(self.former_ids.get(report_id, ""))

    def report(self, report_id: str) -> Report:
        report = self.find(report_id)
        if report is None:
            raise ReportError(f"unknown report id {report_id!r}; known: {sorted(self.reports)}")
        return report

    def agency(self, agency_id: str) -> dict:
        try:
            return self.agencies[agency_id]
        except KeyError:
            raise ReportError(f"unknown agency {agency_id!r}; known: {sorted(self.agencies)}") from None


def load_registry(directory: Path = REPORTS_DIR) -> Registry:
    data = json.loads((directory / "registry.json").read_text(encoding="utf-8"))
    reports = {
        entry["id"]: Report(id=entry["id"], path=directory / entry["file"], sha256=entry["sha256"],
                            title_th=entry["title_th"], title_en=entry["title_en"],
                            agency=entry["agency"], meta=entry)
        for entry in data["reports"]
    }
    former = {old: entry["id"] for entry in data["reports"] for old in entry.get("former_ids", [])}
    return Registry(agencies={a["id"]: a for a in data["agencies"]}, reports=reports, former_ids=former)


def verify(registry: Registry) -> list[str]:
    """Problems with the vendored files (missing, altered); empty when all match."""
    problems = []
    for report in registry.reports.values():
        if not report.path.exists():
            problems.append(f"{report.path}: missing")
            continue
        actual = hashlib.sha256(report.path.read_bytes()).hexdigest()
        if actual != report.sha256:
            problems.append(f"{report.path}: sha256 {actual} does not match the registry {report.sha256}")
    return problems
