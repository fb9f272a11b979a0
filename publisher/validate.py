"""Everything a data package can get wrong, found before anything is published.

Each finding names the package, file, row and field, a stable rule id
(schemas/validation/rules.json) and a one-line fix hint in Thai or English. Checks:

- frictionless: descriptor, Table Schema types and constraints, keys, encoding, hashes;
- headers: English snake_case, and a UTF-8 BOM where the CSV holds Thai (Excel needs it);
- GD-Catalog metadata: the JSON Schema profile schemas/gdc/profile.json, plus the
  vocabularies of schemas/ckan/gdc_dataset.json and the rules that need code (อื่นๆ needs
  its *_other, BE years in order, NFC);
- provenance: the quoted passage is at that line of the vendored report, and every number
  of the row occurs in it after Thai-digit normalisation;
- personal data: no names of people, phone numbers, personal e-mails or national ID
  numbers in a dataset classed ข้อมูลสาธารณะ;
- consistency: a fact several datasets state has one value in all of them
  (schemas/validation/facts.json), compared with the rest of the catalog;
- a live portal (optional): its required fields, choices, licences and organizations.

A large table is read a column at a time (pyarrow) with the same findings as frictionless's
row-by-row reading; see "the fast path" below.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Iterable, Iterator

import jsonschema

from publisher import PROJECT_ROOT
from publisher.extract import thai
from publisher.extract.recipes import NUMERIC_TYPES
from publisher.reports.registry import Registry, ReportError, load_registry

RULES_FILE = PROJECT_ROOT / "schemas" / "validation" / "rules.json"
FACTS_FILE = PROJECT_ROOT / "schemas" / "validation" / "facts.json"
CATALOG_DIR = PROJECT_ROOT / "datapackages"
PROFILE_FILE = PROJECT_ROOT / "schemas" / "gdc" / "profile.json"
CKAN_SCHEMA_FILE = PROJECT_ROOT / "schemas" / "ckan" / "gdc_dataset.json"
LICENCES_FILE = PROJECT_ROOT / "schemas" / "gdc" / "licences.json"
PUBLIC = "ข้อมูลสาธารณะ"
OTHER_VALUES = ("อื่นๆ", "ข้อมูลประเภทอื่นๆ")
HEADER_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
# ำ typed as nikhahit + sara aa (a tone mark may sit either side of the nikhahit); NFC keeps it
# decomposed, since U+0E33 has only a compatibility decomposition
_SARA_AM = re.compile("([\u0e48-\u0e4b]?)\u0e4d([\u0e48-\u0e4b]?)\u0e32")
# a missing element whose own rule is more precise than "mandatory element missing"
MISSING_RULES = {"title": "gdc.title", "title_en": "gdc.title", "description": "gdc.title",
                 "description_en": "gdc.title"}


def canonical(text: str) -> str:
    """NFC, with a decomposed sara am composed as U+0E33."""
    return _SARA_AM.sub("\\1\\2\u0e33", unicodedata.normalize("NFC", text))


@lru_cache(maxsize=1)
def rules() -> dict[str, dict]:
    return json.loads(RULES_FILE.read_text(encoding="utf-8"))["rules"]


@dataclass(frozen=True)
class Finding:
    rule: str
    package: str
    file: str
    message: str
    row: int | None = None      # the CSV's physical row (the header is row 1)
    field: str | None = None

    @property
    def severity(self) -> str:
        return rules()[self.rule]["severity"]

    def title(self, lang: str = "en") -> str:
        return rules()[self.rule][f"title_{lang}"]

    def hint(self, lang: str = "en") -> str:
        return rules()[self.rule][f"hint_{lang}"]

    def as_dict(self, lang: str = "en") -> dict:
        return {**asdict(self), "severity": self.severity, "title": self.title(lang), "hint": self.hint(lang)}


@dataclass
class Result:
    packages: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    def valid(self, strict: bool = False) -> bool:
        return not (self.findings if strict else self.errors())

    def invalid_packages(self, strict: bool = False) -> set[str]:
        return {f.package for f in self.findings if strict or f.severity == "error"}


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
                   and (descriptor_path.parent / r["path"]).stat().st_size >= FAST_PATH_BYTES for r in resources)
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
                    for finding in _findings_of_errors(errors, package, _rel(descriptor_path.parent / place),
                                                       primary_keys.get(name))]

    from frictionless import validate as frictionless_validate

    report = frictionless_validate(str(descriptor_path))
    found = [Finding("package.profile", package, _rel(descriptor_path), error.message,
                     field=(m := re.search(r"at property '([^']+)'", error.message)) and m.group(1) or None)
             for error in report.errors]
    for task in report.tasks:
        data_file = _rel(descriptor_path.parent / task.place) if task.place else _rel(descriptor_path)
        found += _findings_of_errors(task.errors, package, data_file, primary_keys.get(task.name))
    return found


# --- the fast path: large tables checked column by column -------------------------------------
#
# frictionless reads a table row by row in Python. For a large CSV the same checks run here on
# whole columns (pyarrow). A cell that is not plainly valid goes through frictionless's own cell
# reader, so each type and constraint note, and each key value compared, is frictionless's; the
# errors are frictionless error objects, in frictionless's order, cut at its error limit, and
# become findings by the same conversion. A package outside what this path covers (another
# format, dialect, encoding or field type, a descriptor error, a CSV pyarrow reads differently)
# goes to frictionless whole.

FAST_PATH_BYTES = 4_000_000          # a package with a table at least this large takes the fast path
LIMIT_ERRORS = 1000                  # frictionless stops reading a table after this many errors
FAST_TYPES = {"string", "integer", "number", "date", "boolean"}
FAST_CONSTRAINTS = {"required", "enum", "pattern", "minLength", "maxLength",
                    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}
# cells whose type pyarrow reads exactly as Python does; every other cell goes to frictionless
PLAIN_CELL = {"integer": r"^-?[0-9]{1,15}$", "number": r"^-?[0-9]{1,15}(\.[0-9]{1,15})?$",
              "date": r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"}
PLAIN_DIALECT = {"delimiter": ",", "quote_char": '"', "double_quote": True, "escape_char": None,
                 "skip_initial_space": False}
BOUNDS = {"minimum": "greater_equal", "maximum": "less_equal", "exclusiveMinimum": "greater",
          "exclusiveMaximum": "less"}
# the kind of key a field's parsed cells make: Python finds 1 == 1.0 == True, but never '1' == 1
KEY_KIND = {"string": "s", "integer": "n", "number": "n", "boolean": "n", "date": "d"}
_ARROW_CACHE: dict[tuple, tuple | None] = {}


class FastPathUnsupported(Exception):
    """This package is checked by frictionless itself."""


def _need(condition: bool, why: str) -> None:
    if not condition:
        raise FastPathUnsupported(why)


def arrow_csv(path: Path) -> tuple[bytes, list[str], "pyarrow.Table"] | None:
    """(bytes, header, every column as text) of a CSV read by pyarrow as Python's csv module reads
    it, or None when pyarrow cannot (ragged rows, a header with line breaks or repeated names,
    quoted line breaks in a file with \\r line ends). Kept for the other checks of the same run."""
    stat = path.stat()
    stamp = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if stamp not in _ARROW_CACHE:
        if len(_ARROW_CACHE) >= 4:  # validate_package empties it after each package
            _ARROW_CACHE.clear()
        _ARROW_CACHE[stamp] = _read_arrow_csv(path)
    return _ARROW_CACHE[stamp]


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


def fast_table_errors(descriptor_path: Path, force: bool = False) -> list[tuple[str, str, list]] | None:
    """[(resource name, path, frictionless errors)] in resource order, or None when no table is
    large enough to be worth it (force: any size). Raises FastPathUnsupported."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise FastPathUnsupported("pyarrow is not installed") from None
    from frictionless import FrictionlessException, Package

    try:
        package = Package(str(descriptor_path))
        package.to_descriptor(validate=True)
        for resource in package.resources:
            resource.to_descriptor(validate=True)
    except FrictionlessException as exc:
        raise FastPathUnsupported(f"descriptor: {exc}") from None
    base = descriptor_path.parent
    sizes = [(base / r.path).stat().st_size if isinstance(r.path, str) and (base / r.path).is_file() else 0
             for r in package.resources]
    if not force and max(sizes, default=0) < FAST_PATH_BYTES:
        return None
    tables = {r.name: FastTable(r, base) for r in package.resources}
    return [(r.name, r.path, tables[r.name].errors(tables)) for r in package.resources]


