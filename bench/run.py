"""Publishing benchmark: `publisher sync` beside the tools a CKAN publisher would otherwise use,
on one local portal, with the requests counted at the server.

For each size N it generates N packages (bench/generate.py) and, each tool on a freshly reset
portal, runs:

- ``sync``: ``publisher sync`` (first publish), then again with nothing changed (no-op);
  ``validate``: ``publisher validate`` alone, the share of a sync that needs no portal;
- ``ckanapi``: ``ckanapi load organizations|groups|datasets`` from JSON lines built from the
  same packages (GD-Catalog fields at the top level), then ``ckanapi batch --local-files`` to
  upload every file (``load --upload-resources`` only re-uploads from URLs); first and re-run;
- ``frictionless``: ``Package.publish`` with ``CkanControl``, first and with ``allow_update``;
- ``dpckan``: ``dpckan dataset create``, then ``dataset update``.

frictionless and dpckan are installed from PyPI into their own virtual environments under
bench/.venvs/. Each phase records wall time, CPU time and peak memory of its processes (the
rusage of the waited-for child, its own children included) and the HTTP requests the portal
logged while it ran (the CKAN access log, one line per request, with the time it took).

Results go to bench/results/bench-N<N>.json; BENCHMARKS.md is written from every result there.
The portal is the one named by PUBLISHER_STACK_DIR and the PUBLISHER_*_PORT variables; it is
reset for every tool, so the harness refuses to run on the default portal.

    PUBLISHER_STACK_DIR=/work/stack-bench PUBLISHER_CKAN_PORT=5200 PUBLISHER_SOLR_PORT=9003 \\
    PUBLISHER_POSTGRES_PORT=5453 PUBLISHER_REDIS_PORT=6400 .venv/bin/python bench/run.py --sizes 10 100
    .venv/bin/python bench/run.py --report      # only rewrite BENCHMARKS.md from bench/results/
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import generate  # noqa: E402
from bench import xloader  # noqa: E402
from bench.own_portal import own_portal  # noqa: E402
from publisher.stack import supervisor as stacks  # noqa: E402
from publisher.catalog import map as mapping  # noqa: E402
from publisher.catalog.client import redact  # noqa: E402

RESULTS = BENCH / "results"
VENVS = BENCH / ".venvs"
REPORT = ROOT / "BENCHMARKS.md"
PYTHON = str(Path(sys.executable))
BIN = Path(sys.executable).parent
CATALOG = "bench"                      # the catalog mark of the synthetic datasets
TOOLS = ("sync", "ckanapi", "xloader", "frictionless", "dpckan")
# what each rival delivers at the end of its first publish
LABELS = {"ckanapi": "ckanapi (files only)", "xloader": "ckanapi + xloader (files, tables, previews)",
          "frictionless": "frictionless", "dpckan": "dpckan"}
# from PyPI into bench/.venvs/<tool>/ (the local wheel folder of PIP_FIND_LINKS is not used)
VENV_PACKAGES = {"frictionless": ["frictionless[ckan]"], "dpckan": ["dpckan"]}
SOFT_COMMIT_ENV = "PUBLISHER_SOLR_SOFT_COMMIT_MS"
ACTION = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3}) ')


# --- the portal ----------------------------------------------------------------------------

@dataclass
class BenchPortal:
    stack: stacks.Stack
    env: dict[str, str]

    @classmethod
    def from_env(cls) -> "BenchPortal":
        stack, env = own_portal("bench/run.py", "resets its portal for every tool")
        portal = cls(stack, env)
        portal.up()
        return portal

    def up(self) -> None:
        """Start the portal if it is not running (the first run installs it: a few minutes)."""
        done = subprocess.run([PYTHON, "-m", "publisher", "ckan", "up", "--json"], cwd=ROOT, env=self.env,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"publisher ckan up failed (exit {done.returncode}); see {self.stack.logs}:\n"
                             f"{done.stderr[-3000:]}")

    def leave_commits_to_solr(self, soft_commit_ms: int) -> None:
        """0: CKAN commits the search index on every write (the portal's default); N: Solr
        soft-commits every N ms and CKAN does not (``PUBLISHER_SOLR_SOFT_COMMIT_MS``). Every tool
        of the run then publishes to the portal so set; ``up`` restarts it into the setting."""
        self.env.pop(SOFT_COMMIT_ENV, None)
        if soft_commit_ms:
            self.env[SOFT_COMMIT_ENV] = str(soft_commit_ms)
        self.stack = stacks.Stack.from_env(self.env)
        self.up()

    @property
    def url(self) -> str:
        return self.stack.ckan_url

    def token(self) -> str:
        return self.stack.token_file.read_text().strip()

    def reset(self) -> float:
        started = time.monotonic()
        done = subprocess.run([PYTHON, "-m", "publisher", "ckan", "reset", "--yes", "--json"], cwd=ROOT,
                              env=self.env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"publisher ckan reset failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
        return time.monotonic() - started

    def down(self) -> None:
        subprocess.run([PYTHON, "-m", "publisher", "ckan", "down"], cwd=ROOT, env=self.env, capture_output=True)

    def log_offset(self) -> int:
        path = self.stack.ckan_access_log
        return path.stat().st_size if path.exists() else 0

    def requests_since(self, offset: int) -> dict:
        """The requests the access log holds past ``offset``: count, by action, by status, and
        the time the server spent on them."""
        path = self.stack.ckan_access_log
        if not path.exists():
            return {"total": 0, "by_action": {}, "by_status": {}, "server_seconds": 0.0}
        with path.open("rb") as handle:
            handle.seek(offset)
            lines = handle.read().decode("utf-8", "replace").splitlines()
        by_action: dict[str, int] = {}
        by_status: dict[str, int] = {}
        seconds: dict[str, float] = {}
        for line in lines:
            match = ACTION.search(line)
            if not match:
                continue
            what = _what(match["path"])
            by_action[what] = by_action.get(what, 0) + 1
            by_status[match["status"]] = by_status.get(match["status"], 0) + 1
            last = line.rsplit(" ", 1)[-1]
            seconds[what] = seconds.get(what, 0.0) + (int(last) / 1e6 if last.isdigit() else 0.0)
        return {"total": sum(by_action.values()), "by_action": dict(sorted(by_action.items())),
                "by_status": dict(sorted(by_status.items())), "server_seconds": round(sum(seconds.values()), 2),
                "server_seconds_by_action": {k: round(v, 2) for k, v in sorted(seconds.items())}}


def _what(path: str) -> str:
    """An action name, or the kind of page (a download, a dataset page)."""
    path = path.split("?", 1)[0]
    match = re.match(r"/api/(?:\d/)?action/(\w+)", path)
    if match:
        return match.group(1)
    if "/download/" in path:
        return "(file download)"
    return "(page) " + "/".join(path.split("/")[:2])


# --- running and measuring a phase ----------------------------------------------------------

@dataclass
class Step:
    argv: list[str]
    shown: str                       # the command as recorded: the token masked
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path = ROOT


@dataclass
class Phase:
    tool: str
    phase: str                       # first | rerun | noop | validate
    commands: list[str] = field(default_factory=list)
    exit_codes: list[int] = field(default_factory=list)
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0         # user + system of the processes, children included
    peak_rss_mb: float = 0.0         # the largest resident set of any one of them
    requests: dict = field(default_factory=dict)
    load_before: float = 0.0         # 1-minute load average of the machine
    load_after: float = 0.0
    ok: bool = True
    error: str = ""
    output: dict = field(default_factory=dict)   # what the tool itself reported (JSON), when it did
    code: dict = field(default_factory=dict)     # the project's code when the phase started
    worker_cpu_seconds: float = 0.0  # the xloader workers' CPU time during the phase (server side)
    worker_peak_rss_mb: float = 0.0

    @property
    def key(self) -> str:
        return f"{self.tool}-{self.phase}"


def run_phase(portal: BenchPortal, tool: str, phase: str, steps: list[Step], logs: Path,
              timeout: float, until=None, keep: frozenset[int] = frozenset()) -> Phase:
    """Run the steps one after the other; with ``until``, the clock runs on after them until
    ``until()`` returns (ok, what it saw). ``keep``: the harness's own long-lived children (the
    xloader workers), which are not waited for as a step's leftovers."""
    result = Phase(tool, phase, load_before=round(os.getloadavg()[0], 2), code=source_state())
    offset = portal.log_offset()
    token = portal.token()
    for number, step in enumerate(steps):
        out = logs / f"{tool}-{phase}-{number}.out"
        err = logs / f"{tool}-{phase}-{number}.err"
        result.commands.append(step.shown)
        started = time.monotonic()
        _subreaper(True)
        try:
            with out.open("wb") as stdout, err.open("wb") as stderr:
                process = subprocess.Popen(step.argv, stdout=stdout, stderr=stderr, cwd=step.cwd,
                                           env={**portal.env, **step.env}, start_new_session=True)
                timer = threading.Timer(timeout, _stop, [process])
                timer.start()
                _, status, usage = os.wait4(process.pid, 0)
                result.wall_seconds += time.monotonic() - started
                process.returncode = os.waitstatus_to_exitcode(status)
                usages = [usage] + _orphans(keep)
                timer.cancel()
        finally:
            _subreaper(False)
        result.cpu_seconds += sum(u.ru_utime + u.ru_stime for u in usages)
        result.peak_rss_mb = max([result.peak_rss_mb] + [u.ru_maxrss / 1024 for u in usages])
        result.exit_codes.append(process.returncode)
        for path in (out, err):   # nothing the harness keeps holds the token
            text = path.read_text(encoding="utf-8", errors="replace")
            if token in text:
                path.write_text(redact(text, token), encoding="utf-8")
        if process.returncode < 0:
            result.ok, result.error = False, f"{step.shown}: killed after {timeout:.0f} s"
            break
    if until is not None and result.ok:
        started = time.monotonic()
        done, seen = until()
        result.wall_seconds += time.monotonic() - started
        result.output["usable"] = seen
        if not done:
            result.ok, result.error = False, f"not every table became usable: {seen}"
    time.sleep(1.0)   # gunicorn writes a request's line just after answering it
    result.requests = portal.requests_since(offset)
    result.load_after = round(os.getloadavg()[0], 2)
    result.wall_seconds = round(result.wall_seconds, 2)
    result.cpu_seconds = round(result.cpu_seconds, 2)
    result.peak_rss_mb = round(result.peak_rss_mb, 1)
    return result


