"""Personal data: no names of people, phone numbers, personal e-mails or national ID numbers
in a dataset classed ข้อมูลสาธารณะ."""

from __future__ import annotations

import re
from functools import lru_cache

from publisher.extract import thai
from publisher.reports.registry import load_registry

# the data class that must hold no personal data (a dataset not validly classed counts as it)
PUBLIC = "ข้อมูลสาธารณะ"
PERSON_TITLES = ("นางสาว", "นาง", "นาย", "ดร.", "ว่าที่ร้อยตรี", "พลเอก", "พลโท", "พลตรี", "พันเอก", "พันโท",
                 "พันตรี", "ร้อยเอก", "ร้อยโท", "ร้อยตรี", "พลตำรวจเอก", "พลตำรวจโท", "พลตำรวจตรี", "พันตำรวจเอก",
                 "พันตำรวจโท", "พันตำรวจตรี", "ร้อยตำรวจเอก", "ร้อยตำรวจโท", "ร้อยตำรวจตรี", "นายแพทย์",
                 "แพทย์หญิง", "ศาสตราจารย์", "รองศาสตราจารย์", "ผู้ช่วยศาสตราจารย์")
# words that start like a title but are roles or common nouns, not names
NOT_NAMES = ("นายกรัฐมนตรี", "นายก", "นายจ้าง", "นายทะเบียน", "นายอำเภอ", "นายหน้า", "นายทหาร", "นายตำรวจ",
             "นายช่าง", "นายด่าน", "นางพยาบาล", "นาฬิกา")
_TITLE = "|".join(re.escape(t) for t in sorted(PERSON_TITLES, key=len, reverse=True))
PERSON = re.compile(rf"(?<![\u0e01-\u0e4f])(?:{_TITLE})\s?[\u0e01-\u0e4f]{{2,}}\s+[\u0e01-\u0e4f]{{2,}}")
PHONE = re.compile(r"(?<![\d,.])0\d{0,2}[ -]?\d{3,4}[ -]?\d{4}(?![\d,.])")
# starts only where a run of address characters starts, so a long run without an @ is read once
# (without the look-behind every position of the run was a new start: quadratic in its length)
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
NATIONAL_ID = re.compile(r"(?<!\d)\d[ -]?\d{4}[ -]?\d{5}[ -]?\d{2}[ -]?\d(?!\d)")
ROLE_MAILBOXES = ("saraban", "info", "contact", "admin", "webmaster", "support", "opendata", "report", "pr",
                  "service", "helpdesk", "callcenter", "noreply", "no-reply", "data", "gdcatalog", "secretariat",
                  "office", "ict", "it")


def _national_id_ok(digits: str) -> bool:
    total = sum(int(d) * (13 - i) for i, d in enumerate(digits[:12]))
    return (11 - total % 11) % 10 == int(digits[12])


@lru_cache(maxsize=1)
def known_surnames() -> frozenset[str]:
    """Surnames the vendored reports print after a title (นาย, นาง, ดร., ranks…): flagged
    anywhere, titled or not, since the same people also appear in untitled lists."""
    names = set()
    for report in load_registry().reports.values():
        if report.path.exists():
            for line in report.lines:
                for match in PERSON.finditer(line):
                    if not any(match.group(0).startswith(word) for word in NOT_NAMES):
                        surname = match.group(0).split()[-1]
                        if len(surname) >= 4:
                            names.add(surname)
    return frozenset(names)


def personal_data_in(text: str) -> list[tuple[str, str]]:
    """(rule, matched text) for each piece of personal data found in a cell."""
    hits = [("personal.name", surname) for surname in known_surnames()
            if surname in text and not PERSON.search(text)]
    for match in PERSON.finditer(text):
        if not any(match.group(0).startswith(word) for word in NOT_NAMES):
            hits.append(("personal.name", match.group(0)))
    arabic = thai.to_arabic_digits(text)
    for match in NATIONAL_ID.finditer(arabic):
        digits = re.sub(r"\D", "", match.group(0))
        if _national_id_ok(digits):
            hits.append(("personal.national-id", match.group(0)))
    for match in PHONE.finditer(arabic):
        if len(re.sub(r"\D", "", match.group(0))) in (9, 10):
            hits.append(("personal.phone", match.group(0)))
    for match in EMAIL.finditer(text):
        if match.group(0).split("@")[0].lower() not in ROLE_MAILBOXES:
            hits.append(("personal.email", match.group(0)))
    return hits


# A cell can hold personal data only if it has Thai letters (names, titles), an @ (e-mail) or at
# least nine digits (phone and ID numbers); in a file of ASCII only, only digits laid out as a phone
# or ID number (personal_data_in's patterns without their look-arounds). Only such cells are read
# by personal_data_in; the others cannot give a finding.
PERSONAL_DATA_CANDIDATE = r"(?s)[\x{0E00}-\x{0E7F}@]|(?:\p{Nd}.*?){9}"
ASCII_NUMBER_CANDIDATE = r"0[0-9]{0,2}[ -]?[0-9]{3,4}[ -]?[0-9]{4}|[0-9][ -]?[0-9]{4}[ -]?[0-9]{5}[ -]?[0-9]{2}[ -]?[0-9]"


def personal_data_candidates(column, ascii_only: bool):
    """The mask of a pyarrow column's cells that may hold personal data (see above)."""
    import pyarrow.compute as pc

    if not ascii_only:
        return pc.match_substring_regex(column, PERSONAL_DATA_CANDIDATE)
    long_enough = pc.greater_equal(pc.utf8_length(column), 9)
    numbers = pc.and_(long_enough, pc.match_substring_regex(pc.if_else(long_enough, column, ""),
                                                            ASCII_NUMBER_CANDIDATE))
    return pc.or_(pc.match_substring(column, "@"), numbers)
