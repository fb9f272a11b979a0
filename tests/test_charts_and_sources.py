"""The figures and where they come from, as the public sees them once `publisher sync` has run:
chart views that draw in the browser with Thai axis titles (plotly.js served by the portal
itself), a row's source_line that opens its report at that line, and a dataset page that says
how its figures were derived. Real local portal, Debian's headless chromium."""

from __future__ import annotations

import csv
import json

import pytest
import requests

from publisher.catalog import map as mapping
from publisher.catalog.reports import reports_datasets
from publisher.catalog.views import CHART_VIEW, REPORT_VIEW
from publisher.packages import PACKAGES_DIR
from tests.conftest import ARTIFACTS, publisher
from tests.test_portal_browser import browser  # noqa: F401  (the same headless chromium)
from tests.test_public_site import published, resource_of, screenshot, wait_for  # noqa: F401

pytestmark = [pytest.mark.portal, pytest.mark.browser]

SERIES = ("public-sector-digital-indicators", "statements")
BARS = ("policy-11-public-administration-reform", "psea-award-entries")


def rows(dataset: str, table: str) -> list[dict]:
    with open(PACKAGES_DIR / dataset / "data" / f"{table}.csv", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def views_of(stack, resource_id: str) -> list[dict]:
    answer = requests.get(f"{stack.ckan_url}/api/3/action/resource_view_list", params={"id": resource_id}, timeout=60)
    return answer.json()["result"]


def wanted_chart(dataset: str, table: str, number: int = 0) -> dict:
    local = mapping.load_dataset(PACKAGES_DIR / dataset)
    return next(r for r in local.resources if r.key == table).views[number]


def open_chart(browser, stack, published, dataset: str, table: str, number: int = 0):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen

    resource = resource_of(published[dataset]["shown"], table)
    wanted = wanted_chart(dataset, table, number)
    view = next(v for v in views_of(stack, resource["id"]) if v["view_type"] == CHART_VIEW
                and v["title"] == wanted["title"])
    browser.get(f"{stack.ckan_url}/dataset/{dataset}/resource/{resource['id']}?view_id={view['id']}")
    wait_for(browser, seen.presence_of_element_located((By.CSS_SELECTOR, ".js-plotly-plot svg.main-svg")),
             "the chart")
    return wanted


def axis_titles(browser) -> tuple[str, str]:
    from selenium.webdriver.common.by import By

    return (browser.find_element(By.CSS_SELECTOR, ".js-plotly-plot .xtitle").text,
            browser.find_element(By.CSS_SELECTOR, ".js-plotly-plot .ytitle").text)


def test_the_cross_report_series_draws_one_point_per_period_with_thai_axis_titles(browser, stack, published):
    from selenium.webdriver.common.by import By

    wanted = open_chart(browser, stack, published, *SERIES)
    column, value = wanted["filter"].split(":")
    periods = {r["as_of_be"] for r in rows(*SERIES) if r[column] == value and r["as_of_be"] and r["value"]}
    assert len(periods) >= 2
    points = browser.find_elements(By.CSS_SELECTOR, ".js-plotly-plot g.trace.scatter path.point")
    assert len(points) == len(periods)
    x_title, y_title = axis_titles(browser)
    assert (x_title, y_title) == (wanted["x_axis_label"], wanted["y_axis_label"])
    assert "ช่วงเวลา" in x_title and "งานบริการ" in y_title
    ticks = {t.text for t in browser.find_elements(By.CSS_SELECTOR, ".js-plotly-plot .xtick text")}
    assert periods <= ticks
    scripts = [s.get_attribute("src") for s in browser.find_elements(By.CSS_SELECTOR, "script[src]")]
    assert any("plotly" in s for s in scripts) and all(s.startswith(stack.ckan_url) for s in scripts)
    screenshot(browser, "chart-e-service-series.png")


def test_a_bar_chart_draws_one_bar_per_period(browser, stack, published):
    from selenium.webdriver.common.by import By

    wanted = open_chart(browser, stack, published, *BARS)
    expected = [r for r in rows(*BARS) if r[wanted["x"]] and r[wanted["y"]]]
    bars = browser.find_elements(By.CSS_SELECTOR, ".js-plotly-plot g.trace.bars g.point")
    assert len(bars) == len(expected) == 3
    assert axis_titles(browser) == (wanted["x_axis_label"], wanted["y_axis_label"])
    assert axis_titles(browser)[1] == "จำนวนผลงานที่สมัคร (ผลงาน)"
    screenshot(browser, "chart-psea-entries.png")


def test_kpi_results_are_drawn_against_their_targets(browser, stack, published):
    from selenium.webdriver.common.by import By

    dataset, table = "public-sector-development-report-2564", "strategy-kpi-results"
    wanted = open_chart(browser, stack, published, dataset, table)
    assert wanted["y"] == ["result_value", "target_value"]
    traces = browser.find_elements(By.CSS_SELECTOR, ".js-plotly-plot g.trace.scatter")
    assert len(traces) == 2
    table_rows = rows(dataset, table)
    for trace, column in zip(traces, wanted["y"]):
        drawn = trace.find_elements(By.CSS_SELECTOR, "path.point")
        assert len(drawn) == sum(1 for r in table_rows if r[column]), column
    screenshot(browser, "chart-kpi-results-vs-targets.png")


def test_a_rows_source_line_opens_its_report_at_the_quoted_passage(browser, stack, published):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen

    dataset, table = SERIES
    resource = resource_of(published[dataset]["shown"], table)
    browser.get(f"{stack.ckan_url}/dataset/{dataset}/resource/{resource['id']}")
    frame = wait_for(browser, seen.presence_of_element_located((By.CSS_SELECTOR, "iframe")), "the table preview")
    browser.switch_to.frame(frame)
    link = wait_for(browser, seen.element_to_be_clickable((By.CSS_SELECTOR, "a.provenance-link")), "a source line link")
    row = link.find_element(By.XPATH, "./ancestor::tr")
    row_id = int(row.find_element(By.CSS_SELECTOR, "td").text)
    expected = next(r for number, r in enumerate(rows(dataset, table), 1) if number == row_id)
    assert link.text == expected["source_line"]
    assert link.get_attribute("href").endswith(f"/report/{expected['source_report']}#L{expected['source_line']}")
    browser.switch_to.default_content()
    screenshot(browser, "provenance-table-with-links.png")
    browser.switch_to.frame(frame)
    # the link is in a wide, horizontally scrolled table: clicked where it is, as a person
    # reaching it with the scroll bar would
    browser.execute_script("arguments[0].scrollIntoView({block: 'center', inline: 'center'}); arguments[0].click()",
                           link)
    browser.switch_to.default_content()
    wait_for(browser, lambda b: "/dataset/source-reports-" in b.current_url, "the report's page")
    anchor = f"L{expected['source_line']}"
    line = wait_for(browser, seen.presence_of_element_located((By.ID, anchor)), "the report's line")
    assert browser.current_url.endswith(f"#{anchor}")
    assert "/dataset/source-reports-" in browser.current_url
    assert line.find_element(By.CSS_SELECTOR, "td.ln").text == expected["source_line"]
    assert expected["source_text"].split("\n")[0] in line.find_element(By.CSS_SELECTOR, "td.lt").text
    assert browser.execute_script("return document.querySelector(':target') && document.querySelector(':target').id") \
        == anchor
    in_window = "var top = arguments[0].getBoundingClientRect().top; return 0 <= top && top < window.innerHeight"
    wait_for(browser, lambda b: b.execute_script(in_window, line), "the cited line scrolled into the window")
    ARTIFACTS.mkdir(exist_ok=True)      # what the window shows: the cited line, highlighted
    assert browser.save_screenshot(str(ARTIFACTS / "provenance-report-at-line.png"))


def test_every_report_is_a_resource_of_its_agencys_reports_dataset_with_a_text_view(stack, published):
    local, findings = reports_datasets(mapping.groups(), mapping.MARKER)
    # the same rules as every package: no error; an agency whose reports print no address keeps the
    # placeholder contact, a warning for it as for its packages (gdc.contact)
    assert [f for f in findings if f.severity == "error"] == []
    assert {f.rule for f in findings} <= {"gdc.contact"}
    assert not [f for f in findings if f.package == "source-reports-opdc"]
    assert len(local) == 3
    for dataset in local:
        shown = requests.get(f"{stack.ckan_url}/api/3/action/package_show", params={"id": dataset.name},
                             timeout=60).json()["result"]
        assert shown["private"] is False and shown["data_category"] == "ข้อมูลสาธารณะ"
        for resource in dataset.resources:
            portal = resource_of(shown, resource.key)
            assert portal["hash"] == resource.sha256 and portal["report_id"] == resource.fields["report_id"]
            assert [v["view_type"] for v in views_of(stack, portal["id"])] == [REPORT_VIEW]
            download = requests.get(portal["url"], timeout=60)
            assert download.content == resource.path.read_bytes()
    unknown = requests.get(f"{stack.ckan_url}/report/no-such-report", timeout=60, allow_redirects=False)
    assert unknown.status_code == 404


def test_the_dataset_page_says_how_its_figures_were_derived_and_links_the_reports(browser, stack, published):
    from selenium.webdriver.common.by import By

    dataset = SERIES[0]
    browser.get(f"{stack.ckan_url}/dataset/{dataset}")
    note = browser.find_element(By.CSS_SELECTOR, ".provenance-note")
    assert "อ่านออกมาจากรายงานต้นทาง" in note.text and "Every figure here was read out of a source report" in note.text
    link = note.find_element(By.CSS_SELECTOR, "a.reports-dataset-link")
    assert link.get_attribute("href").endswith(f"/dataset/source-reports-{published[dataset]['shown']['organization']['name']}")
    screenshot(browser, "provenance-note-on-dataset-page.png")
    link.click()
    assert browser.find_elements(By.CSS_SELECTOR, ".provenance-note") == []   # not on the reports dataset itself


def test_a_second_sync_of_the_repository_writes_no_view_and_no_resource(published):
    again = json.loads(publisher("sync", "--json").stdout)
    assert again["exit_code"] == 0
    assert again["summary"]["writes"] == 0, again["calls"]
    assert again["calls"] == {"package_search": 1}
    assert ARTIFACTS.exists()
