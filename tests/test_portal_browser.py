"""What the public sees: a dataset page of the local portal, in Thai, in Debian's headless chromium."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import ARTIFACTS, complete_dataset

pytestmark = [pytest.mark.portal, pytest.mark.browser]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        pytest.fail("Debian's chromium and chromium-driver are needed: apt-get install chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1280,1600",
                 "--lang=th-TH", f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    session = webdriver.Chrome(service=Service(driver), options=options)
    yield session
    session.quit()


def test_dataset_page_renders_in_thai(browser, ckan, stack, organization, unique):
    from selenium.webdriver.common.by import By

    dataset = ckan.action.package_create(**complete_dataset(organization, f"page-{unique}"))
    browser.get(f"{stack.ckan_url}/dataset/{dataset['name']}")

    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "th"
    assert browser.find_element(By.TAG_NAME, "h1").text.strip() == dataset["title"]
    page = browser.find_element(By.TAG_NAME, "body").text
    # Thai interface chrome from CKAN's own th locale, Thai field labels from our schema,
    # and the Thai vocabulary values as stored
    for expected in ("ชุดข้อมูล", "หมวดหมู่ข้อมูลตามธรรมาภิบาลข้อมูลภาครัฐ", "ข้อมูลสาธารณะ",
                     "วัตถุประสงค์", "ยุทธศาสตร์ชาติ", "ขอบเขตเชิงภูมิศาสตร์หรือเชิงพื้นที่", "ประเทศ",
                     organization["title"], "Creative Commons Attributions"):
        assert expected in page, expected

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "dataset-page-th.png"
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
