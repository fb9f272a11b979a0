"""plan and sync: validate the local packages, then a page at a time: read, plan, apply, read back.

Invalid packages are skipped and reported, never published (and never pruned). One failing
dataset does not stop the others. The run report says what was done, with how many requests.
A page is a page of the portal's managed datasets (one request per 1,000) and the local
packages it covers (publisher/catalog/pages.py): a run holds one page whatever the catalog's
size, and a run killed between two pages leaves the pages before it done.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import ckanapi

from publisher.catalog import map as mapping
from publisher.catalog import since
from publisher.catalog.apply import (Api, Outcome, PortalUnreachable, SyncError, apply_dataset, apply_owner, describe,
                                     read_dataset)
from publisher.catalog.client import Portal
from publisher.catalog.local import LocalIndex, Progress, index_local
from publisher.catalog.pages import Page, Paging, changed_page, check_agencies, last_steps, plan_pages
from publisher.catalog.plan import DEFAULT_PRUNE_SHARE, DatasetStep, Plan, StreamedPlan, dataset_step
from publisher.catalog.plan_file import PlanFileError, saved_digest
from publisher.catalog.state import PAGE, PortalState
from publisher.catalog.validated import ValidatedCache
from publisher.packages import PACKAGES_DIR
from publisher.validate.findings import Result

Steps = Callable[[DatasetStep], None]     # each dataset step, as it is planned

EXIT_OK, EXIT_INVALID, EXIT_API = 0, 1, 2
RETRY_PAUSE = 1.0
VERIFY_BATCH = 500      # datasets read back per package_search
PAGE_SIZE_ENV = "PUBLISHER_SYNC_PAGE"     # datasets per page, at most 1,000 (tests use a few)


class StalePlan(RuntimeError):
    """A saved plan no longer matches what a fresh plan says."""


@dataclass
class SyncReport:
    portal: str
    dry_run: bool = False
    plan: Plan | None = None
    skipped: dict[str, str] = field(default_factory=dict)       # package -> why (invalid)
    outcomes: list[Outcome] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    writes: int = 0
    drift: dict[str, list[str]] = field(default_factory=dict)   # edited on the portal, put back
    unconverged: dict[str, list[str]] = field(default_factory=dict)  # still different after applying
    stale_index: list[str] = field(default_factory=list)   # names the search index lists more than once
    index_lag: list[str] = field(default_factory=list)     # read back from search before it showed the write
    error: str = ""
    seconds: float = 0.0
    pages: int = 0
    read: str = ""          # "changes": only what changed since the last sync; "catalog": every page
    read_why: str = ""      # why every page was read
    newest: str = ""        # the latest metadata_modified of what was read back

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def exit_code(self) -> int:
        if self.error or self.failed or self.unconverged:
            return EXIT_API
        if self.skipped or (self.plan and self.plan.refused):
            return EXIT_INVALID
        return EXIT_OK

    def summary(self) -> dict[str, int]:
        counts = self.plan.counts() if self.plan else {}
        done = [o for o in self.outcomes if o.ok]
        return {
            "created": sum(o.action == "create" for o in done),
            "updated": sum(o.action in ("update", "undelete") for o in done),
            "deleted": sum(o.action == "delete" for o in done),
            "unchanged": counts.get("unchanged", 0),
            "skipped": len(self.skipped),
            "failed": len(self.failed),
            "uploads": sum(len(o.uploads) for o in self.outcomes),
            "datastore_loads": sum(len(o.datastore) for o in self.outcomes),
            "requests": sum(self.calls.values()),
            "writes": self.writes,
        }

    def to_json(self, plan: bool = True) -> dict:
        """``plan``: with the plan's steps (a caller that streamed them leaves them out)."""
        return {
            "portal": self.portal, "dry_run": self.dry_run, "exit_code": self.exit_code,
            "summary": self.summary(), "error": self.error or None,
            "skipped": self.skipped, "refused": self.plan.refused if self.plan else None,
            "drift": self.drift, "unconverged": self.unconverged, "stale_index": self.stale_index,
            "index_lag": self.index_lag,
            "outcomes": [asdict(o) for o in self.outcomes], "calls": self.calls,
            **({"plan": self.plan.to_json() if self.plan else None} if plan else {}),
            "pages": self.pages, "read": self.read, "read_why": self.read_why or None,
            "seconds": round(self.seconds, 3),
        }


def page_size(env: dict[str, str] | None = None) -> int:
    value = (os.environ if env is None else env).get(PAGE_SIZE_ENV, "")
    return max(1, min(PAGE, int(value))) if value.strip().isdigit() else PAGE


