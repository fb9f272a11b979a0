"""Remember which packages passed validation, so a sync with nothing changed does not validate
them again.

A package is known valid for the exact bytes of its folder and of everything the validator
reads besides (its code, rules, profiles, vocabularies, the report registry and the
repository's packages, which consistency is checked against). Change any of them and the
package is validated again. Only passes are remembered; a failure is always checked anew.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from publisher import PROJECT_ROOT

CACHE_FILE = PROJECT_ROOT / "var" / "validated.json"
VALIDATOR_INPUTS = ["publisher/validate", "publisher/gate", "publisher/extract/thai.py", "publisher/reports/registry.py",
                    "schemas/validation", "schemas/gdc", "schemas/tables", "schemas/ckan/gdc_dataset.json",
                    "reports", "datapackages"]


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


def validator_key(root: Path = PROJECT_ROOT) -> str:
    files = [f for item in VALIDATOR_INPUTS if (root / item).exists() for f in _files(root / item)]
    return _digest([f for f in files if "__pycache__" not in f.parts])


class ValidatedCache:
    def __init__(self, path: Path | None = None, root: Path = PROJECT_ROOT):
        self.path = path or CACHE_FILE
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
