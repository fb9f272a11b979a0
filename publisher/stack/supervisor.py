"""The stack's settings and its process supervision: where the portal lives (``Stack``), which
servers it runs (``components``), and starting, waiting for and stopping one of them.

Processes are tracked by pid file and stopped by pid, never by name, and a pid counts only
while its command line still shows what we started (pid reuse).
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from publisher.settings import ROOT, SHIPPED


Say = Callable[[str], None]


class StackError(RuntimeError):
    """A component failed; the message names it and where its log is."""


@dataclass(frozen=True)
class Stack:
    """Where the local portal lives and which loopback ports it uses."""

    state: Path
    ckan_port: int = 5000
    solr_port: int = 8983
    postgres_port: int = 5433
    redis_port: int = 6380
    # the central catalog site (publisher/stack/central.py); 0: the CKAN port + 2000
    central_port: int = 0
    root: Path = SHIPPED      # the project's stack/ and schemas/ the portal is built from
    access_log: Path | None = None  # CKAN's request log; None: logs/ckan-access.log
    # CKAN's venv and the Solr jars are slow to install and never written by a running portal, so a
    # second portal (the tests') may use the first one's; None: under `state`
    shared_venv: Path | None = None
    shared_solr_lib: Path | None = None
    # 0: CKAN commits the search index on every write (each dataset is searchable as soon as the
    # write returns); N > 0: CKAN leaves commits to Solr, which makes writes visible every N ms
    # (a soft commit), as a busy portal is often run. A read right after a write may then lag.
    solr_soft_commit_ms: int = 0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Stack":
        env = os.environ if env is None else env
        state = Path(env.get("PUBLISHER_STACK_DIR", ROOT / ".stack")).resolve()
        ports = {
            name: int(env[f"PUBLISHER_{name.upper()}"])
            for name in ("ckan_port", "solr_port", "postgres_port", "redis_port", "central_port",
                         "solr_soft_commit_ms")
            if env.get(f"PUBLISHER_{name.upper()}")
        }
        paths = {name: Path(env[variable]).resolve() for name, variable in
                 (("access_log", "PUBLISHER_CKAN_ACCESS_LOG"), ("shared_venv", "PUBLISHER_CKAN_VENV"),
                  ("shared_solr_lib", "PUBLISHER_SOLR_LIB")) if env.get(variable)}
        return cls(state=state, **paths, **ports)

    def __post_init__(self) -> None:
        if not self.central_port:
            object.__setattr__(self, "central_port", self.ckan_port + 2000)

    def ports(self) -> dict[str, int]:
        return {"ckan": self.ckan_port, "solr": self.solr_port, "postgres": self.postgres_port,
                "redis": self.redis_port, "central": self.central_port}

    # --- layout -------------------------------------------------------------------
    venv = property(lambda s: s.shared_venv or s.state / "ckan-venv")
    solr_lib = property(lambda s: s.shared_solr_lib or s.state / "solr-lib")
    pgdata = property(lambda s: s.state / "postgres")
    pg_socket = property(lambda s: s.state / "run" / "pgsocket")
    redis_dir = property(lambda s: s.state / "redis")
    solr_home = property(lambda s: s.state / "solr")
    storage = property(lambda s: s.state / "storage")
    logs = property(lambda s: s.state / "logs")
    run = property(lambda s: s.state / "run")
    secrets = property(lambda s: s.state / "secrets")
    ckan_ini = property(lambda s: s.state / "ckan.ini")
    ckan_access_log = property(lambda s: s.access_log or s.logs / "ckan-access.log")
    group_schemas = property(lambda s: s.state / "group-schemas")
    token_file = property(lambda s: s.state / "secrets" / "ckan-api-token")
    ckan_url = property(lambda s: f"http://127.0.0.1:{s.ckan_port}")
    solr_url = property(lambda s: f"http://127.0.0.1:{s.solr_port}/solr/ckan")

    def ckan_bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)

    def ckan_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        env["CKAN_INI"] = str(self.ckan_ini)
        env["PATH"] = f"{self.venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"
        return env

    # The data a reset wipes; the venv and the Solr jars stay (they are slow to fetch).
    def data_paths(self) -> list[Path]:
        return [self.pgdata, self.redis_dir, self.solr_home, self.storage, self.run,
                self.secrets, self.ckan_ini, self.group_schemas, self.state / "markers"]


@dataclass(frozen=True)
class Component:
    """One server process: how to find its pid, what its command line contains, its log."""

    name: str
    pid_file: Path
    cmdline_mark: str
    log: Path
    address: str

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if _is_ours(pid, self.cmdline_mark) else None


def components(stack: Stack) -> list[Component]:
    """In start order; stopped in reverse."""
    return [
        Component("postgres", stack.pgdata / "postmaster.pid", "postgres",
                  stack.logs / "postgres.log", f"127.0.0.1:{stack.postgres_port}"),
        Component("redis", stack.run / "redis.pid", "redis-server",
                  stack.logs / "redis.log", f"127.0.0.1:{stack.redis_port}"),
        Component("solr", stack.run / "solr.pid", "CkanSolr",
                  stack.logs / "solr.log", stack.solr_url),
        Component("ckan", stack.run / "ckan.pid", "gunicorn",
                  stack.logs / "ckan.log", stack.ckan_url),
    ]


def _is_ours(pid: int, mark: str) -> bool:
    """Alive, not a zombie, and running what we started (guards against pid reuse)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    state = stat.rsplit(")", 1)[1].split()[0]
    return state not in ("Z", "X") and mark in cmdline


