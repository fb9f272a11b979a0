"""The unattended job: rebuild packages whose source report changed, validate, sync.

It must be boring: run on time, never overlap, leave a record a person can read, fail loudly.

- When: ``publisher.toml`` [schedule] (daily at a time in a time zone, or every N hours),
  each key overridable by ``PUBLISHER_SCHEDULE_<KEY>``; the runner is the ``schedule`` package.
- Never twice at once: a ``fcntl.flock`` on the lock file, which holds the holder's pid.
- A record: one JSON line per run in the run log, and the last run in the status file
  (written to a temporary file, then ``os.replace``d, so a reader never sees half of it).
- Exit codes: 0 in sync, 1 validation failures, 2 portal unreachable or API errors, 3 locked;
  a run stopped by a signal before its last step exits 128 + the signal number.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import signal
import threading
import time
import tomllib
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator
from zoneinfo import ZoneInfo

import pytz
import schedule

from publisher import PROJECT_ROOT, packages
from publisher import validate as validation
from publisher.catalog.client import Portal, portal_for
from publisher.extract.recipes import RecipeError
from publisher.reports.registry import REPORTS_DIR, Registry, ReportError, load_registry

CONFIG_FILE = PROJECT_ROOT / "publisher.toml"
ENV_PREFIX = "PUBLISHER_SCHEDULE_"

IN_SYNC, INVALID, PORTAL_ERROR, LOCKED = 0, 1, 2, 3
OUTCOMES = {IN_SYNC: "in-sync", INVALID: "invalid", PORTAL_ERROR: "portal-error", LOCKED: "locked"}
# the exit code of a step that raised: packages could not be built or checked (1), the portal failed (2)
FAILURE_CODES = {"rebuild": INVALID, "validate": INVALID, "sync": PORTAL_ERROR}
# how long the runner sleeps at most: the monotonic clock stops while the machine sleeps,
# so a long wait would oversleep a missed run by the length of the suspend
MAX_WAIT_SECONDS = 60

Say = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


# --- configuration -------------------------------------------------------------------

class ConfigError(ValueError):
    """publisher.toml or a PUBLISHER_SCHEDULE_* variable holds a value the job cannot use."""


@dataclass(frozen=True)
class Config:
    every: str = "day"             # "day", or "<N>h"
    at: str = "02:00"              # HH:MM, with every = "day"
    timezone: str = "Asia/Bangkok"
    portal: str = ""               # CKAN address; empty = the local portal
    prune: bool = False
    run_log: Path = PROJECT_ROOT / "var" / "run-log.jsonl"
    status_file: Path = PROJECT_ROOT / "var" / "last-run.json"
    lock_file: Path = PROJECT_ROOT / "var" / "publisher.lock"

    @property
    def hours(self) -> int | None:
        """The interval of an every-N-hours schedule; None for a daily one."""
        return None if self.every == "day" else int(self.every[:-1])

    def describe(self) -> str:
        if self.hours is None:
            return f"daily at {self.at} {self.timezone}"
        return f"every {self.hours} hour(s)"


_AT = re.compile(r"([01]\d|2[0-3]):[0-5]\d\Z")
_HOURS = re.compile(r"[1-9]\d*h\Z")
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def load_config(path: Path = CONFIG_FILE, env: dict[str, str] | None = None) -> Config:
    """The [schedule] table of publisher.toml, then PUBLISHER_SCHEDULE_<KEY> over it."""
    env = os.environ if env is None else env
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("schedule", {}) if path.exists() else {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    keys = {f.name for f in Config.__dataclass_fields__.values()}
    unknown = set(table) - keys
    if unknown:
        raise ConfigError(f"{path}: unknown [schedule] keys {sorted(unknown)}; known: {sorted(keys)}")
    values = dict(table)
    for key in keys:
        if ENV_PREFIX + key.upper() in env:
            values[key] = env[ENV_PREFIX + key.upper()]
    return _checked(values, path)


def _checked(values: dict, source: Path) -> Config:
    config = Config()
    every = str(values.get("every", config.every)).strip().lower()
    if every != "day" and not _HOURS.match(every):
        raise ConfigError(f'every must be "day" or a number of hours such as "6h", not {every!r}')
    at = str(values.get("at", config.at)).strip()
    if not _AT.match(at):
        raise ConfigError(f"at must be a time of day HH:MM (00:00 to 23:59), not {at!r}")
    timezone = str(values.get("timezone", config.timezone)).strip()
    try:
        pytz.timezone(timezone)
    except pytz.UnknownTimeZoneError:
        raise ConfigError(f"timezone must be an IANA time zone such as Asia/Bangkok, not {timezone!r}") from None
    prune = values.get("prune", config.prune)
    if isinstance(prune, str):
        if prune.strip().lower() not in _TRUE | _FALSE:
            raise ConfigError(f"prune must be true or false, not {prune!r}")
        prune = prune.strip().lower() in _TRUE
    paths = {key: _path(values.get(key, getattr(config, key))) for key in ("run_log", "status_file", "lock_file")}
    return Config(every=every, at=at, timezone=timezone, portal=str(values.get("portal", "")).strip().rstrip("/"),
                  prune=bool(prune), **paths)


def _path(value) -> Path:
    path = Path(str(value)).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


def now(config: Config) -> datetime:
    return datetime.now(ZoneInfo(config.timezone))


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


# --- when ----------------------------------------------------------------------------

def register(scheduler: schedule.Scheduler, config: Config, job: Callable[[], object]) -> schedule.Job:
    """Put the job on the scheduler as the config says."""
    if config.hours is None:
        return scheduler.every().day.at(config.at, config.timezone).do(job)
    return scheduler.every(config.hours).hours.do(job)


def next_run(config: Config) -> datetime:
    """When a runner started now would run the job first, in the config's time zone."""
    job = register(schedule.Scheduler(), config, _quiet)
    # schedule keeps next_run as a naive local time
    return job.next_run.astimezone(ZoneInfo(config.timezone))


