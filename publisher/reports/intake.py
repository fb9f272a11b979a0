"""Any report file in: its format told by its first bytes (a .pdf that is really HTML is read
as HTML), read by the reader for that format, and refused with a clear error when it is empty,
encrypted, corrupt or has no text."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

from publisher.reports import ocr
from publisher.reports.docx_text import read_docx
from publisher.reports.document import Block, Document, IntakeError, Rendered, render
from publisher.reports.html_text import read_html
from publisher.reports.pdf import read_pdf
from publisher.reports.repair import repair_thai

FORMATS = (".pdf", ".docx", ".html", ".htm", ".txt")


def sniff(path: Path, data: bytes) -> str:
    """The format by content first, the suffix second."""
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF"):
        return "pdf"
    if data[:4] in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0"):
        return "docx"
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return "pdf"   # a damaged PDF, which its reader will name as such
    if suffix == ".docx":
        return "docx"
    lowered = head[:200].lower()
    if suffix in (".html", ".htm") or lowered.startswith((b"<!doctype html", b"<html")):
        return "html"
    return "txt"


def decode(path: Path, data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark), else TIS-620/Windows-874, the older Thai encoding."""
    for encoding in ("utf-8-sig", "cp874"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise IntakeError(path, "the text is neither UTF-8 nor TIS-620 (Windows-874)", "save it as UTF-8 and add it again")


def read_txt(text: str) -> Document:
    """A text file keeps its lines: it is already in the vendored form, only repaired."""
    lines = [repair_thai(line).rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    blocks = [Block("paragraph", text=line) for line in lines if line.strip()]
    return Document(blocks=blocks, tool="publisher", tool_version=f"publisher text reader {version('thai-opendata-publisher')}")


def read_report(path: Path) -> tuple[str, Document, Rendered]:
    """(format, what was read, the text in the vendored form); IntakeError when it cannot be."""
    if not path.is_file():
        raise IntakeError(path, "no such file", "check the path")
    if path.suffix.lower() not in FORMATS:
        raise IntakeError(path, f"unsupported file type {path.suffix or '(none)'}",
                          f"give a {', '.join(FORMATS)} file (save other formats as PDF or DOCX first)")
    data = path.read_bytes()
    if not data.strip():
        raise IntakeError(path, "the file is empty", "check the download; an empty report has nothing to publish")
    kind = sniff(path, data)
    if kind == "pdf":
        document = read_pdf(path)
    elif kind == "docx":
        document = read_docx(path)
    elif kind == "html":
        document = read_html(path, decode(path, data))
    else:
        document = read_txt(decode(path, data))
    rendered = render(document.blocks)
    if not re.search(r"\w", rendered.text):
        raise IntakeError(path, f"no text found in the {kind.upper()}",
                          "if it is a scan, check that OCR is installed (stack/install-report-tools.sh); "
                          "otherwise ask the agency for a copy with text")
    if kind == "pdf" and document.ocr_pages:
        document.tool_version += f", {ocr.version()}"
    return kind, document, rendered
