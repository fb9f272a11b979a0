"""Paths a package names, refused before they are opened.

A package folder is untrusted input: a data file may be a symlink to the portal's token, a
resource ``path`` may climb out with ``..`` or name a URL, a file may be a FIFO that never
ends or larger than anything a portal should take. ``check`` decides from the path's text and
``os.stat`` alone, never from the file's bytes, so a refusal cannot quote what it refused.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

# a file larger than this is refused unread (PUBLISHER_MAX_FILE_MB overrides it)
MAX_FILE_MB = 100
# the names a recipe turns into file names: resources (data/<name>.csv) and Table Schemas
SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}\Z")
URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass(frozen=True)
class Refusal:
    """Why a path is refused: a rule id of schemas/validation/rules.json, the descriptor field
    that names the path, and a message that quotes the path, never the file."""

    rule: str
    field: str
    message: str


class PathRefused(ValueError):
    def __init__(self, refusal: Refusal):
        super().__init__(f"[{refusal.rule}] {refusal.field}: {refusal.message}")
        self.refusal = refusal


def max_file_bytes() -> int:
    try:
        return int(float(os.environ.get("PUBLISHER_MAX_FILE_MB", MAX_FILE_MB)) * 1024 * 1024)
    except ValueError:
        return MAX_FILE_MB * 1024 * 1024


def shown(value: object) -> str:
    """A value of a descriptor as a message may show it: short, with control characters escaped."""
    text = ascii(value) if isinstance(value, str) else type(value).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def text_refusal(value: object, field: str) -> Refusal | None:
    """What is wrong with a relative path as text: not a string, empty, absolute, a URL, a NUL,
    a backslash or a ``..`` segment anywhere."""
    if not isinstance(value, str):
        return Refusal("path.not-text", field, f"a path is one string, not {shown(value)}")
    if value == "" or "\x00" in value or "\\" in value:
        return Refusal("path.unsafe", field, f"path {shown(value)} is empty or holds a NUL or a backslash")
    if value.startswith("/") or URL.match(value):
        return Refusal("path.unsafe", field, f"path {shown(value)} is absolute or a URL; name a file inside the package")
    if ".." in PurePosixPath(value).parts:
        return Refusal("path.unsafe", field, f"path {shown(value)} has a '..' segment")
    return None


def check(root: Path, value: object, field: str, must_exist: bool = False) -> Refusal | None:
    """A path named inside the package folder ``root``, refused if its text is unsafe, if it
    resolves (through symlinks) outside ``root``, if it is not a regular file (device, FIFO,
    socket, folder) or if it is larger than max_file_bytes(). A missing file passes unless
    ``must_exist``: whoever reads it says it is missing."""
    refused = text_refusal(value, field)
    if refused:
        return refused
    return check_file(root, root / str(value), field, must_exist)


def check_file(root: Path, path: Path, field: str, must_exist: bool = False) -> Refusal | None:
    """``check`` for a path already joined (the descriptor or recipe of the package itself)."""
    try:
        inside = Path(os.path.realpath(path)).is_relative_to(Path(os.path.realpath(root)))
        if not inside:
            return Refusal("path.outside", field, "leads outside the package folder (a symlink or '..')")
        info = os.stat(path)
    except FileNotFoundError:
        return Refusal("path.missing", field, "no such file") if must_exist else None
    except (OSError, ValueError) as exc:
        return Refusal("path.unsafe", field, f"cannot be looked at: {type(exc).__name__}")
    if not stat.S_ISREG(info.st_mode):
        kind = ("a folder" if stat.S_ISDIR(info.st_mode) else "a FIFO" if stat.S_ISFIFO(info.st_mode)
                else "a socket" if stat.S_ISSOCK(info.st_mode) else "a device")
        return Refusal("path.not-regular", field, f"is {kind}, not a regular file")
    if info.st_size > max_file_bytes():
        return Refusal("path.too-large", field, f"{info.st_size:,} bytes, over the limit of {max_file_bytes():,}"
                                                " (PUBLISHER_MAX_FILE_MB)")
    return None


def write_refusal(root: Path, relative: str) -> Refusal | None:
    """A file a build is about to write at ``relative`` inside ``root``: its name's text is safe,
    it is not a symlink, and it (with every folder above it) resolves inside ``root``."""
    refused = text_refusal(relative, relative)
    if refused:
        return refused
    path = root / relative
    if path.is_symlink():
        return Refusal("path.outside", relative, "is a symlink; a build writes only regular files")
    if not Path(os.path.realpath(path)).is_relative_to(Path(os.path.realpath(root))):
        return Refusal("path.outside", relative, "leads outside the package folder")
    return None


def safe_file(root: Path, value: object, field: str) -> Path:
    """The path, when the gate lets it through (it must exist); PathRefused otherwise."""
    refused = check(root, value, field, must_exist=True)
    if refused:
        raise PathRefused(refused)
    return root / str(value)


def slug_refusal(value: object, field: str) -> Refusal | None:
    """A name that becomes part of a file name: a slug, checked before any path is joined."""
    if isinstance(value, str) and SLUG.match(value):
        return None
    return Refusal("path.slug", field, f"{shown(value)} is not a slug (a-z, 0-9, '-' and '_', at most 100)")


def descriptor_refusals(root: Path, descriptor: object) -> list[Refusal]:
    """Every path a descriptor names, checked; and references that would make a reader fetch
    or open something else (a schema or dialect given as a path or URL)."""
    if not isinstance(descriptor, dict):
        return [Refusal("package.shape", "", f"a descriptor is a JSON object, not {shown(descriptor)}")]
    resources = descriptor.get("resources", [])
    if not isinstance(resources, list):
        return [Refusal("package.shape", "resources", f"resources is a list, not {shown(resources)}")]
    refused = []
    for index, resource in enumerate(resources):
        where = f"resources[{index}]"
        if not isinstance(resource, dict):
            refused.append(Refusal("package.shape", where, f"a resource is an object, not {shown(resource)}"))
            continue
        for key in ("schema", "dialect"):
            if key in resource and not isinstance(resource[key], dict):
                refused.append(Refusal("path.unsafe", f"{where}.{key}",
                                       f"{key} must be written inline, not {shown(resource[key])}"))
        if "path" in resource:
            found = check(root, resource["path"], f"{where}.path")
            if found:
                refused.append(found)
    return refused
