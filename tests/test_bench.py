"""The publishing benchmark's inputs stay valid: generated packages pass `publisher validate`,
and the JSON lines built for ckanapi carry every file. No portal needed; the benchmark itself
runs only by hand (bench/run.py)."""

from __future__ import annotations

import json
import re

from bench import generate
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
