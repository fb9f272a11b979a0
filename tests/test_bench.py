"""The publishing benchmark's inputs stay valid: generated packages pass `publisher validate`,
and the JSON lines built for ckanapi carry every file. No portal needed; the benchmark itself
runs only by hand (bench/run.py)."""

from __future__ import annotations

import json
import re

from bench import generate
from bench import run
from bench.run import ckanapi_inputs, portable_copies
from publisher.validate import run as validate


def test_generated_packages_validate_and_differ_in_name_and_title(tmp_path):
    folders = generate.generate(2, tmp_path / "packages")
    result = validate.validate(folders)
    assert result.packages == [f.name for f in folders]
    assert result.findings == [], [f.as_dict() for f in result.findings]

    descriptors = [json.loads((f / "datapackage.json").read_text(encoding="utf-8")) for f in folders]
    assert len({d["name"] for d in descriptors}) == len({d["title"] for d in descriptors}) == 2
    for descriptor in descriptors:
        assert re.search("[ก-๛]", descriptor["title"])
        assert descriptor["gdc"]["data_category"] == "ข้อมูลสาธารณะ"
        assert [r["name"] for r in descriptor["resources"]] == [t[0] for t in generate.TABLES]
        for resource in descriptor["resources"]:
            rows = (tmp_path / "packages" / descriptor["name"] / resource["path"]).read_text(
                encoding="utf-8-sig").count("\n") - 1
            assert generate.ROWS[0] <= rows <= generate.ROWS[1]


def test_generation_is_deterministic_and_a_package_does_not_depend_on_the_count(tmp_path):
    two = generate.generate(2, tmp_path / "two")
    three = generate.generate(3, tmp_path / "three")
    for a, b in zip(two, three):
        for path in a.rglob("*"):
            if path.is_file():
                assert path.read_bytes() == (b / path.relative_to(a)).read_bytes()


def test_ckanapi_inputs_upload_every_file_of_every_package(tmp_path):
    folders = generate.generate(2, tmp_path / "packages")
    inputs = ckanapi_inputs(tmp_path / "packages", tmp_path / "ckanapi")
    datasets = [json.loads(line) for line in inputs["datasets"].read_text(encoding="utf-8").splitlines()]
    uploads = [json.loads(line) for line in inputs["uploads"].read_text(encoding="utf-8").splitlines()]
    assert [d["name"] for d in datasets] == [f.name for f in folders]
    assert all(d["data_category"] == "ข้อมูลสาธารณะ" and d["owner_org"] for d in datasets)
    resource_ids = [r["id"] for d in datasets for r in d["resources"]]
    assert [u["data"]["id"] for u in uploads] == resource_ids
    files = {u["files"]["upload"] for u in uploads}
    assert files == {str(p) for f in folders for p in [*f.glob("data/*.csv"), f / "datapackage.json"]}


def test_portable_copies_carry_the_catalog_fields_at_the_top_level(tmp_path):
    folders = generate.generate(1, tmp_path / "packages")
    copy = portable_copies(tmp_path / "packages", tmp_path / "portable") / folders[0].name
    descriptor = json.loads((copy / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["data_type"] and descriptor["owner_org"] and "gdc" not in descriptor
    assert (copy / "data" / "measures.csv").read_bytes() == (folders[0] / "data" / "measures.csv").read_bytes()


def _phase(tool, phase, wall, requests, usable, worker_cpu=0.0):
    return {"tool": tool, "phase": phase, "wall_seconds": wall, "cpu_seconds": 1.0, "peak_rss_mb": 50.0,
            "requests": {"total": requests, "by_action": {"xloader_hook": 3} if tool == "xloader" else {},
                         "server_seconds": 10.0},
            "ok": True, "error": "", "output": {"usable": {"tables": 6, "datastore_active": usable,
                                                          "with_preview": usable}},
            "worker_cpu_seconds": worker_cpu, "load_before": 1.0, "load_after": 1.0, "run": 0}


def test_report_has_the_race_and_then_every_section_in_order(tmp_path, monkeypatch):
    sections = tmp_path / "sections"
    sections.mkdir()
    (sections / "30-change-path.md").write_text("## Change path\n", encoding="utf-8")
    (sections / "10-scale.md").write_text("## Scale\n", encoding="utf-8")
    monkeypatch.setattr(run, "SECTIONS", sections)
    monkeypatch.setattr(run, "REPORT", tmp_path / "BENCHMARKS.md")
    monkeypatch.setattr(run, "FINDINGS", tmp_path / "findings.md")
    result = {"size": 2, "data_bytes": 2**20, "phases": {
        "sync-first": _phase("sync", "first", 10.0, 22, 6),
        "ckanapi-first": _phase("ckanapi", "first", 8.0, 12, 0),
        "xloader-first": _phase("xloader", "first", 20.0, 30, 6, worker_cpu=4.5)},
        "runs": [{"tools": ["sync", "ckanapi", "xloader"], "jobs": 4, "xloader_workers": 1, "reset_seconds": [1.0],
                  "total_seconds": 60.0, "finished": "now", "source": {"commit": "abc", "changed": []}}],
        "machine": {}, "versions": {}}
    run.write_report([result])
    text = (tmp_path / "BENCHMARKS.md").read_text(encoding="utf-8")
    race = [line for line in text.splitlines() if line.startswith("| 2 | ") and "usable" not in line
            and line.count("|") == 11]
    assert [line.split(" | ")[1] for line in race] == ["`publisher sync`", run.LABELS["xloader"], run.LABELS["ckanapi"]]
    assert [line.split(" | ")[3] for line in race] == ["6 of 6", "6 of 6", "0 of 6"]
    assert race[1].split(" | ")[5] == "2.0×"
    assert "N=2, to a usable catalog: **2.00×**" in text and "target ≥ 1.5×: met" in text
    assert text.index("## The race to a usable catalog") < text.index("## Scale") < text.index("## Change path")
    assert text.rstrip().endswith("## Change path")
