"""DOCX reports through python-docx: body paragraphs and tables in document order, headings
from their styles, a merged cell given once. Headers, footers and page numbers live in other
parts of the file and are never read. The ZIP is checked before it is opened, so a file that
would unpack to gigabytes (a ZIP bomb) is refused."""

from __future__ import annotations

import zipfile
from importlib.metadata import version
from pathlib import Path

import docx
from docx.oxml.ns import qn

from publisher.reports.document import Block, Document, IntakeError, trim_row
from publisher.reports.repair import repair_thai

MAX_UNPACKED = 200 * 1024 * 1024     # bytes a report's DOCX may unpack to
MAX_RATIO = 100                      # unpacked / packed, for any member over 1 MB
MAX_MEMBERS = 5000
OLE_MAGIC = b"\xd0\xcf\x11\xe0"      # an encrypted DOCX, or an old .doc, is an OLE file


def check_zip(path: Path) -> None:
    head = path.read_bytes()[:4]
    if head == OLE_MAGIC:
        raise IntakeError(path, "the DOCX is encrypted (password-protected) or is an old .doc file",
                          "open it in Word or LibreOffice, remove the password, save as .docx and add that file")
    if not zipfile.is_zipfile(path):
        raise IntakeError(path, "not a DOCX (it is not a ZIP archive)", "check the download, or save it again as .docx")
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        total = sum(m.file_size for m in members)
        if len(members) > MAX_MEMBERS or total > MAX_UNPACKED or any(
                m.file_size > 1024 * 1024 and m.file_size > MAX_RATIO * max(m.compress_size, 1) for m in members):
            raise IntakeError(path, f"the DOCX would unpack to {total:,} bytes in {len(members)} parts "
                              f"(a ZIP bomb, or not a report)", "ask the agency for the document itself, or save it "
                              "again from Word without embedded media")
        if "word/document.xml" not in archive.namelist():
            raise IntakeError(path, "a ZIP archive without word/document.xml, so not a DOCX",
                              "save the document again as .docx")


def read_docx(path: Path) -> Document:
    check_zip(path)
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises several kinds for a broken package
        raise IntakeError(path, f"the DOCX cannot be read ({type(exc).__name__}: {exc})",
                          "open it in Word or LibreOffice and save it again") from None
    blocks: list[Block] = []
    for element in document.element.body.iterchildren():
        if element.tag == qn("w:p"):
            paragraph = docx.text.paragraph.Paragraph(element, document)
            text = repair_thai(paragraph.text).strip()
            if not text:
                continue
            level = _heading_level(paragraph.style.name if paragraph.style is not None else "")
            blocks.append(Block("heading", text=text, level=level) if level else Block("paragraph", text=text))
        elif element.tag == qn("w:tbl"):
            table = docx.table.Table(element, document)
            rows = [_row(row) for row in table.rows]
            if rows:
                blocks.append(Block("table", rows=rows))
    return Document(blocks=blocks, tool="python-docx", tool_version=f"python-docx {version('python-docx')}")


def _heading_level(style: str) -> int:
    name = style.lower()
    if name == "title":
        return 1
    if name.startswith("heading "):
        try:
            return int(name.split()[1])
        except (IndexError, ValueError):
            return 0
    return 0


def _row(row) -> list[str]:
    cells, seen = [], set()
    for cell in row.cells:
        if id(cell._tc) in seen:
            cells.append("")  # a horizontally merged cell is given once, at its left
            continue
        seen.add(id(cell._tc))
        cells.append(repair_thai(" ".join(p.text for p in cell.paragraphs)))
    return trim_row(cells)
