"""Fixtures: a real local portal of the suite's own (tests/test-portal.env), started once per test
session with the project's own CLI and stopped at the end; the portal a person publishes to is
protected from every test (publisher/stack/guard.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from publisher.catalog.client import Portal, read_token
from publisher.stack.guard import PROTECTED_PORTS, PROTECTED_STATE, TEST_RUN
from publisher.stack.install import ckan_venv_current, solr_jars_current
from publisher.stack.supervisor import Stack

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
TEST_PORTAL = ROOT / "tests" / "test-portal.env"
PORT_KEYS = ("CKAN_PORT", "SOLR_PORT", "POSTGRES_PORT", "REDIS_PORT")
# what would point a test at another portal or give it another portal's token
NOT_INHERITED = ("PUBLISHER_CKAN_URL", "PUBLISHER_CKAN_TOKEN", "PUBLISHER_CKAN_TOKEN_FILE",
                 "PUBLISHER_CKAN_ACCESS_LOG", "PUBLISHER_CKAN_VENV", "PUBLISHER_SOLR_LIB")


def suite_portal_env(environ: dict[str, str]) -> dict[str, str]:
    """The PUBLISHER_* settings of the suite's portal: tests/test-portal.env, each overridable."""
    settings = {}
    for line in TEST_PORTAL.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            settings[f"PUBLISHER_{key.strip()}"] = environ.get(f"PUBLISHER_TEST_{key.strip()}", value.strip())
    settings["PUBLISHER_STACK_DIR"] = str((ROOT / settings["PUBLISHER_STACK_DIR"]).resolve())
    return settings


def pytest_configure(config) -> None:
    """Point everything the suite runs (and every subprocess) at its own portal, and name the
    person's portal, default or configured, as protected."""
    person = dict(os.environ)
    protected_states = [str(ROOT / ".stack")] + [person[k] for k in ("PUBLISHER_STACK_DIR",) if person.get(k)]
    protected_ports = [person[f"PUBLISHER_{k}"] for k in PORT_KEYS if person.get(f"PUBLISHER_{k}")]
    for key in NOT_INHERITED:
        os.environ.pop(key, None)
    os.environ.update(suite_portal_env(person))
    os.environ[TEST_RUN] = "1"
    os.environ[PROTECTED_STATE] = os.pathsep.join(protected_states)
    os.environ[PROTECTED_PORTS] = ",".join(protected_ports)
    # the person's CKAN venv and Solr jars are shared, read-only, when they are current
    theirs = Stack.from_env({k: v for k, v in person.items() if k == "PUBLISHER_STACK_DIR"})
    if ckan_venv_current(theirs):
        os.environ["PUBLISHER_CKAN_VENV"] = str(theirs.venv)
    if solr_jars_current(theirs):
        os.environ["PUBLISHER_SOLR_LIB"] = str(theirs.solr_lib)


def pytest_sessionfinish(session, exitstatus) -> None:
    if os.environ.get("PUBLISHER_KEEP_TEST_PORTAL") or not _started:
        return
    subprocess.run([sys.executable, "-m", "publisher", "ckan", "down"], capture_output=True, cwd=ROOT,
                   env=os.environ.copy(), timeout=300)


_started: list[bool] = []


def publisher(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the installed CLI exactly as a person or cron would."""
    result = subprocess.run([sys.executable, "-m", "publisher", *args], capture_output=True, text=True,
                            cwd=ROOT, env=os.environ.copy(), timeout=900)
    if check and result.returncode != 0:
        raise AssertionError(f"publisher {' '.join(args)} exited {result.returncode}:\n"
                             f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


@pytest.fixture(scope="session", autouse=True)
def private_var(tmp_path_factory) -> Path:
    """What sync and the job write (validated record, lock, run log) goes to a folder of the
    session, for this process and every command it starts; never the project's var/."""
    folder = tmp_path_factory.mktemp("var")
    os.environ["PUBLISHER_VAR_DIR"] = str(folder)
    return folder


@pytest.fixture(scope="session")
def stack() -> Stack:
    _started.append(True)
    report = json.loads(publisher("ckan", "up", "--json").stdout)
    assert report["ready"], report
    the_stack = Stack.from_env()
    assert the_stack.state == Path(os.environ["PUBLISHER_STACK_DIR"]) != (ROOT / ".stack").resolve()
    return the_stack


@pytest.fixture
def portal(stack: Stack) -> Portal:
    # read per test: a reset issues a new token
    return Portal(stack.ckan_url, read_token(env={}, default_file=stack.token_file))


@pytest.fixture
def ckan(portal: Portal):
    return portal.client()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture
def organization(ckan, unique) -> dict:
    return ckan.action.organization_create(
        name=f"org-{unique}",
        title="สำนักงานคณะกรรมการพัฒนาระบบราชการ (ทดสอบ)",
        description="Office of the Public Sector Development Commission (test)",
    )


def complete_dataset(org: dict, name: str) -> dict:
    """A dataset with every mandatory GD-Catalog element, in the exact Thai vocabulary strings."""
    return {
        "name": name,
        "owner_org": org["id"],
        "data_type": "ข้อมูลสถิติ",
        "title": f"จำนวนงานบริการ อิเล็กทรอนิกส์ ของภาครัฐ ปีงบประมาณ 2564 ({name})",
        "maintainer": "กองพัฒนาระบบราชการ",
        "maintainer_email": "opendata@portal.invalid",
        "tag_string": "รัฐบาลดิจิทัล,e-Service",
        "notes": "จำนวนงานบริการภาครัฐที่ให้บริการผ่านช่องทางอิเล็กทรอนิกส์ (test data)",
        "objective": ["ยุทธศาสตร์ชาติ", "แผนแม่บทภายใต้ยุทธศาสตร์ชาติ"],
        "update_frequency_unit": "ปี",
        "update_frequency_interval": "1",
        "geo_coverage": "ประเทศ",
        "data_source": "รายงานการพัฒนาระบบราชการ ประจำปี 2564",
        "data_format": ["CSV"],
        "data_category": "ข้อมูลสาธารณะ",
        "license_id": "Creative Commons Attributions",
        "accessible_condition": "ไม่มี",
        "data_language": ["ไทย"],
        "first_year_of_data": "2564",
        "last_year_of_data": "2564",
        "unit_of_measure": "งานบริการ",
        "unit_of_multiplier": "หน่วย",
        "last_updated_date": "2021-09-30",
    }
