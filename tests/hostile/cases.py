"""The hostile corpus: packages made to reach outside their folder, hang a reader, run in a
spreadsheet or lie on screen. Each case is made at test time from tests/broken/_valid (symlinks,
FIFOs, sockets and a 200 MB file cannot be committed), and names the findings it must raise:
(rule, file relative to the package, field). A case also says what must never appear in any
output (bytes of a file outside the package)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[2]
VALID = ROOT / "tests" / "broken" / "_valid"
DESCRIPTOR = "datapackage.json"
TABLE = "data/agency-impact.csv"
# what a secret looks like in these cases: it must never be printed
SECRET = "hostile-secret-7f3a9c"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.hostile-token-5d1e"


@dataclass(frozen=True)
class Case:
    name: str
    why: str
    make: Callable[[Path, Path], None]          # (package folder, a folder outside it)
    expect: list[tuple[str, str, str | None]]   # (rule, file, field)
    never: tuple[str, ...] = (SECRET, TOKEN)    # never in any output
    extra: dict = field(default_factory=dict)


# --- helpers -----------------------------------------------------------------------------

def descriptor(folder: Path) -> dict:
    return json.loads((folder / DESCRIPTOR).read_text(encoding="utf-8"))


def save(folder: Path, content: dict) -> None:
    (folder / DESCRIPTOR).write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def edit(folder: Path, change: Callable[[dict], None]) -> None:
    content = descriptor(folder)
    change(content)
    save(folder, content)


def rehash(folder: Path) -> None:
    """Bytes and hash of every table as they now are, so only the case's defect is reported."""
    content = descriptor(folder)
    for resource in content["resources"]:
        path = folder / resource["path"]
        if isinstance(resource.get("path"), str) and path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            resource["bytes"], resource["hash"] = len(data), "sha256:" + hashlib.sha256(data).hexdigest()
    save(folder, content)


def set_cell(folder: Path, row: int, column: str, value: str, table: str = TABLE) -> None:
    """Row as the CSV's physical row (header = 1)."""
    path = folder / table
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    rows[row - 1][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_bytes(("\ufeff" + out.getvalue()).encode("utf-8"))
    rehash(folder)


def cell(row: int, column: str, value: str) -> Callable[[Path, Path], None]:
    return lambda folder, outside: set_cell(folder, row, column, value)


def resource_path(value) -> Callable[[Path, Path], None]:
    def make(folder: Path, outside: Path) -> None:
        edit(folder, lambda d: d["resources"][0].__setitem__("path", value))
    return make


def linked_to(target: Callable[[Path], Path]) -> Callable[[Path, Path], None]:
    """The first table replaced by a symlink to a file outside the package."""
    def make(folder: Path, outside: Path) -> None:
        (folder / TABLE).unlink()
        os.symlink(target(outside), folder / TABLE)
    return make


def copy_outside(outside: Path) -> Path:
    """An exact copy of the table elsewhere on the disk: valid in every byte, but not the package's."""
    copy = outside / "elsewhere" / "agency-impact.csv"
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes((VALID / TABLE).read_bytes())
    return copy


def secret_outside(outside: Path) -> Path:
    """A file elsewhere on the disk holding a secret on its first line (a header, to a CSV reader)."""
    path = outside / "elsewhere" / "notes.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{SECRET},b\n1,2\n", encoding="utf-8")
    return path


def token_file(outside: Path) -> Path:
    """A stack's token file, as `publisher ckan up` writes it."""
    path = outside / ".stack" / "secrets" / "ckan-api-token"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TOKEN + "\n", encoding="utf-8")
    return path


def replace_table(make_node: Callable[[Path], None]) -> Callable[[Path, Path], None]:
    def make(folder: Path, outside: Path) -> None:
        (folder / TABLE).unlink()
        make_node(folder / TABLE)
    return make


def fifo(path: Path) -> None:
    os.mkfifo(path)


def unix_socket(path: Path) -> None:
    # a socket path is limited to ~100 bytes: bind from inside the folder
    here = os.getcwd()
    os.chdir(path.parent)
    try:
        server = socket.socket(socket.AF_UNIX)
        server.bind(path.name)
        server.close()
    finally:
        os.chdir(here)


def sparse(size: int) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        with open(path, "wb") as out:
            out.truncate(size)
    return make


def raw_descriptor(content: bytes) -> Callable[[Path, Path], None]:
    return lambda folder, outside: (folder / DESCRIPTOR).write_bytes(content)


