"""Fixtures: the real local portal, started once per test session with the project's own CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from publisher.catalog.client import Portal, read_token
from publisher.stack.supervisor import Stack

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"


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
    report = json.loads(publisher("ckan", "up", "--json").stdout)
    assert report["ready"], report
    return Stack.from_env()


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