def _subreaper(on: bool) -> None:
    """While a phase runs, processes its command leaves behind (ckanapi never waits for its
    workers) become children of the harness, so that their CPU time and memory are counted."""
    import ctypes

    PR_SET_CHILD_SUBREAPER = 36
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0)


def _orphans(keep: frozenset[int] = frozenset()) -> list:
    """Wait for every process the command left behind (all children of the harness but
    ``keep``); their resource usage."""
    usages = []
    while True:
        pids = [pid for pid in _children() if pid not in keep]
        if not pids:
            return usages
        for pid in pids:
            try:
                _, _, usage = os.wait4(pid, 0)
            except ChildProcessError:
                continue
            usages.append(usage)


def _children() -> list[int]:
    """The harness's child processes (zombies included), from /proc."""
    me, pids = str(os.getpid()), []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1] == me:
            pids.append(int(stat.parent.name))
    return pids


def _stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass


def last_json(path: Path) -> dict:
    """The JSON document a tool printed (a whole-file document or its last JSON line)."""
    text = path.read_text(encoding="utf-8", errors="replace").strip()
    for candidate in [text] + text.splitlines()[::-1]:
        try:
            value = json.loads(candidate)
            if isinstance(value, dict):
                return value
        except json.JSONDecodeError:
            continue
    return {}


def tail(path: Path, lines: int = 8) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-lines:])


# --- the tools --------------------------------------------------------------------------------

def sync_steps(packages: Path, jobs: int, first: bool) -> list[Step]:
    """The first publish passes --revalidate: sync remembers which packages passed validation
    (var/validated.json), and an earlier run of the benchmark must not spare a first publish
    its validation. The no-op run is left to use what the first one remembered."""
    argv = [PYTHON, "-m", "publisher", "sync", "--packages", str(packages), "--catalog", CATALOG, "--json",
            "--jobs", str(jobs)] + (["--revalidate"] if first else [])
    return [Step(argv, " ".join(["publisher"] + argv[3:]))]


