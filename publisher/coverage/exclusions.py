"""The numbers of a report that no dataset publishes, each with its reason, as data:
``reports/exclusions/<report id>.yaml``.

They sit with the report, not with a package, because what a number *is* (a section number,
the year in a law's name, a page reference) is a fact about the report's text, whichever
package draws on it; several packages may quote one report, and an excluded number belongs
to none of them. Each entry selects tokens and gives a reason code of
``schemas/coverage/reasons.json``::

    exclusions:
      - lines: 1-14                 # every number on these lines (or line: 7)
        reason: document-meta
      - quote: "ตามมาตรา ๓๓ แห่งพระราชกฤษฎีกา"   # the numbers inside this unique passage
        reason: law-year
      - every: "COVID-19"           # each place this text occurs in the report
        reason: name-part
      - pattern: '^#+ [๐-๙.]+'      # each match of a regular expression (per line, ^ and $ at lines)
        reason: section-number
      - kinds: [dotted]             # narrows any of the above, or alone: the whole report
        numbers: ["๓.๑.๑"]          # narrows to these printed numbers
        reason: section-number
        note: "why, in words"       # required by some reasons (out-of-scope)

An entry that selects nothing, a quote not found, or an unknown reason is an error naming
the file and entry: a stale exclusion must not hide a number silently.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from publisher.settings import ROOT, shipped_schema
from publisher.extract.numbers import Token
from publisher.reports.registry import Report

EXCLUSIONS_DIR = ROOT / "reports" / "exclusions"
REASONS = shipped_schema("coverage/reasons.json")
ENTRY_KEYS = {"lines", "line", "quote", "every", "pattern", "kinds", "numbers", "reason", "note"}


class ExclusionError(ValueError):
    """An exclusions file cannot be applied; the message names the file, entry and rule."""


@dataclass(frozen=True)
class Exclusion:
    entry: int          # 1-based position in the file
    reason: str
    note: str


def reasons() -> dict[str, dict]:
    return json.loads(REASONS.read_text(encoding="utf-8"))["reasons"]


def exclusions_path(report_id: str, directory: Path = EXCLUSIONS_DIR) -> Path:
    return directory / f"{report_id}.yaml"


def _line_range(spec: object) -> range:
    match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+))?\s*", str(spec))
    if not match:
        raise ValueError(f"lines must be N or A-B, not {spec!r}")
    first = int(match.group(1))
    last = int(match.group(2) or first)
    return range(first, last + 1)


def _spans(report: Report, text: str, unique: bool) -> list[tuple[int, int]]:
    found, offset = [], report.text.find(text)
    while offset >= 0:
        found.append((offset, offset + len(text)))
        offset = report.text.find(text, offset + 1)
    if unique and len(found) != 1:
        raise ValueError(f"quote {'not found' if not found else 'occurs more than once'}: {text[:80]!r}")
    if not found:
        raise ValueError(f"text not found: {text[:80]!r}")
    return found


def _pattern_spans(report: Report, pattern: str) -> list[tuple[int, int]]:
    try:
        found = [(m.start(), m.end()) for m in re.finditer(pattern, report.text, re.M)]
    except re.error as exc:
        raise ValueError(f"pattern {pattern!r}: {exc}") from None
    if not found:
        raise ValueError(f"pattern matches nothing: {pattern!r}")
    return found


def apply_exclusions(report: Report, tokens: list[Token], offsets: list[int],
                     directory: Path = EXCLUSIONS_DIR) -> dict[tuple[int, int], Exclusion]:
    """Token key -> the first exclusion that selects it. ``offsets`` holds each line's
    start in the report's text (0-based list, line 1 first)."""
    path = exclusions_path(report.id, directory)
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ExclusionError(f"{path}: not valid YAML: {exc}") from None
    known = reasons()
    result: dict[tuple[int, int], Exclusion] = {}
    for index, entry in enumerate(data.get("exclusions") or [], start=1):
        where = f"{path}: entry {index}"
        if not isinstance(entry, dict) or set(entry) - ENTRY_KEYS:
            raise ExclusionError(f"{where}: [exclusion-key] keys are {sorted(ENTRY_KEYS)}")
        reason = entry.get("reason")
        if reason not in known:
            raise ExclusionError(f"{where}: [exclusion-reason] unknown reason {reason!r}; known: {sorted(known)}")
        if known[reason].get("note_required") and not entry.get("note"):
            raise ExclusionError(f"{where}: [exclusion-note] reason {reason!r} needs a note saying why")
        selected = list(tokens)
        try:
            if "lines" in entry or "line" in entry:
                lines = _line_range(entry.get("lines", entry.get("line")))
                selected = [t for t in selected if t.line in lines]
            for key, unique in (("quote", True), ("every", False), ("pattern", False)):
                if key in entry:
                    spans = (_pattern_spans(report, str(entry[key])) if key == "pattern"
                             else _spans(report, str(entry[key]), unique))
                    selected = [t for t in selected
                                if any(a <= offsets[t.line - 1] + t.start < b for a, b in spans)]
        except ValueError as exc:
            raise ExclusionError(f"{where}: [exclusion-not-found] {exc}") from None
        if entry.get("kinds"):
            selected = [t for t in selected if t.kind in entry["kinds"]]
        if entry.get("numbers"):
            wanted = {str(n) for n in entry["numbers"]}
            selected = [t for t in selected if t.text in wanted]
        if not selected:
            raise ExclusionError(f"{where}: [exclusion-empty] selects no number of report {report.id}; "
                                 f"remove it or correct it")
        for token in selected:
            result.setdefault(token.key, Exclusion(index, reason, str(entry.get("note", ""))))
    return result
