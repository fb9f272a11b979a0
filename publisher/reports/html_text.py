"""HTML reports (and the text files a steward saves from a web page): headings, paragraphs,
list items and tables in document order, whitespace folded as a browser folds it; scripts,
styles and navigation dropped."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import lxml.html

from publisher.reports.document import Block, Document, IntakeError, trim_row
from publisher.reports.repair import repair_thai

_SKIP = {"script", "style", "nav", "header", "footer", "noscript", "template", "head"}
_PARAGRAPHS = {"p", "li", "dt", "dd", "blockquote", "pre", "caption", "figcaption", "address"}


def read_html(path: Path, text: str) -> Document:
    try:
        root = lxml.html.document_fromstring(text)
    except Exception as exc:  # lxml raises ParserError for an empty or broken document
        raise IntakeError(path, f"not readable as HTML ({exc})", "save the page again, or add it as .txt") from None
    blocks: list[Block] = []
    _walk(root.find("body") if root.find("body") is not None else root, blocks)
    return Document(blocks=blocks, tool="lxml.html", tool_version=f"lxml {version('lxml')}")


def _clean(text: str) -> str:
    return repair_thai(" ".join(text.split()))


def _walk(element, blocks: list[Block]) -> None:
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in _SKIP:
            continue
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            text = _clean(child.text_content())
            if text:
                blocks.append(Block("heading", text=text, level=int(tag[1])))
        elif tag == "table":
            rows = [trim_row([_clean(cell.text_content()) for cell in row if cell.tag in ("td", "th")])
                    for row in child.iter("tr")]
            rows = [r for r in rows if any(r)]
            if rows:
                blocks.append(Block("table", rows=rows))
        elif tag in _PARAGRAPHS:
            text = _clean(child.text_content())
            if text:
                blocks.append(Block("paragraph", text=text))
        else:
            if child.text and child.text.strip():
                blocks.append(Block("paragraph", text=_clean(child.text)))
            _walk(child, blocks)
        if child.tail and child.tail.strip() and tag not in _SKIP:
            blocks.append(Block("paragraph", text=_clean(child.tail)))
