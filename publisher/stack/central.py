"""The central catalog site: a second CKAN 2.11 that harvests the local portal the way the
Government Data Catalog (GD-Catalog) harvests an agency portal.

It shares the portal's PostgreSQL (databases ckan_central and datastore_central), Solr (core
``central``), Redis (database 1) and CKAN venv, has its own port, settings, uploads, sysadmin
and token under <stack>/central/, and runs unmodified ckanext-harvest and ckanext-dcat
harvesters. Harvest jobs run synchronously (gather, fetch and import in one process, as
ckanext-harvest's ``harvester run-test`` does), so no queue consumer is ever started.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from publisher.stack.ckan import ACCESS_LOG_FORMAT, ckan_inputs_digest, datasets_at, render_settings, status_at
from publisher.stack.install import run_logged
from publisher.stack.postgres import psql
from publisher.stack.solr import CENTRAL_CORE, solr_credentials
from publisher.stack.supervisor import Component, Say, Stack, StackError, spawn, stop, wait

# the harvest sources the central site keeps for the portal, by kind; see stack/ckan/harvest.py
HARVEST_KINDS = ("ckan", "dcat")


@dataclass(frozen=True)
class Central:
    """Where the central site lives, derived from the portal's Stack."""

    stack: Stack

    state = property(lambda s: s.stack.state / "central")
    port = property(lambda s: s.stack.central_port)
    url = property(lambda s: f"http://127.0.0.1:{s.port}")
    ini = property(lambda s: s.state / "ckan.ini")
    storage = property(lambda s: s.state / "storage")
    secrets = property(lambda s: s.state / "secrets")
    token_file = property(lambda s: s.state / "secrets" / "ckan-api-token")
    markers = property(lambda s: s.state / "markers")
    setup_log = property(lambda s: s.stack.logs / "central-setup.log")

    def component(self) -> Component:
        return Component("central", self.stack.run / "central.pid", "ckan-central",
                         self.stack.logs / "central.log", self.url)

    def env(self) -> dict[str, str]:
        env = self.stack.ckan_env()
        env["CKAN_INI"] = str(self.ini)
        return env


def central_status(central: Central) -> dict | None:
    return status_at(central.url)


def central_datasets(central: Central) -> int | None:
    return datasets_at(central.url)


def central_row(central: Central) -> dict | None:
    """The central site's line of `ckan status`; None while it was never set up."""
    if not central.state.exists():
        return None
    comp = central.component()
    pid = comp.pid()
    answers = pid is not None and central_status(central) is not None
    return {"component": comp.name, "state": ("running" if answers else "unhealthy") if pid else "stopped",
            "pid": pid, "address": comp.address, "log": str(comp.log)}


def _settings(central: Central) -> dict[str, str]:
    return render_settings(central.stack, "central.ini.in", central_port=central.port, central_state=central.state)


def _databases(central: Central) -> None:
    psql(central.stack, """
        SELECT 'CREATE DATABASE ckan_central OWNER ckan_default ENCODING ''UTF8''' WHERE NOT EXISTS
            (SELECT FROM pg_database WHERE datname = 'ckan_central') \\gexec
        SELECT 'CREATE DATABASE datastore_central OWNER ckan_default ENCODING ''UTF8''' WHERE NOT EXISTS
            (SELECT FROM pg_database WHERE datname = 'datastore_central') \\gexec
    """)


def _configure(central: Central) -> bool:
    """Write the site's ckan.ini; True when its settings changed."""
    stack = central.stack
    central.state.mkdir(parents=True, exist_ok=True)
    if not central.ini.exists():
        run_logged([stack.ckan_bin("ckan"), "generate", "config", str(central.ini)], central.setup_log,
                   "central: ckan generate config", env=central.env())
        os.chmod(central.ini, 0o600)
    settings = _settings(central)
    marker = central.markers / "settings.sha256"
    wanted = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()
    if marker.exists() and marker.read_text() == wanted:
        return False
    run_logged([stack.ckan_bin("ckan"), "config-tool", str(central.ini),
                *(f"{key}={value}" for key, value in settings.items())],
               central.setup_log, "central: ckan config-tool", env=central.env())
    central.storage.mkdir(parents=True, exist_ok=True)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(wanted)
    return True


def _bootstrap(central: Central) -> None:
    """Migrate CKAN's and ckanext-harvest's tables, the sysadmin and its token, datastore rights."""
    stack = central.stack
    env = central.env()
    central.secrets.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(central.setup_log, "ab") as out:
        result = subprocess.run([stack.ckan_bin("python"), str(stack.root / "stack" / "ckan" / "bootstrap.py"),
                                 str(central.secrets)], env=env, stdout=out, stderr=out)
    if result.returncode != 0:
        raise StackError(f"central: database set-up failed; see {central.setup_log}")
    marker = central.markers / "harvest-tables"
    if not marker.exists():
        run_logged([stack.ckan_bin("ckan"), "db", "upgrade", "-p", "harvest"], central.setup_log,
                   "central: ckan db upgrade -p harvest", env=env)
        sql = subprocess.run([stack.ckan_bin("ckan"), "datastore", "set-permissions"], env=env,
                             capture_output=True, text=True)
        if sql.returncode != 0:
            raise StackError(f"central: datastore set-permissions failed: {sql.stderr.strip()[-500:]}")
        psql(stack, sql.stdout)
        marker.write_text("done\n")


