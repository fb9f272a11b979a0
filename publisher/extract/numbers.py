"""Every numeric token of a report line, with what kind of number it is.

The ledger (``publisher coverage``) and the suggestions (``publisher suggest``) both start
here, so a number one of them sees the other sees too. A token is the printed text of one
number, Thai or Arabic digits, with thousands separators and decimals; its kind says how
the words around it read it:

- ``percent``   ร้อยละ ๕๖.๔๑, 56.41 %
- ``year_be``   a four-digit year 2400–2700 (``fiscal`` when ปีงบประมาณ stands before it)
- ``year_ce``   a four-digit year 1900–2100 after ค.ศ. or in Latin text
- ``date``      ๑๗ มีนาคม ๒๕๖๕, 3 ก.ย. 2564 (the day and year tokens, value the ISO date)
- ``multiplied`` ๑๘ ล้าน, 1.5 พันล้าน (value multiplied out, printed figure kept)
- ``dotted``    3.1.1, a section or item number
- ``number``    anything else

Dates and ranges (``in_range``: ๒๕๖๓–๒๕๖๔) are reported per number, so the ledger accounts for each printed number once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from publisher.extract import thai

_D = "0-9" + thai.THAI_DIGITS
# a number: digits with thousands separators, or plain, with one decimal part; or a dotted path
TOKEN = re.compile(rf"(?<![{_D}])(?<![{_D}][.,])(?:[{_D}]{{1,3}}(?:,[{_D}]{{3}})+(?:\.[{_D}]+)?"
                   rf"|[{_D}]+(?:\.[{_D}]+)+|[{_D}]+)(?![{_D}])")
MULTIPLIERS = {"พันล้าน": Decimal(10) ** 9, "แสนล้าน": Decimal(10) ** 11, "หมื่นล้าน": Decimal(10) ** 10,
               "ล้านล้าน": Decimal(10) ** 12, "ล้าน": Decimal(10) ** 6, "แสน": Decimal(10) ** 5,
               "หมื่น": Decimal(10) ** 4, "พัน": Decimal(10) ** 3}
# a multiplier word after a space (never a tab: that is the next cell), not the start of a
# rank or a word (พันตำรวจโท, พันเอก, พันธกิจ)
_MULTIPLIER = re.compile(r"[ \u00a0]*(" + "|".join(sorted(MULTIPLIERS, key=len, reverse=True))
                         + r")(?!ตำรวจ|เอก|โท|ตรี|จ่า|ธ)")
_MONTHS = "|".join(re.escape(m) for m in thai.THAI_MONTHS + thai.THAI_MONTHS_SHORT)
DATE = re.compile(rf"(?<![{_D}])([{_D}]{{1,2}})\s*({_MONTHS})\s*(?:พ\.\s?ศ\.\s*)?([{_D}]{{4}})(?![{_D}])")
RANGE_DASH = re.compile(r"\s*[-–—]\s*")


@dataclass(frozen=True)
class Token:
    """One printed number: where it is (line, character offsets), its text, kind and value."""
    line: int
    start: int
    end: int
    text: str
    kind: str
    value: Decimal | None       # None for dotted paths
    printed: str = ""           # for multiplied numbers: the figure and its word, as printed
    fiscal: bool = False
    iso_date: str | None = None
    in_range: bool = False      # one end of a range such as ๒๕๖๓–๒๕๖๔

    @property
    def key(self) -> tuple[int, int]:
        return (self.line, self.start)


def _value(text: str) -> Decimal | None:
    try:
        return thai.parse_number(text)
    except ValueError:
        return None


def _date_spans(text: str) -> dict[int, str]:
    """Start offset of each day and year token that belongs to a Thai date -> its ISO date."""
    spans: dict[int, str] = {}
    for match in DATE.finditer(text):
        try:
            day = thai.parse_thai_date(f"{match.group(1)} {match.group(2)} {match.group(3)}")
        except ValueError:
            continue
        spans[match.start(1)] = spans[match.start(3)] = day.isoformat()
    return spans


def tokens_of_line(text: str, line: int) -> list[Token]:
    dates = _date_spans(text)
    found: list[Token] = []
    for match in TOKEN.finditer(text):
        literal, start, end = match.group(0), match.start(), match.end()
        before, after = text[:start], text[end:]
        value = _value(literal)
        kind, printed, fiscal = "number", "", False
        if value is None:
            kind = "dotted"
        elif start in dates:
            kind = "date"
        elif before.rstrip().endswith("ร้อยละ") or after.lstrip().startswith("%"):
            kind = "percent"
        elif multiplier := _MULTIPLIER.match(after):
            kind, printed = "multiplied", literal + after[:multiplier.end()]
            value = value * MULTIPLIERS[multiplier.group(1)]
        elif re.fullmatch(rf"[{_D}]{{4}}", literal) and 2400 <= value <= 2700:
            kind = "year_be"
            fiscal = bool(re.search(r"ปีงบประมาณ\s*(?:พ\.\s?ศ\.)?\s*$", before))
        elif re.fullmatch(rf"[{_D}]{{4}}", literal) and 1900 <= value <= 2100 and \
                re.search(r"(?:ค\.\s?ศ\.|[A-Za-z,(])\s*$", before):
            kind = "year_ce"
        found.append(Token(line=line, start=start, end=end, text=literal, kind=kind, value=value,
                           printed=printed, fiscal=fiscal, iso_date=dates.get(start)))
    for index in range(len(found) - 1):   # two numbers joined by a dash: each end of a range
        first, second = found[index], found[index + 1]
        if RANGE_DASH.fullmatch(text[first.end:second.start]) and first.kind != "dotted" != second.kind:
            found[index], found[index + 1] = replace(first, in_range=True), replace(second, in_range=True)
    return found


def tokens(lines: list[str]) -> list[Token]:
    """Every numeric token of a text given as physical lines (1-based line numbers)."""
    return [token for number, text in enumerate(lines, start=1) for token in tokens_of_line(text, number)]


def parse_date_in(text: str) -> date:
    """The one Thai date printed in a text ('… ลงวันที่ ๑๗ มีนาคม ๒๕๖๕') as a CE date."""
    matches = [m for m in DATE.finditer(text)]
    if len(matches) != 1:
        raise ValueError(f"expected one Thai date (day month BE-year) in {text!r}, found {len(matches)}")
    match = matches[0]
    return thai.parse_thai_date(f"{match.group(1)} {match.group(2)} {match.group(3)}")


def parse_multiplied(text: str) -> Decimal:
    """'๑๘ ล้าน' → 18000000, '1.5 พันล้าน' → 1500000000: a figure and its Thai multiplier word."""
    match = re.fullmatch(r"\s*(\S+?)" + _MULTIPLIER.pattern + r"\s*", text)
    if not match:
        raise ValueError(f"not a figure with a multiplier (ล้าน, พันล้าน…): {text!r}")
    return thai.parse_number(match.group(1)) * MULTIPLIERS[match.group(2)]
