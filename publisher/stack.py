"""The local portal: PostgreSQL, Redis, Solr 9 and CKAN 2.11 as processes on 127.0.0.1.

Everything the portal writes lives under one git-ignored folder (``.stack/`` by default):
the CKAN virtual environment, the Solr jars, the databases, the filestore, logs, pid files
and secrets. Processes are tracked by pid file and stopped by pid, never by name, so two
checkouts on one machine (with different ports) never touch each other's servers.

The CKAN server runs in its own virtual environment: CKAN pins its dependencies exactly
and they conflict with frictionless, so the publisher only ever talks to it over HTTP.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from publisher import PROJECT_ROOT

SYSTEM_PACKAGES = {  # command that must exist -> Debian package that provides it
    "redis-server": "redis-server",
    "java": "openjdk-17-jre-headless",
    "mvn": "maven",
    "psql": "postgresql-client",
}
POSTGRES_PACKAGE = "postgresql"

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
    root: Path = PROJECT_ROOT
    access_log: Path | None = None  # CKAN's request log; None: logs/ckan-access.log

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Stack":
        env = os.environ if env is None else env
        state = Path(env.get("PUBLISHER_STACK_DIR", PROJECT_ROOT / ".stack")).resolve()
        ports = {
            name: int(env[f"PUBLISHER_{name.upper()}"])
            for name in ("ckan_port", "solr_port", "postgres_port", "redis_port")
            if env.get(f"PUBLISHER_{name.upper()}")
        }
        access_log = env.get("PUBLISHER_CKAN_ACCESS_LOG")
        return cls(state=state, access_log=Path(access_log).resolve() if access_log else None, **ports)

    # --- layout -------------------------------------------------------------------
    venv = property(lambda s: s.state / "ckan-venv")
    solr_lib = property(lambda s: s.state / "solr-lib")
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


# --- health checks -------------------------------------------------------------------

def _tcp_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _get_json(url: str, timeout: float = 5) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.load(response)
    except (OSError, ValueError, urllib.error.URLError):
        return None


def _solr_ping(stack: Stack) -> bool:
    answer = _get_json(f"{stack.solr_url}/admin/ping?wt=json")
    return bool(answer and answer.get("status") == "OK")


def ckan_status(stack: Stack) -> dict | None:
    answer = _get_json(f"{stack.ckan_url}/api/3/action/status_show")
    return answer["result"] if answer and answer.get("success") else None


def search_round_trip(stack: Stack) -> int | None:
    """Dataset count from package_search, which CKAN answers from Solr; None if it fails."""
    answer = _get_json(f"{stack.ckan_url}/api/3/action/package_search?rows=0&include_private=true")
    return answer["result"]["count"] if answer and answer.get("success") else None


def healthy(stack: Stack, name: str) -> bool:
    if name == "postgres":
        return _tcp_open(stack.postgres_port)
    if name == "redis":
        return _redis_ping(stack.redis_port)
    if name == "solr":
        return _solr_ping(stack)
    return ckan_status(stack) is not None and search_round_trip(stack) is not None


# --- status --------------------------------------------------------------------------

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
        "components": rows,
        "ready": all(r["state"] == "running" for r in rows),
    }


# --- installation --------------------------------------------------------------------

def _sha256(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _postgres_bindir() -> Path | None:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    return candidates[-1].parent if candidates else None


def ensure_system_packages(say: Say) -> None:
    """Install missing Debian packages (as root), or say exactly what to install."""
    missing = sorted({pkg for cmd, pkg in SYSTEM_PACKAGES.items() if shutil.which(cmd) is None})
    if _postgres_bindir() is None:
        missing.append(POSTGRES_PACKAGE)
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise StackError(f"missing system packages: {' '.join(missing)}; "
                         f"install them with: sudo apt-get install -y {' '.join(missing)}")
    say(f"installing Debian packages: {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *missing]):
        result = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise StackError(f"{' '.join(cmd)} failed:\n{result.stderr[-2000:]}")


def _run_logged(cmd: list[str], log: Path, what: str, **kwargs) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        result = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, **kwargs)
    if result.returncode != 0:
        raise StackError(f"{what} failed (exit {result.returncode}); see {log}")


def ensure_ckan_venv(stack: Stack, say: Say) -> None:
    requirements = stack.root / "stack" / "ckan" / "requirements.txt"
    extension = stack.root / "stack" / "ckanext-gdcmirror"
    marker = stack.venv / ".requirements.sha256"
    wanted = _sha256(requirements, extension / "pyproject.toml")
    if marker.exists() and marker.read_text() == wanted:
        return
    say(f"installing CKAN into {stack.venv} (on first start or when stack/ckan changes; a few minutes)")
    log = stack.logs / "install-ckan.log"
    if not (stack.venv / "bin" / "python").exists():
        _run_logged([sys.executable, "-m", "venv", str(stack.venv)], log, "creating the CKAN venv")
    pip = [stack.ckan_bin("python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    _run_logged([*pip, "--upgrade", "pip", "setuptools", "wheel"], log, "upgrading pip in the CKAN venv")
    _run_logged([*pip, "-r", str(requirements)], log, "installing CKAN")
    _run_logged([*pip, "--no-deps", "-e", str(extension)], log, "installing ckanext-gdcmirror")
    marker.write_text(wanted)


def ensure_solr_jars(stack: Stack, say: Say) -> None:
    pom = stack.root / "stack" / "solr" / "pom.xml"
    marker = stack.solr_lib / ".pom.sha256"
    wanted = _sha256(pom)
    if marker.exists() and marker.read_text() == wanted:
        return
    say("resolving Solr 9 from Maven Central (on first start or when stack/solr/pom.xml changes)")
    shutil.rmtree(stack.solr_lib, ignore_errors=True)
    _run_logged(["mvn", "-B", "-q", "-f", str(pom),
                 "org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies",
                 "-DincludeScope=runtime", f"-DoutputDirectory={stack.solr_lib}"],
                stack.logs / "install-solr.log", "resolving Solr jars with Maven")
    marker.write_text(wanted)


# --- process control -----------------------------------------------------------------

def _as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; as root, run its tools as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _chown_to_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(path, user.pw_uid, user.pw_gid)


def _secret(stack: Stack, name: str) -> str:
    path = stack.secrets / name
    if not path.exists():
        stack.secrets.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(24))
    return path.read_text().strip()


def _psql(stack: Stack, sql: str, database: str = "postgres") -> str:
    bindir = _postgres_bindir()
    cmd = [str(bindir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(stack.pg_socket),
           "-p", str(stack.postgres_port), "-U", "postgres", "-d", database, "-At"]
    result = subprocess.run(_as_postgres(cmd), input=sql, capture_output=True, text=True)
    if result.returncode != 0:
        raise StackError(f"postgres: SQL failed: {result.stderr.strip()[-1000:]}; "
                         f"see {stack.logs / 'postgres.log'}")
    return result.stdout


def start_postgres(stack: Stack, say: Say) -> None:
    comp = components(stack)[0]
    bindir = _postgres_bindir()
    if not (stack.pgdata / "PG_VERSION").exists():
        say("initialising PostgreSQL data directory")
        stack.pgdata.mkdir(parents=True, exist_ok=True, mode=0o700)
        _chown_to_postgres(stack.pgdata)
        _run_logged(_as_postgres([str(bindir / "initdb"), "-D", str(stack.pgdata), "-U", "postgres",
                                  "-E", "UTF8", "--locale=C.UTF-8", "--auth-local=trust",
                                  "--auth-host=scram-sha-256"]),
                    comp.log, "postgres: initdb")
    if comp.pid() is None:
        stack.pg_socket.mkdir(parents=True, exist_ok=True, mode=0o700)
        _chown_to_postgres(stack.pg_socket)
        _chown_to_postgres(comp.log)
        options = (f"-p {stack.postgres_port} -k {stack.pg_socket} "
                   f"-c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off")
        _run_logged(_as_postgres([str(bindir / "pg_ctl"), "-D", str(stack.pgdata), "-l", str(comp.log),
                                  "-w", "-t", "60", "-o", options, "start"]),
                    stack.logs / "postgres-ctl.log", f"postgres: start (log: {comp.log})")
    password = _secret(stack, "db-password")
    _psql(stack, f"""
        SELECT 'CREATE ROLE ckan_default LOGIN' WHERE NOT EXISTS
            (SELECT FROM pg_roles WHERE rolname = 'ckan_default') \\gexec
        SELECT 'CREATE ROLE datastore_default LOGIN' WHERE NOT EXISTS
            (SELECT FROM pg_roles WHERE rolname = 'datastore_default') \\gexec
        ALTER ROLE ckan_default PASSWORD '{password}';
        ALTER ROLE datastore_default PASSWORD '{password}';
        SELECT 'CREATE DATABASE ckan_default OWNER ckan_default ENCODING ''UTF8''' WHERE NOT EXISTS
            (SELECT FROM pg_database WHERE datname = 'ckan_default') \\gexec
        SELECT 'CREATE DATABASE datastore_default OWNER ckan_default ENCODING ''UTF8''' WHERE NOT EXISTS
            (SELECT FROM pg_database WHERE datname = 'datastore_default') \\gexec
    """)


def _spawn(cmd: list[str], comp: Component, env: dict[str, str] | None = None,
           cwd: Path | None = None) -> subprocess.Popen:
    comp.log.parent.mkdir(parents=True, exist_ok=True)
    comp.pid_file.parent.mkdir(parents=True, exist_ok=True)
    with open(comp.log, "ab") as log:
        process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env=env, cwd=cwd, start_new_session=True)
    comp.pid_file.write_text(f"{process.pid}\n")
    return process


def _wait(check: Callable[[], bool], seconds: float, comp: Component, what: str,
          alive: Callable[[], bool] | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        if alive is not None and not alive():
            raise StackError(f"{comp.name}: process exited while {what}; see {comp.log}")
        time.sleep(0.25)
    raise StackError(f"{comp.name}: not ready after {seconds:.0f} s ({what}); see {comp.log}")


def start_redis(stack: Stack, say: Say) -> None:
    comp = components(stack)[1]
    if comp.pid() is not None:
        return
    stack.redis_dir.mkdir(parents=True, exist_ok=True)
    stack.run.mkdir(parents=True, exist_ok=True)
    subprocess.run(["redis-server", "--port", str(stack.redis_port), "--bind", "127.0.0.1",
                    "--dir", str(stack.redis_dir), "--daemonize", "yes", "--pidfile", str(comp.pid_file),
                    "--logfile", str(comp.log), "--save", "", "--appendonly", "no"], check=True)
    _wait(lambda: _redis_ping(stack.redis_port), 30, comp, "waiting for PING")


# CKAN's text field types split words at spaces only, and Thai is written without spaces
# between words: a Thai word inside a title would never be found. Lucene's ThaiTokenizer
# (lucene-analysis-common, already on Solr's classpath) breaks Thai into words with the JVM's
# Thai dictionary and splits other scripts at spaces and punctuation.
THAI_TEXT_FIELD_TYPES = ("text", "text_general")
CKAN_TOKENIZER = 'class="solr.WhitespaceTokenizerFactory"'
THAI_TOKENIZER = 'class="solr.ThaiTokenizerFactory"'


def thai_solr_schema(ckan_schema: str) -> str:
    """CKAN's schema.xml with its text field types segmenting Thai; everything else unchanged.

    Fails when CKAN's schema no longer has the shape this edit expects, rather than
    silently serving a schema that cannot find Thai words.
    """
    schema = ckan_schema
    for name in THAI_TEXT_FIELD_TYPES:
        block = re.search(rf'<fieldType name="{name}" class="solr.TextField"[^>]*>.*?</fieldType>', schema, re.S)
        if block is None or block.group(0).count(CKAN_TOKENIZER) != 2:
            raise StackError(f"solr: CKAN's schema.xml has no field type {name!r} with a whitespace tokenizer "
                             f"in both analyzers; the Thai word-breaking edit needs revisiting")
        thai = block.group(0).replace(CKAN_TOKENIZER, THAI_TOKENIZER)
        thai = thai.replace('positionIncrementGap="100">', 'positionIncrementGap="100" autoGeneratePhraseQueries="true">', 1)
        schema = schema[:block.start()] + thai + schema[block.end():]
    note = ("<!-- CKAN's schema.xml, edited by publisher/stack.py (thai_solr_schema): the field types "
            f"{', '.join(THAI_TEXT_FIELD_TYPES)} break Thai text into words (solr.ThaiTokenizerFactory). -->\n")
    head, sep, body = schema.partition("?>\n")
    return head + sep + note + body if sep else note + schema


def _ckan_solr_schema(stack: Stack) -> Path:
    found = sorted(stack.venv.glob("lib/python3*/site-packages/ckan/config/solr/schema.xml"))
    if not found:
        raise StackError(f"solr: CKAN's schema.xml is not in {stack.venv}; is the CKAN venv installed?")
    return found[-1]


def solr_config(stack: Stack) -> dict[Path, bytes]:
    """Every file of the ckan core's configuration, keyed by its path under the Solr home."""
    template = stack.root / "stack" / "solr" / "home"
    files = {src.relative_to(template): src.read_bytes() for src in template.rglob("*") if src.is_file()}
    schema = thai_solr_schema(_ckan_solr_schema(stack).read_text(encoding="utf-8"))
    files[Path("ckan", "conf", "schema.xml")] = schema.encode("utf-8")
    return files


