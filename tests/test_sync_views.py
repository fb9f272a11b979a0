"""Chart views kept in step by sync, like the table previews: created once, changed when their
definition in the recipe changes, removed when it goes, and nothing written when nothing changed.
Real local portal; writes counted per action."""

from __future__ import annotations

import shutil

import pytest
import yaml

from publisher.catalog.sync import sync
from publisher.catalog.views import CHART_VIEW, ChartError, chart_view
from tests.catalog_copy import copy_catalog
from tests.conftest import ROOT

pytestmark = pytest.mark.portal

PACKAGE, TABLE = "public-sector-digital-indicators", "statements"


@pytest.fixture
def charted(tmp_path, unique):
    """A private copy of one package with its recipe, so that its charts come along."""
    folders = copy_catalog(tmp_path / "packages", unique, [PACKAGE])
    folder = next(iter(folders.values()))
    shutil.copy(ROOT / "datapackages" / PACKAGE / "recipe.yaml", folder / "recipe.yaml")
    return {"dir": tmp_path / "packages", "name": f"test-{unique}", "folder": folder, "dataset": next(iter(folders))}


def charts_on(ckan, charted) -> list[dict]:
    dataset = ckan.action.package_show(id=charted["dataset"])
    resource = next(r for r in dataset["resources"] if r.get("frictionless_name") == TABLE)
    return [v for v in ckan.action.resource_view_list(id=resource["id"]) if v["view_type"] == CHART_VIEW]


def edit_charts(folder, change) -> None:
    recipe = yaml.safe_load((folder / "recipe.yaml").read_text(encoding="utf-8"))
    change(recipe["charts"])
    (folder / "recipe.yaml").write_text(yaml.safe_dump(recipe, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_chart_views_are_created_once_updated_and_removed_with_their_definitions(portal, ckan, charted):
    run = lambda: sync(portal, charted["dir"], catalog=charted["name"])  # noqa: E731
    first = run()
    assert first.exit_code == 0, first.to_json()
    views = charts_on(ckan, charted)
    assert len(views) == 2 and first.calls["resource_view_create"] == 2
    assert views[0]["x_axis_label"] == "ช่วงเวลา (พ.ศ.) มาตรฐาน" and views[0]["y_axis_label"] == "ค่า (งานบริการ)"

    again = run()
    assert again.writes == 0 and again.calls == {"package_search": 1}

    edit_charts(charted["folder"], lambda charts: charts[0].update(title="งานบริการ e-Service (ชื่อใหม่)"))
    renamed = run()
    writes = {k: v for k, v in renamed.calls.items() if not k.endswith(("_show", "_search", "_list"))}
    # the renamed chart is a new view and the old one goes; the other is left as it is
    assert writes == {"resource_view_create": 1, "resource_view_delete": 1, "resource_patch": 1}
    assert sorted(v["title"] for v in charts_on(ckan, charted))[0] == "งานบริการ e-Service (ชื่อใหม่)"

    edit_charts(charted["folder"], lambda charts: charts[1].update(unit="percent"))
    changed = run()
    writes = {k: v for k, v in changed.calls.items() if not k.endswith(("_show", "_search", "_list"))}
    assert writes == {"resource_view_update": 1, "resource_patch": 1}
    assert any(v["y_axis_label"] == "ค่า (ร้อยละ)" for v in charts_on(ckan, charted))

    edit_charts(charted["folder"], lambda charts: charts.pop())
    removed = run()
    assert removed.calls.get("resource_view_delete") == 1 and len(charts_on(ckan, charted)) == 1
    assert run().writes == 0


def test_a_chart_naming_a_column_the_table_lacks_is_refused_by_name():
    schema = {"fields": [{"name": "year_be", "type": "integer", "title": "ปี"},
                         {"name": "period", "type": "string", "title": "ช่วงเวลา"},
                         {"name": "value", "type": "number", "title": "ค่า"}]}
    with pytest.raises(ChartError, match=r"recipe.yaml: charts\[1\]: column 'nope'"):
        chart_view({"kind": "line", "title": "t", "x": "nope", "y": ["value"]}, schema, "recipe.yaml: charts[1]")
    with pytest.raises(ChartError, match="not numeric"):
        chart_view({"kind": "bar", "title": "t", "x": "year_be", "y": "period"}, schema, "r")
    with pytest.raises(ChartError, match="kind"):
        chart_view({"kind": "pie", "title": "t", "x": "year_be", "y": "value"}, schema, "r")
    view = chart_view({"kind": "bar", "title": "t", "x": "year_be", "y": "value", "unit": "percent"}, schema, "r")
    assert view["y_axis_label"] == "ค่า (ร้อยละ)" and view["x_axis_label"] == "ปี" and view["type"] == "Bar"
