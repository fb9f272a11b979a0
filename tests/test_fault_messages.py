"""Messages after faults say what happened and what to do: CKAN's HTML error page (PostgreSQL
down) is never shown raw, and a DataStore load refused as duplicate after a failed attempt does
not read as if the data held duplicates. The PostgreSQL case runs against the real portal with
its database stopped, then started again."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys

import pytest

from publisher.catalog.faults import explain_failure, explain_refusal
from publisher.stack.supervisor import components
from tests.conftest import ROOT
from tests.hostile.cases import VALID

# CKAN's answer with its database down, as gunicorn serves it
CKAN_ERROR_PAGE = ("<!DOCTYPE html>\n<html lang=\"th\"><head><title>Internal Server Error</title></head><body>"
                   "<h1>Internal Server Error</h1><p>The server encountered an internal error</p></body></html>")
# the DataStore's refusal of a load retried after its first attempt failed part-way
DUPLICATE = {"constraints": ["Cannot insert records or create index because of uniqueness constraint"],
             "info": {"orig": "duplicate key value violates unique constraint \"abc_pkey\"\nDETAIL:  Key (code)=(TH-10) "
                              "already exists.\n", "pgcode": "23505"}}


def test_an_html_error_page_becomes_a_sentence_naming_what_to_check():
    message = explain_failure("package_create", 500, CKAN_ERROR_PAGE)
    assert "<" not in message and "Internal Server Error" in message
    assert "publisher ckan status" in message and "package_create" in message


def test_a_retried_load_refused_as_duplicate_does_not_blame_the_data():
    for message in (explain_refusal(DUPLICATE), explain_failure("datastore_create", 409, json.dumps(DUPLICATE))):
        assert "earlier attempt" in message and "no duplicate key" in message
        assert "publisher ckan status" in message


def test_another_refusal_is_quoted_as_the_portal_gave_it():
    assert explain_refusal({"name": ["That URL is already in use."]}) == \
        "the portal refused it: {'name': ['That URL is already in use.']}"


@pytest.mark.portal
def test_with_postgresql_down_sync_says_what_failed_without_the_html_page(stack, portal, unique, tmp_path):
    shutil.copytree(VALID, tmp_path / "packages" / "validator-base")
    postgres = components(stack)[0]   # SIGINT: PostgreSQL's fast shutdown, which does not wait for CKAN's connections
    pid = postgres.pid()
    assert pid is not None
    subprocess.run(["kill", f"-{signal.SIGINT.value}", str(pid)], check=True)
    try:
        run = subprocess.run([sys.executable, "-m", "publisher", "sync", "--packages", str(tmp_path / "packages"),
                              "--catalog", f"faults-{unique}", "--revalidate", "--json"],
                             capture_output=True, text=True, cwd=ROOT, timeout=600)
    finally:
        up = subprocess.run([sys.executable, "-m", "publisher", "ckan", "up", "--json"], capture_output=True,
                            text=True, cwd=ROOT, timeout=900)
    assert json.loads(up.stdout)["ready"], up.stderr[-2000:]
    assert run.returncode == 2, run.stdout[-2000:] + run.stderr[-2000:]
    output = run.stdout + run.stderr
    assert "<html" not in output.lower() and "<!doctype" not in output.lower()
    assert "publisher ckan status" in output
    assert portal.token not in output
