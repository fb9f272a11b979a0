"""``reports add --package NEW``: a package folder to start from, for a report just added.

The recipe skeleton takes its GD-Catalog metadata from the registry (title, agency,
document number and date, the year of the report) and one resource, ``figures``, whose
rows are the report's numbers as ``publisher suggest`` reads them, one number a row, with a
Table Schema of its own. The steward renames, regroups and labels them; every row already
builds, so ``publisher build NEW`` and ``publisher coverage`` work from the first minute.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from publisher.coverage.ledger import ledger
from publisher.coverage.suggest import suggest
from publisher.extract.recipes import TABLE_SCHEMAS
from publisher.packages import PACKAGES_DIR, RECIPE
from publisher.reports.registry import Registry

NAME = re.compile(r"[a-z0-9][a-z0-9-]{1,68}[a-z0-9]\Z")
VALUE_KINDS = ("number", "percent", "multiplied")


class ScaffoldError(ValueError):
    """The package cannot be made (a bad name, or one that exists); nothing was written."""


def _schema() -> dict:
    def field(name, kind, th, en, required=False):
        spec = {"name": name, "type": kind, "title": th, "title_en": en, "description": th, "description_en": en}
        return {**spec, "constraints": {"required": True}} if required else spec
    return {"fields": [
        field("figure_id", "string", "รหัสตัวเลข", "Figure id", True),
        field("measure_th", "string", "สิ่งที่วัด", "What the number measures (Thai)", True),
        field("value", "number", "ค่า", "Value, multiplied out when printed with ล้าน or พันล้าน", True),
        field("value_printed", "string", "ค่าตามที่พิมพ์", "The figure as printed"),
        field("unit_th", "string", "หน่วย", "Unit (Thai)"),
        {**field("year_be", "integer", "ปี พ.ศ. ที่ตัวเลขอ้างถึง", "Buddhist-Era year the figure refers to"),
         "constraints": {"minimum": 2400, "maximum": 2700}}], "primaryKey": ["figure_id"]}


def scaffold_rows(registry: Registry, report_id: str, packages_dir: Path) -> list[dict]:
    report = registry.report(report_id)
    book = ledger(registry, [report_id], packages_dir)[0]
    rows = []
    for suggestion in suggest(report, book, not_published=True):
        line_tokens = {e.token.printed or e.token.text: e.token for e in book.entries if e.token.line == suggestion.line}
        years = [v for k, v in suggestion.numbers.items() if k in ("fiscal_year_be", "year_be")]
        for count, (key, literal) in enumerate(suggestion.numbers.items(), start=1):
            token = line_tokens.get(literal)
            if token is None or token.kind not in VALUE_KINDS or suggestion.quote.count(literal) != 1:
                continue
            year = {"year_be": years[0]} if years and suggestion.quote.count(years[0]) == 1 else {}
            rows.append({"quote": suggestion.quote, "numbers": {"value": literal, **year},
                         "values": {"figure_id": f"line-{suggestion.line}-{count}-{key.replace('_', '-')}",
                                    "measure_th": "สิ่งที่ตัวเลขนี้วัด (แก้ข้อความนี้)",
                                    **({"unit_th": suggestion.units[key]} if key in suggestion.units else {})}})
    return rows


def scaffold(name: str, report_id: str, registry: Registry, packages_dir: Path = PACKAGES_DIR,
             schemas_dir: Path = TABLE_SCHEMAS) -> list[Path]:
    """Write datapackages/<name>/recipe.yaml and its Table Schema; the paths written."""
    if not NAME.match(name):
        raise ScaffoldError(f"package name {name!r}: lower-case letters, digits and dashes, 3 to 70 characters")
    folder = packages_dir / name
    schema_path = schemas_dir / f"{name}--figures.json"
    for path in (folder, schema_path):
        if path.exists():
            raise ScaffoldError(f"{path} already exists: choose another --package name")
    report = registry.report(report_id)
    agency = registry.agency(report.agency)
    meta = report.meta
    cited = ", ".join(x for x in (agency["title_th"], f"หนังสือที่ {meta['document_number']}"
                                  if meta.get("document_number") else "",
                                  f"ลงวันที่ {meta['date_text']}" if meta.get("date_text") else "") if x)
    year = (meta.get("date_be") or "")[:4]
    recipe = {
        "name": name, "title": report.title_th, "title_en": report.title_en or name,
        "description": f"ตัวเลขจาก{report.title_th} ({cited}) ทุกแถวอ้างอิงรายงานต้นทาง เลขบรรทัด และข้อความตามต้นฉบับ\n",
        "description_en": f"Figures from {report.title_en or report.title_th} ({agency['title_en']}). Every row cites "
                          "its source report, line and passage.\n",
        "keywords": [agency.get("abbreviation_th") or agency["id"]],
        "organization": agency["id"],
        "gdc": {"data_type": "ข้อมูลสถิติ", "data_source": f"{report.title_th} ({cited})",
                "unit_of_measure": "ตามคอลัมน์ unit_th ของแต่ละแถว", "unit_of_multiplier": "หน่วย",
                **({"first_year_of_data": year, "last_year_of_data": year} if year else {})},
        "resources": [{"name": "figures", "title": f"ตัวเลขจาก{report.title_th}"[:200],
                       "title_en": "Figures from the report", "schema": f"{name}--figures",
                       "report": report_id, "rows": scaffold_rows(registry, report_id, packages_dir)}],
    }
    if not recipe["resources"][0]["rows"]:
        raise ScaffoldError(f"report {report_id} has no unaccounted number to start a package from")
    folder.mkdir(parents=True)
    header = (f"# Made by `publisher reports add --package {name}` from report {report_id}: one row per number.\n"
              "# Rename the resource, label each row (measure_th), group rows into the tables they belong to,\n"
              "# then `publisher build` and `publisher coverage`.\n")
    (folder / RECIPE).write_text(header + yaml.safe_dump(recipe, allow_unicode=True, sort_keys=False, width=120),
                                 encoding="utf-8")
    schema_path.write_text(json.dumps(_schema(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return [folder / RECIPE, schema_path]
