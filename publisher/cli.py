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
from publisher.catalog.client import portal_for
from publisher.extract.recipes import RecipeError
from publisher.reports.registry import ReportError, load_registry, verify

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


def _abort(as_json: bool, what: str, message: str, code: int) -> None:
    """One error, said once on stderr (and as JSON on stdout for --json), then the exit code."""
    if as_json:
        print(json.dumps({"ok": False, "error": message}, ensure_ascii=False))
    err.print(f"[bold red]{what}:[/] {escape(message)}")
    raise typer.Exit(code)


def _run(action, as_json: bool, verb: str) -> None:
    the_stack = stack.Stack.from_env()
    say = (lambda msg: err.print(f"[dim]…[/] {msg}")) if as_json else (lambda msg: out.print(f"[dim]…[/] {msg}"))
    try:
        report = action(the_stack, say)
    except stack.StackError as exc:
        _abort(as_json, f"{verb} failed", str(exc), 1)
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
def reindex(as_json: bool = JsonOption) -> None:
    """Rebuild the search index from the database (drops entries of datasets that do not exist)."""
    _run(stack.reindex, as_json, "reindex")


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


# --- plan and sync ----------------------------------------------------------------------

PackagesOption = typer.Option(None, "--packages", help="Folder of packages (default: datapackages/).")
PortalOption = typer.Option(None, "--portal", envvar="PUBLISHER_CKAN_URL", show_default=False,
                            help="CKAN address (default: the local portal, or $PUBLISHER_CKAN_URL).")
PruneOption = typer.Option(False, "--prune", help="Also delete datasets of ours that no longer exist locally.")
PruneShareOption = typer.Option(0.25, "--prune-limit", min=0.0, max=1.0,
                                help="Refuse to prune more than this share of our datasets.")
CatalogOption = typer.Option("thai-opendata-publisher", "--catalog", envvar="PUBLISHER_CATALOG",
                             help="The mark (extra managed_by) of the datasets this repository owns; "
                                  "only those are read, updated and pruned.")


