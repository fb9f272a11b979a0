"""PDF reports: the text layer through PDFium (pypdfium2), tables rebuilt from their ruling
lines (pdfplumber), and pages without a text layer sent to OCR.

PDFium is the text engine of Chrome: it keeps Thai marks in their order and the space a line
wrap left at its end, where pdfminer and pdftotext misplace marks or add spaces; what it moves
out of an /ActualText span is put back in place (pdf_chars.py). pdfplumber
finds tables from the lines drawn around their cells; their text is then read from PDFium
inside each cell. Running headers and footers (a line repeated on most pages, near the top or
bottom) and page numbers are dropped, and wrapped lines are joined into paragraphs.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pdfplumber
import pypdfium2

from publisher.reports import ocr
from publisher.reports.document import Block, Document, IntakeError, trim_row
from publisher.reports.pdf_chars import Char, line_text, page_lines
from publisher.reports.repair import join_wrapped, repair_thai

MIN_TEXT_CHARS = 20          # fewer printable characters than this: the page has no text layer
EDGE_BAND = 0.09             # share of the page height where running headers and footers live
_MARKS = re.compile(r"[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\s]")
_ITEM = re.compile(r"^\s*(?:[0-9๐-๙]+(?:[.)]|\.[0-9๐-๙.]+)|[(][0-9๐-๙]+[)]|[-•●▪*]|#)\s")
_PAGE_NUMBER = re.compile(r"^[\s\-–—(]*(?:หน้า|page)?\s*[0-9๐-๙ivxlcdmกขคงจฉชซฌญ]{1,4}\s*(?:/\s*[0-9๐-๙]+)?[\s\-–—)]*$",
                          re.IGNORECASE)


@dataclass
class Line:
    text: str
    left: float
    right: float
    top: float          # from the top of the page, like pdfplumber
    bottom: float
    size: float
    baseline: float     # from the top of the page: where the consonants sit, marks aside


def read_pdf(path: Path) -> Document:
    try:
        pdf = pypdfium2.PdfDocument(str(path))
    except pypdfium2.PdfiumError as exc:
        message = str(exc).lower()
        if "password" in message:
            raise IntakeError(path, "the PDF is encrypted (password-protected)",
                              "ask the agency for an unprotected copy, or remove the password (qpdf --decrypt) "
                              "and add that file") from None
        raise IntakeError(path, f"not a readable PDF ({exc})",
                          "check that the download is complete; re-save it from the original program") from None
    try:
        with pdfplumber.open(str(path)) as plumber:
            return _read(path, pdf, plumber)
    finally:
        pdf.close()


def _read(path: Path, pdf: pypdfium2.PdfDocument, plumber) -> Document:
    pages: list[tuple[int, list[Line], list[list[list[str]]], list[tuple]]] = []
    blank_pages, ocr_pages, notes = [], [], []
    ocr_blocks: dict[int, list[Block]] = {}
    for index in range(len(pdf)):
        page = pdf[index]
        height = page.get_height()
        chars = page_lines(page, page.get_textpage())
        lines = _lines(chars, height)
        if sum(len(line.text.strip()) for line in lines) < MIN_TEXT_CHARS:
            blank_pages.append(index + 1)
            continue
        tables, boxes = _tables(plumber.pages[index], chars, height, notes, index + 1)
        inside = [line for line in lines if not any(_within(line, box) for box in boxes)]
        pages.append((index + 1, inside, tables, boxes))
    if blank_pages:
        if not ocr.available():
            if not pages:
                raise IntakeError(path, f"no page has a text layer ({len(blank_pages)} page(s) of images) and OCR "
                                  f"is not installed", "run stack/install-report-tools.sh (tesseract-ocr, "
                                  "tesseract-ocr-tha), then add the file again")
            notes.append(f"pages without a text layer, left out (OCR not installed): {_ranges(blank_pages)}")
        else:
            for number in blank_pages:
                ocr_blocks[number] = [Block("paragraph", text=repair_thai(p), page=number, ocr=True)
                                      for p in ocr.read_page(path, number)]
                ocr_pages.append(number)
            notes.append(f"pages read by OCR, every number on them to be confirmed: {_ranges(ocr_pages)}")
    running = _running_lines(pages, pdf)
    spacing = _line_spacing(pages)
    blocks: list[Block] = []
    for number in range(1, len(pdf) + 1):
        if number in ocr_blocks:
            blocks += ocr_blocks[number]
            continue
        entry = next((p for p in pages if p[0] == number), None)
        if entry is None:
            continue
        _, lines, tables, boxes = entry
        height = pdf[number - 1].get_height()
        body = [line for line in lines if not _is_furniture(line, height, running)]
        blocks += _page_blocks(body, tables, boxes, number, spacing)
    return Document(blocks=_merge_across_pages(blocks), tool="pypdfium2+pdfplumber",
                    tool_version=f"pypdfium2 {version('pypdfium2')}, pdfplumber {version('pdfplumber')}",
                    pages=len(pdf), ocr_pages=ocr_pages, notes=notes)


def _lines(chars: list[list[Char]], height: float) -> list[Line]:
    """PDFium's lines with their geometry; a piece it split off the same baseline (a low vowel
    such as ู is sometimes set apart) is joined back to the line it belongs to."""
    lines: list[Line] = []
    for piece_chars in chars:
        piece = line_text(piece_chars)
        boxes = [c.box for c in piece_chars if not c.text.isspace()]
        if not boxes or not piece.strip():
            continue
        seats = [c.box[1] for c in piece_chars if not _MARKS.match(c.text)]
        start = min((c.box[0] for c in piece_chars if not _MARKS.match(c.text)), default=0.0)
        line = Line(text=piece, left=min(b[0] for b in boxes), right=max(b[2] for b in boxes),
                    top=height - max(b[3] for b in boxes), bottom=height - min(b[1] for b in boxes),
                    size=max(statistics.median(c.size for c in piece_chars), 1.0),
                    baseline=height - statistics.median(seats) if seats else float("nan"))
        previous = lines[-1] if lines else None
        if previous is not None and (not seats or (abs(line.baseline - previous.baseline) < 0.3 * line.size
                                                   and start >= previous.right - 2)):
            previous.text += piece
            previous.right = max(previous.right, line.right)
            previous.top, previous.bottom = min(previous.top, line.top), max(previous.bottom, line.bottom)
            continue
        if not seats:
            line.baseline = line.bottom
        lines.append(line)
    return lines


def _tables(page, chars: list[list[Char]], height: float, notes: list[str], number: int):
    """Each ruled table of the page as rows of cells, read from PDFium's characters inside each cell."""
    tables, boxes = [], []
    try:
        found = page.find_tables()
    except Exception as exc:  # pdfminer can choke on odd drawings; the text is still read as lines
        notes.append(f"page {number}: tables could not be rebuilt ({type(exc).__name__}); read as text")
        return tables, boxes
    for table in found:
        rows = []
        for row in table.rows:
            cells = []
            for cell in row.cells:
                if cell is None:
                    cells.append("")
                    continue
                parts = [repair_thai(p) for p in _cell_lines(chars, cell, height)]
                text = ""
                for part in parts:
                    text = join_wrapped(text, part)
                cells.append(text.strip())
            rows.append(trim_row(cells))
        if len(rows) < 2 and all(len(r) < 2 for r in rows):
            continue  # a framed paragraph, not a table
        tables.append(rows)
        boxes.append(table.bbox)
    return tables, boxes


