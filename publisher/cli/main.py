"""The ``publisher`` command line: parse, call, print. No logic of its own lives here.

Exit codes: 0 success, 1 the work failed (a component, a check), 2 usage or I/O error.

This module makes the app and registers every command in the order --help lists them; the
commands live one group to a module (build, plan and sync, validate, the job, the ckan sub-app).
"""

from __future__ import annotations

import json
import sys
import traceback
from typing import Any

import typer
from typer.core import TyperGroup
from typer.exceptions import Abort, TyperException

from publisher import __version__
from publisher.cli import lang
from publisher.cli.build import build
from publisher.cli.ckan import ckan_app
from publisher.cli.common import out
from publisher.cli.coverage import coverage, suggest
from publisher.cli.harvest import harvest_check
from publisher.cli.jobs import run_job, runs_status, schedule_runner
from publisher.cli.reports import reports_app
from publisher.cli.sync import plan, sync
from publisher.cli.validate import validate


def language_argv(argv: list[str]) -> list[str]:
    """The run's language chosen from --lang (anywhere on the line) or PUBLISHER_LANG; the flag
    is taken off the line, and given back to validate, whose own option it also is."""
    value = lang.from_argv(argv)
    lang.choose(value)
    rest, skip = [], False
    for arg in argv:
        if skip or arg == "--lang" or arg.startswith("--lang="):
            skip = arg == "--lang"
            continue
        rest.append(arg)
    if value is not None and rest[:1] == ["validate"]:
        rest += ["--lang", value]
    return rest


class JsonFailures(TyperGroup):
    """With --json anywhere on the line, a usage error (exit 2) or an unexpected error is one JSON
    document on stdout too, so a machine never has to parse a usage text or a traceback. With
    --lang th (or PUBLISHER_LANG=th), help and messages are in Thai."""

    def main(self, args: Any = None, *pos: Any, standalone_mode: bool = True, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        chosen = lang.from_argv(argv)
        if chosen is not None and chosen not in lang.LANGUAGES and "validate" not in argv:
            message = f"--lang must be one of {', '.join(lang.LANGUAGES)}, not {chosen!r}"
            if "--json" in argv:
                print(json.dumps({"ok": False, "error": message, "usage": True}, ensure_ascii=False))
            print(message, file=sys.stderr)
            sys.exit(2)
        argv = language_argv(argv)
        if lang.language() == "th":
            lang.translate_help(self)
        with lang.help_panels():
            return self._main(argv, *pos, standalone_mode=standalone_mode, **extra)

    def _main(self, argv: list[str], *pos: Any, standalone_mode: bool = True, **extra: Any) -> Any:
        if "--json" not in argv or not standalone_mode:
            return super().main(argv, *pos, standalone_mode=standalone_mode, **extra)
        try:
            code = super().main(argv, *pos, standalone_mode=False, **extra)
        except TyperException as exc:
            print(json.dumps({"ok": False, "error": exc.format_message(), "usage": True}, ensure_ascii=False))
            getattr(exc, "show", lambda: None)()
            sys.exit(exc.exit_code)
        except Abort:
            print(json.dumps({"ok": False, "error": "aborted"}))
            sys.exit(1)
        except Exception as exc:  # noqa: BLE001 - said as JSON, the traceback kept on stderr
            print(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"}, ensure_ascii=False))
            traceback.print_exc()
            sys.exit(2)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=JsonFailures,
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
                                      help="Show the version and exit."),
         language: str = typer.Option(None, "--lang", metavar="th|en", show_default=False,
                                      help="Language of help and messages, given anywhere on the line: th or "
                                           "en (default: $PUBLISHER_LANG, else en).")) -> None:
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