def _index(packages_dir: Path, *, validate: bool, progress: Progress | None, catalog: str, revalidate: bool,
           cache_file: Path | None, validated: Result | None, reports: bool,
           cache: ValidatedCache | None = None) -> LocalIndex:
    cache = (cache or ValidatedCache(cache_file)) if validate else None
    return index_local(packages_dir, validate, progress, catalog, revalidate, cache, validated, reports)


def _walk(index: LocalIndex, api: Api, report: SyncReport, *, prune: bool, prune_share: float,
          progress: Progress | None, on_step: Steps | None, apply: Callable[[Page], None] | None,
          record: since.SyncRecord | None = None, why: str = "") -> Paging:
    """Plan a page at a time, handing each page to ``apply`` (none: a plan only); the skipped
    packages and the prune's deletes come last, in a page of their own. With ``record``: one page
    of what changed since that sync, if it can be trusted (else every page, and ``why``)."""
    report.skipped = index.skipped          # filled further as packages that cannot be datasets are met
    check_agencies(index)
    the_plan = report.plan = StreamedPlan(keep=on_step is None)
    paging = Paging(index, page_size())
    pages = None
    if record is not None:
        changed, why = changed_page(api.call, paging, record, lambda name: read_dataset(api, name), prune)
        pages = [changed] if changed is not None else None
        if changed is None:
            paging = Paging(index, page_size())
    report.read, report.read_why = ("changes", "") if pages else ("catalog", why)

    def planned(steps: list[DatasetStep]) -> None:
        for step in steps:
            the_plan.add_dataset(step)
            if step.drift:
                report.drift[step.name] = step.drift
            if on_step:
                on_step(step)

    for page in pages or plan_pages(api.call, paging, lambda name: read_dataset(api, name)):
        for owner in page.owners:
            the_plan.add_owner(owner)
        planned(page.steps)
        if apply:
            apply(page)
        report.pages = page.number
        if progress:
            progress("page", str(page.number), page.number, 0)
        del page                # not held while the next page is read
    tail, the_plan.refused = last_steps(paging, prune, prune_share)
    planned(tail)
    report.stale_index = sorted(set(report.stale_index) | paging.stale_index)   # and what read-backs found
    if apply and tail:
        apply(Page(paging.pages + 1, {}, {}, [], {}, tail))
    return paging


def _record(portal: Portal, catalog: str, full: bool,
            plan_file: Path | None) -> tuple[since.SyncRecord | None, str, str]:
    """The last sync's record if this run may read only what changed since: (record, why not, inputs)."""
    inputs = since.inputs_key(catalog)
    if full:
        return None, "--full", inputs
    if plan_file is not None:
        return None, "a saved plan is checked against every page", inputs
    record, why = since.load_record(since.record_file(portal.url, catalog), portal.url, catalog, inputs)
    return record, why, inputs


def _remember(portal: Portal, catalog: str, inputs: str, paging: Paging, report: SyncReport,
              previous: since.SyncRecord | None) -> None:
    """What this run left equal on the portal, for the next run to read only what changed since.
    A dataset that failed or did not converge is left out, so the next run looks at it again."""
    unsettled = {o.name for o in report.outcomes if not o.ok} | set(report.unconverged)
    states = dict(paging.states)
    for outcome in report.outcomes:
        if outcome.ok:
            for state, change in since.STATE_CHANGES.get(outcome.action, {}).items():
                states[state] = states.get(state, 0) + change
    deleted = {o.name for o in report.outcomes if o.ok and o.action == "delete"}
    record = since.SyncRecord(portal=portal.url.rstrip("/"), catalog=catalog, inputs=inputs,
                        since=max(paging.newest, report.newest),
                        states=states, datasets={n: d for n, d in sorted(paging.digests.items()) if n not in unsettled},
                        gone=sorted(n for n, _ in paging.gone if n not in deleted),
                        full_at=since.now().isoformat() if report.read == "catalog" or previous is None
                        else previous.full_at)
    since.save_record(since.record_file(portal.url, catalog), record)


