"""The runner: one run under the lock (cron, systemd, by hand), or the long-running ``schedule``
loop that holds the lock for its whole life; and how a stop request (SIGTERM, Ctrl-C) ends either."""

from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager
from datetime import datetime
from typing import Callable, Iterator
from zoneinfo import ZoneInfo

import schedule

from publisher.jobs.config import Config, now, stamp
from publisher.jobs.lock import Locked, job_lock
from publisher.jobs.record import IN_SYNC, LOCKED, OUTCOMES, PORTAL_ERROR, Run, append_log, record
from publisher.jobs.steps import FAILURE_CODES, Say, Step, pipeline

# how long the runner sleeps at most: the monotonic clock stops while the machine sleeps,
# so a long wait would oversleep a missed run by the length of the suspend
MAX_WAIT_SECONDS = 60


def _quiet(_: str) -> None:
    pass


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
            return execute(config, pipeline(config) if steps is None else steps, stop or Stop(), "once", say)
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
    make_steps = steps or (lambda: pipeline(config))
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