def unvalidated_steps(packages: Path, jobs: int) -> list[Step]:
    argv = [PYTHON, str(BENCH / "drivers" / "sync_without_validation.py"), str(packages), CATALOG, str(jobs)]
    return [Step(argv, f"sync(portal, packages, catalog='{CATALOG}', jobs={jobs}, validate=False)")]


def validate_steps(packages: Path) -> list[Step]:
    argv = [PYTHON, "-m", "publisher", "validate", str(packages), "--json"]
    return [Step(argv, " ".join(["publisher"] + argv[3:]))]


def resource_id(dataset: str, key: str) -> str:
    """Fixed resource ids, so that the uploads of `ckanapi batch` can name their resource."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench:{dataset}/{key}"))


def ckanapi_inputs(packages: Path, target: Path) -> dict[str, Path]:
    """JSON lines for ckanapi from the same packages: the dataset fields sync sends (GD-Catalog
    fields at the top level, without sync's own extras), each file as an upload resource, and
    one ``resource_patch`` with a local file per resource for ``ckanapi batch --local-files``."""
    target.mkdir(parents=True, exist_ok=True)
    known_groups = mapping.groups()
    organizations, groups = mapping.organizations(), set()
    files = {k: target / f"{k}.jsonl" for k in ("organizations", "groups", "datasets", "uploads")}
    used_orgs = set()
    with files["datasets"].open("w", encoding="utf-8") as datasets, \
            files["uploads"].open("w", encoding="utf-8") as uploads:
        for folder in sorted(p.parent for p in packages.glob("*/datapackage.json")):
            local = mapping.load_dataset(folder, known_groups)
            fields = {k: v for k, v in local.fields.items() if k != "extras"}
            fields["extras"] = [e for e in local.fields["extras"] if e["key"] != mapping.MARKER_KEY]
            used_orgs.add(fields["owner_org"])
            groups |= {g["name"] for g in fields["groups"]}
            resources = []
            for resource in local.resources:
                path = resource.path or folder / mapping.DATAPACKAGE
                extra = resource.fields or {"name": mapping.DATAPACKAGE, "format": "JSON",
                                            "mimetype": "application/json"}
                rid = resource_id(local.name, resource.key)
                resources.append({"id": rid, "url": path.name, "url_type": "upload", **extra})
                uploads.write(json.dumps({"action": "resource_patch", "data": {"id": rid},
                                          "files": {"upload": str(path)}}) + "\n")
            datasets.write(json.dumps({**fields, "resources": resources}, ensure_ascii=False) + "\n")
    files["organizations"].write_text("".join(json.dumps(organizations[o], ensure_ascii=False) + "\n"
                                              for o in sorted(used_orgs)), encoding="utf-8")
    files["groups"].write_text("".join(json.dumps(known_groups[g], ensure_ascii=False) + "\n"
                                       for g in sorted(groups)), encoding="utf-8")
    return files


def ckanapi_steps(portal: BenchPortal, inputs: dict[str, Path], jobs: int, logs: Path, phase: str,
                  tool: str = "ckanapi") -> list[Step]:
    """Each step logs its records (-l), so that failed records are found: ``batch`` exits 0
    whatever its actions answered."""
    ckanapi = str(BIN / "ckanapi")
    token = portal.token()
    steps = []
    for number, (command, thing, extra) in enumerate((("load", "organizations", []), ("load", "groups", []),
                                                      ("load", "datasets", ["-p", str(jobs)]),
                                                      ("batch", None, ["--local-files", "-p", str(jobs)]))):
        what = [command] + ([thing] if thing else [])
        source = inputs[thing or "uploads"]
        record_log = logs / f"{tool}-{phase}-{number}.jsonl"
        record_log.unlink(missing_ok=True)
        argv = [ckanapi, *what, "-I", str(source), *extra, "-l", str(record_log), "-r", portal.url, "-a", token]
        shown = " ".join(["ckanapi", *what, "-I", source.name, *extra, "-l", record_log.name, "-r", portal.url,
                          "-a", "$TOKEN"])
        # ckanapi starts its worker processes as plain `ckanapi`, found on PATH
        steps.append(Step(argv, shown, env={"PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}"}))
    return steps


def tool_venv(tool: str) -> Path:
    """bench/.venvs/<tool>, created and filled from PyPI on first use."""
    venv = VENVS / tool
    marker = venv / ".installed"
    if marker.exists():
        return venv
    if venv.exists():
        shutil.rmtree(venv)
    base = getattr(sys, "_base_executable", None) or sys.executable
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    env = {**os.environ, "PIP_FIND_LINKS": "", "PIP_NO_INPUT": "1"}
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", *VENV_PACKAGES[tool]], check=True, env=env)
    frozen = subprocess.run([str(venv / "bin" / "pip"), "freeze"], capture_output=True, text=True, env=env).stdout
    marker.write_text(frozen, encoding="utf-8")
    return venv


def installed(tool: str, package: str) -> str:
    marker = VENVS / tool / ".installed"
    if not marker.exists():
        return ""
    for line in marker.read_text(encoding="utf-8").splitlines():
        if line.lower().startswith(f"{package.lower()}=="):
            return line.split("==", 1)[1]
    return ""


def portable_copies(packages: Path, target: Path) -> Path:
    """The packages as a user of frictionless or dpckan would hand them over: the descriptor
    with the GD-Catalog fields at the top level (where the portal's schema wants them),
    ``owner_org`` (which dpckan requires) and without ``groups`` (our list of group names, which
    CKAN would take for its own list of group objects and refuse); the data files linked."""
    if target.exists():
        shutil.rmtree(target)
    for descriptor_path in sorted(packages.glob("*/datapackage.json")):
        descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
        folder = target / descriptor_path.parent.name
        folder.mkdir(parents=True)
        (folder / "data").symlink_to(descriptor_path.parent / "data", target_is_directory=True)
        flat = {**{k: v for k, v in descriptor.items() if k not in ("gdc", "groups")}, **descriptor.get("gdc", {}),
                "owner_org": descriptor["organization"]["name"]}
        (folder / "datapackage.json").write_text(json.dumps(flat, ensure_ascii=False, indent=2) + "\n",
                                                 encoding="utf-8")
    return target


def frictionless_steps(portal: BenchPortal, packages: Path, organization: str, update: bool) -> list[Step]:
    python = str(tool_venv("frictionless") / "bin" / "python")
    argv = [python, str(BENCH / "drivers" / "frictionless_publish.py"), str(packages), portal.url, organization]
    argv += ["--update"] if update else []
    shown = f"Package(p).publish(control=CkanControl(baseurl, apikey='env:…', organization_name='{organization}'" \
            f"{', allow_update=True' if update else ''})) for each package"
    return [Step(argv, shown, env={"BENCH_CKAN_KEY": portal.token()})]


def dpckan_steps(portal: BenchPortal, packages: Path, verb: str) -> list[Step]:
    python = str(tool_venv("dpckan") / "bin" / "python")
    argv = [python, str(BENCH / "drivers" / "dpckan_publish.py"), str(packages), verb]
    shown = f"dpckan --datapackage <package>/datapackage.json --exit-code dataset {verb} for each package"
    return [Step(argv, shown, env={"CKAN_HOST": portal.url, "CKAN_KEY": portal.token()})]


def prepare_owners(portal: BenchPortal, packages: Path) -> None:
    """Organizations and groups, for the tools that expect them to exist (untimed)."""
    import ckanapi

    client = ckanapi.RemoteCKAN(portal.url, apikey=portal.token())
    descriptors = [json.loads(p.read_text(encoding="utf-8")) for p in packages.glob("*/datapackage.json")]
    organizations = mapping.organizations()
    for name in sorted({d["organization"]["name"] for d in descriptors}):
        client.call_action("organization_create", organizations[name])
    known = mapping.groups()
    for name in sorted({g for d in descriptors for g in d.get("groups", [])}):
        client.call_action("group_create", known[name])


# --- one size -------------------------------------------------------------------------------

def judge(phase: Phase, logs: Path, expect_output: bool = False) -> Phase:
    """ok only when every process exited 0 and, where the tool logs each record (ckanapi) or
    reports in JSON (sync and the drivers), none of them failed."""
    prefix = logs / f"{phase.tool}-{phase.phase}"
    last = Path(f"{prefix}-{len(phase.exit_codes) - 1}")
    if expect_output:
        report = last_json(Path(f"{last}.out"))
        phase.output = {k: report.get(k) for k in ("summary", "exit_code", "error", "skipped", "unconverged",
                                                   "published", "failed", "errors") if k in report}
    record_errors = []
    for number in range(len(phase.exit_codes)):
        record_log = Path(f"{prefix}-{number}.jsonl")
        if record_log.exists():
            entries = [json.loads(line) for line in record_log.read_text(encoding="utf-8").splitlines() if line]
            record_errors += [f"{entry[2]}: {entry[3]}: {json.dumps(entry[4], ensure_ascii=False)}"
                              for entry in entries if entry[3]]
    if record_errors:
        phase.output.update({"failed_records": len(record_errors), "errors": record_errors[:3]})
    failing = next((n for n, code in enumerate(phase.exit_codes) if code != 0), None)
    if phase.ok and (failing is not None or record_errors):
        phase.ok = False
        if phase.output.get("errors"):
            phase.error = phase.output["errors"][0]
        else:
            step = Path(f"{prefix}-{failing}")
            phase.error = tail(Path(f"{step}.err")) or tail(Path(f"{step}.out"))
    return phase


def xloader_race(portal: BenchPortal, inputs: dict[str, Path], size: int, jobs: int, workers: int, logs: Path,
                 timeout: float) -> Phase:
    """``ckanapi load`` as in the files-only run, on a portal with ckanext-xloader and its
    workers running; the clock stops when every table is in the DataStore with its preview."""
    stack = portal.stack
    xloader.configure(stack, portal.token(), on=True)
    portal.down()
    portal.up()
    pool = xloader.Workers(stack)
    try:
        pool.start(workers, logs)
        pool.mark()
        expected = size * len(generate.TABLES)
        phase = run_phase(portal, "xloader", "first", ckanapi_steps(portal, inputs, jobs, logs, "first", "xloader"),
                          logs, timeout, until=lambda: xloader.wait_until_usable(stack, expected, stall=300),
                          keep=pool.pids)
        phase.worker_cpu_seconds = round(pool.cpu_seconds() - pool.cpu_at_start, 2)
        phase.worker_peak_rss_mb = pool.peak_rss_mb()
        phase.output["jobs"] = xloader.job_outcomes(stack)
    finally:
        pool.stop()
        xloader.configure(stack, portal.token(), on=False)
        portal.down()
        portal.up()
    phase.commands.append(f"ckan jobs worker × {workers} (started before the clock, stopped after it)")
    return phase


def result_path(size: int, soft_commit_ms: int = 0) -> Path:
    return RESULTS / (f"bench-N{size}-soft{soft_commit_ms}ms.json" if soft_commit_ms else f"bench-N{size}.json")


def bench_size(portal: BenchPortal, size: int, tools: list[str], jobs: int, timeout: float,
               work: Path, workers: int = 1, soft_commit_ms: int = 0) -> dict:
    logs = RESULTS / "logs" / result_path(size, soft_commit_ms).stem.removeprefix("bench-")
    if logs.exists():
        shutil.rmtree(logs)
    logs.mkdir(parents=True)
    started = time.monotonic()
    source = source_state()
    packages = work / f"N{size}" / "packages"
    generate.generate(size, packages)
    data_bytes = sum(p.stat().st_size for p in packages.rglob("*") if p.is_file())
    organization = json.loads(next(packages.glob("*/datapackage.json")).read_text(encoding="utf-8"))[
        "organization"]["name"]
    phases: list[Phase] = []
    resets = []

    def say(text: str) -> None:
        print(f"[N={size} {time.monotonic() - started:7.1f} s] {text}", file=sys.stderr, flush=True)

    def settle() -> None:
        """Before a re-run, outside the clock: wait for the soft commit that shows the last writes,
        as a scheduled re-run would find them."""
        if soft_commit_ms:
            time.sleep(soft_commit_ms / 1000 + 1)

    def record(phase: Phase) -> None:
        phases.append(phase)
        say(f"{phase.key}: {'ok' if phase.ok else 'FAILED'} {phase.wall_seconds} s, "
            f"{phase.requests.get('total')} requests" + (f" — {phase.error[:200]}" if phase.error else ""))

    if "sync" in tools:
        record(judge(run_phase(portal, "validate", "only", validate_steps(packages), logs, timeout), logs))
        resets.append(portal.reset())
        say("portal reset; publisher sync")
        for phase in ("first", "noop"):
            if phase == "noop":
                settle()
            record(judge(run_phase(portal, "sync", phase, sync_steps(packages, jobs, phase == "first"), logs,
                                   timeout), logs, True))
            phases[-1].output["usable"] = xloader.usable(portal.stack)   # after the clock
        record(judge(run_phase(portal, "sync", "noop-unvalidated", unvalidated_steps(packages, jobs), logs, timeout),
                     logs, True))
    inputs = ckanapi_inputs(packages, work / f"N{size}" / "ckanapi") if {"ckanapi", "xloader"} & set(tools) else {}
    if "ckanapi" in tools:
        resets.append(portal.reset())
        say("portal reset; ckanapi")
        for phase in ("first", "rerun"):
            if phase == "rerun":
                settle()
            steps = ckanapi_steps(portal, inputs, jobs, logs, phase)
            record(judge(run_phase(portal, "ckanapi", phase, steps, logs, timeout), logs))
            phases[-1].output["usable"] = xloader.usable(portal.stack)
    if "xloader" in tools:
        resets.append(portal.reset())
        xloader_version = xloader.install(portal.stack, logs / "xloader-install.log")
        say(f"portal reset; ckanapi + xloader {xloader_version}, {workers} worker(s)")
        record(judge(xloader_race(portal, inputs, size, jobs, workers, logs, timeout), logs))
    portable = portable_copies(packages, work / f"N{size}" / "portable") if {"frictionless", "dpckan"} & set(tools) \
        else None
    for tool in ("frictionless", "dpckan"):
        if tool not in tools:
            continue
        tool_venv(tool)
        resets.append(portal.reset())
        prepare_owners(portal, packages)
        say(f"portal reset; {tool}")
        for phase in ("first", "rerun"):
            if phase == "rerun":
                settle()
            if phase == "rerun" and not phases[-1].output.get("published"):
                record(Phase(tool, phase, ok=False, error="not run: the first publish published nothing"))
                continue
            steps = frictionless_steps(portal, portable, organization, phase == "rerun") if tool == "frictionless" \
                else dpckan_steps(portal, portable, "create" if phase == "first" else "update")
            record(judge(run_phase(portal, tool, phase, steps, logs, timeout), logs, True))
    run = {"tools": tools, "jobs": jobs, "xloader_workers": workers if "xloader" in tools else None,
           "reset_seconds": [round(r, 1) for r in resets],
           "total_seconds": round(time.monotonic() - started, 1), "finished": time.strftime("%Y-%m-%d %H:%M:%S %z"),
           "source": source}
    if source_state() != source:
        run["source_at_end"] = source_state()   # the code changed while it ran: see each phase's "code"
    return {
        "size": size, "solr_soft_commit_ms": soft_commit_ms, "data_bytes": data_bytes,
        "resources_per_dataset": len(generate.TABLES),
        "rows_per_table": list(generate.ROWS), "phases": {p.key: {**asdict(p), "run": 0} for p in phases},
        "runs": [run], "machine": machine(), "versions": versions(),
    }


def merged(old: dict | None, new: dict) -> dict:
    """A run of some tools replaces their phases and keeps the others' from earlier runs."""
    if not old or "runs" not in old:
        return new
    number = len(old["runs"])
    phases = {**old["phases"], **{k: {**v, "run": number} for k, v in new["phases"].items()}}
    return {**new, "phases": phases, "runs": old["runs"] + new["runs"],
            "versions": {**old.get("versions", {}), **{k: v for k, v in new["versions"].items() if v}}}


def source_state() -> dict:
    """Which code was measured: the commit, the files of publisher/ changed since it, and a
    digest of publisher/ as it is (the same digest, the same code)."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.rstrip("\n") if done.returncode == 0 else ""

    digest = hashlib.sha256()
    for path in sorted((ROOT / "publisher").rglob("*.py")):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return {"commit": git("rev-parse", "--short", "HEAD"), "publisher_sha256": digest.hexdigest()[:12],
            "changed": [line[3:] for line in git("status", "--porcelain", "--", "publisher").splitlines()]}


def machine() -> dict:
    return {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)}


def versions() -> dict:
    from importlib.metadata import version

    return {"ckanapi": version("ckanapi"), "ckanext-xloader": xloader.PACKAGE.split("==")[1], "frictionless (bench venv)": installed("frictionless", "frictionless"),
            "dpckan": installed("dpckan", "dpckan"),
            "frictionless (dpckan venv)": installed("dpckan", "frictionless")}


# --- the report ------------------------------------------------------------------------------

ENV = ("PUBLISHER_STACK_DIR=/work/stack-bench PUBLISHER_CKAN_PORT=5200 PUBLISHER_SOLR_PORT=9003 "
       "PUBLISHER_POSTGRES_PORT=5453 PUBLISHER_REDIS_PORT=6400")
FINDINGS = BENCH / "findings.md"          # what the numbers mean, written by whoever ran them
PAIRS = [("first publish", "sync-first", "first"), ("re-run, nothing changed", "sync-noop", "rerun")]
SECTIONS = BENCH / "sections"             # the other benchmarks' parts, each written by its own script
RACE_TARGET = 1.5                         # ours against ckanapi + xloader, to a usable catalog
# the requests of a first sync that fill the DataStore, work the other tools do not do
DATASTORE_WORK = ("datastore_create", "datastore_upsert", "datastore_delete",
                  "resource_create_default_resource_views", "package_create_default_resource_views",
                  "resource_patch")


def _ratio(ours: float | None, theirs: float | None) -> str:
    if ours is None or theirs is None or not theirs:
        return "–"
    return f"{ours / theirs:.2f}"


def _speedup(ours: float | None, theirs: float | None) -> str:
    if not ours or theirs is None:
        return "–"
    return f"{theirs / ours:.1f}×"


def _cell(text: str, width: int) -> str:
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= width else text[:width - 1] + "…"


def comparison_rows(result: dict) -> list[str]:
    phases, rows = result["phases"], []
    for label, ours_key, theirs_phase in PAIRS:
        for tool in TOOLS[1:]:
            ours, theirs = phases.get(ours_key), phases.get(f"{tool}-{theirs_phase}")
            if not ours or not theirs or not theirs["ok"]:
                continue
            o, t = ours["requests"], theirs["requests"]
            rows.append(f"| {result['size']} | {label} | {LABELS[tool]} | "
                        f"{_ratio(ours['wall_seconds'], theirs['wall_seconds'])} "
                        f"({ours['wall_seconds']} s / {theirs['wall_seconds']} s) | "
                        f"{_speedup(ours['wall_seconds'], theirs['wall_seconds'])} | "
                        f"{_ratio(ours['cpu_seconds'], theirs['cpu_seconds'])} | "
                        f"{_ratio(ours['peak_rss_mb'], theirs['peak_rss_mb'])} | "
                        f"{_ratio(o['total'], t['total'])} ({o['total']} / {t['total']}) | "
                        f"{_ratio(o['server_seconds'], t['server_seconds'])} |")
    return rows


def _usable(phase: dict) -> str:
    seen = phase.get("output", {}).get("usable")
    if not seen:
        return "–"
    return f"{seen['with_preview']} of {seen['tables']}"


def race_rows(result: dict) -> list[str]:
    """Time until every table is in the DataStore with its preview: sync's first publish,
    ckanapi + xloader, and ckanapi alone (files only) for scale."""
    rows, phases = [], result["phases"]
    ours = phases.get("sync-first")
    for key in ("sync-first", "xloader-first", "ckanapi-first"):
        p = phases.get(key)
        if not p:
            continue
        speed = _speedup(ours["wall_seconds"], p["wall_seconds"]) if ours and key != "sync-first" else "–"
        worker = f"{p['worker_cpu_seconds']}" if p.get("worker_cpu_seconds") else "–"
        requests = p["requests"]
        own = requests.get("by_action", {})
        by_worker = sum(own.get(k, 0) for k in ("xloader_hook", "(file download)")) if key == "xloader-first" else 0
        rows.append(f"| {result['size']} | {LABELS.get(p['tool'], '`publisher sync`')} | "
                    f"{'ok' if p['ok'] else 'failed'} | {_usable(p)} | {p['wall_seconds']} | {speed} | "
                    f"{requests.get('total', 0)}" + (f" ({by_worker} by the worker)" if by_worker else "") +
                    f" | {requests.get('server_seconds', 0)} | {worker} | {p['cpu_seconds']} |")
    return rows


def failures(results: list[dict]) -> list[str]:
    """Each tool that could not publish, once per size, with what the portal or the tool said."""
    lines = []
    for result in results:
        for tool in TOOLS[1:]:
            first = result["phases"].get(f"{tool}-first")
            if first and not first["ok"]:
                output = first.get("output", {})
                done = f"{_usable(first)} tables usable" if "usable" in output and "published" not in output \
                    else f"{output.get('published') or 0} of {result['size']} published"
                soft = f" (search commits left to Solr, soft commit every {result['solr_soft_commit_ms']} ms)" \
                    if result.get("solr_soft_commit_ms") else ""
                lines.append(f"- **{tool}**, N={result['size']}{soft}: {done}, "
                             f"{first['requests'].get('total', 0)} requests "
                             f"({', '.join(f'{a} {n}' for a, n in first['requests'].get('by_action', {}).items())}, "
                             f"statuses {first['requests'].get('by_status', {})}); first error: "
                             f"`{_cell(first['error'], 600).replace('`', '')}`")
    return lines


def _datastore_share(phase: dict) -> float:
    by_action = phase["requests"].get("server_seconds_by_action", {})
    return sum(v for k, v in by_action.items() if k in DATASTORE_WORK)


def targets(results: list[dict]) -> list[str]:
    lines = []
    for result in results:
        n, phases = result["size"], result["phases"]
        first, race = phases.get("sync-first"), phases.get("xloader-first")
        if first and race:
            speed = race["wall_seconds"] / first["wall_seconds"]
            lines.append(f"- N={n}, to a usable catalog: **{speed:.2f}×** faster than ckanapi + xloader "
                         f"({first['wall_seconds']} s against {race['wall_seconds']} s; target ≥ {RACE_TARGET}×: "
                         f"{'met' if speed >= RACE_TARGET and race['ok'] else 'missed'}); tables usable at the end: "
                         f"{_usable(first)} against {_usable(race)}; {first['requests']['total']} requests against "
                         f"{race['requests']['total']}")
        noop, first = phases.get("sync-noop"), phases.get("sync-first")
        rerun, their_first = phases.get("ckanapi-rerun"), phases.get("ckanapi-first")
        validate, bare = phases.get("validate-only"), phases.get("sync-noop-unvalidated")
        if noop and rerun and rerun["ok"]:
            speed = rerun["wall_seconds"] / noop["wall_seconds"]
            limit = math.ceil(n / 1000) + 5
            line = (f"- N={n}, no-op re-sync: **{speed:.1f}×** faster than ckanapi's re-run "
                    f"({noop['wall_seconds']} s against {rerun['wall_seconds']} s; target ≥ 20×: "
                    f"{'met' if speed >= 20 else 'missed'}); **{noop['requests']['total']} request(s)** "
                    f"(target ≤ ⌈N/1000⌉+5 = {limit}: {'met' if noop['requests']['total'] <= limit else 'missed'})")
            if validate:
                line += f"; `publisher validate` of the same packages alone: {validate['wall_seconds']} s"
            if bare and bare["ok"] and bare["wall_seconds"]:
                line += (f"; the same no-op without validation: {bare['wall_seconds']} s "
                         f"({rerun['wall_seconds'] / bare['wall_seconds']:.0f}× faster than ckanapi)")
            lines.append(line)
        if first and their_first and their_first["ok"]:
            speed = their_first["wall_seconds"] / first["wall_seconds"]
            ours_server, theirs_server = first["requests"]["server_seconds"], their_first["requests"]["server_seconds"]
            datastore = _datastore_share(first)
            lines.append(f"- N={n}, first publish: **{speed:.2f}×** ckanapi's speed ({first['wall_seconds']} s "
                         f"against {their_first['wall_seconds']} s; target ≥ 2×: {'met' if speed >= 2 else 'missed'}); "
                         f"{first['requests']['total']} requests against {their_first['requests']['total']}; "
                         f"server time {ours_server} s against {theirs_server} s, of which {datastore:.1f} s "
                         f"({datastore / ours_server:.0%}) fill the DataStore (tables and their previews), "
                         f"which ckanapi does not do; the rest, {ours_server - datastore:.1f} s, is "
                         f"{(ours_server - datastore) / theirs_server:.2f}× ckanapi's")
    memory = [f"N={r['size']}: " + ", ".join(f"{k.removeprefix('sync-')} {r['phases'][k]['peak_rss_mb']} MB"
                                             for k in ("sync-first", "sync-noop") if k in r["phases"])
              for r in results if "sync-first" in r["phases"]]
    if memory:
        lines.append("- peak memory of `publisher sync`: " + "; ".join(memory))
    return lines


def phase_rows(result: dict) -> list[str]:
    rows = []
    for key, p in result["phases"].items():
        if p["error"].startswith("not run"):
            continue
        actions = ", ".join(f"{a} {n}" for a, n in sorted(p["requests"].get("by_action", {}).items(),
                                                           key=lambda kv: -kv[1])[:7])
        size = f"{result['size']}, soft commit {result['solr_soft_commit_ms']} ms" \
            if result.get("solr_soft_commit_ms") else result["size"]
        rows.append(f"| {size} | {key} | {'ok' if p['ok'] else 'failed'} | {p['wall_seconds']} | "
                    f"{p['cpu_seconds']} | {p['peak_rss_mb']} | {p['requests'].get('total', 0)} | "
                    f"{p['requests'].get('server_seconds', 0)} | {p.get('worker_cpu_seconds') or '–'} | "
                    f"{p['load_before']}→{p['load_after']} | "
                    f"{_cell(actions, 200)} |")
    return rows


DEFERRED_PHASES = ("sync-first", "xloader-first", "ckanapi-first", "sync-noop", "ckanapi-rerun")


def deferred_rows(result: dict, plain: dict | None) -> list[str]:
    """Each tool on a portal that leaves search commits to Solr, beside the same tool on the
    portal that commits on every write (the plain result of the same N)."""
    rows, phases = [], result["phases"]
    for key in DEFERRED_PHASES:
        p, before = phases.get(key), (plain or {}).get("phases", {}).get(key)
        if not p:
            continue
        tool = LABELS.get(p["tool"], "`publisher sync`")
        run = "re-run, nothing changed" if p["phase"] in ("noop", "rerun") else "first publish"
        same_run = before and before.get("code") == p.get("code")
        change = _speedup(p["wall_seconds"], before["wall_seconds"]) if before and p["ok"] and before["ok"] else "–"
        rows.append(f"| {result['size']} | {result['solr_soft_commit_ms']} ms | {tool} | {run} | "
                    f"{'ok' if p['ok'] else 'failed'} | {_usable(p)} | {p['wall_seconds']} | "
                    f"{before['wall_seconds'] if before else '–'} | {change}{'' if same_run or not before else ' *'} | "
                    f"{p['requests'].get('total', 0)} | {p['requests'].get('server_seconds', 0)} | "
                    f"{(before or {}).get('requests', {}).get('server_seconds', '–')} |")
    ours, race = phases.get("sync-first"), phases.get("xloader-first")
    if ours and race and ours["ok"] and ours["wall_seconds"]:
        verdict = _speedup(ours["wall_seconds"], race["wall_seconds"]) if race["ok"] else \
            f"ckanapi + xloader never got there ({_usable(race)} tables usable)"
        rows.append(f"| {result['size']} | {result['solr_soft_commit_ms']} ms | to a usable catalog: ours faster by "
                    f"| | | | | | {verdict} | | | |")
    return rows


def write_report(results: list[dict]) -> None:
    deferred = sorted((r for r in results if r.get("solr_soft_commit_ms")), key=lambda r: r["size"])
    results = sorted((r for r in results if not r.get("solr_soft_commit_ms")), key=lambda r: r["size"])
    out = ["# Benchmarks: `publisher sync` against the tools in use today", "",
           "Generated by `bench/run.py --report` from `bench/results/bench-N*.json` and `bench/findings.md`, "
           "followed by the sections the other benchmarks write (`bench/sections/*.md`); do not edit by hand.", "",
           "Each tool publishes the same N synthetic packages (`bench/generate.py`: three tables of "
           f"{generate.ROWS[0]}–{generate.ROWS[1]} rows each, Thai text, complete GD-Catalog metadata) to the same "
           "local CKAN 2.11, reset before each tool. Requests are counted at the server (CKAN's access log: every "
           "retry and download included). Wall time, CPU time and peak memory are those of the tool's own "
           "processes (ckanapi's worker processes included); *server time* is the sum of the durations the server "
           "logged for the tool's requests. The machine has 2 cores shared with other work, so times vary from run "
           "to run (the load column of the last table); request counts do not.", "",
           "To reproduce (a portal of its own, reset for every tool; `--tools` runs some of them, `--report` only "
           "rewrites this file):", "", "```console",
           f"{ENV} .venv/bin/python bench/run.py --sizes 100 1000 --tools sync ckanapi xloader   # the race",
           f"{ENV} .venv/bin/python bench/run.py --sizes 10 100 1000      # every tool",
           "```", "",
           "## Ours / theirs", "",
           "A ratio below 1 means `publisher sync` needed less; *speed-up* is their wall time over ours.", "",
           "| N | run | against | wall time (ours / theirs) | speed-up | CPU | peak memory | requests | "
           "server time |", "|---|---|---|---|---|---|---|---|---|"]
    for result in results:
        out += comparison_rows(result)
    race = [row for result in results for row in race_rows(result)]
    if race:
        out += ["", "## The race to a usable catalog", "",
                "What a data.go.th-style portal offers after a first publish: every file, and every table in the "
                "DataStore with its preview (`datatables_view`). `publisher sync` does it all itself; with "
                "ckanapi the portal's ckanext-xloader does the tables: the harness installs it from PyPI into the "
                "portal's CKAN venv, enables its plugin for that run only and starts `ckan jobs worker` before the "
                "clock. The clock runs from the start of `ckanapi load` until the last table is `datastore_active` "
                "and has its preview, read from the portal's database every 0.5 s (so waiting adds no request). "
                "*requests* are every request the access log holds for the run, the worker's own (its "
                "`xloader_hook` calls and file downloads) included; the worker's writes to the DataStore and "
                "the catalog go through CKAN's actions inside the worker, not HTTP, so its CPU time is a column "
                "of its own (*worker CPU*); *client CPU* is the tool's. ckanapi alone is the files-only row.", "",
                "| N | tool | result | tables usable | wall s | ours faster by | requests | server s | "
                "worker CPU s | client CPU s |", "|---|---|---|---|---|---|---|---|---|---|"] + race
    if deferred:
        plain = {r["size"]: r for r in results}
        out += ["", "## Search commits left to Solr: the portal setting, measured for every tool", "",
                "By default CKAN commits the search index on every write (`ckan.search.solr_commit = true`), so a "
                "dataset is searchable as soon as the write returns. A busy portal often leaves commits to Solr "
                "instead: `ckan.search.solr_commit = false` and an `autoSoftCommit` in the core's configuration, "
                "so that writes show in search within that interval (`bench/run.py --solr-soft-commit MS`, "
                "through `PUBLISHER_SOLR_SOFT_COMMIT_MS`). Every tool ran on the portal so set, reset before "
                "each as above; before a re-run the harness waits for the next soft commit, outside the clock. "
                "*speed-up* is the same tool's wall time with a commit on every write over its wall time with "
                "soft commits (above 1: the setting helped); * marks a pair measured on different code. The "
                "other columns are this setting's.", "",
                "| N | soft commit | tool | run | result | tables usable | wall s | wall s, commit per write | "
                "speed-up | requests | server s | server s, commit per write |",
                "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for result in deferred:
            out += deferred_rows(result, plain.get(result["size"]))
    out += ["", "## Tools that could not publish", ""] + (failures(results + deferred) or ["None."])
    out += ["", "## Against the targets", ""] + targets(results)
    if FINDINGS.exists():
        out += ["", FINDINGS.read_text(encoding="utf-8").strip()]
    out += ["", "## Every phase", "",
            "`validate-only` is `publisher validate` on the same packages; `sync-noop-unvalidated` is the no-op "
            "sync with validation left out (`sync(..., validate=False)`), to show what validation costs.", "",
            "| N | phase | result | wall s | CPU s | peak MB | requests | server s | worker CPU s | load | "
            "requests by kind |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for result in results + deferred:
        out += phase_rows(result)
    out += ["", "## What was run", ""]
    for result in results + deferred:
        soft = f", search commits left to Solr (soft commit every {result['solr_soft_commit_ms']} ms)" \
            if result.get("solr_soft_commit_ms") else ""
        out.append(f"- N={result['size']}{soft} ({result['data_bytes'] / 2**20:.0f} MB of packages):")
        for number, run in enumerate(result["runs"]):
            kept = sum(phase.get("run") == number for phase in result["phases"].values())
            changed = f" with local changes to {', '.join(run['source']['changed'])}" if run["source"]["changed"] \
                else ""
            moved = " (the code changed while it ran)" if run.get("source_at_end") else ""
            moved += "; its phases were all run again later and replaced" if not kept else ""
            workers = f", {run['xloader_workers']} xloader worker(s)" if run.get("xloader_workers") else ""
            out.append(f"  - {', '.join(run['tools'])}: `--jobs`/`-p` {run['jobs']}{workers}, "
                       f"{run['total_seconds']} s in all "
                       f"(portal resets {', '.join(str(r) for r in run['reset_seconds'])} s), finished "
                       f"{run['finished']}, code at {run['source']['commit']}{changed}{moved}")
    if results:
        out.append(f"- machine: {results[-1]['machine']}")
        out.append(f"- versions: {results[-1]['versions']}")
    for section in sorted(SECTIONS.glob("*.md")):
        out += ["", section.read_text(encoding="utf-8").strip()]
    REPORT.write_text("\n".join(out) + "\n", encoding="utf-8")


def load_results() -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(RESULTS.glob("bench-N*.json"))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS))
    parser.add_argument("--jobs", type=int, default=4, help="sync --jobs and ckanapi -p (default 4)")
    parser.add_argument("--xloader-workers", type=int, default=1,
                        help="`ckan jobs worker` processes in the xloader run (default 1: the one worker "
                             "xloader's README starts)")
    parser.add_argument("--timeout", type=float, default=7200,
                        help="seconds per command before it is stopped (default 7200: xloader at N = 1000 took 3,304 s)")
    parser.add_argument("--solr-soft-commit", type=int, nargs="+", default=[0], metavar="MS",
                        help="the portal's search commits: 0, CKAN commits on every write (the default); "
                             "N, Solr soft-commits every N ms and CKAN does not. Several values run every "
                             "tool under each, one after the other (e.g. 0 1000)")
    parser.add_argument("--work", type=Path, default=RESULTS / "work", help="where packages and inputs are written")
    parser.add_argument("--down", action="store_true", help="stop the portal at the end")
    parser.add_argument("--report", action="store_true", help="only rewrite BENCHMARKS.md from bench/results/")
    args = parser.parse_args(argv)
    if args.report:
        write_report(load_results())
        return 0
    portal = BenchPortal.from_env()
    RESULTS.mkdir(parents=True, exist_ok=True)
    try:
        for size in args.sizes:
            for soft_commit_ms in args.solr_soft_commit:
                portal.leave_commits_to_solr(soft_commit_ms)
                result = bench_size(portal, size, args.tools, args.jobs, args.timeout, args.work,
                                    args.xloader_workers, soft_commit_ms)
                path = result_path(size, soft_commit_ms)
                old = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
                path.write_text(json.dumps(merged(old, result), ensure_ascii=False, indent=2) + "\n",
                                encoding="utf-8")
                write_report(load_results())
    finally:
        if args.solr_soft_commit != [0]:
            portal.leave_commits_to_solr(0)      # the portal as it was found
        if args.down:
            portal.down()
    print(REPORT.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
