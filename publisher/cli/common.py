"""What every command shares: the two consoles (results on stdout; progress, warnings and errors
on stderr), the --json option, and how a command reports that it failed."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from publisher.catalog.client import Portal, portal_for
from publisher.stack.supervisor import StackError

out = Console()
err = Console(stderr=True)

JsonOption = typer.Option(False, "--json", help="Print one JSON document on stdout for machines.")


def short(path: str) -> str:
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


def abort(as_json: bool, what: str, message: str, code: int) -> None:
    """One error, said once on stderr (and as JSON on stdout for --json), then the exit code."""
    if as_json:
        print(json.dumps({"ok": False, "error": message}, ensure_ascii=False))
    err.print(f"[bold red]{what}:[/] {escape(message)}")
    raise typer.Exit(code)


def fail(as_json: bool, what: str, problems: list[str]) -> None:
    if as_json:
        print(json.dumps({"ok": False, "error": what, "problems": problems}, ensure_ascii=False, indent=2))
    err.print(f"[bold red]{what}:[/]")
    for problem in problems:
        err.print(f"  • {problem}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def portal_or_exit(url: str | None, as_json: bool = False) -> Portal:
    """The portal a command talks to; exit 2 when it may not (a test run aimed at a person's portal)."""
    try:
        return portal_for(url)
    except StackError as exc:
        abort(as_json, "refused", str(exc), 2)
