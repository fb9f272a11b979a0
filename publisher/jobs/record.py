"""What ran: one JSON line per run in the run log, and the last run, in full, in the status file.

The status file is written to a temporary file, then ``os.replace``d, so a reader never sees half
of it; a log line cut short by a crash is skipped on reading.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime

from publisher.jobs.config import Config

IN_SYNC, INVALID, PORTAL_ERROR, LOCKED = 0, 1, 2, 3
OUTCOMES = {IN_SYNC: "in-sync", INVALID: "invalid", PORTAL_ERROR: "portal-error", LOCKED: "locked"}


@dataclass
class Run:
    started: str
    trigger: str                 # "once" (cron, systemd, by hand) or "schedule" (the runner)
    pid: int
    finished: str | None = None
    outcome: str = "running"     # in-sync, invalid, portal-error, locked, failed, abandoned
    exit_code: int | None = None
    steps: list[str] = field(default_factory=list)        # the steps that completed
    counts: dict = field(default_factory=dict)            # packages, rebuilt, errors, warnings, …
    plan: dict = field(default_factory=dict)              # the sync's counts: created, updated, …
    rebuilt: dict[str, str] = field(default_factory=dict)  # package -> why it was rebuilt
    error: str | None = None
    sync: dict | None = None     # the sync's full report: in the status file, not the run log

    def log_line(self) -> str:
        entry = {k: v for k, v in asdict(self).items() if k != "sync"}
        return json.dumps(entry, ensure_ascii=False)

    def add_error(self, message: str) -> None:
        self.error = message if not self.error else f"{self.error}; {message}"


def append_log(config: Config, run: Run) -> None:
    config.run_log.parent.mkdir(parents=True, exist_ok=True)
    with open(config.run_log, "a", encoding="utf-8") as log:
        log.write(run.log_line() + "\n")


def write_status(config: Config, run: Run) -> None:
    target = config.status_file
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as out:
        json.dump(asdict(run), out, ensure_ascii=False, indent=2)
        out.write("\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, target)


def record(config: Config, run: Run) -> None:
    append_log(config, run)
    write_status(config, run)


def read_runs(config: Config, last: int = 10) -> list[dict]:
    """The last runs of the log, oldest first; a line cut short by a crash is skipped."""
    try:
        lines = config.run_log.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    runs = []
    for line in lines:
        try:
            runs.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return runs[-last:] if last > 0 else runs


def duration(run: dict) -> float | None:
    """Seconds from start to end of a logged run."""
    try:
        return (datetime.fromisoformat(run["finished"]) - datetime.fromisoformat(run["started"])).total_seconds()
    except (KeyError, TypeError, ValueError):
        return None


def read_status(config: Config) -> dict | None:
    try:
        return json.loads(config.status_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
