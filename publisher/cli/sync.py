"""``publisher plan`` and ``publisher sync``: what the portal would change, and changing it."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import typer
from rich.cells import cell_len
from rich.markup import escape
from rich.table import Table

from publisher import packages
from publisher.catalog import sync as syncing
from publisher.cli.common import JsonOption, WaitOption, abort, err, exclusive, job_config, out, portal_or_exit
from publisher.cli.lang import t

PackagesOption = typer.Option(None, "--packages", help="Folder of packages (default: datapackages/).")
PortalOption = typer.Option(None, "--portal", envvar="PUBLISHER_CKAN_URL", show_default=False,
                            help="CKAN address (default: the local portal, or $PUBLISHER_CKAN_URL).")
PruneOption = typer.Option(False, "--prune", help="Also delete datasets of ours that no longer exist locally.")
PruneShareOption = typer.Option(0.25, "--prune-limit", min=0.0, max=1.0,
                                help="Refuse to prune more than this share of our datasets.")
CatalogOption = typer.Option("thai-opendata-publisher", "--catalog", envvar="PUBLISHER_CATALOG",
                             help="The mark (extra managed_by) of the datasets this repository owns; "
                                  "only those are read, updated and pruned.")


def _short_value(value, width: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


ACTION_STYLE = {"create": "green", "update": "yellow", "undelete": "cyan", "delete": "red",
                "unchanged": "dim", "skip": "magenta", "reupload": "yellow"}


def _action(action: str, width: int = 9) -> str:
    """An action word in the language of the run, right-aligned by the cells it takes on screen."""
    word = t(action)
    return " " * max(0, width - cell_len(word)) + word


def _print_step(step) -> None:
    style = ACTION_STYLE.get(step.action, "")
    out.print(f"[{style}]{_action(step.action)}[/] [bold]{escape(step.name)}[/]"
              + (f"  [dim]{escape(step.reason)}[/]" if step.reason else ""))
    for key, (before, after) in step.changes.items():
        mark = " " + t("(edited on the portal)") if key in step.drift else ""
        out.print(f"            ~ {key}: {_short_value(before)} → {_short_value(after)}{mark}",
                  markup=False, highlight=False)
    for resource in step.resources:
        if resource.action == "unchanged" and not resource.datastore:
            continue
        extra = " + DataStore" if resource.datastore else ""
        out.print(f"            {t(resource.action)} {resource.key}{extra}"
                  + (f"  ({resource.reason})" if resource.reason else ""), markup=False, highlight=False)
    if step.reorder:
        out.print("            " + t("reorder resources"), highlight=False)


def _print_plan_end(the_plan, skipped: dict[str, str]) -> None:
    """After the dataset steps (printed as they were planned): owners, a refused prune, counts."""
    for step in the_plan.owners:
        if step.action != "unchanged":
            out.print(f"[{ACTION_STYLE[step.action]}]{_action(step.action)}[/] {t(step.kind)} {escape(step.name)}")
    if the_plan.refused:
        err.print(f"[bold red]{escape(t('prune refused'))}:[/] {escape(the_plan.refused)}")
    counts = the_plan.counts()
    out.print(t("{create} to create, {update} to update, {undelete} to undelete, {delete} to delete, "
                "{unchanged} unchanged, {skipped} skipped (invalid); {uploads} file(s) to upload",
                **{k: counts.get(k, 0) for k in ("create", "update", "undelete", "delete", "unchanged")},
                skipped=len(skipped), uploads=counts.get("resources_create", 0) + counts.get("resources_reupload", 0)))


class JsonSteps:
    """A JSON document written as the plan is made: the dataset steps one a line under
    plan.datasets, and what is known only at the end (owners, counts, summary) after them, so
    that a plan of 10,000 datasets is never held to be printed."""

    def __init__(self, head: dict) -> None:
        self.head, self.started, self.count = head, False, 0

    def _start(self) -> None:
        fields = "".join(f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}, " for k, v in self.head.items())
        sys.stdout.write("{" + fields + '"plan": {"datasets": [')
        self.started = True

    def step(self, step) -> None:
        if not self.started:
            self._start()
        sys.stdout.write(("," if self.count else "") + "\n  " + json.dumps(asdict(step), ensure_ascii=False))
        self.count += 1

    def finish(self, plan_rest: dict, tail: dict) -> None:
        if not self.started:
            self._start()
        rest = "".join(f", {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in plan_rest.items())
        end = "".join(f",\n{json.dumps(k)}: {json.dumps(v, ensure_ascii=False, indent=2)}" for k, v in tail.items())
        sys.stdout.write("\n]" + rest + "}" + end + "}\n")
        sys.stdout.flush()


def _plan_rest(the_plan) -> dict:
    return {"owners": [asdict(o) for o in the_plan.owners], "refused": the_plan.refused, "counts": the_plan.counts()}


def plan(packages_dir: Path = PackagesOption, portal_url: str = PortalOption, prune: bool = PruneOption,
         prune_share: float = PruneShareOption, catalog: str = CatalogOption, as_json: bool = JsonOption) -> None:
    """Show what sync would change on the portal, without writing anything.

    Reads the portal with one package_search per 1,000 datasets and compares it with the local packages, a page at a time: datasets and resources to create, update (field by field), re-upload, delete, or leave alone, printed as they are planned. Save it with --json > plan.json and apply exactly that with sync --plan plan.json.

    Exit 0 nothing to do, 1 changes pending (or invalid packages), 2 portal unreachable.
    """
    portal = portal_or_exit(portal_url, as_json)
    stream = JsonSteps({"portal": portal.url}) if as_json else None
    try:
        the_plan, report, api, _ = syncing.plan(portal, packages_dir or packages.PACKAGES_DIR, prune=prune,
                                                prune_share=prune_share, catalog=catalog,
                                                cache_file=job_config().validated_file, reports=packages_dir is None,
                                                on_step=stream.step if stream else _print_step)
    except (syncing.SyncError, syncing.ckanapi.CKANAPIError) as exc:
        message = syncing.describe(exc, portal) if isinstance(exc, syncing.ckanapi.CKANAPIError) else str(exc)
        if stream and stream.started:        # a document already begun is ended, with the error in it
            stream.finish({}, {"ok": False, "error": message})
            err.print(f"[bold red]{escape(t('plan failed'))}:[/] {escape(message)}", soft_wrap=True)
            raise typer.Exit(2)
        abort(as_json, "plan failed", message, 2)
    pending = not the_plan.empty() or bool(report.skipped) or bool(the_plan.refused)
    if stream:
        stream.finish(_plan_rest(the_plan), {"skipped": report.skipped, "requests": sum(api.calls.values()),
                                             "pages": report.pages, "digest": the_plan.digest()})
    else:
        for name, why in report.skipped.items():
            err.print(f"[magenta]{escape(t('skipped'))}[/] {escape(name)}: {escape(why)}")
        _print_plan_end(the_plan, report.skipped)
        out.print("[dim]" + escape(t("{url}, {count} request(s)", url=portal.url, count=sum(api.calls.values())))
                  + "[/]")
    raise typer.Exit(1 if pending else 0)


def sync(packages_dir: Path = PackagesOption, portal_url: str = PortalOption,
         plan_file: Path = typer.Option(None, "--plan", exists=True, dir_okay=False,
                                        help="Apply this saved plan (from plan --json), refusing if it is stale."),
         prune: bool = PruneOption, prune_share: float = PruneShareOption,
         dry_run: bool = typer.Option(False, "--dry-run", help="Validate and plan, write nothing."),
         jobs: int = typer.Option(4, "--jobs", min=1, max=16, help="Datasets written at the same time."),
         catalog: str = CatalogOption,
         revalidate: bool = typer.Option(False, "--revalidate",
                                         help="Validate every package, even those that passed before unchanged."),
         full: bool = typer.Option(False, "--full",
                                   help="Read every page of the portal, not only what changed since the last sync."),
         wait: float = WaitOption, as_json: bool = JsonOption) -> None:
    """Validate, then publish the packages to the portal and keep it in sync.

    Invalid packages are skipped and reported, never published. Organizations (the issuing agencies) and category groups come first; then each dataset is created private, filled with its files (uploaded to the portal, sha256 in `hash`, loaded into the DataStore with a Thai/English data dictionary) and made public last. Unchanged files are never uploaded again. A second run with nothing changed writes nothing.

