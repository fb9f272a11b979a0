"""The ``publisher`` command line: parse, call, print. No logic of its own lives here.

Exit codes: 0 success, 1 the work failed (a component, a check), 2 usage or I/O error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from publisher import __version__, packages, stack
from publisher import validate as validation
from publisher.extract import RecipeError
from publisher.reports import ReportError, load_registry, verify

app = typer.Typer(
    help="Publish Thai government report figures as validated open data on a data.go.th-style CKAN portal.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
ckan_app = typer.Typer(
    help="Run the local CKAN portal (PostgreSQL, Redis, Solr 9, CKAN 2.11 + GD-Catalog schema) on 127.0.0.1.\n\n"
         "Everything lives under .stack/ (or $PUBLISHER_STACK_DIR); ports come from "
         "$PUBLISHER_CKAN_PORT (5000), $PUBLISHER_SOLR_PORT (8983), $PUBLISHER_POSTGRES_PORT (5433) "
         "and $PUBLISHER_REDIS_PORT (6380).",
    no_args_is_help=True,
)
app.add_typer(ckan_app, name="ckan")

out = Console()
err = Console(stderr=True)

JsonOption = typer.Option(False, "--json", help="Print one JSON document on stdout for machines.")


def _version(value: bool) -> None:
    if value:
        out.print(f"publisher {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Show the version and exit.")) -> None:
    """Reports → data packages → CKAN. Start with: publisher ckan up"""


def _short(path: str) -> str:
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


def _print_status(report: dict) -> None:
    table = Table(title=f"local portal: {report['ckan_url']}", title_justify="left")
    for column in ("component", "state", "pid", "address", "log"):
        table.add_column(column)
    colours = {"running": "green", "unhealthy": "yellow", "stopped": "red"}
    for row in report["components"]:
        table.add_row(row["component"], f"[{colours[row['state']]}]{row['state']}[/]",
                      str(row["pid"] or "-"), row["address"], _short(row["log"]))
    out.print(table)
    if report["ckan_version"]:
        out.print(f"CKAN {report['ckan_version']}, {report['datasets']} dataset(s) in the search index")
    if report["token_file"]:
        out.print(f"sysadmin API token: {_short(report['token_file'])} (mode 600)")


def _run(action, as_json: bool, verb: str) -> None:
    the_stack = stack.Stack.from_env()
    say = (lambda msg: err.print(f"[dim]…[/] {msg}")) if as_json else (lambda msg: out.print(f"[dim]…[/] {msg}"))
    try:
        report = action(the_stack, say)
    except stack.StackError as exc:
        if as_json:
            print(json.dumps({"ok": False, "error": str(exc)}, ensure_ascii=False))
        err.print(f"[bold red]{verb} failed:[/] {exc}")
        raise typer.Exit(1)
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        if report.get("timings"):
            out.print("took " + ", ".join(f"{k} {v:.1f} s" for k, v in report["timings"].items() if v >= 0.05))
        _print_status(report)
    if verb in ("up", "reset") and not report["ready"]:
        raise typer.Exit(1)


@ckan_app.command()
def up(as_json: bool = JsonOption) -> None:
    """Start the portal, installing what is missing on first use. A no-op when it already runs.

    Returns only when CKAN answers status_show and a package_search round trip through Solr works.
    """
    _run(stack.up, as_json, "up")


@ckan_app.command()
def down(as_json: bool = JsonOption) -> None:
    """Stop every component by its pid file (data is kept)."""
    _run(stack.down, as_json, "down")


@ckan_app.command()
def reset(yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
          as_json: bool = JsonOption) -> None:
    """Wipe every dataset, organization, upload, index and token, and start an empty portal."""
    if not yes:
        if not sys.stdin.isatty():
            err.print("reset wipes the local portal; pass --yes to confirm")
            raise typer.Exit(2)
        typer.confirm("Wipe the local portal and start it empty?", abort=True)
    _run(stack.reset, as_json, "reset")


@ckan_app.command()
def status(as_json: bool = JsonOption) -> None:
    """Show each component's state, pid, address and log. Exit 0 only when all are healthy."""
    report = stack.status(stack.Stack.from_env())
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print_status(report)
    raise typer.Exit(0 if report["ready"] else 1)