# --- never twice at once ---------------------------------------------------------------

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
def job_lock(lock_file: Path) -> Iterator[None]:
    """An exclusive flock for as long as the block runs; the kernel drops it if the process dies."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise Locked(lock_file, _wait_for_holder(lock_file)) from None
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


# --- stopping --------------------------------------------------------------------------

class Abandoned(BaseException):
    """The job stopped before its last step because a stop was asked for.

    A BaseException, like KeyboardInterrupt, so that no step's ``except Exception`` swallows it.
    """

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"stopped by {signal.Signals(signum).name} before the job finished")


class Stop:
    """A stop request. The first SIGTERM/SIGINT lets the current step finish and skips the
    rest; a second one during a step abandons that step at once."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.signum: int | None = None
        self.in_step = False

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    def request(self, signum: int = signal.SIGTERM) -> None:
        again = self.requested
        self.signum = self.signum or signum
        self._event.set()
        if again and self.in_step:
            raise Abandoned(signum)

    def wait(self, seconds: float) -> None:
        self._event.wait(seconds)

    @contextmanager
    def on_signals(self) -> Iterator["Stop"]:
        handler = lambda signum, _frame: self.request(signum)  # noqa: E731
        previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield self
        finally:
            for signum, old in previous.items():
                signal.signal(signum, old)


# --- one run ---------------------------------------------------------------------------

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