def _short_value(value, width: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


ACTION_STYLE = {"create": "green", "update": "yellow", "undelete": "cyan", "delete": "red",
                "unchanged": "dim", "skip": "magenta", "reupload": "yellow"}


def _print_plan(the_plan, skipped: dict[str, str]) -> None:
    for step in the_plan.owners:
        if step.action != "unchanged":
            out.print(f"[{ACTION_STYLE[step.action]}]{step.action:>9}[/] {step.kind} {escape(step.name)}")
    for step in the_plan.datasets:
        style = ACTION_STYLE.get(step.action, "")
        out.print(f"[{style}]{step.action:>9}[/] [bold]{escape(step.name)}[/]"
                  + (f"  [dim]{escape(step.reason)}[/]" if step.reason else ""))
        for key, (before, after) in step.changes.items():
            mark = " (edited on the portal)" if key in step.drift else ""
            out.print(f"            ~ {key}: {_short_value(before)} → {_short_value(after)}{mark}",
                      markup=False, highlight=False)
        for resource in step.resources:
            if resource.action == "unchanged" and not resource.datastore:
                continue
            extra = " + DataStore" if resource.datastore else ""
            out.print(f"            {resource.action} {resource.key}{extra}"
                      + (f"  ({resource.reason})" if resource.reason else ""), markup=False, highlight=False)
        if step.reorder:
            out.print("            reorder resources", highlight=False)
    if the_plan.refused:
        err.print(f"[bold red]prune refused:[/] {escape(the_plan.refused)}")
    counts = the_plan.counts()
    out.print(", ".join(f"{counts.get(k, 0)} to {k}" for k in ("create", "update", "undelete", "delete"))
              + f", {counts.get('unchanged', 0)} unchanged, {len(skipped)} skipped (invalid)"
              + f"; {counts['resources_create'] + counts['resources_reupload']} file(s) to upload")


@app.command()
def plan(packages_dir: Path = PackagesOption, portal_url: str = PortalOption, prune: bool = PruneOption,
         prune_share: float = PruneShareOption, catalog: str = CatalogOption, as_json: bool = JsonOption) -> None:
    """Show what sync would change on the portal, without writing anything.

    Reads the portal with one package_search per 1,000 datasets and compares it with the local packages: datasets and resources to create, update (field by field), re-upload, delete, or leave alone. Save it with --json > plan.json and apply exactly that with sync --plan plan.json.

    Exit 0 nothing to do, 1 changes pending (or invalid packages), 2 portal unreachable.
    """
    from publisher.catalog import sync as syncing

    portal = portal_for(portal_url)
    try:
        the_plan, report, api, _ = syncing.plan(portal, packages_dir or packages.PACKAGES_DIR, prune=prune,
                                                prune_share=prune_share, catalog=catalog)
    except (syncing.SyncError, syncing.ckanapi.CKANAPIError) as exc:
        message = syncing.describe(exc, portal) if isinstance(exc, syncing.ckanapi.CKANAPIError) else str(exc)
        _abort(as_json, "plan failed", message, 2)
    pending = not the_plan.empty() or bool(report.skipped) or bool(the_plan.refused)
    if as_json:
        print(json.dumps({"portal": portal.url, "skipped": report.skipped, "requests": sum(api.calls.values()),
                          "digest": the_plan.digest(), "plan": the_plan.to_json()}, ensure_ascii=False, indent=2))
    else:
        for name, why in report.skipped.items():
            err.print(f"[magenta]skipped[/] {escape(name)}: {escape(why)}")
        _print_plan(the_plan, report.skipped)
        out.print(f"[dim]{portal.url}, {sum(api.calls.values())} request(s)[/]")
    raise typer.Exit(1 if pending else 0)


@app.command()
def sync(packages_dir: Path = PackagesOption, portal_url: str = PortalOption,
         plan_file: Path = typer.Option(None, "--plan", exists=True, dir_okay=False,
                                        help="Apply this saved plan (from plan --json), refusing if it is stale."),
         prune: bool = PruneOption, prune_share: float = PruneShareOption,
         dry_run: bool = typer.Option(False, "--dry-run", help="Validate and plan, write nothing."),
         jobs: int = typer.Option(4, "--jobs", min=1, max=16, help="Datasets written at the same time."),
         catalog: str = CatalogOption,
         revalidate: bool = typer.Option(False, "--revalidate",
                                         help="Validate every package, even those that passed before unchanged."),
         as_json: bool = JsonOption) -> None:
    """Validate, then publish the packages to the portal and keep it in sync.

    Invalid packages are skipped and reported, never published. Organizations (the issuing agencies) and category groups come first; then each dataset is created private, filled with its files (uploaded to the portal, sha256 in `hash`, loaded into the DataStore with a Thai/English data dictionary) and made public last. Unchanged files are never uploaded again. A second run with nothing changed writes nothing.

    The API token comes from $PUBLISHER_CKAN_TOKEN or $PUBLISHER_CKAN_TOKEN_FILE (for the local portal, .stack/secrets/ckan-api-token) and is never shown.

    Exit 0 in sync, 1 invalid packages skipped or prune refused, 2 portal unreachable or API errors.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from publisher.catalog import sync as syncing

    portal = portal_for(portal_url)
    bar = Progress(TextColumn("[bold]sync[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TextColumn("{task.description}"), console=err, transient=True,
                   disable=as_json or not err.is_terminal)
    task = bar.add_task("validating", total=None)

    def progress(event: str, name: str, done: int, total: int) -> None:
        if event == "validate":
            bar.update(task, description=f"validating {name}")
        elif event == "start":
            bar.update(task, total=total, completed=0, description="")
        else:
            bar.update(task, completed=done, description=name)

    try:
        with bar:
            report = syncing.sync(portal, packages_dir or packages.PACKAGES_DIR, prune=prune, dry_run=dry_run,
                                  prune_share=prune_share, plan_file=plan_file, jobs=jobs, progress=progress,
                                  catalog=catalog, revalidate=revalidate)
    except syncing.StalePlan as exc:
        _abort(as_json, "stale plan", str(exc), 2)
    if as_json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        raise typer.Exit(report.exit_code)
    if dry_run and report.plan:
        _print_plan(report.plan, report.skipped)
    _print_sync(report)
    raise typer.Exit(report.exit_code)


def _print_sync(report) -> None:
    for name, why in report.skipped.items():
        err.print(f"[magenta]skipped[/] {escape(name)}: {escape(why)}")
    if report.plan and report.plan.refused:
        err.print(f"[bold red]prune refused:[/] {escape(report.plan.refused)}")
    table = Table(title=f"sync → {report.portal}" + (" (dry run)" if report.dry_run else ""), title_justify="left")
    for column in ("dataset", "action", "uploads", "DataStore", "result"):
        table.add_column(column)
    for outcome in report.outcomes:
        table.add_row(outcome.name, outcome.action, ", ".join(outcome.uploads) or "-",
                      str(len(outcome.datastore)) if outcome.datastore else "-",
                      "[green]ok[/]" if outcome.ok else f"[red]failed:[/] {escape(outcome.error)}")
    if report.outcomes:
        out.print(table)
    for name, fields in report.drift.items():
        out.print(f"[yellow]drift[/] {escape(name)}: {', '.join(fields)} had been edited on the portal; "
                  f"the repository's values were written back")
    if report.stale_index:
        err.print(f"[yellow]the portal's search index lists {len(report.stale_index)} dataset name(s) more than once "
                  f"({escape(', '.join(report.stale_index[:5]))}); the database copy was used. Rebuild the index: "
                  f"ckan search-index rebuild --clear (local portal: publisher ckan reindex)[/]")
    for name, what in report.unconverged.items():
        err.print(f"[bold red]not converged[/] {escape(name)}: {escape(', '.join(what))}")
    if report.error:
        err.print(f"[bold red]sync failed:[/] {escape(report.error)}")
    s = report.summary()
    out.print(f"{s['created']} created, {s['updated']} updated, {s['deleted']} deleted, {s['unchanged']} unchanged, "
              f"{s['skipped']} skipped, {s['failed']} failed; {s['uploads']} upload(s), "
              f"{s['datastore_loads']} DataStore load(s); {s['requests']} request(s), {s['writes']} write(s) "
              f"in {report.seconds:.1f} s")


LOCAL_PORTAL = "local"


def _portal_rules(portal: str | None, log: Console) -> validation.PortalRules | None:
    """The rules of the portal named by --portal ('local': the one publisher ckan up runs)."""
    if portal is None:
        return None
    if portal != LOCAL_PORTAL and not portal.startswith(("http://", "https://")):
        err.print(f"--portal takes a portal URL (http://…) or 'local', not {portal!r}")
        raise typer.Exit(2)
    target = portal_for(None if portal == LOCAL_PORTAL else portal)
    log.print(f"[dim]…[/] portal {target.url}")
    try:
        return validation.fetch_portal_rules(target)
    except validation.PortalError as exc:
        err.print(f"[bold red]portal unreachable:[/] {escape(str(exc))}")
        raise typer.Exit(2)


@app.command()
def validate(paths: list[Path] = typer.Argument(None, help="Packages or folders (default: datapackages/)."),
             lang: str = typer.Option("en", "--lang", help="Language of titles and hints: th or en."),
             strict: bool = typer.Option(False, "--strict", help="Fail on warnings too."),
             portal: str = typer.Option(None, "--portal", metavar="URL|local",
                                        help="Also check against a live CKAN portal: its dataset schema "
                                             "(required fields, choices), licences and organizations. "
                                             "'local' is the portal of publisher ckan up. "
                                             "Exit 2 if it cannot be read."),
             as_json: bool = JsonOption) -> None:
    """Check packages before anything is published: Frictionless, GD-Catalog metadata,
    provenance of every number, personal data, headers and encoding, and facts that two
    datasets share (schemas/validation/facts.json). With --portal, also what that server
    would refuse.

    Exit 0 valid, 1 invalid (errors, or warnings with --strict), 2 usage or I/O error, or a
    portal that cannot be read.
    """
    if lang not in ("th", "en"):
        err.print("--lang must be th or en")
        raise typer.Exit(2)
    log = err if as_json else out
    portal_rules = _portal_rules(portal, log)
    try:
        result = validation.validate(paths or [packages.PACKAGES_DIR], portal=portal_rules,
                                     progress=lambda name: log.print(f"[dim]…[/] {name}"))
    except (FileNotFoundError, OSError) as exc:
        err.print(f"[bold red]cannot validate:[/] {exc}")
        raise typer.Exit(2)
    ok = result.valid(strict)
    if as_json:
        report = {"valid": ok, "strict": strict, "packages": result.packages,
                  "errors": len(result.errors()), "warnings": len(result.warnings()),
                  "findings": [f.as_dict(lang) for f in result.findings]}
        if portal_rules:
            report["portal"] = portal_rules.url
        print(json.dumps(report, ensure_ascii=False, indent=2))
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


# --- scheduled runs: the job, its runner and its record (logic in publisher/schedule.py) ---

from dataclasses import asdict  # noqa: E402

from publisher import schedule as scheduling  # noqa: E402

def _job_config() -> scheduling.Config:
    try:
        return scheduling.load_config()
    except scheduling.ConfigError as exc:
        err.print(f"[bold red]bad schedule configuration:[/] {escape(str(exc))}")
        raise typer.Exit(2)


def _plain(console: Console):
    return lambda message: console.print(message, markup=False, highlight=False, soft_wrap=True)


@app.command("schedule")
def schedule_runner() -> None:
    """Run the job on the schedule of publisher.toml until SIGTERM or Ctrl-C.

    The job rebuilds packages whose source report changed, validates, and syncs to the portal.

    While it runs it holds the lock (var/publisher.lock): a cron run or a second runner exits 3.
    A stop lets the current step finish and skips the rest; a second stop abandons the step.

    Schedule: the schedule table of publisher.toml, or PUBLISHER_SCHEDULE_EVERY, _AT, _TIMEZONE.

    Exit 0 when stopped, 2 bad configuration, 3 locked.
    """
    config = _job_config()
    stop = scheduling.Stop()
    try:
        with stop.on_signals():
            code = scheduling.serve(config, stop=stop, say=_plain(out))
    except scheduling.Locked as exc:
        err.print(f"[bold red]locked:[/] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(scheduling.LOCKED)
    raise typer.Exit(code)


@app.command("run-job")
def run_job(once: bool = typer.Option(False, "--once", help="Run the job one time now, then exit (cron, systemd)."),
            as_json: bool = JsonOption) -> None:
    """Rebuild packages whose source report changed, validate, and sync to the portal: one run.

    Appends a line to the run log and rewrites the last-run status file (see publisher status).

    Exit 0 in sync, 1 validation failures, 2 portal unreachable or API errors, 3 locked (another run is active).

    A run stopped by signal N before its last step exits 128+N.
    """
    if not once:
        err.print("run-job runs the job a single time and needs --once; the long-running runner is "
                  "`publisher schedule`")
        raise typer.Exit(2)
    config = _job_config()
    stop = scheduling.Stop()
    with stop.on_signals():
        run = scheduling.run_once(config, stop=stop, say=_plain(err if as_json else out))
    if as_json:
        print(json.dumps(asdict(run), ensure_ascii=False, indent=2))
    if run.exit_code == scheduling.LOCKED:
        err.print(f"[bold red]locked:[/] {escape(run.error or '')}", soft_wrap=True)
    elif not as_json:
        colour = "green" if run.exit_code == 0 else "red"
        out.print(f"[{colour}]{run.outcome}[/] (exit {run.exit_code}): {_counts(run.counts, run.plan)}",
                  soft_wrap=True)
        if run.error:
            err.print(f"[red]{escape(run.error)}[/]", soft_wrap=True)
        out.print(f"run log: {_short(str(config.run_log))}, last run: {_short(str(config.status_file))}")
    raise typer.Exit(run.exit_code)


def _counts(counts: dict, plan: dict, zeros: bool = True) -> str:
    shown = [f"{counts[k]} {k}" for k in ("packages", "rebuilt", "invalid") if k in counts]
    shown += [f"{v} {k}" for k, v in plan.items() if zeros or v]
    return ", ".join(shown) or "-"


@app.command("status")
def runs_status(last: int = typer.Option(10, "--last", "-n", min=1, help="How many runs to show."),
                as_json: bool = JsonOption) -> None:
    """Show the last runs of the job (from the run log), the schedule and the next run time."""
    config = _job_config()
    runs = scheduling.read_runs(config, last)
    upcoming = scheduling.stamp(scheduling.next_run(config))
    if as_json:
        print(json.dumps({"schedule": config.describe(), "next_run": upcoming, "run_log": str(config.run_log),
                          "status_file": str(config.status_file), "lock_file": str(config.lock_file),
                          "last_run": scheduling.read_status(config), "runs": runs}, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"last runs ({_short(str(config.run_log))})", title_justify="left")
    for column in ("started", "took", "by", "outcome", "exit", "counts", "error"):
        table.add_column(column, justify="right" if column in ("took", "exit") else "left",
                         no_wrap=column in ("started", "outcome"))
    for run in reversed(runs):
        seconds = scheduling.duration(run)
        colour = "green" if run.get("exit_code") == 0 else "red"
        table.add_row(run.get("started", "?"), "-" if seconds is None else f"{seconds:.0f} s", run.get("trigger", ""),
                      f"[{colour}]{run.get('outcome', '?')}[/]", str(run.get("exit_code")),
                      _counts(run.get("counts") or {}, run.get("plan") or {}, zeros=False),
                      escape((run.get("error") or "")[:200]))
    if runs:
        out.print(table)
    else:
        out.print(f"no runs yet ({_short(str(config.run_log))} is empty or missing)")
    out.print(f"schedule: {config.describe()}; next run {upcoming}")
