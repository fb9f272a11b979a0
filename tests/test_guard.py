"""The suite never touches the portal a person publishes to: its own portal, and a guard that
refuses (exit 2) any start, stop, reset, re-index or request aimed at a protected one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from publisher.catalog.client import portal_for
from publisher.stack.guard import (PROTECTED_PORTS, PROTECTED_STATE, TEST_RUN, ProtectedPortal,
                                   refuse_protected_stack, refuse_protected_url, refuse_protected_write)
from publisher.stack.supervisor import Stack

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_STATE = (ROOT / ".stack").resolve()


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "publisher", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=300)


@pytest.fixture
def theirs(tmp_path) -> dict[str, str]:
    """A person's portal somewhere else, named as protected: its folder holds a file that must survive."""
    state = tmp_path / "their-portal"
    (state / "secrets").mkdir(parents=True)
    (state / "secrets" / "ckan-api-token").write_text("their-token-that-must-stay")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUBLISHER_")}
    env.update({TEST_RUN: "1", PROTECTED_STATE: str(state), PROTECTED_PORTS: "5991,5992,5993,5994",
                "PUBLISHER_STACK_DIR": str(state), "PUBLISHER_CKAN_PORT": "5991", "PUBLISHER_SOLR_PORT": "5992",
                "PUBLISHER_POSTGRES_PORT": "5993", "PUBLISHER_REDIS_PORT": "5994"})
    return env


def test_the_suite_runs_on_a_portal_of_its_own():
    stack = Stack.from_env()
    assert os.environ[TEST_RUN] == "1"
    assert stack.state != DEFAULT_STATE and stack.state.name == ".stack-test"
    assert not set(stack.ports().values()) & {5000, 8983, 5433, 6380}
    assert DEFAULT_STATE in {Path(p) for p in os.environ[PROTECTED_STATE].split(os.pathsep)}
    # what could point a test elsewhere is not inherited
    assert "PUBLISHER_CKAN_URL" not in os.environ and "PUBLISHER_CKAN_TOKEN" not in os.environ


def test_the_default_portal_is_always_protected_in_a_test_run():
    env = {TEST_RUN: "1"}
    with pytest.raises(ProtectedPortal, match="state folder"):
        refuse_protected_stack(Stack.from_env({}), "reset", env)
    with pytest.raises(ProtectedPortal):
        refuse_protected_stack(Stack.from_env({"PUBLISHER_STACK_DIR": "/tmp/elsewhere"}), "reset", env)  # its ports
    for url in ("http://127.0.0.1:5000", "http://localhost:5000/", "http://127.0.0.1:8983/solr/ckan"):
        with pytest.raises(ProtectedPortal):
            refuse_protected_url(url, env)
    with pytest.raises(ProtectedPortal):
        refuse_protected_write(DEFAULT_STATE / "ckan-venv", "install CKAN", env)
    # outside a test run nothing is refused: the person's own commands work as ever
    refuse_protected_stack(Stack.from_env({}), "reset", {})
    refuse_protected_url("http://127.0.0.1:5000", {})
    # the suite's own portal is not protected
    refuse_protected_stack(Stack.from_env(), "reset")


def test_portal_for_refuses_a_protected_portal_before_any_request():
    with pytest.raises(ProtectedPortal):
        portal_for("http://127.0.0.1:5000")
    assert portal_for(None).url == Stack.from_env().ckan_url


@pytest.mark.parametrize("command", [("ckan", "reset", "--yes"), ("ckan", "up"), ("ckan", "down"),
                                     ("ckan", "reindex")])
def test_stack_commands_refuse_a_protected_portal(theirs, command):
    result = run(*command, "--json", env=theirs)
    assert result.returncode == 2, result.stderr
    assert json.loads(result.stdout)["ok"] is False
    assert "refused" in result.stderr
    state = Path(theirs["PUBLISHER_STACK_DIR"])
    assert (state / "secrets" / "ckan-api-token").read_text() == "their-token-that-must-stay"
    assert sorted(p.name for p in state.iterdir()) == ["secrets"]   # nothing created, nothing wiped


@pytest.mark.parametrize("command", [("plan",), ("sync",), ("validate", "--portal", "local")])
def test_catalog_commands_refuse_a_protected_portal(theirs, command):
    args = [*command, "--json"] if command[0] != "validate" else [*command, "datapackages/th-provinces"]
    result = run(*args, env=theirs)
    assert result.returncode == 2, result.stderr
    assert "refused" in result.stderr and "their-token-that-must-stay" not in result.stdout + result.stderr


def test_the_default_portal_refused_by_url_too(theirs):
    result = run("plan", "--portal", "http://127.0.0.1:5000", "--json", env=theirs)
    assert result.returncode == 2
    assert json.loads(result.stdout)["ok"] is False
