"""CKAN 2.11 under gunicorn: its settings, its database set-up, its JavaScript translations, its
start, and the two API calls that say it answers (status_show, package_search).

CKAN runs in its own virtual environment; the publisher only ever talks to it over HTTP.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

from publisher.stack.install import run_logged
from publisher.stack.postgres import psql, secret
from publisher.stack.solr import solr_credentials
from publisher.stack.supervisor import Say, Stack, StackError, components, get_json, spawn, wait


def status_at(url: str) -> dict | None:
    """status_show of the CKAN site at ``url``; None while it does not answer."""
    answer = get_json(f"{url}/api/3/action/status_show")
    return answer["result"] if answer and answer.get("success") else None


def datasets_at(url: str) -> int | None:
    """Dataset count from package_search, which CKAN answers from Solr; None if it fails."""
    answer = get_json(f"{url}/api/3/action/package_search?rows=0&include_private=true")
    return answer["result"]["count"] if answer and answer.get("success") else None


def ckan_status(stack: Stack) -> dict | None:
    return status_at(stack.ckan_url)


def search_round_trip(stack: Stack) -> int | None:
    return datasets_at(stack.ckan_url)


def _settings(stack: Stack) -> dict[str, str]:
    return render_settings(stack, "ckan.ini.in", ckan_port=stack.ckan_port, state=stack.state,
                           solr_commit="false" if stack.solr_soft_commit_ms > 0 else "true")


def render_settings(stack: Stack, template_name: str, **site: object) -> dict[str, str]:
    """A site's settings from its template under stack/ckan/: the stack's shared services and
    secrets, plus what is the site's own (``site``: its port, its state folder)."""
    template = (stack.root / "stack" / "ckan" / template_name).read_text(encoding="utf-8")
    values = {
        "solr_port": stack.solr_port, "redis_port": stack.redis_port, "postgres_port": stack.postgres_port,
        "schemas": stack.root / "schemas", "db_password": secret(stack, "db-password"),
        "solr_user": solr_credentials(stack)[0], "solr_password": solr_credentials(stack)[1],
        "group_schemas": group_schema_urls(stack), **site,
    }
    settings = {}
    for line in template.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            settings[key.strip()] = value.strip().format(**values)
    return settings


def group_schema_urls(stack: Stack) -> str:
    """scheming.group_schemas: the group schema files, written first."""
    return " ".join(f"file://{p}" for p in _write_group_schemas(stack))


def _write_group_schemas(stack: Stack) -> list[Path]:
    """One ckanext-scheming group schema per GD-Catalog category type (schemas/ckan/category_groups.json)."""
    spec = json.loads((stack.root / "schemas" / "ckan" / "category_groups.json").read_text(encoding="utf-8"))
    stack.group_schemas.mkdir(parents=True, exist_ok=True)
    paths = []
    for group_type in spec["group_types"]:
        path = stack.group_schemas / f"{group_type['group_type']}.json"
        schema = {"scheming_version": 1, "group_type": group_type["group_type"],
                  "about": group_type["label"]["th"], "fields": spec["fields"]}
        path.write_text(json.dumps(schema, ensure_ascii=False, indent=2), encoding="utf-8")
        paths.append(path)
    return paths


def configure_ckan(stack: Stack, say: Say) -> None:
    log = stack.logs / "ckan-setup.log"
    env = stack.ckan_env()
    if not stack.ckan_ini.exists():
        run_logged([stack.ckan_bin("ckan"), "generate", "config", str(stack.ckan_ini)], log,
                   "ckan generate config", env=env)
        os.chmod(stack.ckan_ini, 0o600)  # it holds the database password and secrets
    settings = _settings(stack)
    marker = stack.state / "markers" / "ckan-settings.sha256"
    wanted = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()
    if marker.exists() and marker.read_text() == wanted:
        return
    run_logged([stack.ckan_bin("ckan"), "config-tool", str(stack.ckan_ini),
                *(f"{key}={value}" for key, value in settings.items())],
               log, "ckan config-tool", env=env)
    stack.storage.mkdir(parents=True, exist_ok=True)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(wanted)