Without --packages, the source reports are published too: one reports dataset per agency, each report a resource with a line-numbered text view, so that /report/<id>#L<line> opens the passage a row cites. Chart views (the charts: of each recipe) are created and kept in step like the table previews.

    After a sync that ended cleanly, the next one asks the portal in one request for what changed since, on either side, and recognises the rest (var/synced/); it reads every page when that cannot be trusted (a dataset deleted or purged on the portal, another publisher version), with --full, and at least every 7 days: a DataStore table dropped by hand is seen only then.

    The API token comes from $PUBLISHER_CKAN_TOKEN or $PUBLISHER_CKAN_TOKEN_FILE (for the local portal, .stack/secrets/ckan-api-token) and is never shown.

    It takes the scheduled job's lock (var/publisher.lock): while a run holds it, sync waits (--wait), then exits 3.

    Exit 0 in sync, 1 invalid packages skipped or prune refused, 2 portal unreachable or API errors, 3 locked.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    portal = portal_or_exit(portal_url, as_json)
    bar = Progress(TextColumn("[bold]sync[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TextColumn("{task.description}"), console=err, transient=True,
                   disable=as_json or not err.is_terminal)
    task = bar.add_task(t("validating"), total=None)

    def progress(event: str, name: str, done: int, total: int) -> None:
        if event == "validate":
            bar.update(task, description=t("validating {name}", name=name))
        elif event == "start":
            bar.update(task, total=total, completed=0, description="")
        elif event == "page":
            bar.update(task, description=t("page {name} done", name=name))
        else:
            bar.update(task, completed=done, description=name)

    # the steps are printed (--json, --dry-run) or counted as they are planned, never all held
    stream = JsonSteps({"portal": portal.url, "dry_run": dry_run}) if as_json else None
    on_step = stream.step if stream else (_print_step if dry_run else (lambda step: None))
    try:
        with exclusive(as_json, wait) as config, bar:
            report = syncing.sync(portal, packages_dir or packages.PACKAGES_DIR, prune=prune, dry_run=dry_run,
                                  prune_share=prune_share, plan_file=plan_file, jobs=jobs, progress=progress,
                                  catalog=catalog, revalidate=revalidate, cache_file=config.validated_file,
                                  reports=packages_dir is None, on_step=on_step, full=full)
    except syncing.StalePlan as exc:
        abort(as_json, "stale plan", str(exc), 2)
    if stream:
        body = report.to_json(plan=False)
        for key in ("portal", "dry_run"):
            body.pop(key)
        stream.finish(_plan_rest(report.plan) if report.plan else {}, body)
        raise typer.Exit(report.exit_code)
    if dry_run and report.plan:
        _print_plan_end(report.plan, report.skipped)
    _print_sync(report)
    raise typer.Exit(report.exit_code)


def _print_sync(report) -> None:
    for name, why in report.skipped.items():
        err.print(f"[magenta]{escape(t('skipped'))}[/] {escape(name)}: {escape(why)}")
    if report.plan and report.plan.refused:
        err.print(f"[bold red]{escape(t('prune refused'))}:[/] {escape(report.plan.refused)}")
    title = t("sync → {portal}", portal=report.portal) + (" " + t("(dry run)") if report.dry_run else "")
    table = Table(title=escape(title), title_justify="left")
    for column in ("dataset", "action", "uploads", "DataStore", "result"):
        table.add_column(t(column))
    for outcome in report.outcomes:
        table.add_row(outcome.name, t(outcome.action), ", ".join(outcome.uploads) or "-",
                      str(len(outcome.datastore)) if outcome.datastore else "-",
                      f"[green]{escape(t('ok'))}[/]" if outcome.ok
                      else f"[red]{escape(t('failed'))}:[/] {escape(outcome.error)}")
    if report.outcomes:
        out.print(table)
    for name, fields in report.drift.items():
        out.print(f"[yellow]{escape(t('drift'))}[/] {escape(name)}: "
                  + escape(t("{fields} had been edited on the portal; the repository's values were written back",
                             fields=", ".join(fields))))
    if report.stale_index:
        err.print("[yellow]" + escape(t(
            "the portal's search index lists {count} dataset name(s) more than once ({names}); the database copy "
            "was used. Rebuild the index: ckan search-index rebuild --clear (local portal: publisher ckan reindex)",
            count=len(report.stale_index), names=", ".join(report.stale_index[:5]))) + "[/]")
    if report.index_lag:
        out.print("[dim]" + escape(t(
            "the search index did not yet show {count} dataset(s) as written; their database copy was read "
            "and matches", count=len(report.index_lag))) + "[/]")
    for name, what in report.unconverged.items():
        err.print(f"[bold red]{escape(t('not converged'))}[/] {escape(name)}: {escape(', '.join(what))}")
    if report.error:
        err.print(f"[bold red]{escape(t('sync failed'))}:[/] {escape(report.error)}")
    if report.read == "changes":
        out.print("[dim]" + escape(t("read only what changed since the last sync")) + "[/]")
    elif report.read:
        out.print("[dim]" + escape(t("read every page: {why}", why=report.read_why)) + "[/]")
    s = report.summary()
    out.print(t("{created} created, {updated} updated, {deleted} deleted, {unchanged} unchanged, {skipped} skipped, "
                "{failed} failed; {uploads} upload(s), {datastore_loads} DataStore load(s); {requests} request(s), "
                "{writes} write(s) in {seconds} s",
                **{k: s[k] for k in ("created", "updated", "deleted", "unchanged", "skipped", "failed", "uploads",
                                     "datastore_loads", "requests", "writes")}, seconds=f"{report.seconds:.1f}"))
