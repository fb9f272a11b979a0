"""Synthetic data packages for the publishing benchmark: as many as asked, each a valid package.

Each package has three tables of a few hundred rows with Thai text in its titles and cells, the
GD-Catalog metadata of a real package of the catalog (``gdc``, organization, licences, groups,
keywords) and a title of its own (the portal refuses two datasets with one title). Every row
carries the provenance ``publisher validate`` demands of any table: a passage of a vendored
report, its line, and numbers that occur in that passage. Package ``i`` is a function of the seed
and ``i`` alone, so the first 10 packages of a run of 100 are the 10 of a run of 10.

    .venv/bin/python bench/generate.py 100 /tmp/packages          # 100 packages
    .venv/bin/python bench/generate.py 2 /tmp/p --prefix other    # names other-0000, other-0001
"""

from __future__ import annotations

import argparse
import csv
import functools
import hashlib
import io
import json
import random
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from publisher.reports.registry import load_registry  # noqa: E402
from publisher.validate.personal import personal_data_in  # noqa: E402
from publisher.validate.provenance import numbers_in  # noqa: E402

METADATA_FROM = ROOT / "datapackages" / "covid19-lessons-learned" / "datapackage.json"
PROVINCES = ROOT / "datapackages" / "th-provinces" / "data" / "provinces.csv"
SEED = 20240611
ROWS = (200, 400)          # rows per table, drawn per table
PASSAGE_CHARS = (20, 160)  # passages of this length are short enough to repeat in every row
BOM = "\ufeff"

TOPICS = ["การให้บริการประชาชน", "รัฐบาลดิจิทัล", "การพัฒนาระบบราชการ", "ข้อมูลเปิดภาครัฐ", "การลดขั้นตอน",
          "นวัตกรรมภาครัฐ", "การบริหารงานบุคคล", "การจัดซื้อจัดจ้าง", "การพัฒนาจังหวัด", "การรับมือภาวะวิกฤต"]
MEASURES = ["จำนวนงานบริการ", "ร้อยละของหน่วยงาน", "จำนวนกระบวนงาน", "จำนวนชุดข้อมูล", "ระยะเวลาดำเนินการ",
            "จำนวนผู้รับบริการ", "ร้อยละความพึงพอใจ", "จำนวนข้อร้องเรียน"]
UNITS = ["งานบริการ", "ร้อยละ", "กระบวนงาน", "ชุดข้อมูล", "วัน", "ราย", "เรื่อง"]
AGENCY_KINDS = ["กรม", "สำนักงาน", "สถาบัน", "ศูนย์", "กอง"]
AGENCY_WORDS = ["พัฒนาธุรกิจการค้า", "การปกครอง", "ส่งเสริมการเกษตร", "บริการดิจิทัล", "สถิติจังหวัด",
                "ทรัพยากรน้ำ", "ส่งเสริมการลงทุน", "คุ้มครองผู้บริโภค", "พัฒนาฝีมือแรงงาน", "ป้องกันและบรรเทาสาธารณภัย"]
STATUSES = ["ดำเนินการแล้ว", "อยู่ระหว่างดำเนินการ", "ยังไม่เริ่มดำเนินการ"]
SOURCE_FIELDS = [
    {"name": "source_report", "type": "string", "title": "รหัสรายงานต้นทาง", "title_en": "Source report",
     "description": "รหัสรายงานในทะเบียนรายงานที่เป็นแหล่งของค่าในแถวนี้",
     "description_en": "Id of the source report in the report registry", "constraints": {"required": True}},
    {"name": "source_line", "type": "integer", "title": "บรรทัดในรายงาน", "title_en": "Line in the report",
     "description": "เลขบรรทัดของข้อความอ้างอิงในรายงาน (เริ่มที่ ๑)",
     "description_en": "1-based line of the quoted passage in the report",
     "constraints": {"required": True, "minimum": 1}},
    {"name": "source_text", "type": "string", "title": "ข้อความอ้างอิง", "title_en": "Quoted passage",
     "description": "ข้อความในรายงานที่ค่าในแถวนี้ยกมา", "description_en": "The passage of the report the row quotes",
     "constraints": {"required": True}},
]


