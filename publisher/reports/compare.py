"""The form in which a quote is looked for in a report: NFC, with the Thai that PDF text
layers spell differently put back (sara am as nikhahit + sara aa, a tone mark before its
vowel, invisible characters; the rules of reports/repair.py). Each character of that form
keeps the span of the printed text it came from, so what is published is the report's own
text, never the compared form."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from publisher.reports.repair import repair_thai, rules

NIKHAHIT, SARA_AA = "\u0e4d", "\u0e32"
THAI_MARKS = "\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e4d\u0e4e"


@dataclass(frozen=True)
class Folded:
    text: str                               # the compared form
    spans: tuple[tuple[int, int], ...]      # for each of its characters, the printed span it came from

    def printed(self, start: int, end: int) -> tuple[int, int]:
        """The printed span of the compared form's characters start..end."""
        return self.spans[start][0], self.spans[end - 1][1]


def _joins(cluster: str, char: str) -> bool:
    """A character that belongs with the one before it: a combining mark, or the sara aa of a
    sara am spelt as nikhahit (+ tone) + sara aa."""
    return (char in THAI_MARKS or unicodedata.combining(char) != 0 or char in rules().remove
            or (char == SARA_AA and NIKHAHIT in cluster[-2:]))


def clusters(text: str) -> list[tuple[int, int]]:
    """Spans of a base character and what joins it; folding each alone folds the whole."""
    spans: list[tuple[int, int]] = []
    for index, char in enumerate(text):
        if spans and _joins(text[spans[-1][0]:index], char) and text[index - 1] != "\n":
            spans[-1] = (spans[-1][0], index + 1)
        else:
            spans.append((index, index + 1))
    return spans


def fold(text: str) -> Folded:
    pieces: list[str] = []
    spans: list[tuple[int, int]] = []
    for start, end in clusters(text):
        piece = repair_thai(text[start:end]) if not text[start:end].isascii() else text[start:end]
        pieces.append(piece)
        spans += [(start, end)] * len(piece)
    return Folded("".join(pieces), tuple(spans))


def same_when_compared(a: str, b: str) -> bool:
    return fold(a).text == fold(b).text