def plan(portal: Portal, packages_dir: Path = PACKAGES_DIR, *, prune: bool = False,
         prune_share: float = DEFAULT_PRUNE_SHARE, validate: bool = True, api: Api | None = None,
         progress: Progress | None = None, catalog: str = mapping.MARKER, revalidate: bool = False,
         cache_file: Path | None = None, validated: Result | None = None,
         reports: bool = False, on_step: Steps | None = None, full: bool = True
         ) -> tuple[Plan, SyncReport, Api, dict]:
    """What sync would do, written nowhere. ``on_step``: given each dataset step as it is
    planned, which the plan then does not keep (so a plan of any size is printed in flat memory).
    ``full``: read every page (a saved plan is checked against one), even where the last sync's
    record would let it read only what changed."""
    api = api or Api(portal)
    report = SyncReport(portal=portal.url)
    index = _index(packages_dir, validate=validate, progress=progress, catalog=catalog, revalidate=revalidate,
                   cache_file=cache_file, validated=validated, reports=reports)
    record, why, _ = _record(portal, catalog, full, None)
    _walk(index, api, report, prune=prune, prune_share=prune_share, progress=progress, on_step=on_step, apply=None,
          record=record, why=why)
    return report.plan, report, api, {}


def sync(portal: Portal, packages_dir: Path = PACKAGES_DIR, *, prune: bool = False, dry_run: bool = False,
         prune_share: float = DEFAULT_PRUNE_SHARE, plan_file: Path | None = None, jobs: int = 4,
         validate: bool = True, progress: Progress | None = None, catalog: str = mapping.MARKER,
         revalidate: bool = False, cache_file: Path | None = None, validated: Result | None = None,
         reports: bool = False, on_step: Steps | None = None, cache: ValidatedCache | None = None,
         full: bool = False) -> SyncReport:
    """Validate (what ``validated`` does not already cover), then a page at a time: read the
    portal, plan, apply, read back. ``cache_file``: where passes are remembered (default
    var/validated.json); ``cache``: that record as this run's validation already read it.
    ``reports``: publish the source reports too (one reports dataset per agency). ``plan_file``: a saved plan, checked against a fresh one (a first pass that writes
    nothing) before anything is written. ``on_step``, ``full``: as for ``plan``. A run that ends
    without an error records what it left equal (publisher/catalog/since.py)."""
    started = time.monotonic()
    api = Api(portal)
    report = SyncReport(portal=portal.url, dry_run=dry_run)
    try:
        index = _index(packages_dir, validate=validate, progress=progress, catalog=catalog, revalidate=revalidate,
                       cache_file=cache_file, validated=validated, reports=reports, cache=cache)
        if plan_file is not None:
            try:
                saved = saved_digest(Path(plan_file))
            except (OSError, UnicodeDecodeError, PlanFileError) as exc:
                raise StalePlan(f"{plan_file}: not a plan written by publisher plan --json ({exc})") from None
            fresh = SyncReport(portal=portal.url)
            _walk(index, api, fresh, prune=prune, prune_share=prune_share, progress=None,
                  on_step=lambda step: None, apply=None)
            if saved != fresh.plan.digest():
                raise StalePlan(f"{plan_file}: the portal or the packages changed since this plan was made; "
                                f"run publisher plan again")
        apply = None if dry_run else (lambda page: _apply_page(page, api, report, jobs, progress))
        record, why, inputs = _record(portal, catalog, full, plan_file)
        paging = _walk(index, api, report, prune=prune, prune_share=prune_share, progress=progress,
                       on_step=on_step, apply=apply, record=record, why=why)
        report.outcomes.sort(key=lambda o: o.name)
        if not dry_run:
            _remember(portal, catalog, inputs, paging, report, record)
    except (SyncError, PortalUnreachable) as exc:
        report.error = str(exc)
    except ckanapi.CKANAPIError as exc:
        report.error = describe(exc, portal)
    finally:
        report.calls = dict(sorted(api.calls.items()))
        report.writes = api.writes
        report.seconds = time.monotonic() - started
    return report


def _apply_page(page: Page, api: Api, report: SyncReport, jobs: int, progress: Progress | None) -> None:
    for step in page.owners:
        try:
            apply_owner(api, step, page.owner_fields[(step.kind, step.name)])
        except ckanapi.CKANAPIError as exc:
            raise SyncError(f"{step.kind} {step.name}: {describe(exc, api.portal)}") from None
    writing = [s for s in page.steps if s.writes]
    if not writing:
        return
    state = PortalState(datasets={s.name: page.remote[s.name] for s in writing if s.name in page.remote})
    _apply_and_verify(writing, {"local": page.local, "state": state}, api, report, jobs, progress)


