"""The tables of a package: frictionless's checks (descriptor, types, constraints, keys,
encoding, hashes), then headers, BOM, provenance and personal data of every CSV; a large
table read by pyarrow (fast.py) with the same findings."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Iterator

from publisher.reports.registry import Registry
from publisher.validate import fast as fast_path
from publisher.validate.fast import fast_table_errors
from publisher.validate.fast_columns import FastPathUnsupported, arrow_csv
from publisher.validate.findings import Finding, relative_path
from publisher.validate.metadata import vocabularies
from publisher.validate.personal import PUBLIC, personal_data_candidates, personal_data_in
from publisher.validate.provenance import provenance_findings

HEADER_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")


# --- frictionless --------------------------------------------------------------------

FRICTIONLESS_RULES = {
    "type-error": "table.type", "constraint-error": "table.constraint", "unique-error": "table.primary-key",
    "primary-key": "table.primary-key", "foreign-key": "table.foreign-key", "encoding-error": "table.encoding",
    "hash-count": "table.hash", "byte-count": "table.hash", "row-count": "table.hash",
    "extra-cell": "table.row", "missing-cell": "table.row", "blank-row": "table.row",
    "extra-label": "table.header", "missing-label": "table.header", "incorrect-label": "table.header",
    "duplicate-label": "table.header", "blank-label": "table.header",
    "scheme-error": "table.source", "format-error": "table.source", "source-error": "table.source",
    "io-error": "table.source", "resource-error": "table.source",
}


def _findings_of_errors(errors, package: str, data_file: str, primary_key) -> list[Finding]:
    """frictionless errors of one resource as findings."""
    found = []
    for error in errors:
        rule = FRICTIONLESS_RULES.get(error.type, "package.profile")
        # header errors carry row_numbers, key errors field_names, extra cells an empty field_name
        row = getattr(error, "row_number", None) or (getattr(error, "row_numbers", None) or [None])[0]
        field = getattr(error, "field_name", None) or ",".join(getattr(error, "field_names", None) or []) or None
        if error.type == "primary-key" and primary_key:
            field = ",".join(primary_key) if isinstance(primary_key, list) else str(primary_key)
        found.append(Finding(rule, package, data_file, error.message, row=row, field=field))
    return found


def frictionless_findings(descriptor_path: Path, package: str, descriptor: dict | None = None,
                          fast: bool | None = None) -> list[Finding]:
    """Frictionless's findings: row by row by frictionless itself, or for a package with a large
    table (or fast=True) column by column by the fast path, with the same result."""
    resources = [r for r in (descriptor or {}).get("resources", []) if isinstance(r, dict)]
    primary_keys = {r.get("name"): (r.get("schema") or {}).get("primaryKey") for r in resources}
    if fast is None:
        fast = any(isinstance(r.get("path"), str) and (descriptor_path.parent / r["path"]).is_file()
                   and (descriptor_path.parent / r["path"]).stat().st_size >= fast_path.FAST_PATH_BYTES for r in resources)
        chosen = False
    else:
        chosen = fast
    if fast:
        try:
            tasks = fast_table_errors(descriptor_path, force=True)
        except FastPathUnsupported:
            tasks = None
        except Exception:  # noqa: BLE001 - frictionless itself is always right; a forced run shows the error
            if chosen:
                raise
            tasks = None
        if tasks is not None:
            return [finding for name, place, errors in tasks
                    for finding in _findings_of_errors(errors, package, relative_path(descriptor_path.parent / place),
                                                       primary_keys.get(name))]

    from frictionless import validate as frictionless_validate

    report = frictionless_validate(str(descriptor_path))
    found = [Finding("package.profile", package, relative_path(descriptor_path), error.message,
                     field=(m := re.search(r"at property '([^']+)'", error.message)) and m.group(1) or None)
             for error in report.errors]
    for task in report.tasks:
        data_file = relative_path(descriptor_path.parent / task.place) if task.place else relative_path(descriptor_path)
        found += _findings_of_errors(task.errors, package, data_file, primary_keys.get(task.name))
    return found


# --- headers, BOM, provenance and personal data -------------------------------------

def read_csv(path: Path) -> tuple[bool, list[str], Iterator[list[str]]]:
    """(has BOM, header, rows); raises UnicodeDecodeError for files that are not UTF-8."""
    raw = path.read_bytes()
    has_bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))  # cells may hold quoted newlines
    header = next(reader, [])
    return has_bom, header, reader


def large_table_findings(read: tuple, fields: dict, package: str, file: str, registry: Registry,
                         public: bool) -> list[Finding]:
    """table_findings' checks of one CSV read by pyarrow: the same findings in the same order."""
    import numpy as np
    import pyarrow.compute as pc

    raw, header, table = read
    ascii_only = raw.isascii()
    found = [Finding("table.header-name", package, file, f"column {name!r}", row=1, field=name)
             for name in header if not HEADER_NAME.match(name)]
    columns = [table.column(name) for name in header]
    thai_text = not ascii_only and any(pc.any(pc.match_substring_regex(c, r"[\x{0E01}-\x{0E5B}]")).as_py()
                                       for c in columns)
    if thai_text and not raw.startswith(b"\xef\xbb\xbf"):
        found.append(Finding("table.bom", package, file, "Thai text without a UTF-8 BOM"))
    if "source_text" in header:
        rows = [(number, row) for number, row in enumerate(table.to_pylist(), start=2)]
        found += provenance_findings(rows, fields, package, file, registry)
    elif table.num_rows:
        found.append(Finding("provenance.missing", package, file, "no source_report/source_line/source_text columns",
                             field="source_text"))
    if public:
        cells = []
        for position, column in enumerate(columns):
            where = np.flatnonzero(personal_data_candidates(column, ascii_only).to_numpy(zero_copy_only=False))
            cells += [(int(i), position, value) for i, value in zip(where, pc.take(column, where).to_pylist())]
        for index, position, value in sorted(cells):
            for rule, matched in personal_data_in(value or ""):
                found.append(Finding(rule, package, file, f"{matched!r} in a ข้อมูลสาธารณะ dataset",
                                     row=index + 2, field=header[position]))
    return found


