"""What every published package promises a reader, checked on the committed catalog."""

import json
import re
from pathlib import Path

import pytest

from publisher.packages import PACKAGES_DIR

DESCRIPTORS = sorted(PACKAGES_DIR.glob("*/datapackage.json"))
THAI = re.compile("[\u0e01-\u0e5b]")


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_catalog_covers_every_source_report():
    cited = {source["report"] for path in DESCRIPTORS for source in load(path)["sources"]}
    assert {"R000", "R001", "R002", "R003", "R004", "iso-3166-2-th"} <= cited


@pytest.mark.parametrize("path", DESCRIPTORS, ids=lambda p: p.parent.name)
def test_every_field_is_described_in_thai_and_english(path):
    for resource in load(path)["resources"]:
        for field in resource["schema"]["fields"]:
            where = f"{resource['name']}.{field['name']}"
            assert re.fullmatch(r"[a-z][a-z0-9_]*", field["name"]), where
            assert THAI.search(field.get("title", "")) and THAI.search(field.get("description", "")), where
            assert field.get("title_en") and field.get("description_en"), where


@pytest.mark.parametrize("path", DESCRIPTORS, ids=lambda p: p.parent.name)
def test_every_resource_has_a_primary_key_and_bilingual_titles(path):
    descriptor = load(path)
    assert THAI.search(descriptor["title"]) and descriptor["title_en"]
    for resource in descriptor["resources"]:
        assert resource["schema"].get("primaryKey"), resource["name"]
        assert THAI.search(resource["title"]) and resource.get("title_en"), resource["name"]
