"""Redis: CKAN's job queue and cache, daemonised on a loopback port without persistence."""

from __future__ import annotations

import socket
import subprocess

from publisher.stack.supervisor import Say, Stack, components, wait


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
    subprocess.run(["redis-server", "--port", str(stack.redis_port), "--bind", "127.0.0.1",
                    "--dir", str(stack.redis_dir), "--daemonize", "yes", "--pidfile", str(comp.pid_file),
                    "--logfile", str(comp.log), "--save", "", "--appendonly", "no"], check=True)
    wait(lambda: redis_ping(stack.redis_port), 30, comp, "waiting for PING")