def _exact_key(value, kind: str):
    """The key of one cell frictionless parsed, in the column's key kind, when floats hold it exactly."""
    import math

    if value is None:
        return None
    if kind == "n":
        exact = isinstance(value, int) and abs(value) < 2 ** 53 or isinstance(value, Decimal) and \
            value.is_finite() and len(value.normalize().as_tuple().digits) <= 15 and abs(value.adjusted()) < 300
        _need(exact, f"a key {value!r} floats cannot hold exactly")
        number = float(value) + 0.0
        _need(math.isfinite(number), "number out of range")
        return number
    return value


def _as_text_key(key, kind: str):
    """A key as text, for keys of several fields: the kind first, so that '1' and 1 differ."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.binary_join_element_wise(f"{kind}:", pc.cast(key, pa.string()), "")


class FastTable:
    """One CSV resource read by pyarrow, its cells checked a column at a time."""

    def __init__(self, resource, base: Path):
        self.resource = resource
        self.name = resource.name
        self.path = base / resource.path
        _need(resource.type == "table" and resource.format == "csv" and resource.scheme == "file"
              and not resource.compression and not resource.innerpath, "not a plain local CSV")
        _need(self.path.is_file(), "data file missing")
        _need(resource.fields is None and resource.rows is None, "declared field or row counts")
        self.schema = resource.schema
        self.field_names = [f.name for f in self.schema.fields]
        _need(len(set(self.field_names)) == len(self.field_names), "duplicate field names")
        for field in self.schema.fields:
            _need(field.type in FAST_TYPES and field.format in (None, "default"), f"field {field.name}: {field.type}")
            _need(not set(field.list_defined()) & {"missing_values", "bare_number", "group_char", "decimal_char",
                                                    "float_number", "true_values", "false_values"},
                  f"field {field.name}: reading options")
            _need(set(field.constraints) & set(field.supported_constraints) <= FAST_CONSTRAINTS,
                  f"field {field.name}: constraints")
        self.missing_values = list(self.schema.missing_values)
        self._check_dialect()
        read = arrow_csv(self.path)
        _need(read is not None, "pyarrow reads it differently")
        self.raw, header, self.table = read
        _need(header == self.field_names, "header differs from the schema")
        self.rows = self.table.num_rows
        self._scans: dict[str, tuple] = {}

    def _check_dialect(self) -> None:
        """The header, encoding and CSV dialect frictionless itself settles on (it sniffs a sample)."""
        from frictionless import FrictionlessException, Resource

        descriptor = self.resource.to_descriptor()
        descriptor.pop("schema", None)
        probe = Resource(descriptor, basepath=self.resource.basepath)
        try:
            with probe:
                labels = probe.labels
                encoding = probe.encoding
        except FrictionlessException as exc:
            raise FastPathUnsupported(f"frictionless cannot open it: {exc}") from None
        dialect = probe.dialect
        control = dialect.get_control("csv")
        _need(encoding in ("utf-8", "utf-8-sig"), f"encoding {encoding}")
        _need(labels == self.field_names, "header differs from the schema")
        _need(dialect.header and dialect.header_rows == [1] and dialect.header_case and not dialect.comment_char
              and not dialect.comment_rows and not dialect.skip_blank_rows, "dialect")
        for name, value in PLAIN_DIALECT.items():
            _need(getattr(control, name) == value, f"dialect {name}")

    def cells(self, index: int) -> list[str]:
        return [self.table.column(n)[index].as_py() for n in self.field_names]

    def scan(self, field) -> tuple:
        """(row indices of the cells frictionless must read, {index: (value, notes)} for them,
        the column's keys or None, the mask of missing cells)."""
        if field.name not in self._scans:
            self._scans[field.name] = self._scan(field)
        return self._scans[field.name]

    def _scan(self, field) -> tuple:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        column = self.table.column(field.name).combine_chunks()
        missing = pc.is_in(column, value_set=pa.array(self.missing_values, pa.string())) \
            if self.missing_values else pa.array(np.zeros(len(column), bool))
        present = pc.invert(missing)
        reader = field.create_value_reader()
        if field.type == "string":
            plain, values, key = present, column, column
        elif field.type == "boolean":
            plain = pc.and_(present, pc.is_in(column, value_set=pa.array(field.true_values + field.false_values)))
            values = pc.is_in(column, value_set=pa.array(field.true_values))
            key = pc.cast(values, pa.float64())
        else:
            plain = pc.and_(present, pc.match_substring_regex(column, PLAIN_CELL[field.type]))
            if field.type == "number":
                plain = pc.and_(plain, pc.less_equal(pc.utf8_length(column), 15))
            placeholder = pc.if_else(plain, column, "1" if field.type != "date" else "2000-01-01")
            if field.type == "date":
                try:
                    values = pc.cast(placeholder, pa.date32())  # refuses 2021-02-30
                except pa.ArrowInvalid:
                    values = pc.cast(pc.strptime(placeholder, format="%Y-%m-%d", unit="s", error_is_null=True),
                                     pa.date32())
                    # a day the month lacks (rolled over, or refused): frictionless's to judge
                    plain = pc.and_(plain, pc.fill_null(pc.equal(pc.cast(values, pa.string()), placeholder), False))
                key = values
            else:
                values = pc.cast(placeholder, pa.int64() if field.type == "integer" else pa.float64())
                key = pc.add(pc.cast(values, pa.float64()), 0.0)  # -0 is 0
        ok = plain
        for name in field.supported_constraints:  # frictionless ignores the others
            if name != "required" and field.constraints.get(name) is not None:
                ok = pc.and_(ok, self._meets(field, name, field.constraints[name], column, values, reader))
        ok = pc.fill_null(ok, False)
        required = pa.scalar(bool(field.constraints.get("required")))
        suspicious = pc.or_(pc.and_(present, pc.invert(ok)), pc.and_(missing, required))
        indices = np.flatnonzero(suspicious.to_numpy(zero_copy_only=False))
        cell_reader = field.create_cell_reader()
        exact = {int(i): cell_reader(column[int(i)].as_py()) for i in indices}
        if field.name not in self.key_fields():
            return indices, exact, None, missing
        kind = KEY_KIND[field.type]
        key = pc.if_else(pc.and_(plain, present), key, pa.scalar(None, key.type))
        if exact:
            patch = np.zeros(len(column), bool)
            patch[list(exact)] = True
            replacement = pa.array([_exact_key(exact[i][0], kind) for i in sorted(exact)], key.type)
            key = pc.replace_with_mask(key, pa.array(patch), replacement)
        return indices, exact, key, missing

    def _meets(self, field, name: str, constraint, column, values, reader):
        """Whether each plainly typed cell meets one constraint (the others are judged exactly)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if name == "pattern":
            compiled = re.compile(f"^{constraint}$")
            failing = [u for u in pc.unique(column).to_pylist() if not compiled.match(u)]
            return pc.invert(pc.is_in(column, value_set=pa.array(failing, pa.string())))
        if name in ("minLength", "maxLength"):
            _need(isinstance(constraint, int) and not isinstance(constraint, bool), f"{name} {constraint!r}")
            compare = pc.greater_equal if name == "minLength" else pc.less_equal
            return compare(pc.utf8_length(column), constraint)
        if name == "enum":
            allowed = [a for a in (reader(item) for item in constraint) if a is not None]
            return pc.is_in(values, value_set=pa.array([self._plain_value(field, a) for a in allowed], values.type))
        bound = reader(constraint)
        _need(bound is not None and field.type in ("integer", "number", "date"), f"{name} {constraint!r}")
        return getattr(pc, BOUNDS[name])(values, pa.scalar(self._plain_value(field, bound), values.type))

    @staticmethod
    def _plain_value(field, value):
        """A parsed constraint value as the column holds it, when that is exact."""
        if field.type == "number":
            return _exact_key(value, "n")
        if field.type == "integer":
            _need(abs(value) < 2 ** 53, "integer bound")
        return value

    def key_fields(self) -> set[str]:
        names = {f.name for f in self.schema.fields if f.constraints.get("unique")}
        names |= set(self.schema.primary_key)
        for fk in self.schema.foreign_keys:
            names |= set(fk["fields"])
        return names

    def keys(self, names: list[str]):
        """(kind, one key per row) for a tuple of fields, null where every cell is None; keys of
        several fields are text."""
        import pyarrow as pa
        import pyarrow.compute as pc

        fields = [self.schema.get_field(n) for n in names]
        if len(fields) == 1:
            return KEY_KIND[fields[0].type], self.scan(fields[0])[2]
        columns = [self.scan(f)[2] for f in fields]
        joined = pc.binary_join_element_wise(*[pc.fill_null(_as_text_key(c, KEY_KIND[f.type]), "\x00")
                                              for c, f in zip(columns, fields)], "\x1f")
        every_none = pc.is_null(columns[0])
        for column in columns[1:]:
            every_none = pc.and_(every_none, pc.is_null(column))
        return "t", pc.if_else(every_none, pa.scalar(None, pa.string()), joined)

    def errors(self, tables: dict[str, "FastTable"]) -> list:
        from frictionless import errors as ferrors
        from frictionless import helpers

        cell_errors: dict[int, dict[str, tuple]] = {}
        for number, field in enumerate(self.schema.fields, start=1):
            for index, (_, notes) in self.scan(field)[1].items():
                if notes:
                    cell_errors.setdefault(index, {})[field.name] = (number, notes)
        unique_hits = {f.name: _repeats(self.keys([f.name])[1]) for f in self.schema.fields
                       if f.constraints.get("unique")}
        primary = list(self.schema.primary_key)
        primary_hits, primary_blank = {}, set()
        if primary:
            keys = self.keys(primary)[1]
            primary_hits = _repeats(keys)
            primary_blank = set(_null_rows(keys))
        foreign = []
        for fk in self.schema.foreign_keys:
            source_name = fk["reference"]["resource"] or self.name
            _need(source_name in tables, f"foreign key to {source_name}")
            source = tables[source_name]
            _need(all(source.schema.has_field(n) for n in fk["reference"]["fields"]), "foreign key fields")
            foreign.append((fk, _absent(self.keys(list(fk["fields"])), source.keys(list(fk["reference"]["fields"])))))
        blank = self.blank_rows()
        rows = sorted(set(cell_errors) | blank | {i for hits in unique_hits.values() for i in hits}
                      | set(primary_hits) | primary_blank | {i for _, absent in foreign for i in absent})
        found = []
        for index in rows:
            found += self._row_errors(index, cell_errors.get(index, {}), unique_hits, primary, primary_hits,
                                      primary_blank, foreign, blank, ferrors)
            if len(found) >= LIMIT_ERRORS:
                return found[:LIMIT_ERRORS]  # and frictionless skips the checks of the whole file
        if self.resource.hash:
            algorithm, expected = helpers.parse_resource_hash_v1(self.resource.hash)
            if algorithm in ("md5", "sha256"):
                import hashlib

                actual = hashlib.new(algorithm, self.raw).hexdigest()
                if actual != expected:
                    found.append(ferrors.HashCountError(note=f'expected is "{expected}" and actual is "{actual}"'))
        if self.resource.bytes and self.resource.bytes != len(self.raw):
            found.append(ferrors.ByteCountError(
                note=f'expected is "{self.resource.bytes}" and actual is "{len(self.raw)}"'))
        return found

    def blank_rows(self) -> set[int]:
        """Rows whose every cell is a missing value: frictionless reports only that (and the key)."""
        import numpy as np
        import pyarrow.compute as pc

        blank = None
        for field in self.schema.fields:
            missing = self.scan(field)[3]
            blank = missing if blank is None else pc.and_(blank, missing)
        return {int(i) for i in np.flatnonzero(blank.to_numpy(zero_copy_only=False))} if blank is not None else set()

    def _value(self, field, index: int):
        """The cell as frictionless parses it."""
        exact = self.scan(field)[1]
        if index in exact:
            return exact[index][0]
        return field.create_cell_reader()(self.table.column(field.name)[index].as_py())[0]

    def _row_errors(self, index, cell_errors, unique_hits, primary, primary_hits, primary_blank, foreign, blank,
                    ferrors) -> list:
        """A row's errors in the order frictionless finds them: it reads the cells of unique, key
        and foreign-key fields first, and all the others when the row first reports an error."""
        to_str = lambda v: str(v) if v is not None else ""  # noqa: E731
        cells = [to_str(c) for c in self.cells(index)]
        number = index + 2
        if index in blank:
            # frictionless replaces the row's errors with this one; the key check then adds its own
            return [ferrors.BlankRowError(note="", cells=cells, row_number=number)] + (
                [ferrors.PrimaryKeyError(note='cells composing the primary keys are all "None"', cells=cells,
                                         row_number=number)] if primary else [])
        out, read, whole = [], set(), [False]

        def touch(name: str) -> None:
            if not whole[0] and name not in read:
                read.add(name)
                if name in cell_errors:
                    field_number, notes = cell_errors[name]
                    for kind, note in notes.items():
                        error = ferrors.TypeError if kind == "type" else ferrors.ConstraintError
                        out.append(error(note=note, cells=cells, row_number=number, cell=cells[field_number - 1],
                                         field_name=name, field_number=field_number))

        def read_all() -> None:
            for name in self.field_names:
                touch(name)
            whole[0] = True

        for field in self.schema.fields:
            if field.name in unique_hits:
                touch(field.name)
                if index in unique_hits[field.name]:
                    read_all()
                    out.append(ferrors.UniqueError(
                        note=f"the same as in the row at position {unique_hits[field.name][index] + 2}",
                        cells=cells, row_number=number, cell=str(self._value(field, index)), field_name=field.name,
                        field_number=self.field_names.index(field.name) + 1))
        if primary:
            for name in primary:
                touch(name)
            if index in primary_blank or index in primary_hits:
                read_all()
                note = 'cells composing the primary keys are all "None"' if index in primary_blank else \
                    f"the same as in the row at position {primary_hits[index] + 2}"
                out.append(ferrors.PrimaryKeyError(note=note, cells=cells, row_number=number))
        for fk, absent in foreign:
            for name in fk["fields"]:
                touch(name)
            if index in absent:
                read_all()
                values = [self._value(self.schema.get_field(n), index) for n in fk["fields"]]
                reference = fk["reference"]
                source = reference["resource"]  # as written: "" for the resource itself
                note = 'for "%s": values "%s" not found in the lookup table "%s" as "%s"' % (
                    ", ".join(fk["fields"]), ", ".join(str(v) for v in values), source, ", ".join(reference["fields"]))
                out.append(ferrors.ForeignKeyError(note=note, cells=cells, row_number=number,
                                                   field_names=list(fk["fields"]),
                                                   field_cells=[to_str(v) for v in values], reference_name=source,
                                                   reference_field_names=list(reference["fields"])))
        read_all()
        return out


def _null_rows(keys) -> list[int]:
    import numpy as np
    import pyarrow.compute as pc

    return [int(i) for i in np.flatnonzero(pc.is_null(keys).to_numpy(zero_copy_only=False))]


def _repeats(keys) -> dict[int, int]:
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


def _absent(target: tuple, source: tuple) -> set[int]:
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


# --- GD-Catalog metadata ---------------------------------------------------------------

@lru_cache(maxsize=1)
def vocabularies() -> dict[str, tuple[bool, list[str]]]:
    """thai_gdc field -> (multi-valued?, allowed values) from the portal's own schema."""
    schema = json.loads(CKAN_SCHEMA_FILE.read_text(encoding="utf-8"))
    return {f["field_name"]: (f.get("preset") == "multiple_select", [c["value"] for c in f["choices"]])
            for f in schema["dataset_fields"] if f.get("choices")}


@lru_cache(maxsize=1)
def profile_validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(PROFILE_FILE.read_text(encoding="utf-8")))


