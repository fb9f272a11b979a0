"""The unattended job: its schedule on a fake clock, the lock between two processes, a clean
stop on SIGTERM, the record it leaves, the cron and systemd files, and one real run."""

from __future__ import annotations

import configparser
import datetime as dt
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import schedule as schedule_lib

from publisher.jobs.config import Config, ConfigError, load_config
from publisher.jobs.lock import Locked, job_lock, lock_holder
from publisher.jobs.record import INVALID, LOCKED, Run, read_runs
from publisher.jobs.runner import Stop, next_run, register, run_once, serve
from publisher.jobs.steps import pipeline, portal_of, rebuild_step, stale_packages
from publisher.reports.registry import load_registry

ROOT = Path(__file__).resolve().parents[1]
CRON = ROOT / "cron"
SERVICE = CRON / "thai-opendata-publisher.service"
TIMER = CRON / "thai-opendata-publisher.timer"
CRONTAB = CRON / "publisher.crontab"
INSTALL_DIR = "/opt/thai-opendata-publisher"
UTC = dt.timezone.utc
BANGKOK = dt.timezone(dt.timedelta(hours=7))
# a safety net so a broken test fails instead of hanging; no assertion is about how long anything takes
PATIENCE = 120


# --- shared pieces ---------------------------------------------------------------------

def job_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """PUBLISHER_SCHEDULE_* overrides that keep every file of a run under tmp_path."""
    env = {"PUBLISHER_SCHEDULE_RUN_LOG": str(tmp_path / "var" / "run-log.jsonl"),
           "PUBLISHER_SCHEDULE_STATUS_FILE": str(tmp_path / "var" / "last-run.json"),
           "PUBLISHER_SCHEDULE_LOCK_FILE": str(tmp_path / "var" / "publisher.lock"),
           "PUBLISHER_SCHEDULE_VALIDATED_FILE": str(tmp_path / "var" / "validated.json")}
    env.update({f"PUBLISHER_SCHEDULE_{k.upper()}": v for k, v in extra.items()})
    return env


@pytest.fixture
def config(tmp_path) -> Config:
    return load_config(env=job_env(tmp_path))


def log_lines(config: Config) -> list[dict]:
    return [json.loads(line) for line in config.run_log.read_text(encoding="utf-8").splitlines()]


def lock_is_free(lock_file: Path) -> bool:
    try:
        with job_lock(lock_file):
            return True
    except Locked:
        return False


def wait_until(condition, what: str):
    deadline = time.monotonic() + PATIENCE
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)
    return result


def step(code: int, calls: list[str] | None = None, name: str = "step"):
    def run(run: Run, say) -> int:
        if calls is not None:
            calls.append(name)
        return code
    return run


# --- configuration ---------------------------------------------------------------------

def test_the_project_config_runs_daily_at_two_in_bangkok_and_keeps_its_files_in_an_ignored_var():
    config = load_config(env={})
    assert (config.every, config.at, config.timezone, config.hours) == ("day", "02:00", "Asia/Bangkok", None)
    assert config.prune is False and config.portal == ""
    for path in (config.run_log, config.status_file, config.lock_file):
        assert path.parent == ROOT / "var"
    assert "/var/" in (ROOT / ".gitignore").read_text().splitlines()


def test_the_tests_write_the_job_files_and_the_validated_record_outside_the_project(private_var):
    from publisher.catalog.validated import ValidatedCache

    config = load_config()
    for path in (config.run_log, config.status_file, config.lock_file, config.validated_file,
                 ValidatedCache().path):
        assert path.parent == private_var and not path.is_relative_to(ROOT), path


def test_environment_variables_override_the_config_file(tmp_path):
    config = load_config(env={"PUBLISHER_SCHEDULE_EVERY": "6h", "PUBLISHER_SCHEDULE_AT": "03:30",
                              "PUBLISHER_SCHEDULE_TIMEZONE": "UTC", "PUBLISHER_SCHEDULE_PRUNE": "yes",
                              "PUBLISHER_SCHEDULE_RUN_LOG": "elsewhere/runs.jsonl",
                              "PUBLISHER_SCHEDULE_LOCK_FILE": str(tmp_path / "x.lock"),
                              "PUBLISHER_SCHEDULE_PORTAL": "https://catalog.example.go.th/"})
    assert (config.every, config.hours, config.at, config.timezone, config.prune) == ("6h", 6, "03:30", "UTC", True)
    assert config.run_log == ROOT / "elsewhere" / "runs.jsonl"
    assert config.lock_file == tmp_path / "x.lock"
    assert config.portal == "https://catalog.example.go.th"


