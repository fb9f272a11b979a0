"""The programmers' example of README.md, run as written against the local portal after
`publisher sync`, so that the README cannot drift from what the portal serves."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from tests.conftest import ROOT, publisher

pytestmark = pytest.mark.portal

SECTION = "## For the public and programmers"
README_PORTAL = 'PORTAL = "http://127.0.0.1:5000"'


def readme_example() -> str:
    """Every ```python block of the README's section for the public, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text.count(SECTION) == 1, f"README.md has no single {SECTION!r} section"
    section = re.split(r"^## ", text.split(SECTION, 1)[1], flags=re.M)[0]
    blocks = re.findall(r"^```python\n(.*?)^```", section, flags=re.S | re.M)
    assert blocks, f"no python example in {SECTION!r}"
    return "\n".join(blocks)


@pytest.fixture(scope="module")
def synced(stack):
    report = json.loads(publisher("sync", "--json").stdout)
    assert report["exit_code"] == 0 and not report["skipped"], report["summary"]
    return stack


def test_the_readme_example_loads_the_published_tables_as_committed(synced, capsys):
    code = readme_example()
    assert README_PORTAL in code   # the address a reader of a local run uses
    code = code.replace(README_PORTAL, f'PORTAL = "{synced.ckan_url}"')
    names: dict = {}
    exec(compile(code, "README.md (For the public and programmers)", "exec"), names)
    printed = capsys.readouterr().out

    folder = ROOT / "datapackages" / "th-provinces"
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    [table] = descriptor["resources"]
    committed = pd.read_csv(folder / table["path"])

    # the search: every hit holds the Thai word (in its metadata or a resource's), and the
    # dataset is among the hits
    found = names["found"]
    assert found["count"] >= 1 and found["results"]
    for hit in found["results"]:
        assert "จังหวัด" in json.dumps(hit, ensure_ascii=False), hit["name"]
    assert "th-provinces" in {hit["name"] for hit in found["results"]}

    # pandas: the table read from the portal is the committed file, Thai column values intact
    provinces = names["provinces"]
    assert list(provinces.columns) == [f["name"] for f in table["schema"]["fields"]]
    pd.testing.assert_frame_equal(provinces, committed)
    assert "กรุงเทพมหานคร" in printed

    # frictionless: the package is the committed one, its rows typed by the Table Schema
    package = names["package"]
    assert package.title == descriptor["title"]
    assert package.resource_names == [r["name"] for r in descriptor["resources"]]
    rows = names["rows"]
    assert len(rows) == len(committed)
    assert [r["code"] for r in rows] == list(committed["code"])
    assert isinstance(rows[0]["source_line"], int) and rows[0]["source_line"] == int(committed["source_line"][0])
