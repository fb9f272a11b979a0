"""What validate says that a steward would otherwise miss: a misspelt GD-Catalog key, a resource
or field with no Thai title, a report changed since it was registered, built files older than
their recipe; and with --json, every failure is one JSON document."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from publisher.validate.run import validate

ROOT = Path(__file__).resolve().parents[1]
VALID = ROOT / "tests" / "broken" / "_valid"
PACKAGE = "th-provinces"


def copy_valid(tmp_path: Path, change) -> Path:
    folder = tmp_path / "pkg"
    shutil.copytree(VALID, folder)
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    change(descriptor)
    (folder / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2), encoding="utf-8")
    return folder


def rules_of(folder: Path) -> dict[str, list]:
    found: dict[str, list] = {}
    for finding in validate([folder], catalog=None).findings:
        found.setdefault(finding.rule, []).append(finding)
    return found


def test_a_misspelt_gdc_key_is_a_finding_with_the_closest_key(tmp_path):
    folder = copy_valid(tmp_path, lambda d: d["gdc"].update(update_frequncy_unit="ปี"))
    [finding] = rules_of(folder)["gdc.unknown-key"]
    assert finding.field == "gdc.update_frequncy_unit" and "'update_frequency_unit'" in finding.message


def test_a_resource_with_an_english_title_only_fails_strict_validation(tmp_path):
    folder = copy_valid(tmp_path, lambda d: d["resources"][0].update(title="English only"))
    result = validate([folder], catalog=None)
    assert [f.field for f in result.findings if f.rule == "gdc.title-th"] == \
        [f"resources.{json.loads((folder / 'datapackage.json').read_text())['resources'][0]['name']}.title"]
    assert not result.valid(strict=True)


def test_a_field_without_a_thai_title_is_a_finding(tmp_path):
    def drop(descriptor):
        descriptor["resources"][0]["schema"]["fields"][0].pop("title", None)
    folder = copy_valid(tmp_path, drop)
    assert len(rules_of(folder)["gdc.title-th"]) == 1


# --- a private catalog: its reports and one package ---------------------------------

def run(catalog: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PUBLISHER_ROOT": str(catalog), "PUBLISHER_VAR_DIR": str(catalog / "var")}
    return subprocess.run([sys.executable, "-m", "publisher", *args], capture_output=True, text=True,
                          cwd=catalog, env=env, timeout=600)


@pytest.fixture
def catalog(tmp_path) -> Path:
    shutil.copytree(ROOT / "reports", tmp_path / "reports")
    shutil.copytree(ROOT / "datapackages" / PACKAGE, tmp_path / "datapackages" / PACKAGE)
    return tmp_path


def test_validate_after_a_report_changed_is_a_json_finding_not_a_traceback(catalog):
    registry = json.loads((catalog / "reports" / "registry.json").read_text(encoding="utf-8"))
    cited = {s["report"] for s in json.loads((catalog / "datapackages" / PACKAGE / "datapackage.json")
                                             .read_text(encoding="utf-8"))["sources"]}
    entry = next(e for e in registry["reports"] if e["id"] in cited)
    report = catalog / "reports" / entry["file"]
    report.write_bytes(report.read_bytes() + "\nบรรทัดที่เพิ่ม".encode("utf-8"))
    result = run(catalog, "validate", "--json", f"datapackages/{PACKAGE}")
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    rules = {f["rule"] for f in json.loads(result.stdout)["findings"]}
    assert "package.report-changed" in rules


def test_validate_after_a_failed_build_says_the_files_are_stale(catalog):
    built = run(catalog, "build", PACKAGE)
    assert built.returncode == 0, built.stderr[-2000:]
    assert run(catalog, "validate", "--json", f"datapackages/{PACKAGE}").returncode == 0
    recipe = catalog / "datapackages" / PACKAGE / "recipe.yaml"
    recipe.write_text(recipe.read_text(encoding="utf-8").replace("license:", "licence:", 1)
                      if "license:" in recipe.read_text(encoding="utf-8")
                      else recipe.read_text(encoding="utf-8") + "licence: CC-BY-4.0\n", encoding="utf-8")
    failed = run(catalog, "build", "--json", PACKAGE)
    assert failed.returncode == 1
    problems = json.loads(failed.stdout)["problems"]
    assert [(p["rule"], p["line"]) for p in problems] == \
        [("recipe.unknown-key", next(n for n, line in enumerate(recipe.read_text(encoding="utf-8").split("\n"), 1)
                                     if line.startswith("licence:")))]
    result = run(catalog, "validate", "--json", "--strict", f"datapackages/{PACKAGE}")
    assert result.returncode == 1
    assert {f["rule"] for f in json.loads(result.stdout)["findings"]} == {"package.stale"}


@pytest.mark.parametrize("args", [["build", "--json", "--no-such-option"], ["validate", "--json", "--lang", "xx"],
                                  ["validate", "--json", "--portal", "nowhere"], ["plan", "--json", "--bogus"]])
def test_with_json_a_usage_error_is_json_with_exit_2(args):
    result = subprocess.run([sys.executable, "-m", "publisher", *args], capture_output=True, text=True, cwd=ROOT,
                            timeout=120)
    assert result.returncode == 2
    assert json.loads(result.stdout)["ok"] is False
