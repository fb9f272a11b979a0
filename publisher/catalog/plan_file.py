"""A saved plan (``plan --json > plan.json``) read back as a stream, for ``sync --plan``.

Only the plan's digest is needed, so its steps are read one at a time and hashed, never held:
the plan of 10,000 datasets costs no more memory than that of ten. Any JSON layout is read
(the file may have been pretty-printed or edited); the steps are found under ``plan`` (the
output of ``plan --json``) or at the top (a bare plan).
"""

from __future__ import annotations

import json
from pathlib import Path

from publisher.catalog.plan import StepDigest

CHUNK = 1 << 16
_decoder = json.JSONDecoder()


class PlanFileError(ValueError):
    pass


class _Reader:
    """JSON values read off a file a few at a time (``raw_decode`` over a refilled buffer)."""

    def __init__(self, handle) -> None:
        self.handle, self.buffer, self.at, self.ended = handle, "", 0, False

    def _fill(self) -> bool:
        chunk = "" if self.ended else self.handle.read(CHUNK)
        if not chunk:
            self.ended = True
            return False
        self.buffer = self.buffer[self.at:] + chunk
        self.at = 0
        return True

    def peek(self) -> str:
        while True:
            while self.at < len(self.buffer) and self.buffer[self.at] in " \t\r\n":
                self.at += 1
            if self.at < len(self.buffer):
                return self.buffer[self.at]
            if not self._fill():
                raise PlanFileError("the file ends inside the plan")

    def take(self, char: str) -> None:
        if self.peek() != char:
            raise PlanFileError(f"expected {char!r} at {self.buffer[self.at:self.at + 40]!r}")
        self.at += 1

    def value(self):
        self.peek()
        while True:
            try:
                value, end = _decoder.raw_decode(self.buffer, self.at)
            except json.JSONDecodeError:
                if self._fill():
                    continue
                raise PlanFileError("not valid JSON") from None
            if end == len(self.buffer) and not self.ended and self._fill():
                continue      # a number may go on in the next chunk
            self.at = end
            return value

    def members(self):
        """The keys of the object that starts here; the caller reads or skips each value."""
        self.take("{")
        if self.peek() == "}":
            self.at += 1
            return
        while True:
            key = self.value()
            self.take(":")
            yield key
            if self.peek() == ",":
                self.at += 1
                continue
            self.take("}")
            return

    def items(self):
        self.take("[")
        if self.peek() == "]":
            self.at += 1
            return
        while True:
            yield self.value()
            if self.peek() == ",":
                self.at += 1
                continue
            self.take("]")
            return


def saved_digest(path: Path) -> str:
    """The digest of the plan saved in ``path``, its steps read one at a time."""
    hasher = StepDigest()
    found = False
    try:
        with open(path, encoding="utf-8") as handle:
            reader = _Reader(handle)
            for key in reader.members():
                if key == "plan" and reader.peek() == "{":
                    for inner in reader.members():
                        found |= _steps(reader, inner, hasher)
                else:
                    found |= _steps(reader, key, hasher)
    except (KeyError, TypeError, AttributeError) as exc:
        raise PlanFileError(f"a step lacks {exc}") from None
    if not found:
        raise PlanFileError("no plan in it")
    return hasher.hexdigest()


def _steps(reader: _Reader, key: str, hasher: StepDigest) -> bool:
    if key == "owners":
        for step in reader.items():
            hasher.owner(step)
        return True
    if key == "datasets":
        for step in reader.items():
            hasher.dataset(step)
        return True
    reader.value()
    return False
