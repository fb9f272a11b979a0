"""What the public sees of the repository's catalog once `publisher sync` has published it: a
dataset found by typing a Thai word, its page in Thai with the GD-Catalog fields, a CSV that
downloads byte for byte as committed, a table preview from the DataStore, and the DCAT a central
catalog harvests. Real local portal, Debian's headless chromium, clicks as a person makes them."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest
import requests
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF

from publisher.catalog.map import DATAPACKAGE, RESOURCE_KEY
from publisher.catalog.sync import package_dirs
from publisher.packages import PACKAGES_DIR
from tests.conftest import ARTIFACTS, ROOT, publisher
from tests.test_portal_browser import browser  # noqa: F401  (the same headless chromium)

pytestmark = [pytest.mark.portal, pytest.mark.browser]

DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
SPDX = Namespace("http://spdx.org/rdf/terms#")

SCHEMA = json.loads((ROOT / "schemas" / "ckan" / "gdc_dataset.json").read_text(encoding="utf-8"))
LICENCES = {lic["id"]: lic for lic in
            json.loads((ROOT / "schemas" / "ckan" / "licenses.json").read_text(encoding="utf-8"))}

# the dataset a person looks for, and a word of its title: Thai is written without spaces, so
# the word sits inside a longer run of letters (ถอดบทเรียนการรับมือ…)
SEARCHED, WORD = "covid19-lessons-learned", "บทเรียน"
# the table that is previewed and downloaded
TABLE = (SEARCHED, "agency-impact-and-response")
# the fields data.go.th shows on a dataset page, shown here with their Thai labels
SHOWN_FIELDS = ("objective", "update_frequency_unit", "geo_coverage", "data_category")
WAIT = 60  # seconds a page, a table or a download may take on a busy machine before the test gives up


@pytest.fixture(scope="module")
def published(stack) -> dict[str, dict]:
    """Publish the repository's catalog (a no-op when the portal already matches it), then read
    each dataset as the public does: anonymously, through the action API."""
    report = json.loads(publisher("sync", "--json").stdout)
    assert report["exit_code"] == 0 and not report["skipped"], report["summary"]
    out = {}
    for folder in package_dirs(PACKAGES_DIR):
        descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
        shown = requests.get(f"{stack.ckan_url}/api/3/action/package_show", params={"id": descriptor["name"]},
                             timeout=60)
        assert shown.status_code == 200, (descriptor["name"], shown.text[:300])
        out[descriptor["name"]] = {"folder": folder, "local": descriptor, "shown": shown.json()["result"]}
    assert SEARCHED in out
    return out


def wait_for(browser, condition, what: str):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, WAIT).until(condition, message=f"waiting for {what}")


def body_text(browser) -> str:
    from selenium.webdriver.common.by import By

    return browser.find_element(By.TAG_NAME, "body").text


def screenshot(browser, name: str) -> Path:
    """The whole page, not only the window, as a PNG under artifacts/."""
    import base64

    metrics = browser.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics["cssContentSize"]
    shot = browser.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    path.write_bytes(base64.b64decode(shot["data"]))
    assert path.stat().st_size > 10_000
    return path


def shown_value(field_name: str, value) -> list[str]:
    """What the page prints for a field: the Thai label of each chosen value."""
    field = next(f for f in SCHEMA["dataset_fields"] if f["field_name"] == field_name)
    labels = {c["value"]: c["label"] for c in field.get("choices", [])}
    shown = [labels.get(v, v) for v in (value if isinstance(value, list) else [value])]
    return [s["th"] if isinstance(s, dict) else s for s in shown]


def label_of(field_name: str) -> str:
    field = next(f for f in SCHEMA["dataset_fields"] if f["field_name"] == field_name)
    return field["label"]["th"] if isinstance(field["label"], dict) else field["label"]


def resource_of(dataset: dict, key: str) -> dict:
    return next(r for r in dataset["resources"] if r.get(RESOURCE_KEY) == key)


def committed_file(item: dict, key: str) -> Path:
    """The file in the repository behind a portal resource, by the package's own path."""
    if key.endswith(".xlsx"):   # the workbook of all the tables, beside the CSVs
        return item["folder"] / "data" / key
    return item["folder"] / next(r["path"] for r in item["local"]["resources"] if r["name"] == key)


