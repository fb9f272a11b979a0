"""Provenance: each row's quoted passage is at that line of the vendored report, and every
number of the row occurs in it after Thai-digit normalisation."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from publisher.extract import thai
from publisher.extract.numbers import tokens
from publisher.extract.recipes import NUMERIC_TYPES
from publisher.reports.registry import Registry, ReportError
from publisher.validate.findings import Finding

_NUMBER_TOKEN = re.compile(r"([-−]?)((?<!\d)\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\d,])\d+(?:\.\d+)?)")


def numbers_in(passage: str) -> set[Decimal]:
    """Every number printed in a passage, Thai digits included; a number after a minus sign
    counts both ways, since '2561-2580' is a range and '−0.2' a negative change; a figure
    with a multiplier word counts as printed and multiplied out."""
    found = set()
    for sign, token in _NUMBER_TOKEN.findall(thai.to_arabic_digits(passage)):
        value = Decimal(token.replace(",", ""))
        found.add(value)
        if sign:
            found.add(-value)
    for token in tokens(passage.split("\n")):      # ๑๘ ล้าน is also 18000000
        if token.kind == "multiplied" and token.value is not None:
            found.add(token.value)
    return found


def provenance_findings(rows: list[tuple[int, dict]], fields: dict[str, dict], package: str, file: str,
                        registry: Registry) -> list[Finding]:
    found = []
    numeric = [name for name, spec in fields.items()
               if spec.get("type") in NUMERIC_TYPES and name not in ("source_line", "source_line_2")]
    for number, row in rows:
        report_id, line, passage = row.get("source_report"), row.get("source_line"), row.get("source_text")
        if not (report_id and line and passage):
            found.append(Finding("provenance.missing", package, file, "source_report, source_line and source_text "
                                 "must all be filled", row=number, field="source_text"))
            continue
        try:
            report = registry.report(report_id)
            first = int(line)
            span = "\n".join(report.lines[first - 1:first + passage.count("\n")])
        except (ReportError, ValueError):
            found.append(Finding("provenance.report", package, file, f"no report {report_id!r} line {line!r}",
                                 row=number, field="source_report"))
            continue
        if passage not in span:
            found.append(Finding("provenance.passage", package, file,
                                 f"the passage is not at report {report_id} line {line}: {passage[:80]!r}",
                                 row=number, field="source_text"))
            continue
        quoted = numbers_in(passage)
        second, second_line = row.get("source_text_2"), row.get("source_line_2")
        if second:
            try:
                start = int(second_line)
                at = "\n".join(report.lines[start - 1:start + second.count("\n")])
            except (TypeError, ValueError):
                at = ""
            if second not in at:
                found.append(Finding("provenance.passage", package, file,
                                     f"the second passage is not at report {report_id} line {second_line}: "
                                     f"{second[:80]!r}", row=number, field="source_text_2"))
                continue
            quoted |= numbers_in(second)
        for name in numeric:
            value = row.get(name, "")
            if value in ("", None):
                continue
            try:
                wanted = Decimal(value)
            except InvalidOperation:
                continue  # a type error; frictionless reports it
            if wanted not in quoted:
                found.append(Finding("provenance.value", package, file,
                                     f"{name} = {value} does not occur in the passage (numbers there: "
                                     f"{', '.join(str(q) for q in sorted(quoted)) or 'none'})",
                                     row=number, field=name))
    return found
