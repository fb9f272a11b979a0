"""A plan made a page at a time: read a page of managed datasets, plan the local packages it
covers, hand the page over to be applied, let it go.

Pages follow dataset names. A page of the portal (up to 1,000 datasets, one request) covers
the names after the previous page's last, up to its own last; the local packages with names in
that span are loaded and planned against it, at most a page of them at once. The last page
covers every name after it. So a run holds one page of the portal and one page of packages,
whatever N; what it keeps across pages is names: those of the repository (the index) and those
of the managed datasets it no longer holds, which a prune deletes once every page is read.

Organizations and groups come with the datasets that belong to them; one a page needs that no
page has shown yet is looked up by itself, and each is planned once, before the first page that
needs it is applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator

from publisher.catalog import map as mapping
from publisher.catalog.apply import SyncError
from publisher.catalog.local import LocalEntry, LocalIndex
from publisher.catalog.plan import DatasetStep, OwnerStep, dataset_step, owner_steps, prune_steps
from publisher.catalog.since import MAX_NAMES, SyncRecord, dataset_digest, newest, read_changes
from publisher.catalog.state import PAGE, PortalState, complete, read_page


@dataclass
class Page:
    number: int
    local: dict[str, mapping.LocalDataset]     # the packages this page plans, by dataset name
    remote: dict[str, dict]                    # the portal's datasets of this page, by name
    owners: list[OwnerStep]                    # organizations and groups to write before its datasets
    owner_fields: dict[tuple[str, str], dict]  # (kind, name) -> the fields we want
    steps: list[DatasetStep] = field(default_factory=list)


@dataclass
class Paging:
    """What a run keeps from page to page: names, owners, and the prune's count."""

    index: LocalIndex
    page_size: int = PAGE
    organizations: dict[str, dict] = field(default_factory=dict)   # seen on the portal
    groups: dict[str, dict] = field(default_factory=dict)
    planned_owners: set[tuple[str, str]] = field(default_factory=set)
    gone: list[tuple[str, str]] = field(default_factory=list)      # managed, live, not in the repository
    live: int = 0
    loaded: set[str] = field(default_factory=set)                  # names of the datasets planned
    stale_index: set[str] = field(default_factory=set)
    pages: int = 0
    digests: dict[str, str] = field(default_factory=dict)          # of each dataset planned, by name
    states: dict[str, int] = field(default_factory=dict)           # the portal's managed datasets by state
    newest: str = ""                                               # the latest metadata_modified read


def check_agencies(index: LocalIndex) -> None:
    unknown = {e.organization for e in index.entries if e.organization} - set(mapping.organizations())
    if unknown:
        raise SyncError(f"organization(s) {sorted(unknown)} are not agencies of reports/registry.json")


def plan_pages(call: Callable, paging: Paging, show: Callable[[str], dict | None]) -> Iterator[Page]:
    """The pages of a run, in name order; ``show`` reads one dataset from the database (for a
    name the search index lists twice)."""
    index = paging.index
    names = index.names()
    entries = iter(index.entries)
    pending = next(entries, None)
    after = None
    while True:
        remote = read_page(call, index.catalog, after, paging.page_size)
        if after is None:
            paging.states = remote.states
        _take(paging, remote, names, show)
        chunk: list[LocalEntry] = []
        while pending is not None and (not remote.more or pending.name <= remote.last):
            chunk.append(pending)
            pending = next(entries, None)
            if len(chunk) == paging.page_size:
                yield _page(call, paging, chunk, remote)
                chunk = []
        if chunk:
            yield _page(call, paging, chunk, remote)
        if not remote.more:
            return
        after = remote.last
        del remote, chunk       # let the page go before the next is read: two pages never live at once


def _take(paging: Paging, remote: PortalState, names: set[str], show: Callable[[str], dict | None]) -> None:
    """What a run keeps of a read: owners, the newest change, the live datasets no package holds."""
    for name in sorted(set(remote.duplicates)):
        # the search index lists the name twice: only the database knows which one is real
        paging.stale_index.add(name)
        real = show(name)
        if real is None:
            remote.datasets.pop(name, None)
        else:
            remote.datasets[name] = real
    for name, organization in remote.organizations.items():
        paging.organizations.setdefault(name, organization)
    for name, group in remote.groups.items():
        paging.groups.setdefault(name, group)
    paging.newest = newest(remote.datasets.values(), paging.newest)
    for name, dataset in remote.datasets.items():
        if dataset.get("state") != "deleted":
            paging.live += 1
            if name not in names:
                paging.gone.append((name, dataset["id"]))