@pytest.mark.parametrize("key, value", [("every", "weekly"), ("every", "0h"), ("at", "25:00"), ("at", "2am"),
                                        ("timezone", "Mars/Olympus_Mons"), ("prune", "maybe")])
def test_a_bad_value_is_refused_with_the_key_named(key, value):
    with pytest.raises(ConfigError, match=key):
        load_config(env={f"PUBLISHER_SCHEDULE_{key.upper()}": value})


def test_an_unknown_key_in_the_config_file_is_refused(tmp_path):
    path = tmp_path / "publisher.toml"
    path.write_text('[schedule]\nevery = "day"\nrun_at = "02:00"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="run_at"):
        load_config(path, env={})


def test_the_job_syncs_the_configured_portal_else_ckan_url_else_the_local_one(tmp_path):
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "ckan-api-token").write_text("local-token-0123456789abcdef\n")
    env = {"PUBLISHER_STACK_DIR": str(tmp_path), "PUBLISHER_CKAN_PORT": "5099"}
    local = portal_of(load_config(env={}), env)
    assert (local.url, local.token) == ("http://127.0.0.1:5099", "local-token-0123456789abcdef")
    remote_env = {**env, "PUBLISHER_CKAN_URL": "https://catalog.example.go.th/",
                  "PUBLISHER_CKAN_TOKEN": "remote-token-0123456789abcdef"}
    remote = portal_of(load_config(env={}), remote_env)
    assert (remote.url, remote.token) == ("https://catalog.example.go.th", "remote-token-0123456789abcdef")
    # the local token never goes to another portal
    assert portal_of(load_config(env={}),
                     {**env, "PUBLISHER_CKAN_URL": "https://catalog.example.go.th"}).token is None
    configured = load_config(env={"PUBLISHER_SCHEDULE_PORTAL": "https://other.example.go.th"})
    assert portal_of(configured, remote_env).url == "https://other.example.go.th"


# --- the schedule on a fake clock ------------------------------------------------------

class Clock:
    def __init__(self, moment: dt.datetime):
        self.moment = moment

    def advance(self, **delta) -> None:
        self.moment += dt.timedelta(**delta)


@pytest.fixture
def local_zone():
    """Set the machine's time zone for the test (the `schedule` package keeps naive local times)."""
    saved = os.environ.get("TZ")

    def set_zone(name: str) -> None:
        os.environ["TZ"] = name
        time.tzset()

    set_zone("UTC")
    yield set_zone
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    time.tzset()


