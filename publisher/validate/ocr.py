"""Numbers read by OCR are not published until a person has checked them.

``reports add`` lists, in a report's sidecar (``<report>.extraction.json``), every line that
OCR read from a scanned page and the numbers on it. A recipe row whose quote lies on such a
line, or a table with a row there, is refused until the steward compared it with the page and
wrote ``confirmed: true`` on it, or corrected the line by hand (the line then differs from
what OCR read, and the sidecar no longer speaks for it).
"""

from __future__ import annotations

from pathlib import Path

from publisher.extract.recipes import RecipeError, table_block
from publisher.packages import RECIPE, load_recipe
from publisher.reports.add import ocr_lines
from publisher.reports.registry import Registry, Report, ReportError
from publisher.validate.findings import Finding, relative_path

RULE = "provenance.ocr-unconfirmed"


def _unchanged_ocr(report: Report, lines: range) -> list[dict]:
    """The OCR lines of the span whose text is still what OCR read."""
    read = ocr_lines(report.path)
    return [read[n] for n in lines if n in read and report.line(n) == read[n]["text"]]


def ocr_findings(descriptor_path: Path, package: str, registry: Registry) -> list[Finding]:
    recipe_path = descriptor_path.parent / RECIPE
    if not recipe_path.exists():
        return []
    try:
        recipe = load_recipe(recipe_path)
    except RecipeError:
        return []          # the build reports a broken recipe; nothing was published from it
    file = relative_path(recipe_path)
    found = []
    for resource in recipe.get("resources", []):
        default = resource.get("report")
        for index, spec in enumerate(resource.get("rows") or [], start=1):
            report = registry.find(str(spec.get("report") or default))
            if report is None or spec.get("confirmed") is True or not (spec.get("numbers") or spec.get("dates")):
                continue
            try:
                first = report.locate(spec["quote"])
            except (ReportError, KeyError):
                continue
            read = _unchanged_ocr(report, range(first, first + spec["quote"].count("\n") + 1))
            if read:
                numbers = sorted({n for item in read for n in item.get("numbers", [])})
                found.append(Finding(RULE, package, file,
                                     f"resource {resource.get('name')!r} row {index}: line {read[0]['line']} of "
                                     f"report {report.id} was read by OCR from page {read[0]['page']} "
                                     f"(numbers read: {', '.join(numbers) or 'none'}); not confirmed",
                                     field="confirmed"))
        table = resource.get("table")
        if isinstance(table, dict) and table.get("confirmed") is not True:
            report = registry.find(str(table.get("report")))
            if report is None or not ocr_lines(report.path):
                continue
            try:
                block = table_block(report, table["after"], table.get("until"))
            except (ReportError, KeyError):
                continue
            read = _unchanged_ocr(report, range(block[0][0], block[-1][0] + 1))
            if read:
                found.append(Finding(RULE, package, file,
                                     f"resource {resource.get('name')!r}: its table has {len(read)} line(s) read by "
                                     f"OCR from report {report.id} (first: line {read[0]['line']}, page "
                                     f"{read[0]['page']}); not confirmed", field="confirmed"))
    return found
