"""What a check reports: a Finding (rule, package, file, row, field) and the Result of a run,
with the rule catalogue (schemas/validation/rules.json) that gives each rule its severity,
titles and fix hints; and the text and path forms every check shares."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from publisher.settings import shipped_schema

RULES_FILE = shipped_schema("validation/rules.json")
# ำ typed as nikhahit + sara aa (a tone mark may sit either side of the nikhahit); NFC keeps it
# decomposed, since U+0E33 has only a compatibility decomposition
_SARA_AM = re.compile("([\u0e48-\u0e4b]?)\u0e4d([\u0e48-\u0e4b]?)\u0e32")


def canonical(text: str) -> str:
    """NFC, with a decomposed sara am composed as U+0E33."""
    return _SARA_AM.sub("\\1\\2\u0e33", unicodedata.normalize("NFC", text))


@lru_cache(maxsize=1)
def rules() -> dict[str, dict]:
    return json.loads(RULES_FILE.read_text(encoding="utf-8"))["rules"]


@dataclass(frozen=True)
class Finding:
    rule: str
    package: str
    file: str
    message: str
    row: int | None = None      # the CSV's physical row (the header is row 1)
    field: str | None = None

    @property
    def severity(self) -> str:
        return rules()[self.rule]["severity"]

    def title(self, lang: str = "en") -> str:
        return rules()[self.rule][f"title_{lang}"]

    def hint(self, lang: str = "en") -> str:
        return rules()[self.rule][f"hint_{lang}"]

    def as_dict(self, lang: str = "en") -> dict:
        return {**asdict(self), "severity": self.severity, "title": self.title(lang), "hint": self.hint(lang)}


@dataclass
class Result:
    packages: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    def valid(self, strict: bool = False) -> bool:
        return not (self.findings if strict else self.errors())

    def invalid_packages(self, strict: bool = False) -> set[str]:
        return {f.package for f in self.findings if strict or f.severity == "error"}


def relative_path(path: Path) -> str:
    """A file as findings name it: relative to the working directory when it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
