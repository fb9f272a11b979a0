"""Pages without a text layer, read by OCR: poppler's pdftoppm renders the page, Debian's
tesseract with its Thai model reads it. Both come from stack/install-report-tools.sh.

``PUBLISHER_TESSERACT`` names another tesseract binary (or a missing one, to see how a
report without OCR is handled)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

# 200 dpi and one uniform block of text (page segmentation mode 6) read Thai digits better
# than 300 dpi and mode 4 with Debian's Thai model: its lines are scaled down less, and ๖ is
# taken for ๒ less often (bench/ocr_bench.py measures both side by side).
RESOLUTION = 200
PAGE_SEGMENTATION = 6
LANGUAGES = "tha+eng"


def tesseract() -> str | None:
    name = os.environ.get("PUBLISHER_TESSERACT", "tesseract")
    return shutil.which(name)


def available() -> bool:
    return tesseract() is not None and shutil.which("pdftoppm") is not None


def version() -> str:
    binary = tesseract()
    if binary is None:
        return "not installed"
    result = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60)
    return (result.stdout or result.stderr).splitlines()[0].strip()


def render_page(pdf: Path, page: int, directory: Path, resolution: int = RESOLUTION) -> Path:
    prefix = directory / f"page-{page}"
    subprocess.run(["pdftoppm", "-r", str(resolution), "-f", str(page), "-l", str(page), "-png",
                    "-singlefile", str(pdf), str(prefix)], check=True, capture_output=True, timeout=300)
    return prefix.with_suffix(".png")


def read_image(image: Path, page_segmentation: int = PAGE_SEGMENTATION) -> str:
    binary = tesseract()
    if binary is None:
        raise RuntimeError("tesseract is not installed: run stack/install-report-tools.sh")
    result = subprocess.run([binary, str(image), "stdout", "-l", LANGUAGES, "--psm", str(page_segmentation)],
                            capture_output=True, text=True, timeout=600, check=True)
    return result.stdout


def paragraphs(text: str) -> list[str]:
    """tesseract's lines, joined into paragraphs at its blank lines (Thai joined without a space)."""
    from_lines: list[str] = []
    current: list[str] = []
    for line in text.splitlines() + [""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            from_lines.append(_join(current))
            current = []
    return from_lines


def _join(lines: list[str]) -> str:
    text = ""
    for line in lines:
        if text and "\u0e00" <= text[-1] <= "\u0e7f" and "\u0e00" <= line[0] <= "\u0e7f":
            text += line
        else:
            text = f"{text} {line}".strip()
    return text


def read_page(pdf: Path, page: int) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="publisher-ocr-") as tmp:
        return paragraphs(read_image(render_page(pdf, page, Path(tmp))))
