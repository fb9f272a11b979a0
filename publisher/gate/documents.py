"""Recipes (YAML) and descriptors (JSON) read within bounds.

A hostile document can be small and still expand without end (YAML aliases nested nine deep),
nest deeper than Python recurses, or hold keys and values of types the code does not expect.
Size and depth are bounded while the document is composed, and the size an alias would expand
to is counted on the composed graph, before any value is built; every mapping key must be
text (or a ``<<`` merge). Errors name the file, the line and a rule.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from publisher.gate.paths import check_file

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024     # a recipe or descriptor; the data lives in data/
MAX_DEPTH = 64
MAX_NODES = 200_000


class DocumentError(ValueError):
    """A recipe or descriptor refused: the message names the file, the line when known, and a rule."""

    def __init__(self, path: Path, rule: str, message: str, line: int | None = None):
        self.path, self.rule, self.line, self.message = path, rule, line, message
        super().__init__(f"{path}{f':{line}' if line else ''}: [{rule}] {message}")


@dataclass(frozen=True)
class Lines:
    """The YAML line (1-based) of each value, by its path of keys and indexes."""

    at: dict[tuple, int]

    def of(self, *where) -> int | None:
        while where and where not in self.at:
            where = where[:-1]
        return self.at.get(where)


def read_bytes_bounded(path: Path, root: Path | None = None) -> bytes:
    """The bytes of a document, through the path gate and within MAX_DOCUMENT_BYTES."""
    refused = check_file(root or path.parent, path, path.name, must_exist=True)
    if refused:
        raise DocumentError(path, refused.rule, refused.message)
    size = path.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        raise DocumentError(path, "document.too-large", f"{size:,} bytes, over {MAX_DOCUMENT_BYTES:,}")
    return path.read_bytes()


def decoded(raw: bytes, path: Path) -> str:
    """Strict UTF-8 (a BOM allowed); the error names the line of the first bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise DocumentError(path, "document.encoding", f"not UTF-8 at byte {exc.start} (save it as UTF-8)",
                            line) from None


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that bounds nesting depth and node count while it composes."""

    def __init__(self, stream, path: Path):
        super().__init__(stream)
        self.path = path
        self.depth = 0
        self.nodes = 0

    def compose_node(self, parent, index):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.refused("recipe-size", f"more than {MAX_NODES:,} values")
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.refused("recipe-depth", f"nested deeper than {MAX_DEPTH} levels")
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def refused(self, rule: str, message: str) -> DocumentError:
        return DocumentError(self.path, rule, message, self.peek_event().start_mark.line + 1)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return node.value if isinstance(node, yaml.SequenceNode) else []


def _too_large(root: yaml.Node) -> yaml.Node | None:
    """The node whose expansion passes MAX_NODES (the largest one none of whose children does),
    or None. Sizes are counted on the composed graph, each node once, so a few lines of aliases
    that expand to billions are caught before anything is built."""
    size: dict[int, int] = {}
    todo = [(root, False)]
    while todo:
        node, children_done = todo.pop()
        if id(node) in size:
            continue
        if children_done:
            size[id(node)] = min(1 + sum(size[id(c)] for c in _children(node)), 10 * MAX_NODES)
        else:
            todo.append((node, True))
            todo += [(c, False) for c in _children(node) if id(c) not in size]
    if size[id(root)] <= MAX_NODES:
        return None
    node = root
    while (bigger := next((c for c in _children(node) if size[id(c)] > MAX_NODES), None)) is not None:
        node = bigger
    return node


def _lines_and_keys(node: yaml.Node, path: Path) -> dict[tuple, int]:
    """Every value's line, and refuse a mapping key that is not text (walked without recursion)."""
    lines: dict[tuple, int] = {}
    todo = [((), node, 0)]
    while todo:
        where, current, depth = todo.pop()
        if depth > MAX_DEPTH:
            raise DocumentError(path, "recipe-depth", f"nested deeper than {MAX_DEPTH} levels",
                                current.start_mark.line + 1)
        lines.setdefault(where, current.start_mark.line + 1)
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                if key.tag == "tag:yaml.org,2002:merge":
                    todo.append((where, value, depth + 1))
                    continue
                if not (isinstance(key, yaml.ScalarNode) and key.tag == "tag:yaml.org,2002:str"):
                    raise DocumentError(path, "recipe-key", "a key must be text (quote it)",
                                        key.start_mark.line + 1)
                todo.append((where + (key.value,), value, depth + 1))
        elif isinstance(current, yaml.SequenceNode):
            todo += [(where + (i,), item, depth + 1) for i, item in enumerate(current.value)]
    return lines


def load_yaml(path: Path, root: Path | None = None) -> tuple[object, Lines]:
    """A recipe's content and the line of each of its values; DocumentError for anything refused."""
    text = decoded(read_bytes_bounded(path, root), path)
    try:
        loader = _BoundedLoader(text, path)
    except yaml.reader.ReaderError as exc:
        raise DocumentError(path, "recipe-yaml", f"character U+{exc.character:04X} is not allowed in YAML",
                            text[:exc.position].count("\n") + 1) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None, Lines({})
        culprit = _too_large(node)
        if culprit is not None:
            raise DocumentError(path, "recipe-size", f"expands to more than {MAX_NODES:,} values"
                                " (aliases that repeat aliases?)", culprit.start_mark.line + 1)
        lines = _lines_and_keys(node, path)
        return loader.construct_document(node), Lines(lines)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise DocumentError(path, "recipe-yaml", f"not valid YAML: {exc.problem or exc.context}",
                            mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise DocumentError(path, "recipe-yaml", f"not valid YAML: {exc}") from None
    except (RecursionError, MemoryError):
        raise DocumentError(path, "recipe-depth", "nested too deep or too large to read") from None
    finally:
        loader.dispose()


def _depth(value: object) -> int:
    deepest, todo = 0, [(value, 1)]
    while todo:
        current, depth = todo.pop()
        deepest = max(deepest, depth)
        if isinstance(current, dict):
            todo += [(v, depth + 1) for v in current.values()]
        elif isinstance(current, list):
            todo += [(v, depth + 1) for v in current]
    return deepest


def parse_json(content: bytes, path: Path) -> object:
    """A descriptor's bytes as JSON, within the depth bound; DocumentError otherwise."""
    text = decoded(content, path)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(path, "document.json", f"not valid JSON: {exc.msg} (column {exc.colno})",
                            exc.lineno) from None
    except (RecursionError, MemoryError):
        raise DocumentError(path, "document.json", f"nested deeper than {MAX_DEPTH} levels") from None
    if _depth(value) > MAX_DEPTH:
        raise DocumentError(path, "document.json", f"nested deeper than {MAX_DEPTH} levels")
    return value


def load_json(path: Path, root: Path | None = None) -> tuple[bytes, object]:
    """A descriptor through the gate: its bytes (for checksums) and its content."""
    content = read_bytes_bounded(path, root)
    return content, parse_json(content, path)
