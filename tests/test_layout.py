"""The shape of the house: read from the code itself, so the layout a newcomer is shown stays true.

- data flows one way (no import cycle, read with `ast` from every module of publisher/);
- no `publisher` import hidden inside a function (that is how a cycle is dodged, not removed),
  except the allow-listed ones, each with its reason;
- no module over 450 lines; only publisher/cli/ prints;
- the README's Layout lists paths that exist, and docs/cli.md is what the commands' --help says.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "publisher"
MAX_LINES = 450

# module -> why it may import a publisher module inside a function (start-up time only)
LAZY_IMPORTS_ALLOWED: dict[str, str] = {}

# the stages, upstream first: a module may import its own stage and those before it, never after
STAGES = ["gate", "reports", "extract", "packages", "coverage", "validate", "catalog"]
BESIDE = {"stack": set(), "jobs": {"gate", "reports", "extract", "packages", "coverage", "validate", "catalog", "stack"}}
FOUNDATION = {"settings"}   # where things are: every module may read it, it reads no other


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imported(node: ast.AST, here: str, is_package: bool) -> list[str]:
    """Full names of the modules an import statement loads (absolute or relative)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        anchor = here.split(".") if is_package else here.split(".")[:-1]
        anchor = anchor[:len(anchor) - node.level + 1]
        base = ".".join(anchor + ([base] if base else []))
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def _with_parents(name: str, known: dict[str, Path]) -> set[str]:
    """Importing a.b.c runs a, a.b and a.b.c: each is a real dependency."""
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & set(known)


def import_graph() -> tuple[dict[str, set[str]], list[str]]:
    known = modules()
    graph: dict[str, set[str]] = {}
    hidden = []
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_package = path.name == "__init__.py"
        deps: set[str] = set()
        functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        inside = {id(n) for f in functions for n in ast.walk(f)}
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            targets = set()
            for target in _imported(node, name, is_package):
                targets |= _with_parents(target, known)
            ours = {t for t in targets if t != name and not name.startswith(t + ".")}
            deps |= ours
            if targets and id(node) in inside:
                hidden.append(f"{name}:{node.lineno}")
        graph[name] = deps
    return graph, hidden


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_relative_imports_are_resolved():
    node = ast.parse("from .thai import parse_number").body[0]
    assert _imported(node, "publisher.extract.recipes", False)[0] == "publisher.extract.thai"
    node = ast.parse("from .. import packages").body[0]
    assert "publisher.packages" in _imported(node, "publisher.validate.run", False)


def test_no_import_cycle():
    graph, _ = import_graph()
    assert cycles(graph) == []


def test_no_publisher_import_inside_a_function():
    _, hidden = import_graph()
    unexplained = [h for h in hidden if h.split(":")[0] not in LAZY_IMPORTS_ALLOWED]
    assert unexplained == []


def test_every_lazy_import_allowance_is_still_needed_and_explained():
    _, hidden = import_graph()
    lazy = {h.split(":")[0] for h in hidden}
    for module, reason in LAZY_IMPORTS_ALLOWED.items():
        assert module in lazy, f"{module} no longer imports lazily: drop its allowance"
        assert len(reason) > 20


def test_data_flows_one_way_between_stages():
    graph, _ = import_graph()

    def stage(name: str) -> str | None:
        parts = name.split(".")
        return parts[1] if len(parts) > 1 else None

    wrong = []
    for name, deps in graph.items():
        here = stage(name)
        if here in ("cli", "__main__") or here is None:
            continue
        for dep in deps:
            there = stage(dep)
            if there in (None, here) or there in FOUNDATION:
                continue
            if there == "cli":
                wrong.append(f"{name} -> {dep}")
            elif here in STAGES and there in STAGES:
                if STAGES.index(there) > STAGES.index(here):
                    wrong.append(f"{name} -> {dep}")
            elif here in BESIDE and there not in BESIDE[here]:
                wrong.append(f"{name} -> {dep}")
            elif here in STAGES and there == "jobs":
                wrong.append(f"{name} -> {dep}")
    assert wrong == []
    assert all(graph.get(f"publisher.{name}", set()) <= {"publisher"} for name in FOUNDATION), \
        {name: graph.get(f"publisher.{name}") for name in FOUNDATION}