def test_the_home_page_offers_a_thai_search_and_the_published_categories(browser, stack, published):
    from selenium.webdriver.common.by import By

    browser.get(f"{stack.ckan_url}/")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "th"
    box = browser.find_element(By.ID, "field-main-search")
    assert box.get_attribute("placeholder").startswith("เช่น")
    page = body_text(browser)
    assert "ค้นหาชุดข้อมูล" in page and "หมวดหมู่ชุดข้อมูล" in page and "หน่วยงานเจ้าของข้อมูล" in page
    for item in published.values():
        assert item["shown"]["organization"]["title"] in page
        for group in item["shown"]["groups"]:
            assert group["display_name"] in page, group["name"]
    screenshot(browser, "public-home.png")


def test_a_thai_word_typed_in_the_search_box_leads_to_the_dataset_page_in_thai(browser, stack, published):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as seen

    local, shown = published[SEARCHED]["local"], published[SEARCHED]["shown"]
    assert WORD in local["title"] and f" {WORD}" not in local["title"]

    browser.get(f"{stack.ckan_url}/")
    box = browser.find_element(By.ID, "field-main-search")
    box.send_keys(WORD)
    box.send_keys(Keys.ENTER)
    wait_for(browser, seen.presence_of_element_located((By.CSS_SELECTOR, "#dataset-search-form")), "the results")
    found = browser.find_element(By.CSS_SELECTOR, "#dataset-search-form h1").text
    assert found.startswith("พบ ") and f'"{WORD}"' in found, found   # "N found", in Thai
    # the dataset is among the results, under its Thai title; the person clicks it
    links = browser.find_elements(By.CSS_SELECTOR, ".dataset-list .dataset-heading a")
    [link] = [a for a in links if a.get_attribute("href").endswith(f"/dataset/{SEARCHED}")]
    assert local["title"].startswith(link.text.strip().removesuffix("..."))
    link.click()
    wait_for(browser, seen.url_to_be(f"{stack.ckan_url}/dataset/{SEARCHED}"), "the dataset page")

    assert browser.find_element(By.CSS_SELECTOR, "[role=main] h1").text.strip() == local["title"]
    page = body_text(browser)
    details = browser.find_element(By.CSS_SELECTOR, ".additional-info").text
    for field_name in SHOWN_FIELDS:   # label and value(s), in Thai, from the GD-Catalog schema
        assert label_of(field_name) in details, field_name
        for value in shown_value(field_name, local["gdc"][field_name]):
            assert value in details, (field_name, value)
    licence = browser.find_element(By.CSS_SELECTOR, "section.license").text
    assert LICENCES[local["gdc"]["license_id"]]["title"] in licence
    assert shown["organization"]["title"] == local["organization"]["title"] and local["organization"]["title"] in page
    groups = browser.find_element(By.CSS_SELECTOR, "section.dataset-groups").text
    assert {g["display_name"] for g in shown["groups"]} == {line for line in groups.splitlines()[1:]}
    assert sorted(g["name"] for g in shown["groups"]) == sorted(local["groups"])
    screenshot(browser, "public-dataset-page.png")


