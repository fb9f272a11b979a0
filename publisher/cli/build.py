"""``publisher build``: run the recipes and write the packages, or check them with --check."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from publisher import packages
from publisher.cli.common import JsonOption, WaitOption, err, exclusive, fail, out
from publisher.extract.recipes import RecipeError
from publisher.reports.registry import ReportError, load_registry, verify


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
        fail(as_json, "vendored reports do not match the registry", problems)
    try:
        built = packages.build_all(registry=registry, names=names or None,
                                   progress=lambda name: log.print(f"[dim]…[/] {escape(name)}"))
    except (RecipeError, ReportError) as exc:
        fail(as_json, "build failed", [str(exc)])
    summary = [{"package": b.name, "resources": b.rows, "rows": sum(b.rows.values())} for b in built]
    if check:
        diffs = packages.differences(built)
        if diffs:
            fail(as_json, "committed packages differ from a fresh build", diffs)
    else:
        with exclusive(as_json, wait):
            packages.write(built)
    if as_json:
        print(json.dumps({"ok": True, "checked": check, "packages": summary}, ensure_ascii=False, indent=2))
        return
    table = Table(title="packages " + ("match a fresh build" if check else "built"), title_justify="left")
    for column in ("package", "resource", "rows"):
        table.add_column(column, justify="right" if column == "rows" else "left")
    for entry in summary:
        for index, (resource, rows) in enumerate(entry["resources"].items()):
            table.add_row(escape(entry["package"]) if index == 0 else "", escape(resource), str(rows))
    out.print(table)
    out.print(f"{len(summary)} package(s), {sum(e['rows'] for e in summary)} row(s)")
