"""Scale benchmark: peak memory of a no-op ``publisher sync`` and of ``publisher plan`` at
N = 100, 1,000 and 10,000 managed datasets, side by side in one run, with the requests and
writes of each.

Each N has its own catalog on one portal (``scale-<N>``, datasets ``s<N>-0000`` …), seeded once
by bench/scale_seed.py (sync's own apply code, CKAN's action functions called in the portal's
venv, Solr commits deferred) after proving on a few datasets that this route leaves exactly what
``publisher sync`` over HTTP leaves. A first ``publisher sync`` of each catalog then validates
its packages (remembered in the benchmark's own var folder) and must write nothing; the measured
runs follow, every N in turn, ``--rounds`` times.

    export PUBLISHER_STACK_DIR=/work/stack-scale PUBLISHER_CKAN_PORT=5342 PUBLISHER_SOLR_PORT=9342 \\
           PUBLISHER_POSTGRES_PORT=5742 PUBLISHER_REDIS_PORT=6742
    .venv/bin/python bench/scale_bench.py --data /work/scale-data            # about 1 h 15 the first time
    .venv/bin/python bench/scale_bench.py --data /work/scale-data --sizes 100 1000   # a quick look

Results: bench/results/scale.json, and bench/sections/10-scale.md (then BENCHMARKS.md, through
``bench/run.py --report``, when that includes the sections).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import generate, scale_seed  # noqa: E402
from bench.own_portal import own_portal  # noqa: E402
from publisher.catalog.apply import Api  # noqa: E402
from publisher.catalog.client import portal_for  # noqa: E402
from publisher.stack.supervisor import Stack  # noqa: E402

RESULTS = BENCH / "results" / "scale.json"
SECTION = BENCH / "sections" / "10-scale.md"
PYTHON = sys.executable
SIZES = (100, 1000, 10000)
TABLES, ROWS = 1, (20, 20)        # a light package: one table of 20 rows, and its datapackage.json
GOAL_RATIO, GOAL_READS = 1.2, 10


def publisher(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", "publisher", *args], cwd=ROOT, env=env, capture_output=True, text=True)


def run_one(env: dict, *args: str) -> dict:
    """One measured command, through a helper process that waits for it and reports its rusage
    (a parent's RUSAGE_CHILDREN would keep the largest child of the whole run)."""
    helper = ("import json, os, subprocess, sys, time\n"
              "t = time.monotonic()\n"
              "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n"
              "out, err = p.communicate()\n"
              "import resource\n"
              "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
              "sys.stdout.write(json.dumps({'exit': p.returncode, 'wall': time.monotonic() - t,"
              " 'maxrss_kb': u.ru_maxrss, 'cpu': u.ru_utime + u.ru_stime, 'out': out.decode(),"
              " 'err': err.decode()[-3000:]}))\n")
    done = subprocess.run([PYTHON, "-c", helper, PYTHON, "-m", "publisher", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    result = json.loads(done.stdout)
    try:
        body = json.loads(result["out"])
    except ValueError:
        body = {"unparsed": result["out"][-2000:], "stderr": result["err"]}
    return {"exit": result["exit"], "wall_seconds": round(result["wall"], 2),
            "cpu_seconds": round(result["cpu"], 2), "peak_rss_mb": round(result["maxrss_kb"] / 1024, 1),
            "output": body}


def packages_for(data: Path, size: int) -> Path:
    folder = data / f"n{size}"
    if not (folder.is_dir() and sum(1 for _ in folder.glob("*/datapackage.json")) == size):
        generate.generate(size, folder, prefix=f"s{size}", tables=TABLES, rows=ROWS)
    return folder


def check_route(env: dict, stack: Stack, data: Path) -> dict:
    """Three packages published by ``publisher sync`` over HTTP, then by the fast route: sync's
    two reads of them must be the same."""
    folder = data / "route-check"
    generate.generate(3, folder, prefix="route", tables=TABLES, rows=ROWS)
    catalog = f"route-{int(time.time())}"

    def sync_http(directory: Path, mark: str) -> None:
        done = publisher(env, "sync", "--packages", str(directory), "--catalog", mark, "--json")
        if done.returncode != 0:
            raise SystemExit(f"publisher sync of the route check failed:\n{done.stderr[-2000:]}")

    os.environ.update({k: v for k, v in env.items() if k.startswith("PUBLISHER_")})
    api = Api(portal_for())
    found = scale_seed.check_same_as_sync(stack, api, folder, catalog, sync_http)
    noop = publisher(env, "sync", "--packages", str(folder), "--catalog", catalog, "--json")
    writes = json.loads(noop.stdout)["summary"]["writes"] if noop.stdout.strip() else None
    return {"catalog": catalog, "datasets": 3, "differences": found, "same": not found,
            "writes_of_a_sync_after_seeding": writes}


def seed_all(stack: Stack, data: Path, sizes: list[int]) -> dict:
    out = {}
    for size in sizes:
        started = time.monotonic()
        folder = packages_for(data, size)
        outcome = scale_seed.seed(stack, folder, f"scale-{size}", jobs=2,
                                  progress=lambda done, total: done % 500 == 0 and print(
                                      f"  seeded {done}/{total} of N={size}", file=sys.stderr, flush=True))
        if outcome["failures"]:
            raise SystemExit(f"seeding N={size} failed: {outcome['failures'][:5]}")
        out[size] = {"seeded": outcome["seeded"], "already_there": outcome["already_there"],
                     "seconds": round(time.monotonic() - started, 1)}
        print(f"N={size}: {out[size]}", file=sys.stderr, flush=True)
    return out


def summary_of(run: dict) -> dict:
    body = run["output"]
    summary = body.get("summary") or {}
    plan_counts = (body.get("plan") or {}).get("counts") or {}
    return {"exit": run["exit"], "peak_rss_mb": run["peak_rss_mb"], "wall_seconds": run["wall_seconds"],
            "cpu_seconds": run["cpu_seconds"],
            "requests": summary.get("requests", body.get("requests")),
            "writes": summary.get("writes", 0 if "requests" in body else None),
            "calls": body.get("calls"), "pages": body.get("pages"),
            "unchanged": summary.get("unchanged", plan_counts.get("unchanged"))}


def measure(env: dict, data: Path, sizes: list[int], rounds: int) -> dict:
    runs: dict[str, list] = {}
    for size in sizes:     # the first sync validates the packages (remembered) and must write nothing
        folder = packages_for(data, size)
        warm = run_one(env, "sync", "--packages", str(folder), "--catalog", f"scale-{size}", "--json")
        runs[f"warm-{size}"] = [summary_of(warm)]
        print(f"warm-up N={size}: {runs[f'warm-{size}'][0]}", file=sys.stderr, flush=True)
    for number in range(rounds):
        for size in sizes:
            folder = str(packages_for(data, size))
            mark = ["--packages", folder, "--catalog", f"scale-{size}", "--json"]
            for kind, args in (("sync", ["sync", "--full", *mark]), ("since", ["sync", *mark]),
                               ("plan", ["plan", *mark])):
                result = summary_of(run_one(env, *args))
                runs.setdefault(f"{kind}-{size}", []).append(result)
                print(f"round {number + 1} {kind} N={size}: {result}", file=sys.stderr, flush=True)
    return runs


def code_state() -> dict:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = [line[3:] for line in git("status", "--porcelain").splitlines()
             if line[3:].startswith("publisher/")]
    return {"commit": git("rev-parse", "--short", "HEAD"), "dirty": dirty}


def best(runs: list[dict], key: str) -> float:
    return min(r[key] for r in runs)


def section(results: dict) -> str:
    sizes = results["sizes"]
    runs = results["runs"]
    code = results["code"]
    commit = code["commit"] + (" with uncommitted changes to " + ", ".join(code["dirty"]) if code["dirty"] else "")
    lines = [
        "## Scale: memory flat in N (`bench/scale_bench.py`)", "",
        f"Peak resident memory of `publisher sync --json` with nothing to do (with `--full` and without) and "
        f"of `publisher plan --json`, at N managed datasets, each N its own catalog on one portal, measured side by side in one run "
        f"({results['rounds']} round(s), every N in turn; the smallest peak of the rounds) on commit "
        f"`{commit}`, {results['machine']}. Each package: one table of 20 rows and its datapackage.json "
        f"(a no-op reads each dataset's resources, it downloads no file).", "",
        "`sync --full` and `plan` read every page; `sync` alone reads what changed since the last sync "
        "(one request, publisher/catalog/since.py) and loads every package to recognise it.", "",
        "| N | no-op `sync --full`: peak RSS | requests | writes | pages | wall "
        "| no-op `sync`: peak RSS | requests | writes | wall | plan: peak RSS | requests | wall |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        sync, plan = runs[f"sync-{size}"], runs[f"plan-{size}"]
        changes = runs.get(f"since-{size}")
        lines.append(f"| {size:,} | {best(sync, 'peak_rss_mb'):.0f} MB | {sync[-1]['requests']} | "
                     f"{sync[-1]['writes']} | {sync[-1]['pages']} | {best(sync, 'wall_seconds'):.1f} s | "
                     + (f"{best(changes, 'peak_rss_mb'):.0f} MB | {changes[-1]['requests']} | "
                        f"{changes[-1]['writes']} | {best(changes, 'wall_seconds'):.1f} s | " if changes
                        else "— | — | — | — | ")
                     + f"{best(plan, 'peak_rss_mb'):.0f} MB | {plan[-1]['requests']} | "
                     f"{best(plan, 'wall_seconds'):.1f} s |")
    if 1000 in sizes and 10000 in sizes:
        kinds = [k for k in ("sync", "since", "plan") if f"{k}-10000" in runs and f"{k}-1000" in runs]
        ratios = {k: best(runs[f"{k}-10000"], "peak_rss_mb") / best(runs[f"{k}-1000"], "peak_rss_mb")
                  for k in kinds}
        label = {"sync": "no-op `sync --full`", "since": "no-op `sync`", "plan": "plan"}
        reads = runs["sync-10000"][-1]["requests"]
        writes = runs["sync-10000"][-1]["writes"]
        lines += ["", "Peak RSS at 10,000 over 1,000: " + ", ".join(
            f"{label[k]} {r:.2f}× ({'met' if r <= GOAL_RATIO else 'not met'})" for k, r in ratios.items())
            + f" (goal ≤ {GOAL_RATIO}×). The no-op `sync --full` at 10,000: "
              f"{reads} requests, {writes} writes (goal ≤ {GOAL_READS} and 0: "
              f"{'met' if reads <= GOAL_READS and writes == 0 else 'not met'})"
            + (f"; the no-op `sync`: {runs['since-10000'][-1]['requests']} request(s), "
               f"{runs['since-10000'][-1]['writes']} writes." if "since-10000" in runs else ".")]
    else:
        lines += ["", f"N = {', '.join(f'{s:,}' for s in SIZES if s not in sizes)} not measured in this run "
                      f"(`--sizes {' '.join(map(str, sizes))}`): the goals (peak RSS at 10,000 within "
                      f"{GOAL_RATIO}× of 1,000; the no-op at 10,000 ≤ {GOAL_READS} requests, 0 writes) are "
                      f"not shown by it."]
    check = results["route_check"]
    lines += ["", "### How the portal was seeded", "",
              "Through HTTP, 11,100 datasets take hours here. `bench/scale_seed.py` runs sync's own code (the plan, "
              "then `apply_owner` and `apply_dataset`: the same calls with the same arguments, as the publisher "
              "sysadmin) but sends each call to CKAN's action functions inside the portal's CKAN venv "
              "(`bench/drivers/ckan_local.py`, ckanapi's `LocalCKAN`) with `ckan.search.solr_commit = false`; "
              "every change still goes to the index, and one Solr commit at the end makes it visible.",
              "",
              f"The proof, in this same run: {check['datasets']} packages published by `publisher sync` over "
              f"HTTP, read back as sync reads them, purged, seeded by the fast route and read back again: "
              f"{'the two reads are the same' if check['same'] else 'the reads differ: ' + '; '.join(check['differences'][:5])}"
              f" (ids, timestamps and the datapackage.json's hash, which names resource URLs, set aside), and a "
              f"`publisher sync` after the seeding wrote {check['writes_of_a_sync_after_seeding']} times. "
              f"The warm-up sync of each seeded catalog (which validates its packages) wrote "
              + ", ".join(f"{runs[f'warm-{s}'][0]['writes']} (N={s:,})" for s in sizes) + ".",
              "", "Reproduce (a portal of its own, seeded on the first run):", "", "```console",
              "$ export PUBLISHER_STACK_DIR=/work/stack-scale PUBLISHER_CKAN_PORT=5342 PUBLISHER_SOLR_PORT=9342 \\",
              "         PUBLISHER_POSTGRES_PORT=5742 PUBLISHER_REDIS_PORT=6742",
              "$ .venv/bin/python bench/scale_bench.py --data /work/scale-data",
              "```", ""]
    return "\n".join(lines)


def write_report(results: dict) -> None:
    SECTION.parent.mkdir(parents=True, exist_ok=True)
    SECTION.write_text(section(results), encoding="utf-8")
    run_py = BENCH / "run.py"
    if "sections" in run_py.read_text(encoding="utf-8"):
        subprocess.run([PYTHON, str(run_py), "--report"], cwd=ROOT, check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--data", type=Path, default=BENCH / ".scale",
                        help="where the packages are generated (about 25 kB each)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed-only", action="store_true", help="seed the portal, measure nothing")
    parser.add_argument("--report", action="store_true", help="only write the section from the last results")
    args = parser.parse_args(argv)
    if args.report:
        write_report(json.loads(RESULTS.read_text(encoding="utf-8")))
        return 0
    stack, env = own_portal("bench/scale_bench.py", "seeds its portal with 11,100 datasets")
    env["PUBLISHER_VAR_DIR"] = str(args.data / "var")     # its own record of validated packages
    if publisher(env, "ckan", "up", "--json").returncode != 0:
        raise SystemExit(f"publisher ckan up failed; see {stack.logs}")
    sizes = sorted(args.sizes)
    seeding = seed_all(stack, args.data, sizes)
    if args.seed_only:
        return 0
    results = {"sizes": sizes, "rounds": args.rounds, "code": code_state(), "seeding": seeding,
               "machine": f"{platform.python_implementation()} {platform.python_version()}, "
                          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the start",
               "route_check": check_route(env, stack, args.data)}
    results["runs"] = measure(env, args.data, sizes, args.rounds)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    write_report(results)
    print(SECTION.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