def table_findings(descriptor_path: Path, descriptor: dict, package: str, registry: Registry,
                   fast: bool | None = None) -> list[Finding]:
    """Headers, BOM, provenance and personal data of every CSV; a large one (or any, with
    fast=True) read by pyarrow, with the same findings."""
    found = []
    # guard unless the data is validly classed as something other than public
    category = (descriptor.get("gdc") or {}).get("data_category")
    public = category == PUBLIC or category not in vocabularies().get("data_category", (False, []))[1]
    for resource in descriptor.get("resources", []):
        path = descriptor_path.parent / resource.get("path", "")
        file = relative_path(path)
        if not path.is_file():
            continue  # frictionless reports missing files
        fields = {f["name"]: f for f in (resource.get("schema") or {}).get("fields", [])}
        if fast is not False and (fast or path.stat().st_size >= fast_path.FAST_PATH_BYTES):
            read = arrow_csv(path)
            if read is not None:
                found += large_table_findings(read, fields, package, file, registry, public)
                continue
        try:
            has_bom, header, reader = read_csv(path)
        except UnicodeDecodeError as exc:
            found.append(Finding("table.encoding", package, file, f"not UTF-8 at byte {exc.start}"))
            continue
        for name in header:
            if not HEADER_NAME.match(name):
                found.append(Finding("table.header-name", package, file, f"column {name!r}", row=1, field=name))
        rows = [(number, dict(zip(header, cells))) for number, cells in enumerate(reader, start=2)]
        thai_text = any(re.search("[\u0e01-\u0e5b]", v) for _, row in rows for v in row.values())
        if thai_text and not has_bom:
            found.append(Finding("table.bom", package, file, "Thai text without a UTF-8 BOM"))
        if "source_text" in header:
            found += provenance_findings(rows, fields, package, file, registry)
        elif rows:
            found.append(Finding("provenance.missing", package, file, "no source_report/source_line/source_text columns",
                                 field="source_text"))
        if public:
            for number, row in rows:
                for name, value in row.items():
                    for rule, matched in personal_data_in(value or ""):
                        found.append(Finding(rule, package, file, f"{matched!r} in a ข้อมูลสาธารณะ dataset",
                                             row=number, field=name))
    return found
