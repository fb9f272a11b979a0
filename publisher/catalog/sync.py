"""plan and sync: validate the local packages, read the portal, diff, apply, re-read.

Invalid packages are skipped and reported, never published (and never pruned). One failing
dataset does not stop the others. The run report says what was done, with how many requests.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import ckanapi

from publisher.catalog import map as mapping
from publisher.catalog.apply import Api, Outcome, PortalUnreachable, SyncError, apply_dataset, apply_owner, describe
from publisher.catalog.client import Portal
from publisher.catalog.reports import reports_datasets
from publisher.catalog.plan import DEFAULT_PRUNE_SHARE, DatasetStep, Plan, dataset_step, make_plan
from publisher.catalog.state import PortalState, complete, read_datasets
from publisher.catalog.validated import ValidatedCache
from publisher.gate.documents import DocumentError, load_json
from publisher.packages import PACKAGES_DIR
from publisher.validate.findings import Result
from publisher.validate.run import validate as validate_packages

Progress = Callable[[str, str, int, int], None]   # (event, name, done, total)

EXIT_OK, EXIT_INVALID, EXIT_API = 0, 1, 2
RETRY_PAUSE = 1.0
VERIFY_BATCH = 500      # datasets read back per package_search


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
    error: str = ""
    seconds: float = 0.0

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

    def to_json(self) -> dict:
        return {
            "portal": self.portal, "dry_run": self.dry_run, "exit_code": self.exit_code,
            "summary": self.summary(), "error": self.error or None,
            "skipped": self.skipped, "refused": self.plan.refused if self.plan else None,
            "drift": self.drift, "unconverged": self.unconverged, "stale_index": self.stale_index,
            "outcomes": [asdict(o) for o in self.outcomes], "calls": self.calls,
            "plan": self.plan.to_json() if self.plan else None, "seconds": round(self.seconds, 3),
        }


def package_dirs(packages_dir: Path) -> list[Path]:
    return sorted(p.parent for p in packages_dir.glob("*/datapackage.json"))


def dataset_name(directory: Path) -> str:
    """The dataset a package folder publishes: its descriptor's name, else the folder's. A
    hand-made package may name its dataset unlike its folder; an invalid one must protect the
    dataset, not the folder."""
    try:
        _, descriptor = load_json(directory / "datapackage.json")   # bounded: a hostile file is refused, not parsed
    except (OSError, DocumentError):
        return directory.name
    name = descriptor.get("name") if isinstance(descriptor, dict) else None
    return name if isinstance(name, str) and name.strip() else directory.name


def protected(packages_dir: Path, skipped: dict[str, str]) -> set[str]:
    """The datasets of skipped packages: named by their descriptors, which a hand-made package
    may give a name unlike its folder's."""
    return {dataset_name(packages_dir / folder) for folder in skipped} | set(skipped)


def load_local(packages_dir: Path, validate: bool = True, progress: Progress | None = None,
               catalog: str = mapping.MARKER, revalidate: bool = False, cache: ValidatedCache | None = None,
               validated: Result | None = None, reports: bool = False
               ) -> tuple[list[mapping.LocalDataset], dict[str, str]]:
    """The packages to publish, and those to skip with the reason, by folder (``protected``
    gives the dataset names the plan must then never prune). A package that passed validation before, byte for
    byte and under the same rules, is not validated again unless ``revalidate``; nor is one
    that ``validated`` (a result of this same run) already covers. ``reports``: also the reports
    dataset of each agency the packages belong to."""
    dirs = package_dirs(packages_dir)
    skipped: dict[str, str] = {}
    left_out: set[str] = set()        # package folders not published

    def skip(directory: Path, why: str) -> None:
        left_out.add(directory.name)
        name = dataset_name(directory)
        skipped.setdefault(directory.name, why if name == directory.name else f"dataset {name}: {why}")

    if validate and dirs:
        cache = cache or ValidatedCache()
        covered = set(validated.packages) if validated is not None else set()
        to_check = [d for d in dirs if d.name not in covered and (revalidate or not cache.known_valid(d))]
        result = validate_packages(to_check, progress=lambda name: progress and progress("validate", name, 0, 0)) \
            if to_check else Result()
        if validated is not None:
            result.findings += [f for f in validated.findings if f.package in covered]
        invalid = result.invalid_packages()
        cache.remember([d for d in dirs if (d in to_check or d.name in covered) and d.name not in invalid])
        errors = result.errors()
        by_folder = {d.name: d for d in dirs}
        for finding in errors:
            if finding.package not in by_folder or finding.package in left_out:
                continue
            more = sum(f.package == finding.package for f in errors) - 1
            skip(by_folder[finding.package], f"invalid: {finding.rule} in {finding.file}"
                 + (f" row {finding.row}" if finding.row else "")
                 + (f" field {finding.field}" if finding.field else "")
                 + f" (and {more} more; run publisher validate)")
    local = []
    known_groups = mapping.groups()
    for directory in dirs:
        if directory.name in left_out:
            continue
        try:
            local.append(mapping.load_dataset(directory, known_groups, catalog))
        except mapping.MappingError as exc:
            skip(directory, str(exc))
    if reports:
        found, findings = reports_datasets(known_groups, catalog, agencies={d.fields["owner_org"] for d in local})
        local += found
        for finding in findings:
            if finding.severity == "error":
                skipped.setdefault(finding.package, f"invalid: {finding.rule} in {finding.file}: {finding.message}")
    by_name: dict[str, list[mapping.LocalDataset]] = {}
    for dataset in local:
        by_name.setdefault(dataset.name, []).append(dataset)
    for name, same in by_name.items():
        if len(same) > 1:
            folders = ", ".join(str(d.directory) for d in same)
            for dataset in same:
                skip(dataset.directory, f"the dataset name {name!r} is used by several packages: {folders}")
    return [d for d in local if d.directory.name not in left_out], skipped


