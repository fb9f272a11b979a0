"""A steward's mistakes in a recipe: each reported by rule id at its recipe.yaml line, with a fix,
and all of a run's mistakes at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from publisher import packages
from publisher.extract.problems import RecipeError, RecipeText
from publisher.reports.registry import load_registry
from tests.test_extract import KPI_TABLE, REGISTRY, recipe, relief, statements, table_schemas  # noqa: F401


def problems_of(path: Path) -> list:
    with pytest.raises(RecipeError) as failure:
        packages.build_package(path, REGISTRY)
    return failure.value.problems


def edit(path: Path, **changes) -> Path:
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is None:
            content.pop(key, None)
        else:
            content[key] = value
    path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1) if text in line)


def only(problems: list, rule: str):
    found = [p for p in problems if p.rule == rule]
    assert len(found) == 1, [str(p) for p in problems]
    return found[0]


def test_a_misspelt_gdc_key_is_an_unknown_key_at_its_line_with_the_closest(recipe):
    path = edit(recipe(statements(relief())), gdc={"update_frequncy_unit": "ปี"})
    problem = only(problems_of(path), "recipe.unknown-key")
    assert problem.line == line_of(path, "update_frequncy_unit:")
    assert "'update_frequency_unit'" in problem.fix


def test_a_misspelt_package_key_offers_the_known_one(recipe):
    path = edit(recipe(statements(relief())), licence="CC-BY-4.0")
    problem = only(problems_of(path), "recipe.unknown-key")
    assert problem.line == line_of(path, "licence:") and "'license'" in problem.fix


def test_a_misspelt_resource_key_is_at_the_resource_line(recipe):
    path = recipe({**statements(relief()), "titel": "ข้อเท็จจริง"})
    problem = only(problems_of(path), "recipe.unknown-key")
    assert problem.line == line_of(path, "titel:") and "'title'" in problem.fix


def test_an_unknown_licence_is_refused_with_the_closest_known_one(recipe):
    path = edit(recipe(statements(relief())), license="CC-BY-4")
    problem = only(problems_of(path), "recipe.license")
    assert problem.line == line_of(path, "license:") and "'CC-BY-4.0'" in problem.fix


def test_a_gdc_value_not_in_the_vocabulary_offers_the_exact_thai_string(recipe):
    path = edit(recipe(statements(relief())), gdc={"data_category": "ข้อมูลสาธารณ"})
    problem = only(problems_of(path), "recipe.vocabulary")
    assert problem.line == line_of(path, "data_category:") and "'ข้อมูลสาธารณะ'" in problem.fix


def test_a_resource_with_an_english_title_only_is_a_warning_at_its_line(recipe):
    path = recipe({**statements(relief()), "title": "Facts", "title_en": "Facts"})
    problem = only(packages.build_package(path, REGISTRY).warnings, "recipe.title-th")
    assert problem.line == line_of(path, "title: Facts") and problem.severity == "warning"


def test_a_field_without_a_thai_title_is_a_warning_at_the_resource_schema_line(recipe, table_schemas):
    schema = json.loads((table_schemas / "facts.json").read_text(encoding="utf-8"))
    schema["fields"][0]["title"] = "Measure"
    (table_schemas / "facts.json").write_text(json.dumps(schema), encoding="utf-8")
    path = recipe(statements(relief()))
    problem = only(packages.build_package(path, REGISTRY).warnings, "recipe.title-th")
    assert problem.line == line_of(path, "schema: facts") and "measure" in problem.message


def test_five_mistakes_are_all_reported_in_one_run_each_at_its_line(recipe):
    path = recipe(statements(relief(), relief(quote="ข้อความที่ไม่มีในรายงาน")),
                  {"name": "kpis", "schema": "kpis", "title": "KPIs", "table": {**KPI_TABLE, "after": "ตัวอย่าง"}})
    path = edit(path, license="CC-BY-4", gdc={"update_frequncy_unit": "ปี"})
    problems = problems_of(path)
    text = RecipeText.read(path)
    expected = {
        ("recipe.unknown-key", line_of(path, "update_frequncy_unit:")),
        ("recipe.license", line_of(path, "license:")),
        ("quote-not-found", text.row("facts", 2)),
        ("recipe.anchor-repeated", line_of(path, "after: ตัวอย่าง")),
        ("recipe.title-th", line_of(path, "title: KPIs")),
    }
    assert {(p.rule, p.line) for p in problems} == expected, [str(p) for p in problems]
    assert all(p.line for p in problems)


def test_build_lists_every_problem_of_every_package_in_one_json_answer(recipe, tmp_path):
    recipe(statements(relief()), name="first")
    edit(recipe(statements(relief()), name="second"), license="CC-BY-4")
    edit(tmp_path / "packages" / "first" / packages.RECIPE, gdc={"data_categry": "ข้อมูลสาธารณะ"})
    with pytest.raises(RecipeError) as failure:
        packages.build_all(tmp_path / "packages", REGISTRY)
    rules = {(Path(p.file).parent.name, p.rule) for p in failure.value.problems}
    assert rules == {("first", "recipe.unknown-key"), ("second", "recipe.license")}


# --- tables ------------------------------------------------------------------------

def test_an_anchor_on_several_lines_lists_them_and_how_to_pick_one(recipe):
    path = recipe({"name": "kpis", "schema": "kpis", "table": {**KPI_TABLE, "after": "ตัวอย่าง"}})
    problem = only(problems_of(path), "recipe.anchor-repeated")
    assert problem.line == line_of(path, "after: ตัวอย่าง")
    assert "[65, 116, 146, 150]" in problem.message and "occurrence:" in problem.fix and "line:" in problem.fix


@pytest.mark.parametrize("pick", [{"occurrence": 1}, {"line": 65}])
def test_an_anchor_on_several_lines_is_picked_by_occurrence_or_line(recipe, pick):
    path = recipe({"name": "kpis", "schema": "kpis", "table": {**KPI_TABLE, "after": "ตัวอย่าง", **pick}})
    assert packages.build_package(path, REGISTRY).rows["kpis"] == 13


def test_an_occurrence_that_does_not_exist_is_an_anchor_problem(recipe):
    path = recipe({"name": "kpis", "schema": "kpis", "table": {**KPI_TABLE, "after": "ตัวอย่าง", "occurrence": 9}})
    assert only(problems_of(path), "recipe.anchor-repeated").line == line_of(path, "after: ตัวอย่าง")


def test_a_table_without_a_header_row_takes_its_column_names_from_the_recipe(recipe):
    table = {key: value for key, value in KPI_TABLE.items() if key not in ("expect_header", "expect_rows")}
    table.update(header_rows=0, continuation=False, skip=["ลำดับ", "^$"])  # the header lines are rows now
    path = recipe({"name": "kpis", "schema": "kpis", "table": table})
    built = packages.build_package(path, REGISTRY)
    header = built.files["data/kpis.csv"].decode("utf-8-sig").split("\n")[0].split(",")
    assert header[:5] == ["seq", "kpi_group_th", "kpi_name_th", "affected_2563", "affected_2564"]
    assert built.rows["kpis"] >= 13


def test_a_negative_header_rows_is_a_recipe_problem_at_its_line(recipe):
    path = recipe({"name": "kpis", "schema": "kpis", "table": {**KPI_TABLE, "header_rows": -1}})
    assert only(problems_of(path), "recipe.header-rows").line == line_of(path, "header_rows:")


# --- the registry ------------------------------------------------------------------

def test_a_registry_entry_without_title_en_is_read(tmp_path):
    source = json.loads((Path(load_registry.__defaults__[0]) / "registry.json").read_text(encoding="utf-8"))
    for entry in source["reports"]:
        entry.pop("title_en", None)
    for agency in source["agencies"]:
        agency.pop("title_en", None)
    (tmp_path / "registry.json").write_text(json.dumps(source, ensure_ascii=False), encoding="utf-8")
    registry = load_registry(tmp_path)
    assert all(report.title_en == "" for report in registry.reports.values())


def test_a_wrong_name_and_a_missing_title_are_reported_together_at_their_lines(recipe):
    path = edit(recipe(statements(relief())), name="other-name", title_en=None)
    rules = {(p.rule, p.line) for p in problems_of(path)}
    assert rules == {("recipe-name", line_of(path, "name: other-name")), ("recipe-required", None)}