def _rule_of(error: jsonschema.ValidationError) -> str:
    """The deepest x-rule on the schema path of the failing keyword."""
    node, rule = profile_validator().schema, "package.profile"
    for step in [None, *error.absolute_schema_path]:
        if step is not None:
            try:
                node = node[step]
            except (KeyError, IndexError, TypeError):
                break
        if isinstance(node, dict) and "$ref" in node and node["$ref"].startswith("#/$defs/"):
            node = profile_validator().schema["$defs"][node["$ref"].split("/")[-1]]
        if isinstance(node, dict) and "x-rule" in node:
            rule = node["x-rule"]
    return rule


def metadata_findings(descriptor: dict, package: str, file: str, registry: Registry) -> list[Finding]:
    found = []
    gdc = descriptor.get("gdc") or {}
    category_known = gdc.get("data_category") in vocabularies().get("data_category", (False, []))[1]
    for error in sorted(profile_validator().iter_errors(descriptor), key=lambda e: list(e.path)):
        where = ".".join(str(p) for p in error.path) or None
        rule = _rule_of(error)
        if error.validator == "required" and isinstance(error.instance, dict):
            missing = [p for p in error.validator_value if p not in error.instance and repr(p) in error.message]
            if missing:
                rule = MISSING_RULES.get(missing[0], rule) if not where else rule
                where = f"{where}.{missing[0]}" if where else missing[0]
        message = f"{where or 'descriptor'}: {error.message}"
        if rule == "gdc.harvest":
            if not category_known:
                continue  # a misspelt data_category: the vocabulary finding says it
            where = "gdc.allow_harvest"
            message = f"allow_harvest is True but data_category is {gdc.get('data_category')!r}"
        found.append(Finding(rule, package, file, message, field=where))
    for name, value in gdc.items():
        if name not in vocabularies():
            continue
        multi, allowed = vocabularies()[name]
        values = value if isinstance(value, list) else [value]
        if multi != isinstance(value, list):
            found.append(Finding("gdc.type", package, file,
                                 f"gdc.{name} must be {'a list' if multi else 'a single value'}", field=f"gdc.{name}"))
        for item in values:
            if not isinstance(item, str):
                found.append(Finding("gdc.type", package, file, f"gdc.{name}: {item!r} is not text", field=f"gdc.{name}"))
            elif item in allowed:
                if item in OTHER_VALUES and not str(gdc.get(f"{name}_other", "")).strip():
                    found.append(Finding("gdc.other", package, file, f"gdc.{name} is {item} but gdc.{name}_other is empty",
                                         field=f"gdc.{name}_other"))
            elif canonical(item) in allowed:
                found.append(Finding("gdc.nfc", package, file, f"gdc.{name}: {item!r} is not NFC "
                                     f"(should be {canonical(item)!r})", field=f"gdc.{name}"))
            else:
                found.append(Finding("gdc.vocabulary", package, file,
                                     f"gdc.{name}: {item!r} is not one of {allowed}", field=f"gdc.{name}"))
    first, last = gdc.get("first_year_of_data"), gdc.get("last_year_of_data")
    if isinstance(first, str) and isinstance(last, str) and first.isdigit() and last.isdigit() and first > last:
        found.append(Finding("gdc.statistics", package, file, f"first_year_of_data {first} is after last_year_of_data {last}",
                             field="gdc.first_year_of_data"))
    licences = json.loads(LICENCES_FILE.read_text(encoding="utf-8"))["licences"]
    spdx = ((descriptor.get("licenses") or [{}])[0] or {}).get("name")
    if spdx and spdx in licences and gdc.get("license_id") != licences[spdx]["license_id"]:
        found.append(Finding("gdc.license", package, file,
                             f"licence {spdx} maps to {licences[spdx]['license_id']!r}, not {gdc.get('license_id')!r}",
                             field="gdc.license_id"))
    if spdx and spdx not in licences and gdc.get("license_id") != "อื่นๆ":
        found.append(Finding("gdc.license", package, file, f"licence {spdx} has no GD-Catalog equivalent; "
                             "set license_id อื่นๆ and license_id_other", field="licenses"))
    organization = (descriptor.get("organization") or {}).get("name")
    if organization and organization not in registry.agencies:
        found.append(Finding("gdc.organization", package, file, f"organization {organization!r} is not in the registry",
                             field="organization"))
    for text_field in ("title", "description"):
        value = descriptor.get(text_field)
        if isinstance(value, str) and canonical(value) != value:
            found.append(Finding("gdc.nfc", package, file, f"{text_field} is not NFC, or has a decomposed sara am",
                                 field=text_field))
    return found


