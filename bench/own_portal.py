"""The portal a benchmark may reset or seed: named by PUBLISHER_STACK_DIR and the port variables,
never the default one under .stack/, and every command the benchmark runs refuses the protected
portals too (PUBLISHER_TEST_RUN)."""

from __future__ import annotations

import os
from pathlib import Path

from publisher.stack import guard
from publisher.stack.supervisor import Stack

ROOT = Path(__file__).resolve().parents[1]


def own_portal(script: str, what_it_does: str) -> tuple[Stack, dict[str, str]]:
    """The benchmark's stack and the environment its commands run with; exits with a message
    naming ``script`` when the portal is not one of its own."""
    env = dict(os.environ)
    stack = Stack.from_env(env)
    if "PUBLISHER_STACK_DIR" not in env or stack.state == (ROOT / ".stack").resolve():
        raise SystemExit(f"{script} {what_it_does}: set PUBLISHER_STACK_DIR and the PUBLISHER_*_PORT "
                         "variables to a portal of its own (see bench/README.md)")
    env[guard.TEST_RUN] = "1"
    try:
        guard.refuse_protected_stack(stack, "benchmark on", env)
    except guard.ProtectedPortal as exc:
        raise SystemExit(f"{script}: {exc}") from None
    return stack, env
