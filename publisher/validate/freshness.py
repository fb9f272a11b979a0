"""Whether the built files are those of today's inputs: a validate after a failed build must not
say "valid" about the previous build without saying so (package.stale), and a report whose
text changed since it was registered is a finding, not a traceback (package.report-changed)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from publisher import packages
from publisher.gate.documents import DocumentError, read_bytes_bounded
from publisher.reports.registry import Registry
from publisher.validate.findings import Finding, relative_path


def freshness_findings(descriptor_path: Path, descriptor: dict, package: str, registry: Registry) -> list[Finding]:
    file = relative_path(descriptor_path)
    found = []
    for source in descriptor.get("sources") or []:
        report = registry.find(str((source or {}).get("report"))) if isinstance(source, dict) else None
        actual = _digest(report.path) if report is not None else None
        if actual is not None and actual != report.sha256:
            found.append(Finding("package.report-changed", package, file,
                                 f"report {report.id} ({relative_path(report.path)}) has sha256 {actual}, the "
                                 f"registry {report.sha256}", field="sources"))
    changed = [path for path, digest in packages.read_stamps().get(str(descriptor_path.parent.resolve()), {}).items()
               if _digest(Path(path)) != digest]
    if changed:
        found.append(Finding("package.stale", package, file, "built before these changed (or the last build failed): "
                             + ", ".join(relative_path(Path(p)) for p in changed)))
    return found


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(read_bytes_bounded(path)).hexdigest()
    except (OSError, DocumentError):
        return None