@pytest.fixture
def clock(monkeypatch, local_zone) -> Clock:
    """A clock the test moves by hand, seen only by the `schedule` package."""
    fake = Clock(dt.datetime(2026, 3, 10, 12, 0, tzinfo=UTC))  # 19:00 in Bangkok

    class FakeDatetime(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            if tz is None:
                return fake.moment.astimezone().replace(tzinfo=None)
            return fake.moment.astimezone(tz)

    monkeypatch.setattr(schedule_lib, "datetime",
                        SimpleNamespace(datetime=FakeDatetime, timedelta=dt.timedelta, time=dt.time, date=dt.date))
    return fake


@pytest.mark.parametrize("machine_zone", ["UTC", "Asia/Bangkok", "America/New_York"])
def test_the_next_run_is_two_oclock_in_bangkok_whatever_the_machine_zone(clock, local_zone, machine_zone):
    local_zone(machine_zone)
    upcoming = next_run(load_config(env={}))
    assert upcoming == dt.datetime(2026, 3, 11, 2, 0, tzinfo=BANGKOK)
    assert upcoming.utcoffset() == dt.timedelta(hours=7)


def test_just_before_two_in_bangkok_the_run_is_the_same_night(clock):
    clock.moment = dt.datetime(2026, 3, 10, 18, 59, tzinfo=UTC)   # 01:59 on the 11th in Bangkok
    assert next_run(load_config(env={})) == dt.datetime(2026, 3, 11, 2, 0, tzinfo=BANGKOK)


def test_two_oclock_utc_is_seven_hours_after_two_oclock_in_bangkok(clock):
    bangkok = next_run(load_config(env={"PUBLISHER_SCHEDULE_TIMEZONE": "Asia/Bangkok"}))
    utc = next_run(load_config(env={"PUBLISHER_SCHEDULE_TIMEZONE": "UTC"}))
    assert bangkok == dt.datetime(2026, 3, 10, 19, 0, tzinfo=UTC)
    assert utc == dt.datetime(2026, 3, 11, 2, 0, tzinfo=UTC)
    assert utc - bangkok == dt.timedelta(hours=7)


def test_the_job_runs_when_due_and_not_a_second_earlier(clock):
    scheduler, calls = schedule_lib.Scheduler(), []
    job = register(scheduler, load_config(env={}), lambda: calls.append(clock.moment))
    clock.moment = dt.datetime(2026, 3, 10, 18, 59, 59, tzinfo=UTC)
    scheduler.run_pending()
    assert calls == []
    clock.advance(seconds=1)
    scheduler.run_pending()
    assert calls == [dt.datetime(2026, 3, 10, 19, 0, tzinfo=UTC)]
    assert job.next_run == dt.datetime(2026, 3, 11, 19, 0)   # naive local time, the machine being in UTC


def test_runs_missed_while_the_machine_slept_are_made_up_once(clock):
    scheduler, calls = schedule_lib.Scheduler(), []
    job = register(scheduler, load_config(env={}), lambda: calls.append(clock.moment))
    clock.advance(days=3, hours=5)          # asleep across three 02:00s; wakes at 00:00 Bangkok on the 14th
    scheduler.run_pending()
    scheduler.run_pending()
    assert calls == [dt.datetime(2026, 3, 13, 17, 0, tzinfo=UTC)]
    assert job.next_run == dt.datetime(2026, 3, 13, 19, 0)  # the coming 02:00, not one of the missed ones


def test_every_six_hours_counts_from_the_start_and_from_each_run(clock):
    scheduler, calls = schedule_lib.Scheduler(), []
    config = load_config(env={"PUBLISHER_SCHEDULE_EVERY": "6h"})
    assert next_run(config) == dt.datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
    job = register(scheduler, config, lambda: calls.append(clock.moment))
    clock.advance(hours=6)
    scheduler.run_pending()
    clock.advance(hours=5, minutes=59)
    scheduler.run_pending()
    assert calls == [dt.datetime(2026, 3, 10, 18, 0, tzinfo=UTC)]
    assert job.next_run == dt.datetime(2026, 3, 11, 0, 0)


def test_the_runner_runs_the_job_each_night_at_two_until_asked_to_stop(clock, tmp_path):
    config = load_config(env=job_env(tmp_path))
    stop, seen = Stop(), []

    def sync(run, say) -> int:
        seen.append(clock.moment)
        if len(seen) == 3:
            stop.request()
        return 0

    assert serve(config, steps=lambda: [("sync", sync)], stop=stop,
                 wait=lambda seconds: clock.advance(seconds=seconds)) == 0
    assert seen == [dt.datetime(2026, 3, day, 19, 0, tzinfo=UTC) for day in (10, 11, 12)]
    runs = log_lines(config)
    assert [(r["trigger"], r["outcome"], r["exit_code"], r["steps"]) for r in runs] == [
        ("schedule", "in-sync", 0, ["sync"])] * 3
    assert lock_is_free(config.lock_file)


# --- one run: exit codes, stop, record -----------------------------------------------------

@pytest.mark.parametrize("codes, exit_code, outcome", [((0, 0, 0), 0, "in-sync"), ((0, 1, 0), 1, "invalid"),
                                                       ((0, 1, 2), 2, "portal-error"), ((1, 0, 1), 1, "invalid")])
def test_the_worst_step_decides_the_exit_code(config, codes, exit_code, outcome):
    calls = []
    steps = [(name, step(code, calls, name)) for name, code in zip(("rebuild", "validate", "sync"), codes)]
    run = run_once(config, steps=steps)
    assert (run.exit_code, run.outcome, calls, run.steps) == (exit_code, outcome, ["rebuild", "validate", "sync"],
                                                             ["rebuild", "validate", "sync"])


def test_a_step_that_raises_ends_the_run_loudly_and_skips_the_rest(config):
    calls = []

    def broken(run, say):
        raise ConnectionError("portal at http://127.0.0.1:9 refused the connection")

    run = run_once(config, steps=[("rebuild", step(0, calls, "rebuild")), ("sync", broken),
                                  ("after", step(0, calls, "after"))])
    assert (run.exit_code, run.outcome, calls, run.steps) == (2, "failed", ["rebuild"], ["rebuild"])
    assert "ConnectionError" in run.error and "refused" in run.error
    assert log_lines(config)[-1]["error"] == run.error


def test_each_run_appends_one_log_line_and_rewrites_the_status_file(config):
    def sync(run, say):
        run.plan = {"created": 2, "updated": 1, "unchanged": 3, "deleted": 0, "uploads": 4, "writes": 3, "failed": 0}
        run.sync = {"datasets": ["ผลการพัฒนาระบบราชการ"]}
        return 0

    first = run_once(config, steps=[("sync", sync)])
    second = run_once(config, steps=[("validate", step(1))])
    lines = log_lines(config)
    assert [line["exit_code"] for line in lines] == [0, 1]
    assert lines[0]["plan"] == first.plan and "sync" not in lines[0]
    assert lines[0]["started"] <= lines[0]["finished"]
    assert dt.datetime.fromisoformat(lines[0]["started"]).utcoffset() == dt.timedelta(hours=7)
    status = json.loads(config.status_file.read_text(encoding="utf-8"))
    assert status["exit_code"] == second.exit_code == 1 and status["started"] == second.started
    assert not list(config.status_file.parent.glob("*.tmp"))
    assert read_runs(config, last=1) == [lines[-1]]
    run_once(config, steps=[("sync", sync)])
    assert json.loads(config.status_file.read_text(encoding="utf-8"))["sync"] == {"datasets": ["ผลการพัฒนาระบบราชการ"]}


def test_sigterm_between_steps_finishes_the_step_and_skips_the_rest(config):
    calls, stop = [], Stop()

    def rebuild(run, say):
        os.kill(os.getpid(), signal.SIGTERM)
        calls.append("rebuild finished")
        return 0

    with stop.on_signals():
        run = run_once(config, steps=[("rebuild", rebuild), ("sync", step(0, calls, "sync"))], stop=stop)
    assert calls == ["rebuild finished"]
    assert (run.outcome, run.exit_code, run.steps) == ("abandoned", 128 + signal.SIGTERM, ["rebuild"])
    assert "SIGTERM" in run.error
    assert log_lines(config)[-1]["outcome"] == "abandoned"
    assert lock_is_free(config.lock_file)


def test_a_second_signal_abandons_the_current_step_at_once(config):
    calls, stop = [], Stop()

    def sync(run, say):
        os.kill(os.getpid(), signal.SIGINT)
        calls.append("after the first signal")
        os.kill(os.getpid(), signal.SIGINT)
        calls.append("after the second signal")
        return 0

    with stop.on_signals():
        run = run_once(config, steps=[("sync", sync)], stop=stop)
    assert calls == ["after the first signal"]
    assert (run.outcome, run.exit_code, run.steps) == ("abandoned", 128 + signal.SIGINT, [])
    assert lock_is_free(config.lock_file)


# --- the lock ----------------------------------------------------------------------------

def test_the_lock_names_its_file_and_holder_and_is_free_again_afterwards(tmp_path):
    lock_file = tmp_path / "var" / "publisher.lock"
    with job_lock(lock_file):
        with pytest.raises(Locked) as refused:
            with job_lock(lock_file):
                pass
        assert refused.value.pid == os.getpid() == lock_holder(lock_file)
        assert str(lock_file) in str(refused.value) and f"pid {os.getpid()}" in str(refused.value)
    assert lock_holder(lock_file) is None
    assert lock_is_free(lock_file)


HOLDER = """
import os, sys, time
from pathlib import Path
from publisher.jobs.config import load_config
from publisher.jobs.runner import run_once

ready, release = Path(sys.argv[1]), Path(sys.argv[2])

def sync(run, say):
    (ready / str(os.getpid())).write_text("")
    while not release.exists():
        time.sleep(0.05)
    return 0

sys.exit(run_once(load_config(), steps=[("sync", sync)]).exit_code)
"""


def start_holder(tmp_path: Path, env: dict[str, str]) -> subprocess.Popen:
    ready, release = tmp_path / "ready", tmp_path / "release"
    ready.mkdir(exist_ok=True)
    return subprocess.Popen([sys.executable, "-c", HOLDER, str(ready), str(release)], cwd=ROOT,
                            env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_runs_started_together_exactly_one_proceeds_the_other_exits_3(tmp_path, config):
    env = job_env(tmp_path)
    runs = [start_holder(tmp_path, env), start_holder(tmp_path, env)]
    try:
        # each one either reaches its step (holding the lock) or has exited
        wait_until(lambda: all(p.poll() is not None or (tmp_path / "ready" / str(p.pid)).exists() for p in runs),
                   "both runs to start")
        proceeding = [p for p in runs if (tmp_path / "ready" / str(p.pid)).exists()]
        refused = [p for p in runs if p not in proceeding]
        assert len(proceeding) == 1 and len(refused) == 1
        assert refused[0].wait(PATIENCE) == LOCKED
        (tmp_path / "release").write_text("")
        assert proceeding[0].wait(PATIENCE) == 0
    finally:
        for p in runs:
            if p.poll() is None:
                p.kill()
            p.communicate()
    locked, done = log_lines(config)
    assert (locked["outcome"], locked["exit_code"], locked["pid"]) == ("locked", 3, refused[0].pid)
    assert str(config.lock_file) in locked["error"] and f"pid {proceeding[0].pid}" in locked["error"]
    assert (done["outcome"], done["exit_code"], done["pid"]) == ("in-sync", 0, proceeding[0].pid)
    # the refused run leaves the status of the real one alone
    assert json.loads(config.status_file.read_text(encoding="utf-8"))["pid"] == proceeding[0].pid
    assert lock_is_free(config.lock_file)


def test_publisher_run_job_exits_3_naming_the_lock_and_the_holder_while_a_run_is_active(tmp_path, config):
    env = job_env(tmp_path)
    holder = start_holder(tmp_path, env)
    try:
        wait_until(lambda: (tmp_path / "ready" / str(holder.pid)).exists() or holder.poll() is not None,
                   "the first run to take the lock")
        assert holder.poll() is None, holder.communicate()
        second = subprocess.run([sys.executable, "-m", "publisher", "run-job", "--once"], cwd=ROOT,
                                env={**os.environ, **env}, capture_output=True, text=True, timeout=PATIENCE)
        assert second.returncode == 3, second.stderr
        assert str(config.lock_file) in second.stderr and f"pid {holder.pid}" in second.stderr
        (tmp_path / "release").write_text("")
        assert holder.wait(PATIENCE) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.communicate()


def free_port() -> int:
    with socket.socket() as probe:      # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("command", [["sync"], ["build"]])
def test_sync_and_build_exit_3_naming_the_holder_while_a_run_holds_the_lock(tmp_path, config, command):
    env = job_env(tmp_path)
    holder = start_holder(tmp_path, env)
    (tmp_path / "empty").mkdir()
    target = ["--packages", str(tmp_path / "empty"), "--portal", f"http://127.0.0.1:{free_port()}"] \
        if command == ["sync"] else []
    try:
        wait_until(lambda: (tmp_path / "ready" / str(holder.pid)).exists() or holder.poll() is not None,
                   "the run to take the lock")
        assert holder.poll() is None, holder.communicate()
        second = subprocess.run([sys.executable, "-m", "publisher", *command, *target, "--wait", "0"], cwd=ROOT,
                                env={**os.environ, **env}, capture_output=True, text=True, timeout=PATIENCE)
        assert second.returncode == 3, second.stdout + second.stderr
        assert str(config.lock_file) in second.stderr and f"pid {holder.pid}" in second.stderr
        assert holder.poll() is None            # the run goes on, untouched
        (tmp_path / "release").write_text("")
        assert holder.wait(PATIENCE) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.communicate()


def test_a_sync_started_during_a_run_waits_for_it_and_only_then_runs(tmp_path, config):
    env = job_env(tmp_path)
    holder, waiting = start_holder(tmp_path, env), None
    (tmp_path / "empty").mkdir()
    try:
        wait_until(lambda: (tmp_path / "ready" / str(holder.pid)).exists() or holder.poll() is not None,
                   "the run to take the lock")
        waiting = subprocess.Popen([sys.executable, "-m", "publisher", "sync", "--packages", str(tmp_path / "empty"),
                                    "--portal", f"http://127.0.0.1:{free_port()}", "--wait", str(PATIENCE)],
                                   cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        told = waiting.stderr.readline()
        assert "waiting for the lock" in told and f"pid {holder.pid}" in told, told
        assert waiting.poll() is None and lock_holder(config.lock_file) == holder.pid
        (tmp_path / "release").write_text("")
        assert holder.wait(PATIENCE) == 0
        rest, errors = waiting.communicate(timeout=PATIENCE)
        assert waiting.returncode == 2 and "cannot reach the portal" in rest + errors   # it ran, after the run
    finally:
        for process in (holder, waiting):
            if process is not None and process.poll() is None:
                process.kill()
                process.communicate()
    assert [line["pid"] for line in log_lines(config)] == [holder.pid]
    assert lock_is_free(config.lock_file)


def test_the_job_validates_each_package_once(tmp_path, monkeypatch, config):
    from publisher.validate import run as validation

    packages_dir, reports_dir = tmp_path / "datapackages", tmp_path / "reports"
    for name in ("th-provinces", "public-sector-digital-indicators"):
        shutil.copytree(ROOT / "datapackages" / name, packages_dir / name)
    shutil.copytree(ROOT / "reports", reports_dir)
    counted: dict[str, int] = {}
    real = validation.validate_package

    def counting(descriptor_path, *args, **kwargs):
        counted[descriptor_path.parent.name] = counted.get(descriptor_path.parent.name, 0) + 1
        return real(descriptor_path, *args, **kwargs)

    monkeypatch.setattr(validation, "validate_package", counting)
    config = load_config(env=job_env(tmp_path, portal=f"http://127.0.0.1:{free_port()}"))
    run = run_once(config, steps=pipeline(config, packages_dir, reports_dir))
    assert run.steps == ["rebuild", "validate", "sync"] and run.exit_code == 2    # nothing listens there
    assert counted == {"th-provinces": 1, "public-sector-digital-indicators": 1}
    assert config.validated_file.is_file() and config.validated_file.is_relative_to(tmp_path)


# --- publisher schedule stops cleanly ------------------------------------------------------

@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_publisher_schedule_stops_on_a_signal_with_exit_0_and_releases_the_lock(tmp_path, config, signum):
    # every 24 hours from start: no run comes due while the test runs
    env = {**os.environ, **job_env(tmp_path, every="24h")}
    runner = subprocess.Popen([sys.executable, "-m", "publisher", "schedule"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        started = runner.stdout.readline()
        assert f"runner pid {runner.pid}" in started, started + runner.stderr.read()
        assert "every 24 hour(s)" in started and str(config.lock_file) in started
        assert lock_holder(config.lock_file) == runner.pid
        assert not lock_is_free(config.lock_file)
        runner.send_signal(signum)
        rest, errors = runner.communicate(timeout=PATIENCE)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.communicate()
    assert runner.returncode == 0, errors
    assert f"stopped by {signal.Signals(signum).name}" in rest
    assert lock_is_free(config.lock_file)
    assert not config.run_log.exists()   # no run came due, so none is recorded


def test_publisher_schedule_exits_3_while_another_run_holds_the_lock(tmp_path, config):
    with job_lock(config.lock_file):
        second = subprocess.run([sys.executable, "-m", "publisher", "schedule"], cwd=ROOT,
                                env={**os.environ, **job_env(tmp_path)}, capture_output=True, text=True,
                                timeout=PATIENCE)
    assert second.returncode == 3
    assert str(config.lock_file) in second.stderr and f"pid {os.getpid()}" in second.stderr


# --- rebuilding what changed ---------------------------------------------------------------

@pytest.fixture
def workspace(tmp_path) -> SimpleNamespace:
    """A copy of the reports and packages that a test may alter."""
    packages_dir, reports_dir = tmp_path / "datapackages", tmp_path / "reports"
    shutil.copytree(ROOT / "datapackages", packages_dir)
    shutil.copytree(ROOT / "reports", reports_dir)
    return SimpleNamespace(packages=packages_dir, reports=reports_dir)


def users_of(report_id: str, packages_dir: Path) -> set[str]:
    return {p.parent.name for p in packages_dir.glob("*/datapackage.json")
            if report_id in {s["report"] for s in json.loads(p.read_text(encoding="utf-8"))["sources"]}}


def rebuild(workspace) -> tuple[int, Run]:
    run = Run(started="", trigger="once", pid=os.getpid())
    return rebuild_step(workspace.packages, workspace.reports)(run, lambda _: None), run


def test_packages_built_from_the_current_reports_are_not_rebuilt(workspace):
    assert stale_packages(load_registry(workspace.reports), workspace.packages) == {}
    code, run = rebuild(workspace)
    assert (code, run.rebuilt, run.counts) == (0, {}, {"rebuilt": 0, "rebuild_failed": 0})


def test_a_package_recording_an_old_checksum_is_rebuilt_and_only_it(workspace):
    descriptor = workspace.packages / "th-provinces" / "datapackage.json"
    current = descriptor.read_bytes()
    old = json.loads(current)
    old["sources"][0]["sha256"] = "0" * 64
    descriptor.write_text(json.dumps(old, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert list(stale_packages(load_registry(workspace.reports), workspace.packages)) == ["th-provinces"]
    code, run = rebuild(workspace)
    assert (code, list(run.rebuilt)) == (0, ["th-provinces"])
    assert descriptor.read_bytes() == current


def test_a_descriptor_that_is_not_a_json_object_is_rebuilt_not_a_crash(workspace):
    descriptor = workspace.packages / "th-provinces" / "datapackage.json"
    current = descriptor.read_bytes()
    descriptor.write_text("[1, 2]", encoding="utf-8")
    assert list(stale_packages(load_registry(workspace.reports), workspace.packages)) == ["th-provinces"]
    code, run = rebuild(workspace)
    assert (code, list(run.rebuilt)) == (0, ["th-provinces"]) and descriptor.read_bytes() == current


def revise_report(workspace, report_id: str, update_registry: bool) -> str:
    """Add a line at the end of a vendored report; returns its new sha256."""
    registry_file = workspace.reports / "registry.json"
    registry = json.loads(registry_file.read_text(encoding="utf-8"))
    entry = next(e for e in registry["reports"] if e["id"] == report_id)
    path = workspace.reports / entry["file"]
    path.write_bytes(path.read_bytes() + "\nหมายเหตุ: ฉบับปรับปรุง".encode("utf-8"))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if update_registry:
        entry["sha256"] = digest
        registry_file.write_text(json.dumps(registry, ensure_ascii=False, indent=2), encoding="utf-8")
    return digest


def test_a_revised_report_rebuilds_every_package_quoting_it(workspace):
    users = users_of("R003", workspace.packages)
    assert users
    digest = revise_report(workspace, "R003", update_registry=True)
    stale = stale_packages(load_registry(workspace.reports), workspace.packages)
    assert set(stale) == users and all("registry" in why for why in stale.values())
    code, run = rebuild(workspace)
    assert (code, set(run.rebuilt)) == (0, users)
    for name in users:
        sources = json.loads((workspace.packages / name / "datapackage.json").read_text(encoding="utf-8"))["sources"]
        assert digest in {s["sha256"] for s in sources if s["report"] == "R003"}
    assert stale_packages(load_registry(workspace.reports), workspace.packages) == {}


def test_a_report_altered_behind_the_registry_fails_loudly_and_leaves_the_packages_alone(workspace):
    users = users_of("R003", workspace.packages)
    before = {name: (workspace.packages / name / "datapackage.json").read_bytes() for name in users}
    revise_report(workspace, "R003", update_registry=False)
    stale = stale_packages(load_registry(workspace.reports), workspace.packages)
    assert set(stale) == users and all("file" in why for why in stale.values())
    code, run = rebuild(workspace)
    assert code == INVALID and run.rebuilt == {} and run.counts["rebuild_failed"] == len(users)
    assert all(f"rebuild {name}" in run.error for name in users) and "sha256" in run.error
    assert before == {name: (workspace.packages / name / "datapackage.json").read_bytes() for name in users}


# --- what an operator installs -------------------------------------------------------------

def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True, delimiters=("=",), comment_prefixes=("#", ";"))
    parser.optionxform = str
    parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    return parser


def crontab_jobs() -> list[str]:
    lines = [line.strip() for line in CRONTAB.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line and not line.startswith("#") and not re.match(r"[A-Z_]+=", line)]


def documented_command() -> str:
    """`publisher run-job --once`, as the service runs it."""
    argv = shlex.split(unit(SERVICE)["Service"]["ExecStart"])
    return " ".join([Path(argv[0]).name, *argv[1:]])


CRON_FIELDS = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def cron_field_ok(text: str, low: int, high: int) -> bool:
    for part in text.split(","):
        match = re.fullmatch(r"(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?", part)
        if not match:
            return False
        numbers = [int(n) for n in match.groups()[1:3] if n is not None]
        if any(not low <= n <= high for n in numbers) or match.group(4) == "0":
            return False
    return True


def test_the_service_is_a_oneshot_run_job_with_a_token_file_and_working_directory():
    service = unit(SERVICE)["Service"]
    assert service["Type"] == "oneshot"
    assert service["WorkingDirectory"] == INSTALL_DIR
    assert service["EnvironmentFile"].startswith("/etc/")
    assert shlex.split(service["ExecStart"])[0] == f"{INSTALL_DIR}/.venv/bin/publisher"
    assert documented_command() == "publisher run-job --once"
    assert "Environment" not in service   # no inline variables: the token comes only from the file


def test_the_timer_fires_daily_at_two_in_bangkok_and_makes_up_missed_runs():
    timer = unit(TIMER)
    assert timer["Timer"]["OnCalendar"] == "*-*-* 02:00:00 Asia/Bangkok"
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Timer"]["Unit"] == SERVICE.name
    assert timer["Install"]["WantedBy"] == "timers.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verifies_the_service_and_timer(tmp_path):
    # verify checks that ExecStart exists, so the units are pointed at this checkout
    for path in (SERVICE, TIMER):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8").replace(INSTALL_DIR, str(ROOT)),
                                          encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", str(tmp_path / SERVICE.name), str(tmp_path / TIMER.name)],
                            capture_output=True, text=True, timeout=PATIENCE)
    assert result.returncode == 0, result.stderr
    ours = [line for line in result.stderr.splitlines() if "thai-opendata-publisher" in line]
    assert ours == []
    calendar = subprocess.run(["systemd-analyze", "calendar", unit(TIMER)["Timer"]["OnCalendar"]],
                              capture_output=True, text=True, timeout=PATIENCE)
    assert calendar.returncode == 0 and "Asia/Bangkok" in calendar.stdout


def test_the_crontab_line_is_valid_and_runs_the_same_command_as_the_service():
    jobs = crontab_jobs()
    assert len(jobs) == 1
    fields = jobs[0].split(None, 5)
    assert len(fields) == 6
    for text, (low, high) in zip(fields[:5], CRON_FIELDS):
        assert cron_field_ok(text, low, high), text
    assert fields[:2] == ["0", "2"]
    command = fields[5]
    service = unit(SERVICE)["Service"]
    assert command.startswith(f"cd {service['WorkingDirectory']} && ")
    assert f". {service['EnvironmentFile']} " in command
    assert f".venv/bin/{documented_command()} " in command + " "


def test_the_readmes_document_the_command_the_files_run():
    command = documented_command()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Scheduled runs", 1)[1].split("\n## ", 1)[0]
    assert f"$ {command}" in section and "cron/README.md" in section
    operator = (CRON / "README.md").read_text(encoding="utf-8")
    assert f"$ {command}" in operator
    for name in (SERVICE.name, TIMER.name, CRONTAB.name, "PUBLISHER_CKAN_TOKEN", "mode 600", "var/run-log.jsonl"):
        assert name in operator, name


def test_the_environment_file_example_holds_no_token():
    example = (CRON / "publisher.env.example").read_text(encoding="utf-8")
    assert re.search(r"^PUBLISHER_CKAN_TOKEN=$", example, re.M)
    assert "600" in example


def test_an_unreachable_portal_ends_the_run_with_exit_2_and_says_so(tmp_path):
    try:
        import publisher.catalog.sync  # noqa: F401
    except ImportError:
        pytest.skip("publisher.catalog.sync not available")
    with socket.socket() as probe:      # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = load_config(env=job_env(tmp_path, portal=f"http://127.0.0.1:{port}"))
    run = run_once(config)
    assert (run.exit_code, run.outcome, run.steps) == (2, "portal-error", ["rebuild", "validate", "sync"])
    assert f"127.0.0.1:{port}" in run.error
    assert log_lines(config)[-1]["exit_code"] == 2
    assert json.loads(config.status_file.read_text(encoding="utf-8"))["sync"]["error"]


# --- one real run against the local portal ---------------------------------------------------

@pytest.mark.portal
def test_a_real_run_syncs_the_packages_and_leaves_a_record(stack, portal, tmp_path):
    try:
        import publisher.catalog.sync  # noqa: F401
    except ImportError:
        pytest.skip("publisher.catalog.sync not available")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PUBLISHER_SCHEDULE_", "PUBLISHER_CKAN_TOKEN"))}
    env.update(job_env(tmp_path))
    config = load_config(env=job_env(tmp_path))
    packages = sorted(p.parent.name for p in (ROOT / "datapackages").glob("*/datapackage.json"))

    def run_job() -> tuple[subprocess.CompletedProcess, dict]:
        result = subprocess.run([sys.executable, "-m", "publisher", "run-job", "--once", "--json"], cwd=ROOT,
                                env=env, capture_output=True, text=True, timeout=1800)
        assert portal.token not in result.stdout + result.stderr
        return result, json.loads(result.stdout)

    first, run = run_job()
    assert first.returncode == run["exit_code"] == 0, (run["error"], first.stderr[-3000:])
    assert (run["outcome"], run["steps"], run["trigger"]) == ("in-sync", ["rebuild", "validate", "sync"], "once")
    assert run["counts"]["packages"] == len(packages) and run["counts"]["invalid"] == 0
    assert set(run["plan"]) >= {"created", "updated", "unchanged", "deleted", "uploads", "writes", "failed"}
    assert run["plan"]["failed"] == 0
    assert log_lines(config) == [{k: v for k, v in run.items() if k != "sync"}]
    status = json.loads(config.status_file.read_text(encoding="utf-8"))
    assert status == run and isinstance(status["sync"], dict)

    second, again = run_job()
    assert second.returncode == again["exit_code"] == 0, again["error"]
    assert again["plan"]["created"] == again["plan"]["updated"] == again["plan"]["failed"] == 0
    assert again["plan"]["unchanged"] >= len(packages)
    assert [line["started"] for line in log_lines(config)] == [run["started"], again["started"]]
    for path in (config.run_log, config.status_file):
        assert portal.token not in path.read_text(encoding="utf-8")

    shown = subprocess.run([sys.executable, "-m", "publisher", "status", "--json"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=PATIENCE)
    assert shown.returncode == 0
    report = json.loads(shown.stdout)
    assert [r["exit_code"] for r in report["runs"]] == [0, 0] and report["last_run"]["started"] == again["started"]
