"""``publisher reports add``: a PDF, DOCX, HTML or text file becomes a registered report."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from publisher.cli.common import JsonOption, abort, err, out, short
from publisher.cli.lang import t
from publisher.reports.add import add_report
from publisher.reports.document import IntakeError
from publisher.coverage.exclusions import ExclusionError
from publisher.coverage.scaffold import ScaffoldError, scaffold
from publisher.extract.recipes import RecipeError
from publisher.reports.registry import REPORTS_DIR, ReportError, load_registry

reports_app = typer.Typer(help="The source reports: add one from a PDF, DOCX, HTML or text file.",
                          no_args_is_help=True)

ReportsDirOption = typer.Option(None, "--reports-dir", show_default=False,
                                help="The folder of reports and registry.json (default: reports/).")


@reports_app.command("add")
def add(file: Path = typer.Argument(..., help="The report: .pdf, .docx, .html or .txt."),
        report_id: str = typer.Option(None, "--id", help="Its id in recipes (default: from the file name). "
                                                          "Any text: letters, digits and dashes."),
        agency: str = typer.Option(None, "--agency", help="The issuing agency's id in registry.json "
                                                          "(default: the one the letterhead names)."),
        title_th: str = typer.Option(None, "--title-th", help="Thai title (default: the เรื่อง line, "
                                                               "or the first line)."),
        title_en: str = typer.Option(None, "--title-en", help="English title."),
        package: str = typer.Option(None, "--package", metavar="NEW",
                                    help="Also start a data package datapackages/NEW: a recipe whose metadata "
                                         "comes from the registry and the agency, one row per number of the "
                                         "report, and its Table Schema."),
        reports_dir: Path = ReportsDirOption,
        as_json: bool = JsonOption) -> None:
    """Read a report file and register its text, ready for recipes.

    The text is written in the form of the vendored reports (one line per paragraph, tables as
    tab-separated rows, # headings), with Thai repaired (PUA glyphs, split sara am, stray
    spaces, mark order, NFC), running headers, footers and page numbers removed. Pages without
    a text layer are read by OCR (tesseract), and every number on them must be confirmed
    before it is published. Registered in registry.json with the sha256 of the file and of
    the text, title, agency, document number and date, and the tool that read it.

    With --package NEW, a package folder to start from is made too (see the README, "Adding a
    report").

    Exit 0 registered; 1 the file cannot be used (empty, encrypted, corrupt, no text, already
    registered): nothing is written; 2 usage or I/O error.
    """
    log = err if as_json else out
    try:
        added = add_report(file, reports_dir or REPORTS_DIR, report_id=report_id, agency=agency, title_th=title_th,
                           title_en=title_en)
    except IntakeError as exc:
        abort(as_json, "cannot add the report", str(exc), 1)
    except OSError as exc:
        abort(as_json, "cannot add the report", f"{file}: {exc}", 2)
    made: list[str] = []
    if package:
        try:
            made = [str(p) for p in scaffold(package, added.id, load_registry(reports_dir or REPORTS_DIR))]
        except (ScaffoldError, ReportError, RecipeError, ExclusionError) as exc:
            abort(as_json, "report {id} registered, but no package made", str(exc), 1, id=added.id)
    if as_json:
        print(json.dumps({"ok": True, "id": added.id, "text": str(added.text_path), "sidecar": str(added.sidecar_path),
                          "entry": added.entry, "notes": added.notes, "package_files": made},
                         ensure_ascii=False, indent=2))
        return
    entry = added.entry
    log.print("[green]✓[/] " + t("report {id} → {text}", id=f"[bold]{added.id}[/]", text=short(str(added.text_path))))
    for key in ("title_th", "agency", "document_number", "date_text", "format"):
        if entry.get(key):
            log.print(f"    {key}: {entry[key]}", markup=False, highlight=False)
    log.print("    " + t("read with {tool}", tool=entry["extracted_with"]["version"]), markup=False, highlight=False)
    for note in added.notes:
        log.print(f"  [yellow]![/] {note}", highlight=False)
    for path in made:
        log.print(f"[green]✓[/] {short(path)}", highlight=False)
