"""PostgreSQL: its data directory, its server and the two CKAN databases with their roles."""

from __future__ import annotations

import os
import pwd
import secrets
import subprocess
from pathlib import Path

from publisher.stack.install import postgres_bindir, run_logged
from publisher.stack.supervisor import Say, Stack, StackError, components


def _as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; as root, run its tools as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _chown_to_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(path, user.pw_uid, user.pw_gid)


def secret(stack: Stack, name: str) -> str:
    path = stack.secrets / name
    if not path.exists():
        stack.secrets.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(24))
    return path.read_text().strip()


def psql(stack: Stack, sql: str, database: str = "postgres") -> str:
    bindir = postgres_bindir()
    cmd = [str(bindir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(stack.pg_socket),
           "-p", str(stack.postgres_port), "-U", "postgres", "-d", database, "-At"]
    result = subprocess.run(_as_postgres(cmd), input=sql, capture_output=True, text=True)
    if result.returncode != 0:
        raise StackError(f"postgres: SQL failed: {result.stderr.strip()[-1000:]}; "
                         f"see {stack.logs / 'postgres.log'}")
    return result.stdout


def start_postgres(stack: Stack, say: Say) -> None:
    comp = components(stack)[0]
    bindir = postgres_bindir()
    if not (stack.pgdata / "PG_VERSION").exists():
        say("initialising PostgreSQL data directory")
        stack.pgdata.mkdir(parents=True, exist_ok=True, mode=0o700)
        _chown_to_postgres(stack.pgdata)
        run_logged(_as_postgres([str(bindir / "initdb"), "-D", str(stack.pgdata), "-U", "postgres",
                                 "-E", "UTF8", "--locale=C.UTF-8", "--auth-local=trust",
                                 "--auth-host=scram-sha-256"]),
                   comp.log, "postgres: initdb")
    if comp.pid() is None:
        stack.pg_socket.mkdir(parents=True, exist_ok=True, mode=0o700)
        _chown_to_postgres(stack.pg_socket)
        _chown_to_postgres(comp.log)
        options = (f"-p {stack.postgres_port} -k {stack.pg_socket} "
                   f"-c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off")
        run_logged(_as_postgres([str(bindir / "pg_ctl"), "-D", str(stack.pgdata), "-l", str(comp.log),
                                 "-w", "-t", "60", "-o", options, "start"]),
                   stack.logs / "postgres-ctl.log", f"postgres: start (log: {comp.log})")
    password = secret(stack, "db-password")
    psql(stack, f"""
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
