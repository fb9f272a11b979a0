"""The entry points: validate one package (validate_package) or many, then the facts they
share (validate); package_paths finds the datapackage.json files a command names."""

from __future__ import annotations

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
from publisher.validate.metadata import metadata_findings
from publisher.validate.ocr import ocr_findings
from publisher.validate.tables import frictionless_findings, table_findings

CATALOG_DIR = ROOT / "datapackages"
# what a live portal would refuse of a package, (descriptor, package, file) -> findings; such as
# publisher.catalog.preflight.PortalRules
PortalCheck = Callable[[dict, str, str], list[Finding]]


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