# --- tables: headers, provenance, personal data --------------------------------------

def read_csv(path: Path) -> tuple[bool, list[str], Iterator[list[str]]]:
    """(has BOM, header, rows); raises UnicodeDecodeError for files that are not UTF-8."""
    raw = path.read_bytes()
    has_bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))  # cells may hold quoted newlines
    header = next(reader, [])
    return has_bom, header, reader


_NUMBER_TOKEN = re.compile(r"([-−]?)((?<!\d)\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\d,])\d+(?:\.\d+)?)")


def numbers_in(passage: str) -> set[Decimal]:
    """Every number printed in a passage, Thai digits included; a number after a minus sign
    counts both ways, since '2561-2580' is a range and '−0.2' a negative change."""
    found = set()
    for sign, token in _NUMBER_TOKEN.findall(thai.to_arabic_digits(passage)):
        value = Decimal(token.replace(",", ""))
        found.add(value)
        if sign:
            found.add(-value)
    return found


def provenance_findings(rows: list[tuple[int, dict]], fields: dict[str, dict], package: str, file: str,
                        registry: Registry) -> list[Finding]:
    found = []
    numeric = [name for name, spec in fields.items()
               if spec.get("type") in NUMERIC_TYPES and name != "source_line"]
    for number, row in rows:
        report_id, line, passage = row.get("source_report"), row.get("source_line"), row.get("source_text")
        if not (report_id and line and passage):
            found.append(Finding("provenance.missing", package, file, "source_report, source_line and source_text "
                                 "must all be filled", row=number, field="source_text"))
            continue
        try:
            report = registry.report(report_id)
            first = int(line)
            span = "\n".join(report.lines[first - 1:first + passage.count("\n")])
        except (ReportError, ValueError):
            found.append(Finding("provenance.report", package, file, f"no report {report_id!r} line {line!r}",
                                 row=number, field="source_report"))
            continue
        if passage not in span:
            found.append(Finding("provenance.passage", package, file,
                                 f"the passage is not at report {report_id} line {line}: {passage[:80]!r}",
                                 row=number, field="source_text"))
            continue
        quoted = numbers_in(passage)
        for name in numeric:
            value = row.get(name, "")
            if value in ("", None):
                continue
            try:
                wanted = Decimal(value)
            except InvalidOperation:
                continue  # a type error; frictionless reports it
            if wanted not in quoted:
                found.append(Finding("provenance.value", package, file,
                                     f"{name} = {value} does not occur in the passage (numbers there: "
                                     f"{', '.join(str(q) for q in sorted(quoted)) or 'none'})",
                                     row=number, field=name))
    return found


