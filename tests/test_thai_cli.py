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
        for literals in re.findall(r'\bt\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)', text):   # "a " "b" is one template
            used.add("".join(re.findall(r'"((?:[^"\\]|\\.)*)"', literals)))
        used |= set(re.findall(r"\bt\(\s*'([^']*)'", text))
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


# --- every other command: its messages, table headers and summary lines --------------------

def pattern(text: str) -> re.Pattern:
    """A template as a pattern for squeezed() output: {placeholders} match any text."""
    return re.compile(".+?".join(re.escape(squeezed(part)) for part in re.split(r"{\w+}", text)), re.S)


def thai_of(template: str) -> re.Pattern:
    """The Thai of an English template, as th.json has it."""
    return pattern(THAI["messages"][template])


@pytest.fixture
def empty_file_and_reports(tmp_path) -> tuple[Path, Path]:
    shutil.copytree(ROOT / "reports", tmp_path / "reports")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "broken-plan.json").write_text('{"broken', encoding="utf-8")
    return tmp_path / "empty.txt", tmp_path / "reports"


# (command line, the templates its Thai run prints); {tmp} is the fixture's folder
RUNS = [
    (["status"], ["no runs yet ({log} is empty or missing)", "schedule: {schedule}; next run {next}"]),
    (["run-job"], ["run-job runs the job a single time and needs --once; the long-running runner is "
                   "`publisher schedule`"]),
    (["ckan", "reset"], ["reset wipes the local portal; pass --yes to confirm"]),
    (["coverage", "R002"], ["numbers in the reports", "report", "unaccounted",
                            "every number is published or excluded with a reason"]),
    (["suggest", "R002", "--lines", "9-1"], ["bad --lines", "--lines takes A-B with A <= B, not {lines}"]),
    (["reports", "add", "{tmp}/empty.txt", "--reports-dir", "{tmp}/reports"], ["cannot add the report"]),
    (["plan", "--portal", "http://127.0.0.1:9"], ["plan failed"]),
    (["sync", "--portal", "http://127.0.0.1:9", "--plan", "{tmp}/broken-plan.json"], ["stale plan"]),
    (["harvest-check", "--kind", "rss"], ["--kind must be one of {kinds}"]),
    (["validate", "--portal", "ftp-site"], ["usage", "--portal takes a portal URL (http://…) or 'local', not {portal}"]),
]


@pytest.mark.parametrize("args, templates", RUNS, ids=[" ".join(args[:2]) for args, _ in RUNS])
def test_each_command_speaks_thai_when_asked_with_the_same_exit_code(empty_file_and_reports, tmp_path, args,
                                                                     templates):
    args = [arg.replace("{tmp}", str(tmp_path)) for arg in args]
    var = {"PUBLISHER_VAR_DIR": str(tmp_path / "var"), "PUBLISHER_ROOT": str(ROOT)}
    english = run(ROOT, *args, **var, PUBLISHER_LANG="en")
    thai = run(ROOT, *args, **var, PUBLISHER_LANG="th")
    assert thai.returncode == english.returncode, (english.stderr[-2000:], thai.stderr[-2000:])
    said, english_said = squeezed(thai.stdout + thai.stderr), squeezed(english.stdout + english.stderr)
    for template in templates:
        assert thai_of(template).search(said), (template, said[-2000:])
        assert pattern(template).search(english_said), (template, english_said[-2000:])
        assert not thai_of(template).search(english_said), template


def test_a_usage_error_says_usage_in_thai_and_still_exits_2(tmp_path):
    english = run(ROOT, "build", "--no-such-option", PUBLISHER_ROOT=str(ROOT), PUBLISHER_LANG="en")
    thai = run(ROOT, "--lang", "th", "build", "--no-such-option", PUBLISHER_ROOT=str(ROOT))
    assert english.returncode == thai.returncode == 2
    assert "Usage:" in english.stderr and "Usage:" not in thai.stderr
    assert THAI["help"]["usage"].strip() in thai.stderr
    assert THAI["help"]["panels"]["ERRORS_PANEL_TITLE"] in thai.stderr


def test_the_plan_and_sync_summaries_are_in_thai(monkeypatch):
    """The lines plan and sync print after the portal answered, fed a plan and a report as the
    portal would have them made (no portal is needed to show how they are said)."""
    from publisher.catalog.apply import Outcome
    from publisher.catalog.plan import DatasetStep, OwnerStep, Plan, ResourceStep
    from publisher.catalog.sync import SyncReport
    from publisher.cli import lang
    from publisher.cli.common import err, out
    from publisher.cli.sync import _print_plan_end, _print_step, _print_sync

    plan = Plan(owners=[OwnerStep("organization", "opdc", "create")], refused="too many",
                datasets=[DatasetStep("th-provinces", "update", changes={"title": ["ก", "ข"]}, drift=["title"],
                                      resources=[ResourceStep("data", "reupload", datastore=True)], reorder=True)])
    report = SyncReport("http://portal.example", dry_run=True, plan=plan, skipped={"bad": "invalid"},
                        outcomes=[Outcome("th-provinces", "update", uploads=["data"]),
                                  Outcome("gone", "delete", ok=False, error="HTTP 500")],
                        drift={"th-provinces": ["title"]}, stale_index=["x"], unconverged={"y": ["title"]},
                        error="boom")
    said = {}
    for language in ("en", "th"):
        monkeypatch.setenv("PUBLISHER_LANG", language)
        lang.choose(None)
        with out.capture() as printed, err.capture() as warned:
            for step in plan.datasets:
                _print_step(step)
            _print_plan_end(plan, report.skipped)
            _print_sync(report)
        said[language] = squeezed(printed.get() + warned.get())
    for template in ("{create} to create, {update} to update, {undelete} to undelete, {delete} to delete, "
                     "{unchanged} unchanged, {skipped} skipped (invalid); {uploads} file(s) to upload",
                     "{created} created, {updated} updated, {deleted} deleted, {unchanged} unchanged, "
                     "{skipped} skipped, {failed} failed; {uploads} upload(s), {datastore_loads} DataStore "
                     "load(s); {requests} request(s), {writes} write(s) in {seconds} s",
                     "sync → {portal}", "(dry run)", "(edited on the portal)", "reorder resources", "prune refused",
                     "skipped", "drift", "not converged", "sync failed", "dataset", "action", "result", "update",
                     "reupload", "organization", "failed",
                     "{fields} had been edited on the portal; the repository's values were written back"):
        assert thai_of(template).search(said["th"]), template
        assert pattern(template).search(said["en"]), template
        assert not thai_of(template).search(said["en"]) or THAI["messages"][template] == template, template


def test_the_words_tables_and_steps_print_have_their_thai():
    """Column headers, plan actions, portal states and job outcomes are said through t(word)."""
    from publisher.cli.sync import ACTION_STYLE
    from publisher.jobs.record import OUTCOMES

    words = set(ACTION_STYLE) | set(OUTCOMES.values()) | {"failed", "abandoned", "organization", "group",
                                                          "running", "unhealthy", "stopped", "once", "schedule"}
    for source in (ROOT / "publisher" / "cli").glob("*.py"):
        text = source.read_text(encoding="utf-8")
        if "add_column(t(column)" in text:
            for columns in re.findall(r"for column in \(([^)]*)\)", text):
                words |= set(re.findall(r'"([^"]+)"', columns))
    assert {"dataset", "component", "unaccounted", "outcome", "should arrive"} <= words
    missing = sorted(word for word in words if word not in THAI["messages"])
    assert not missing, missing
