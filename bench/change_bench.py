"""The nightly change path: `publisher run-job --once` on a portal already in sync, after one change.

Builds a catalog folder of its own (PUBLISHER_ROOT): the repository's reports, N generated
packages (bench/generate.py) and th-provinces, whose recipe reads a copy of the provinces code
list registered as report `iso-3166-2-th-bench` (quoted by no generated package). The portal
(a stack of its own: PUBLISHER_STACK_DIR and ports; never the default one) is reset, the job
publishes everything, runs once more with nothing changed, then once after each change:

- one CSV changed (a cell of bench-0003's measures table; its hash and size in the descriptor);
- one dataset's title changed (bench-0005's descriptor);
- one report changed (a line added to the code list copy, its checksum in the registry), so that
  the job rebuilds th-provinces.

For each run: wall time of the command from start to exit (validation included), the requests
the portal logged (its access log), the sync's requests and writes, the resources uploaded, and
how many packages were validated and how many were recognised as already valid. Writes
bench/results/change-N<N>.json and bench/sections/30-change-path.md, then BENCHMARKS.md when
bench/run.py --report includes the sections.

    export PUBLISHER_STACK_DIR=/work/stack-speed PUBLISHER_CKAN_PORT=5352 PUBLISHER_SOLR_PORT=9352 \\
           PUBLISHER_POSTGRES_PORT=5752 PUBLISHER_REDIS_PORT=6752
    .venv/bin/python -m publisher ckan up
    .venv/bin/python bench/change_bench.py --packages 1000      # the first publish takes ~15 minutes
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from publisher.stack.supervisor import Stack  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SECTION = ROOT / "bench" / "sections" / "30-change-path.md"
PYTHON = sys.executable
REPORT_ID = "iso-3166-2-th-bench"
REPORT_FILE = "codelists/iso-3166-2-th-bench.tsv"


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()


def make_catalog(folder: Path, count: int) -> None:
    shutil.copytree(ROOT / "reports", folder / "reports")
    registry_path = folder / "reports" / "registry.json"
    registry = json.loads(registry_path.read_text(encoding="utf-8"))
    original = next(r for r in registry["reports"] if r["id"] == "iso-3166-2-th")
    shutil.copyfile(folder / "reports" / original["file"], folder / "reports" / REPORT_FILE)
    registry["reports"].append({**original, "id": REPORT_ID, "file": REPORT_FILE, "former_ids": []})
    registry_path.write_text(json.dumps(registry, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    subprocess.run([PYTHON, str(ROOT / "bench" / "generate.py"), str(count), str(folder / "datapackages")],
                   check=True, capture_output=True, env={**os.environ, "PUBLISHER_ROOT": str(ROOT)})
    target = folder / "datapackages" / "th-provinces"
    target.mkdir()
    recipe = (ROOT / "datapackages" / "th-provinces" / "recipe.yaml").read_text(encoding="utf-8")
    assert "report: iso-3166-2-th\n" in recipe
    (target / "recipe.yaml").write_text(recipe.replace("report: iso-3166-2-th\n", f"report: {REPORT_ID}\n"),
                                        encoding="utf-8")       # built by the job's first run


def change_csv(catalog: Path) -> str:
    folder = catalog / "datapackages" / "bench-0003"
    path = folder / "data" / "measures.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    cells = lines[1].split(",")
    cells[4] = "เรื่อง" if cells[4] != "เรื่อง" else "ราย"            # unit_th: free text
    lines[1] = ",".join(cells)
    data = "\n".join(lines).encode("utf-8")
    path.write_bytes(data)
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        if resource["path"] == "data/measures.csv":
            resource["hash"], resource["bytes"] = "sha256:" + hashlib.sha256(data).hexdigest(), len(data)
    (folder / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n",
                                             encoding="utf-8")
    return "bench-0003: one cell of data/measures.csv"


def change_title(catalog: Path) -> str:
    path = catalog / "datapackages" / "bench-0005" / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    descriptor["title"] += " (ฉบับปรับปรุง)"
    path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return "bench-0005: its title"


def change_report(catalog: Path) -> str:
    path = catalog / "reports" / REPORT_FILE
    with path.open("a", encoding="utf-8") as out:
        out.write("\n")
    registry_path = catalog / "reports" / "registry.json"
    registry = json.loads(registry_path.read_text(encoding="utf-8"))
    for report in registry["reports"]:
        if report["id"] == REPORT_ID:
            report["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    registry_path.write_text(json.dumps(registry, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return f"report {REPORT_ID} (a line added; th-provinces is rebuilt from it)"


def server_requests(log: Path, offset: int) -> dict[str, int]:
    if not log.exists():
        return {}
    with log.open("rb") as handle:
        handle.seek(offset)
        lines = handle.read().decode("utf-8", "replace").splitlines()
    counted: dict[str, int] = {}
    for line in lines:
        if "/api/" in line and "/action/" in line:
            what = line.split("/action/", 1)[1].split()[0].split("?")[0]
        elif '"GET ' in line or '"POST ' in line:
            what = "(other)"
        else:
            continue
        counted[what] = counted.get(what, 0) + 1
    return dict(sorted(counted.items()))


def run_job(env: dict[str, str], stack: Stack, what: str) -> dict:
    log = stack.ckan_access_log
    offset = log.stat().st_size if log.exists() else 0
    started = time.perf_counter()
    done = subprocess.run([PYTHON, "-m", "publisher", "run-job", "--once", "--json"], cwd=env["PUBLISHER_ROOT"],
                          env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    time.sleep(1)                                      # the access log is written after the answer
    if not done.stdout.strip():
        raise SystemExit(f"run-job printed nothing (exit {done.returncode}):\n{done.stderr[-3000:]}")
    run = json.loads(done.stdout)
    served = server_requests(log, offset)
    uploads = sorted(f"{o['name']}/{u}" for o in (run.get("sync") or {}).get("outcomes") or [] for u in o["uploads"])
    entry = {"change": what, "exit_code": done.returncode, "seconds": round(seconds, 2),
             "server_requests": sum(served.values()), "server_by_action": served,
             "sync_requests": sum(((run.get("sync") or {}).get("calls") or {}).values()),
             "writes": (run.get("plan") or {}).get("writes"), "changed_resources": len(uploads), "uploads": uploads,
             "validated": run["counts"].get("validated"), "already_valid": run["counts"].get("already_valid"),
             "rebuilt": run["counts"].get("rebuilt"), "plan": run.get("plan"), "error": run.get("error")}
    entry["goal"] = 2 + 2 * entry["changed_resources"]
    entry["met"] = entry["server_requests"] <= entry["goal"] and entry["validated"] == (0 if what == "nothing" else 1)
    print(f"{what}: exit {done.returncode}, {seconds:.1f} s, {entry['server_requests']} requests "
          f"(goal ≤ {entry['goal']}), {entry['writes']} writes, validated {entry['validated']}, "
          f"already valid {entry['already_valid']}", file=sys.stderr)
    return entry


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=1000)
    parser.add_argument("--keep", type=Path, help="build the catalog here and keep it (default: a temp dir)")
    args = parser.parse_args()
    stack = Stack.from_env()
    if stack.ckan_port == 5000 or stack.state == (ROOT / ".stack").resolve() and "PUBLISHER_STACK_DIR" not in os.environ:
        raise SystemExit("the benchmark resets its portal: give it one of its own (PUBLISHER_STACK_DIR and ports)")
    commit = git("rev-parse", "--short", "HEAD")
    with tempfile.TemporaryDirectory(prefix="change-bench-") as temp:
        catalog = (args.keep or Path(temp)).resolve()
        if catalog.exists() and any(catalog.iterdir()):
            shutil.rmtree(catalog)
        catalog.mkdir(parents=True, exist_ok=True)
        make_catalog(catalog, args.packages)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PUBLISHER_SCHEDULE_", "PUBLISHER_CKAN_URL",
                                                                         "PUBLISHER_CKAN_TOKEN", "PUBLISHER_VAR_DIR"))}
        env.update(PUBLISHER_ROOT=str(catalog), PUBLISHER_STACK_DIR=str(stack.state))
        reset = subprocess.run([PYTHON, "-m", "publisher", "ckan", "reset", "--yes", "--json"], cwd=ROOT, env=env,
                               capture_output=True, text=True)
        if reset.returncode != 0:
            raise SystemExit(f"publisher ckan reset failed:\n{reset.stderr[-3000:]}")
        runs = [run_job(env, stack, "first publish"), run_job(env, stack, "nothing")]
        for change in (change_csv, change_title, change_report):
            runs.append(run_job(env, stack, change(catalog)))
        runs.append(run_job(env, stack, "nothing"))
    results = {"commit": commit, "packages": args.packages, "datasets": args.packages + 1, "cpus": os.cpu_count(),
               "load_before": os.getloadavg()[0], "runs": runs}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"change-N{args.packages}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n",
                                                          encoding="utf-8")
    SECTION.parent.mkdir(parents=True, exist_ok=True)
    SECTION.write_text(section(results), encoding="utf-8")
    report = ROOT / "bench" / "run.py"
    if report.exists() and "bench/sections" in report.read_text(encoding="utf-8"):
        subprocess.run([PYTHON, str(report), "--report"], cwd=ROOT, check=False)
    changes = runs[2:5]
    return 0 if all(r["exit_code"] == 0 for r in runs) and all(r["met"] for r in changes) else 1


def section(results: dict) -> str:
    rows = []
    for run in results["runs"]:
        goal = f"≤ {run['goal']}" if run["change"] != "first publish" else "—"
        met = "—" if run["change"] in ("first publish", "nothing") else ("met" if run["met"] else "**missed**")
        rows.append(f"| {run['change']} | {run['seconds']:.1f} s | {run['server_requests']} | {run['sync_requests']} | "
                    f"{run['writes']} | {run['changed_resources']} | {goal} | {run['validated']} / "
                    f"{run['already_valid']} | {met} |")
    table = "\n".join(rows)
    change_runs = results["runs"][2:5]
    detail = "\n".join(f"- {r['change']}: " + ", ".join(f"{k} {v}" for k, v in r["server_by_action"].items())
                       + (f"; uploaded {', '.join(r['uploads'])}" if r["uploads"] else "") for r in change_runs)
    return f"""## The change path: one change, then `publisher run-job --once`