@app.command()
def build(names: list[str] = typer.Argument(None, help="Package folder names (default: every package)."),
          check: bool = typer.Option(False, "--check", help="Build in memory and fail if any committed file differs."),
          as_json: bool = JsonOption) -> None:
    """Run every recipe in datapackages/*/recipe.yaml and write the packages.

    Reads only the vendored reports (checked against reports/registry.json). With --check,
    nothing is written: exit 1 lists each committed file that differs from a fresh build.
    """
    log = err if as_json else out
    registry = load_registry()
    problems = verify(registry)
    if problems:
        _fail(as_json, "vendored reports do not match the registry", problems)
    try:
        built = packages.build_all(registry=registry, names=names or None,
                                   progress=lambda name: log.print(f"[dim]…[/] {name}"))
    except (RecipeError, ReportError) as exc:
        _fail(as_json, "build failed", [str(exc)])
    summary = [{"package": b.name, "resources": b.rows, "rows": sum(b.rows.values())} for b in built]
    if check:
        diffs = packages.differences(built)
        if diffs:
            _fail(as_json, "committed packages differ from a fresh build", diffs)
    else:
        packages.write(built)
    if as_json:
        print(json.dumps({"ok": True, "checked": check, "packages": summary}, ensure_ascii=False, indent=2))
        return
    table = Table(title="packages " + ("match a fresh build" if check else "built"), title_justify="left")
    for column in ("package", "resource", "rows"):
        table.add_column(column, justify="right" if column == "rows" else "left")
    for entry in summary:
        for index, (resource, rows) in enumerate(entry["resources"].items()):
            table.add_row(entry["package"] if index == 0 else "", resource, str(rows))
    out.print(table)
    out.print(f"{len(summary)} package(s), {sum(e['rows'] for e in summary)} row(s)")


def _fail(as_json: bool, what: str, problems: list[str]) -> None:
    if as_json:
        print(json.dumps({"ok": False, "error": what, "problems": problems}, ensure_ascii=False, indent=2))
    err.print(f"[bold red]{what}:[/]")
    for problem in problems:
        err.print(f"  • {problem}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(1)


@app.command()
def validate(paths: list[Path] = typer.Argument(None, help="Packages or folders (default: datapackages/)."),
             lang: str = typer.Option("en", "--lang", help="Language of titles and hints: th or en."),
             strict: bool = typer.Option(False, "--strict", help="Fail on warnings too."),
             as_json: bool = JsonOption) -> None:
    """Check packages before anything is published: Frictionless, GD-Catalog metadata,
    provenance of every number, personal data, headers and encoding.

    Exit 0 valid, 1 invalid (errors, or warnings with --strict), 2 usage or I/O error.
    """
    if lang not in ("th", "en"):
        err.print("--lang must be th or en")
        raise typer.Exit(2)
    log = err if as_json else out
    try:
        result = validation.validate(paths or [packages.PACKAGES_DIR],
                                     progress=lambda name: log.print(f"[dim]…[/] {name}"))
    except (FileNotFoundError, OSError) as exc:
        err.print(f"[bold red]cannot validate:[/] {exc}")
        raise typer.Exit(2)
    ok = result.valid(strict)
    if as_json:
        print(json.dumps({"valid": ok, "strict": strict, "packages": result.packages,
                          "errors": len(result.errors()), "warnings": len(result.warnings()),
                          "findings": [f.as_dict(lang) for f in result.findings]}, ensure_ascii=False, indent=2))
        raise typer.Exit(0 if ok else 1)
    by_package: dict[str, list] = {}
    for finding in result.findings:
        by_package.setdefault(finding.package, []).append(finding)
    for package in result.packages:
        findings = by_package.get(package, [])
        mark = "[green]✓[/]" if not findings else ("[yellow]![/]" if all(f.severity == "warning" for f in findings)
                                                    else "[red]✗[/]")
        out.print(f"{mark} [bold]{package}[/]" + (f"  {len(findings)} finding(s)" if findings else ""))
        for f in findings:
            place = f.file + (f":{f.row}" if f.row else "") + (f" [{f.field}]" if f.field else "")
            colour = "red" if f.severity == "error" else "yellow"
            out.print(f"    [{colour}]{f.severity}[/] {f.rule}  {escape(place)}", highlight=False)
            out.print(f"      {f.title(lang)}: {f.message}", markup=False, highlight=False, soft_wrap=True)
            out.print(f"      → {f.hint(lang)}", markup=False, highlight=False, soft_wrap=True)
    out.print(f"{len(result.packages)} package(s): {len(result.errors())} error(s), {len(result.warnings())} warning(s)"
              + (" — valid" if ok else " — invalid"))
    raise typer.Exit(0 if ok else 1)
