"""The fast path: large tables checked column by column.

frictionless reads a table row by row in Python. For a large CSV the same checks run here on
whole columns (pyarrow). A cell that is not plainly valid goes through frictionless's own cell
reader, so each type and constraint note, and each key value compared, is frictionless's; the
errors are frictionless error objects, in frictionless's order, cut at its error limit, and
become findings by the same conversion. A package outside what this path covers (another
format, dialect, encoding or field type, a descriptor error, a CSV pyarrow reads differently)
goes to frictionless whole.
"""

from __future__ import annotations

import re
from pathlib import Path

from publisher.validate.fast_columns import (KEY_KIND, FastPathUnsupported, absent, arrow_csv, as_text_key,
                                             exact_key, need, null_rows, repeats)

FAST_PATH_BYTES = 256_000            # a package with a table at least this large takes the fast path
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


class FastTable:
    """One CSV resource read by pyarrow, its cells checked a column at a time."""

    def __init__(self, resource, base: Path):
        self.resource = resource
        self.name = resource.name
        self.path = base / resource.path
        need(resource.type == "table" and resource.format == "csv" and resource.scheme == "file"
              and not resource.compression and not resource.innerpath, "not a plain local CSV")
        need(self.path.is_file(), "data file missing")
        need(resource.fields is None and resource.rows is None, "declared field or row counts")
        self.schema = resource.schema
        self.field_names = [f.name for f in self.schema.fields]
        need(len(set(self.field_names)) == len(self.field_names), "duplicate field names")
        for field in self.schema.fields:
            need(field.type in FAST_TYPES and field.format in (None, "default"), f"field {field.name}: {field.type}")
            need(not set(field.list_defined()) & {"missing_values", "bare_number", "group_char", "decimal_char",
                                                    "float_number", "true_values", "false_values"},
                  f"field {field.name}: reading options")
            need(set(field.constraints) & set(field.supported_constraints) <= FAST_CONSTRAINTS,
                  f"field {field.name}: constraints")
        self.missing_values = list(self.schema.missing_values)
        self._check_dialect()
        read = arrow_csv(self.path)
        need(read is not None, "pyarrow reads it differently")
        self.raw, header, self.table = read
        need(header == self.field_names, "header differs from the schema")
        self.rows = self.table.num_rows
        self._scans: dict[str, tuple] = {}

    def _check_dialect(self) -> None:
        """The header, encoding and CSV dialect frictionless itself settles on (it sniffs a sample)."""
        from frictionless import Detector, FrictionlessException, Resource

        descriptor = self.resource.to_descriptor()
        descriptor.pop("schema", None)
        # every column read as text: the probe needs the labels, not the types it would infer
        probe = Resource(descriptor, basepath=self.resource.basepath, detector=Detector(field_type="string"))
        try:
            with probe:
                labels = probe.labels
                encoding = probe.encoding
        except FrictionlessException as exc:
            raise FastPathUnsupported(f"frictionless cannot open it: {exc}") from None
        dialect = probe.dialect
        control = dialect.get_control("csv")
        need(encoding in ("utf-8", "utf-8-sig"), f"encoding {encoding}")
        need(labels == self.field_names, "header differs from the schema")
        need(dialect.header and dialect.header_rows == [1] and dialect.header_case and not dialect.comment_char
              and not dialect.comment_rows and not dialect.skip_blank_rows, "dialect")
        for name, value in PLAIN_DIALECT.items():
            need(getattr(control, name) == value, f"dialect {name}")

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
            replacement = pa.array([exact_key(exact[i][0], kind) for i in sorted(exact)], key.type)
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
            need(isinstance(constraint, int) and not isinstance(constraint, bool), f"{name} {constraint!r}")
            compare = pc.greater_equal if name == "minLength" else pc.less_equal
            return compare(pc.utf8_length(column), constraint)
        if name == "enum":
            allowed = [a for a in (reader(item) for item in constraint) if a is not None]
            return pc.is_in(values, value_set=pa.array([self._plain_value(field, a) for a in allowed], values.type))
        bound = reader(constraint)
        need(bound is not None and field.type in ("integer", "number", "date"), f"{name} {constraint!r}")
        return getattr(pc, BOUNDS[name])(values, pa.scalar(self._plain_value(field, bound), values.type))

    @staticmethod
    def _plain_value(field, value):
        """A parsed constraint value as the column holds it, when that is exact."""
        if field.type == "number":
            return exact_key(value, "n")
        if field.type == "integer":
            need(abs(value) < 2 ** 53, "integer bound")
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
        joined = pc.binary_join_element_wise(*[pc.fill_null(as_text_key(c, KEY_KIND[f.type]), "\x00")
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
        unique_hits = {f.name: repeats(self.keys([f.name])[1]) for f in self.schema.fields
                       if f.constraints.get("unique")}
        primary = list(self.schema.primary_key)
        primary_hits, primary_blank = {}, set()
        if primary:
            keys = self.keys(primary)[1]
            primary_hits = repeats(keys)
            primary_blank = set(null_rows(keys))
        foreign = []
        for fk in self.schema.foreign_keys:
            source_name = fk["reference"]["resource"] or self.name
            need(source_name in tables, f"foreign key to {source_name}")
            source = tables[source_name]
            need(all(source.schema.has_field(n) for n in fk["reference"]["fields"]), "foreign key fields")
            foreign.append((fk, absent(self.keys(list(fk["fields"])), source.keys(list(fk["reference"]["fields"])))))
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
