"""Report files the tests make themselves: a vendored report's text as HTML (one <p> per line,
tab rows as a real table, # lines as headings), then DOCX and PDF of it by LibreOffice headless
with Debian's Thai fonts. Conversions are slow, so each is made once and cached under the temp
folder, keyed by the text and this file's recipe."""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

CACHE = Path(tempfile.gettempdir()) / "publisher-report-files"
FONT = "Laksaman"          # fonts-thai-tlwg's metric twin of TH Sarabun, the Thai government font
RECIPE_VERSION = "1"


def to_html(text: str, title: str = "report") -> str:
    out = [f'<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
           f'<style>body{{font-family:"{FONT}";font-size:16pt}} td{{font-size:14pt}}</style></head><body>']
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index].rstrip()
        if not line.strip():
            index += 1
            continue
        if "\t" in line:
            rows = []
            while index < len(lines) and ("\t" in lines[index] or (not lines[index].strip() and index + 1 < len(lines)
                                                                   and "\t" in lines[index + 1])):
                if "\t" in lines[index]:
                    rows.append(lines[index].rstrip(" ").split("\t"))
                index += 1
            width = max(len(r) for r in rows)
            out.append('<table border="1" cellspacing="0" cellpadding="2" width="100%">')
            for row in rows:
                cells = "".join(f"<td>{html.escape(c)}</td>" for c in row + [""] * (width - len(row)))
                out.append(f'<tr style="page-break-inside:avoid">{cells}</tr>')
            out.append("</table>")
            continue
        heading = re.match(r"(#{1,6}) (.*)", line)
        if heading:
            level = len(heading.group(1))
            out.append(f"<h{level}>{html.escape(heading.group(2))}</h{level}>")
        else:
            out.append(f"<p>{html.escape(line)}</p>")
        index += 1
    out.append("</body></html>")
    return "\n".join(out)


def soffice_available() -> bool:
    return shutil.which("soffice") is not None


def _convert(sources: list[Path], target: str, outdir: Path) -> None:
    profile = CACHE / "lo-profile"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", target,
                    "--outdir", str(outdir), *map(str, sources)], check=True, capture_output=True, timeout=900)


def make_files(texts: dict[str, str]) -> dict[str, dict[str, Path]]:
    """{name: text} → {name: {"html": …, "docx": …, "pdf": …}}, made in one LibreOffice run per format."""
    made: dict[str, dict[str, Path]] = {}
    todo: list[tuple[str, Path]] = []
    for name, text in texts.items():
        key = hashlib.sha256((RECIPE_VERSION + FONT + text).encode()).hexdigest()[:16]
        folder = CACHE / key
        folder.mkdir(parents=True, exist_ok=True)
        source = folder / f"{name}.html"
        if not source.exists():
            source.write_text(to_html(text, name), encoding="utf-8")
        made[name] = {"html": source, "docx": folder / f"{name}.docx", "pdf": folder / f"{name}.pdf"}
        todo.append((name, folder))
    for fmt, target, source_fmt in (("docx", "docx:MS Word 2007 XML", "html"), ("pdf", "pdf", "docx")):
        missing = [name for name, _ in todo if not made[name][fmt].exists()]
        by_folder: dict[Path, list[Path]] = {}
        for name in missing:
            by_folder.setdefault(made[name][fmt].parent, []).append(made[name][source_fmt])
        for folder, sources in by_folder.items():
            _convert(sources, target, folder)
    return made


def one_report_folder(tmp_path: Path, text: str, title_th: str, title_en: str) -> Path:
    """A reports folder whose registry (the project's, its agencies kept) holds one report of the
    test's own, ``scan``, with ``text`` as its text."""
    folder = tmp_path / "reports"
    folder.mkdir(exist_ok=True)
    registry = json.loads((Path(__file__).resolve().parents[1] / "reports" / "registry.json").read_text(encoding="utf-8"))
    data = text.encode("utf-8")
    (folder / "scan.txt").write_bytes(data)
    registry["reports"] = [{"id": "scan", "file": "scan.txt", "sha256": hashlib.sha256(data).hexdigest(),
                            "title_th": title_th, "title_en": title_en, "agency": "opdc"}]
    (folder / "registry.json").write_text(json.dumps(registry, ensure_ascii=False), encoding="utf-8")
    return folder
