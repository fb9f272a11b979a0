"""README "Adding a report", run as written: a small report the test makes (a letter as a PDF
by LibreOffice) goes through every command of the walk-through in a copy of the project, and
ends valid, with every number published or excluded, and planned for the portal."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from tests.report_files import make_files, soffice_available

SECTION = "### Adding a report, from a PDF to a published dataset"
NAME = "e-service-2565"
LETTER = "\n".join([
    "# ด่วนที่สุด", "", "ที่ นร ๑๒๐๐/๙๙", "", "สำนักงาน ก.พ.ร.", "", "๓ กันยายน ๒๕๖๕", "",
    "เรื่อง รายงานผลการให้บริการอิเล็กทรอนิกส์ของภาครัฐ", "",
    "ในปีงบประมาณ พ.ศ. ๒๕๖๔ ส่วนราชการให้บริการผ่านระบบอิเล็กทรอนิกส์แล้ว ๒,๑๘๑ งานบริการ คิดเป็นร้อยละ ๘๗.๕ "
    "ของงานบริการทั้งหมด และมีผู้ใช้บริการกว่า ๑๘ ล้านครั้ง",
    "", "ตาราง ๑ งานบริการจำแนกตามปี", "", "ปี\tจำนวนงานบริการ", "๒๕๖๓\t๑,๒๐๙", "๒๕๖๔\t๒,๑๘๑",
])


def walk_through() -> tuple[list[list[str]], dict]:
    """The commands of the README section (each `$ publisher …` line) and its exclusions YAML."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text.count(SECTION) == 1
    section = re.split(r"^##+ ", text.split(SECTION, 1)[1], flags=re.M)[0]
    console = re.search(r"```console\n(.*?)```", section, flags=re.S).group(1)
    commands = [shlex.split(line[2:]) for line in console.splitlines() if line.startswith("$ publisher ")]
    exclusions = yaml.safe_load(textwrap.dedent(re.search(r"```yaml\n(.*?)```", section, flags=re.S).group(1)))
    return commands, exclusions


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    if not soffice_available():
        pytest.skip("LibreOffice missing: run stack/install-report-tools.sh")
    copy = tmp_path_factory.mktemp("project")
    for name in ("publisher", "schemas", "reports", "datapackages"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "publisher.toml", copy / "publisher.toml")
    shutil.copy(make_files({NAME: LETTER})[NAME]["pdf"], copy / f"{NAME}.pdf")
    return copy


def run(project: Path, args: list[str]) -> subprocess.CompletedProcess:
    assert args[0] == "publisher"
    env = {**os.environ, "PYTHONPATH": str(project)}     # the copy's publisher, its catalog the copy
    return subprocess.run([sys.executable, "-m", "publisher", *args[1:]], capture_output=True, text=True,
                          cwd=project, env=env, timeout=900)


def test_the_walk_through_runs_as_written(project):
    commands, exclusions = walk_through()
    assert [c[1] for c in commands] == ["reports", "coverage", "suggest", "build", "validate", "coverage", "plan"]
    added = run(project, commands[0])
    assert added.returncode == 0, added.stderr
    assert (project / "datapackages" / NAME / "recipe.yaml").exists()
    assert (project / "schemas" / "tables" / f"{NAME}--figures.json").exists()
    assert run(project, commands[1]).returncode == 1          # numbers left: the letter's date, a table number
    suggested = run(project, commands[2])
    assert suggested.returncode == 0 and yaml.safe_load(suggested.stdout)
    (project / "reports" / "exclusions").mkdir(exist_ok=True)
    (project / "reports" / "exclusions" / f"{NAME}.yaml").write_text(
        yaml.safe_dump(exclusions, allow_unicode=True), encoding="utf-8")
    for command in commands[3:6]:
        result = run(project, command)
        assert result.returncode == 0, f"{command}: {result.stdout[-2000:]}{result.stderr[-2000:]}"
    rows = (project / "datapackages" / NAME / "data" / "figures.csv").read_text(encoding="utf-8-sig")
    assert "18000000" in rows and "๑๘ ล้าน" in rows and "2181" in rows
    assert not (ROOT / "datapackages" / NAME).exists()       # nothing written to the checkout


@pytest.mark.portal
def test_the_walk_through_ends_with_a_plan_for_the_portal(project, stack):
    commands, _ = walk_through()
    if not (project / "datapackages" / NAME / "datapackage.json").exists():
        pytest.skip("runs after the walk-through test")
    result = run(project, commands[-1])
    assert result.returncode in (0, 1), result.stderr          # 1: changes pending, the new dataset among them
    assert NAME in result.stdout
