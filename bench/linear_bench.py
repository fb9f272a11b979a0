"""Every check grows linearly with its input: time against size at 10^3 … 10^6.

Four inputs, each at sizes 10^3, 10^4, 10^5 and 10^6 (characters or columns):

- ``email-run``: the personal-data guard (``personal_data_in``) on one cell that is a run of
  letters (the worst case of the old e-mail pattern, which started a match at every letter of
  the run); the old pattern is timed beside it up to the size it finishes in a few seconds;
- ``digit-run``: the same guard on a run of digits (phone and ID patterns);
- ``long-cell``: ``publisher validate`` (the library call, in this process) of the small valid
  package of tests/broken/_valid with one cell of N characters;
- ``wide-row``: the same with one row of N cells.

Past the limits of schemas/validation/rules.json (``cell.too-long``, ``table.too-many-columns``)
a table is reported and not read by the slower checks, so the time is one pass over the file.
Prints one JSON document and writes it to bench/results/linear.json.

    .venv/bin/python bench/linear_bench.py            # 10^3 … 10^6
    .venv/bin/python bench/linear_bench.py --max 5    # up to 10^5
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from publisher.validate.personal import EMAIL, personal_data_in  # noqa: E402
from publisher.validate.run import validate  # noqa: E402
from tests.hostile.cases import VALID, rehash  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "linear.json"
OLD_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")   # the pattern before the look-behind
OLD_EMAIL_UP_TO = 30_000                                   # quadratic: 10^5 would take about a minute


def timed(work) -> float:
    start = time.perf_counter()
    work()
    return round(time.perf_counter() - start, 4)


def with_table(tmp: Path, size: int, kind: str) -> Path:
    folder = tmp / f"{kind}-{size}"
    shutil.copytree(VALID, folder)
    path = folder / "data" / "agency-impact.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    if kind == "long-cell":
        rows[1][rows[0].index("note")] = "ก" * size
    else:
        rows[1] = rows[1] + [""] * size
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_bytes(("\ufeff" + out.getvalue()).encode("utf-8"))
    rehash(folder)
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max", type=int, default=6, help="largest size as a power of ten (default 6)")
    args = parser.parse_args()
    sizes = [10 ** k for k in range(3, args.max + 1)]
    results: dict[str, list] = {"email-run": [], "email-run-old-pattern": [], "digit-run": [],
                                "long-cell": [], "wide-row": []}
    validate([VALID], catalog=None)       # imports and caches warmed, so the first size is not charged for them
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            letters, digits = "a" * size, "1" * size
            results["email-run"].append({"size": size, "seconds": timed(lambda: personal_data_in(letters))})
            results["digit-run"].append({"size": size, "seconds": timed(lambda: personal_data_in(digits))})
            assert EMAIL.search(letters) is None
            for kind in ("long-cell", "wide-row"):
                folder = with_table(Path(tmp), size, kind)
                found: list = []
                seconds = timed(lambda: found.extend(validate([folder], catalog=None).findings))
                results[kind].append({"size": size, "seconds": seconds,
                                      "rules": sorted({f.rule for f in found})})
            print(json.dumps({k: v[-1] for k, v in results.items() if v}, ensure_ascii=False), file=sys.stderr)
        for size in [s for s in (1_000, 3_000, 10_000, OLD_EMAIL_UP_TO) if s <= sizes[-1]]:
            letters = "a" * size
            results["email-run-old-pattern"].append(
                {"size": size, "seconds": timed(lambda: list(OLD_EMAIL.finditer(letters)))})
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    report = {"commit": commit, "python": platform.python_version(), "machine": platform.machine(),
              "results": results}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
