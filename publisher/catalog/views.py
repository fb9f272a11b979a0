"""The resource views sync keeps, as data: chart views (ckanext-charts' ``charts_view``) from the
``charts:`` of a recipe, and the line-numbered text view of a source report.

Pure: nothing here talks to a server. A chart definition names a table, a kind, the x column,
the measure column(s), a series column and row filters; its Thai axis titles and units come from
the table's Table Schema (field titles, ``unit``, schemas/ckan/chart_units.json), so changing a
title there changes the chart. Each resource carries the digest of the views it was given
(``views_hash``), so a sync with nothing changed reads no view and writes none.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import yaml

from publisher.settings import schema_file

VIEWS_HASH = "views_hash"             # resource field: digest of the views last written
CHART_VIEW = "charts_view"
REPORT_VIEW = "report_text_view"
MANAGED_VIEW_TYPES = {CHART_VIEW, REPORT_VIEW}   # views of other types (table previews) are left alone
UNITS_FILE = schema_file("ckan/chart_units.json")

# chart kinds of a recipe -> ckanext-charts' Plotly chart types (drawn as SVG by plotly.js)
KINDS = {"line": "Line", "bar": "Bar"}
CHART_KEYS = {"resource", "kind", "title", "title_en", "x", "y", "filter", "unit"}
ROW_LIMIT = 1000


class ChartError(ValueError):
    """A chart definition that cannot become a view; the message names the recipe, chart and key."""


@functools.cache
def units() -> dict[str, dict]:
    return json.loads(UNITS_FILE.read_text(encoding="utf-8"))["units"]


def _axis_title(field: dict, unit: str | None = None) -> str:
    unit = unit or field.get("unit")
    title = field.get("title") or field["name"]
    if not unit:
        return title
    return f"{title} ({units().get(unit, {}).get('th', unit)})"


def chart_view(chart: dict, schema: dict, where: str) -> dict:
    """One ``charts:`` entry as the fields of a ``charts_view``. ``where`` names the recipe and
    chart in errors."""
    unknown = set(chart) - CHART_KEYS
    if unknown:
        raise ChartError(f"{where}: unknown keys {sorted(unknown)} (known: {sorted(CHART_KEYS)})")
    for key in ("kind", "title", "x", "y"):
        if not chart.get(key):
            raise ChartError(f"{where}: {key} is required")
    if chart["kind"] not in KINDS:
        raise ChartError(f"{where}: kind {chart['kind']!r} is not one of {sorted(KINDS)}")
    fields = {f["name"]: f for f in schema["fields"]}
    measures = chart["y"] if isinstance(chart["y"], list) else [chart["y"]]
    if chart["kind"] == "bar" and len(measures) != 1:
        raise ChartError(f"{where}: a bar chart has one measure (y); use kind line for several")
    filters = chart.get("filter") or {}
    for column in [chart["x"], *measures, *filters]:
        if column not in fields:
            raise ChartError(f"{where}: column {column!r} is not a field of the table")
    for column in measures:
        if fields[column].get("type") not in ("integer", "number"):
            raise ChartError(f"{where}: y column {column!r} is not numeric")
    y_title = _axis_title(fields[measures[0]], chart.get("unit"))
    if len(measures) > 1:
        y_title = " / ".join(fields[m].get("title") or m for m in measures)
        if chart.get("unit"):
            y_title += f" ({units().get(chart['unit'], {}).get('th', chart['unit'])})"
    view = {
        "view_type": CHART_VIEW,
        "title": chart["title"],
        "description": chart.get("title_en", ""),
        "engine": "plotly",
        "type": KINDS[chart["kind"]],
        "x": chart["x"],
        "y": measures if chart["kind"] == "line" else measures[0],
        "chart_title": chart["title"],
        "x_axis_label": _axis_title(fields[chart["x"]]),
        "y_axis_label": y_title,
        "sort_x": False,             # in the order of the table (its periods in report order)
        "skip_null_values": True,     # a row without x or y is left out, not drawn as 0
        "limit": ROW_LIMIT,
    }
    if filters:
        view["filter"] = "|".join(f"{column}:{value}" for column, value in sorted(filters.items()))
    return view


def read_charts(recipe_path: Path) -> list[dict]:
    if not recipe_path.exists():
        return []
    try:
        recipe = yaml.safe_load(recipe_path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ChartError(f"{recipe_path}: cannot read: {exc}") from None
    charts = recipe.get("charts") or []
    if not isinstance(charts, list):
        raise ChartError(f"{recipe_path}: charts must be a list")
    return charts


def chart_views(recipe_path: Path, descriptor: dict) -> dict[str, list[dict]]:
    """{resource name: its chart views, in the recipe's order}."""
    schemas = {r["name"]: r.get("schema") for r in descriptor.get("resources", [])}
    out: dict[str, list[dict]] = {}
    for number, chart in enumerate(read_charts(recipe_path), 1):
        where = f"{recipe_path}: charts[{number}]"
        if not isinstance(chart, dict):
            raise ChartError(f"{where}: a chart is a mapping")
        resource = chart.get("resource")
        if not schemas.get(resource):
            raise ChartError(f"{where}: resource {resource!r} is not a table of the package")
        view = chart_view(chart, schemas[resource], where)
        if any(v["title"] == view["title"] for v in out.get(resource, [])):
            raise ChartError(f"{where}: two charts of {resource!r} are titled {view['title']!r}")
        out.setdefault(resource, []).append(view)
    return out


def report_view() -> dict:
    return {"view_type": REPORT_VIEW, "title": "ข้อความรายงานพร้อมเลขบรรทัด",
            "description": "The report's text with its line numbers; each line has an anchor (#L12)."}


def views_hash(views) -> str:
    if not views:
        return ""
    return hashlib.sha256(json.dumps(list(views), ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def _same(wanted: dict, existing: dict) -> bool:
    def norm(value):
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, list):
            return [norm(v) for v in value]
        return "" if value is None else str(value)
    return all(norm(existing.get(k)) == norm(v) for k, v in wanted.items())


def view_steps(wanted, existing: list[dict]) -> list[tuple[str, dict]]:
    """[(create | update | delete, view)] that turn the managed views of a resource into the
    wanted ones. A view is known by its type and title; views of other types are never touched."""
    mine = [v for v in existing if v.get("view_type") in MANAGED_VIEW_TYPES]
    steps: list[tuple[str, dict]] = []
    for view in wanted:
        match = next((v for v in mine if v["view_type"] == view["view_type"] and v.get("title") == view["title"]),
                     None)
        if match is None:
            steps.append(("create", view))
            continue
        mine.remove(match)
        if not _same(view, match):
            steps.append(("update", {**view, "id": match["id"]}))
    steps += [("delete", v) for v in mine]
    return steps
