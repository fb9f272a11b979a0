"""ckanext-xloader in the benchmark's portal: the way a data.go.th-style portal fills its DataStore
after ``ckanapi`` (or a person) uploads a CSV, so that ``ckanapi load`` plus xloader can be timed
until the catalog is as usable as ``publisher sync`` leaves it.

The harness installs the extension from PyPI into the portal's own CKAN virtual environment,
adds ``xloader`` to ``ckan.plugins`` with the settings its README asks for (an API token and the
jobs database), restarts the portal, starts ``ckan jobs worker`` processes and, once the race is
over, stops them and takes the plugin out again. Whether a table is usable is read from the
portal's database (not over HTTP, so that waiting adds no requests to the count): its resource
is ``datastore_active`` and has a ``datatables_view``, the preview ``ckan.views.default_views``
names and xloader's ``xloader_hook`` creates (as gdc_mirror's ``datastore_create`` does for sync).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from publisher.stack import supervisor as stacks
from publisher.stack.postgres import psql

# the newest release at the time of writing; its README lists CKAN 2.10, 2.11 and 2.12
PACKAGE = "ckanext-xloader==2.6.0"
VIEW = "datatables_view"
TICK = os.sysconf("SC_CLK_TCK")

# every CSV resource of an active dataset: how many, how many in the DataStore, how many with a preview
USABLE_SQL = f"""
select count(*),
       count(*) filter (where coalesce(r.extras, '{{}}')::jsonb ->> 'datastore_active' = 'true'),
       count(*) filter (where coalesce(r.extras, '{{}}')::jsonb ->> 'datastore_active' = 'true'
                          and exists (select 1 from resource_view v
                                      where v.resource_id = r.id and v.view_type = '{VIEW}'))
from resource r join package p on p.id = r.package_id
where r.state = 'active' and p.state = 'active' and lower(r.format) = 'csv';
"""


def usable(stack: stacks.Stack) -> dict:
    """The CSV tables of the catalog: in all, in the DataStore, and in it with their preview."""
    tables, active, previewed = (int(v) for v in psql(stack, USABLE_SQL, "ckan_default").strip().split("|"))
    return {"tables": tables, "datastore_active": active, "with_preview": previewed}


def install(stack: stacks.Stack, log: Path) -> str:
    """pip install the extension into the portal's CKAN venv (once); its installed version."""
    marker = stack.venv / ".bench-xloader"
    if not (marker.exists() and marker.read_text() == PACKAGE):
        with log.open("ab") as out:
            subprocess.run([stack.ckan_bin("python"), "-m", "pip", "install", "--disable-pip-version-check", "-q",
                            PACKAGE], check=True, stdout=out, stderr=out, env=stack.ckan_env())
        marker.write_text(PACKAGE)
    done = subprocess.run([stack.ckan_bin("python"), "-m", "pip", "show", "ckanext-xloader"], capture_output=True,
                          text=True, env=stack.ckan_env())
    return next((line.split(":", 1)[1].strip() for line in done.stdout.splitlines()
                 if line.startswith("Version:")), "")


def setting(stack: stacks.Stack, key: str) -> str:
    for line in stack.ckan_ini.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() == key:
            return value.strip()
    return ""


def configure(stack: stacks.Stack, token: str, on: bool) -> None:
    """Add the plugin and its settings to ckan.ini, or take the plugin out again. The caller
    restarts the portal (``publisher ckan up`` keeps an edited ckan.ini until a reset)."""
    plugins = [p for p in setting(stack, "ckan.plugins").split() if p != "xloader"] + (["xloader"] if on else [])
    values = [f"ckan.plugins = {' '.join(plugins)}"]
    if on:
        values += [f"ckanext.xloader.api_token = {token}",
                   f"ckanext.xloader.jobs_db.uri = {setting(stack, 'sqlalchemy.url')}"]
    subprocess.run([stack.ckan_bin("ckan"), "config-tool", str(stack.ckan_ini), *values], check=True,
                   capture_output=True, env=stack.ckan_env())


@dataclass
class Workers:
    """``ckan jobs worker`` processes, started before the clock and stopped after it. Their CPU
    time during the race (each job runs in a forked child the worker reaps, so its time is in
    the worker's) is read from /proc at both ends."""

    stack: stacks.Stack
    processes: list[subprocess.Popen] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)
    cpu_at_start: float = 0.0

    def start(self, count: int, folder: Path, timeout: float = 180) -> None:
        for number in range(count):
            log = folder / f"xloader-worker-{number}.log"
            self.logs.append(log)
            with log.open("wb") as out:
                self.processes.append(subprocess.Popen([self.stack.ckan_bin("ckan"), "jobs", "worker"], stdout=out,
                                                       stderr=subprocess.STDOUT, env=self.stack.ckan_env(),
                                                       cwd=self.stack.state, start_new_session=True))
        deadline = time.monotonic() + timeout
        while not all("has started on queue" in log.read_text(errors="replace") for log in self.logs):
            if any(p.poll() is not None for p in self.processes) or time.monotonic() > deadline:
                raise SystemExit(f"ckan jobs worker did not start; see {', '.join(map(str, self.logs))}")
            time.sleep(0.5)

    @property
    def pids(self) -> frozenset[int]:
        return frozenset(p.pid for p in self.processes)

    def cpu_seconds(self) -> float:
        total = 0
        for process in self.processes:
            try:
                fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += sum(int(v) for v in fields[11:15])   # utime, stime, cutime, cstime
        return total / TICK

    def mark(self) -> None:
        self.cpu_at_start = self.cpu_seconds()

    def peak_rss_mb(self) -> float:
        peaks = []
        for process in self.processes:
            try:
                status = Path(f"/proc/{process.pid}/status").read_text()
            except OSError:
                continue
            peaks += [int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:")]
        return round(max(peaks, default=0.0), 1)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def wait_until_usable(stack: stacks.Stack, expected: int, stall: float, every: float = 0.5) -> tuple[bool, dict]:
    """Poll until ``expected`` tables are in the DataStore with their preview; give up when
    nothing moved for ``stall`` seconds (a job that failed is not retried by itself)."""
    last, moved = None, time.monotonic()
    while True:
        now = usable(stack)
        if now["with_preview"] >= expected:
            return True, now
        if now != last:
            last, moved = now, time.monotonic()
        elif time.monotonic() - moved > stall:
            return False, now
        time.sleep(every)


def job_outcomes(stack: stacks.Stack) -> dict:
    """xloader's own record of its jobs (status: count), from its jobs table."""
    try:
        rows = psql(stack, "select status, count(*) from jobs group by status order by status;", "ckan_default")
    except stacks.StackError:
        return {}
    return {line.split("|")[0]: int(line.split("|")[1]) for line in rows.splitlines() if "|" in line}
