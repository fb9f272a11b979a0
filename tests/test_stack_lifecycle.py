"""`publisher ckan up|down|status|reset` against the real stack: idempotent, no strays, empty after reset."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from publisher.catalog.client import Portal, read_token
from tests.conftest import complete_dataset, publisher

pytestmark = pytest.mark.portal


def process_tree(pids: list[int]) -> set[int]:
    """The given pids and all their descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = set(), list(pids)
    while todo:
        pid = todo.pop()
        if pid not in tree:
            tree.add(pid)
            todo.extend(children.get(pid, []))
    return tree


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_second_up_is_a_no_op_and_down_leaves_no_stray_process(stack, ckan, organization, unique):
    kept = ckan.action.package_create(**complete_dataset(organization, f"kept-{unique}"))
    first = json.loads(publisher("ckan", "status", "--json").stdout)
    pids = [c["pid"] for c in first["components"]]
    assert all(pids), first

    again = json.loads(publisher("ckan", "up", "--json").stdout)
    assert again["changed"] is False
    assert [c["pid"] for c in again["components"]] == pids

    tree = process_tree(pids)
    assert len(tree) > len(pids)  # gunicorn workers, postgres backends: children are tracked too
    publisher("ckan", "down")
    assert [pid for pid in tree if alive(pid)] == []
    assert not any(port_open(p) for p in (stack.ckan_port, stack.solr_port, stack.postgres_port, stack.redis_port))
    strays = [p.parent.name for p in Path("/proc").glob("[0-9]*/cmdline")
              if str(stack.state).encode() in _read(p) and int(p.parent.name) != os.getpid()]
    assert strays == []
    stopped = publisher("ckan", "status", "--json", check=False)
    assert stopped.returncode == 1
    assert {c["state"] for c in json.loads(stopped.stdout)["components"]} == {"stopped"}

    back = json.loads(publisher("ckan", "up", "--json").stdout)
    assert back["ready"] and back["changed"] is True
    assert not set(c["pid"] for c in back["components"]) & set(pids)
    assert ckan.action.package_show(id=kept["id"])["name"] == kept["name"]  # data survives down/up


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def test_reset_gives_an_empty_portal_with_a_fresh_working_token(stack, ckan, organization, unique):
    ckan.action.package_create(**complete_dataset(organization, f"wiped-{unique}"))
    ckan.action.group_create(name=f"wiped-{unique}", title="หมวดทดสอบ", type="category07")
    old_token = read_token(env={}, default_file=stack.token_file)

    assert publisher("ckan", "reset", check=False).returncode == 2  # refuses without --yes off a terminal
    result = publisher("ckan", "reset", "--yes", "--json")
    report = json.loads(result.stdout)
    assert report["ready"] and report["datasets"] == 0

    new_token = read_token(env={}, default_file=stack.token_file)
    assert new_token and new_token != old_token
    # the token is written to its mode-600 file and nowhere else
    assert new_token not in result.stdout + result.stderr
    assert [log.name for log in stack.logs.glob("*.log") if new_token in log.read_text(errors="replace")] == []
    assert oct(stack.token_file.stat().st_mode & 0o777) == "0o600"
    fresh = Portal(stack.ckan_url, new_token).client()
    assert fresh.action.package_search(include_private=True, include_drafts=True)["count"] == 0
    assert fresh.action.organization_list() == []
    assert fresh.action.group_list(type="category07") == []
    assert fresh.action.user_show(id="publisher")["sysadmin"] is True
