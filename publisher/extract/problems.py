"""A recipe's problems, each at its recipe.yaml line with a fix, so a steward fixes them all in
one run. The line of a key is found by a light scan of the recipe's text (the YAML loader
keeps no positions); "did you mean" is the closest known key or exact vocabulary string."""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from publisher.gate.documents import DocumentError, decoded, read_bytes_bounded


@dataclass(frozen=True)
class Problem:
    rule: str
    file: str
    message: str
    line: int | None = None
    fix: str = ""
    severity: str = "error"    # a warning is said, and the package is still built

    def __str__(self) -> str:
        at = f"{self.file}:{self.line}" if self.line else self.file
        return f"{at}: [{self.rule}] {self.message}" + (f"; {self.fix}" if self.fix else "")

    def as_dict(self) -> dict:
        return asdict(self)


class RecipeError(ValueError):
    """A recipe cannot be run; each problem names the file, line, resource, row and rule."""

    def __init__(self, message: str | Problem | list[Problem]):
        if isinstance(message, str):
            message = Problem("recipe", "", message)
        self.problems: list[Problem] = message if isinstance(message, list) else [message]
        super().__init__("\n".join(str(p) if p.file else p.message for p in self.problems))


def did_you_mean(word: object, known: list[str] | set[str] | tuple[str, ...]) -> str:
    """'did you mean 'license'?' for the closest known string, or '' when none is close."""
    close = difflib.get_close_matches(str(word), sorted(known), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


@dataclass(frozen=True)
class RecipeText:
    """The lines of a recipe, to say where a key or a resource is."""
    lines: tuple[str, ...]

    @classmethod
    def read(cls, path: Path) -> "RecipeText":
        try:
            return cls(tuple(decoded(read_bytes_bounded(path), path).split("\n")))
        except (OSError, DocumentError):
            return cls(())

    def find(self, pattern: str, start: int = 1, stop: int | None = None) -> int | None:
        """The first line (1-based) from ``start`` whose text matches the regex, before ``stop``."""
        regex = re.compile(pattern)
        for number in range(max(start, 1), (stop or len(self.lines) + 1)):
            if number > len(self.lines):
                break
            if regex.search(self.lines[number - 1]):
                return number
        return None

    def key(self, key: str, start: int = 1, stop: int | None = None) -> int | None:
        """The line of ``key:`` (quoted or not, as a list item or not)."""
        return self.find(rf"^\s*(-\s+)?['\"]?{re.escape(str(key))}['\"]?\s*:", start, stop)

    def top(self, key: str) -> int | None:
        return self.find(rf"^['\"]?{re.escape(str(key))}['\"]?\s*:")

    def block_end(self, start: int) -> int:
        """The line after the block that opens at ``start`` (the next line indented as little)."""
        if not start or start > len(self.lines):
            return len(self.lines) + 1
        opening = self.lines[start - 1]
        indent = len(opening) - len(opening.lstrip(" "))
        is_item = opening.lstrip().startswith("- ")
        for number in range(start + 1, len(self.lines) + 1):
            text = self.lines[number - 1]
            if text.strip() and not text.lstrip().startswith("#"):
                depth = len(text) - len(text.lstrip(" "))
                if depth < indent or (depth == indent and (is_item or not text.lstrip().startswith("- "))):
                    return number
        return len(self.lines) + 1

    def resource(self, name: str) -> int | None:
        """The line of a resource's ``name:``."""
        start = self.top("resources") or 1
        return self.find(rf"^\s*(-\s+)?name\s*:\s*['\"]?{re.escape(str(name))}['\"]?\s*(#.*)?$", start)

    def in_resource(self, name: str, key: str) -> int | None:
        """The line of ``key:`` inside a resource (or the resource's line)."""
        at = self.resource(name)
        if at is None:
            return None
        item_start = at if self.lines[at - 1].lstrip().startswith("-") else self._item_start(at)
        return self.key(key, item_start, self.block_end(item_start)) or at

    def _item_start(self, line: int) -> int:
        for number in range(line, 0, -1):
            if self.lines[number - 1].lstrip().startswith("- "):
                return number
        return line

    def row(self, resource: str, index: int) -> int | None:
        """The line of the index-th (1-based) item under a resource's ``rows:``."""
        rows = self.in_resource(resource, "rows")
        if rows is None:
            return None
        items = []
        indent = None
        for number in range(rows + 1, self.block_end(rows)):
            text = self.lines[number - 1]
            if text.lstrip().startswith("- "):
                depth = len(text) - len(text.lstrip())
                indent = depth if indent is None else indent
                if depth == indent:
                    items.append(number)
        return items[index - 1] if 0 < index <= len(items) else rows
