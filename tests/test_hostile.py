"""The hostile corpus (tests/hostile/cases.py): packages and recipes made to reach outside their
folder, hang a reader, run in a spreadsheet or lie on screen. Each is refused with its rule id,
file and field (exit 1), nothing it points at is read or echoed, and sync publishes none of it.

Symlinks, FIFOs, sockets and a sparse 200 MB file are made at test time, so the corpus is code.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from publisher import packages
from publisher.catalog.sync import load_local, sync
from publisher.extract.recipes import RecipeError
from publisher.validate.findings import Finding, rules
from publisher.validate.run import validate
from tests.conftest import complete_dataset
from tests.hostile.cases import CASES, RECIPE_CASES, ROOT, SECRET, TOKEN, VALID, make_case

CASE_NAMES = [case.name for case in CASES]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """Every case made once, under <tmp>/packages/<case>; what they point at under <tmp>/outside."""
    base = tmp_path_factory.mktemp("hostile")
    (base / "packages").mkdir()
    (base / "outside").mkdir()
    for case in CASES:
        make_case(case, base / "packages", base / "outside")
    return base


def place(finding: Finding | dict, case: str) -> tuple:
    get = finding.get if isinstance(finding, dict) else lambda name: getattr(finding, name)
    file = get("file").replace(os.sep, "/")
    return get("rule"), file.split(f"{case}/", 1)[-1], get("field")


def publisher(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    # the timeout is a safety net so a hang fails instead of blocking the run; nothing asserts a time
    return subprocess.run([sys.executable, "-m", "publisher", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=600)


def test_the_corpus_has_at_least_30_cases_each_with_its_expected_findings():
    assert len(CASES) >= 30 and len(set(CASE_NAMES)) == len(CASES)
    for case in CASES:
        assert case.expect, case.name
        for rule, file, _ in case.expect:
            assert rule in rules(), (case.name, rule)
            assert file == "datapackage.json" or file.startswith("data/"), (case.name, file)
    for case in RECIPE_CASES:
        assert re.fullmatch(r"[a-z.-]+", case.tag), case.name


@pytest.mark.parametrize("name", CASE_NAMES)
def test_case_is_refused_with_its_rule_file_and_field(corpus, name):
    case = next(c for c in CASES if c.name == name)
    result = validate([corpus / "packages" / name], catalog=None)
    found = {place(f, name) for f in result.findings}
    for want in case.expect:
        assert want in found, f"{name}: missing {want}; found {sorted(map(str, found))}"
    severities = {rules()[rule]["severity"] for rule, _, _ in case.expect}
    assert not result.valid(strict=True)
    assert not result.valid() or severities == {"warning"}
    for finding in result.findings:
        for secret in case.never:
            assert secret not in finding.message, (name, finding)


def test_the_command_line_refuses_every_case_and_quotes_nothing_outside(corpus):
    folders = [str(corpus / "packages" / name) for name in CASE_NAMES]
    text = publisher("validate", *folders)
    as_json = publisher("validate", *folders, "--json")
    assert text.returncode == 1 and as_json.returncode == 1, text.stderr[-2000:]
    for output in (text.stdout + text.stderr, as_json.stdout + as_json.stderr):
        for secret in (SECRET, TOKEN, "root:x:0:0"):
            assert secret not in output
    report = json.loads(as_json.stdout)
    assert sorted(report["packages"]) == sorted(CASE_NAMES)
    found = {(f["package"], *place(f, f["package"])) for f in report["findings"]}
    for case in CASES:
        for want in case.expect:
            assert (case.name, *want) in found, (case.name, want)


def test_package_text_is_printed_verbatim_not_as_emoji_or_markup(corpus):
    run = publisher("validate", str(corpus / "packages" / "header-emoji-code"))
    assert run.returncode == 1
    assert "code :x:" in run.stdout and "❌" not in run.stdout


def test_a_symlink_to_the_token_is_refused_before_it_is_read(corpus):
    """The token file a symlink points at is never opened: its bytes are in no output."""
    run = publisher("validate", str(corpus / "packages" / "symlink-to-token"), "--json")
    assert run.returncode == 1
    assert TOKEN not in run.stdout + run.stderr
    rules_found = {f["rule"] for f in json.loads(run.stdout)["findings"]}
    assert "path.outside" in rules_found


def test_two_packages_with_one_name_are_both_kept_from_the_portal(tmp_path):
    """Validation reads each package alone (tests/broken/ is a folder of one package's variants);
    sync, which would publish both to one dataset, skips both."""
    for folder in ("first", "second"):
        shutil.copytree(VALID, tmp_path / folder)
    local, skipped = load_local(tmp_path)
    assert local == [] and sorted(skipped) == ["first", "second"]
    assert all("used by several packages" in why for why in skipped.values())


# --- recipes: build refuses before it writes -----------------------------------------------

@pytest.mark.parametrize("name", [case.name for case in RECIPE_CASES])
def test_recipe_case_is_refused_by_build_naming_its_rule_and_line(tmp_path, name):
    case = next(c for c in RECIPE_CASES if c.name == name)
    directory, outside = tmp_path / "repo" / "datapackages", tmp_path / "outside"
    folder = directory / "th-provinces"
    folder.mkdir(parents=True)
    outside.mkdir()
    shutil.copy(ROOT / "datapackages" / "th-provinces" / "recipe.yaml", folder / "recipe.yaml")
    case.make(folder, outside)
    before = {p: p.read_bytes() for p in outside.rglob("*") if p.is_file() and not p.is_fifo()}
    with pytest.raises(RecipeError) as refused:
        packages.write(packages.build_all(directory=directory), directory=directory)
    message = str(refused.value)
    assert f"[{case.tag}]" in message
    if case.line:
        assert f"recipe.yaml:{case.line}:" in message
    written = [p for p in tmp_path.rglob("*") if p.name.startswith("escaped-write") or p.suffix == ".csv"]
    assert written == [] or all(p.is_symlink() for p in written), written
    assert {p: p.read_bytes() for p in before} == before
    assert not (folder / "datapackage.json").exists()


# --- the portal: nothing of the corpus reaches it ------------------------------------------

@pytest.mark.portal
def test_sync_of_the_hostile_corpus_writes_nothing(portal, ckan, unique, tmp_path):
    """Every case that raises an error (one raises only a warning, and may be published)."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "packages").mkdir()
    refused = [case for case in CASES if any(rules()[rule]["severity"] == "error" for rule, _, _ in case.expect)]
    assert len(refused) >= 30
    for case in refused:
        make_case(case, tmp_path / "packages", tmp_path / "outside")
    report = sync(portal, tmp_path / "packages", catalog=f"hostile-{unique}")
    assert report.exit_code == 1
    assert sorted(report.skipped) == sorted(case.name for case in refused)
    assert report.writes == 0 and report.outcomes == []
    published = ckan.action.package_search(fq=f'extras_managed_by:"hostile-{unique}"', include_private=True,
                                           include_drafts=True, rows=1000)
    assert published["count"] == 0


@pytest.mark.portal
def test_a_name_taken_by_another_catalog_is_refused_and_left_alone(portal, ckan, organization, unique, tmp_path):
    name = f"taken-{unique}"
    theirs = ckan.action.package_create(**complete_dataset(organization, name),
                                        extras=[{"key": "managed_by", "value": "another-catalog"}])
    folder = tmp_path / "packages" / name
    shutil.copytree(VALID, folder)
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["name"] = name
    (folder / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    report = sync(portal, tmp_path / "packages", catalog=f"hostile-{unique}")
    assert report.exit_code == 2
    assert [(o.name, o.ok) for o in report.outcomes] == [(name, False)]
    assert "taken" in report.outcomes[0].error
    after = ckan.action.package_show(id=name)
    assert after["id"] == theirs["id"] and after["metadata_modified"] == theirs["metadata_modified"]
    assert {e["key"]: e["value"] for e in after["extras"]}["managed_by"] == "another-catalog"
