"""Many packages are checked by a pool of processes: the findings are the same, in the same
order, as one process gives; and what is worked out once per cell is never shared by mistake."""

from __future__ import annotations

import shutil
from pathlib import Path

from publisher.validate.personal import personal_data_in
from publisher.validate.provenance import numbers_in
from publisher.validate.run import PARALLEL_FROM, validate, worker_count

ROOT = Path(__file__).resolve().parents[1]
BROKEN = ROOT / "tests" / "broken"


def test_the_broken_corpus_gives_the_same_findings_in_one_process_or_several():
    one = validate([BROKEN], workers=1)
    several = validate([BROKEN], workers=2)
    assert several.packages == one.packages and len(one.packages) > 10
    assert several.findings == one.findings
    assert len({f.package for f in one.errors()}) > 10      # the corpus is broken, package by package


def test_progress_names_every_package_in_order_when_checked_by_several_processes(tmp_path):
    for name in ("b-second", "a-first", "c-third"):
        shutil.copytree(BROKEN / "_valid", tmp_path / name)
    seen = []
    result = validate([tmp_path], workers=2, progress=seen.append, catalog=None)
    assert seen == result.packages == ["a-first", "b-second", "c-third"]
    assert result.findings == validate([tmp_path], workers=1, catalog=None).findings


def test_a_pool_starts_only_for_many_packages_unless_asked(monkeypatch):
    monkeypatch.delenv("PUBLISHER_VALIDATE_WORKERS", raising=False)
    assert worker_count(PARALLEL_FROM - 1) == 1
    assert worker_count(3, workers=8) == 3
    monkeypatch.setenv("PUBLISHER_VALIDATE_WORKERS", "1")
    assert worker_count(10 * PARALLEL_FROM) == 1


def test_results_worked_out_once_per_cell_are_handed_out_as_fresh_copies():
    first = personal_data_in("ติดต่อ somchai@example.com")
    first.append(("changed", "by a caller"))
    assert personal_data_in("ติดต่อ somchai@example.com") == [("personal.email", "somchai@example.com")]
    numbers = numbers_in("ร้อยละ ๕๖.๔๑ จาก ๓๙ หน่วยงาน")
    numbers.add(1)
    assert 1 not in numbers_in("ร้อยละ ๕๖.๔๑ จาก ๓๙ หน่วยงาน")
