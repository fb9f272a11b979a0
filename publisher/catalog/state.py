"""What the portal holds of ours, read in as few calls as possible.

One ``package_search`` page per 1,000 datasets returns every managed dataset (private, draft
and deleted ones too) with its resources, organization and groups, so a no-op sync costs
about N/1000 calls and downloads nothing; sync holds one page at a time. Organizations and groups come along with their
datasets; only those no dataset of ours belongs to yet are looked up one by one.

The search index holds extras as tokenised text, so a query for the catalog ``test`` also
finds the datasets of ``test-other`` (and of ``Test``). Only a dataset whose mark is exactly
the catalog's is ours: the others are never planned, written or pruned.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from publisher.catalog.map import MARKER, MARKER_KEY, catalog_of

PAGE = 1000  # ckan.search.rows_max
STATES = ("active", "draft")   # deleted ones are counted only where the index keeps them


@dataclass
class PortalState:
    datasets: dict[str, dict] = field(default_factory=dict)        # name -> package dict
    organizations: dict[str, dict] = field(default_factory=dict)   # name -> organization dict
    groups: dict[str, dict] = field(default_factory=dict)          # name -> group dict
    duplicates: list[str] = field(default_factory=list)            # names seen twice while paging
    last: str | None = None      # the last name a page read: the next page starts after it
    more: bool = False           # datasets past ``last`` are still to be read
    states: dict[str, int] = field(default_factory=dict)  # every managed dataset by state (first page)

    def add(self, dataset: dict) -> None:
        """A dataset read, with its organization and groups; a name read twice is noted."""
        if dataset["name"] in self.datasets:
            self.duplicates.append(dataset["name"])
        self.datasets[dataset["name"]] = dataset
        organization = dataset.get("organization")
        if organization:
            self.organizations.setdefault(organization["name"], organization)
        for group in dataset.get("groups", []):
            self.groups.setdefault(group["name"], group)


def read_page(call, catalog: str = MARKER, after: str | None = None, page: int = PAGE) -> PortalState:
    """One page of managed datasets, by name, those named after ``after``. Pages follow names,
    not offsets, so datasets that sync creates between two reads (always named within a page
    already read) never shift the next page."""
    query = f'{_extra_field(MARKER_KEY)}:"{catalog}"'
    if after is not None:
        query += f' AND name:{{"{after}" TO *]'
    facets = {"facet.field": '["state"]', "facet.limit": -1} if after is None else {}
    result = call("package_search", fq=query, rows=page, start=0, sort="name asc", include_private=True,
                  include_drafts=True, include_deleted=True, **facets)
    found = result["results"]
    state = PortalState(last=found[-1]["name"] if found else after, more=bool(found) and len(found) < result["count"])
    if after is None:
        state.states = states_of(result)
    for dataset in found:
        if catalog_of(dataset) != catalog:
            continue
        state.add(dataset)
    return state


def states_of(result: dict) -> dict[str, int]:
    """A search's count by state (``facet.field`` state), every state named."""
    facets = (result.get("facets") or {}).get("state") or {}
    return {state: int(facets.get(state, 0)) for state in STATES}


def read_datasets(call, catalog: str = MARKER, page: int = PAGE) -> PortalState:
    """Every managed dataset at once (sync itself reads them a page at a time)."""
    state = PortalState()
    after = None
    while True:
        one = read_page(call, catalog, after, page)
        state.duplicates += one.duplicates + [n for n in one.datasets if n in state.datasets]
        state.datasets.update(one.datasets)
        for name, organization in one.organizations.items():
            state.organizations.setdefault(name, organization)
        for name, group in one.groups.items():
            state.groups.setdefault(name, group)
        if not one.more:
            return state
        after = one.last


def _extra_field(key: str) -> str:
    return f"extras_{key}"


def complete(state: PortalState, call, organizations: set[str], groups: set[str]) -> PortalState:
    """Look up the organizations and groups we need that no managed dataset showed us."""
    for name in sorted(organizations - set(state.organizations)):
        found = _show(call, "organization_show", name)
        if found:
            state.organizations[name] = found
    for name in sorted(groups - set(state.groups)):
        found = _show(call, "group_show", name)
        if found:
            state.groups[name] = found
    return state


def _show(call, action: str, name: str) -> dict | None:
    from ckanapi import NotFound

    try:
        return call(action, id=name, include_datasets=False, include_users=False,
                    include_extras=False, include_followers=False)
    except NotFound:
        return None