def _apply(steps: list[DatasetStep], context: dict, api: Api, report: SyncReport, jobs: int,
           progress: Progress | None) -> None:
    state: PortalState = context["state"]
    done = 0
    if progress:
        progress("start", "", 0, len(steps))

    def run(step):
        local = context["local"].get(step.name)
        try:
            try:
                return apply_dataset(api, step, local, state.datasets.get(step.name))
            except ckanapi.NotFound:
                if step.action == "delete":
                    raise
                # the portal changed under the plan (the search index can show a dataset a request
                # still in flight has not committed): read it again, plan it again, once
                time.sleep(RETRY_PAUSE)
                fresh = read_dataset(api, step.name)
                return apply_dataset(api, dataset_step(local, fresh), local, fresh, from_database=True)
        except PortalUnreachable:
            raise
        except (ckanapi.CKANAPIError, SyncError, OSError, mapping.MappingError) as exc:
            return Outcome(step.name, step.action, ok=False, error=describe(exc, api.portal))

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(run, step): step for step in steps}
        try:
            for future in as_completed(futures):
                outcome = future.result()
                report.outcomes.append(outcome)
                done += 1
                if progress:
                    progress("dataset", outcome.name, done, len(steps))
        except PortalUnreachable:
            for future in futures:
                future.cancel()
            raise


def _verify(names: list[str], context: dict, api: Api, report: SyncReport
            ) -> tuple[dict[str, DatasetStep], dict[str, list[str]]]:
    """Re-read what was written: anything still different is reported, never assumed.
    Returns the steps that would still be needed, by dataset, and what still differs.

    The read goes through search, one request per batch; a dataset search shows as different is
    read again from the database before it counts, since a portal that leaves commits to Solr
    shows a write only at its next soft commit."""
    left_over: dict[str, DatasetStep] = {}
    unconverged: dict[str, list[str]] = {}
    for start in range(0, len(names), VERIFY_BATCH):
        batch = names[start:start + VERIFY_BATCH]
        query = " OR ".join(f'name:"{n}"' for n in batch)
        result = api.call("package_search", fq=query, rows=2 * len(batch), include_private=True,
                          include_drafts=True)
        seen = Counter(d["name"] for d in result["results"])
        found = {d["name"]: d for d in result["results"] if seen[d["name"]] == 1}
        found |= {n: read_dataset(api, n) for n, times in seen.items() if times > 1}
        report.stale_index = sorted(set(report.stale_index) | {n for n, times in seen.items() if times > 1})
        for name in batch:
            remote = found.get(name)
            again = dataset_step(context["local"][name], remote)
            if (remote is None or again.writes) and seen[name] <= 1:   # listed twice: already from the database
                shown = read_dataset(api, name)
                if shown is not None:
                    confirmed = dataset_step(context["local"][name], shown)
                    if not confirmed.writes and name not in report.index_lag:
                        report.index_lag.append(name)
                    remote, again = shown, confirmed
                    found[name] = shown
            if remote is None:
                unconverged[name] = ["dataset not found after writing it"]
            elif again.writes:
                unconverged[name] = sorted(again.changes) + [
                    f"resource {r.key}: {r.action}" for r in again.resources if r.action != "unchanged"]
            if again.writes:
                left_over[name] = again
                context["state"].datasets[name] = remote
            else:
                context["state"].datasets.pop(name, None)
        report.newest = since.newest([d for d in found.values() if d], report.newest)
    return left_over, unconverged


def _apply_and_verify(steps: list[DatasetStep], context: dict, api: Api, report: SyncReport, jobs: int,
                      progress: Progress | None) -> None:
    """Apply a page, read it back, and give what is still different one more pass: a request of
    an interrupted earlier run can land on the portal while this one runs."""
    before = len(report.outcomes)
    _apply(steps, context, api, report, jobs, progress)
    touched = [o.name for o in report.outcomes[before:] if o.ok and o.action != "delete"]
    if not touched:
        return
    left_over, _ = _verify(touched, context, api, report)
    if not left_over:
        return
    first = {o.name: o for o in report.outcomes[before:]}
    report.outcomes = [o for o in report.outcomes if o.name not in left_over]
    _apply(list(left_over.values()), context, api, report, jobs, None)
    for outcome in report.outcomes:
        earlier = first.get(outcome.name)
        if outcome.name in left_over and earlier:
            outcome.action = earlier.action
            outcome.uploads = earlier.uploads + outcome.uploads
            outcome.datastore = earlier.datastore + outcome.datastore
            outcome.deleted_resources += earlier.deleted_resources
    _, unconverged = _verify(sorted(left_over), context, api, report)
    report.unconverged.update(unconverged)
