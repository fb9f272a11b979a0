"""Redis: CKAN's job queue and cache, daemonised on a loopback port without persistence."""

from __future__ import annotations

import socket
import subprocess

from publisher.stack.supervisor import Say, Stack, StackError, components, wait


def redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_redis(stack: Stack, say: Say) -> None:
    comp = components(stack)[1]
    if comp.pid() is not None:
        return
    stack.redis_dir.mkdir(parents=True, exist_ok=True)
    stack.run.mkdir(parents=True, exist_ok=True)
    comp.log.parent.mkdir(parents=True, exist_ok=True)
    try:
        started = subprocess.run(["redis-server", "--port", str(stack.redis_port), "--bind", "127.0.0.1",
                                  "--dir", str(stack.redis_dir), "--daemonize", "yes", "--pidfile", str(comp.pid_file),
                                  "--logfile", str(comp.log), "--save", "", "--appendonly", "no"],
                                 capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        raise StackError(f"redis: redis-server could not be run ({exc}); see {comp.log}") from None
    if started.returncode != 0:
        said = (started.stderr or started.stdout).strip()[-500:]
        raise StackError(f"redis: redis-server exited {started.returncode}"
                         + (f" ({said})" if said else "") + f"; see {comp.log}")
    wait(lambda: redis_ping(stack.redis_port), 30, comp, "waiting for PING")
