"""Round trip: each vendored report made into DOCX and PDF by LibreOffice, added again with
``reports add``, and every recipe's quotes and values extracted from the re-imported text.

The shares are printed (pytest -s, or in the summary of a failure). The floors asserted are
the shares measured when this test was written, so a change to the readers that loses quotes
fails here; the goals are 100 % from DOCX and at least 95 % from PDF."""

from __future__ import annotations

import pytest

from publisher.reports.registry import load_registry
from tests.report_files import make_files, soffice_available
from tests.round_trip import prose_texts, reimport, score

FLOORS = {"docx": (1.0, 1.0), "pdf": (0.87, 0.80)}   # (quotes re-located, values identical)


@pytest.fixture(scope="module")
def made():
    if not soffice_available():
        pytest.skip("LibreOffice missing: run stack/install-report-tools.sh")
    today = load_registry()
    return today, make_files(prose_texts(today))


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_quotes_and_values_survive_the_round_trip(made, fmt, tmp_path, capsys):
    today, files = made
    again = reimport({name: paths[fmt] for name, paths in files.items()}, tmp_path / "reports")
    result = score(today, again)
    with capsys.disabled():
        print("\n" + result.line(fmt))
    quotes_floor, values_floor = FLOORS[fmt]
    assert result.quotes > 600
    assert result.relocated / result.quotes >= quotes_floor, result.missing[:20]
    assert result.identical / result.values >= values_floor, result.missing[:20]