def table_bytes(transform: Callable[[bytes], bytes]) -> Callable[[Path, Path], None]:
    def make(folder: Path, outside: Path) -> None:
        path = folder / TABLE
        path.write_bytes(transform(path.read_bytes()))
        rehash(folder)
    return make


def wide_row(columns: int, header: bool) -> Callable[[Path, Path], None]:
    def make(folder: Path, outside: Path) -> None:
        path = folder / TABLE
        lines = path.read_text(encoding="utf-8-sig").split("\n")
        index = 0 if header else 1
        lines[index] = lines[index] + "," * columns
        path.write_bytes(("\ufeff" + "\n".join(lines)).encode("utf-8"))
        rehash(folder)
    return make


def field_title(value: str) -> Callable[[Path, Path], None]:
    def make(folder: Path, outside: Path) -> None:
        edit(folder, lambda d: d["resources"][0]["schema"]["fields"][0].__setitem__("title", value))
    return make


def meta(key: str, value) -> Callable[[Path, Path], None]:
    return lambda folder, outside: edit(folder, lambda d: d.__setitem__(key, value))


def gdc(key: str, value) -> Callable[[Path, Path], None]:
    return lambda folder, outside: edit(folder, lambda d: d["gdc"].__setitem__(key, value))


def both(*makers: Callable[[Path, Path], None]) -> Callable[[Path, Path], None]:
    def make(folder: Path, outside: Path) -> None:
        for maker in makers:
            maker(folder, outside)
    return make


def make_case(case: Case, target: Path, outside: Path) -> Path:
    """The case's package at target/<name> (a copy of _valid, then its defect)."""
    folder = target / case.name
    shutil.copytree(VALID, folder)
    case.make(folder, outside)
    return folder


P0 = "resources[0].path"
D = DESCRIPTOR