def read_state(api: Api, local: list[mapping.LocalDataset], catalog: str = mapping.MARKER
               ) -> tuple[PortalState, dict, dict]:
    state = read_datasets(api.call, catalog)
    for name in sorted(set(state.duplicates)):
        # the search index lists the name twice: only the database knows which one is real
        real = _show(api, name)
        if real is None:
            state.datasets.pop(name, None)
        else:
            state.datasets[name] = real
    organizations = mapping.organizations()
    wanted_orgs = {d.fields["owner_org"] for d in local}
    unknown = wanted_orgs - set(organizations)
    if unknown:
        raise SyncError(f"organization(s) {sorted(unknown)} are not agencies of reports/registry.json")
    wanted_groups = {g["name"] for d in local for g in d.fields["groups"]}
    complete(state, api.call, wanted_orgs, wanted_groups)
    all_groups = mapping.groups()
    return state, {o: organizations[o] for o in wanted_orgs}, {g: all_groups[g] for g in wanted_groups}


def plan(portal: Portal, packages_dir: Path = PACKAGES_DIR, *, prune: bool = False,
         prune_share: float = DEFAULT_PRUNE_SHARE, validate: bool = True, api: Api | None = None,
         progress: Progress | None = None, catalog: str = mapping.MARKER, revalidate: bool = False,
         cache_file: Path | None = None, validated: Result | None = None,
         reports: bool = False) -> tuple[Plan, SyncReport, Api, dict]:
    api = api or Api(portal)
    report = SyncReport(portal=portal.url)
    cache = ValidatedCache(cache_file) if validate else None
    local, report.skipped = load_local(packages_dir, validate, progress, catalog, revalidate, cache, validated,
                                       reports)
    state, organizations, groups = read_state(api, local, catalog)
    the_plan = make_plan(local, state, organizations, groups, prune=prune, prune_share=prune_share,
                         skipped=report.skipped, protected=protected(packages_dir, report.skipped))
    report.plan = the_plan
    report.drift = {d.name: d.drift for d in the_plan.datasets if d.drift}
    report.stale_index = sorted(set(state.duplicates))
    # keep only what the writes need: a portal's worth of unchanged datasets is not held on to
    writing = {s.name for s in the_plan.datasets if s.writes}
    state.datasets = {n: d for n, d in state.datasets.items() if n in writing}
    context = {"local": {d.name: d for d in local}, "state": state, "organizations": organizations,
               "groups": groups}
    return the_plan, report, api, context


