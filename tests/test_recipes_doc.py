"""docs/recipes.md: every example recipe builds, with the Table Schemas the guide shows."""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

import pytest

from publisher import packages
from publisher.extract import recipes as extract
from publisher.reports.registry import load_registry

ROOT = Path(__file__).resolve().parents[1]
GUIDE = (ROOT / "docs" / "recipes.md").read_text(encoding="utf-8")
SCHEMAS = dict(re.findall(r"<!-- schema: ([\w-]+) -->\n```json\n(.*?)```", GUIDE, re.S))
RECIPES = re.findall(r"<!-- recipe -->\n```yaml\n(.*?)```", GUIDE, re.S)


def test_the_guide_has_examples_in_thai_and_english():
    assert len(RECIPES) >= 3 and len(SCHEMAS) >= 2
    assert "## ภาษาไทย" in GUIDE and "## English" in GUIDE


@pytest.mark.parametrize("index", range(len(RECIPES)))
def test_every_example_recipe_of_the_guide_builds(tmp_path, monkeypatch, index):
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    (schemas / "_provenance.json").write_bytes((extract.TABLE_SCHEMAS / "_provenance.json").read_bytes())
    for name, text in SCHEMAS.items():
        (schemas / f"{name}.json").write_text(text, encoding="utf-8")
    monkeypatch.setattr(extract, "load_table_schema", partial(extract.load_table_schema, directory=schemas))
    folder = tmp_path / "packages" / "example"
    folder.mkdir(parents=True)
    (folder / packages.RECIPE).write_text(RECIPES[index], encoding="utf-8")
    built = packages.build_package(folder / packages.RECIPE, load_registry())
    assert built.rows and all(count > 0 for count in built.rows.values())
