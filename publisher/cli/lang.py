"""The language the command line speaks: English by default, Thai with ``--lang th`` (anywhere
on the line) or ``PUBLISHER_LANG=th``. The Thai words are data (schemas/i18n/th.json): each
message by its English template, each command's help by its name, each option's by its flag."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Iterator

from typer import rich_utils

from publisher.settings import shipped_schema

LANGUAGES = ("en", "th")
TRANSLATIONS = shipped_schema("i18n/th.json")
_chosen: list[str] = []


def from_argv(argv: list[str]) -> str | None:
    """The value of --lang (``--lang th`` or ``--lang=th``) on a command line, if any."""
    for index, arg in enumerate(argv):
        if arg == "--lang" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def choose(value: str | None) -> None:
    """The language of this run (None: PUBLISHER_LANG, else English)."""
    _chosen[:] = [value] if value in LANGUAGES else []


def language() -> str:
    if _chosen:
        return _chosen[0]
    value = os.environ.get("PUBLISHER_LANG", "en").strip().lower()[:2]
    return value if value in LANGUAGES else "en"


@lru_cache(maxsize=1)
def thai() -> dict:
    return json.loads(TRANSLATIONS.read_text(encoding="utf-8"))


def t(template: str, **values: Any) -> str:
    """A message in the language of the run; the English template is the key of its Thai one."""
    if language() == "th":
        template = thai()["messages"].get(template, template)
    return template.format(**values) if values else template


def translate_help(command: Any, path: tuple[str, ...] = ()) -> None:
    """Thai help for a command and its sub-commands, in place (a click command of typer)."""
    data = thai()["help"]
    entry = data["commands"].get(" ".join(path) or "publisher", {})
    if entry.get("help"):
        command.help = entry["help"]
        command.short_help = None
    for param in command.params:
        name = param.opts[0] if param.opts else param.name
        text = entry.get("options", {}).get(name) or data["options"].get(name)
        if text and hasattr(param, "help"):
            param.help = text
    command.get_help_option = _help_option_in_thai(command.get_help_option, data["options"]["--help"])
    command.format_usage = _usage_in_thai(command, data["usage"])
    for name, sub in (getattr(command, "commands", None) or {}).items():
        translate_help(sub, path + (name,))


def _help_option_in_thai(make: Any, text: str) -> Any:
    def get_help_option(ctx: Any) -> Any:
        option = make(ctx)
        if option is not None:
            option.help = text
        return option
    return get_help_option


def _usage_in_thai(command: Any, prefix: str) -> Any:
    """click writes "Usage: " itself (no gettext, no constant): the same line with the Thai word."""
    def format_usage(ctx: Any, formatter: Any) -> None:
        formatter.write_usage(ctx.command_path, " ".join(command.collect_usage_pieces(ctx)), prefix=prefix)
    return format_usage


@contextmanager
def help_panels() -> Iterator[None]:
    """typer's words (panel titles 'Options', 'Commands', 'Error', 'Aborted.', …) in the language of the run, put back after."""
    saved = {name: getattr(rich_utils, name) for name in thai()["help"]["panels"]}
    if language() == "th":
        for name, text in thai()["help"]["panels"].items():
            setattr(rich_utils, name, text)
    try:
        yield
    finally:
        for name, text in saved.items():
            setattr(rich_utils, name, text)