def _field(name: str, kind: str, th: str, en: str, **constraints) -> dict:
    return {"name": name, "type": kind, "title": th, "title_en": en, "description": f"{th} (ข้อมูลสังเคราะห์)",
            "description_en": f"{en} (synthetic)", **({"constraints": constraints} if constraints else {})}


# The three tables: name, Thai and English titles, the columns before the provenance columns.
TABLES = [
    ("measures", "ตัวชี้วัดรายจังหวัด", "Indicators by province", [
        _field("row_id", "string", "รหัสแถว", "Row id", required=True, unique=True, pattern="m-[0-9]{5}"),
        _field("province_th", "string", "จังหวัด", "Province", required=True),
        _field("measure_th", "string", "ตัวชี้วัด", "Indicator", required=True),
        _field("value", "number", "ค่า", "Value", required=True, minimum=0),
        _field("unit_th", "string", "หน่วย", "Unit"),
    ]),
    ("agencies", "หน่วยงานที่รายงานผล", "Reporting agencies", [
        _field("row_id", "string", "รหัสแถว", "Row id", required=True, unique=True, pattern="a-[0-9]{5}"),
        _field("agency_th", "string", "หน่วยงาน", "Agency", required=True),
        _field("province_th", "string", "จังหวัดที่ตั้ง", "Province"),
        _field("status", "string", "สถานะ", "Status", required=True, enum=STATUSES),
        _field("count", "number", "จำนวน", "Count", minimum=0),
    ]),
    ("notes", "ข้อสังเกตจากรายงาน", "Notes from the reports", [
        _field("row_id", "string", "รหัสแถว", "Row id", required=True, unique=True, pattern="n-[0-9]{5}"),
        _field("topic_th", "string", "ประเด็น", "Topic", required=True),
        _field("note_th", "string", "ข้อสังเกต", "Note", required=True),
        _field("figure", "number", "ตัวเลขที่อ้างถึง", "Figure quoted"),
    ]),
]


@functools.cache
def passages() -> tuple[tuple[str, int, str, tuple[str, ...]], ...]:
    """(report id, line, passage, numbers in it) for every short report line that quotes a
    number and names no person: the provenance every synthetic row points to."""
    found = []
    for report_id, report in sorted(load_registry().reports.items()):
        for number, line in enumerate(report.lines, start=1):
            text = line.strip()
            if not PASSAGE_CHARS[0] <= len(text) <= PASSAGE_CHARS[1] or text != line or personal_data_in(text):
                continue
            numbers = sorted(str(n) for n in numbers_in(text) if n >= 0)
            if numbers:
                found.append((report_id, number, text, tuple(numbers)))
    return tuple(found)


@functools.cache
def provinces() -> tuple[str, ...]:
    with PROVINCES.open(encoding="utf-8-sig", newline="") as handle:
        return tuple(row["name_th"] for row in csv.DictReader(handle))


def _row(table: str, number: int, rng: random.Random) -> dict:
    report_id, line, text, numbers = rng.choice(passages())
    figure = rng.choice(numbers)
    province = rng.choice(provinces())
    if table == "measures":
        cells = {"row_id": f"m-{number:05d}", "province_th": province, "measure_th": rng.choice(MEASURES),
                 "value": figure, "unit_th": rng.choice(UNITS)}
    elif table == "agencies":
        cells = {"row_id": f"a-{number:05d}",
                 "agency_th": f"{rng.choice(AGENCY_KINDS)}{rng.choice(AGENCY_WORDS)} {province}",
                 "province_th": province, "status": rng.choice(STATUSES), "count": figure}
    else:
        cells = {"row_id": f"n-{number:05d}", "topic_th": rng.choice(TOPICS),
                 "note_th": f"{rng.choice(TOPICS)}ใน{province} อ้างอิงตัวเลข {figure}", "figure": figure}
    return {**cells, "source_report": report_id, "source_line": str(line), "source_text": text}