CASES = [
    Case("symlink-outside", "the first table is a symlink to a copy of itself elsewhere on the disk",
         linked_to(copy_outside), [("path.outside", D, P0)]),
    Case("symlink-to-secret", "the first table is a symlink to a file elsewhere whose first line is a secret",
         linked_to(secret_outside), [("path.outside", D, P0)]),
    Case("symlink-to-token", "the first table is a symlink to the stack's API token file",
         linked_to(token_file), [("path.outside", D, P0)]),
    Case("symlink-to-device", "the first table is a symlink to /dev/zero, which never ends",
         linked_to(lambda outside: Path("/dev/zero")), [("path.outside", D, P0)]),
    Case("path-etc-passwd", "a path that climbs out with ../ to /etc/passwd (deep enough from any folder)",
         resource_path("../" * 16 + "etc/passwd"), [("path.unsafe", D, P0)], never=(SECRET, TOKEN, "root:x:0:0")),
    Case("path-absolute", "an absolute path", resource_path("/etc/passwd"), [("path.unsafe", D, P0)],
         never=(SECRET, TOKEN, "root:x:0:0")),
    Case("path-url", "a URL as a path (a reader would fetch it)", resource_path("http://127.0.0.1:9/x.csv"),
         [("path.unsafe", D, P0)]),
    Case("path-file-url", "a file: URL as a path", resource_path("file:///etc/passwd"), [("path.unsafe", D, P0)],
         never=(SECRET, TOKEN, "root:x:0:0")),
    Case("path-dotdot-middle", "'..' in the middle of a path that still lands inside",
         resource_path("data/../data/agency-impact.csv"), [("path.unsafe", D, P0)]),
    Case("path-nul", "a NUL byte in a path", resource_path("data/agency-impact.csv\x00.txt"), [("path.unsafe", D, P0)]),
    Case("path-backslash", "a Windows separator", resource_path("data\\agency-impact.csv"), [("path.unsafe", D, P0)]),
    Case("path-list", "a path that is a list (multipart)", resource_path([TABLE, "data/indicators.csv"]),
         [("path.not-text", D, P0)]),
    Case("path-folder", "a path naming a folder", resource_path("data"), [("path.not-regular", D, P0)]),
    Case("table-fifo", "the first table is a FIFO, which a reader would wait on for ever",
         replace_table(fifo), [("path.not-regular", D, P0)]),
    Case("table-socket", "the first table is a Unix socket", replace_table(unix_socket),
         [("path.not-regular", D, P0)]),
    Case("table-200mb", "a 200 MB table (sparse, made at test time)", replace_table(sparse(200 * 1024 * 1024)),
         [("path.too-large", D, P0)]),
    Case("schema-url", "a Table Schema named by URL instead of written inline",
         lambda folder, outside: edit(folder, lambda d: d["resources"][0].__setitem__("schema", "https://127.0.0.1:9/s.json")),
         [("path.unsafe", D, "resources[0].schema")]),
    Case("resources-string", "resources: \"abc\"", meta("resources", "abc"), [("package.shape", D, "resources")]),
    Case("resource-number", "a resource that is a number", meta("resources", [1]), [("package.shape", D, "resources[0]")]),
    Case("descriptor-array", "a descriptor that is a JSON array", raw_descriptor(b"[]"), [("package.shape", D, "")]),
    Case("descriptor-deep", "10^5 levels of [ nesting", raw_descriptor(b"[" * 100_000), [("package.unreadable", D, None)]),
    Case("descriptor-utf16", "the descriptor saved as UTF-16",
         lambda folder, outside: (folder / D).write_bytes((folder / D).read_text(encoding="utf-8").encode("utf-16")),
         [("package.unreadable", D, None)]),
    Case("table-invalid-utf8", "bytes that are not UTF-8 in a cell", table_bytes(lambda b: b.replace("หมายเหตุ".encode(), b"\xff\xfe", 1) if "หมายเหตุ".encode() in b else b.replace(b",000,", b",\xff\xfe0,", 1)),
         [("table.encoding", TABLE, None)]),
    Case("table-utf16", "the first table saved as UTF-16",
         table_bytes(lambda b: b.decode("utf-8-sig").encode("utf-16")), [("table.encoding", TABLE, None)]),
    Case("cell-nul", "a NUL byte in a cell (PostgreSQL text cannot hold it)", cell(2, "note", "ก\x00ข"),
         [("text.control", TABLE, "note")]),
    Case("cell-escape", "an ANSI escape in a cell (it would repaint a terminal)", cell(2, "note", "\x1b[2J\x1b[31mok"),
         [("text.control", TABLE, "note")]),
    Case("cell-bidi", "U+202E in a cell: the shown text runs backwards", cell(2, "note", "ราคา \u202e001 บาท"),
         [("text.bidi", TABLE, "note")]),
    Case("title-bidi", "U+202E in the title", meta("title", "ชุดข้อมูล \u202eทดสอบ"), [("text.bidi", D, "title")]),
    Case("description-control", "a bell character in the description", meta("description", "คำอธิบาย\x07"),
         [("text.control", D, "description")]),
    Case("cell-formula", "a cell Excel would run, in a public dataset", cell(2, "note", "=HYPERLINK(\"http://x\",\"y\")"),
         [("cell.formula-public", TABLE, "note")]),
    Case("cell-dde", "a DDE payload behind a minus sign", cell(2, "note", "-2+3+cmd|' /C calc'!A0"),
         [("cell.formula-public", TABLE, "note")]),
    Case("cell-at-sum", "an @ formula", cell(2, "note", "@SUM(1+1)*cmd|' /C calc'!A0"),
         [("cell.formula-public", TABLE, "note")]),
    Case("cell-formula-not-public", "a formula in a dataset classed ข้อมูลความลับทางราชการ: a warning",
         both(gdc("data_category", "ข้อมูลความลับทางราชการ"), gdc("allow_harvest", "False"),
              cell(2, "note", "=1+1")),
         [("cell.formula", TABLE, "note")]),
    Case("cell-too-long", "a cell of 40,000 characters", cell(2, "note", "ก" * 40_000), [("cell.too-long", TABLE, "note")]),
    Case("row-100k-columns", "a row of 10^5 cells", wide_row(100_000, header=False),
         [("table.too-many-columns", TABLE, None)]),
    Case("header-100k-columns", "a header of 10^5 columns", wide_row(100_000, header=True),
         [("table.too-many-columns", TABLE, None)]),
    Case("header-emoji-code", "a header named 'code :x:' (rich would print ❌)",
         table_bytes(lambda b: b.replace(b"indicator_id,", b"code :x:,", 1)),
         [("table.header-name", TABLE, "code :x:")], extra={"shown": "code :x:"}),
    Case("name-zero-width", "a zero-width space inside the dataset name", meta("name", "validator\u200bbase"),
         [("gdc.slug", D, "name")]),
    Case("name-confusable", "a Cyrillic а in the dataset name", meta("name", "v\u0430lidator-base"),
         [("gdc.slug", D, "name")]),
    Case("header-zero-width", "a zero-width joiner in a column name",
         table_bytes(lambda b: b.replace(b",note,", ",note\u200d,".encode(), 1)),
         [("table.header-name", TABLE, "note\u200d")]),
    Case("title-nfd-thai", "the title with sara am typed as nikhahit + sara aa",
         meta("title", "การดำเนินการทดสอบ".replace("\u0e33", "\u0e4d\u0e32")), [("gdc.nfc", D, "title")]),
    Case("keyword-nfd-thai", "a keyword with sara am decomposed (a tag search would miss)",
         lambda folder, outside: edit(folder, lambda d: d["keywords"].__setitem__(
             0, "การดำเนินการ".replace("\u0e33", "\u0e4d\u0e32"))),
         [("gdc.nfc", D, "keywords[0]")]),
]

