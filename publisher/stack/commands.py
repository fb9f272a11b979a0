"""The commands on the whole local portal: status, up, down, reset and reindex."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from typing import Callable

from publisher.stack.central import (Central, central_datasets, central_row, down_central, reset_central,
                                     up_central, wipe_central)
from publisher.stack.ckan import (bootstrap_ckan, ckan_restart_needed, ckan_status, configure_ckan,
                                  search_round_trip, start_ckan)
from publisher.stack.install import ensure_ckan_venv, ensure_solr_jars, ensure_system_packages, run_logged
from publisher.stack.postgres import start_postgres
from publisher.stack.redis import redis_ping, start_redis
from publisher.stack.solr import reindex_if_schema_changed, solr_ping, solr_refresh_needed, start_solr
from publisher.stack.guard import refuse_protected_stack
from publisher.stack.supervisor import Say, Stack, StackError, components, stop, tcp_open


def healthy(stack: Stack, name: str) -> bool:
    if name == "postgres":
        return tcp_open(stack.postgres_port)
    if name == "redis":
        return redis_ping(stack.redis_port)
    if name == "solr":
        return solr_ping(stack)
    return ckan_status(stack) is not None and search_round_trip(stack) is not None


def status(stack: Stack) -> dict:
    rows = []
    for comp in components(stack):
        pid = comp.pid()
        rows.append({
            "component": comp.name,
            "state": ("running" if healthy(stack, comp.name) else "unhealthy") if pid else "stopped",
            "pid": pid,
            "address": comp.address,
            "log": str(comp.log),
        })
    ckan = ckan_status(stack)
    return {
        "state_dir": str(stack.state),
        "ckan_url": stack.ckan_url,
        "ckan_version": ckan.get("ckan_version") if ckan else None,
        "datasets": search_round_trip(stack) if ckan else None,
        "token_file": str(stack.token_file) if stack.token_file.exists() else None,
        "solr_soft_commit_ms": stack.solr_soft_commit_ms,      # 0: CKAN commits search on every write
        "components": rows,
        "ready": all(r["state"] == "running" for r in rows),
        **_central_status(stack),
    }


def _central_status(stack: Stack) -> dict:
    """The central catalog site, when it was ever set up; it does not count towards `ready`."""
    row = central_row(Central(stack))
    if row is None:
        return {}
    return {"central": {**row, "url": Central(stack).url,
                        "datasets": central_datasets(Central(stack)) if row["state"] == "running" else None}}


@dataclass
class Timings:
    steps: dict[str, float] = field(default_factory=dict)

    def measure(self, name: str, fn: Callable[[], object]) -> object:
        start = time.monotonic()
        try:
            return fn()
        finally:
            self.steps[name] = round(time.monotonic() - start, 2)


def up(stack: Stack, say: Say = lambda _: None, central: bool = False) -> dict:
    """Bring every component up (and the central catalog site when asked); a no-op when all
    already answer. Idempotent."""
    refuse_protected_stack(stack, "start")
    timings = Timings()
    current = status(stack)
    if current["ready"] and not solr_refresh_needed(stack) and not ckan_restart_needed(stack):
        if central:
            timings.measure("central", lambda: up_central(stack, say))
            return {"changed": True, "timings": timings.steps, **status(stack)}
        return {"changed": False, "timings": timings.steps, **current}
    for path in (stack.state, stack.logs, stack.run):
        path.mkdir(parents=True, exist_ok=True)
    timings.measure("system packages", lambda: ensure_system_packages(say))
    timings.measure("ckan venv", lambda: ensure_ckan_venv(stack, say))
    timings.measure("solr jars", lambda: ensure_solr_jars(stack, say))
    timings.measure("ckan config", lambda: configure_ckan(stack, say))
    if ckan_restart_needed(stack):
        say("CKAN's packages, settings or extension changed; restarting ckan")
        stop(components(stack)[3], say)
    for comp, start in zip(components(stack), (start_postgres, start_redis, start_solr)):
        say(f"starting {comp.name}")
        timings.measure(comp.name, lambda start=start: start(stack, say))
    if components(stack)[3].pid() is None:
        say("preparing the CKAN database")
        timings.measure("ckan bootstrap", lambda: bootstrap_ckan(stack, say))
    say("starting ckan")
    timings.measure("ckan", lambda: start_ckan(stack, say))
    timings.measure("search index", lambda: reindex_if_schema_changed(stack, say))
    if central or components(stack)[3].pid() and Central(stack).component().pid():
        timings.measure("central", lambda: up_central(stack, say))
    return {"changed": True, "timings": timings.steps, **status(stack)}


def down(stack: Stack, say: Say = lambda _: None) -> dict:
    refuse_protected_stack(stack, "stop")
    down_central(stack, say)
    for comp in reversed(components(stack)):
        stop(comp, say)
    return status(stack)


def reset(stack: Stack, say: Say = lambda _: None, central: bool = False) -> dict:
    """Stop, wipe every database, index, upload and secret, and start an empty portal; with
    central, only the central catalog site is emptied and started again."""
    refuse_protected_stack(stack, "reset")
    if central:
        if not healthy(stack, "postgres") or not healthy(stack, "solr"):
            raise StackError("reset --central needs the portal running (publisher ckan up)")
        reset_central(stack, say)
        up_central(stack, say)
        return {"changed": True, **status(stack)}
    down(stack, say)
    wipe_central(stack, say)
    say(f"wiping portal data under {stack.state}")
    for path in stack.data_paths():
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    return up(stack, say)


def reindex(stack: Stack, say: Say = lambda _: None) -> dict:
    """Rebuild the search index from the database, dropping entries of datasets that do not
    exist: a server killed in the middle of a create can leave such an entry behind."""
    refuse_protected_stack(stack, "re-index")
    if not healthy(stack, "solr") or not healthy(stack, "postgres"):
        raise StackError("reindex needs the portal running (publisher ckan up)")
    say("rebuilding the search index from the database")
    run_logged([stack.ckan_bin("ckan"), "search-index", "rebuild", "--clear", "--quiet"],
               stack.logs / "ckan-setup.log", "ckan search-index rebuild", env=stack.ckan_env())
    return status(stack)