def sync(portal: Portal, packages_dir: Path = PACKAGES_DIR, *, prune: bool = False, dry_run: bool = False,
         prune_share: float = DEFAULT_PRUNE_SHARE, plan_file: Path | None = None, jobs: int = 4,
         validate: bool = True, progress: Progress | None = None, catalog: str = mapping.MARKER,
         revalidate: bool = False, cache_file: Path | None = None, validated: Result | None = None,
         reports: bool = False) -> SyncReport:
    """Validate (what ``validated`` does not already cover), read the portal, plan, apply, read
    back. ``cache_file``: where passes are remembered (default var/validated.json). ``reports``:
    publish the source reports too (one reports dataset per agency)."""
    started = time.monotonic()
    api = Api(portal)
    report = SyncReport(portal=portal.url, dry_run=dry_run)
    try:
        the_plan, report, api, context = plan(portal, packages_dir, prune=prune, prune_share=prune_share,
                                              validate=validate, api=api, progress=progress, catalog=catalog,
                                              revalidate=revalidate, cache_file=cache_file, validated=validated,
                                              reports=reports)
        report.dry_run = dry_run
        if plan_file is not None:
            try:
                saved_json = json.loads(Path(plan_file).read_text(encoding="utf-8"))
                saved = Plan.from_json(saved_json.get("plan") or saved_json)   # plan --json output, or a bare plan
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise StalePlan(f"{plan_file}: not a plan written by publisher plan --json ({exc})") from None
            if saved.digest() != the_plan.digest():
                raise StalePlan(f"{plan_file}: the portal or the packages changed since this plan was made; "
                                f"run publisher plan again")
        if not dry_run:
            _apply_and_verify(the_plan, context, api, report, jobs, progress)
    except (SyncError, PortalUnreachable) as exc:
        report.error = str(exc)
    except ckanapi.CKANAPIError as exc:
        report.error = describe(exc, portal)
    finally:
        report.calls = dict(sorted(api.calls.items()))
        report.writes = api.writes
        report.seconds = time.monotonic() - started
    return report


def _apply(the_plan: Plan, context: dict, api: Api, report: SyncReport, jobs: int,
           progress: Progress | None) -> None:
    owners = {("organization", n): f for n, f in context["organizations"].items()}
    owners |= {("group", n): f for n, f in context["groups"].items()}
    for step in the_plan.owners:
        try:
            apply_owner(api, step, owners[(step.kind, step.name)])
        except ckanapi.CKANAPIError as exc:
            raise SyncError(f"{step.kind} {step.name}: {describe(exc, api.portal)}") from None

    steps = [s for s in the_plan.datasets if s.writes]
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
                fresh = _show(api, step.name)
                return apply_dataset(api, dataset_step(local, fresh), local, fresh)
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
    report.outcomes.sort(key=lambda o: o.name)


def _show(api: Api, name: str) -> dict | None:
    try:
        return api.call("package_show", id=name)
    except ckanapi.NotFound:
        return None


def _verify(names: list[str], context: dict, api: Api, report: SyncReport) -> dict[str, DatasetStep]:
    """Re-read what was written: anything still different is reported, never assumed.
    Returns the steps that would still be needed, by dataset."""
    left_over: dict[str, DatasetStep] = {}
    report.unconverged = {}
    for start in range(0, len(names), VERIFY_BATCH):
        batch = names[start:start + VERIFY_BATCH]
        query = " OR ".join(f'name:"{n}"' for n in batch)
        result = api.call("package_search", fq=query, rows=2 * len(batch), include_private=True,
                          include_drafts=True)
        seen = Counter(d["name"] for d in result["results"])
        found = {d["name"]: d for d in result["results"] if seen[d["name"]] == 1}
        found |= {n: _show(api, n) for n, times in seen.items() if times > 1}
        report.stale_index = sorted(set(report.stale_index) | {n for n, times in seen.items() if times > 1})
        for name in batch:
            remote = found.get(name)
            again = dataset_step(context["local"][name], remote)
            if remote is None:
                report.unconverged[name] = ["dataset not found after writing it"]
            elif again.writes:
                report.unconverged[name] = sorted(again.changes) + [
                    f"resource {r.key}: {r.action}" for r in again.resources if r.action != "unchanged"]
            if again.writes:
                left_over[name] = again
                context["state"].datasets[name] = remote
            else:
                context["state"].datasets.pop(name, None)
    return left_over


def _apply_and_verify(the_plan: Plan, context: dict, api: Api, report: SyncReport, jobs: int,
                      progress: Progress | None) -> None:
    """Apply, read back, and give what is still different one more pass: a request of an
    interrupted earlier run can land on the portal while this one runs."""
    _apply(the_plan, context, api, report, jobs, progress)
    touched = [o.name for o in report.outcomes if o.ok and o.action != "delete"]
    if not touched:
        return
    left_over = _verify(touched, context, api, report)
    if not left_over:
        return
    first = {o.name: o for o in report.outcomes}
    report.outcomes = [o for o in report.outcomes if o.name not in left_over]
    _apply(Plan(datasets=list(left_over.values())), context, api, report, jobs, None)
    for outcome in report.outcomes:
        earlier = first.get(outcome.name)
        if outcome.name in left_over and earlier:
            outcome.action = earlier.action
            outcome.uploads = earlier.uploads + outcome.uploads
            outcome.datastore = earlier.datastore + outcome.datastore
            outcome.deleted_resources += earlier.deleted_resources
    _verify(sorted(left_over), context, api, report)