def render(fields: list[dict], rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    names = [f["name"] for f in fields]
    writer.writerow(names)
    for row in rows:
        writer.writerow([row[n] for n in names])
    return (BOM + buffer.getvalue()).encode("utf-8")


def template() -> dict:
    """The catalog metadata every synthetic package shares, from a real package."""
    source = json.loads(METADATA_FROM.read_text(encoding="utf-8"))
    return {k: source[k] for k in ("keywords", "groups", "licenses", "organization", "gdc")}


def package(index: int, prefix: str = "bench", seed: int = SEED, tables: int = len(TABLES),
            rows: tuple[int, int] = ROWS) -> tuple[dict, dict[str, bytes]]:
    """(descriptor, {path: bytes}) of package ``index``; ``tables`` and ``rows`` make a lighter one."""
    rng, row_range = random.Random(f"{seed}:{index}"), rows
    topic, province = rng.choice(TOPICS), rng.choice(provinces())
    reports = load_registry().reports
    resources, files, used = [], {}, set()
    for name, title, title_en, columns in TABLES[:tables]:
        fields = columns + SOURCE_FIELDS
        rows = [_row(name, n, rng) for n in range(1, rng.randint(*row_range) + 1)]
        used |= {r["source_report"] for r in rows}
        data = render(fields, rows)
        path = f"data/{name}.csv"
        files[path] = data
        resources.append({
            "name": name, "path": path, "type": "table", "scheme": "file", "format": "csv",
            "mediatype": "text/csv", "encoding": "utf-8",
            "dialect": {"delimiter": ",", "quoteChar": "\"", "header": True},
            "title": f"{title} ({topic})", "title_en": title_en,
            "description": f"{title} จำนวน {len(rows)} แถว ข้อมูลสังเคราะห์สำหรับวัดความเร็วการเผยแพร่",
            "description_en": f"{title_en}, {len(rows)} rows of synthetic data for the publishing benchmark",
            "bytes": len(data), "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
            "schema": {"fields": fields, "primaryKey": ["row_id"]},
        })
    descriptor = {
        "name": f"{prefix}-{index:04d}",
        "title": f"ชุดข้อมูลทดสอบการเผยแพร่ ชุดที่ {index + 1}: {topic} จังหวัด{province} ({prefix})",
        "title_en": f"Publishing benchmark dataset {index + 1} ({prefix})",
        "description": f"ข้อมูลสังเคราะห์เรื่อง{topic} สามตาราง สร้างขึ้นเพื่อวัดความเร็ว"
                       f"และจำนวนคำขอของเครื่องมือเผยแพร่ ทุกแถวอ้างอิงข้อความจริงในรายงานต้นทาง",
        "description_en": "Synthetic data in three tables, made to measure the speed and request count of "
                          "publishing tools; every row quotes a real passage of a source report.",
        **template(),
        "sources": [{"title": reports[r].title_th, "title_en": reports[r].title_en, "report": r,
                     "path": f"reports/{reports[r].meta['file']}", "sha256": reports[r].sha256,
                     "date": reports[r].meta.get("date_ce")} for r in sorted(used)],
        "resources": resources,
    }
    files["datapackage.json"] = (json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return descriptor, files


def generate(count: int, target: Path, prefix: str = "bench", seed: int = SEED, tables: int = len(TABLES),
             rows: tuple[int, int] = ROWS) -> list[Path]:
    """Write ``count`` packages as ``target/<prefix>-NNNN/``; the folder is emptied first."""
    if target.exists():
        shutil.rmtree(target)
    folders = []
    for index in range(count):
        descriptor, files = package(index, prefix, seed, tables, rows)
        folder = target / descriptor["name"]
        for path, data in files.items():
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_bytes(data)
        folders.append(folder)
    return folders


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("count", type=int, help="how many packages")
    parser.add_argument("target", type=Path, help="folder to write them into (emptied first)")
    parser.add_argument("--prefix", default="bench", help="dataset name prefix (default: bench)")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    folders = generate(args.count, args.target, args.prefix, args.seed)
    size = sum(p.stat().st_size for f in folders for p in f.rglob("*") if p.is_file())
    print(json.dumps({"packages": len(folders), "target": str(args.target), "bytes": size}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