def _schema_digest(config: dict[Path, bytes]) -> str:
    return hashlib.sha256(config[Path("ckan", "conf", "schema.xml")]).hexdigest()


def _index_marker(stack: Stack) -> Path:
    """Which schema the search index was built with; another one means reindexing."""
    return stack.state / "markers" / "solr-index-schema.sha256"


def solr_refresh_needed(stack: Stack) -> bool:
    """True when the core's configuration on disk or the index's schema is not the wanted one."""
    try:
        config = solr_config(stack)
    except StackError:
        return True
    on_disk = all((stack.solr_home / rel).exists() and (stack.solr_home / rel).read_bytes() == data
                  for rel, data in config.items())
    marker = _index_marker(stack)
    return not on_disk or not marker.exists() or marker.read_text() != _schema_digest(config)


def _prepare_solr_home(stack: Stack) -> None:
    """Write the configuration (template + edited CKAN schema); keep the index (ckan/data)."""
    config = solr_config(stack)
    if not (stack.solr_home / "ckan" / "data").exists():  # no index yet: it will be built with this schema
        _index_marker(stack).parent.mkdir(parents=True, exist_ok=True)
        _index_marker(stack).write_text(_schema_digest(config))
    for rel, data in config.items():
        dest = stack.solr_home / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not dest.exists() or dest.read_bytes() != data:
            dest.write_bytes(data)