PERSON_TITLES = ("นางสาว", "นาง", "นาย", "ดร.", "ว่าที่ร้อยตรี", "พลเอก", "พลโท", "พลตรี", "พันเอก", "พันโท",
                 "พันตรี", "ร้อยเอก", "ร้อยโท", "ร้อยตรี", "พลตำรวจเอก", "พลตำรวจโท", "พลตำรวจตรี", "พันตำรวจเอก",
                 "พันตำรวจโท", "พันตำรวจตรี", "ร้อยตำรวจเอก", "ร้อยตำรวจโท", "ร้อยตำรวจตรี", "นายแพทย์",
                 "แพทย์หญิง", "ศาสตราจารย์", "รองศาสตราจารย์", "ผู้ช่วยศาสตราจารย์")
# words that start like a title but are roles or common nouns, not names
NOT_NAMES = ("นายกรัฐมนตรี", "นายก", "นายจ้าง", "นายทะเบียน", "นายอำเภอ", "นายหน้า", "นายทหาร", "นายตำรวจ",
             "นายช่าง", "นายด่าน", "นางพยาบาล", "นาฬิกา")
_TITLE = "|".join(re.escape(t) for t in sorted(PERSON_TITLES, key=len, reverse=True))
PERSON = re.compile(rf"(?<![\u0e01-\u0e4f])(?:{_TITLE})\s?[\u0e01-\u0e4f]{{2,}}\s+[\u0e01-\u0e4f]{{2,}}")
PHONE = re.compile(r"(?<![\d,.])0\d{0,2}[ -]?\d{3,4}[ -]?\d{4}(?![\d,.])")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
NATIONAL_ID = re.compile(r"(?<!\d)\d[ -]?\d{4}[ -]?\d{5}[ -]?\d{2}[ -]?\d(?!\d)")
ROLE_MAILBOXES = ("saraban", "info", "contact", "admin", "webmaster", "support", "opendata", "report", "pr",
                  "service", "helpdesk", "callcenter", "noreply", "no-reply", "data", "gdcatalog", "secretariat",
                  "office", "ict", "it")


