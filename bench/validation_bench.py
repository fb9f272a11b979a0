"""Validation when nothing is cached: this checkout's `validate()` beside the base commit's, in one run.

Generates N packages (bench/generate.py, 1,000 by default) and a planted corpus: the large
measurements package of bench/validate_bench.py with its planted errors, and the broken packages
of tests/broken/. The base commit's publisher/ and schemas/ are taken out with `git archive` and
each version validates each corpus in a child process of its own (old, then new), nothing
cached, the same catalog (PUBLISHER_ROOT), the same working folder. The findings of the two must
be identical (rule, package, file, row, field and message, in order), and the planted errors
found where they were planted. Writes bench/results/validation.json and
bench/sections/20-validation.md, then BENCHMARKS.md when bench/run.py --report includes sections.

    .venv/bin/python bench/validation_bench.py                      # 1,000 packages, a few minutes
    .venv/bin/python bench/validation_bench.py --packages 100 --base main

Exit 0 when the findings are identical, 1 when they are not.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import validate_bench  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "validation.json"
SECTION = ROOT / "bench" / "sections" / "20-validation.md"
# run in a child, with the code to measure first on sys.path
CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv.pop(1))
from pathlib import Path
import publisher, frictionless, pyarrow.csv  # imports are not validation
from publisher.validate.run import validate
started = time.perf_counter()
result = validate([Path(p) for p in sys.argv[1:]])
seconds = time.perf_counter() - started
print(json.dumps({"code": publisher.__file__, "seconds": seconds,
                  "findings": [[f.rule, f.package, f.file, f.row, f.field, f.message] for f in result.findings]}))
"""


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()


def base_code(revision: str, folder: Path) -> Path:
    """publisher/ and schemas/ of a commit, unpacked under folder."""
    archive = folder / "base.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "archive", revision, "publisher", "schemas"], cwd=ROOT, check=True, stdout=out)
    with tarfile.open(archive) as tar:
        tar.extractall(folder / "base", filter="data")
    return folder / "base"


def measure(code: Path, targets: list[Path], env_extra: dict[str, str]) -> dict:
    env = {**os.environ, "PUBLISHER_ROOT": str(ROOT), **env_extra}
    env.pop("PUBLISHER_VALIDATE_WORKERS", None) if "PUBLISHER_VALIDATE_WORKERS" not in env_extra else None
    wall = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, str(code), *map(str, targets)], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True)
    answer = json.loads(done.stdout.splitlines()[-1])
    answer["process_seconds"] = time.perf_counter() - wall
    assert Path(answer["code"]).resolve().is_relative_to(code.resolve()), answer["code"]
    return answer