def start_solr(stack: Stack, say: Say) -> None:
    comp = components(stack)[2]
    if comp.pid() is not None:
        config = solr_config(stack)
        if all((stack.solr_home / rel).exists() and (stack.solr_home / rel).read_bytes() == data
               for rel, data in config.items()):
            return
        say("the Solr configuration changed; restarting solr with it")
        _stop(comp, say)
    _prepare_solr_home(stack)
    launcher = stack.root / "stack" / "solr"
    cmd = ["java", "-Xms256m", "-Xmx768m",
           "-XX:CompileCommand=quiet,exclude,com.github.benmanes.caffeine.cache.BoundedLocalCache::put",
           f"-Dsolr.log.dir={stack.logs}", f"-Dlog4j2.configurationFile={launcher / 'log4j2.xml'}",
           "-cp", f"{stack.solr_lib}/*", str(launcher / "CkanSolr.java"),
           str(stack.solr_home), str(stack.solr_port)]
    process = _spawn(cmd, comp)
    _wait(lambda: _solr_ping(stack), 120, comp, "waiting for the ckan core to answer /admin/ping",
          alive=lambda: process.poll() is None)


def reindex_if_schema_changed(stack: Stack, say: Say) -> None:
    """Rebuild CKAN's search index when it was built with another schema (analysis changed)."""
    digest = _schema_digest(solr_config(stack))
    marker = _index_marker(stack)
    if marker.exists() and marker.read_text() == digest:
        return
    say("the search schema changed; re-indexing every dataset")
    _run_logged([stack.ckan_bin("ckan"), "search-index", "rebuild"], stack.logs / "ckan-setup.log",
                "ckan search-index rebuild", env=stack.ckan_env())
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(digest)


