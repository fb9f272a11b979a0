"""What every command shares: the two consoles (results on stdout; progress, warnings and errors
on stderr), the --json option, and how a command reports that it failed."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import typer
from rich.console import Console
from rich.markup import escape

from publisher.catalog.client import Portal, portal_for
from publisher.cli.lang import t
from publisher.stack.supervisor import StackError
from publisher.jobs.config import Config, ConfigError, load_config
from publisher.jobs.lock import Locked, job_lock
from publisher.jobs.record import LOCKED


# emoji codes off: package text (a header ":x:", a title) is printed as it is, never rewritten;
# every piece of it goes through escape() or markup=False, so it is never read as markup either
out = Console(emoji=False)
err = Console(stderr=True, emoji=False)

JsonOption = typer.Option(False, "--json", help="Print one JSON document on stdout for machines.")
WaitOption = typer.Option(None, "--wait", min=0, max=3600, metavar="SECONDS", show_default=False,
                          help="How long to wait for a run that holds the lock (default: lock_wait of "
                               "publisher.toml, 10 s); then exit 3 naming it.")


def short(path: str) -> str:
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


def abort(as_json: bool, what: str, message: str, code: int, **values: object) -> None:
    """One error, said once on stderr (and as JSON on stdout for --json), then the exit code.
    ``what`` is an English template of schemas/i18n/th.json, filled with ``values``."""
    if as_json:
        print(json.dumps({"ok": False, "error": message}, ensure_ascii=False))
    err.print(f"[bold red]{escape(t(what, **values))}:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


def fail(as_json: bool, what: str, problems: list[str], details: list[dict] | None = None) -> None:
    """Exit 1 listing the problems; with --json, ``details`` (rule, file, line, fix) when known."""
    if as_json:
        print(json.dumps({"ok": False, "error": what, "problems": details if details is not None else problems},
                         ensure_ascii=False, indent=2))
    err.print(f"[bold red]{escape(what)}:[/]")
    for problem in problems:
        err.print(f"  • {problem}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def portal_or_exit(url: str | None, as_json: bool = False) -> Portal:
    """The portal a command talks to; exit 2 when it may not (a test run aimed at a person's portal)."""
    try:
        return portal_for(url)
    except StackError as exc:
        abort(as_json, "refused", str(exc), 2)


def job_config() -> Config:
    try:
        return load_config()
    except ConfigError as exc:
        err.print(f"[bold red]{t('bad schedule configuration')}:[/] {escape(str(exc))}")
        raise typer.Exit(2)


@contextmanager
def exclusive(as_json: bool, wait: float | None = None) -> Iterator[Config]:
    """The scheduled job's lock, for a command that writes the packages or the portal: a run at
    02:00 and a sync by hand never interleave. Waits up to ``wait`` seconds, then exit 3."""
    config = job_config()

    def waiting(pid: int | None) -> None:
        err.print("[yellow]" + escape(t("waiting for the lock ({lock}), held by {holder}…",
                                        lock=short(str(config.lock_file)),
                                        holder=f"pid {pid}" if pid else t("another run"))) + "[/]", soft_wrap=True)

    try:
        with job_lock(config.lock_file, config.lock_wait if wait is None else wait, waiting):
            yield config
    except Locked as exc:
        abort(as_json, "locked", str(exc), LOCKED)
