"""Write docs/cli.md from the commands' own --help, so the reference cannot drift from the tool.

    .venv/bin/python docs/cli_docs.py           # rewrite docs/cli.md
    .venv/bin/python docs/cli_docs.py --check   # exit 1 if docs/cli.md is stale

tests/test_layout.py runs the check.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import typer
import typer.rich_utils
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from publisher.cli.main import app  # noqa: E402

TARGET = ROOT / "docs" / "cli.md"
WIDTH = 100
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

HEADER = """# `publisher` command reference

Generated from each command's `--help` by `docs/cli_docs.py`; do not edit by hand.
Every command takes `--help`; most take `--json` for machines. Exit codes are given with each
command. The README tells the story; this page lists every flag.
"""


def _plain_help() -> None:
    """Same text whatever the terminal, the environment or CI say: fixed width, no colour."""
    typer.rich_utils.MAX_WIDTH = WIDTH
    typer.rich_utils.FORCE_TERMINAL = False
    typer.rich_utils.COLOR_SYSTEM = None


def command_paths() -> list[tuple[str, ...]]:
    """Every command and sub-command, in the order --help lists them."""
    root = typer.main.get_command(app)
    paths: list[tuple[str, ...]] = [()]

    def walk(group, prefix: tuple[str, ...]) -> None:
        for name, command in group.commands.items():
            if command.hidden:
                continue
            paths.append(prefix + (name,))
            if hasattr(command, "commands"):
                walk(command, prefix + (name,))

    walk(root, ())
    return paths


def help_text(path: tuple[str, ...]) -> str:
    _plain_help()
    result = CliRunner().invoke(app, [*path, "--help"], prog_name="publisher",
                                env={"COLUMNS": str(WIDTH), "NO_COLOR": "1", "TERM": "dumb", "PUBLISHER_LANG": "en"})
    if result.exit_code != 0:
        raise RuntimeError(f"publisher {' '.join(path)} --help exited {result.exit_code}: {result.output}")
    lines = [line.rstrip() for line in ANSI.sub("", result.output).splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines).rstrip() + "\n"


def render() -> str:
    parts = [HEADER]
    for path in command_paths():
        title = " ".join(("publisher",) + path)
        parts.append(f"\n## {title}\n\n```text\n{help_text(path)}```\n")
    return "".join(parts)


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET.relative_to(ROOT)} is stale: run .venv/bin/python docs/cli_docs.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)} ({len(command_paths())} commands)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