# the recipe side: `publisher build` of a copy of datapackages/th-provinces with one line changed
# (recipe text, the error's rule tag, and the line the error must name or None)
BILLION_LAUGHS = "keywords:\n  - &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"  - &{now} [{', '.join(['*' + before] * 9)}]\n" for before, now in zip("abcdefgh", "bcdefghi"))


@dataclass(frozen=True)
class RecipeCase:
    name: str
    why: str
    make: Callable[[Path, Path], None]    # (package folder holding recipe.yaml, a folder outside it)
    tag: str                              # the [rule] the build error names
    line: int | None = None               # the recipe line it names


def recipe_text(change: Callable[[str], str]) -> Callable[[Path, Path], None]:
    def make(folder: Path, outside: Path) -> None:
        path = folder / "recipe.yaml"
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
    return make


def recipe_node(make_node: Callable[[Path, Path], None]) -> Callable[[Path, Path], None]:
    def make(folder: Path, outside: Path) -> None:
        (folder / "recipe.yaml").unlink()
        make_node(folder / "recipe.yaml", outside)
    return make


def _recipe_elsewhere(path: Path, outside: Path) -> None:
    copy = outside / "elsewhere-recipe.yaml"
    copy.write_text((ROOT / "datapackages" / "th-provinces" / "recipe.yaml").read_text(encoding="utf-8"),
                    encoding="utf-8")
    os.symlink(copy, path)


def _data_symlink(folder: Path, outside: Path) -> None:
    victim = outside / "victim.txt"
    victim.write_text("untouched\n", encoding="utf-8")
    (folder / "data").mkdir(exist_ok=True)
    os.symlink(victim, folder / "data" / "provinces.csv")


KEYWORDS = "keywords: [จังหวัด, รหัสจังหวัด, ISO 3166-2, เขตการปกครอง, รายการรหัสอ้างอิง, ข้อมูลอ้างอิง]\n"
RECIPE_CASES = [
    RecipeCase("recipe-billion-laughs", "aliases nesting nine levels of nine under keywords:",
               recipe_text(lambda t: t.replace(KEYWORDS, BILLION_LAUGHS)), "recipe-size", 24),
    RecipeCase("recipe-escape-resource", "a resource named ../../../escaped-write",
               recipe_text(lambda t: t.replace("  - name: provinces\n", "  - name: ../../../escaped-write\n")),
               "path.slug", 33),
    RecipeCase("recipe-escape-schema", "a schema named ../../../../../etc/x (any JSON of the disk)",
               recipe_text(lambda t: t.replace("schema: th-provinces--provinces", "schema: ../../../../../etc/x")),
               "path.slug", 38),
    RecipeCase("recipe-tis620", "the recipe saved as TIS-620",
               lambda folder, outside: (folder / "recipe.yaml").write_bytes(
                   (folder / "recipe.yaml").read_text(encoding="utf-8").encode("cp874")),
               "document.encoding", 2),
    RecipeCase("recipe-number-key", "a key that is a number",
               recipe_text(lambda t: t.replace("organization: opdc\n", "organization: opdc\n2564: x\n")),
               "recipe-key", 20),
    RecipeCase("recipe-resources-string", "resources: abc",
               recipe_text(lambda t: t[:t.index("resources:")] + "resources: abc\n"), "recipe-type", 32),
    RecipeCase("recipe-deep", "10^5 levels of [ nesting", recipe_text(lambda t: t.replace(KEYWORDS, "keywords: " + "[" * 100_000 + "\n")),
               "recipe-depth", 18),
    RecipeCase("recipe-symlink-outside", "recipe.yaml is a symlink to a file elsewhere",
               recipe_node(_recipe_elsewhere), "path.outside"),
    RecipeCase("recipe-fifo", "recipe.yaml is a FIFO, which a reader would wait on for ever",
               recipe_node(lambda path, outside: os.mkfifo(path)), "path.not-regular"),
    RecipeCase("recipe-write-through-symlink", "data/provinces.csv is a symlink out: build must not write through it",
               _data_symlink, "path.outside"),
]
