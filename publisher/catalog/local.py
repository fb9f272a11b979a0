"""The local packages sync publishes: validated, indexed by dataset name, loaded a page at a time.

The index holds names only (and each package's organization, to check the agencies up front),
so that a catalog of 10,000 packages is walked without holding 10,000 datasets: each is loaded
when the page of the portal it belongs to is planned, and let go with that page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from publisher.catalog import map as mapping
from publisher.catalog.reports import reports_datasets
from publisher.catalog.validated import ValidatedCache
from publisher.gate.documents import DocumentError, load_json
from publisher.validate.findings import Result
from publisher.validate.run import validate as validate_packages

Progress = Callable[[str, str, int, int], None]   # (event, name, done, total)


@dataclass
class LocalEntry:
    name: str                          # the dataset it publishes
    directory: Path
    organization: str | None = None
    dataset: mapping.LocalDataset | None = None    # made in memory (the reports datasets), not loaded


@dataclass
class LocalIndex:
    entries: list[LocalEntry]                       # by dataset name
    skipped: dict[str, str]                         # package folder -> why it is not published
    known_groups: dict[str, dict]
    catalog: str
    protected: set[str] = field(default_factory=set)  # dataset names never to prune

    def names(self) -> set[str]:
        """Every dataset name the repository holds, published or skipped: never pruned."""
        return {e.name for e in self.entries} | set(self.skipped) | self.protected

    def load(self, entry: LocalEntry) -> mapping.LocalDataset | None:
        """The dataset of ``entry``, or None (then skipped, with why) if it cannot be one."""
        if entry.dataset is not None:
            return entry.dataset
        try:
            return mapping.load_dataset(entry.directory, self.known_groups, self.catalog)
        except mapping.MappingError as exc:
            folder = entry.directory.name
            self.skipped.setdefault(folder, str(exc) if entry.name == folder else f"dataset {entry.name}: {exc}")
            return None


def package_dirs(packages_dir: Path) -> list[Path]:
    return sorted(p.parent for p in packages_dir.glob("*/datapackage.json"))


def _descriptor(directory: Path) -> dict:
    try:
        _, descriptor = load_json(directory / "datapackage.json")   # bounded: a hostile file is refused, not parsed
    except (OSError, DocumentError):
        return {}
    return descriptor if isinstance(descriptor, dict) else {}


def _name_of(descriptor: dict, directory: Path) -> str:
    name = descriptor.get("name")
    return name if isinstance(name, str) and name.strip() else directory.name


def dataset_name(directory: Path) -> str:
    """The dataset a package folder publishes: its descriptor's name, else the folder's. A
    hand-made package may name its dataset unlike its folder; an invalid one must protect the
    dataset, not the folder."""
    return _name_of(_descriptor(directory), directory)


def protected(packages_dir: Path, skipped: dict[str, str]) -> set[str]:
    """The datasets of skipped packages: named by their descriptors, which a hand-made package
    may give a name unlike its folder's."""
    return {dataset_name(packages_dir / folder) for folder in skipped} | set(skipped)


def index_local(packages_dir: Path, validate: bool = True, progress: Progress | None = None,
                catalog: str = mapping.MARKER, revalidate: bool = False, cache: ValidatedCache | None = None,
                validated: Result | None = None, reports: bool = False) -> LocalIndex:
    """The packages to publish by dataset name, and those to skip with the reason, by folder. A
    package that passed validation before, byte for byte and under the same rules, is not
    validated again unless ``revalidate``; nor is one that ``validated`` (a result of this same
    run) already covers. ``reports``: also the reports dataset of each agency the packages belong to."""
    dirs = package_dirs(packages_dir)
    skipped: dict[str, str] = {}
    left_out: set[str] = set()        # package folders not published

    def skip(directory: Path, why: str, name: str | None = None) -> None:
        left_out.add(directory.name)
        name = name or dataset_name(directory)
        skipped.setdefault(directory.name, why if name == directory.name else f"dataset {name}: {why}")

    if validate and dirs:
        cache = cache or ValidatedCache()
        covered = set(validated.packages) if validated is not None else set()
        to_check = [d for d in dirs if d.name not in covered and (revalidate or not cache.known_valid(d))]
        result = validate_packages(to_check, progress=lambda name: progress and progress("validate", name, 0, 0),
                                   known_valid=[d for d in dirs if d not in to_check and d.name not in covered]) \
            if to_check else Result()
        if validated is not None:
            result.findings += [f for f in validated.findings if f.package in covered]
        invalid = result.invalid_packages()
        cache.remember([d for d in dirs if (d in to_check or d.name in covered) and d.name not in invalid])
        errors = result.errors()
        by_folder = {d.name: d for d in dirs}
        for finding in errors:
            if finding.package not in by_folder or finding.package in left_out:
                continue
            more = sum(f.package == finding.package for f in errors) - 1
            skip(by_folder[finding.package], f"invalid: {finding.rule} in {finding.file}"
                 + (f" row {finding.row}" if finding.row else "")
                 + (f" field {finding.field}" if finding.field else "")
                 + f" (and {more} more; run publisher validate)")
    entries = []
    for directory in dirs:
        if directory.name in left_out:
            continue
        descriptor = _descriptor(directory)
        organization = descriptor.get("organization")
        entries.append(LocalEntry(_name_of(descriptor, directory), directory,
                                  organization.get("name") if isinstance(organization, dict) else None))
    known_groups = mapping.groups()
    if reports:
        found, findings = reports_datasets(known_groups, catalog,
                                           agencies={e.organization for e in entries if e.organization})
        entries += [LocalEntry(d.name, d.directory, d.fields["owner_org"], d) for d in found]
        for finding in findings:
            if finding.severity == "error":
                skipped.setdefault(finding.package, f"invalid: {finding.rule} in {finding.file}: {finding.message}")
    by_name: dict[str, list[LocalEntry]] = {}
    for entry in entries:
        by_name.setdefault(entry.name, []).append(entry)
    for name, same in by_name.items():
        if len(same) > 1:
            folders = ", ".join(str(e.directory) for e in same)
            for entry in same:
                skip(entry.directory, f"the dataset name {name!r} is used by several packages: {folders}", name)
    kept = sorted((e for e in entries if e.directory.name not in left_out), key=lambda e: e.name)
    return LocalIndex(kept, skipped, known_groups, catalog, protected(packages_dir, skipped))


def load_local(packages_dir: Path, validate: bool = True, progress: Progress | None = None,
               catalog: str = mapping.MARKER, revalidate: bool = False, cache: ValidatedCache | None = None,
               validated: Result | None = None, reports: bool = False
               ) -> tuple[list[mapping.LocalDataset], dict[str, str]]:
    """Every package at once, as ``index_local`` finds them (``protected`` gives the dataset
    names a plan must then never prune). Sync itself loads them a page at a time."""
    index = index_local(packages_dir, validate, progress, catalog, revalidate, cache, validated, reports)
    loaded = [index.load(entry) for entry in index.entries]
    return [d for d in loaded if d is not None], index.skipped