def bootstrap_ckan(stack: Stack, say: Say) -> dict:
    """Migrate the database, ensure the sysadmin and its token, grant datastore permissions."""
    log = stack.logs / "ckan-setup.log"
    env = stack.ckan_env()
    stack.secrets.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(log, "ab") as out:
        result = subprocess.run([stack.ckan_bin("python"), str(stack.root / "stack" / "ckan" / "bootstrap.py"),
                                 str(stack.secrets)], env=env, stdout=subprocess.PIPE, stderr=out)
    if result.returncode != 0:
        raise StackError(f"ckan: database set-up failed; see {log}")
    outcome = json.loads(result.stdout.decode().strip().splitlines()[-1])
    marker = stack.state / "markers" / "datastore-permissions"
    if not marker.exists():
        sql = subprocess.run([stack.ckan_bin("ckan"), "datastore", "set-permissions"], env=env,
                             capture_output=True, text=True)
        if sql.returncode != 0:
            raise StackError(f"ckan: datastore set-permissions failed: {sql.stderr.strip()[-500:]}")
        psql(stack, sql.stdout)
        marker.write_text("done\n")
    return outcome


def ckan_inputs_digest(stack: Stack) -> str:
    """What the CKAN server reads when it starts: its packages, settings, our extension, the schemas."""
    ext = stack.root / "stack" / "ckanext-gdcmirror" / "ckanext"
    paths = [stack.root / "stack" / "ckan" / name for name in ("requirements.txt", "ckan.ini.in", "wsgi.py")]
    paths += [stack.root / "stack" / "ckanext-gdcmirror" / "pyproject.toml"]
    paths += sorted(p for p in ext.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    paths += sorted((stack.root / "schemas" / "ckan").glob("*.json"))
    digest = hashlib.sha256(f"solr soft commit {stack.solr_soft_commit_ms} ms\0".encode())
    for path in paths:
        digest.update(str(path.relative_to(stack.root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _ckan_started_with(stack: Stack) -> Path:
    return stack.run / "ckan.inputs.sha256"


def ckan_restart_needed(stack: Stack) -> bool:
    """A running CKAN that was started before its packages, settings or extension changed."""
    recorded = _ckan_started_with(stack)
    return components(stack)[3].pid() is not None and (
        not recorded.exists() or recorded.read_text() != ckan_inputs_digest(stack))


# gunicorn's default line and the time the request took (µs): one line per HTTP request, so a
# client's requests can be counted and timed at the server
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(D)s'


def build_js_translations(stack: Stack, say: Say) -> None:
    """The Thai of the strings CKAN's JavaScript shows (filters, sorting, dialogs). Only the CKAN
    development server builds them by itself; under gunicorn they are built here, again
    whenever the server's inputs (our translations among them) change."""
    marker = stack.storage / "i18n" / "js" / ".inputs.sha256"
    digest = ckan_inputs_digest(stack)
    if marker.exists() and marker.read_text() == digest:
        return
    say("building CKAN's JavaScript translations")
    run_logged([stack.ckan_bin("ckan"), "translation", "js"], stack.logs / "ckan-setup.log",
               "ckan translation js", env=stack.ckan_env(), cwd=stack.state)
    marker.write_text(digest)


def start_ckan(stack: Stack, say: Say) -> None:
    comp = components(stack)[3]
    if comp.pid() is None:
        build_js_translations(stack, say)
        _ckan_started_with(stack).write_text(ckan_inputs_digest(stack))
        workers = max(2, os.cpu_count() or 2)
        cmd = [stack.ckan_bin("gunicorn"), "--bind", f"127.0.0.1:{stack.ckan_port}",
               "--workers", str(workers), "--threads", "4", "--timeout", "120",
               "--graceful-timeout", "10", "--pythonpath", str(stack.root / "stack" / "ckan"),
               "--access-logfile", str(stack.ckan_access_log), "--access-logformat", ACCESS_LOG_FORMAT,
               "--name", "ckan-portal", "wsgi:application"]
        process = spawn(cmd, comp, env=stack.ckan_env(), cwd=stack.state)
        wait(lambda: ckan_status(stack) is not None, 120, comp, "waiting for status_show",
             alive=lambda: process.poll() is None)
    if search_round_trip(stack) is None:
        raise StackError(f"ckan: status_show answers but package_search does not (is Solr indexing?); "
                         f"see {comp.log} and {stack.logs / 'solr.log'}")
