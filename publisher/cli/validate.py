"""``publisher validate``: every check a package must pass, optionally against a live portal's rules."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from publisher import packages
from publisher.catalog.preflight import PortalError, PortalRules, fetch_portal_rules
from publisher.cli.common import JsonOption, abort, err, out, portal_or_exit
from publisher.cli.lang import LANGUAGES, language, t
from publisher.reports.registry import ReportError
from publisher.validate import run as validation


LOCAL_PORTAL = "local"


def _portal_rules(portal: str | None, log: Console, as_json: bool = False) -> PortalRules | None:
    """The rules of the portal named by --portal ('local': the one publisher ckan up runs)."""
    if portal is None:
        return None
    if portal != LOCAL_PORTAL and not portal.startswith(("http://", "https://")):
        abort(as_json, "usage", t("--portal takes a portal URL (http://…) or 'local', not {portal}",
                                  portal=repr(portal)), 2)
    target = portal_or_exit(None if portal == LOCAL_PORTAL else portal, as_json)
    log.print(f"[dim]…[/] {t('portal')} {target.url}")
    try:
        return fetch_portal_rules(target)
    except PortalError as exc:
        abort(as_json, "portal unreachable", str(exc), 2)


def validate(paths: list[Path] = typer.Argument(None, help="Packages or folders (default: datapackages/)."),
             lang: str = typer.Option(None, "--lang", metavar="th|en", show_default=False,
                                      help="Language of messages, titles and hints: th or en "
                                           "(default: $PUBLISHER_LANG, else en)."),
             strict: bool = typer.Option(False, "--strict", help="Fail on warnings too."),
             portal: str = typer.Option(None, "--portal", metavar="URL|local",
                                        help="Also check against a live CKAN portal: its dataset schema "
                                             "(required fields, choices), licences and organizations. "
                                             "'local' is the portal of publisher ckan up. "
                                             "Exit 2 if it cannot be read."),
             as_json: bool = JsonOption) -> None:
    """Check packages before anything is published: Frictionless, GD-Catalog metadata,
    provenance of every number, personal data, headers and encoding, and facts that two
    datasets share (schemas/validation/facts.json). With --portal, also what that server
    would refuse.

    Exit 0 valid, 1 invalid (errors, or warnings with --strict), 2 usage or I/O error, or a
    portal that cannot be read.
    """
    lang = lang or language()
    if lang not in LANGUAGES:
        abort(as_json, "usage", t("--lang must be th or en"), 2)
    log = err if as_json else out
    portal_rules = _portal_rules(portal, log, as_json)
    try:
        result = validation.validate(paths or [packages.PACKAGES_DIR], portal=portal_rules,
                                     progress=lambda name: log.print(f"[dim]…[/] {escape(name)}"))
    except (OSError, ReportError) as exc:
        abort(as_json, "cannot validate", str(exc), 2)
    ok = result.valid(strict)
    if as_json:
        report = {"valid": ok, "strict": strict, "packages": result.packages,
                  "errors": len(result.errors()), "warnings": len(result.warnings()),
                  "findings": [f.as_dict(lang) for f in result.findings]}
        if portal_rules:
            report["portal"] = portal_rules.url
        print(json.dumps(report, ensure_ascii=False, indent=2))
        raise typer.Exit(0 if ok else 1)
    by_package: dict[str, list] = {}
    for finding in result.findings:
        by_package.setdefault(finding.package, []).append(finding)
    for package in result.packages:
        findings = by_package.get(package, [])
        mark = "[green]✓[/]" if not findings else ("[yellow]![/]" if all(f.severity == "warning" for f in findings)
                                                    else "[red]✗[/]")
        out.print(f"{mark} [bold]{escape(package)}[/]" + (f"  {t('{count} finding(s)', count=len(findings))}"
                                                          if findings else ""))
        for f in findings:
            place = f.file + (f":{f.row}" if f.row else "") + (f" [{f.field}]" if f.field else "")
            colour = "red" if f.severity == "error" else "yellow"
            out.print(f"    [{colour}]{t(f.severity)}[/] {f.rule}  {escape(place)}", highlight=False)
            out.print(f"      {f.title(lang)}: {f.message}", markup=False, highlight=False, soft_wrap=True)
            out.print(f"      → {f.hint(lang)}", markup=False, highlight=False, soft_wrap=True)
    out.print(t("{packages} package(s): {errors} error(s), {warnings} warning(s)", packages=len(result.packages),
                errors=len(result.errors()), warnings=len(result.warnings()))
              + " — " + (t("valid") if ok else t("invalid")))
    raise typer.Exit(0 if ok else 1)