Measured on commit `{results['commit']}` by `bench/change_bench.py` with {results['packages']:,} generated
packages and th-provinces ({results['datasets']:,} datasets, and the agencies' reports datasets) on a
local CKAN of its own ({results['cpus']} cores shared with other work; load {results['load_before']:.1f}
at the end). The portal is reset, the job publishes everything, runs again with nothing changed,
then once after each change. Time is the command's from start to exit, validation included;
requests are those the portal logged while it ran (its access log); writes and the resources
uploaded are the sync's own count. Goal: requests ≤ 2 + 2 × changed resources, and only the
changed package validated.

| run | time | requests (portal) | requests (sync) | writes | changed resources | goal | validated / already valid | |
|---|---:|---:|---:|---:|---:|---|---|---|
{table}

Requests by action:

{detail}

A package is recognised as already valid by the sha256 of its folder and of the reports it cites,
kept with the validator's own digest in `var/validated.json` (publisher/catalog/validated.py); a
change to one package or one report no longer makes every package be validated again. The
packages not checked are still compared with the changed ones by the consistency rules.

Reproduce: `.venv/bin/python bench/change_bench.py --packages {results['packages']}` with a portal of
its own (see the script's docstring); results in `bench/results/change-N{results['packages']}.json`.
"""


if __name__ == "__main__":
    sys.exit(main())