Step = Callable[[Run, Say], int]


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def stale_packages(registry: Registry, packages_dir: Path = packages.PACKAGES_DIR) -> dict[str, str]:
    """Packages to rebuild, with the reason: never built, or a source report whose checksum
    (in reports/registry.json or of the file itself) differs from the one the package records."""
    stale, file_sums = {}, {}
    for recipe in packages.recipes(packages_dir):
        name, descriptor = recipe.parent.name, recipe.parent / "datapackage.json"
        try:
            sources = json.loads(descriptor.read_text(encoding="utf-8")).get("sources", [])
        except FileNotFoundError:
            stale[name] = "not built yet"
            continue
        except (OSError, ValueError) as exc:
            stale[name] = f"datapackage.json unreadable: {exc}"
            continue
        for source in sources:
            report = registry.reports.get(source.get("report"))
            if report is None:
                stale[name] = f"report {source.get('report')!r} is no longer in the registry"
            elif report.sha256 != source.get("sha256"):
                stale[name] = f"report {report.id} has a new checksum in the registry"
            else:
                if report.id not in file_sums:
                    file_sums[report.id] = _sha256(report.path)
                if file_sums[report.id] != source.get("sha256"):
                    stale[name] = f"report file {report.path.name} changed"
            if name in stale:
                break
    return stale


def rebuild_step(packages_dir: Path, reports_dir: Path) -> Step:
    def step(run: Run, say: Say) -> int:
        registry = load_registry(reports_dir)
        stale = stale_packages(registry, packages_dir)
        say(f"rebuild: {len(stale)} package(s) with a changed source report")
        failed = 0
        for name, reason in stale.items():
            say(f"rebuild: {name} ({reason})")
            try:
                packages.write(packages.build_all(packages_dir, registry=registry, names=[name]), packages_dir)
            except (RecipeError, ReportError, OSError) as exc:
                failed += 1
                run.add_error(f"rebuild {name}: {exc}")
                continue
            run.rebuilt[name] = reason
        run.counts.update(rebuilt=len(run.rebuilt), rebuild_failed=failed)
        return INVALID if failed else IN_SYNC
    return step


def validate_step(packages_dir: Path, reports_dir: Path) -> Step:
    def step(run: Run, say: Say) -> int:
        result = validation.validate([packages_dir], registry=load_registry(reports_dir),
                                     progress=lambda name: say(f"validate: {name}"))
        invalid = sorted(result.invalid_packages())
        run.counts.update(packages=len(result.packages), invalid=len(invalid),
                          errors=len(result.errors()), warnings=len(result.warnings()))
        if invalid:
            run.add_error(f"invalid package(s), not published: {', '.join(invalid)}")
        return IN_SYNC if result.valid() else INVALID
    return step


def portal_of(config: Config, env: dict[str, str] | None = None) -> Portal:
    """The configured portal, else $PUBLISHER_CKAN_URL (as `publisher sync` reads it), else the local one."""
    env = os.environ if env is None else env
    return portal_for(config.portal or env.get("PUBLISHER_CKAN_URL"), env)


def sync_packages(portal: Portal, packages_dir: Path, prune: bool, say: Say):
    """The one call into the catalog sync; returns its report (.exit_code, .summary(), .to_json())."""
    from publisher.catalog.sync import sync

    def progress(event: str, name: str, done: int, total: int) -> None:
        say(" ".join(part for part in (event, name, f"{done}/{total}" if total else "") if part))

    return sync(portal, packages_dir=packages_dir, prune=prune, dry_run=False, progress=progress)


def sync_step(config: Config, packages_dir: Path) -> Step:
    def step(run: Run, say: Say) -> int:
        portal = portal_of(config)
        say(f"sync: {portal}")
        try:
            report = sync_packages(portal, packages_dir, config.prune, lambda msg: say(f"sync: {msg}"))
        except Exception as exc:  # the portal's errors carry its address and maybe the token
            run.add_error(portal.redact(f"sync: {type(exc).__name__}: {exc}"))
            return PORTAL_ERROR
        run.plan = report.summary()
        detail = report.to_json()
        detail["plan"] = (detail.get("plan") or {}).get("counts")   # one line per run: counts, not every step
        run.sync = json.loads(portal.redact(json.dumps(detail, ensure_ascii=False)))
        for problem in sync_problems(run.sync):
            run.add_error(f"sync: {problem}")
        return report.exit_code
    return step


