"""Text a package gives the portal is shown as text: HTML and <script> in a dataset's title,
description, resource title and description, and the data dictionary's field titles and
descriptions are published, and the dataset, resource and search pages (with the table preview's
frame) run none of it and hold none of its elements. A tag cannot carry HTML at all: validation
refuses it (gdc.tag). Real local portal, Debian's headless chromium."""

from __future__ import annotations

import json
import shutil

import pytest
import requests

from publisher.catalog.client import Portal, read_token
from publisher.catalog.sync import sync
from publisher.validate.run import validate
from tests.hostile.cases import VALID
from tests.test_portal_browser import browser  # noqa: F401  (the same headless chromium)

pytestmark = [pytest.mark.portal, pytest.mark.browser]

INJECTED_IDS = ("injected-img", "injected-b", "injected-svg")
PAYLOAD = ('<script>window.__injected=1</script><img src=x onerror="window.__injected=2" id="injected-img">'
           '<b id="injected-b">b</b>"><svg onload="window.__injected=3" id="injected-svg">')
WAIT = 60


def with_payload(folder, name: str) -> dict:
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["name"] = name
    for key in ("title", "title_en", "description", "description_en"):
        descriptor[key] = f"{descriptor[key]} {name} {PAYLOAD}"
    resource = descriptor["resources"][0]
    resource["title"], resource["description"] = f"{resource['title']} {PAYLOAD}", PAYLOAD
    for field in resource["schema"]["fields"][:3]:
        field["title"], field["description"] = f"{field.get('title', '')} {PAYLOAD}", PAYLOAD
    (folder / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2), encoding="utf-8")
    return descriptor


@pytest.fixture(scope="module")
def published(stack, tmp_path_factory):
    portal = Portal(stack.ckan_url, read_token(env={}, default_file=stack.token_file))
    base = tmp_path_factory.mktemp("html")
    name = f"html-{base.name[-8:].lower().replace('_', '-')}".strip("-")
    folder = base / "packages" / name
    shutil.copytree(VALID, folder)
    with_payload(folder, name)
    report = sync(portal, base / "packages", catalog=f"html-{name}")
    assert report.exit_code == 0, (report.skipped, [o.error for o in report.outcomes])
    shown = requests.get(f"{stack.ckan_url}/api/3/action/package_show", params={"id": name}, timeout=60).json()
    return shown["result"]


def nothing_injected(browser) -> None:
    from selenium.webdriver.common.by import By

    assert browser.execute_script("return window.__injected === undefined")
    for element_id in INJECTED_IDS:
        assert browser.find_elements(By.ID, element_id) == [], element_id
    assert browser.find_elements(By.CSS_SELECTOR, "img[onerror], svg[onload]") == []


def open_page(browser, url: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(url)
    WebDriverWait(browser, WAIT).until(lambda b: b.execute_script("return document.readyState") == "complete")


def test_html_in_a_tag_is_refused_by_validation(tmp_path):
    folder = tmp_path / "tagged"
    shutil.copytree(VALID, folder)
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["keywords"].append('<b id="injected-tag">x</b>')
    (folder / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    assert [(f.rule, f.field) for f in validate([folder], catalog=None).findings] == [("gdc.tag", "keywords.3")]


def test_the_dataset_page_shows_html_as_text_and_runs_none_of_it(browser, stack, published):
    from selenium.webdriver.common.by import By

    assert PAYLOAD in published["title"]          # stored as given: it is the page that must not run it
    open_page(browser, f"{stack.ckan_url}/dataset/{published['name']}")
    assert "<script>window.__injected=1</script>" in browser.find_element(By.TAG_NAME, "h1").text
    nothing_injected(browser)


def test_the_resource_page_and_its_data_dictionary_run_none_of_it(browser, stack, published):
    from selenium.webdriver.common.by import By

    resource = next(r for r in published["resources"] if r.get("datastore_active"))
    open_page(browser, f"{stack.ckan_url}/dataset/{published['name']}/resource/{resource['id']}")
    assert "window.__injected=1" in browser.find_element(By.TAG_NAME, "body").text
    nothing_injected(browser)
    frames = browser.find_elements(By.TAG_NAME, "iframe")
    assert frames, "the table preview is shown in a frame"
    for index in range(len(frames)):
        browser.switch_to.frame(browser.find_elements(By.TAG_NAME, "iframe")[index])
        try:
            nothing_injected(browser)
        finally:
            browser.switch_to.default_content()
    nothing_injected(browser)


def test_the_search_page_runs_none_of_it(browser, stack, published):
    open_page(browser, f"{stack.ckan_url}/dataset/?q={published['name']}")
    assert published["name"] in browser.page_source
    nothing_injected(browser)
    open_page(browser, f"{stack.ckan_url}/dataset/?q=injected")
    nothing_injected(browser)
