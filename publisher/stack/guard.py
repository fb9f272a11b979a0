"""A test run never touches the portal a person publishes to.

The test suite and the benchmark each run a portal of their own. They mark their environment
with ``PUBLISHER_TEST_RUN=1`` and may name more portals to keep away from
(``PUBLISHER_PROTECTED_STATE``: state folders, ``os.pathsep``-separated;
``PUBLISHER_PROTECTED_PORTS``: comma-separated ports). The default portal (the project's
``.stack`` and its four ports) is always protected. In such a run, starting, stopping, resetting
or re-indexing a protected portal, writing into its folder, or sending requests to one of its
ports is refused before anything happens.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from publisher.stack.supervisor import Stack, StackError

TEST_RUN = "PUBLISHER_TEST_RUN"
PROTECTED_STATE = "PUBLISHER_PROTECTED_STATE"
PROTECTED_PORTS = "PUBLISHER_PROTECTED_PORTS"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}


class ProtectedPortal(StackError):
    """What a test run asked for would touch a portal a person publishes to."""


def _env(env: dict[str, str] | None) -> dict[str, str]:
    return os.environ if env is None else env


def in_test_run(env: dict[str, str] | None = None) -> bool:
    return bool(_env(env).get(TEST_RUN))


def protected(env: dict[str, str] | None = None) -> tuple[set[Path], set[int]]:
    """The state folders and ports a test run must leave alone."""
    env = _env(env)
    default = Stack.from_env({})
    states = {default.state} | {Path(p).resolve() for p in env.get(PROTECTED_STATE, "").split(os.pathsep) if p}
    ports = set(default.ports().values()) | {int(p) for p in env.get(PROTECTED_PORTS, "").split(",")
                                             if p.strip().isdigit()}
    return states, ports


def _inside(path: Path, folders: set[Path]) -> Path | None:
    path = path.resolve()
    return next((f for f in folders if path == f or f in path.parents), None)


def refuse_protected_stack(stack: Stack, what: str, env: dict[str, str] | None = None) -> None:
    if not in_test_run(env):
        return
    states, ports = protected(env)
    clashes = [f"its state folder {stack.state}"] if _inside(stack.state, states) else []
    clashes += [f"{name} port {port}" for name, port in stack.ports().items() if port in ports]
    if clashes:
        raise ProtectedPortal(f"a test run may not {what} the portal a person publishes to "
                              f"({'; '.join(clashes)}); tests and benchmarks use a portal of their own "
                              f"(tests/test-portal.env)")


def refuse_protected_write(path: Path, what: str, env: dict[str, str] | None = None) -> None:
    """A shared, read-only piece (the CKAN venv, the Solr jars) that would have to be rewritten."""
    if not in_test_run(env):
        return
    folder = _inside(path, protected(env)[0])
    if folder is not None:
        raise ProtectedPortal(f"a test run may not {what} in {path}, which belongs to the portal under {folder}; "
                              f"run `make run` first to bring it up to date, or let the tests install their own")


def refuse_protected_url(url: str, env: dict[str, str] | None = None) -> None:
    if not in_test_run(env):
        return
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if (parts.hostname or "") in LOOPBACK and port in protected(env)[1]:
        raise ProtectedPortal(f"a test run may not talk to {url}: that port belongs to the portal a person "
                              f"publishes to; tests and benchmarks use a portal of their own (tests/test-portal.env)")
