"""What every reader of a report file hands back: blocks of text in reading order, and what
it could not do. Rendering the blocks gives the text in the vendored reports' form: one
physical line per paragraph, ``#`` headings, tables as tab-separated rows, a blank line
between blocks, no newline at the end."""

from __future__ import annotations

from dataclasses import dataclass, field


class IntakeError(ValueError):
    """A report file that cannot be read: names the file, what is wrong and what to do."""

    def __init__(self, path, problem: str, fix: str):
        self.path, self.problem, self.fix = str(path), problem, fix
        super().__init__(f"{path}: {problem}; {fix}")


@dataclass
class Block:
    kind: str                                   # heading, paragraph or table
    text: str = ""
    rows: list[list[str]] = field(default_factory=list)
    level: int = 1                              # of a heading
    page: int | None = None                     # 1-based page of a PDF
    ocr: bool = False                           # read from a page image
    size: float = 0.0                           # font size of a heading in a PDF, for its level
    runs_on: bool = False                       # a paragraph whose last line was full at a page's end


@dataclass
class Document:
    blocks: list[Block]
    tool: str                                   # the library or program that read the text
    tool_version: str
    pages: int | None = None
    ocr_pages: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # what it could not do, for the steward


@dataclass
class Rendered:
    text: str
    ocr_lines: list[tuple[int, int | None]]     # (1-based line, page) of every line read by OCR


def render(blocks: list[Block]) -> Rendered:
    lines: list[str] = []
    ocr: list[tuple[int, int | None]] = []
    for block in blocks:
        if block.kind == "table":
            body = ["\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in row) for row in block.rows]
        elif block.kind == "heading":
            body = ["#" * max(1, min(block.level, 6)) + " " + block.text]
        else:
            body = [block.text]
        body = [_keep_in_table(line.rstrip(), block) for line in body if line.strip()]
        if not body:
            continue
        if lines:
            lines.append("")
        for line in body:
            lines.append(line)
            if block.ocr:
                ocr.append((len(lines), block.page))
    return Rendered(text="\n".join(lines), ocr_lines=ocr)


def _keep_in_table(line: str, block: Block) -> str:
    """A row of a table whose only filled cell is the first (a group label such as
    <b>ด้านเศรษฐกิจ</b>) keeps one tab, so it stays a row of its table and does not end it."""
    wide = block.kind == "table" and any(len(row) > 1 for row in block.rows)
    return line + "\t" if wide and "\t" not in line else line


def trim_row(cells: list[str]) -> list[str]:
    """A table row without the empty cells a wider row elsewhere padded it with."""
    cells = [" ".join(c.split()) for c in cells]
    while len(cells) > 1 and not cells[-1]:
        cells.pop()
    return cells
