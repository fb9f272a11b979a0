"""Thai throughout: with --lang th (anywhere on the line) or PUBLISHER_LANG=th, every command's
help, its messages and summary lines are in Thai, from schemas/i18n/th.json; build's rule ids
are in schemas/validation/rules.json with a title and a hint in both languages. English stays
the default (docs/cli.md is written in it). Asserted against the data, not against wording."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from publisher.cli.main import app
from publisher.validate.findings import rules

ROOT = Path(__file__).resolve().parents[1]
THAI = json.loads((ROOT / "schemas" / "i18n" / "th.json").read_text(encoding="utf-8"))
SOURCES = [ROOT / "publisher" / "packages.py", *sorted((ROOT / "publisher" / "extract").glob("*.py")),
           *sorted((ROOT / "publisher" / "gate").glob("*.py"))]


def commands(command=None, path: tuple[str, ...] = ()):
    command = command or typer.main.get_command(app)
    yield path, command
    for name, sub in (getattr(command, "commands", None) or {}).items():
        yield from commands(sub, path + (name,))


def squeezed(text: str) -> str:
    """Help text without the spaces, line breaks and box lines rich lays it out with."""
    return re.sub(r"[\s│╭╮╰╯─]+", "", text)


def test_every_command_and_option_has_thai_help():
    helps = THAI["help"]
    for path, command in commands():
        entry = helps["commands"].get(" ".join(path) or "publisher")
        assert entry and entry["help"].strip(), path
        for param in command.params:
            name = param.opts[0]
            assert name in entry.get("options", {}) or name in helps["options"], (path, name)


@pytest.mark.parametrize("how", [{"args": ["--lang", "th"]}, {"env": {"PUBLISHER_LANG": "th"}},
                                 {"args": ["--lang=th"], "after": True}])
def test_help_is_in_thai_when_asked(how):
    for path, _ in commands():
        args = [*path, "--help", *how.get("args", [])] if how.get("after") else [*how.get("args", []), *path, "--help"]
        result = CliRunner().invoke(app, args, env={"COLUMNS": "100", **how.get("env", {})})
        assert result.exit_code == 0, (path, result.output)
        thai = THAI["help"]["commands"][" ".join(path) or "publisher"]["help"]
        assert squeezed(thai.split("\n")[0]) in squeezed(result.output), path
        assert THAI["help"]["panels"]["OPTIONS_PANEL_TITLE"] in result.output


def test_english_stays_the_default():
    result = CliRunner().invoke(app, ["build", "--help"], env={"COLUMNS": "100", "PUBLISHER_LANG": ""})
    english = typer.main.get_command(app).commands["build"].help
    assert squeezed(english.split("\n")[0]) in squeezed(result.output)
    assert THAI["help"]["panels"]["OPTIONS_PANEL_TITLE"] not in result.output


def test_every_message_of_the_command_line_has_its_thai_with_the_same_placeholders():
    used = set()
    for source in (ROOT / "publisher" / "cli").glob("*.py"):
        text = source.read_text(encoding="utf-8")
        used |= set(re.findall(r'\bt\(\s*"((?:[^"\\]|\\.)*)"', text)) | set(re.findall(r"\bt\(\s*'([^']*)'", text))
        used |= set(re.findall(r'\babort\([^,]+,\s*"([^"]*)"', text))
    assert used, "no message found"
    for template in used:
        assert template in THAI["messages"], template
        assert set(re.findall(r"{(\w+)}", template)) == set(re.findall(r"{(\w+)}", THAI["messages"][template]))


def test_every_rule_build_raises_has_both_languages():
    raised = set()
    for source in SOURCES:
        text = source.read_text(encoding="utf-8")
        raised |= set(re.findall(r'(?:where\.error|Problem|refused)\(\s*"([a-z][a-z0-9.-]+)"', text))
        raised |= set(re.findall(r'DocumentError\([^,]+,\s*"([a-z][a-z0-9.-]+)"', text))
        raised |= set(re.findall(r'"(recipe-[a-z-]+|recipe\.(?!yaml")[a-z-]+|[a-z]+s?-are-[a-z]+)"', text))
    assert {"quote-not-found", "recipe.unknown-key", "recipe-yaml", "table-not-found"} <= raised
    for rule in raised:
        entry = rules().get(rule)
        assert entry, rule
        for key in ("title_en", "title_th", "hint_en", "hint_th", "severity"):
            assert entry.get(key), (rule, key)


# --- a private catalog: one package with five mistakes --------------------------------

PACKAGE = "th-provinces"
MISTAKES = [  # (what the steward typed, the line as it is now, the rule)
    ("update_frequency_unit: อื่นๆ", "update_frequncy_unit: อื่นๆ", "recipe.unknown-key"),
    ("data_type: ข้อมูลระเบียน", "data_type: ข้อมูลระเบียบ", "recipe.vocabulary"),
    ("organization: opdc", "organization: opcd", "recipe.organization"),
    ("keywords: [", "license: CC-BY-4\nkeywords: [", "recipe.license"),
    ("header_rows: 1", "header_rows: -1", "recipe.header-rows"),
]


@pytest.fixture
def catalog(tmp_path) -> Path:
    shutil.copytree(ROOT / "reports", tmp_path / "reports")
    shutil.copytree(ROOT / "datapackages" / PACKAGE, tmp_path / "datapackages" / PACKAGE)
    recipe = tmp_path / "datapackages" / PACKAGE / "recipe.yaml"
    text = recipe.read_text(encoding="utf-8")
    for before, after, _ in MISTAKES:
        assert text.count(before) == 1, before
        text = text.replace(before, after)
    recipe.write_text(text, encoding="utf-8")
    return tmp_path


def run(catalog: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PUBLISHER_ROOT": str(catalog), "PUBLISHER_VAR_DIR": str(catalog / "var"), **env}
    return subprocess.run([sys.executable, "-m", "publisher", *args], capture_output=True, text=True,
                          cwd=catalog, env=env, timeout=600)


def expected_lines(catalog: Path) -> set[tuple[str, int]]:
    lines = (catalog / "datapackages" / PACKAGE / "recipe.yaml").read_text(encoding="utf-8").split("\n")
    return {(rule, next(n for n, line in enumerate(lines, 1) if line.strip() == after.split("\n")[0].strip()))
            for _, after, rule in MISTAKES}


def test_five_different_mistakes_are_reported_in_one_run_each_at_its_line(catalog):
    descriptor = catalog / "datapackages" / PACKAGE / "datapackage.json"
    before = descriptor.read_bytes()
    result = run(catalog, "build", "--json", PACKAGE)
    assert result.returncode == 1, result.stderr[-2000:]
    problems = json.loads(result.stdout)["problems"]
    assert {(p["rule"], p["line"]) for p in problems} == expected_lines(catalog), problems
    assert all(p["file"].endswith("recipe.yaml") for p in problems)
    assert len({p["rule"] for p in problems}) == 5 and descriptor.read_bytes() == before  # nothing written


@pytest.mark.parametrize("how", [("--lang", "th"), ("--lang=th",), ()])
def test_build_speaks_thai_when_asked(catalog, how):
    result = run(catalog, "build", PACKAGE, *how, **({} if how else {"PUBLISHER_LANG": "th"}))
    assert result.returncode == 1
    summary = THAI["messages"]["build failed: {count} problem(s), nothing written"].format(count=len(MISTAKES))
    assert summary in result.stderr
    for rule, line in expected_lines(catalog):
        said = next(text for text in result.stderr.split("•") if f"recipe.yaml:{line}:" in text)
        assert f"[{rule}] {rules()[rule]['title_th']}" in said and rules()[rule]["hint_th"] in squeezed_space(said)


def squeezed_space(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_validate_summary_is_in_thai_with_the_environment(catalog):
    result = run(ROOT, "validate", f"datapackages/{PACKAGE}", PUBLISHER_LANG="th",
                 PUBLISHER_ROOT=str(ROOT))
    assert result.returncode == 0, result.stderr[-2000:]
    summary = THAI["messages"]["{packages} package(s): {errors} error(s), {warnings} warning(s)"]
    assert summary.format(packages=1, errors=0, warnings=0) + " — " + THAI["messages"]["valid"] in result.stdout


def test_an_unknown_language_is_a_usage_error(catalog):
    result = run(catalog, "build", "--json", "--lang", "xx", PACKAGE)
    assert result.returncode == 2 and json.loads(result.stdout)["usage"] is True