def _national_id_ok(digits: str) -> bool:
    total = sum(int(d) * (13 - i) for i, d in enumerate(digits[:12]))
    return (11 - total % 11) % 10 == int(digits[12])


@lru_cache(maxsize=1)
def known_surnames() -> frozenset[str]:
    """Surnames the vendored reports print after a title (นาย, นาง, ดร., ranks…): flagged
    anywhere, titled or not, since the same people also appear in untitled lists."""
    names = set()
    for report in load_registry().reports.values():
        if report.path.exists():
            for line in report.lines:
                for match in PERSON.finditer(line):
                    if not any(match.group(0).startswith(word) for word in NOT_NAMES):
                        surname = match.group(0).split()[-1]
                        if len(surname) >= 4:
                            names.add(surname)
    return frozenset(names)


def personal_data_in(text: str) -> list[tuple[str, str]]:
    """(rule, matched text) for each piece of personal data found in a cell."""
    hits = [("personal.name", surname) for surname in known_surnames()
            if surname in text and not PERSON.search(text)]
    for match in PERSON.finditer(text):
        if not any(match.group(0).startswith(word) for word in NOT_NAMES):
            hits.append(("personal.name", match.group(0)))
    arabic = thai.to_arabic_digits(text)
    for match in NATIONAL_ID.finditer(arabic):
        digits = re.sub(r"\D", "", match.group(0))
        if _national_id_ok(digits):
            hits.append(("personal.national-id", match.group(0)))
    for match in PHONE.finditer(arabic):
        if len(re.sub(r"\D", "", match.group(0))) in (9, 10):
            hits.append(("personal.phone", match.group(0)))
    for match in EMAIL.finditer(text):
        if match.group(0).split("@")[0].lower() not in ROLE_MAILBOXES:
            hits.append(("personal.email", match.group(0)))
    return hits


# A cell can hold personal data only if it has Thai letters (names, titles), an @ (e-mail) or at
# least nine digits (phone and ID numbers); in a file of ASCII only, only digits laid out as a phone
# or ID number (personal_data_in's patterns without their look-arounds). Only such cells are read
# by personal_data_in; the others cannot give a finding.
PERSONAL_DATA_CANDIDATE = r"(?s)[\x{0E00}-\x{0E7F}@]|(?:\p{Nd}.*?){9}"
ASCII_NUMBER_CANDIDATE = r"0[0-9]{0,2}[ -]?[0-9]{3,4}[ -]?[0-9]{4}|[0-9][ -]?[0-9]{4}[ -]?[0-9]{5}[ -]?[0-9]{2}[ -]?[0-9]"


def _personal_data_candidates(column, ascii_only: bool):
    import pyarrow.compute as pc

    if not ascii_only:
        return pc.match_substring_regex(column, PERSONAL_DATA_CANDIDATE)
    long_enough = pc.greater_equal(pc.utf8_length(column), 9)
    numbers = pc.and_(long_enough, pc.match_substring_regex(pc.if_else(long_enough, column, ""),
                                                            ASCII_NUMBER_CANDIDATE))
    return pc.or_(pc.match_substring(column, "@"), numbers)


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
            where = np.flatnonzero(_personal_data_candidates(column, ascii_only).to_numpy(zero_copy_only=False))
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
        file = _rel(path)
        if not path.is_file():
            continue  # frictionless reports missing files
        fields = {f["name"]: f for f in (resource.get("schema") or {}).get("fields", [])}
        if fast is not False and (fast or path.stat().st_size >= FAST_PATH_BYTES):
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


# --- consistency: one fact, one value in every dataset that carries it ------------------

@lru_cache(maxsize=1)
def facts_spec() -> dict:
    return json.loads(FACTS_FILE.read_text(encoding="utf-8"))


def comparable(value: str) -> Decimal | str:
    """85 and 85.00 are the same number; text compares in NFC."""
    text = canonical((value or "").strip())
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    return number.normalize() if number.is_finite() else text


@dataclass
class CatalogPackage:
    """A package the consistency rules read: one being validated, or a catalog package
    read for reference only (its rows are compared, never reported). Only its name and where
    its tables are is kept, so a catalog of thousands of packages costs little memory."""
    label: str                  # folder name, as in every finding
    path: Path                  # datapackage.json
    name: str
    files: dict[str, str]       # resource name -> its path as the descriptor gives it
    checked: bool
    _tables: dict = field(default_factory=dict)

    @classmethod
    def of(cls, path: Path, descriptor: dict, checked: bool) -> "CatalogPackage":
        files = {r["name"]: r["path"] for r in descriptor.get("resources", [])
                 if isinstance(r, dict) and isinstance(r.get("name"), str) and isinstance(r.get("path"), str)}
        return cls(path.parent.name, path, descriptor.get("name") or path.parent.name, files, checked)

    def table(self, resource: str) -> tuple[str, list[str], list[tuple[int, dict]]] | None:
        """(file, header, [(row, cells)]) of a resource, or None when it is absent or unreadable."""
        if resource not in self._tables:
            self._tables[resource] = None
            if resource in self.files:
                path = self.path.parent / self.files[resource]
                try:
                    _, header, reader = read_csv(path)
                    rows = [(number, dict(zip(header, cells))) for number, cells in enumerate(reader, start=2)]
                    self._tables[resource] = (_rel(path), header, rows)
                except (OSError, UnicodeDecodeError, csv.Error):
                    pass
        return self._tables[resource]

    @cached_property
    def issue_ids(self) -> frozenset[str]:
        spec = facts_spec()["quality_issues"]
        table = self.table(spec["resource"])
        return frozenset(row.get(spec["id"], "") for _, row in table[2]) - {""} if table else frozenset()

    def cited(self, row: dict) -> frozenset[str]:
        """The quality issues of this package a row names in its note (or issue column)."""
        text = " ".join(row.get(column) or "" for column in facts_spec()["quality_issues"]["cited_in"])
        return frozenset(i for i in self.issue_ids if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text))


@dataclass(frozen=True)
class Statement:
    """One row that states a fact, and the value it gives."""
    package: CatalogPackage
    file: str
    row: int
    field: str
    value: object
    shown: str                  # the value as printed, with its column
    cites: frozenset[str]       # quality issues its note names

    def where(self) -> str:
        return f"{self.package.label}/{Path(self.file).name} row {self.row}"


