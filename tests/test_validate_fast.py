"""The fast path for large tables gives exactly frictionless's findings.

Each test validates one package twice, column by column (fast=True) and row by row by
frictionless (fast=False), and compares the findings: rule, file, row, field and message, in
order. The packages are small, so this runs in seconds; no timing is asserted (bench/ times it).
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import io
import json
from pathlib import Path

import pytest

from publisher.validate import fast as validation
from publisher.validate.fast import fast_table_errors
from publisher.validate.fast_columns import FastPathUnsupported
from publisher.validate.run import package_paths, validate
from publisher.validate.tables import frictionless_findings, table_findings
from publisher.reports.registry import load_registry

ROOT = Path(__file__).resolve().parents[1]


def bench_module():
    spec = importlib.util.spec_from_file_location("validate_bench", ROOT / "bench" / "validate_bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def both(descriptor_path: Path):
    descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    fast = frictionless_findings(descriptor_path, "p", descriptor, fast=True)
    slow = frictionless_findings(descriptor_path, "p", descriptor, fast=False)
    return fast, slow


def write_package(folder: Path, resources: list[dict], tables: dict[str, list[list[str]]], *,
                  bom: bool = False, hashed: bool = False) -> Path:
    """A package of CSVs written exactly as given (rows of raw cells, the header first)."""
    (folder / "data").mkdir(parents=True, exist_ok=True)
    for resource in resources:
        out = io.StringIO(newline="")
        csv.writer(out, lineterminator="\n").writerows(tables[resource["name"]])
        data = (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")
        path = folder / "data" / f"{resource['name']}.csv"
        path.write_bytes(data)
        resource.setdefault("path", f"data/{resource['name']}.csv")
        if hashed:
            resource["hash"] = "sha256:" + hashlib.sha256(data + b"changed").hexdigest()
            resource["bytes"] = len(data) + 1
    descriptor = {"name": folder.name, "resources": resources}
    (folder / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    return folder / "datapackage.json"


def describe(findings) -> str:
    return "\n".join(f"  {f.rule} {f.row} [{f.field}] {f.message}" for f in findings)


def assert_same(descriptor_path: Path, *, fast_path_used: bool = True) -> list:
    if fast_path_used:
        assert fast_table_errors(descriptor_path, force=True) is not None
    fast, slow = both(descriptor_path)
    assert fast == slow, f"fast:\n{describe(fast)}\nfrictionless:\n{describe(slow)}"
    return slow


# --- the benchmark's generated tables --------------------------------------------------------------

@pytest.mark.parametrize("planted", [False, True])
def test_generated_measurements_give_the_same_findings(tmp_path, planted):
    bench = bench_module()
    descriptor_path, expected = bench.generate(tmp_path / "bench", 3000, planted)
    found = assert_same(descriptor_path)
    assert sorted((f.rule, Path(f.file).name, f.row, f.field) for f in found) == \
        sorted((e["rule"], Path(e["file"]).name, e["row"], e["field"]) for e in expected)
    if planted:
        assert {f.rule for f in found} == {"table.type", "table.constraint", "table.primary-key", "table.foreign-key"}


# --- cells Python reads differently from a plain pattern -------------------------------------------

EDGE_RESOURCES = [
    {"name": "items", "schema": {
        "fields": [
            {"name": "id", "type": "integer", "constraints": {"required": True}},
            {"name": "code", "type": "string", "constraints": {"unique": True, "pattern": r"[A-Z]\d{2}",
                                                               "minLength": 3, "maxLength": 3}},
            {"name": "amount", "type": "number", "constraints": {"minimum": "0.1", "maximum": "99.5"}},
            {"name": "level", "type": "integer", "constraints": {"enum": [1, 2, "3"]}},
            {"name": "day", "type": "date", "constraints": {"minimum": "2020-01-01"}},
            {"name": "flag", "type": "boolean"},
            {"name": "label_th", "type": "string", "constraints": {"enum": ["ตำบล", "อำเภอ", "จังหวัด"]}},
            {"name": "group_id", "type": "string"},
            {"name": "parent_id", "type": "integer"},
        ],
        "missingValues": ["", "NA"],
        "primaryKey": ["id"],
        "foreignKeys": [
            {"fields": ["group_id", "level"], "reference": {"resource": "groups", "fields": ["group_id", "level"]}},
            {"fields": ["parent_id"], "reference": {"resource": "", "fields": ["id"]}},
        ]}},
    {"name": "groups", "schema": {
        "fields": [{"name": "group_id", "type": "string"}, {"name": "level", "type": "integer"}],
        "primaryKey": ["group_id", "level"]}},
]
HEADER = ["id", "code", "amount", "level", "day", "flag", "label_th", "group_id", "parent_id"]
EDGE_ROWS = [
    HEADER,
    ["1", "A01", "10.5", "1", "2021-01-05", "true", "ตำบล", "g1", ""],
    ["๒", "A02", "1e1", "2", "2021-1-5", "1", "อำเภอ", "g1", "1"],          # Thai digits; 1e1; a short date
    [" 3", "A03", "99.50", "3", "2021-02-29", "yes", "จังหวัด", "g2", "2"],  # padded int; no 29 Feb 2021; yes
    ["007", "A04", "0", "4", "2019-12-31", "FALSE", "ต\u0e4d\u0e32บล", "g2", "9"],  # bounds; decomposed sara am
    ["7", "A04", "-1", "NA", "NA", "0", "", "g9", "3"],                       # 007 = 7; repeated code
    ["+8", "a4", "1_000", "1", "2020-01-01", "True", "ตำบล", "NA", "8"],     # +8, underscores, self reference
    ["", "A๑๒", "99.500000000000001", "2", "", "", "ตำบล", "g1", ""],       # no id; Thai digits in \d
    ["10", "B1\n0", "12", "x", "2020-13-01", "no", "อำเภอ", "g1", "10"],     # a quoted line break
    ["11", "C11", "NaN", "2", "2020-02-29", "false", "อำเภอ", "g2", "11"],
    ["12", "C12", "inf", "3", "2020-03-01 ", "TRUE", "จังหวัด", "g2", "1.0"],
    ["NA", "NA", "NA", "NA", "NA", "NA", "NA", "NA", "NA"],                  # every cell missing
]
GROUP_ROWS = [["group_id", "level"], ["g1", "1"], ["g1", "2"], ["g2", "3"], ["g2", "4"], ["g2", "NA"], ["NA", "NA"]]


def test_edge_cells_keys_and_missing_values_give_the_same_findings(tmp_path):
    descriptor = write_package(tmp_path / "edge", json.loads(json.dumps(EDGE_RESOURCES)),
                               {"items": EDGE_ROWS, "groups": GROUP_ROWS})
    found = assert_same(descriptor)
    assert {"table.type", "table.constraint", "table.primary-key", "table.foreign-key", "table.row"} <= \
        {f.rule for f in found}


def test_a_hash_and_size_mismatch_and_a_bom_give_the_same_findings(tmp_path):
    descriptor = write_package(tmp_path / "hashed", json.loads(json.dumps(EDGE_RESOURCES)),
                               {"items": EDGE_ROWS, "groups": GROUP_ROWS}, bom=True, hashed=True)
    found = assert_same(descriptor)
    assert [f.rule for f in found].count("table.hash") == 4  # hash and bytes of both files


def test_the_error_limit_cuts_the_same_errors_and_skips_the_hash_check(tmp_path):
    rows = [["n", "score"]] + [[str(i), "bad" if i % 2 else str(i)] for i in range(2600)]
    resources = [{"name": "scores", "schema": {"fields": [{"name": "n", "type": "integer"},
                                                         {"name": "score", "type": "integer"}],
                                              "primaryKey": ["n"]}}]
    descriptor = write_package(tmp_path / "many", resources, {"scores": rows}, hashed=True)
    found = assert_same(descriptor)
    assert len(found) == validation.LIMIT_ERRORS
    assert "table.hash" not in {f.rule for f in found}


def test_row_order_inside_a_row_follows_frictionless(tmp_path):
    # a row with a type error in a later column and a repeated unique and primary key: frictionless
    # reads the key cells first, then the rest of the row when it reports the repeat
    resources = [{"name": "t", "schema": {"fields": [
        {"name": "a", "type": "integer"}, {"name": "b", "type": "string", "constraints": {"unique": True}},
        {"name": "c", "type": "integer", "constraints": {"minimum": 5}}, {"name": "d", "type": "date"}],
        "primaryKey": ["c"]}}]
    rows = [["a", "b", "c", "d"], ["x", "k", "5", "2020-01-01"], ["y", "k", "1", "no"], ["1", "k", "5", "z"]]
    descriptor = write_package(tmp_path / "order", resources, {"t": rows})
    found = assert_same(descriptor)
    assert [f.row for f in found] == sorted(f.row for f in found)
    assert len({f.message for f in found}) == len(found)


# --- what the fast path leaves to frictionless ---------------------------------------------------------

@pytest.mark.parametrize("change", ["year field", "semicolons", "ragged row", "header mismatch", "latin-1",
                                    "one column, a blank line"])
def test_packages_outside_the_fast_path_go_to_frictionless_with_the_same_result(tmp_path, change):
    resources = [{"name": "t", "schema": {"fields": [{"name": "a", "type": "integer"},
                                                    {"name": "b", "type": "string"}]}}]
    rows = [["a", "b"], ["1", "x"], ["2", "é"]]
    if change == "year field":
        resources[0]["schema"]["fields"][0]["type"] = "year"
    if change == "ragged row":
        rows.append(["3", "y", "extra"])
    if change == "header mismatch":
        rows[0] = ["a", "B"]
    descriptor = write_package(tmp_path / "other", resources, {"t": rows})
    data = tmp_path / "other" / "data" / "t.csv"
    if change == "semicolons":
        data.write_text(data.read_text().replace(",", ";"))
    if change == "latin-1":
        data.write_bytes(data.read_text().encode("latin-1"))
    if change == "one column, a blank line":
        data.write_text("a\n1\n\n2\n")
        descriptor.write_text(json.dumps({"name": "other", "resources": [
            {"name": "t", "path": "data/t.csv", "schema": {"fields": [{"name": "a", "type": "integer"}]}}]}))
    with pytest.raises(FastPathUnsupported):
        fast_table_errors(descriptor, force=True)
    fast, slow = both(descriptor)
    assert fast == slow


def test_a_one_column_table_with_quoted_line_breaks_gives_the_same_findings(tmp_path):
    resources = [{"name": "notes", "schema": {"fields": [{"name": "note", "type": "string",
                                                         "constraints": {"required": True, "maxLength": 5}}]}}]
    rows = [["note"], ["short"], ["two\nlines"], ["ok"], ["a\nb"], ["longer than five"]]
    found = assert_same(write_package(tmp_path / "notes", resources, {"notes": rows}))
    assert [(f.rule, f.row) for f in found] == [("table.constraint", 3), ("table.constraint", 6)]


def test_small_tables_take_the_fast_path_only_when_asked(tmp_path, monkeypatch):
    descriptor = write_package(tmp_path / "small", json.loads(json.dumps(EDGE_RESOURCES)),
                               {"items": EDGE_ROWS, "groups": GROUP_ROWS})
    assert fast_table_errors(descriptor) is None
    monkeypatch.setattr(validation, "FAST_PATH_BYTES", 10)
    assert fast_table_errors(descriptor) is not None


# --- headers, BOM and personal data of a large table ----------------------------------------------

PEOPLE_THAI = [["id", "Contact Name", "note"],
               ["1", "นายสมชาย ใจดี", "โทร ๐๘๑ ๒๓๔ ๕๖๗๘"],
               ["2", "somchai@example.com", "opendata@opdc.go.th"],
               ["3", "1101700230705", "ร้อยละ ๕๖.๔๑ จาก ๓๙ หน่วยงาน"],
               ["4", "plain", "line one\nline two 02-123-4567"],
               ["5", "١٢٣٤٥٦٧٨٩", "081-234-5678"]]
# ASCII only: the candidates are found by the phone and ID layouts alone
PEOPLE_ASCII = [["id", "Contact Name", "note"],
                ["1", "somchai@example.com", "call 0812345678 today"],
                ["2", "1 1017 00230 70 5", "2021-05-03"],
                ["3", "12,345,678,901", "081 234 5678"],
                ["4", "020000000", "0 2123 4567"],
                ["5", "no digits here", "1234567890123456"]]


@pytest.mark.parametrize("rows", [PEOPLE_THAI, PEOPLE_ASCII], ids=["thai", "ascii"])
def test_table_checks_read_column_by_column_give_the_same_findings(tmp_path, rows):
    resources = [{"name": "people", "schema": {"fields": [{"name": name, "type": "string"} for name in
                                                          ("id", "Contact Name", "note")]}}]
    descriptor_path = write_package(tmp_path / "people", resources, {"people": rows})
    descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    descriptor["gdc"] = {"data_category": "ข้อมูลสาธารณะ"}
    registry = load_registry()
    fast = table_findings(descriptor_path, descriptor, "people", registry, fast=True)
    slow = table_findings(descriptor_path, descriptor, "people", registry, fast=False)
    assert fast == slow, f"fast:\n{describe(fast)}\nslow:\n{describe(slow)}"
    rules = {f.rule for f in slow}
    assert {"table.header-name", "provenance.missing", "personal.email", "personal.phone"} <= rules
    if rows is PEOPLE_THAI:
        assert {"table.bom", "personal.name"} <= rules


# --- the real packages ----------------------------------------------------------------------------

def test_the_real_packages_give_the_same_findings_either_way():
    paths = package_paths([ROOT / "datapackages"])
    for path in paths:
        assert fast_table_errors(path, force=True) is not None, path
    fast = validate([ROOT / "datapackages"], fast=True, catalog=None)
    slow = validate([ROOT / "datapackages"], fast=False, catalog=None)
    assert fast.findings == slow.findings
    assert fast.errors() == []