@pytest.mark.parametrize("name", sorted(modules()))
def test_module_is_short(name):
    lines = modules()[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{name} has {lines} lines: it holds two concepts"


def test_package_inits_hold_no_code():
    """A package's __init__ that imports its own modules makes every module depend on all the others."""
    for name, path in modules().items():
        if path.name != "__init__.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        code = [n for n in tree.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
        if name == "publisher":
            code = [n for n in code if not isinstance(n, (ast.Import, ast.ImportFrom, ast.Assign))]
        assert code == [], f"{name} holds code"


def test_only_the_cli_prints():
    printing = []
    for name, path in modules().items():
        if name.startswith("publisher.cli"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                printing.append(f"{name}:{node.lineno}")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if any(n.split(".")[0] == "rich" for n in names):
                    printing.append(f"{name}:{node.lineno} imports rich")
    assert printing == []


# --- the README's Layout and the generated CLI reference --------------------------------

def layout_paths(readme: str) -> list[str]:
    """The paths of the README's Layout tree: the first word of each entry, under its folders."""
    block = readme.split("## Layout", 1)[1].split("```", 2)[1]
    paths: list[str] = []
    folders: list[tuple[int, str]] = []     # (indent, path) of the folders above this line
    for line in block.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        if not line.strip() or indent > 8:  # blank, or a description carried onto the next line
            continue
        word = line.split()[0]
        while folders and folders[-1][0] >= indent:
            folders.pop()
        path = (folders[-1][1] if folders else "") + word
        paths.append(path)
        if word.endswith("/"):
            folders.append((indent, path))
    return paths


def test_layout_paths_are_read_as_a_tree():
    block = "## Layout\n```\npublisher/\n  catalog/  x\n    map.py  y\n  cli.py\nschemas/\n```\n"
    assert layout_paths(block) == ["publisher/", "publisher/catalog/", "publisher/catalog/map.py",
                                   "publisher/cli.py", "schemas/"]


def test_layout_lists_paths_that_exist():
    paths = layout_paths((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(paths) >= 20
    missing = [p for p in paths if not (ROOT / p.rstrip("/")).exists()]
    assert missing == []


def test_layout_names_every_module_and_package_of_publisher():
    listed = set(layout_paths((ROOT / "README.md").read_text(encoding="utf-8")))
    for name, path in modules().items():
        if path.name == "__init__.py" and name != "publisher":
            rel = str(path.parent.relative_to(ROOT)) + "/"
        elif path.name == "__init__.py":
            continue
        else:
            rel = str(path.relative_to(ROOT))
        assert rel in listed, f"{rel} is not in the README's Layout"


def _cli_docs():
    spec = importlib.util.spec_from_file_location("cli_docs", ROOT / "docs" / "cli_docs.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["cli_docs"] = module
    spec.loader.exec_module(module)
    return module


def test_cli_reference_is_up_to_date():
    docs = _cli_docs()
    current = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == docs.render(), "docs/cli.md is stale: run .venv/bin/python docs/cli_docs.py"


def test_cli_reference_covers_every_command():
    docs = _cli_docs()
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for path in docs.command_paths():
        assert f"## publisher {' '.join(path)}".rstrip() in text
    assert str(ROOT) not in text, "a default shown as this checkout's absolute path differs on every machine"


def test_readme_links_to_the_cli_reference():
    assert "docs/cli.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_package_of_publisher_is_installed():
    """pyproject.toml lists the packages by hand (the shipped data needs it): a new one must be named."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    packages = {module_name(p) for p in PACKAGE.rglob("__init__.py")}
    assert packages - listed == set()