def catalog_packages(descriptor_paths: list[Path], catalog: Path | None) -> list[CatalogPackage]:
    """The packages being validated, then every catalog package of another name, for reference."""
    found, names = [], set()
    for path, checked in [(p, True) for p in descriptor_paths] + \
                         [(p, False) for p in (sorted(catalog.glob("*/datapackage.json")) if catalog else [])]:
        try:
            descriptor = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if not isinstance(descriptor, dict):
            continue
        package = CatalogPackage.of(path, descriptor, checked)
        if checked or package.name not in names:
            found.append(package)
            names.add(package.name)
    return found


def _mapping(package: CatalogPackage, file: str, message: str, field: str | None = None) -> list[Finding]:
    return [Finding("consistency.mapping", package.label, file, message, field=field)] if package.checked else []


def is_known(known: dict, statements: list[Statement], values: set) -> bool:
    """The conflict listed in facts.json: the same values, and the issues it cites still exist."""
    packages = {s.package.name: s.package for s in statements}
    return {comparable(str(v)) for v in known["values"]} == values and all(
        issue["issue_id"] in packages[issue["package"]].issue_ids
        for issue in known["issues"] if issue["package"] in packages)


def judge(statements: list[Statement], what: str, known: dict | None = None) -> list[Finding]:
    """Findings for the rows that disagree: none when all agree or the conflict is a known one;
    a warning when every row's note cites a shared quality issue of its package; else errors."""
    values = Counter(s.value for s in statements)
    if len(values) <= 1 or (known and is_known(known, statements, set(values))):
        return []
    top, count = values.most_common(1)[0]
    odd = [s for s in statements if s.value != top] if count * 2 > len(statements) else statements
    by_package: dict[str, list[Statement]] = {}
    for s in statements:
        by_package.setdefault(s.package.label, []).append(s)
    documented = all(frozenset.intersection(*[s.cites for s in group]) for group in by_package.values())
    rule = "consistency.documented" if documented else "consistency.conflict"
    found = []
    for s in odd:
        if not s.package.checked:
            continue
        others = [o for o in statements if o.value != s.value][:3]
        found.append(Finding(rule, s.package.label, s.file, f"{what}: {s.shown} here, but "
                             + "; ".join(f"{o.shown} in {o.where()}" for o in others),
                             row=s.row, field=s.field))
    return found


def fact_findings(fact: dict, packages: list[CatalogPackage]) -> list[Finding]:
    statements, found = [], []
    for carrier in fact["carriers"]:
        for package in (p for p in packages if p.name == carrier["package"]):
            table = package.table(carrier["resource"])
            if table is None:
                continue
            file, header, rows = table
            missing = [c for c in [*carrier["where"], carrier["value"]] if c not in header]
            if missing:
                found += _mapping(package, file, f"fact {fact['id']}: no column {', '.join(missing)}", missing[0])
                continue
            matched = [(n, r) for n, r in rows if all(r[c] == v for c, v in carrier["where"].items())]
            if not matched:
                found += _mapping(package, file, f"fact {fact['id']}: no row where {carrier['where']}")
            statements += [Statement(package, file, n, carrier["value"], comparable(r[carrier["value"]]),
                                     f"{carrier['value']} = {r[carrier['value']]}", package.cited(r))
                           for n, r in matched if r[carrier["value"]].strip()]
    once = {(s.package.label, s.file, s.row, s.field): s for s in statements}  # carriers may overlap
    return found + judge(list(once.values()), f"{fact['title_en']} ({fact['id']})", fact.get("known_conflict"))


def _tuple_statement(package: CatalogPackage, file: str, number: int, row: dict, compare: list[str]) -> Statement:
    return Statement(package, file, number, compare[0], tuple(comparable(row[c]) for c in compare),
                     ", ".join(f"{c}={row[c]}" for c in compare), package.cited(row))


def _narrow(findings: list[Finding], group: list[Statement], compare: list[str]) -> list[Finding]:
    """Name the first compared column that differs, not always the first one."""
    differing = next((i for i in range(len(compare)) if len({s.value[i] for s in group}) > 1), 0)
    return [Finding(f.rule, f.package, f.file, f.message, row=f.row, field=compare[differing]) for f in findings]


def series_findings(spec: dict, packages: list[CatalogPackage]) -> list[Finding]:
    found = []
    for package in (p for p in packages if p.name == spec["package"]):
        table = package.table(spec["resource"])
        if table is None:
            continue
        file, header, rows = table
        missing = [c for c in spec["key"] + spec["compare"] if c not in header]
        if missing:
            found += _mapping(package, file, f"series rule: no column {', '.join(missing)}", missing[0])
            continue
        groups: dict[tuple, list[Statement]] = {}
        for number, row in rows:
            key = tuple(row[c].strip() for c in spec["key"])
            if all(key):  # a statement without a period states nothing comparable
                groups.setdefault(key, []).append(_tuple_statement(package, file, number, row, spec["compare"]))
        for key, group in groups.items():
            what = "the same " + ", ".join(f"{c}={v}" for c, v in zip(spec["key"], key))
            found += _narrow(judge(group, what), group, spec["compare"])
    return found


def same_as_findings(spec: dict, packages: list[CatalogPackage]) -> list[Finding]:
    found = []
    for package in (p for p in packages if p.name == spec["package"] and p.checked):
        table = package.table(spec["resource"])
        if table is None:
            continue
        file, header, rows = table
        missing = [c for c in [spec["id"], spec["refers_to"], *spec["compare"]] if c not in header]
        if missing:
            found += _mapping(package, file, f"same-as rule: no column {', '.join(missing)}", missing[0])
            continue
        by_id = {row[spec["id"]]: (number, row) for number, row in rows}
        for number, row in rows:
            target = row[spec["refers_to"]].strip()
            if not target:
                continue
            if target not in by_id:
                found += _mapping(package, file, f"{spec['refers_to']} {target!r} names no row", spec["refers_to"])
                continue
            group = [_tuple_statement(package, file, *by_id[target], spec["compare"]),
                     _tuple_statement(package, file, number, row, spec["compare"])]
            found += _narrow(judge(group, f"{row[spec['id']]} repeats {target}"), group, spec["compare"])
    return found


