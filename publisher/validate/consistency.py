"""Consistency: one fact, one value in every dataset that carries it.

The facts, series and same-as rules are data (schemas/validation/facts.json); the packages
being validated are compared with each other and with the rest of the catalog."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property, lru_cache
from pathlib import Path

from publisher.settings import schema_file
from publisher.gate.documents import DocumentError, load_json
from publisher.gate.paths import check
from publisher.validate.findings import Finding, canonical, relative_path
from publisher.validate.tables import read_csv

FACTS_FILE = schema_file("validation/facts.json")


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
        resources = descriptor.get("resources", [])
        files = {r["name"]: r["path"] for r in (resources if isinstance(resources, list) else [])
                 if isinstance(r, dict) and isinstance(r.get("name"), str)
                 and check(path.parent, r.get("path"), "path", must_exist=True) is None}
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
                    self._tables[resource] = (relative_path(path), header, rows)
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
            _, descriptor = load_json(path)
        except (OSError, DocumentError):
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