def changed_page(call: Callable, paging: Paging, record: SyncRecord, show: Callable[[str], dict | None],
                 prune: bool = False) -> tuple[Page | None, str]:
    """The one page of a run that reads only what changed since ``record`` (publisher/catalog/since.py),
    or None and why the whole catalog must be read instead."""
    index = paging.index
    names = index.names()
    changed: dict[str, mapping.LocalDataset] = {}
    by_name = {}
    for entry in index.entries:
        dataset = index.load(entry)
        if dataset is None or dataset.name in index.skipped:
            continue
        by_name[dataset.name] = entry
        paging.digests[dataset.name] = digest = dataset_digest(dataset)
        if record.datasets.get(dataset.name) != digest:
            changed[dataset.name] = dataset
            if len(changed) > MAX_NAMES:
                return None, f"more than {MAX_NAMES} packages changed since the last sync"
    asked = sorted(changed) + sorted({n for n in [*record.datasets, *record.gone] if n not in by_name})
    if len(asked) > MAX_NAMES:
        return None, f"more than {MAX_NAMES} datasets to look up by name"
    remote, states, why = read_changes(call, index.catalog, record, asked, paging.page_size)
    if why:
        return None, why
    paging.states = states
    paging.newest = record.since
    _take(paging, remote, names, show)
    paging.live = sum(states.values())
    if prune and paging.gone:
        return None, "datasets to prune: every page is read to weigh them against the whole catalog"
    for name in remote.datasets.keys() - changed.keys():
        entry = by_name.get(name)
        dataset = index.load(entry) if entry is not None else None
        if dataset is not None:
            changed[name] = dataset          # edited on the portal: compared, and put back if it differs
    paging.loaded = set(by_name)
    paging.pages = 1
    page = Page(1, changed, remote.datasets, [], {})
    _plan_owners(call, paging, page)
    for name in sorted(by_name):
        page.steps.append(dataset_step(changed[name], remote.datasets.get(name)) if name in changed
                          else DatasetStep(name, "unchanged", reason="unchanged on both sides since the last sync"))
    return page, ""


def _page(call: Callable, paging: Paging, chunk: list[LocalEntry], remote: PortalState) -> Page:
    index = paging.index
    local = {}
    for entry in chunk:
        dataset = index.load(entry)
        if dataset is not None:
            local[dataset.name] = dataset
            paging.loaded.add(dataset.name)
            if dataset.name not in index.skipped:
                paging.digests[dataset.name] = dataset_digest(dataset)
    paging.pages += 1
    page = Page(paging.pages, local, remote.datasets, [], {})
    _plan_owners(call, paging, page)
    for name in sorted(local):
        if name in index.skipped:
            page.steps.append(DatasetStep(name, "skip", reason=index.skipped[name]))
        else:
            page.steps.append(dataset_step(local[name], remote.datasets.get(name)))
    return page


def _plan_owners(call: Callable, paging: Paging, page: Page) -> None:
    """The organizations and groups this page's datasets need that no earlier page planned."""
    wanted_orgs = {d.fields["owner_org"] for d in page.local.values()}
    wanted_groups = {g["name"] for d in page.local.values() for g in d.fields["groups"]}
    new_orgs = {o for o in wanted_orgs if ("organization", o) not in paging.planned_owners}
    new_groups = {g for g in wanted_groups if ("group", g) not in paging.planned_owners}
    if not new_orgs and not new_groups:
        return
    organizations = mapping.organizations()
    unknown = new_orgs - set(organizations)
    if unknown:
        raise SyncError(f"organization(s) {sorted(unknown)} are not agencies of reports/registry.json")
    seen = PortalState(organizations=paging.organizations, groups=paging.groups)
    complete(seen, call, new_orgs, new_groups)
    all_groups = paging.index.known_groups
    page.owners = owner_steps("organization", {o: organizations[o] for o in new_orgs}, paging.organizations) + \
        owner_steps("group", {g: all_groups[g] for g in new_groups}, paging.groups)
    page.owner_fields = {("organization", o): organizations[o] for o in new_orgs}
    page.owner_fields |= {("group", g): all_groups[g] for g in new_groups}
    paging.planned_owners |= {("organization", o) for o in new_orgs} | {("group", g) for g in new_groups}


def last_steps(paging: Paging, prune: bool, prune_share: float) -> tuple[list[DatasetStep], str | None]:
    """After every page: the packages skipped, then the datasets a prune deletes (or why not)."""
    index = paging.index
    steps = [DatasetStep(name, "skip", reason=index.skipped[name])
             for name in sorted(index.skipped.keys() - paging.loaded)]
    if not prune:
        return steps, None
    deletes, refused = prune_steps(sorted(paging.gone), paging.live, bool(index.names()), prune_share)
    return steps + deletes, refused

