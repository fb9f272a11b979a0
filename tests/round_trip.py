"""The round trip of the vendored reports through PDF and DOCX: each report's file made by
LibreOffice (tests/report_files.py), read back by ``reports add`` under its own id, and every
recipe's quotes and values extracted from the re-imported text, compared with today's."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from publisher.extract.recipes import RecipeError, Where, load_table_schema, statement_rows, table_rows
from publisher.packages import PACKAGES_DIR, RECIPE, load_recipe
from publisher.reports.add import add_report
from publisher.reports.registry import REPORTS_DIR, Registry, ReportError, load_registry

PROVENANCE = ("source_report", "source_line", "source_text")


@dataclass
class Score:
    quotes: int = 0
    relocated: int = 0
    values: int = 0
    located_values: int = 0      # the values of the quotes and tables that were re-located
    identical: int = 0
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    def line(self, label: str) -> str:
        return (f"{label}: quotes re-located {self.relocated}/{self.quotes} ({share(self.relocated, self.quotes)}), "
                f"values identical {self.identical}/{self.located_values} of the re-located "
                f"({share(self.identical, self.located_values)}), {self.identical}/{self.values} of all "
                f"({share(self.identical, self.values)})")


def share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def reimport(files: dict[str, Path], folder: Path) -> Registry:
    """Every vendored report added again from its made file, under its own id and agency."""
    original = json.loads((REPORTS_DIR / "registry.json").read_text(encoding="utf-8"))
    folder.mkdir(parents=True, exist_ok=True)
    kept = [entry for entry in original["reports"] if not is_prose(entry)]
    (folder / "registry.json").write_text(json.dumps({**original, "reports": kept}, ensure_ascii=False),
                                          encoding="utf-8")
    shutil.copytree(REPORTS_DIR / "codelists", folder / "codelists", dirs_exist_ok=True)
    for entry in filter(is_prose, original["reports"]):
        add_report(files[entry["id"]], folder, report_id=entry["id"], agency=entry["agency"],
                   title_th=entry["title_th"], title_en=entry["title_en"])
    return load_registry(folder)


def is_prose(entry: dict) -> bool:
    """A report (not a code list such as the ISO 3166-2 table, which stays as it is)."""
    return "/" not in entry["file"]


def prose_texts(today: Registry) -> dict[str, str]:
    return {r.id: r.text for r in today.reports.values() if is_prose(r.meta)}


def _strip(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in PROVENANCE} for row in rows]


def score(today: Registry, again: Registry) -> Score:
    """Each quoted row and each table anchor of every recipe, extracted from both texts."""
    result = Score()
    for recipe_path in sorted(PACKAGES_DIR.glob(f"*/{RECIPE}")):
        recipe = load_recipe(recipe_path)
        for resource in recipe.get("resources", []):
            schema = load_table_schema(resource["schema"])
            where = Where(recipe_path, resource.get("name", "?"))
            if "table" in resource:
                spec = resource["table"]
                if str(spec["report"]) not in again.reports:
                    continue
                expected = _strip(table_rows(spec, schema, today, where))
                result.quotes += 1
                result.values += len(expected)
                try:
                    got = _strip(table_rows(spec, schema, again, where))
                except (RecipeError, ReportError, ValueError) as exc:
                    result.missing.append(f"{recipe_path.parent.name}/{resource['name']} table: {str(exc)[:160]}")
                    continue
                result.relocated += 1
                result.located_values += len(expected)
                same = sum(1 for a, b in zip(expected, got) if a == b)
                result.identical += same
                if same < len(expected):
                    result.changed.append(f"{recipe_path.parent.name}/{resource['name']} table: "
                                          f"{len(expected) - same} row(s) differ")
            for spec in resource.get("rows", []):
                report_id = str(spec.get("report") or resource.get("report") or "")
                if report_id not in again.reports:
                    continue
                expected = _strip(statement_rows([spec], schema, today, where, resource.get("report")))
                result.quotes += 1
                result.values += 1
                try:
                    got = _strip(statement_rows([spec], schema, again, where, resource.get("report")))
                except (RecipeError, ReportError, ValueError):
                    result.missing.append(f"{recipe_path.parent.name}/{resource['name']}: {spec['quote'][:100]!r}")
                    continue
                result.relocated += 1
                result.located_values += 1
                result.identical += int(expected == got)
                if expected != got:
                    result.changed.append(f"{recipe_path.parent.name}/{resource['name']}: {spec['quote'][:100]!r}")
    return result
