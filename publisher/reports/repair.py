"""Thai text as PDF tools hand it over, put back into standard Unicode.

The rules are data (schemas/reports/thai_repair.json): Private Use Area glyphs to their
standard code points, sara am rebuilt from nikhahit + sara aa, no space before a combining
mark, vowel before tone mark, sequences that are never Thai, then NFC. Thai digits stay as
printed: numbers are read later, from the text as the report prints it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from publisher.settings import shipped_schema

REPAIR_RULES = shipped_schema("reports/thai_repair.json")


@dataclass(frozen=True)
class Rules:
    remove: str
    pua: dict[int, str]
    space_before_mark: re.Pattern
    split_am: re.Pattern
    sara_am: str
    tone_then_vowel: re.Pattern
    sequences: tuple[tuple[str, str], ...]


@lru_cache(maxsize=1)
def rules() -> Rules:
    data = json.loads(REPAIR_RULES.read_text(encoding="utf-8"))
    marks = re.escape(data["combining"]["chars"])
    am = data["sara_am"]
    tones, vowels = re.escape(data["order"]["tones"]), re.escape(data["order"]["vowels"])
    return Rules(
        remove="".join(data["remove"]["chars"]),
        pua={int(k, 16): chr(int(v, 16)) for k, v in data["pua"]["map"].items()},
        space_before_mark=re.compile(f"[ \\u00a0\\t]+(?=[{marks}])"),
        split_am=re.compile(f"{re.escape(am['nikhahit'])}([{tones}]?){re.escape(am['sara_aa'])}"),
        sara_am=am["sara_am"],
        tone_then_vowel=re.compile(f"([{tones}])([{vowels}])"),
        sequences=tuple((a, b) for a, b in data["sequences"]["map"]),
    )


def repair_thai(text: str) -> str:
    """One piece of extracted text, repaired; idempotent, and a no-op on clean Thai."""
    r = rules()
    if r.remove:
        text = text.translate({ord(c): None for c in r.remove})
    text = text.translate(r.pua)
    text = r.space_before_mark.sub("", text)
    text = r.split_am.sub(lambda m: m.group(1) + r.sara_am, text)
    text = r.tone_then_vowel.sub(r"\2\1", text)
    for wrong, right in r.sequences:
        text = text.replace(wrong, right)
    return unicodedata.normalize("NFC", text)


_THAI = re.compile(r"[\u0e00-\u0e7f]")


def join_wrapped(first: str, second: str) -> str:
    """Two pieces of one paragraph that a line wrap separated. A space kept at the end of the
    first stays; Thai meeting Thai is joined without one (Thai has no spaces between words);
    anything else gets one space."""
    if not first:
        return second
    if not second:
        return first
    if first[-1].isspace() or second[0].isspace():
        return first.rstrip() + " " + second.lstrip()
    if _THAI.match(first[-1]) and _THAI.match(second[0]):
        return first + second
    if first[-1] in "/(" or second[0] in ".,:;)/":
        return first + second
    return first + " " + second
