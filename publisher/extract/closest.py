"""The passage of a report closest to a quote that is not in it, and how the two differ, so a
steward sees the typo (``2,181`` in the quote, ``2,180`` in the report) instead of hunting
for it. A plain function: any message about a missing quote can use it."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher


@dataclass(frozen=True)
class Closest:
    line: int                              # 1-based line where the passage starts
    passage: str                           # the report's text that best matches the quote
    score: float                           # share of the quote's characters found in it, 0–1
    differences: list[tuple[str, str]]     # (in the quote, in the report) for each change

    def describe(self, limit: int = 3) -> str:
        changes = "; ".join(f"{a!r} in the quote, {b!r} in the report" for a, b in self.differences[:limit])
        more = f" (and {len(self.differences) - limit} more)" if len(self.differences) > limit else ""
        return f"closest passage at line {self.line}: {changes}{more}" if changes else \
            f"closest passage at line {self.line}"


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
        differences = [(quote[i1:i2], passage[j1:j2]) for op, i1, i2, j1, j2 in aligned.get_opcodes() if op != "equal"]
        best = (score, start + 1, passage, _widen(differences, quote, passage, aligned))
    if best is None or best[0] < minimum:
        return None
    return Closest(line=best[1], passage=best[2], score=round(best[0], 3), differences=best[3])


def _widen(differences, quote: str, passage: str, matcher: SequenceMatcher) -> list[tuple[str, str]]:
    """A change inside a number is shown as the whole number on both sides ('2,181' vs '2,180')."""
    widened = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        i1, i2 = _grow(quote, i1, i2)
        j1, j2 = _grow(passage, j1, j2)
        pair = (quote[i1:i2], passage[j1:j2])
        if not widened or widened[-1] != pair:
            widened.append(pair)
    return widened


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