def consistency_findings(descriptor_paths: list[Path], catalog: Path | None = None) -> list[Finding]:
    """Every fact of schemas/validation/facts.json, and every series and same-as rule, over the
    packages being validated, compared with the rest of the catalog."""
    packages = catalog_packages(descriptor_paths, catalog)
    spec = facts_spec()
    found = []
    for series in spec.get("series", []):
        found += series_findings(series, packages)
    for same_as in spec.get("same_as", []):
        found += same_as_findings(same_as, packages)
    for fact in spec.get("facts", []):
        found += fact_findings(fact, packages)
    unique: dict[tuple, Finding] = {}
    for f in found:
        unique.setdefault((f.rule, f.package, f.file, f.row, f.field), f)
    return list(unique.values())


# --- against a live portal: what the server would refuse ------------------------------------

# validators that refuse an empty value whatever the field says (scheming_required follows "required")
REQUIRED_VALIDATORS = {"not_empty", "gdc_tags_required"}


class PortalError(RuntimeError):
    """The portal could not be read; the message never holds the token."""


@dataclass(frozen=True)
class PortalRules:
    """What one live portal accepts: its dataset schema, licence ids and organizations."""
    url: str
    schema: dict = field(repr=False)
    licences: frozenset[str] = frozenset()
    organizations: frozenset[str] = frozenset()   # names and ids

    @classmethod
    def from_answers(cls, url: str, schema: dict, licences: list[dict], organizations: list[dict]) -> "PortalRules":
        return cls(url, schema, frozenset(l["id"] for l in licences),
                   frozenset(o[k] for o in organizations for k in ("name", "id") if o.get(k)))

    def required(self) -> list[str]:
        return [f["field_name"] for f in self.schema.get("dataset_fields", [])
                if f.get("required") is True or REQUIRED_VALIDATORS & set(str(f.get("validators", "")).split())]

    def choices(self) -> dict[str, set[str]]:
        return {f["field_name"]: {c["value"] for c in f["choices"]}
                for f in self.schema.get("dataset_fields", []) if f.get("choices")}


def fetch_portal_rules(portal) -> PortalRules:
    """Read the three answers a steward's package is checked against (anonymous reads suffice)."""
    try:
        ckan = portal.client()
        return PortalRules.from_answers(portal.url, ckan.action.scheming_dataset_schema_show(type="dataset"),
                                        ckan.action.license_list(), ckan.action.organization_list(all_fields=True))
    except Exception as exc:  # connection refused, timeouts, HTTP and CKAN errors alike
        raise PortalError(portal.redact(f"cannot read {portal.url}: {type(exc).__name__}: {exc}")) from None


def portal_fields(descriptor: dict) -> dict:
    """The dataset fields sync sends (publisher.catalog.map); for a package it cannot map, the
    same fields read leniently, so that what is missing is reported field by field."""
    from publisher.catalog import map as mapping

    try:
        return mapping.dataset_fields(descriptor, mapping.groups())
    except (mapping.MappingError, KeyError, TypeError, AttributeError):
        pass
    organization = descriptor.get("organization")
    keywords = descriptor.get("keywords")
    fields = {"name": descriptor.get("name"), "title": descriptor.get("title"),
              "notes": descriptor.get("description"),
              "owner_org": organization.get("name") if isinstance(organization, dict) else None,
              "tag_string": ",".join(k for k in keywords if isinstance(k, str)) if isinstance(keywords, list) else None}
    gdc = descriptor.get("gdc")
    return {**(gdc if isinstance(gdc, dict) else {}), **fields}


def _empty(value) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and not (value.strip() if isinstance(value, str)
                                                                             else value))


def portal_findings(descriptor: dict, package: str, file: str, server: PortalRules) -> list[Finding]:
    """What the server would refuse, field by field, as sync would send the package."""
    fields = portal_fields(descriptor)
    found = [Finding("portal.required", package, file, f"{name} is required by {server.url}", field=name)
             for name in server.required() if _empty(fields.get(name))]
    for name, allowed in server.choices().items():
        value = fields.get(name)
        if _empty(value) or name == "license_id":
            continue
        for item in value if isinstance(value, list) else [value]:
            if item not in allowed:
                found.append(Finding("portal.choice", package, file, f"{name}: {item!r} is not one of the "
                                     f"{len(allowed)} choices of {server.url}", field=name))
    licence = fields.get("license_id")
    if not _empty(licence):
        offered = server.choices().get("license_id")
        if licence not in server.licences or (offered and licence not in offered):
            found.append(Finding("portal.license", package, file, f"license_id {licence!r} is not a licence of "
                                 f"{server.url} ({', '.join(sorted(server.licences))})", field="license_id"))
    organization = fields.get("owner_org")
    if not _empty(organization) and organization not in server.organizations:
        found.append(Finding("portal.organization", package, file, f"organization {organization!r} does not exist "
                             f"on {server.url} yet", field="owner_org"))
    return found


# --- entry points --------------------------------------------------------------------

def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def package_paths(paths: Iterable[Path]) -> list[Path]:
    """datapackage.json files named directly, or found one level below a folder."""
    found = []
    for path in paths:
        if path.is_file():
            found.append(path)
        elif (path / "datapackage.json").exists():
            found.append(path / "datapackage.json")
        elif path.is_dir():
            found += sorted(path.glob("*/datapackage.json"))
        else:
            raise FileNotFoundError(f"{path}: no such package or folder")
    return found


def validate_package(descriptor_path: Path, registry: Registry, portal: PortalRules | None = None,
                     fast: bool | None = None) -> list[Finding]:
    """Every check of one package; `fast` forces (True) or forbids (False) the column-at-a-time
    reading that large tables get by default."""
    package = descriptor_path.parent.name
    file = _rel(descriptor_path)
    try:
        descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [Finding("package.unreadable", package, file, str(exc))]
    try:
        found = frictionless_findings(descriptor_path, package, descriptor, fast)
        found += metadata_findings(descriptor, package, file, registry)
        found += table_findings(descriptor_path, descriptor, package, registry, fast)
    finally:
        _ARROW_CACHE.clear()
    if portal is not None and isinstance(descriptor, dict):
        found += portal_findings(descriptor, package, file, portal)
    return found


def validate(paths: Iterable[Path], registry: Registry | None = None, progress=lambda _: None,
             catalog: Path | None = CATALOG_DIR, portal: PortalRules | None = None,
             fast: bool | None = None) -> Result:
    """Validate each package (and against a live portal's rules, when given), then the facts
    they share with each other and with the packages of `catalog` (read for reference; None
    compares the given packages only)."""
    registry = registry or load_registry()
    result = Result()
    descriptor_paths = package_paths(paths)
    for descriptor_path in descriptor_paths:
        progress(descriptor_path.parent.name)
        result.packages.append(descriptor_path.parent.name)
        result.findings += validate_package(descriptor_path, registry, portal, fast)
    result.findings += consistency_findings(descriptor_paths, catalog)
    return result
