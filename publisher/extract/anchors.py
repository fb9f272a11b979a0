"""Where a table of a report starts: the line of its anchor text, the one ``occurrence:`` or
``line:`` picks when that text is on several lines, and the tab lines that follow it."""

from __future__ import annotations

from publisher.reports.registry import Report, ReportError


class AnchorRepeated(ReportError):
    """The anchor text is on more than one line, and the recipe does not say which."""

    def __init__(self, message: str, lines: list[int]):
        super().__init__(message)
        self.lines = lines


def anchor_line(report: Report, after: str, occurrence: int | None = None, line: int | None = None) -> int:
    """The line of a table's anchor: the only one, or the one ``occurrence:`` (1-based) or
    ``line:`` picks when the text is on several lines (a one-word heading such as a list title)."""
    if occurrence is None and line is None:
        try:
            return report.find(after)[0]
        except ReportError as exc:
            if "passage is on lines" not in str(exc):
                raise
    lines = [n for n, text in enumerate(report.lines, start=1) if after in text]
    if not lines:
        return report.locate(after)  # raises: not found
    if line is not None:
        if line not in lines:
            raise AnchorRepeated(f"report {report.id}: {after!r} is not on line {line}; it is on lines {lines}", lines)
        return line
    if occurrence is not None:
        if not 1 <= occurrence <= len(lines):
            raise AnchorRepeated(f"report {report.id}: {after!r} occurs {len(lines)} time(s), on lines {lines}; "
                                 f"occurrence {occurrence} does not exist", lines)
        return lines[occurrence - 1]
    raise AnchorRepeated(f"report {report.id}: {after!r} is on lines {lines}", lines)


def table_block(report: Report, after: str, until: str | None, occurrence: int | None = None,
                line: int | None = None) -> list[tuple[int, str]]:
    """The tab lines after the anchor, across blank lines, up to the first line without a tab."""
    start = anchor_line(report, after, occurrence, line)
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