def sync_problems(detail: dict) -> list[str]:
    """What went wrong in a sync, from its report: the error, failed datasets, skipped packages."""
    problems = [detail["error"]] if detail.get("error") else []
    problems += [f"{o.get('name')}: {o.get('error')}" for o in detail.get("outcomes") or [] if not o.get("ok", True)]
    problems += [f"skipped {name}: {why}" for name, why in (detail.get("skipped") or {}).items()]
    return problems


def default_steps(config: Config, packages_dir: Path = packages.PACKAGES_DIR,
                  reports_dir: Path = REPORTS_DIR) -> list[tuple[str, Step]]:
    return [("rebuild", rebuild_step(packages_dir, reports_dir)),
            ("validate", validate_step(packages_dir, reports_dir)),
            ("sync", sync_step(config, packages_dir))]


def execute(config: Config, steps: list[tuple[str, Step]], stop: Stop, trigger: str = "once",
            say: Say = _quiet) -> Run:
    """Run the steps in order (the caller holds the lock) and record the run."""
    run = Run(started=stamp(now(config)), trigger=trigger, pid=os.getpid())
    code, crashed = IN_SYNC, False
    try:
        for name, step in steps:
            if stop.requested:
                raise Abandoned(stop.signum or signal.SIGTERM)
            stop.in_step = True
            try:
                code = max(code, step(run, say))
            except Exception as exc:
                run.add_error(f"{name}: {type(exc).__name__}: {exc}")
                code, crashed = max(code, FAILURE_CODES.get(name, PORTAL_ERROR)), True
                break
            finally:
                stop.in_step = False
            run.steps.append(name)
        run.outcome = "failed" if crashed else OUTCOMES[code]
        run.exit_code = code
    except Abandoned as stopped:
        run.outcome, run.exit_code = "abandoned", 128 + stopped.signum
        run.add_error(str(stopped))
    run.finished = stamp(now(config))
    record(config, run)
    return run


def run_once(config: Config, steps: list[tuple[str, Step]] | None = None, stop: Stop | None = None,
             say: Say = _quiet) -> Run:
    """One run under the lock; when another holds it, a 'locked' run (exit 3) that did nothing."""
    try:
        with job_lock(config.lock_file):
            return execute(config, default_steps(config) if steps is None else steps, stop or Stop(), "once", say)
    except Locked as exc:
        moment = stamp(now(config))
        run = Run(started=moment, finished=moment, trigger="once", pid=os.getpid(), outcome="locked",
                  exit_code=LOCKED, error=str(exc))
        append_log(config, run)
        return run


def serve(config: Config, steps: Callable[[], list[tuple[str, Step]]] | None = None, stop: Stop | None = None,
          say: Say = _quiet, wait: Callable[[float], None] | None = None) -> int:
    """The long-running runner: holds the lock for its whole life and runs the job when due.

    Raises Locked when another run or runner is active. Returns 0 once a stop was asked for.
    """
    stop = stop or Stop()
    wait = wait or stop.wait
    make_steps = steps or (lambda: default_steps(config))
    with job_lock(config.lock_file):
        scheduler, runs = schedule.Scheduler(), []

        def job() -> None:
            run = execute(config, make_steps(), stop, "schedule", say)
            runs.append(run)
            say(f"{run.outcome} (exit {run.exit_code})" + (f": {run.error}" if run.error else ""))

        register(scheduler, config, job)
        say(f"runner pid {os.getpid()}, {config.describe()}; next run {_next(scheduler, config)}; "
            f"lock {config.lock_file}")
        while not stop.requested:
            before = len(runs)
            scheduler.run_pending()
            if stop.requested:
                break
            if len(runs) > before:
                say(f"next run {_next(scheduler, config)}")
            wait(min(max(scheduler.idle_seconds or 0.0, 0.0), MAX_WAIT_SECONDS))
    say(f"stopped by {signal.Signals(stop.signum or signal.SIGTERM).name}; lock released")
    return 0


def _next(scheduler: schedule.Scheduler, config: Config) -> str:
    return stamp(scheduler.next_run.astimezone(ZoneInfo(config.timezone)))


# --- the record ------------------------------------------------------------------------

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
