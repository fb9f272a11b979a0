"""Private copies of the repository's packages for sync tests: renamed, retitled and marked
with a catalog of their own, so tests never see or prune each other's datasets."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from publisher.packages import workbook_path
from publisher.spreadsheet import workbook
from tests.conftest import ROOT

PACKAGES = ROOT / "datapackages"


def copy_catalog(target: Path, unique: str, names: list[str]) -> dict[str, Path]:
    """Copy packages under ``target`` as ``<name>-<unique>``; returns {new name: folder}."""
    out = {}
    for name in names:
        new = f"{name[:55]}-{unique}"
        folder = target / new
        shutil.copytree(PACKAGES / name, folder, ignore=shutil.ignore_patterns("recipe.yaml"))
        descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
        descriptor["name"] = new
        descriptor["title"] = f"{descriptor['title']} (ชุดทดสอบ {unique})"
        write_descriptor(folder, descriptor)
        (folder / workbook_path(name)).unlink(missing_ok=True)
        rebuild_workbook(folder)
        out[new] = folder
    return out


def write_descriptor(folder: Path, descriptor: dict) -> None:
    (folder / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n",
                                             encoding="utf-8")


def rebuild_workbook(folder: Path) -> Path:
    """Write the package's XLSX from its descriptor and CSVs, as a build would."""
    descriptor = descriptor_of(folder)
    tables = {r["name"]: (folder / r["path"]).read_bytes() for r in descriptor["resources"]}
    path = folder / workbook_path(descriptor["name"])
    path.write_bytes(workbook(descriptor, tables))
    return path


def descriptor_of(folder: Path) -> dict:
    return json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))


def rewrite_csv(folder: Path, resource: str, old: str, new: str) -> str:
    """Replace text in one CSV and record its new hash and size in the descriptor, as a
    rebuild would. Returns the new sha256."""
    path = folder / "data" / f"{resource}.csv"
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    data = text.replace(old, new, 1).encode("utf-8")
    path.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    descriptor = descriptor_of(folder)
    for entry in descriptor["resources"]:
        if entry["name"] == resource:
            entry["hash"], entry["bytes"] = f"sha256:{digest}", len(data)
    write_descriptor(folder, descriptor)
    rebuild_workbook(folder)
    return digest


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
