"""Never twice at once: an exclusive ``fcntl.flock`` on the lock file, which holds the holder's pid.

The kernel drops the lock when its process dies, so a crashed run never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

WAIT_STEP = 0.2     # seconds between two tries while waiting for the lock


class Locked(RuntimeError):
    """Another run (or the runner) holds the lock."""

    def __init__(self, lock_file: Path, pid: int | None):
        self.lock_file, self.pid = lock_file, pid
        holder = f"pid {pid}" if pid else "a process whose pid is not written yet"
        super().__init__(f"another publisher run is active: {lock_file} is locked by {holder}; "
                         f"this run did nothing (งานอื่นกำลังทำงานอยู่)")


def lock_holder(lock_file: Path) -> int | None:
    try:
        text = lock_file.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _wait_for_holder(lock_file: Path, seconds: float = 2.0) -> int | None:
    """The holder writes its pid just after taking the lock: give it that moment."""
    deadline = time.monotonic() + seconds
    while (pid := lock_holder(lock_file)) is None and time.monotonic() < deadline:
        time.sleep(0.02)
    return pid


@contextmanager
def job_lock(lock_file: Path, wait: float = 0.0,
             waiting: Callable[[int | None], None] | None = None) -> Iterator[None]:
    """An exclusive flock for as long as the block runs; the kernel drops it if the process dies.
    ``wait``: seconds to wait for a holder to finish before giving up (``waiting`` is told once,
    with the holder's pid); 0 gives up at once. Every command that writes the catalog or the
    portal takes it: the job, the runner, ``sync`` and ``build``."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    deadline, told = time.monotonic() + max(wait, 0.0), False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise Locked(lock_file, _wait_for_holder(lock_file)) from None
            if waiting is not None and not told:
                waiting(_wait_for_holder(lock_file))
                told = True
            time.sleep(WAIT_STEP)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