# --- health checks shared by the components -----------------------------------------

def tcp_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def get_json(url: str, timeout: float = 5, auth: tuple[str, str] | None = None) -> dict | None:
    """The JSON a URL answers, or None; ``auth``: (user, password) for HTTP basic authentication."""
    request = urllib.request.Request(url)
    if auth:
        pair = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {pair}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response)
    except (OSError, ValueError, urllib.error.URLError):
        return None


# --- process control -----------------------------------------------------------------

def spawn(cmd: list[str], comp: Component, env: dict[str, str] | None = None,
          cwd: Path | None = None) -> subprocess.Popen:
    comp.log.parent.mkdir(parents=True, exist_ok=True)
    comp.pid_file.parent.mkdir(parents=True, exist_ok=True)
    with open(comp.log, "ab") as log:
        process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env=env, cwd=cwd, start_new_session=True)
    comp.pid_file.write_text(f"{process.pid}\n")
    return process


def wait(check: Callable[[], bool], seconds: float, comp: Component, what: str,
         alive: Callable[[], bool] | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        if alive is not None and not alive():
            raise StackError(f"{comp.name}: process exited while {what}; see {comp.log}")
        time.sleep(0.25)
    raise StackError(f"{comp.name}: not ready after {seconds:.0f} s ({what}); see {comp.log}")


def stop(comp: Component, say: Say, timeout: float = 30) -> None:
    pid = comp.pid()
    if pid is None:
        return
    say(f"stopping {comp.name} (pid {pid})")
    # postgres: SIGINT is its "fast" shutdown; the others stop cleanly on SIGTERM
    os.kill(pid, signal.SIGINT if comp.name == "postgres" else signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _is_ours(pid, comp.cmdline_mark):
        time.sleep(0.1)
    if _is_ours(pid, comp.cmdline_mark):
        say(f"{comp.name} did not stop in {timeout:.0f} s; killing pid {pid}")
        # each server leads its own session (start_new_session / daemonize), so its group goes too
        os.kill(pid, signal.SIGKILL) if comp.name == "postgres" else os.killpg(pid, signal.SIGKILL)
    if comp.name != "postgres":  # postmaster.pid is PostgreSQL's own; it removes it
        comp.pid_file.unlink(missing_ok=True)
