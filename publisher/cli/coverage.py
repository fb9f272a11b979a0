"""``publisher coverage`` (the ledger of every number) and ``publisher suggest`` (recipe rows to paste)."""

from __future__ import annotations

import json
import re

import typer
import yaml
from rich.table import Table

from publisher.cli.common import JsonOption, abort, err, out
from publisher.cli.lang import t
from publisher.coverage.exclusions import ExclusionError
from publisher.coverage.ledger import ledger
from publisher.coverage.suggest import suggest as suggest_rows
from publisher.extract.recipes import RecipeError
from publisher.reports.registry import ReportError, load_registry


def coverage(reports: list[str] = typer.Argument(None, help="Report ids (default: every registered report)."),
             show: bool = typer.Option(False, "--unaccounted", help="List each unaccounted number with its line."),
             as_json: bool = JsonOption) -> None:
    """The ledger of every number printed in the reports: published (dataset, table, row),
    excluded with a reason (reports/exclusions/<report>.yaml, reasons in
    schemas/coverage/reasons.json), or unaccounted.

    A number is published when a row quotes the passage it is printed in and holds it as a
    value. Publish what is missing with `publisher suggest REPORT --not-published`; exclude
    the rest with a reason.

    Exit 0 when no number is unaccounted, 1 when some are, 2 usage or I/O error.
    """
    try:
        registry = load_registry()
        ledgers = ledger(registry, reports or None)
    except (ReportError, RecipeError, ExclusionError) as exc:
        abort(as_json, "cannot make the ledger", str(exc), 2)
    missing = sum(len(book.unaccounted) for book in ledgers)
    if as_json:
        print(json.dumps({"ok": missing == 0, "reports": [
            {"report": book.report, "numbers": len(book.entries), "published": book.count("published"),
             "excluded": book.count("excluded"), "unaccounted": book.count("unaccounted"),
             "entries": [e.as_dict(book.report) for e in book.entries]} for book in ledgers]},
            ensure_ascii=False, indent=2))
        raise typer.Exit(0 if missing == 0 else 1)
    table = Table(title=t("numbers in the reports"), title_justify="left")
    for column in ("report", "numbers", "published", "excluded", "unaccounted"):
        table.add_column(t(column), justify="left" if column == "report" else "right")
    for book in ledgers:
        unaccounted = book.count("unaccounted")
        table.add_row(book.report, str(len(book.entries)), str(book.count("published")), str(book.count("excluded")),
                      f"[red]{unaccounted}[/]" if unaccounted else "0")
    out.print(table)
    if show:
        for book in ledgers:
            for entry in book.unaccounted:
                out.print(f"  {book.report}:{entry.token.line}:{entry.token.start + 1}  {entry.token.text}  "
                          f"({entry.token.kind})", markup=False, highlight=False)
    if missing:
        err.print(t("{count} number(s) unaccounted: publish them (publisher suggest REPORT --not-published) "
                    "or exclude them with a reason in reports/exclusions/<report>.yaml", count=missing),
                  highlight=False)
        raise typer.Exit(1)
    out.print(t("every number is published or excluded with a reason"))


def suggest(report: str = typer.Argument(..., help="The report id."),
            lines: str = typer.Option(None, "--lines", metavar="A-B", help="Only these lines (e.g. 40-60)."),
            not_published: bool = typer.Option(False, "--not-published",
                                               help="Only passages with numbers neither published nor excluded."),
            as_json: bool = JsonOption) -> None:
    """Recipe rows ready to paste: each passage of the report that prints numbers, as a
    `quote:` with its `numbers:` (keys guessed from the unit after each number, see
    schemas/coverage/keys.json) and `dates:`, and a comment saying which numbers are
    already published or excluded. Correct the keys to your Table Schema's columns and add
    `values:` (labels) before pasting under a resource's `rows:`.

    Exit 0, 2 for an unknown report or a bad --lines.
    """
    first, last = 1, None
    if lines:
        match = re.fullmatch(r"(\d+)-(\d+)", lines.strip())
        if not match or int(match.group(1)) > int(match.group(2)):
            abort(as_json, "bad --lines", t("--lines takes A-B with A <= B, not {lines}", lines=repr(lines)), 2)
        first, last = int(match.group(1)), int(match.group(2))
    try:
        registry = load_registry()
        target = registry.report(report)
        book = ledger(registry, [report])[0]
    except (ReportError, RecipeError, ExclusionError) as exc:
        abort(as_json, "cannot suggest", str(exc), 2)
    found = suggest_rows(target, book, first, last, not_published)
    if as_json:
        print(json.dumps({"report": report, "suggestions": [s.as_dict(report) for s in found]},
                         ensure_ascii=False, indent=2))
        return
    for suggestion in found:
        row = suggestion.as_dict(report)["row"]
        print("# " + t("line {line}", line=suggestion.line))   # plain print: YAML to paste must not be wrapped
        for literal, status in suggestion.status.items():
            print(f"#   {literal}: {status}")
        if suggestion.units:
            print("#   " + t("units: {units}", units=", ".join(f"{k} = {v}" for k, v in suggestion.units.items())))
        print(yaml.safe_dump([row], allow_unicode=True, sort_keys=False, width=10_000,
                             default_flow_style=None).rstrip())
    if not found:
        err.print(t("no passage with numbers left unaccounted") if not_published else t("no passage with numbers"),
                  highlight=False)
