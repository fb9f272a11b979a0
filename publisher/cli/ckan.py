"""``publisher ckan``: start, stop, reset, reindex and show the local portal (publisher/stack/)."""

from __future__ import annotations

import json
import subprocess
import sys

import typer
from rich.table import Table

from publisher.cli.common import JsonOption, abort, err, out, short
from publisher.cli.lang import t
from publisher.stack import commands as stack
from publisher.stack.guard import ProtectedPortal
from publisher.stack.supervisor import Stack, StackError

ckan_app = typer.Typer(
    help="Run the local CKAN portal (PostgreSQL, Redis, Solr 9, CKAN 2.11 + GD-Catalog schema) on 127.0.0.1.\n\n"
         "Everything lives under .stack/ (or $PUBLISHER_STACK_DIR); ports come from "
         "$PUBLISHER_CKAN_PORT (5000), $PUBLISHER_SOLR_PORT (8983), $PUBLISHER_POSTGRES_PORT (5433) "
         "and $PUBLISHER_REDIS_PORT (6380). $PUBLISHER_SOLR_SOFT_COMMIT_MS=N leaves search commits to Solr, "
         "which shows writes in search every N ms (default 0: CKAN commits on every write).",
    no_args_is_help=True,
)


def _print_status(report: dict) -> None:
    table = Table(title=t("local portal: {url}", url=report["ckan_url"]), title_justify="left")
    for column in ("component", "state", "pid", "address", "log"):
        table.add_column(t(column))
    colours = {"running": "green", "unhealthy": "yellow", "stopped": "red"}
    for row in report["components"]:
        table.add_row(row["component"], f"[{colours[row['state']]}]{t(row['state'])}[/]",
                      str(row["pid"] or "-"), row["address"], short(row["log"]))
    central = report.get("central")
    if central:
        table.add_row(central["component"], f"[{colours[central['state']]}]{t(central['state'])}[/]",
                      str(central["pid"] or "-"), central["address"], short(central["log"]))
    out.print(table)
    if central and central["datasets"] is not None:
        out.print(t("central catalog site {url}: {count} harvested dataset(s)", url=central["url"],
                    count=central["datasets"]))
    if report["ckan_version"]:
        out.print(t("CKAN {version}, {count} dataset(s) in the search index", version=report["ckan_version"],
                    count=report["datasets"]))
    if report.get("solr_soft_commit_ms"):
        out.print(t("search commits left to Solr: a write shows in search within {ms} ms",
                    ms=report["solr_soft_commit_ms"]))
    if report["token_file"]:
        out.print(t("sysadmin API token: {file} (mode 600)", file=short(report["token_file"])))


def _run(action, as_json: bool, verb: str) -> None:
    the_stack = Stack.from_env()
    say = (lambda msg: err.print(f"[dim]…[/] {msg}")) if as_json else (lambda msg: out.print(f"[dim]…[/] {msg}"))
    try:
        report = action(the_stack, say)
    except ProtectedPortal as exc:
        abort(as_json, "{verb} refused", str(exc), 2, verb=verb)
    except StackError as exc:
        abort(as_json, "{verb} failed", str(exc), 1, verb=verb)
    except (OSError, subprocess.SubprocessError) as exc:   # a part of the machine, not of the stack, failed
        abort(as_json, "{verb} failed", f"{type(exc).__name__}: {exc}", 1, verb=verb)
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        if report.get("timings"):
            out.print(t("took {timings}", timings=", ".join(
                t("{step} {seconds} s", step=k, seconds=f"{v:.1f}") for k, v in report["timings"].items() if v >= 0.05)))
        _print_status(report)
    if verb in ("up", "reset") and not report["ready"]:
        raise typer.Exit(1)


@ckan_app.command()
def up(central: bool = typer.Option(False, "--central", help=(
            "Also start the central catalog site: a second CKAN with ckanext-harvest and ckanext-dcat's "
            "harvesters on $PUBLISHER_CENTRAL_PORT (the CKAN port + 2000) that harvests this portal "
            "(see publisher harvest-check)")),
       as_json: bool = JsonOption) -> None:
    """Start the portal, installing what is missing on first use. A no-op when it already runs.

    Returns only when CKAN answers status_show and a package_search round trip through Solr works.
    """
    _run(lambda the_stack, say: stack.up(the_stack, say, central=central), as_json, "up")


@ckan_app.command()
def down(as_json: bool = JsonOption) -> None:
    """Stop every component by its pid file (data is kept)."""
    _run(stack.down, as_json, "down")


@ckan_app.command()
def reset(yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
          central: bool = typer.Option(False, "--central", help=(
              "Empty only the central catalog site (its databases, search core and state) and start "
              "it again; the portal keeps its data.")),
          as_json: bool = JsonOption) -> None:
    """Wipe every dataset, organization, upload, index and token, and start an empty portal."""
    if not yes:
        if not sys.stdin.isatty():
            err.print(t("reset wipes the local portal; pass --yes to confirm"))
            raise typer.Exit(2)
        typer.confirm(t("Wipe the local portal and start it empty?"), abort=True)
    _run(lambda the_stack, say: stack.reset(the_stack, say, central=central), as_json, "reset")


@ckan_app.command()
def reindex(as_json: bool = JsonOption) -> None:
    """Rebuild the search index from the database (drops entries of datasets that do not exist)."""
    _run(stack.reindex, as_json, "reindex")


@ckan_app.command()
def status(as_json: bool = JsonOption) -> None:
    """Show each component's state, pid, address and log. Exit 0 only when all are healthy."""
    report = stack.status(Stack.from_env())
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print_status(report)
    raise typer.Exit(0 if report["ready"] else 1)