def test_the_table_preview_renders_and_the_download_button_gives_the_committed_csv(
        browser, stack, published, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen

    name, key = TABLE
    item = published[name]
    resource = resource_of(item["shown"], key)
    local_file = committed_file(item, key)
    schema = next(r for r in item["local"]["resources"] if r["name"] == key)["schema"]
    with local_file.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))[1:]

    # from the dataset page, the person opens the table's own page
    browser.get(f"{stack.ckan_url}/dataset/{name}")
    browser.find_element(By.CSS_SELECTOR, f'li.resource-item[data-id="{resource["id"]}"] a.heading').click()
    wait_for(browser, seen.url_contains(f"/resource/{resource['id']}"), "the resource page")

    # the preview is the DataStore table view, in a frame, filled by an AJAX call
    frame = wait_for(browser, seen.presence_of_element_located((By.CSS_SELECTOR, "iframe[data-module=data-viewer]")),
                     "the preview frame")
    assert f"/resource/{resource['id']}/view/" in frame.get_attribute("src")
    browser.switch_to.frame(frame)
    try:
        wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "table.dataTable tbody tr td:not(.dataTables_empty)"),
                 "rows in the preview")
        headers = [th.text.strip() for th in browser.find_elements(By.CSS_SELECTOR, "table.dataTable thead tr:first-child th")]
        first_row = [td.text.strip() for td in browser.find_elements(By.CSS_SELECTOR, "table.dataTable tbody tr:first-child td")]
        info = browser.find_element(By.CSS_SELECTOR, ".dataTables_info").text
        preview_text = body_text(browser)
    finally:
        browser.switch_to.default_content()
    # column titles from the data dictionary (the Table Schema's Thai titles), the first row's
    # first cells as in the file, and the row count of the file
    titles = [f.get("title") or f["name"] for f in schema["fields"]]
    visible = [h for h in headers if h and h != "_id"]
    assert visible and visible == titles[:len(visible)], (headers, titles)
    assert first_row[1:3] == rows[0][:2], (first_row, rows[0])
    assert f"{len(rows):,}" in info or str(len(rows)) in info, info
    screenshot(browser, "public-resource-preview.png")

    # CKAN's own words are in Thai too, and of the keys CKAN stores on a resource only the
    # facts of the file are shown (not its package id, position or url type)
    page = browser.page_source
    for english, thai in (("Data Dictionary", "พจนานุกรมข้อมูล"), ("Fullscreen", "เต็มจอ"),
                          ("Data API", "API ข้อมูล"), ("Skip to main content", "ข้ามไปยังเนื้อหาหลัก"),
                          ("Add Filter", "เพิ่มตัวกรอง")):     # the last one written by CKAN's JavaScript
        assert thai in page and english not in page, english
    assert "เรียงลำดับ" in preview_text and "Sort" not in preview_text, preview_text[-300:]
    for stored in ("Package id", "Url type", "Datastore active", "Position", "Has views"):
        assert f">{stored}<" not in page, stored
    assert "ค่าตรวจสอบไฟล์" in page and resource["hash"] in page

    # the download button is the file as uploaded, not a DataStore export
    button = browser.find_element(By.CSS_SELECTOR, "a.btn-primary.resource-url-analytics")
    assert button.get_attribute("href") == resource["url"]
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    button.click()
    target = tmp_path / resource["url"].rsplit("/", 1)[-1]
    wait_for(browser, lambda b: target.exists() and not list(tmp_path.glob("*.crdownload")), "the download")
    body = target.read_bytes()
    assert body == local_file.read_bytes()
    assert body.startswith(b"\xef\xbb\xbf")   # the BOM that makes Excel read the Thai as UTF-8
    assert hashlib.sha256(body).hexdigest() == resource["hash"]


def rdf(url: str) -> Graph:
    response = requests.get(url, timeout=120)
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    return Graph().parse(data=response.content, format="turtle")


def test_the_dcat_catalog_pages_list_every_published_dataset(stack, published):
    wanted = {item["shown"]["id"]: name for name, item in published.items()}
    listed, url, pages = set(), f"{stack.ckan_url}/catalog.ttl?page=1", 0
    while url:   # the catalog's own paging, as a harvester follows it
        graph = rdf(url)
        pages += 1
        [catalog] = graph.subjects(RDF.type, DCAT.Catalog)
        listed |= {str(i) for d in graph.objects(catalog, DCAT.dataset) for i in graph.objects(d, DCT.identifier)}
        following = [o for s, p, o in graph if p in (HYDRA.next, HYDRA.nextPage)]
        url = str(following[0]) if following else None
    missing = {wanted[i] for i in set(wanted) - listed}
    assert not missing, f"not in /catalog.ttl ({pages} pages): {sorted(missing)}"


def test_each_published_dataset_is_dcat_with_its_files(stack, published):
    for name, item in published.items():
        shown, local = item["shown"], item["local"]
        graph = rdf(f"{stack.ckan_url}/dataset/{name}.ttl")
        [dataset] = [s for s in graph.subjects(RDF.type, DCAT.Dataset)
                     if (s, DCT.identifier, Literal(shown["id"])) in graph]
        assert (dataset, DCT.title, Literal(local["title"], lang="th")) in graph, name
        assert (dataset, DCT.license, URIRef(LICENCES[local["gdc"]["license_id"]]["url"])) in graph, name
        distributions = set(graph.objects(dataset, DCAT.distribution))
        assert len(distributions) == len(local["resources"]) + 2, name   # every CSV, the XLSX and datapackage.json
        access = {str(u): d for d in distributions for u in graph.objects(d, DCAT.accessURL)}
        for resource in shown["resources"]:
            assert resource["url"] in access, (name, resource[RESOURCE_KEY])
            # an uploaded file is also a direct download, which harvesters fetch as is
            assert set(graph.objects(access[resource["url"]], DCAT.downloadURL)) == {URIRef(resource["url"])}
            if resource[RESOURCE_KEY] == DATAPACKAGE:
                continue
            local_file = committed_file(item, resource[RESOURCE_KEY])
            [checksum] = graph.objects(access[resource["url"]], SPDX.checksum)
            [value] = graph.objects(checksum, SPDX.checksumValue)
            assert str(value) == hashlib.sha256(local_file.read_bytes()).hexdigest(), (name, resource[RESOURCE_KEY])
