"""Remember which packages passed validation, so a sync with nothing changed does not validate
them again, and a run where one package changed validates that one.

A package is known valid for the exact bytes of its folder, of the reports it cites (every report
of the registry whose id occurs in its files: provenance and OCR read those), and of what every
package's checks read besides: the validator's code (every publisher module that
publisher.validate.run imports, found by reading the imports, so a new module cannot be
forgotten), the versions of the libraries that judge a table (frictionless, pyarrow, …) and of
Python, the rules, profiles and vocabularies, the registry's agencies and the names of people the
reports print (the personal-data check looks for them everywhere). Change any of them and the
package is validated again. Only passes are remembered; a failure is always checked anew. What
packages say to each other (consistency) is not remembered: whoever validates the changed
packages compares them with the known-valid ones again (validate's ``known_valid``).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import platform
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Callable

from publisher.reports.registry import Registry, load_registry
from publisher.settings import ROOT, SHIPPED, settings
from publisher.validate.personal import known_surnames

CACHE_FILE: Path | None = None      # None: validated.json in the var folder (publisher/settings.py)
CODE_DIR = Path(__file__).resolve().parents[1]          # the publisher package
ENTRY = "validate/run.py"                               # what validation starts from, in CODE_DIR
LIBRARIES = ("frictionless", "pyarrow", "numpy", "jsonschema", "pyyaml")
VALIDATOR_INPUTS = ["schemas/validation", "schemas/gdc", "schemas/tables",
                    "schemas/ckan/gdc_dataset.json"]  # of the catalog, and the shipped schemas/


def _module_file(code: Path, dotted: str) -> Path | None:
    parts = dotted.split(".")[1:]                       # without the leading "publisher"
    for candidate in (code.joinpath(*parts).with_suffix(".py") if parts else None,
                      code.joinpath(*parts, "__init__.py")):
        if candidate is not None and candidate.is_file():
            return candidate
    return None


def code_files(code: Path = CODE_DIR, entry: str = ENTRY) -> list[Path]:
    """Every module of the package that the entry imports, directly or not."""
    seen: set[Path] = set()
    todo = [code / entry, code / "__init__.py"]
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if name == "publisher" or name.startswith("publisher."):
                    found = _module_file(code, name)
                    if found is not None:
                        todo.append(found)
                        todo.extend(p for p in (found.parent / "__init__.py",) if p.is_file())
    return sorted(seen)


def library_versions() -> dict[str, str]:
    """The libraries whose verdicts a stored pass depends on, and Python's own version."""
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def files_digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def package_key(directory: Path, reports: dict[str, tuple[tuple[str, ...], str]] | None = None) -> str:
    """The package's bytes, where each of its symlinks points (its target is not read), and the
    bytes of each report (``reports``: id -> (the ids it is known by, digest)) named in its files."""
    files, cited = hashlib.sha256(), []
    for path in regular_files(directory):
        data = path.read_bytes()
        files.update(str(path).encode())
        files.update(data)
        cited += [report for report, (names, _) in (reports or {}).items()
                  if report not in cited and any(name.encode() in data for name in names)]
    digest = hashlib.sha256(files.hexdigest().encode())
    for link in sorted(p for p in directory.rglob("*") if p.is_symlink()):
        digest.update(f"{link} -> {os.readlink(link)}".encode())
    for report in sorted(cited):
        digest.update(f"{report}:{reports[report][1]}".encode())
    return digest.hexdigest()


def report_digests(reports_dir: Path = ROOT / "reports") -> dict[str, tuple[tuple[str, ...], str]]:
    """Each report of the registry: the ids a package may cite it by, and the digest of its file."""
    registry = _registry(reports_dir)
    found = {}
    for report_id, report in registry.reports.items():
        try:
            digest = hashlib.sha256(report.path.read_bytes()).hexdigest()
        except OSError:
            digest = "absent"
        names = (report_id, *sorted(old for old, now in registry.former_ids.items() if now == report_id))
        found[report_id] = (tuple(n for n in names if n), digest)
    return found


def regular_files(path: Path) -> list[Path]:
    """Regular files only, never through a symlink: a FIFO would never end, a link could lead to
    any file of the machine (the gate refuses both when the package is validated)."""
    if not path.is_dir():
        return [path]
    return sorted(p for p in path.rglob("*") if not p.is_symlink() and p.is_file())


def _registry(reports_dir: Path) -> Registry:
    """The registry, or none at all in a folder without one."""
    if not (reports_dir / "registry.json").exists():
        return Registry(agencies={}, reports={})
    return load_registry(reports_dir)


def inputs_digest(code: list[Path], items: list[str], root: Path = ROOT,
                  shipped: Callable[[str], bool] = lambda item: True, extra: list[Path] = ()) -> hashlib._Hash:
    """A running digest of the code and of the files under ``items``, in the repository and in
    what is shipped with the package (where ``shipped`` lets an item come from there)."""
    files = [f for base in dict.fromkeys([root, SHIPPED]) for item in items
             if (base / item).exists() and (base == root or shipped(item)) for f in regular_files(base / item)]
    files += extra
    return hashlib.sha256(files_digest(code + [f for f in files if "__pycache__" not in f.parts]).encode())


def validator_key(root: Path = ROOT, code: Path = CODE_DIR, reports_dir: Path | None = None) -> str:
    digest = inputs_digest(code_files(code), VALIDATOR_INPUTS, root, lambda item: item.startswith("schemas/"))
    digest.update(json.dumps(library_versions(), sort_keys=True).encode())
    agencies = sorted(_registry(reports_dir or root / "reports").agencies)
    digest.update(json.dumps({"agencies": agencies, "surnames": sorted(known_surnames())}, ensure_ascii=False).encode())
    return digest.hexdigest()


class ValidatedCache:
    def __init__(self, path: Path | None = None, root: Path = ROOT, reports_dir: Path | None = None):
        self.path = path or CACHE_FILE or settings().var / "validated.json"
        self.key = validator_key(root, reports_dir=reports_dir)
        try:
            stored = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stored = {}
        self.passed: dict[str, str] = stored.get("packages", {}) if stored.get("validator") == self.key else {}
        self.reports = report_digests(reports_dir or root / "reports")
        self._keys: dict[Path, str] = {}

    def _key(self, directory: Path) -> str:
        """A package's key, read once: the bytes that were checked are the bytes remembered."""
        if directory.resolve() not in self._keys:
            self._keys[directory.resolve()] = package_key(directory, self.reports)
        return self._keys[directory.resolve()]

    def known_valid(self, directory: Path) -> bool:
        return self.passed.get(str(directory.resolve())) == self._key(directory)

    def remember(self, directories: list[Path]) -> None:
        for directory in directories:
            self.passed[str(directory.resolve())] = self._key(directory)
        write_json(self.path, {"validator": self.key, "packages": self.passed})


def write_json(path: Path, value: dict) -> None:
    """Written whole or not at all: a run killed while writing leaves the last record."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(value, out, ensure_ascii=False, indent=1, sort_keys=True)
    os.replace(temporary, path)