def reindex(stack: Stack, say: Say = lambda _: None) -> dict:
    """Rebuild the search index from the database, dropping entries of datasets that do not
    exist: a server killed in the middle of a create can leave such an entry behind."""
    if not healthy(stack, "solr") or not healthy(stack, "postgres"):
        raise StackError("reindex needs the portal running (publisher ckan up)")
    say("rebuilding the search index from the database")
    _run_logged([stack.ckan_bin("ckan"), "search-index", "rebuild", "--clear", "--quiet"],
                stack.logs / "ckan-setup.log", "ckan search-index rebuild", env=stack.ckan_env())
    return status(stack)


def _settings(stack: Stack) -> dict[str, str]:
    template = (stack.root / "stack" / "ckan" / "ckan.ini.in").read_text(encoding="utf-8")
    values = {
        "ckan_port": stack.ckan_port, "solr_port": stack.solr_port, "redis_port": stack.redis_port,
        "postgres_port": stack.postgres_port, "state": stack.state,
        "schemas": stack.root / "schemas", "db_password": _secret(stack, "db-password"),
        "group_schemas": " ".join(f"file://{p}" for p in _write_group_schemas(stack)),
    }
    settings = {}
    for line in template.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            settings[key.strip()] = value.strip().format(**values)
    return settings


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
        _run_logged([stack.ckan_bin("ckan"), "generate", "config", str(stack.ckan_ini)], log,
                    "ckan generate config", env=env)
        os.chmod(stack.ckan_ini, 0o600)  # it holds the database password and secrets
    settings = _settings(stack)
    marker = stack.state / "markers" / "ckan-settings.sha256"
    wanted = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()
    if marker.exists() and marker.read_text() == wanted:
        return
    _run_logged([stack.ckan_bin("ckan"), "config-tool", str(stack.ckan_ini),
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
        _psql(stack, sql.stdout)
        marker.write_text("done\n")
    return outcome


def ckan_inputs_digest(stack: Stack) -> str:
    """What the CKAN server reads when it starts: its packages, settings, our extension, the schemas."""
    ext = stack.root / "stack" / "ckanext-gdcmirror" / "ckanext"
    paths = [stack.root / "stack" / "ckan" / name for name in ("requirements.txt", "ckan.ini.in", "wsgi.py")]
    paths += [stack.root / "stack" / "ckanext-gdcmirror" / "pyproject.toml"]
    paths += sorted(p for p in ext.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    paths += sorted((stack.root / "schemas" / "ckan").glob("*.json"))
    digest = hashlib.sha256()
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
    _run_logged([stack.ckan_bin("ckan"), "translation", "js"], stack.logs / "ckan-setup.log",
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
        process = _spawn(cmd, comp, env=stack.ckan_env(), cwd=stack.state)
        _wait(lambda: ckan_status(stack) is not None, 120, comp, "waiting for status_show",
              alive=lambda: process.poll() is None)
    if search_round_trip(stack) is None:
        raise StackError(f"ckan: status_show answers but package_search does not (is Solr indexing?); "
                         f"see {comp.log} and {stack.logs / 'solr.log'}")


# --- the commands --------------------------------------------------------------------

@dataclass
class Timings:
    steps: dict[str, float] = field(default_factory=dict)

    def measure(self, name: str, fn: Callable[[], object]) -> object:
        start = time.monotonic()
        try:
            return fn()
        finally:
            self.steps[name] = round(time.monotonic() - start, 2)


def up(stack: Stack, say: Say = lambda _: None) -> dict:
    """Bring every component up; a no-op when all already answer. Idempotent."""
    timings = Timings()
    current = status(stack)
    if current["ready"] and not solr_refresh_needed(stack) and not ckan_restart_needed(stack):
        return {"changed": False, "timings": timings.steps, **current}
    for path in (stack.state, stack.logs, stack.run):
        path.mkdir(parents=True, exist_ok=True)
    timings.measure("system packages", lambda: ensure_system_packages(say))
    timings.measure("ckan venv", lambda: ensure_ckan_venv(stack, say))
    timings.measure("solr jars", lambda: ensure_solr_jars(stack, say))
    timings.measure("ckan config", lambda: configure_ckan(stack, say))
    if ckan_restart_needed(stack):
        say("CKAN's packages, settings or extension changed; restarting ckan")
        _stop(components(stack)[3], say)
    for comp, start in zip(components(stack), (start_postgres, start_redis, start_solr)):
        say(f"starting {comp.name}")
        timings.measure(comp.name, lambda start=start: start(stack, say))
    if components(stack)[3].pid() is None:
        say("preparing the CKAN database")
        timings.measure("ckan bootstrap", lambda: bootstrap_ckan(stack, say))
    say("starting ckan")
    timings.measure("ckan", lambda: start_ckan(stack, say))
    timings.measure("search index", lambda: reindex_if_schema_changed(stack, say))
    return {"changed": True, "timings": timings.steps, **status(stack)}


def _stop(comp: Component, say: Say, timeout: float = 30) -> None:
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


def down(stack: Stack, say: Say = lambda _: None) -> dict:
    for comp in reversed(components(stack)):
        _stop(comp, say)
    return status(stack)


def reset(stack: Stack, say: Say = lambda _: None) -> dict:
    """Stop, wipe every database, index, upload and secret, and start an empty portal."""
    down(stack, say)
    say(f"wiping portal data under {stack.state}")
    for path in stack.data_paths():
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    return up(stack, say)
