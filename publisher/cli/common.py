"""What every command shares: the two consoles (results on stdout; progress, warnings and errors
on stderr), the --json option, and how a command reports that it failed."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

# emoji codes off: package text (a header ":x:", a title) is printed as it is, never rewritten;
# every piece of it goes through escape() or markup=False, so it is never read as markup either
out = Console(emoji=False)
err = Console(stderr=True, emoji=False)

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