def _started_with(central: Central) -> Path:
    return central.stack.run / "central.inputs.sha256"


def _inputs(central: Central) -> str:
    ini = (central.stack.root / "stack" / "ckan" / "central.ini.in").read_bytes()
    return hashlib.sha256(ckan_inputs_digest(central.stack).encode() + ini).hexdigest()


def up_central(stack: Stack, say: Say) -> None:
    """Start the central site beside a running portal; a no-op while it answers unchanged."""
    central = Central(stack)
    comp = central.component()
    changed = _configure(central)
    recorded = _started_with(central)
    if comp.pid() is not None and (changed or not recorded.exists() or recorded.read_text() != _inputs(central)):
        say("the central site's packages or settings changed; restarting it")
        stop(comp, say)
    if comp.pid() is not None and central_status(central) is not None:
        return
    _databases(central)
    say("preparing the central catalog's database")
    _bootstrap(central)
    say("starting the central catalog site")
    recorded.write_text(_inputs(central))
    cmd = [stack.ckan_bin("gunicorn"), "--bind", f"127.0.0.1:{central.port}", "--workers", "2",
           "--threads", "4", "--timeout", "300", "--graceful-timeout", "10",
           "--pythonpath", str(stack.root / "stack" / "ckan"),
           "--access-logfile", str(stack.logs / "central-access.log"), "--access-logformat", ACCESS_LOG_FORMAT,
           "--name", "ckan-central", "wsgi:application"]
    process = spawn(cmd, comp, env=central.env(), cwd=central.state)
    wait(lambda: central_status(central) is not None, 120, comp, "waiting for status_show",
         alive=lambda: process.poll() is None)
    if central_datasets(central) is None:
        raise StackError(f"central: status_show answers but package_search does not; see {comp.log}")


def down_central(stack: Stack, say: Say) -> None:
    stop(Central(stack).component(), say)


def wipe_central(stack: Stack, say: Say) -> None:
    """Its settings, uploads and secrets; its databases and core go with the portal's."""
    central = Central(stack)
    if central.state.exists():
        say(f"wiping the central site under {central.state}")
        shutil.rmtree(central.state)


def reset_central(stack: Stack, say: Say) -> None:
    """An empty central site: stopped, its databases dropped, its core emptied, its state wiped.
    Up again with up_central; the portal itself is left as it is."""
    down_central(stack, say)
    say("dropping the central site's databases and emptying its search core")
    psql(stack, "DROP DATABASE IF EXISTS ckan_central WITH (FORCE);\n"
                "DROP DATABASE IF EXISTS datastore_central WITH (FORCE);")
    request = urllib.request.Request(
        f"http://127.0.0.1:{stack.solr_port}/solr/{CENTRAL_CORE}/update?commit=true",
        data=b"<delete><query>*:*</query></delete>",
        headers={"Content-Type": "text/xml", "Authorization": "Basic " + base64.b64encode(
            ":".join(solr_credentials(stack)).encode()).decode()})
    try:
        urllib.request.urlopen(request, timeout=30).close()
    except OSError as exc:
        raise StackError(f"central: emptying the Solr core {CENTRAL_CORE!r} failed: {exc}") from exc
    wipe_central(stack, say)


def harvest(stack: Stack, kind: str, say: Say) -> dict:
    """One synchronous harvest of the portal into the central site: what its job did, by count."""
    if kind not in HARVEST_KINDS:
        raise StackError(f"harvest: unknown kind {kind!r}; one of {', '.join(HARVEST_KINDS)}")
    central = Central(stack)
    if central_status(central) is None:
        raise StackError("harvest needs the central site running (publisher ckan up --central)")
    say(f"harvesting {stack.ckan_url} into {central.url} ({kind})")
    result = subprocess.run([stack.ckan_bin("python"), str(stack.root / "stack" / "ckan" / "harvest.py"),
                             kind, stack.ckan_url], env=central.env(), capture_output=True, text=True)
    with open(stack.logs / "central-harvest.log", "a", encoding="utf-8") as log:
        log.write(result.stderr)
    if result.returncode != 0:
        raise StackError(f"harvest ({kind}) failed; see {stack.logs / 'central-harvest.log'}")
    return json.loads(result.stdout.strip().splitlines()[-1])
