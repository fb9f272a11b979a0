"""publisher reports add: every format in, repaired Thai, a registry entry, clear refusals."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pytest

from publisher.reports.add import add_report, detect
from publisher.reports.document import IntakeError
from publisher.reports.repair import repair_thai
from tests.conftest import ROOT, publisher
from tests.report_files import make_files, soffice_available

LETTER = "\n".join([
    "# ด่วนที่สุด", "", "ที่ นร ๑๒๐๐/๙๙", "", "สำนักงาน ก.พ.ร.", "", "๓ กันยายน ๒๕๖๕", "",
    "เรื่อง รายงานผลการให้บริการอิเล็กทรอนิกส์ของภาครัฐ", "",
    "ในปีงบประมาณ พ.ศ. ๒๕๖๔ ส่วนราชการให้บริการผ่านระบบอิเล็กทรอนิกส์แล้ว ๒,๑๘๑ งานบริการ คิดเป็นร้อยละ ๘๗.๕ "
    "ของงานบริการทั้งหมด และมีผู้ใช้บริการกว่า ๑๘ ล้านครั้ง",
    "", "ตาราง ๑ งานบริการจำแนกตามปี", "", "ปี\tจำนวนงานบริการ", "๒๕๖๓\t๑,๒๐๙", "๒๕๖๔\t๒,๑๘๑",
])


def registry_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "reports"
    folder.mkdir()
    shutil.copy(ROOT / "reports" / "registry.json", folder / "registry.json")
    return folder


def snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


# --- Thai repair -----------------------------------------------------------------------

@pytest.mark.parametrize("broken, fixed", [
    ("\u0e2a\u0e4d\u0e32\u0e19\u0e31\u0e01", "สำนัก"),              # nikhahit + sara aa
    ("\u0e19\u0e4d\u0e49\u0e32", "น้ำ"),                            # nikhahit, tone, sara aa
    ("สำานักงาน", "สำนักงาน"),                                       # a stray sara aa after sara am
    ("เรื ่อง", "เรื่อง"),                                           # a space before a tone mark
    ("\u0e1b\uf70a\u0e32", "ป่า"),                                   # a PUA tone mark
    ("\u0e1c\uf718\uf70b", "ผุ้"),                                   # PUA vowel below + tone
    ("\u0e01\u0e48\u0e34", "กิ่"),                                   # tone before vowel: swapped
    ("\u0e40\u0e40\u0e25\u0e30", "และ"),                             # two sara e for sara ae
    ("ร้อยละ ๕๖.๔๑", "ร้อยละ ๕๖.๔๑"),                                 # Thai digits kept
])
def test_thai_repair(broken, fixed):
    assert repair_thai(broken) == fixed
    assert repair_thai(fixed) == fixed


def test_repair_leaves_every_vendored_report_as_it_is():
    for path in sorted((ROOT / "reports").glob("*.txt")):
        for line in path.read_text(encoding="utf-8").split("\n"):
            assert repair_thai(line) == line, (path.name, line[:80])


def test_detect_reads_number_date_and_subject():
    found = detect(LETTER)
    assert found["document_number"] == "นร ๑๒๐๐/๙๙"
    assert (found["date_be"], found["date_ce"], found["date_line"]) == ("2565-09-03", "2022-09-03", 7)
    assert found["title_th"] == "รายงานผลการให้บริการอิเล็กทรอนิกส์ของภาครัฐ"


# --- each format ------------------------------------------------------------------------

def _docx_of(text: str, path: Path) -> Path:
    document = docx.Document()
    lines = [line for line in text.split("\n") if line.strip()]
    rows = [line.split("\t") for line in lines if "\t" in line]
    for line in lines:
        if "\t" in line:
            continue
        if line.startswith("# "):
            document.add_heading(line[2:], level=1)
        else:
            document.add_paragraph(line)
    table = document.add_table(rows=len(rows), cols=2)
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            table.cell(r, c).text = cell
    header = document.sections[0].header.paragraphs[0]
    header.text = "รายงานผลการให้บริการ หน้า ๑"   # a running header: never in the text
    document.save(str(path))
    return path


@pytest.mark.parametrize("kind", ["txt", "html", "docx"])
def test_add_registers_text_and_entry(tmp_path, kind):
    folder = registry_copy(tmp_path)
    source = tmp_path / f"letter.{kind}"
    if kind == "txt":
        source.write_text(LETTER, encoding="utf-8")
    elif kind == "html":
        from tests.report_files import to_html
        source.write_text(to_html(LETTER), encoding="utf-8")
    else:
        _docx_of(LETTER, source)
    added = add_report(source, folder, report_id="letter-99", title_en="E-services report")
    text = added.text_path.read_text(encoding="utf-8")
    assert "ส่วนราชการให้บริการผ่านระบบอิเล็กทรอนิกส์แล้ว ๒,๑๘๑ งานบริการ" in text
    assert "๒๕๖๔\t๒,๑๘๑" in text
    assert "หน้า ๑" not in text
    entry = json.loads((folder / "registry.json").read_text(encoding="utf-8"))["reports"][-1]
    assert entry["id"] == "letter-99" and entry["format"] == kind and entry["agency"] == "opdc"
    assert entry["original_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert entry["sha256"] == hashlib.sha256(added.text_path.read_bytes()).hexdigest()
    assert entry["document_number"] == "นร ๑๒๐๐/๙๙" and entry["date_ce"] == "2022-09-03"
    assert entry["extracted_with"]["tool"] and entry["extracted_with"]["version"]
    from publisher.reports.registry import load_registry
    report = load_registry(folder).report("letter-99")
    assert report.locate("ตาราง ๑ งานบริการจำแนกตามปี") > 0


needs_soffice = pytest.mark.skipif(not soffice_available(), reason="run stack/install-report-tools.sh")


@pytest.fixture(scope="module")
def letter_files() -> dict[str, Path]:
    if not soffice_available():
        pytest.skip("LibreOffice missing: run stack/install-report-tools.sh")
    return make_files({"letter": LETTER})["letter"]


def test_add_pdf_through_the_cli(tmp_path, letter_files):
    folder = registry_copy(tmp_path)
    result = publisher("reports", "add", str(letter_files["pdf"]), "--id", "letter-pdf", "--reports-dir", str(folder),
                       "--json")
    report = json.loads(result.stdout)
    text = Path(report["text"]).read_text(encoding="utf-8")
    assert "๒,๑๘๑ งานบริการ คิดเป็นร้อยละ ๘๗.๕" in text
    assert "๒๕๖๔\t๒,๑๘๑" in text
    assert report["entry"]["format"] == "pdf" and "pypdfium2" in report["entry"]["extracted_with"]["version"]


def test_a_pdf_with_pua_glyphs_and_split_sara_am_comes_out_repaired(tmp_path, letter_files):
    """The PDF's text layer is rewritten the way old Thai fonts write it: tone marks in the
    Private Use Area, sara am as nikhahit + sara aa."""
    if shutil.which("qpdf") is None:
        pytest.skip("qpdf missing: run stack/install-report-tools.sh")
    broken = tmp_path / "broken.pdf"
    _break_text_layer(letter_files["pdf"], broken, tmp_path)
    import pypdfium2
    raw = pypdfium2.PdfDocument(str(broken))[0].get_textpage().get_text_range()
    assert "\uf70b" in raw or "\u0e4d\u0e32" in raw  # the layer really is broken
    folder = registry_copy(tmp_path)
    added = add_report(broken, folder, report_id="broken")
    text = added.text_path.read_text(encoding="utf-8")
    assert "\u0e4d\u0e32" not in text and not any("\uf700" <= c <= "\uf71a" for c in text)
    assert "คิดเป็นร้อยละ ๘๗.๕" in text and "สำนักงาน ก.พ.ร." in text


def _break_text_layer(source: Path, target: Path, tmp: Path) -> None:
    """Rewrite each embedded font's ToUnicode map: ้ (U+0E49) → U+F70B, ำ (U+0E33) → ํ + า."""
    qdf = tmp / "qdf.pdf"
    subprocess.run(["qpdf", "--qdf", "--object-streams=disable", str(source), str(qdf)], check=True)
    data = qdf.read_bytes()

    def rewrite(match: re.Match) -> bytes:
        body = match.group(0)
        body = body.replace(b"<0E49>", b"<F70B>").replace(b"<0e49>", b"<f70b>")
        body = body.replace(b"<0E33>", b"<0E4D0E32>").replace(b"<0e33>", b"<0e4d0e32>")
        return body
    data = re.sub(rb"beginbfchar.*?endbfchar|beginbfrange.*?endbfrange", rewrite, data, flags=re.S)
    qdf.write_bytes(data)
    fixed = tmp / "fixed.pdf"
    subprocess.run(["fix-qdf"], stdin=qdf.open("rb"), stdout=fixed.open("wb"), check=True)
    subprocess.run(["qpdf", str(fixed), str(target)], check=True)


