"""``publisher build``: run the recipes and write the packages, or check them with --check."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from publisher import packages
from publisher.cli.common import JsonOption, WaitOption, err, exclusive, fail, out
from publisher.cli.lang import language, t
from publisher.extract.problems import Problem
from publisher.extract.recipes import RecipeError
from publisher.reports.registry import ReportError, load_registry, verify
from publisher.validate.findings import rules


def build(names: list[str] = typer.Argument(None, help="Package folder names (default: every package)."),
          check: bool = typer.Option(False, "--check", help="Build in memory and fail if any committed file differs."),
          wait: float = WaitOption, as_json: bool = JsonOption) -> None:
    """Run every recipe in datapackages/*/recipe.yaml and write the packages.

    Reads only the vendored reports (checked against reports/registry.json). With --check,
    nothing is written: exit 1 lists each committed file that differs from a fresh build.

    Writing takes the scheduled job's lock (var/publisher.lock): while a run holds it, build
    waits (--wait), then exits 3.
    """
    log = err if as_json else out
    registry = load_registry()
    problems = verify(registry)
    if problems:
        fail(as_json, t("vendored reports do not match the registry"), problems)
    try:
        built = packages.build_all(registry=registry, names=names or None,
                                   progress=lambda name: log.print(f"[dim]…[/] {escape(name)}"))
    except RecipeError as exc:
        fail(as_json, t("build failed: {count} problem(s), nothing written", count=len(exc.problems)),
             [said(p) for p in exc.problems], [p.as_dict() for p in exc.problems])
    except ReportError as exc:
        fail(as_json, t("build failed"), [str(exc)])
    summary = [{"package": b.name, "resources": b.rows, "rows": sum(b.rows.values())} for b in built]
    warnings = [w for b in built for w in b.warnings]
    for warning in warnings:
        err.print(f"[yellow]{t('warning')}[/] {escape(said(warning))}", soft_wrap=True, highlight=False)
    if check:
        diffs = packages.differences(built)
        if diffs:
            fail(as_json, t("committed packages differ from a fresh build"), diffs)
    else:
        with exclusive(as_json, wait):
            packages.write(built)
    if as_json:
        print(json.dumps({"ok": True, "checked": check, "packages": summary,
                          "warnings": [w.as_dict() for w in warnings]}, ensure_ascii=False, indent=2))
        return
    table = Table(title=t("packages match a fresh build") if check else t("packages built"), title_justify="left")
    for column in ("package", "resource", "rows"):
        table.add_column(t(column), justify="right" if column == "rows" else "left")
    for entry in summary:
        for index, (resource, rows) in enumerate(entry["resources"].items()):
            table.add_row(escape(entry["package"]) if index == 0 else "", escape(resource), str(rows))
    out.print(table)
    out.print(t("{packages} package(s), {rows} row(s)", packages=len(summary), rows=sum(e["rows"] for e in summary)))


def said(problem: Problem) -> str:
    """A problem as the steward reads it: in Thai, the rule's Thai title and hint around it."""
    rule = rules().get(problem.rule)
    if language() != "th" or rule is None:
        return str(problem)
    at = f"{problem.file}:{problem.line}" if problem.line else problem.file
    return (f"{at}: [{problem.rule}] {rule['title_th']}: {problem.message}"
            + (f"; {problem.fix}" if problem.fix else "") + f" → {rule['hint_th']}")
