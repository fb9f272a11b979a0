"""The record of packages that passed (var/validated.json): a package is checked again when its
own bytes change or a report it cites changes, and not when another package or report does."""

from __future__ import annotations

import shutil
from pathlib import Path

from publisher.catalog.validated import ValidatedCache
from publisher.validate.run import validate

ROOT = Path(__file__).resolve().parents[1]


def test_a_package_is_checked_again_for_its_own_changes_and_its_reports_only(tmp_path):
    packages, reports = tmp_path / "datapackages", tmp_path / "reports"
    shutil.copytree(ROOT / "reports", reports)
    for name in ("th-provinces", "covid19-lessons-learned"):
        shutil.copytree(ROOT / "datapackages" / name, packages / name)
    provinces, lessons = packages / "th-provinces", packages / "covid19-lessons-learned"
    record = tmp_path / "validated.json"
    ValidatedCache(record, reports_dir=reports).remember([provinces, lessons])

    def known() -> set[str]:
        cache = ValidatedCache(record, reports_dir=reports)
        return {d.name for d in (provinces, lessons) if cache.known_valid(d)}

    assert known() == {"th-provinces", "covid19-lessons-learned"}
    with (reports / "000-covid19-lessons-learned-fy2563-2564.txt").open("a", encoding="utf-8") as out:
        out.write("\n")                                     # the report R000, which one package quotes
    assert known() == {"th-provinces"}
    ValidatedCache(record, reports_dir=reports).remember([lessons])
    assert known() == {"th-provinces", "covid19-lessons-learned"}
    (provinces / "datapackage.json").write_text((provinces / "datapackage.json").read_text(encoding="utf-8")
                                                .replace('"title": "', '"title": "แก้ไข ', 1), encoding="utf-8")
    assert known() == {"covid19-lessons-learned"}            # the other package is no input of it


def test_packages_known_valid_are_still_compared_by_the_consistency_rules():
    broken = ROOT / "tests" / "broken"
    conflict = sorted(p for p in broken.iterdir() if p.name.startswith("consistency-"))
    assert conflict
    whole = validate(conflict, catalog=None)
    for folder in conflict:
        others = [p for p in conflict if p != folder]
        partial = validate([folder], catalog=None, known_valid=others)
        assert partial.packages == whole.packages
        consistency = [f for f in whole.findings if f.rule.startswith("consistency.")]
        assert consistency and [f for f in partial.findings if f.rule.startswith("consistency.")] == consistency
