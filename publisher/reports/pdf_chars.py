"""The characters of a PDF page as PDFium reads them, put back in the order the page draws them.

Word processors write a Thai cluster whose glyphs do not map one to one onto its characters
(sara am drawn as two glyphs, a low vowel under a consonant that carries a tone mark) inside a
marked-content span with /ActualText. PDFium reads that text but moves it: the span's character
goes to the end of its line, or a space drawn earlier lands in front of it, so ``รู้`` comes out
as ``ร้`` with a stray ``ู`` at the end of the line. Within one line, the content stream's order
is the reading order, so each character is sorted back among its neighbours by the index of the
page object that drew it; characters PDFium adds itself (spaces, line ends) stay after the one
before them.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

import pypdfium2.raw as pdfium_raw

LINE_END = "\r\n"
HYPHENS = {"\x02": "-", "\ufffe": "-"}    # PDFium's marks for a hyphen that ends a line: it was printed


@dataclass
class Char:
    text: str
    box: tuple[float, float, float, float]    # left, bottom, right, top, in PDF points from the bottom
    size: float                                # font size
    drawn: bool                                # drawn by the page (not a space or line end PDFium added)


def _address(pointer) -> int | None:
    return ctypes.cast(pointer, ctypes.c_void_p).value if pointer else None


def page_lines(page, textpage) -> list[list[Char]]:
    """The page's lines (PDFium's line breaks), each in content-stream order."""
    count = textpage.count_chars()
    if count <= 0:
        return []
    text = textpage.get_text_range(0, count)
    if len(text) != count:      # a character PDFium could not map one to one: keep its order as it is
        text = "".join(chr(pdfium_raw.FPDFText_GetUnicode(textpage.raw, i)) for i in range(count))
    drawn_at = {_address(obj.raw): index for index, obj in enumerate(page.get_objects(max_depth=8))}
    lines: list[list[tuple[int, Char]]] = [[]]
    key = -1
    for i, char in enumerate(text):
        if char == "\n" and i and text[i - 1] == "\r":
            continue
        if char == "\r":
            lines.append([])
            continue
        obj = drawn_at.get(_address(pdfium_raw.FPDFText_GetTextObject(textpage.raw, i)))
        key = obj if obj is not None else key
        lines[-1].append((key, Char(text=HYPHENS.get(char, char), box=tuple(textpage.get_charbox(i)),
                                    size=pdfium_raw.FPDFText_GetFontSize(textpage.raw, i), drawn=obj is not None)))
    return [_without_false_spaces([c for _, c in sorted(line, key=lambda pair: pair[0])]) for line in lines if line]


def _without_false_spaces(line: list[Char]) -> list[Char]:
    """A space PDFium added where the drawn characters on each side touch is an artefact of the
    moved span (``ผลสัมฤทธิ์ สูง``), not a gap on the page: it goes."""
    kept: list[Char] = []
    for index, char in enumerate(line):
        if char.text == " " and not char.drawn and kept:
            after = next((c for c in line[index + 1:] if c.drawn and not c.text.isspace()), None)
            if after is not None and after.box[0] < max(c.box[2] for c in kept[-3:]) + 0.1 * after.size:
                continue
        kept.append(char)
    return kept


def line_text(chars: list[Char]) -> str:
    """A line's text, a space moved next to another one kept once."""
    out: list[str] = []
    for char in chars:
        if char.text == " " and out and out[-1] == " ":
            continue
        out.append(char.text)
    return "".join(out)
