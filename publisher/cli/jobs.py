"""The scheduled job from the command line: ``schedule`` (the runner), ``run-job --once`` and
``status`` (the run log). The job itself lives in publisher/jobs/."""

from __future__ import annotations

import json
from dataclasses import asdict

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from publisher.cli.common import JsonOption, err, job_config, out, short
from publisher.cli.lang import t
from publisher.jobs.config import stamp
from publisher.jobs.lock import Locked
from publisher.jobs.record import LOCKED, duration, read_runs, read_status
from publisher.jobs.runner import Stop, next_run, run_once, serve


def _plain(console: Console):
    return lambda message: console.print(message, markup=False, highlight=False, soft_wrap=True)


def schedule_runner() -> None:
    """Run the job on the schedule of publisher.toml until SIGTERM or Ctrl-C.

    The job rebuilds packages whose source report changed, validates, and syncs to the portal.

    While it runs it holds the lock (var/publisher.lock): a cron run or a second runner exits 3.
    A stop lets the current step finish and skips the rest; a second stop abandons the step.

    Schedule: the schedule table of publisher.toml, or PUBLISHER_SCHEDULE_EVERY, _AT, _TIMEZONE.

    Exit 0 when stopped, 2 bad configuration, 3 locked.
    """
    config = job_config()
    stop = Stop()
    try:
        with stop.on_signals():
            code = serve(config, stop=stop, say=_plain(out))
    except Locked as exc:
        err.print(f"[bold red]{escape(t('locked'))}:[/] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(LOCKED)
    raise typer.Exit(code)


def run_job(once: bool = typer.Option(False, "--once", help="Run the job one time now, then exit (cron, systemd)."),
            as_json: bool = JsonOption) -> None:
    """Rebuild packages whose source report changed, validate, and sync to the portal: one run.

    Appends a line to the run log and rewrites the last-run status file (see publisher status).

    Exit 0 in sync, 1 validation failures, 2 portal unreachable or API errors, 3 locked (another run is active).

    A run stopped by signal N before its last step exits 128+N.
    """
    if not once:
        err.print(t("run-job runs the job a single time and needs --once; the long-running runner is "
                    "`publisher schedule`"))
        raise typer.Exit(2)
    config = job_config()
    stop = Stop()
    with stop.on_signals():
        run = run_once(config, stop=stop, say=_plain(err if as_json else out))
    if as_json:
        print(json.dumps(asdict(run), ensure_ascii=False, indent=2))
    if run.exit_code == LOCKED:
        err.print(f"[bold red]{escape(t('locked'))}:[/] {escape(run.error or '')}", soft_wrap=True)
    elif not as_json:
        colour = "green" if run.exit_code == 0 else "red"
        out.print(f"[{colour}]{escape(t(run.outcome))}[/] "
                  + t("(exit {code}): {counts}", code=run.exit_code, counts=_counts(run.counts, run.plan)),
                  soft_wrap=True)
        if run.error:
            err.print(f"[red]{escape(run.error)}[/]", soft_wrap=True)
        out.print(t("run log: {log}, last run: {status}", log=short(str(config.run_log)),
                    status=short(str(config.status_file))))
    raise typer.Exit(run.exit_code)


def _counts(counts: dict, plan: dict, zeros: bool = True) -> str:
    shown = [f"{counts[k]} {t(k)}" for k in ("packages", "rebuilt", "invalid") if k in counts]
    shown += [f"{v} {t(k)}" for k, v in plan.items() if zeros or v]
    return ", ".join(shown) or "-"


def runs_status(last: int = typer.Option(10, "--last", "-n", min=1, help="How many runs to show."),
                as_json: bool = JsonOption) -> None:
    """Show the last runs of the job (from the run log), the schedule and the next run time."""
    config = job_config()
    runs = read_runs(config, last)
    upcoming = stamp(next_run(config))
    if as_json:
        print(json.dumps({"schedule": config.describe(), "next_run": upcoming, "run_log": str(config.run_log),
                          "status_file": str(config.status_file), "lock_file": str(config.lock_file),
                          "last_run": read_status(config), "runs": runs}, ensure_ascii=False, indent=2))
        return
    table = Table(title=t("last runs ({log})", log=short(str(config.run_log))), title_justify="left")
    for column in ("started", "took", "by", "outcome", "exit", "counts", "error"):
        table.add_column(t(column), justify="right" if column in ("took", "exit") else "left",
                         no_wrap=column in ("started", "outcome"))
    for run in reversed(runs):
        seconds = duration(run)
        colour = "green" if run.get("exit_code") == 0 else "red"
        table.add_row(run.get("started", "?"), "-" if seconds is None else t("{seconds} s", seconds=f"{seconds:.0f}"),
                      t(run.get("trigger", "")), f"[{colour}]{escape(t(run.get('outcome', '?')))}[/]", str(run.get("exit_code")),
                      _counts(run.get("counts") or {}, run.get("plan") or {}, zeros=False),
                      escape((run.get("error") or "")[:200]))
    if runs:
        out.print(table)
    else:
        out.print(t("no runs yet ({log} is empty or missing)", log=short(str(config.run_log))))
    out.print(t("schedule: {schedule}; next run {next}", schedule=config.describe(), next=upcoming))