def compare(old: dict, new: dict) -> dict:
    same = old["findings"] == new["findings"]
    entry = {"old_s": round(old["seconds"], 2), "new_s": round(new["seconds"], 2),
             "ratio": round(old["seconds"] / new["seconds"], 2), "findings": len(new["findings"]),
             "identical": same}
    if not same:
        entry["old_only"] = [f for f in old["findings"] if f not in new["findings"]][:20]
        entry["new_only"] = [f for f in new["findings"] if f not in old["findings"]][:20]
    return entry


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=1000, help="generated packages (default 1000)")
    parser.add_argument("--planted-rows", type=int, default=20_000,
                        help="rows of the planted measurements package (default 20000)")
    parser.add_argument("--base", default=None, help="the commit to compare with (default: merge-base with main)")
    args = parser.parse_args()
    base = args.base or git("merge-base", "HEAD", "main")
    commit = git("rev-parse", "--short", "HEAD")
    dirty = bool(git("status", "--porcelain", "--untracked-files=no", "publisher", "schemas"))
    with tempfile.TemporaryDirectory(prefix="validation-bench-") as temp:
        folder = Path(temp)
        old_code = base_code(base, folder)
        generated = folder / "generated"
        subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), str(args.packages), str(generated)],
                       check=True, capture_output=True)
        planted_dir = folder / "planted"
        _, expected = validate_bench.generate(planted_dir / "bench-measurements", args.planted_rows, planted=True)
        corpora = {"generated": [generated], "planted": [planted_dir, ROOT / "tests" / "broken"]}
        runs = {}
        for name, targets in corpora.items():
            old = measure(old_code, targets, {})
            new = measure(ROOT, targets, {})
            serial = measure(ROOT, targets, {"PUBLISHER_VALIDATE_WORKERS": "1"})
            runs[name] = compare(old, new)
            runs[name]["new_one_process_s"] = round(serial["seconds"], 2)
            runs[name]["one_process_identical"] = serial["findings"] == new["findings"]
            if name == "planted":
                want = sorted((e["rule"], e["file"], e["row"], e["field"]) for e in expected)
                found = sorted((f[0], Path(f[2]).relative_to(planted_dir / "bench-measurements").as_posix(), f[3], f[4])
                               for f in new["findings"] if f[1] == "bench-measurements"
                               and f[0] in validate_bench.TABLE_RULES)
                runs[name]["planted_found"] = found == want
                runs[name]["planted"] = len(want)
            print(f"{name}: old {old['seconds']:.1f} s, new {new['seconds']:.1f} s "
                  f"(one process {serial['seconds']:.1f} s), {len(new['findings'])} findings, "
                  f"identical: {runs[name]['identical']}", file=sys.stderr)
    ok = all(r["identical"] and r["one_process_identical"] for r in runs.values()) and runs["planted"]["planted_found"]
    results = {"commit": commit + ("+changes" if dirty else ""), "base": git("rev-parse", "--short", base),
               "packages": args.packages, "planted_rows": args.planted_rows, "cpus": os.cpu_count(),
               "python": platform.python_version(), "load_before": os.getloadavg()[0], "runs": runs, "ok": ok}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    SECTION.parent.mkdir(parents=True, exist_ok=True)
    SECTION.write_text(section(results), encoding="utf-8")
    report = ROOT / "bench" / "run.py"
    if report.exists() and "bench/sections" in report.read_text(encoding="utf-8"):
        subprocess.run([sys.executable, str(report), "--report"], cwd=ROOT, check=False)
    print(json.dumps(results, indent=2))
    return 0 if ok else 1


def section(results: dict) -> str:
    generated, planted = results["runs"]["generated"], results["runs"]["planted"]
    yes = lambda flag: "yes" if flag else "**no**"  # noqa: E731
    return f"""## Validation when nothing is cached

Measured on commit `{results['commit']}` beside the base commit `{results['base']}`, one after the other
in one run of `bench/validation_bench.py` ({results['cpus']} cores, Python {results['python']}, load
{results['load_before']:.1f} when it started; other work shares the machine). Each version validates
in a child process of its own with nothing cached (`validate()` of publisher.validate.run, imports
not counted); "one process" is the new code with `PUBLISHER_VALIDATE_WORKERS=1`.

| corpus | base commit | this commit | ratio | this commit, one process | findings | identical |
|---|---:|---:|---:|---:|---:|---|
| {results['packages']:,} generated packages | {generated['old_s']:.1f} s | {generated['new_s']:.1f} s | \
{generated['ratio']:.2f}× | {generated['new_one_process_s']:.1f} s | {generated['findings']} | \
{yes(generated['identical'] and generated['one_process_identical'])} |
| planted: {results['planted_rows']:,}-row package + tests/broken | {planted['old_s']:.1f} s | \
{planted['new_s']:.1f} s | {planted['ratio']:.2f}× | {planted['new_one_process_s']:.1f} s | {planted['findings']} | \
{yes(planted['identical'] and planted['one_process_identical'])} |

Identical means the same list of findings (rule, package, file, row, field and message, in the
same order) from both versions, and from the new one in one process or several. The
{planted['planted']} planted errors of the measurements package are found where they were planted:
{yes(planted['planted_found'])}.

What changed: each distinct cell and quoted passage is checked for personal data and numbers once
(a column repeats its values); the fast path's look at how frictionless opens a CSV no longer
infers every column's type; and packages are checked by one process per core, their findings put
together in the packages' order (fewer than 48 packages stay in one process).

Reproduce: `.venv/bin/python bench/validation_bench.py --packages {results['packages']}` (results in
`bench/results/validation.json`).
"""


if __name__ == "__main__":
    sys.exit(main())
