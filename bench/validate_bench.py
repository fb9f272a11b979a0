"""How fast `publisher validate` checks a large CSV, beside `frictionless validate`.

Generates, under a temporary folder, a data package of N measurement rows (integer, number,
string with an enum and a pattern, date, a primary key and a foreign key to a small stations
table), and a copy of it with planted errors: wrong types, broken constraints, repeated primary
keys, empty required cells and station codes the stations table lacks. Each package is validated
by both commands, one after the other in this run; on the planted copy both must report exactly
the planted cells (same rows and fields). Prints one JSON document and writes it to
bench/results/validate.json.

    .venv/bin/python bench/validate_bench.py                 # 10^5 and 10^6 rows
    .venv/bin/python bench/validate_bench.py --rows 20000    # a quick run

Exit 0 when both commands agree on every planted error, 1 when they do not.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "validate.json"
METADATA_FROM = ROOT / "datapackages" / "covid19-lessons-learned" / "datapackage.json"
BIN = Path(sys.executable).parent
STATIONS = 200
CATEGORIES = ["rain", "temperature", "humidity", "wind"]
FIRST_DAY = date(2020, 1, 1)
# the finding rules frictionless's errors become (publisher.validate.tables.FRICTIONLESS_RULES)
TABLE_RULES = {"table.type", "table.constraint", "table.primary-key", "table.foreign-key"}

MEASUREMENTS_SCHEMA = {
    "fields": [
        {"name": "id", "type": "integer", "constraints": {"required": True, "minimum": 1}},
        {"name": "station_code", "type": "string",
         "constraints": {"required": True, "pattern": "ST-[0-9]{4}"}},
        {"name": "category", "type": "string", "constraints": {"required": True, "enum": CATEGORIES}},
        {"name": "measured_on", "type": "date", "constraints": {"required": True}},
        {"name": "value", "type": "number", "constraints": {"minimum": 0, "maximum": 1000}},
        {"name": "quality", "type": "integer", "constraints": {"minimum": 0, "maximum": 100}},
        {"name": "note", "type": "string", "constraints": {"maxLength": 40}},
    ],
    "primaryKey": ["id"],
    "foreignKeys": [{"fields": ["station_code"], "reference": {"resource": "stations", "fields": ["code"]}}],
}
STATIONS_SCHEMA = {
    "fields": [
        {"name": "code", "type": "string", "constraints": {"required": True, "unique": True,
                                                            "pattern": "ST-[0-9]{4}"}},
        {"name": "name_en", "type": "string", "constraints": {"required": True}},
        {"name": "region", "type": "string", "constraints": {"enum": ["north", "northeast", "central", "south"]}},
    ],
    "primaryKey": ["code"],
}

# (column, bad cell, rule, why): each planted in `PLANTS_EACH` rows spread over the table
PLANTS = [
    ("quality", "high", "table.type", "text in an integer"),
    ("value", "12,5", "table.type", "a decimal comma in a number"),
    ("measured_on", "2021-02-30", "table.type", "a date that does not exist"),
    ("measured_on", "31/12/2021", "table.type", "a date not in ISO form"),
    ("value", "1500.5", "table.constraint", "above the maximum"),
    ("quality", "-3", "table.constraint", "below the minimum"),
    ("category", "snow", "table.constraint", "not in the enum"),
    ("note", "x" * 41, "table.constraint", "longer than maxLength"),
    ("measured_on", "", "table.constraint", "a required cell left empty"),
    ("category", "", "table.constraint", "a required cell left empty"),
    ("station_code", "ST-9999", "table.foreign-key", "a station the stations table lacks"),
    ("id", None, "table.primary-key", "the id of the row before"),
]
PLANTS_EACH = 10


def station_code(number: int) -> str:
    return f"ST-{number:04d}"


def measurement(rng: random.Random, index: int) -> list[str]:
    return [str(index + 1), station_code(rng.randrange(STATIONS)), CATEGORIES[rng.randrange(4)],
            (FIRST_DAY + timedelta(days=rng.randrange(1500))).isoformat(),
            f"{rng.uniform(0, 1000):.2f}", str(rng.randrange(101)), "" if rng.random() < 0.7 else "checked"]


def planted_rows(rows: int) -> dict[int, tuple]:
    """{row index: plant}: every plant PLANTS_EACH times, at rows spread over the table."""
    rng = random.Random(7)
    where = [2 * n for n in rng.sample(range(1, rows // 2), len(PLANTS) * PLANTS_EACH)]  # never side by side
    return {index: PLANTS[n % len(PLANTS)] for n, index in enumerate(where)}


def write_csv(path: Path, header: list[str], rows) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def generate(folder: Path, rows: int, planted: bool, seed: int = 1) -> tuple[Path, list[dict]]:
    """A package of `rows` measurements; with planted errors, also the findings they must give."""
    (folder / "data").mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    plants = planted_rows(rows) if planted else {}
    expected = []

    def measurements():
        header = [f["name"] for f in MEASUREMENTS_SCHEMA["fields"]]
        for index in range(rows):
            cells = measurement(rng, index)
            if index in plants:
                column, bad, rule, _ = plants[index]
                position = header.index(column)
                cells[position] = str(index) if column == "id" else bad
                field = "id" if rule == "table.primary-key" else column
                expected.append({"rule": rule, "file": "data/measurements.csv", "row": index + 2, "field": field})
            yield cells

    write_csv(folder / "data" / "measurements.csv", [f["name"] for f in MEASUREMENTS_SCHEMA["fields"]], measurements())
    regions = STATIONS_SCHEMA["fields"][2]["constraints"]["enum"]
    write_csv(folder / "data" / "stations.csv", [f["name"] for f in STATIONS_SCHEMA["fields"]],
              ([station_code(n), f"Station {n}", regions[n % 4]] for n in range(STATIONS)))
    source = json.loads(METADATA_FROM.read_text(encoding="utf-8"))
    descriptor = {
        "name": f"bench-measurements-{rows}" + ("-planted" if planted else ""),
        "title": f"ชุดข้อมูลทดสอบความเร็วการตรวจสอบ {rows:,} แถว",
        "title_en": f"Validation benchmark, {rows:,} generated rows",
        "description": "ข้อมูลสังเคราะห์สำหรับวัดความเร็วของ publisher validate เทียบกับ frictionless validate",
        "description_en": "Generated data to time publisher validate against frictionless validate.",
        # the GD-Catalog metadata of a real package, so that the metadata checks pass too
        **{key: source[key] for key in ("keywords", "licenses", "organization", "gdc")},
        "resources": [
            {"name": "measurements", "path": "data/measurements.csv", "format": "csv", "encoding": "utf-8",
             "schema": MEASUREMENTS_SCHEMA},
            {"name": "stations", "path": "data/stations.csv", "format": "csv", "encoding": "utf-8",
             "schema": STATIONS_SCHEMA},
        ],
    }
    (folder / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2), encoding="utf-8")
    return folder / "datapackage.json", expected


def run(command: list[str]) -> tuple[float, dict]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - started
    try:
        return elapsed, json.loads(done.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


def ours(descriptor: Path) -> tuple[float, list[tuple]]:
    elapsed, report = run([str(BIN / "publisher"), "validate", str(descriptor.parent), "--json"])
    return elapsed, sorted((f["rule"], Path(f["file"]).name, f["row"], f["field"])
                           for f in report["findings"] if f["rule"] in TABLE_RULES)


def theirs(descriptor: Path) -> tuple[float, list[tuple]]:
    sys.path.insert(0, str(ROOT))
    from publisher.validate.tables import FRICTIONLESS_RULES

    elapsed, report = run([str(BIN / "frictionless"), "validate", "--json", str(descriptor)])
    schemas = {"measurements": MEASUREMENTS_SCHEMA, "stations": STATIONS_SCHEMA}
    found = []
    for task in report["tasks"]:
        for error in task["errors"]:
            field = error.get("fieldName") or ",".join(error.get("fieldNames") or []) or None
            if error["type"] == "primary-key":
                field = ",".join(schemas[task["name"]]["primaryKey"])
            found.append((FRICTIONLESS_RULES.get(error["type"], error["type"]), Path(task["place"]).name,
                          error.get("rowNumber"), field))
    return elapsed, sorted(found)


def bench(rows: int, folder: Path) -> dict:
    entry: dict = {"rows": rows}
    for planted in (False, True):
        descriptor, expected = generate(folder / f"{rows}-{'planted' if planted else 'clean'}", rows, planted)
        size = sum(p.stat().st_size for p in (descriptor.parent / "data").iterdir())
        ours_s, ours_found = ours(descriptor)
        theirs_s, theirs_found = theirs(descriptor)
        want = sorted((e["rule"], Path(e["file"]).name, e["row"], e["field"]) for e in expected)
        entry["planted" if planted else "clean"] = {
            "bytes": size,
            "publisher_validate_s": round(ours_s, 3),
            "frictionless_validate_s": round(theirs_s, 3),
            "ratio": round(theirs_s / ours_s, 2),
            "findings": len(ours_found),
            "same_findings": ours_found == theirs_found,
            "planted_found": ours_found == want if planted else None,
        }
        if ours_found != theirs_found:
            entry["planted" if planted else "clean"]["differences"] = {
                "publisher_only": [list(f) for f in sorted(set(ours_found) - set(theirs_found))][:20],
                "frictionless_only": [list(f) for f in sorted(set(theirs_found) - set(ours_found))][:20]}
        print(f"{rows:>9,} rows {'planted' if planted else 'clean  '}: publisher validate {ours_s:7.2f} s, "
              f"frictionless validate {theirs_s:7.2f} s, ratio {theirs_s / ours_s:5.1f}x, "
              f"{len(ours_found)} table findings, same: {ours_found == theirs_found}", file=sys.stderr)
    return entry


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000],
                        help="table sizes to generate (default: 100000 1000000)")
    parser.add_argument("--keep", type=Path, help="generate under this folder and keep it (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="validate-bench-") as temp:
        folder = args.keep or Path(temp)
        results = {
            "about": "seconds for publisher validate and frictionless validate on the same generated package; "
                     "ratio = frictionless / publisher; findings compared on table rules only",
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
            "runs": [bench(rows, folder) for rows in args.rows],
        }
    agree = all(run[kind]["same_findings"] for run in results["runs"] for kind in ("clean", "planted")) and \
        all(run["planted"]["planted_found"] for run in results["runs"])
    results["agree"] = agree
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
