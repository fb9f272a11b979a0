"""The fast path's work on whole columns (pyarrow): a CSV read exactly as Python's csv module
reads it, keys compared as Python compares frictionless's parsed cells, and the exception by
which a package the fast path does not cover goes to frictionless whole (see fast.py)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

# the kind of key a field's parsed cells make: Python finds 1 == 1.0 == True, but never '1' == 1
KEY_KIND = {"string": "s", "integer": "n", "number": "n", "boolean": "n", "date": "d"}
ARROW_CACHE: dict[tuple, tuple | None] = {}


class FastPathUnsupported(Exception):
    """This package is checked by frictionless itself."""


def need(condition: bool, why: str) -> None:
    if not condition:
        raise FastPathUnsupported(why)


def arrow_csv(path: Path) -> tuple[bytes, list[str], "pyarrow.Table"] | None:
    """(bytes, header, every column as text) of a CSV read by pyarrow as Python's csv module reads
    it, or None when pyarrow cannot (ragged rows, a header with line breaks or repeated names,
    quoted line breaks in a file with \\r line ends). Kept for the other checks of the same run."""
    stat = path.stat()
    stamp = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if stamp not in ARROW_CACHE:
        if len(ARROW_CACHE) >= 4:  # validate_package empties it after each package
            ARROW_CACHE.clear()
        ARROW_CACHE[stamp] = _read_arrow_csv(path)
    return ARROW_CACHE[stamp]


def _read_arrow_csv(path: Path) -> tuple | None:
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pacsv
    except ImportError:
        return None
    raw = path.read_bytes()
    head = raw[:1 << 16].decode("utf-8-sig", errors="replace")  # the cut may split a character
    header = next(csv.reader(io.StringIO(head, newline="")), [])
    if not header or len(set(header)) != len(header) or any("\n" in n or "\r" in n for n in header):
        return None
    options = dict(read_options=pacsv.ReadOptions(use_threads=True, block_size=1 << 24),
                   convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in header},
                                                        strings_can_be_null=False, quoted_strings_can_be_null=False))
    # without newlines_in_values a quoted line break splits a row; only in a one-column table
    # can both halves have the right number of cells and go unnoticed
    for in_values in (False, True) if len(header) > 1 else (True,):
        if in_values and b"\r" in raw:
            return None  # Python's reader and pyarrow keep a \r of a quoted line break differently
        try:
            table = pacsv.read_csv(pa.py_buffer(raw), parse_options=pacsv.ParseOptions(
                ignore_empty_lines=False, newlines_in_values=in_values), **options)
        except pa.ArrowInvalid:
            continue
        if table.column_names != header:
            return None
        # Python's reader reads a blank line as no cell, pyarrow (one column) as one empty cell
        if len(header) == 1 and table.num_rows and pc.any(pc.equal(table.column(0), "")).as_py():
            return None
        return raw, header, table
    return None


def exact_key(value, kind: str):
    """The key of one cell frictionless parsed, in the column's key kind, when floats hold it exactly."""
    import math

    if value is None:
        return None
    if kind == "n":
        exact = isinstance(value, int) and abs(value) < 2 ** 53 or isinstance(value, Decimal) and \
            value.is_finite() and len(value.normalize().as_tuple().digits) <= 15 and abs(value.adjusted()) < 300
        need(exact, f"a key {value!r} floats cannot hold exactly")
        number = float(value) + 0.0
        need(math.isfinite(number), "number out of range")
        return number
    return value


def as_text_key(key, kind: str):
    """A key as text, for keys of several fields: the kind first, so that '1' and 1 differ."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.binary_join_element_wise(f"{kind}:", pc.cast(key, pa.string()), "")


def null_rows(keys) -> list[int]:
    import numpy as np
    import pyarrow.compute as pc

    return [int(i) for i in np.flatnonzero(pc.is_null(keys).to_numpy(zero_copy_only=False))]


def repeats(keys) -> dict[int, int]:
    """{row index: index of the latest earlier row with the same key} for every repeated key;
    rows without a key (null) never repeat."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_floating(keys.type):  # numbers: sorting is quicker than hashing
        valid = np.flatnonzero(pc.is_valid(keys).to_numpy(zero_copy_only=False))
        values = keys.to_numpy(zero_copy_only=False)[valid]
        order = np.argsort(values, kind="stable")
        same = np.flatnonzero(values[order][1:] == values[order][:-1])
        where = np.unique(np.concatenate([valid[order][same], valid[order][same + 1]]))
    else:
        counts = pc.value_counts(pc.drop_null(keys))
        repeated = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
        if not len(repeated):
            return {}
        where = np.flatnonzero(pc.is_in(keys, value_set=repeated).to_numpy(zero_copy_only=False))
    hits, last = {}, {}
    for index, key in zip(where.tolist(), pc.take(keys, where).to_pylist()):
        if key in last:
            hits[index] = last[key]
        last[key] = index
    return hits


def absent(target: tuple, source: tuple) -> set[int]:
    """Rows whose key (not wholly None) the source does not hold; keys of different kinds never meet."""
    import numpy as np
    import pyarrow.compute as pc

    (target_kind, target_keys), (source_kind, source_keys) = target, source
    present = pc.is_valid(target_keys)
    if target_kind == source_kind:
        missing = pc.and_(present, pc.invert(pc.is_in(target_keys, value_set=pc.unique(pc.drop_null(source_keys)))))
    else:
        missing = present
    return {int(i) for i in np.flatnonzero(missing.to_numpy(zero_copy_only=False))}
