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
  numbers in a dataset classed ข้อมูลสาธารณะ.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator

import jsonschema

from publisher import PROJECT_ROOT, thai
from publisher.extract import NUMERIC_TYPES
from publisher.reports import Registry, ReportError, load_registry

RULES_FILE = PROJECT_ROOT / "schemas" / "validation" / "rules.json"
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


def frictionless_findings(descriptor_path: Path, package: str, descriptor: dict | None = None) -> list[Finding]:
    from frictionless import validate as frictionless_validate

    primary_keys = {r.get("name"): (r.get("schema") or {}).get("primaryKey")
                    for r in (descriptor or {}).get("resources", []) if isinstance(r, dict)}

    report = frictionless_validate(str(descriptor_path))
    found = [Finding("package.profile", package, _rel(descriptor_path), error.message,
                     field=(m := re.search(r"at property '([^']+)'", error.message)) and m.group(1) or None)
             for error in report.errors]
    for task in report.tasks:
        data_file = _rel(descriptor_path.parent / task.place) if task.place else _rel(descriptor_path)
        for error in task.errors:
            rule = FRICTIONLESS_RULES.get(error.type, "package.profile")
            # header errors carry row_numbers, key errors field_names, extra cells an empty field_name
            row = getattr(error, "row_number", None) or (getattr(error, "row_numbers", None) or [None])[0]
            field = getattr(error, "field_name", None) or ",".join(getattr(error, "field_names", None) or []) or None
            if error.type == "primary-key" and primary_keys.get(task.name):
                key = primary_keys[task.name]
                field = ",".join(key) if isinstance(key, list) else str(key)
            found.append(Finding(rule, package, data_file, error.message, row=row, field=field))
    return found


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


def table_findings(descriptor_path: Path, descriptor: dict, package: str, registry: Registry) -> list[Finding]:
    found = []
    # guard unless the data is validly classed as something other than public
    category = (descriptor.get("gdc") or {}).get("data_category")
    public = category == PUBLIC or category not in vocabularies().get("data_category", (False, []))[1]
    for resource in descriptor.get("resources", []):
        path = descriptor_path.parent / resource.get("path", "")
        file = _rel(path)
        if not path.exists():
            continue  # frictionless reports missing files
        try:
            has_bom, header, reader = read_csv(path)
        except UnicodeDecodeError as exc:
            found.append(Finding("table.encoding", package, file, f"not UTF-8 at byte {exc.start}"))
            continue
        for name in header:
            if not HEADER_NAME.match(name):
                found.append(Finding("table.header-name", package, file, f"column {name!r}", row=1, field=name))
        fields = {f["name"]: f for f in (resource.get("schema") or {}).get("fields", [])}
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


def validate_package(descriptor_path: Path, registry: Registry) -> list[Finding]:
    package = descriptor_path.parent.name
    file = _rel(descriptor_path)
    try:
        descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [Finding("package.unreadable", package, file, str(exc))]
    found = frictionless_findings(descriptor_path, package, descriptor)
    found += metadata_findings(descriptor, package, file, registry)
    found += table_findings(descriptor_path, descriptor, package, registry)
    return found


def validate(paths: Iterable[Path], registry: Registry | None = None, progress=lambda _: None) -> Result:
    registry = registry or load_registry()
    result = Result()
    for descriptor_path in package_paths(paths):
        progress(descriptor_path.parent.name)
        result.packages.append(descriptor_path.parent.name)
        result.findings += validate_package(descriptor_path, registry)
    return result
