"""OCR benchmark: how well tesseract (tha+eng) reads Thai report pages.

The benchmark makes its own PDFs: the text of vendored reports (prose, headings and tab
tables as real tables) as HTML, converted by LibreOffice headless to DOCX and then PDF with
Debian's Thai font Laksaman (TH Sarabun's metric twin). Each page is rendered with pdftoppm
at 300 dpi and read by the same function ``publisher reports add`` uses for scanned pages.
The truth for a page is its PDF text layer (pdftotext), which LibreOffice writes exactly.

Printed per page and in total:
- character error rate: Levenshtein distance / reference length, whitespace removed (Thai
  is written without spaces between words, so spacing is not counted);
- numbers read right: the share of the reference's numeric tokens (publisher's tokeniser)
  that OCR printed identically, digits and separators included; and the share whose value
  is right once Thai and Arabic digits are treated alike.

    .venv/bin/python bench/ocr_bench.py                 # reports 000 and 004, the first 12 pages
    .venv/bin/python bench/ocr_bench.py --pages 20 --reports 000 001 003

Writes bench/results/ocr.json (git-ignored). Exit 2 when LibreOffice, pdftoppm or tesseract is
missing (stack/install-report-tools.sh installs them).
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from publisher.extract import thai  # noqa: E402
from publisher.extract.numbers import tokens  # noqa: E402
from publisher.reports import ocr  # noqa: E402
from publisher.reports.registry import load_registry  # noqa: E402
from publisher.validate.findings import canonical  # noqa: E402

FONT = "Laksaman"
RESULTS = ROOT / "bench" / "results" / "ocr.json"


def to_html(text: str) -> str:
    body, rows = [], []
    for line in text.split("\n") + [""]:
        if "\t" in line:
            rows.append("".join(f"<td>{html.escape(c)}</td>" for c in line.split("\t")))
            continue
        if rows:
            body.append('<table border="1" cellspacing="0">' + "".join(f"<tr>{r}</tr>" for r in rows) + "</table>")
            rows = []
        heading = re.match(r"(#{1,6}) (.*)", line)
        if heading:
            body.append(f"<h{len(heading.group(1))}>{html.escape(heading.group(2))}</h{len(heading.group(1))}>")
        elif line.strip():
            body.append(f"<p>{html.escape(thai.strip_markup(line))}</p>")
    return (f'<html><head><meta charset="utf-8"><style>body{{font-family:"{FONT}";font-size:16pt}}'
            f'td{{font-size:14pt}}</style></head><body>' + "\n".join(body) + "</body></html>")


def make_pdfs(report_ids: list[str], folder: Path) -> list[Path]:
    registry = load_registry()
    sources = []
    for report_id in report_ids:
        source = folder / f"{report_id}.html"
        source.write_text(to_html(registry.report(report_id).text), encoding="utf-8")
        sources.append(source)
    profile = f"-env:UserInstallation=file://{folder / 'lo-profile'}"
    for target, inputs in (("docx:MS Word 2007 XML", sources), ("pdf", [s.with_suffix(".docx") for s in sources])):
        subprocess.run(["soffice", profile, "--headless", "--convert-to", target, "--outdir", str(folder),
                        *map(str, inputs)], check=True, capture_output=True, timeout=1800)
    return [s.with_suffix(".pdf") for s in sources]


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def reference(pdf: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", canonical(text))


def levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def number_texts(text: str) -> Counter:
    return Counter(t.text for t in tokens(text.split("\n")))


def score_page(truth: str, read: str) -> dict:
    a, b = squeeze(truth), squeeze(read)
    wanted, got = number_texts(truth), number_texts(read)
    values_wanted = Counter(thai.to_arabic_digits(k) for k in wanted.elements())
    values_got = Counter(thai.to_arabic_digits(k) for k in got.elements())
    thai_wanted = Counter({k: n for k, n in wanted.items() if re.search("[๐-๙]", k)})
    return {"characters": len(a), "errors": levenshtein(a, b), "numbers": sum(wanted.values()),
            "numbers_right": sum((wanted & got).values()), "values_right": sum((values_wanted & values_got).values()),
            "thai_digit_numbers": sum(thai_wanted.values()), "thai_digit_numbers_right": sum((thai_wanted & got).values())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", nargs="+", default=["000", "004"])
    parser.add_argument("--pages", type=int, default=12, help="pages to read in all (at least 10)")
    args = parser.parse_args()
    missing = [tool for tool in ("soffice", "pdftoppm", "pdftotext", "pdfinfo") if not shutil.which(tool)]
    if missing or not ocr.available():
        print(f"missing: {missing or ['tesseract']}; run stack/install-report-tools.sh", file=sys.stderr)
        return 2
    pages = []
    with tempfile.TemporaryDirectory(prefix="ocr-bench-") as tmp:   # absolute: LibreOffice's profile URL needs it
        pdfs = make_pdfs(args.reports, Path(tmp))
        todo = [(pdf, n) for pdf in pdfs for n in range(1, page_count(pdf) + 1)][:args.pages]
        for pdf, number in todo:
            image = ocr.render_page(pdf, number, Path(tmp))
            result = {"pdf": pdf.stem, "page": number, **score_page(reference(pdf, number), ocr.read_image(image))}
            pages.append(result)
            print(f"{pdf.stem} p{number}: CER {result['errors'] / max(result['characters'], 1):.3f}, numbers "
                  f"{result['numbers_right']}/{result['numbers']} exact, {result['values_right']} by value",
                  file=sys.stderr)
    total = {key: sum(p[key] for p in pages) for key in ("characters", "errors", "numbers", "numbers_right",
                                                          "values_right", "thai_digit_numbers",
                                                          "thai_digit_numbers_right")}
    summary = {"tool": ocr.version(), "languages": ocr.LANGUAGES, "resolution_dpi": ocr.RESOLUTION, "font": FONT,
               "pages": len(pages), "character_error_rate": round(total["errors"] / max(total["characters"], 1), 4),
               "numbers_read_right": round(total["numbers_right"] / max(total["numbers"], 1), 4),
               "number_values_read_right": round(total["values_right"] / max(total["numbers"], 1), 4),
               "thai_digit_numbers_read_right": round(total["thai_digit_numbers_right"]
                                                      / max(total["thai_digit_numbers"], 1), 4),
               "arabic_digit_numbers_read_right": round((total["numbers_right"] - total["thai_digit_numbers_right"])
                                                        / max(total["numbers"] - total["thai_digit_numbers"], 1), 4),
               **total, "per_page": pages}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in summary.items() if k != "per_page"}, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
