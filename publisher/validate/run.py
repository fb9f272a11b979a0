"""The entry points: validate one package (validate_package) or many, then the facts they
share (validate); package_paths finds the datapackage.json files a command names."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable, Iterable

from publisher.settings import ROOT
from publisher.gate.documents import DocumentError, load_json
from publisher.gate.paths import descriptor_refusals
from publisher.reports.registry import Registry, load_registry
from publisher.validate.cells import cell_findings, classed_public, descriptor_text_findings
from publisher.validate.consistency import consistency_findings
from publisher.validate.fast_columns import ARROW_CACHE
from publisher.validate.findings import Finding, Result, relative_path
from publisher.validate.freshness import freshness_findings
from publisher.validate.metadata import metadata_findings
from publisher.validate.ocr import ocr_findings
from publisher.validate.tables import frictionless_findings, table_findings

CATALOG_DIR = ROOT / "datapackages"
# what a live portal would refuse of a package, (descriptor, package, file) -> findings; such as
# publisher.catalog.preflight.PortalRules
PortalCheck = Callable[[dict, str, str], list[Finding]]
# packages are checked by a pool of processes, one per core, when there are at least this many
# (fewer are quicker in this process than the workers take to start); PUBLISHER_VALIDATE_WORKERS
# sets how many (1: all in this process)
PARALLEL_FROM = 48


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


def validate_package(descriptor_path: Path, registry: Registry, portal: PortalCheck | None = None,
                     fast: bool | None = None) -> list[Finding]:
    """Every check of one package; `fast` forces (True) or forbids (False) the column-at-a-time
    reading that large tables get by default."""
    package = descriptor_path.parent.name
    file = relative_path(descriptor_path)
    try:
        _, descriptor = load_json(descriptor_path)
    except DocumentError as exc:
        rule = exc.rule if exc.rule.startswith("path.") else "package.unreadable"
        return [Finding(rule, package, file, (f"line {exc.line}: " if exc.line else "") + exc.message)]
    refused = [Finding(r.rule, package, file, r.message, field=r.field)
               for r in descriptor_refusals(descriptor_path.parent, descriptor)]
    if any(f.rule == "package.shape" for f in refused):
        return refused
    found = refused + descriptor_text_findings(descriptor, package, file)
    found += freshness_findings(descriptor_path, descriptor, package, registry)
    if any(f.rule == "package.report-changed" for f in found):
        return found  # its provenance cannot be read: rebuild first
    blocked = bool(refused)
    if not blocked:
        public = classed_public(descriptor)
        for resource in descriptor.get("resources", []):
            path = descriptor_path.parent / resource["path"] if "path" in resource else None
            if path is not None and path.is_file():
                cells, blocking = cell_findings(path, package, relative_path(path), public)
                found += cells
                blocked = blocked or blocking
    try:
        if not blocked:   # nothing reads a file the gate refused, or a table over the limits
            found += frictionless_findings(descriptor_path, package, descriptor, fast)
        found += metadata_findings(descriptor, package, file, registry)
        if not blocked:
            found += table_findings(descriptor_path, descriptor, package, registry, fast)
        found += ocr_findings(descriptor_path, package, registry)
    finally:
        ARROW_CACHE.clear()
    if portal is not None:
        found += portal(descriptor, package, file)
    return found


def validate(paths: Iterable[Path], registry: Registry | None = None, progress=lambda _: None,
             catalog: Path | None = CATALOG_DIR, portal: PortalCheck | None = None,
             fast: bool | None = None, workers: int | None = None, known_valid: Iterable[Path] = ()) -> Result:
    """Validate each package (and against a live portal's rules, when given), then the facts
    they share with each other and with the packages of `catalog` (read for reference; None
    compares the given packages only). Many packages are checked by `workers` processes (default:
    one per core); their findings are put together in the packages' order, as one process gives.
    `known_valid`: package folders whose own checks passed before, byte for byte: not checked
    again, but compared with the others by the consistency rules as if they had been."""
    registry = registry or load_registry()
    result = Result()
    descriptor_paths = package_paths(paths)
    known = {Path(d).resolve() for d in known_valid}
    listed = {p.parent.resolve() for p in descriptor_paths}
    compared = sorted(descriptor_paths + [Path(d) / "datapackage.json" for d in known_valid
                                          if Path(d).resolve() not in listed]) if known else descriptor_paths
    to_check = [p for p in compared if p.parent.resolve() not in known]
    checked = iter(_each_package(to_check, registry, progress, portal, fast, workers))
    for descriptor_path in compared:      # a package named twice is checked (and reported) twice, as before
        result.packages.append(descriptor_path.parent.name)
        if descriptor_path.parent.resolve() not in known:
            result.findings += next(checked)
    result.findings += consistency_findings(compared, catalog)
    return result


def worker_count(packages: int, workers: int | None = None) -> int:
    """How many processes check `packages` packages: the asked number, else
    $PUBLISHER_VALIDATE_WORKERS, else one per core when there are enough packages."""
    if workers is None:
        asked = os.environ.get("PUBLISHER_VALIDATE_WORKERS", "").strip()
        workers = int(asked) if asked.isdigit() and int(asked) > 0 else \
            ((os.cpu_count() or 1) if packages >= PARALLEL_FROM else 1)
    return max(1, min(workers, packages))


def _each_package(descriptor_paths: list[Path], registry: Registry, progress, portal: PortalCheck | None,
                  fast: bool | None, workers: int | None) -> Iterable[list[Finding]]:
    """Each package's findings, in the order of descriptor_paths."""
    count = worker_count(len(descriptor_paths), workers)
    if count == 1:
        for descriptor_path in descriptor_paths:
            progress(descriptor_path.parent.name)
            yield validate_package(descriptor_path, registry, portal, fast)
        return
    # forked: a worker starts with what this process has imported and read (the registry, the
    # vocabularies); pyarrow restarts its thread pools in a forked child
    with ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork"), initializer=_start_worker,
                             initargs=(registry, portal, fast)) as pool:
        chunk = max(1, min(16, len(descriptor_paths) // (count * 8)))
        for descriptor_path, found in zip(descriptor_paths, pool.map(_check_in_worker, descriptor_paths,
                                                                    chunksize=chunk)):
            progress(descriptor_path.parent.name)
            yield found


_WORKER: dict = {}


def _start_worker(registry: Registry, portal: PortalCheck | None, fast: bool | None) -> None:
    _WORKER.update(registry=registry, portal=portal, fast=fast)


def _check_in_worker(descriptor_path: Path) -> list[Finding]:
    return validate_package(descriptor_path, _WORKER["registry"], _WORKER["portal"], _WORKER["fast"])
