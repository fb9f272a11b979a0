"""The local portal's posture: every socket it listens on is on 127.0.0.1, its secrets are
readable by their owner only, Solr answers nobody without the stack's credentials, and the API
token is in no log, run log, plan, --json output or process list."""

from __future__ import annotations

import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from publisher.stack.solr import solr_credentials
from publisher.stack.supervisor import components
from tests.conftest import ROOT

pytestmark = pytest.mark.portal
LOOPBACK = ("127.0.0.1", "[::ffff:127.0.0.1]", "::ffff:127.0.0.1", "[::1]")


def descendants(pids: set[int]) -> set[int]:
    """The pids and every process below them (gunicorn's workers, postgres's backends)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, grew = set(pids), True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in found} - found
        found |= more
        grew = bool(more)
    return found


def test_every_listening_socket_of_the_stack_is_on_loopback(stack):
    pids = descendants({pid for c in components(stack) if (pid := c.pid()) is not None})
    assert len(pids) >= 4
    listening = subprocess.run(["ss", "-H", "-l", "-t", "-u", "-n", "-p"], capture_output=True, text=True,
                               check=True).stdout.splitlines()
    ours = []
    for line in listening:
        owners = {int(p) for p in re.findall(r"pid=(\d+)", line)}
        if owners & pids:
            local = line.split()[4]
            ours.append(local)
            assert local.rsplit(":", 1)[0] in LOOPBACK, line
    ports = {int(local.rsplit(":", 1)[1]) for local in ours}
    assert {stack.ckan_port, stack.solr_port, stack.postgres_port, stack.redis_port} <= ports, ours


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_secrets_are_readable_by_their_owner_only(stack):
    assert mode(stack.secrets) == 0o700
    files = sorted(stack.secrets.iterdir())
    assert {f.name for f in files} >= {"ckan-api-token", "db-password", "solr-password"}
    for path in files + [stack.ckan_ini, stack.solr_home / "security.json"]:
        assert mode(path) == 0o600, path


def test_solr_refuses_anonymous_select_and_update(stack):
    select = requests.get(f"{stack.solr_url}/select", params={"q": "*:*", "rows": 1}, timeout=30)
    update = requests.post(f"{stack.solr_url}/update", params={"commit": "true"},
                           json={"add": {"doc": {"id": "anonymous-write"}}}, timeout=30)
    wrong = requests.get(f"{stack.solr_url}/select", params={"q": "*:*"}, auth=("ckan", "wrong"), timeout=30)
    assert (select.status_code, update.status_code, wrong.status_code) == (401, 401, 401)
    assert "anonymous-write" not in select.text
    allowed = requests.get(f"{stack.solr_url}/select", params={"q": "id:anonymous-write"},
                           auth=solr_credentials(stack), timeout=30)
    assert allowed.status_code == 200 and allowed.json()["response"]["numFound"] == 0


def test_the_token_is_in_no_output_log_run_log_or_process_list(stack, portal):
    token = portal.token
    assert token
    commands = [["plan", "--json"], ["sync", "--dry-run", "--json"], ["validate", "--json"],
                ["ckan", "status", "--json"]]
    seen_processes = []
    for args in commands:
        process = subprocess.Popen([sys.executable, "-m", "publisher", *args], cwd=ROOT, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        while process.poll() is None:
            seen_processes.append(subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout)
            time.sleep(0.2)
        out, err = process.communicate(timeout=600)
        assert process.returncode in (0, 1), (args, err[-2000:])
        assert token not in out + err, args
    assert seen_processes and not any(token in listing for listing in seen_processes)
    logs = [p for p in stack.logs.rglob("*") if p.is_file()]
    runs = [p for p in (ROOT / "var").glob("*") if p.is_file()] if (ROOT / "var").is_dir() else []
    assert logs
    for path in logs + runs:
        assert token.encode() not in path.read_bytes(), path