def _cell_lines(chars: list[list[Char]], cell: tuple, height: float) -> list[str]:
    """The text of each line inside a cell: the characters whose middle lies within it."""
    left, top, right, bottom = cell
    out = []
    for line in chars:
        inside = [c for c in line if left <= (c.box[0] + c.box[2]) / 2 <= right
                  and top <= height - (c.box[1] + c.box[3]) / 2 <= bottom]
        if inside:
            out.append(line_text(inside))
    return out


def _within(line: Line, box: tuple) -> bool:
    left, top, right, bottom = box
    middle = (line.top + line.bottom) / 2
    return top - 1 <= middle <= bottom + 1 and line.left >= left - 2 and line.right <= right + 2


def _key(text: str) -> str:
    return re.sub(r"[0-9๐-๙]+", "#", re.sub(r"\s+", "", text))


def _running_lines(pages, pdf) -> set[str]:
    """Lines near the top or bottom edge that recur (digits aside) on at least half the pages."""
    if len(pages) < 3:
        return set()
    seen: dict[str, set[int]] = {}
    for number, lines, _, _ in pages:
        height = pdf[number - 1].get_height()
        for line in lines:
            if line.bottom < height * EDGE_BAND * 1.5 or line.top > height * (1 - EDGE_BAND * 1.5):
                seen.setdefault(_key(line.text), set()).add(number)
    return {key for key, on in seen.items() if len(on) >= max(3, len(pages) // 2)}


def _is_furniture(line: Line, height: float, running: set[str]) -> bool:
    near_edge = line.bottom < height * EDGE_BAND * 1.5 or line.top > height * (1 - EDGE_BAND * 1.5)
    return near_edge and (_key(line.text) in running or bool(_PAGE_NUMBER.match(line.text.strip())))


def _line_spacing(pages) -> float:
    """The usual distance between baselines inside a paragraph, in font sizes: the most common
    one, since paragraphs have more lines than breaks (a larger step starts a paragraph)."""
    steps: dict[float, int] = {}
    for _, lines, _, _ in pages:
        for before, after in zip(lines, lines[1:]):
            if abs(before.size - after.size) < 0.5 and after.baseline > before.baseline:
                step = round((after.baseline - before.baseline) / after.size, 1)
                steps[step] = steps.get(step, 0) + 1
    return max(steps, key=lambda s: (steps[s], -s)) if steps else 1.2


def _page_blocks(lines: list[Line], tables, boxes, number: int, spacing: float) -> list[Block]:
    """Lines into paragraphs and headings, tables placed where they stand on the page."""
    items: list[tuple[str, object]] = [("line", line) for line in lines]
    for rows, box in sorted(zip(tables, boxes), key=lambda pair: pair[1][1]):
        at = next((i for i, (kind, item) in enumerate(items) if kind == "line" and item.top > box[1]), len(items))
        items.insert(at, ("table", rows))
    body = [line.size for line in lines] or [12.0]
    base = statistics.median(body)
    blocks: list[Block] = []
    previous: Line | None = None
    for kind, item in items:
        if kind == "table":
            blocks.append(Block("table", rows=item, page=number))
            previous = None
            continue
        line: Line = item
        text = repair_thai(line.text)
        heading = line.size >= base * 1.08
        step = (line.baseline - previous.baseline) / line.size if previous else 0
        starts = (previous is None or heading or blocks[-1].kind != "paragraph"
                  or step <= 0 or step > spacing * 1.2)
        if heading:
            if blocks and blocks[-1].kind == "heading" and previous is not None and 0 < step <= spacing * 1.2:
                blocks[-1].text = join_wrapped(blocks[-1].text, text)
            else:
                blocks.append(Block("heading", text=text.strip(), page=number, size=round(line.size)))
        elif starts:
            blocks.append(Block("paragraph", text=text, page=number))
        else:
            blocks[-1].text = join_wrapped(blocks[-1].text, text)
        previous = line
    for block in blocks:
        block.text = block.text.strip()
    if blocks and blocks[-1].kind == "paragraph" and previous is not None and items[-1][0] == "line":
        room = max(line.right for line in lines) - previous.right
        blocks[-1].runs_on = room <= 1.5 * base
        blocks[-1].room = room
    first = next((item for kind, item in items if kind == "line"), None)
    if blocks and blocks[0].kind == "paragraph" and first is not None and items[0][0] == "line":
        blocks[0].lead = _lead(first)
    return blocks


def _lead(line: Line) -> float:
    """How wide the line's first word (up to its first space) is: were the paragraph begun on
    the page before, it would have stood at the end of that page's last line had it fitted."""
    text = line.text.strip()
    word = text.split(" ", 1)[0]
    spacing = len(_MARKS.sub("", text)) or 1
    return (line.right - line.left) * len(_MARKS.sub("", word)) / spacing


def _merge_across_pages(blocks: list[Block]) -> list[Block]:
    """A table that goes on over a page break is one table, and so is a paragraph whose last
    line on a page was full, or left less room than the next page's first word needed. Headings get their level from their size (largest is 1)."""
    sizes = sorted({b.size for b in blocks if b.kind == "heading"}, reverse=True)
    merged: list[Block] = []
    for block in blocks:
        if block.kind == "heading":
            block.level = sizes.index(block.size) + 1
        previous = merged[-1] if merged else None
        if (previous is not None and previous.kind == "paragraph" and block.kind == "paragraph"
                and (previous.runs_on or previous.room < block.lead)
                and previous.page != block.page and not block.ocr and not _ITEM.match(block.text)):
            previous.text = join_wrapped(previous.text, block.text)
            previous.page, previous.runs_on, previous.room = block.page, block.runs_on, block.room
            continue
        if merged and block.kind == "table" and merged[-1].kind == "table" and merged[-1].page != block.page:
            merged[-1].rows += block.rows
            merged[-1].page = block.page
            continue
        merged.append(block)
    return merged


def _ranges(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers)
