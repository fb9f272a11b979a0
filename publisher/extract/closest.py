"""The passage of a report closest to a quote that is not in it, and how the two differ, so a
steward sees the typo (``2,181`` in the quote, ``2,180`` in the report) instead of hunting
for it. A plain function: any message about a missing quote can use it."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher

MARK_OPEN, MARK_CLOSE = "⟦", "⟧"


@dataclass(frozen=True)
class Closest:
    line: int                              # 1-based line where the passage starts
    passage: str                           # the report's text that best matches the quote
    score: float                           # share of the quote's characters found in it, 0–1
    differences: list[tuple[str, str]]     # (in the quote, in the report) for each change
    marks: list[tuple[int, int]] = field(default_factory=list)   # where each change is in the passage

    def describe(self, limit: int = 3) -> str:
        changes = "; ".join(f"{shown(a)} in the quote, {shown(b)} in the report" for a, b in self.differences[:limit])
        more = f" (and {len(self.differences) - limit} more)" if len(self.differences) > limit else ""
        said = f"closest passage at line {self.line}: {changes}{more}" if changes else \
            f"closest passage at line {self.line}"
        return said + (f"; the report reads {self.marked()!r}" if self.marks else "")

    def marked(self) -> str:
        """The whole passage as the report prints it, each change between ⟦ and ⟧."""
        text, end = "", 0
        for start, stop in self.marks:
            text += self.passage[end:start] + MARK_OPEN + self.passage[start:stop] + MARK_CLOSE
            end = stop
        return text + self.passage[end:]


def shown(text: str) -> str:
    """A change as text, with code points when some of it cannot be seen (a mark alone, a
    zero-width or format character) or when it is empty."""
    hidden = not text or any(unicodedata.category(c) in ("Mn", "Cf", "Zs", "Cc") for c in text)
    points = " ".join(f"U+{ord(c):04X}" for c in text)
    return f"{text!r} ({points or 'nothing'})" if hidden else repr(text)


def closest_passage(quote: str, lines: list[str], minimum: float = 0.5) -> Closest | None:
    """The best match of the quote among windows of as many lines as it has; None when nothing
    shares at least ``minimum`` of its characters."""
    span = quote.count("\n") + 1
    best: tuple[float, int, str, list[tuple[str, str]]] | None = None
    for start in range(len(lines) - span + 1):
        window = "\n".join(lines[start:start + span])
        if not window.strip():
            continue
        matcher = SequenceMatcher(None, quote, window, autojunk=False)
        if best is not None and matcher.real_quick_ratio() * (len(quote) + len(window)) / 2 < best[0] * len(quote):
            continue
        blocks = [b for b in matcher.get_matching_blocks() if b.size]
        if not blocks:
            continue
        score = sum(b.size for b in blocks) / len(quote)
        if best is not None and score <= best[0]:
            continue
        anchor = max(blocks, key=lambda b: b.size)          # the longest run anchors the alignment
        lo = max(0, anchor.b - anchor.a)
        passage = window[lo:lo + len(quote)]
        aligned = SequenceMatcher(None, quote, passage, autojunk=False)
        best = (score, start + 1, passage, *_widen(quote, passage, aligned))
    if best is None or best[0] < minimum:
        return None
    return Closest(line=best[1], passage=best[2], score=round(best[0], 3), differences=best[3], marks=best[4])


def _widen(quote: str, passage: str, matcher: SequenceMatcher) -> tuple[list[tuple[str, str]], list[tuple[int, int]]]:
    """A change inside a number is shown as the whole number on both sides ('2,181' vs '2,180');
    with each change, where it is in the passage."""
    widened, marks = [], []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        i1, i2 = _grow(quote, i1, i2)
        j1, j2 = _grow(passage, j1, j2)
        pair = (quote[i1:i2], passage[j1:j2])
        if not widened or widened[-1] != pair:
            widened.append(pair)
            if not marks or j1 >= marks[-1][1]:
                marks.append((j1, j2))
    return widened, marks


def _is_numeric(char: str) -> bool:
    return char.isdigit() or char in ",."


def _grow(text: str, start: int, end: int) -> tuple[int, int]:
    while start > 0 and _is_numeric(text[start - 1]) and (start == end or _is_numeric(text[start])
                                                          or text[start - 1].isdigit()):
        start -= 1
    while end < len(text) and _is_numeric(text[end]) and (start == end or _is_numeric(text[end - 1])
                                                          or text[end].isdigit()):
        end += 1
    while start < end and text[start] in ",." and (start == 0 or not text[start - 1].isdigit()):
        start += 1
    while end > start and text[end - 1] in ",." and (end == len(text) or not text[end].isdigit()):
        end -= 1
    return start, end