# --- refusals: exit 1, nothing written --------------------------------------------------

def _zip_bomb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (64 * 1024 * 1024))
    return path


def _empty_docx(path: Path) -> Path:
    docx.Document().save(str(path))
    return path


def _image_only_pdf(source_pdf: Path, path: Path, tmp: Path) -> Path:
    from PIL import Image
    subprocess.run(["pdftoppm", "-r", "60", "-f", "1", "-l", "1", "-png", "-singlefile", str(source_pdf),
                    str(tmp / "page")], check=True)
    Image.open(tmp / "page.png").convert("RGB").save(path, "PDF")
    return path


@pytest.mark.parametrize("case", ["empty", "corrupt-pdf", "encrypted-pdf", "zip-bomb", "docx-without-text",
                                  "image-only-without-ocr", "already-registered"])
def test_bad_input_is_refused_and_nothing_is_written(tmp_path, case, letter_files):
    folder = registry_copy(tmp_path)
    env_extra = {}
    if case == "empty":
        source = tmp_path / "empty.pdf"
        source.write_bytes(b"")
    elif case == "corrupt-pdf":
        source = tmp_path / "corrupt.pdf"
        source.write_bytes(letter_files["pdf"].read_bytes()[:700])
    elif case == "encrypted-pdf":
        source = tmp_path / "encrypted.pdf"
        subprocess.run(["qpdf", "--encrypt", "secret", "owner", "256", "--", str(letter_files["pdf"]), str(source)],
                       check=True)
    elif case == "zip-bomb":
        source = _zip_bomb(tmp_path / "bomb.docx")
    elif case == "docx-without-text":
        source = _empty_docx(tmp_path / "blank.docx")
    elif case == "image-only-without-ocr":
        source = _image_only_pdf(letter_files["pdf"], tmp_path / "scan.pdf", tmp_path)
        env_extra["PUBLISHER_TESSERACT"] = str(tmp_path / "no-tesseract")
    else:
        source = tmp_path / "letter.txt"
        source.write_text(LETTER, encoding="utf-8")
        publisher("reports", "add", str(source), "--id", "first", "--reports-dir", str(folder))
    before = snapshot(folder)
    env = {**os.environ, **env_extra}
    result = subprocess.run([sys.executable, "-m", "publisher", "reports", "add", str(source),
                             "--id", "second", "--reports-dir", str(folder), "--json"],
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is False and source.name in report["error"]
    assert snapshot(folder) == before


def test_intake_error_names_file_and_fix(tmp_path):
    source = tmp_path / "nothing.txt"
    source.write_text("   \n", encoding="utf-8")
    with pytest.raises(IntakeError) as caught:
        add_report(source, registry_copy(tmp_path))
    assert caught.value.path == str(source) and caught.value.fix
