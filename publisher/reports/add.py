"""``reports add``: a report file becomes a registered text in reports/, with a sidecar that
says how it was read, and an entry in reports/registry.json.

Everything is checked before anything is written, and the three files are written so that a
failure part way leaves reports/ as it was: the text and sidecar first, the registry last,
each through a temporary file and an atomic rename, removed again if a later step fails.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from publisher.reports.document import IntakeError
from publisher.reports.intake import read_report

THAI_MONTHS = ("มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
               "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม")
_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_DOCUMENT_NUMBER = re.compile(r"^\s*#*\s*ที่\s+([ก-ฮ]{1,4}\s*[0-9๐-๙.]+\s*/\s*[ว]?\s*[0-9๐-๙]+)")
_DATE = re.compile(r"(?<![0-9๐-๙])([0-9๐-๙]{1,2})\s+(" + "|".join(THAI_MONTHS) + r")\s+(?:พ\.\s?ศ\.\s*)?([0-9๐-๙]{4})")
_NUMBER = re.compile(r"[0-9๐-๙](?:[0-9๐-๙,.]*[0-9๐-๙])?")
HEAD_LINES = 40                    # where a letter states its number, date and subject


@dataclass
class Added:
    id: str
    text_path: Path
    sidecar_path: Path
    entry: dict
    notes: list[str] = field(default_factory=list)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def slug(text: str) -> str:
    cleaned = re.sub(r"[^0-9a-z]+", "-", text.lower()).strip("-")
    return cleaned[:60].strip("-")


def detect(text: str) -> dict:
    """Document number, date and title where the head of the text states them."""
    head = text.split("\n")[:HEAD_LINES]
    found: dict = {}
    for number, line in enumerate(head, start=1):
        match = _DOCUMENT_NUMBER.match(line)
        if match and "document_number" not in found:
            found["document_number"] = " ".join(match.group(1).split())
        match = _DATE.search(line)
        if match and "date_text" not in found:
            day, month, year_be = match.group(1), match.group(2), int(match.group(3).translate(_DIGITS))
            if 2400 <= year_be <= 2700:
                month_number, day_number = THAI_MONTHS.index(month) + 1, int(day.translate(_DIGITS))
                found.update(date_text=match.group(0), date_line=number,
                             date_be=f"{year_be}-{month_number:02d}-{day_number:02d}",
                             date_ce=f"{year_be - 543}-{month_number:02d}-{day_number:02d}")
        subject = re.match(r"^\s*เรื่อง\s+(.+)$", line)
        if subject and "title_th" not in found:
            found["title_th"] = subject.group(1).strip()
    if "title_th" not in found:
        first = next((line.lstrip("# ").strip() for line in head if line.strip()), "")
        if first:
            found["title_th"] = first
    return found


def _detect_agency(text: str, agencies: list[dict]) -> str | None:
    head = "\n".join(text.split("\n")[:HEAD_LINES])
    for agency in agencies:
        names = [agency.get("title_th", ""), agency.get("abbreviation_th", "")]
        if any(name and name in head for name in names):
            return agency["id"]
    return None


def _write_atomic(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def add_report(source: Path, reports_dir: Path, report_id: str | None = None, agency: str | None = None,
               title_th: str | None = None, title_en: str | None = None) -> Added:
    registry_path = reports_dir / "registry.json"
    registry = json.loads(registry_path.read_text(encoding="utf-8"))
    original = source.read_bytes() if source.is_file() else b""
    original_sha = sha256(original)
    for entry in registry["reports"]:
        if entry.get("original_sha256") == original_sha or entry.get("sha256") == original_sha:
            raise IntakeError(source, f"this file is already registered as report {entry['id']!r} ({entry['file']})",
                              f"use that id in recipes; to replace the report, remove entry {entry['id']!r} first")
    kind, document, rendered = read_report(source)
    text = rendered.text.encode("utf-8")
    text_sha = sha256(text)
    for entry in registry["reports"]:
        if entry.get("sha256") == text_sha:
            raise IntakeError(source, f"its text is already registered as report {entry['id']!r} ({entry['file']})",
                              "use that id in recipes")
    report_id = report_id or slug(source.stem) or f"report-{text_sha[:8]}"
    if any(entry["id"] == report_id for entry in registry["reports"]):
        raise IntakeError(source, f"report id {report_id!r} is taken", "choose another with --id")
    found = detect(rendered.text)
    agencies = registry.get("agencies", [])
    stated = _detect_agency(rendered.text, agencies)
    agency = agency or stated
    known = [a["id"] for a in agencies]
    if agency is None:
        raise IntakeError(source, "the issuing agency is not stated in the head of the text",
                          f"give --agency with one of {known}")
    if agency not in known:
        raise IntakeError(source, f"unknown agency {agency!r}",
                          f"use one of {known}, or add it to {registry_path} under agencies first")
    stem = slug(source.stem)
    file_name = f"{report_id}.txt" if stem in ("", report_id) or report_id.endswith(stem) else f"{report_id}-{stem}.txt"
    text_path = reports_dir / file_name
    sidecar_path = reports_dir / (Path(file_name).stem + ".extraction.json")
    for path in (text_path, sidecar_path):
        if path.exists():
            raise IntakeError(source, f"{path} already exists", "choose another id with --id")
    notes = list(document.notes)
    if not title_en:
        notes.append("no English title: give --title-en, or fill title_en in the registry")
    entry = {
        "id": report_id, "file": file_name, "original_file": source.name, "original_sha256": original_sha,
        "sha256": text_sha, "format": kind,
        "title_th": title_th or found.get("title_th", source.stem), "title_en": title_en or "",
        "agency": agency, "agency_stated": stated == agency,
        **{key: found[key] for key in ("document_number", "date_text", "date_line", "date_be", "date_ce") if key in found},
        "extracted_with": {"tool": document.tool, "version": document.tool_version},
        "extraction": sidecar_path.name,
    }
    lines = rendered.text.split("\n")
    sidecar = {
        "report": report_id, "source_file": source.name, "source_sha256": original_sha, "format": kind,
        "text_sha256": text_sha, "tool": document.tool, "tool_version": document.tool_version,
        "pages": document.pages, "ocr_pages": document.ocr_pages, "notes": notes,
        "ocr_lines": [{"line": number, "page": page, "text": lines[number - 1],
                       "numbers": _NUMBER.findall(lines[number - 1])} for number, page in rendered.ocr_lines],
    }
    registry["reports"].append(entry)
    written: list[Path] = []
    try:
        for path, data in ((text_path, text),
                           (sidecar_path, (json.dumps(sidecar, ensure_ascii=False, indent=2) + "\n").encode()),):
            _write_atomic(path, data)
            written.append(path)
        _write_atomic(registry_path, (json.dumps(registry, ensure_ascii=False, indent=2) + "\n").encode())
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return Added(id=report_id, text_path=text_path, sidecar_path=sidecar_path, entry=entry, notes=notes)


def ocr_lines(report_path: Path) -> dict[int, dict]:
    """The lines of a registered text that OCR read, by line number (empty without a sidecar)."""
    sidecar = report_path.with_name(report_path.stem + ".extraction.json")
    if not sidecar.exists():
        return {}
    return {item["line"]: item for item in json.loads(sidecar.read_text(encoding="utf-8")).get("ocr_lines", [])}
