"""The pipeline, in order: rebuild the packages whose source report changed, validate those that
changed since they last passed (the others are compared with them, not checked again), sync the
valid ones to the portal. It is written once, here (``pipeline``), and run by
``run-job --once``, the ``schedule`` runner and ``make run``. Each step adds to the run's
record and returns an exit code (record.IN_SYNC, INVALID or PORTAL_ERROR). Every package is
validated once per run: sync publishes what the validate step found valid."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable

from publisher import packages
from publisher.catalog.client import Portal, portal_for
from publisher.catalog.local import package_dirs
from publisher.catalog.sync import sync
from publisher.catalog.validated import ValidatedCache
from publisher.extract.recipes import RecipeError
from publisher.gate.documents import load_json
from publisher.jobs.config import Config
from publisher.jobs.record import IN_SYNC, INVALID, PORTAL_ERROR, Run
from publisher.reports.registry import REPORTS_DIR, Registry, ReportError, load_registry
from publisher.validate.findings import Result
from publisher.validate.run import validate

# the exit code of a step that raised: packages could not be built or checked (1), the portal failed (2)
FAILURE_CODES = {"rebuild": INVALID, "validate": INVALID, "sync": PORTAL_ERROR}

Say = Callable[[str], None]
Step = Callable[[Run, Say], int]


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def stale_packages(registry: Registry, packages_dir: Path = packages.PACKAGES_DIR) -> dict[str, str]:
    """Packages to rebuild, with the reason: never built, or a source report whose checksum
    (in reports/registry.json or of the file itself) differs from the one the package records."""
    stale, file_sums = {}, {}
    for recipe in packages.recipes(packages_dir):
        name, descriptor = recipe.parent.name, recipe.parent / "datapackage.json"
        try:
            if not descriptor.exists():
                raise FileNotFoundError(descriptor)
            content = load_json(descriptor)[1]
            sources = content.get("sources", []) if isinstance(content, dict) else None
        except FileNotFoundError:
            stale[name] = "not built yet"
            continue
        except (OSError, ValueError) as exc:
            stale[name] = f"datapackage.json unreadable: {exc}"
            continue
        if not isinstance(sources, list) or not all(isinstance(s, dict) for s in sources):
            stale[name] = "datapackage.json is not a descriptor with a list of sources"
            continue
        for source in sources:
            report = registry.find(source.get("report"))
            if report is None:
                stale[name] = f"report {source.get('report')!r} is no longer in the registry"
            elif report.sha256 != source.get("sha256"):
                stale[name] = f"report {report.id} has a new checksum in the registry"
            else:
                if report.id not in file_sums:
                    file_sums[report.id] = _sha256(report.path)
                if file_sums[report.id] != source.get("sha256"):
                    stale[name] = f"report file {report.path.name} changed"
            if name in stale:
                break
    return stale


def rebuild_step(packages_dir: Path, reports_dir: Path) -> Step:
    def step(run: Run, say: Say) -> int:
        registry = load_registry(reports_dir)
        stale = stale_packages(registry, packages_dir)
        say(f"rebuild: {len(stale)} package(s) with a changed source report")
        failed = 0
        for name, reason in stale.items():
            say(f"rebuild: {name} ({reason})")
            try:
                packages.write(packages.build_all(packages_dir, registry=registry, names=[name]), packages_dir)
            except (RecipeError, ReportError, OSError) as exc:
                failed += 1
                run.add_error(f"rebuild {name}: {exc}")
                continue
            run.rebuilt[name] = reason
        run.counts.update(rebuilt=len(run.rebuilt), rebuild_failed=failed)
        return INVALID if failed else IN_SYNC
    return step


def validate_step(packages_dir: Path, reports_dir: Path, checked: dict | None = None,
                  validated_file: Path | None = None) -> Step:
    """``checked``: where the result and the record of passes are left for the sync step (which
    then neither reads the record nor hashes a package again). A package that passed before,
    byte for byte and under the same validator (``validated_file``, the record sync keeps), is
    not checked again; it is still compared with the others by the consistency rules."""
    def step(run: Run, say: Say) -> int:
        cache = ValidatedCache(validated_file, reports_dir=reports_dir)
        known = [d for d in package_dirs(packages_dir) if cache.known_valid(d)]
        result = validate([packages_dir], registry=load_registry(reports_dir),
                          progress=lambda name: say(f"validate: {name}"), known_valid=known)
        if checked is not None:
            checked.update(result=result, cache=cache)
        invalid = sorted(result.invalid_packages())
        run.counts.update(packages=len(result.packages), validated=len(result.packages) - len(known),
                          already_valid=len(known), invalid=len(invalid),
                          errors=len(result.errors()), warnings=len(result.warnings()))
        say(f"validate: {len(result.packages) - len(known)} checked, {len(known)} unchanged since they passed")
        if invalid:
            run.add_error(f"invalid package(s), not published: {', '.join(invalid)}")
        return IN_SYNC if result.valid() else INVALID
    return step


def portal_of(config: Config, env: dict[str, str] | None = None) -> Portal:
    """The configured portal, else $PUBLISHER_CKAN_URL (as `publisher sync` reads it), else the local one."""
    env = os.environ if env is None else env
    return portal_for(config.portal or env.get("PUBLISHER_CKAN_URL"), env)


def sync_packages(portal: Portal, packages_dir: Path, prune: bool, say: Say, cache_file: Path | None = None,
                  validated: Result | None = None, cache: ValidatedCache | None = None):
    """The one call into the catalog sync; returns its report (.exit_code, .summary(), .to_json())."""
    def progress(event: str, name: str, done: int, total: int) -> None:
        say(" ".join(part for part in (event, name, f"{done}/{total}" if total else "") if part))

    # the source reports go with the repository's own packages, not with a folder of others
    reports = Path(packages_dir).resolve() == packages.PACKAGES_DIR.resolve()
    return sync(portal, packages_dir=packages_dir, prune=prune, dry_run=False, progress=progress,
                cache_file=cache_file, validated=validated, cache=cache, reports=reports,
                on_step=lambda step: None)      # the run log keeps counts, not every step: none is held


def sync_step(config: Config, packages_dir: Path, checked: dict | None = None) -> Step:
    def step(run: Run, say: Say) -> int:
        portal = portal_of(config)
        say(f"sync: {portal}")
        try:
            report = sync_packages(portal, packages_dir, config.prune, lambda msg: say(f"sync: {msg}"),
                                   config.validated_file, (checked or {}).get("result"), (checked or {}).get("cache"))
        except Exception as exc:  # the portal's errors carry its address and maybe the token
            run.add_error(portal.redact(f"sync: {type(exc).__name__}: {exc}"))
            return PORTAL_ERROR
        run.plan = report.summary()
        detail = report.to_json()
        detail["plan"] = (detail.get("plan") or {}).get("counts")   # one line per run: counts, not every step
        run.sync = json.loads(portal.redact(json.dumps(detail, ensure_ascii=False)))
        for problem in sync_problems(run.sync):
            run.add_error(f"sync: {problem}")
        return report.exit_code
    return step


def sync_problems(detail: dict) -> list[str]:
    """What went wrong in a sync, from its report: the error, failed datasets, skipped packages."""
    problems = [detail["error"]] if detail.get("error") else []
    problems += [f"{o.get('name')}: {o.get('error')}" for o in detail.get("outcomes") or [] if not o.get("ok", True)]
    problems += [f"skipped {name}: {why}" for name, why in (detail.get("skipped") or {}).items()]
    return problems


def pipeline(config: Config, packages_dir: Path = packages.PACKAGES_DIR,
             reports_dir: Path = REPORTS_DIR) -> list[tuple[str, Step]]:
    """rebuild → validate → sync, the packages validated once: the validate step's result is
    what the sync step publishes from."""
    checked: dict = {}
    return [("rebuild", rebuild_step(packages_dir, reports_dir)),
            ("validate", validate_step(packages_dir, reports_dir, checked, config.validated_file)),
            ("sync", sync_step(config, packages_dir, checked))]

