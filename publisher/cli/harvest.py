"""``publisher harvest-check``: harvest the local portal into the central catalog site once and
show, per dataset, what arrived and what differs (publisher/stack/central.py,
publisher/catalog/harvested.py)."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from publisher.catalog.client import Client, portal_for
from publisher.catalog.harvested import check
from publisher.cli.common import JsonOption, abort, err, out
from publisher.cli.lang import t
from publisher.stack.central import HARVEST_KINDS, Central, harvest
from publisher.stack.supervisor import Stack, StackError


def harvest_check(kind: str = typer.Option("ckan", "--kind", help=(
                      "Which harvester the central site runs: 'ckan' (CKAN-to-CKAN, every GD-Catalog field "
                      "travels) or 'dcat' (ckanext-dcat's RDF harvester on /catalog.ttl). The central site "
                      "keeps one kind at a time: switching kind clears what the other kind took")),
                  as_json: bool = JsonOption) -> None:
    """Harvest the local portal into the central catalog site once, then compare, field by field.

    The central site must run (publisher ckan up --central). Only public datasets with allow_harvest
    "True" should arrive; what the portal no longer offers leaves. The JSON's harvest.writes counts
    what the harvest wrote to the central catalog (0 when nothing changed). Exit 0 when every such
    dataset arrived identical and no other is there, 1 when something differs, 2 when the harvest
    could not run.
    """
    if kind not in HARVEST_KINDS:
        abort(as_json, "harvest-check", t("--kind must be one of {kinds}", kinds=", ".join(HARVEST_KINDS)), 2)
    stack = Stack.from_env()
    say = (lambda msg: err.print(f"[dim]…[/] {msg}"))
    try:
        job = harvest(stack, kind, say)
    except StackError as exc:
        abort(as_json, "harvest-check failed", str(exc), 2)
    checks = check(portal_for().client(), Client(Central(stack).url), ordered=kind == "ckan")
    ok = all(item.ok for item in checks)
    if as_json:
        print(json.dumps({"ok": ok, "harvest": job, "datasets": [c.as_dict() for c in checks]},
                         ensure_ascii=False, indent=2))
    else:
        counts = ", ".join(f"{n} {what}" for what, n in job["counts"].items())
        out.print(t("harvest job {status}: {objects} object(s); {counts}", status=job["status"],
                    objects=job["objects"], counts=counts))
        for error in job["errors"]:
            out.print(f"[red]{escape(t('harvest error'))}:[/] {error}")
        table = Table(title=t("central catalog {url} ({kind})", url=Central(stack).url, kind=kind),
                      title_justify="left")
        for column in ("dataset", "should arrive", "arrived", "differs"):
            table.add_column(t(column))
        for item in checks:
            diff = "; ".join(f"{key}: {a!r} → {b!r}" for key, (a, b) in item.differences.items())
            table.add_row(item.name, t("yes") if item.expected else t("no"), t("yes") if item.on_central else t("no"),
                          diff or ("-" if item.ok else f"[red]{escape(t('present where it should not be'))}[/]"))
        out.print(table)
    raise typer.Exit(0 if ok else 1)
