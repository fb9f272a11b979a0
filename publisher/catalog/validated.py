"""Remember which packages passed validation, so a sync with nothing changed does not validate
them again.

A package is known valid for the exact bytes of its folder and of everything the validator
reads besides: its code (every publisher module that publisher.validate.run imports, found by
reading the imports, so a new module cannot be forgotten), the versions of the libraries that
judge a table (frictionless, pyarrow, …) and of Python, the rules, profiles, vocabularies, the
report registry and the repository's packages, which consistency is checked against. Change any
of them and the package is validated again. Only passes are remembered; a failure is always
checked anew.
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

from publisher.settings import ROOT, SHIPPED, settings

CACHE_FILE: Path | None = None      # None: validated.json in the var folder (publisher/settings.py)
CODE_DIR = Path(__file__).resolve().parents[1]          # the publisher package
ENTRY = "validate/run.py"                               # what validation starts from, in CODE_DIR
LIBRARIES = ("frictionless", "pyarrow", "numpy", "jsonschema", "pyyaml")
VALIDATOR_INPUTS = ["schemas/validation", "schemas/gdc", "schemas/tables", "schemas/ckan/gdc_dataset.json",
                    "reports", "datapackages"]        # of the catalog, and the shipped schemas/


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


def _digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def package_key(directory: Path) -> str:
    """The package's bytes, and where each of its symlinks points (its target is not read)."""
    digest = hashlib.sha256(_digest(_files(directory)).encode())
    for link in sorted(p for p in directory.rglob("*") if p.is_symlink()):
        digest.update(f"{link} -> {os.readlink(link)}".encode())
    return digest.hexdigest()


def _files(path: Path) -> list[Path]:
    """Regular files only, never through a symlink: a FIFO would never end, a link could lead to
    any file of the machine (the gate refuses both when the package is validated)."""
    if not path.is_dir():
        return [path]
    return sorted(p for p in path.rglob("*") if not p.is_symlink() and p.is_file())


def validator_key(root: Path = ROOT, code: Path = CODE_DIR) -> str:
    files = [f for base in dict.fromkeys([root, SHIPPED]) for item in VALIDATOR_INPUTS
             if (base / item).exists() and (base == root or item.startswith("schemas/")) for f in _files(base / item)]
    digest = hashlib.sha256(_digest(code_files(code) + [f for f in files if "__pycache__" not in f.parts]).encode())
    digest.update(json.dumps(library_versions(), sort_keys=True).encode())
    return digest.hexdigest()


class ValidatedCache:
    def __init__(self, path: Path | None = None, root: Path = ROOT):
        self.path = path or CACHE_FILE or settings().var / "validated.json"
        self.key = validator_key(root)
        try:
            stored = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stored = {}
        self.passed: dict[str, str] = stored.get("packages", {}) if stored.get("validator") == self.key else {}

    def known_valid(self, directory: Path) -> bool:
        return self.passed.get(str(directory.resolve())) == package_key(directory)

    def remember(self, directories: list[Path]) -> None:
        for directory in directories:
            self.passed[str(directory.resolve())] = package_key(directory)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".validated-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump({"validator": self.key, "packages": self.passed}, out, indent=1, sort_keys=True)
        os.replace(temporary, self.path)
