"""The ``publisher`` command line: parse, call, print. No logic of its own lives here.

Exit codes: 0 success, 1 the work failed (a component, a check), 2 usage or I/O error.

This module makes the app and registers every command in the order --help lists them; the
commands live one group to a module (build, plan and sync, validate, the job, the ckan sub-app).
"""

from __future__ import annotations

import typer

from publisher import __version__
from publisher.cli.build import build
from publisher.cli.ckan import ckan_app
from publisher.cli.common import out
from publisher.cli.coverage import coverage, suggest
from publisher.cli.harvest import harvest_check
from publisher.cli.jobs import run_job, runs_status, schedule_runner
from publisher.cli.reports import reports_app
from publisher.cli.sync import plan, sync
from publisher.cli.validate import validate

app = typer.Typer(
    help="Publish Thai government report figures as validated open data on a data.go.th-style CKAN portal.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
app.add_typer(ckan_app, name="ckan")
app.add_typer(reports_app, name="reports")


def _version(value: bool) -> None:
    if value:
        out.print(f"publisher {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Show the version and exit.")) -> None:
    """Reports → data packages → CKAN. Start with: publisher ckan up"""


app.command()(build)
app.command()(plan)
app.command()(sync)
app.command()(validate)
app.command()(coverage)
app.command()(suggest)
app.command("schedule")(schedule_runner)
app.command("run-job")(run_job)
app.command("status")(runs_status)
app.command("harvest-check")(harvest_check)
