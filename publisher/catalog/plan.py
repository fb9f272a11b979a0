"""The difference between the local packages and the portal, as a list of steps.

Pure: a function of (local datasets, portal state). ``publisher plan`` prints it, ``publisher
sync`` applies it, and ``sync --plan FILE`` applies a saved plan only if a fresh one still
says the same thing, so nothing is applied against a portal that moved since.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from publisher.catalog.map import (DATAPACKAGE, DATASTORE_HASH, FINGERPRINT_KEY, RESOURCE_KEY, LocalDataset,
                                   comparable, datapackage_fields, field_changes, portal_datapackage,
                                   resource_changes)
from publisher.catalog.views import VIEWS_HASH, views_hash

DEFAULT_PRUNE_SHARE = 0.25


@dataclass
class ResourceStep:
    key: str
    action: str                      # create | reupload | update | delete | unchanged
    id: str | None = None
    changes: dict = field(default_factory=dict)   # field -> [portal, local]
    datastore: bool = False          # (re)load the DataStore table
    reason: str = ""
    views: bool = False              # rewrite its charts / text view (their digest differs)


@dataclass
class DatasetStep:
    name: str
    action: str                      # create | update | undelete | unchanged | delete | skip
    id: str | None = None
    changes: dict = field(default_factory=dict)   # field -> [portal, local]
    drift: list[str] = field(default_factory=list)  # fields edited on the portal since our last sync
    resources: list[ResourceStep] = field(default_factory=list)
    reorder: bool = False
    reason: str = ""

    @property
    def writes(self) -> bool:
        return self.action not in ("unchanged", "skip")


@dataclass
class OwnerStep:                     # an organization or a group
    kind: str                        # organization | group
    name: str
    action: str                      # create | update | unchanged
    changes: dict = field(default_factory=dict)


@dataclass
class Plan:
    owners: list[OwnerStep] = field(default_factory=list)
    datasets: list[DatasetStep] = field(default_factory=list)
    refused: str | None = None       # why pruning was refused

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for step in self.datasets:
            out[step.action] = out.get(step.action, 0) + 1
        for kind in ("reupload", "create"):
            out[f"resources_{kind}"] = sum(r.action == kind for s in self.datasets for r in s.resources)
        out["owners_changed"] = sum(o.action != "unchanged" for o in self.owners)
        return out

    def empty(self) -> bool:
        return not any(s.writes for s in self.datasets) and all(o.action == "unchanged" for o in self.owners)

    def to_json(self) -> dict:
        return {"owners": [asdict(o) for o in self.owners], "datasets": [asdict(d) for d in self.datasets],
                "refused": self.refused, "counts": self.counts()}

    @classmethod
    def from_json(cls, data: dict) -> "Plan":
        return cls(owners=[OwnerStep(**o) for o in data["owners"]],
                   datasets=[DatasetStep(**{**d, "resources": [ResourceStep(**r) for r in d["resources"]]})
                             for d in data["datasets"]],
                   refused=data.get("refused"))

    def digest(self) -> str:
        """What a saved plan is checked against: the steps, not the portal's old values."""
        hasher = StepDigest()
        for owner in self.owners:
            hasher.owner(owner)
        for dataset in self.datasets:
            hasher.dataset(dataset)
        return hasher.hexdigest()


class StepDigest:
    """A plan's digest fed one step at a time, owners and datasets hashed apart: a plan made page
    by page meets its owners among its datasets, and a saved one is read back as a stream."""

    def __init__(self) -> None:
        self._owners, self._datasets = hashlib.sha256(), hashlib.sha256()

    def owner(self, step) -> None:
        o = step if isinstance(step, dict) else asdict(step)
        self._owners.update(_line([o["kind"], o["name"], o["action"], sorted(o["changes"])]))

    def dataset(self, step) -> None:
        if isinstance(step, dict):
            resources = [[r["key"], r["action"], sorted(r["changes"]), r["datastore"], r["views"]]
                         for r in step["resources"]]
            self._datasets.update(_line([step["name"], step["action"], sorted(step["changes"]), resources]))
        else:
            resources = [[r.key, r.action, sorted(r.changes), r.datastore, r.views] for r in step.resources]
            self._datasets.update(_line([step.name, step.action, sorted(step.changes), resources]))

    def hexdigest(self) -> str:
        return hashlib.sha256((self._owners.hexdigest() + self._datasets.hexdigest()).encode()).hexdigest()


def _line(item: list) -> bytes:
    return json.dumps(item, ensure_ascii=False).encode() + b"\n"


class StreamedPlan(Plan):
    """A plan made and applied page by page: it counts and digests every step, and keeps the
    dataset steps only when asked to (``keep``), so a run over 10,000 datasets holds none."""

    def __init__(self, keep: bool = True) -> None:
        super().__init__()
        self.keep = keep
        self.tally: dict[str, int] = {}
        self.hasher = StepDigest()

    def add_owner(self, step: OwnerStep) -> None:
        self.owners.append(step)
        self.hasher.owner(step)

    def add_dataset(self, step: DatasetStep) -> None:
        self.tally[step.action] = self.tally.get(step.action, 0) + 1
        for resource in step.resources:
            if resource.action in ("reupload", "create"):
                key = f"resources_{resource.action}"
                self.tally[key] = self.tally.get(key, 0) + 1
        self.hasher.dataset(step)
        if self.keep:
            self.datasets.append(step)

    def counts(self) -> dict[str, int]:
        out = {k: v for k, v in self.tally.items() if not k.startswith("resources_")}
        for kind in ("reupload", "create"):
            out[f"resources_{kind}"] = self.tally.get(f"resources_{kind}", 0)
        out["owners_changed"] = sum(o.action != "unchanged" for o in self.owners)
        return out

    def empty(self) -> bool:
        counts = self.counts()
        return not any(n for action, n in counts.items() if action not in (
            "unchanged", "skip", "resources_reupload", "resources_create", "owners_changed")) \
            and not counts["owners_changed"]

    def digest(self) -> str:
        return self.hasher.hexdigest()


def fingerprint(fields: dict) -> str:
    """Of the dataset fields we send, so that later a difference can be told apart as a local
    change (fingerprint differs) or an edit made on the portal (fingerprint still ours)."""
    canonical = comparable({k: v for k, v in fields.items() if k != "extras"})
    canonical["extras"] = {e["key"]: e["value"] for e in fields.get("extras", []) if e["key"] != FINGERPRINT_KEY}
    return hashlib.sha256(json.dumps(canonical, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def with_fingerprint(fields: dict) -> dict:
    extras = [e for e in fields.get("extras", []) if e["key"] != FINGERPRINT_KEY]
    extras.append({"key": FINGERPRINT_KEY, "value": fingerprint(fields)})
    return {**fields, "extras": sorted(extras, key=lambda e: e["key"])}


def _remote_fingerprint(remote: dict) -> str | None:
    return next((e["value"] for e in remote.get("extras", []) if e["key"] == FINGERPRINT_KEY), None)


# --- owners ---------------------------------------------------------------------------------

def owner_steps(kind: str, wanted: dict[str, dict], remote: dict[str, dict]) -> list[OwnerStep]:
    steps = []
    for name, fields in sorted(wanted.items()):
        found = remote.get(name)
        if found is None:
            steps.append(OwnerStep(kind, name, "create"))
            continue
        changes = {k: [found.get(k), v] for k, v in fields.items() if k not in ("name", "type")
                   and (found.get(k) or "") != (v or "")}
        steps.append(OwnerStep(kind, name, "update" if changes else "unchanged", changes))
    return steps


# --- resources ------------------------------------------------------------------------------

def resource_steps(local: LocalDataset, remote: dict) -> tuple[list[ResourceStep], bool]:
    remote_resources = [r for r in remote.get("resources", []) if r.get("state", "active") == "active"]
    by_key: dict[str, list[dict]] = {}
    for resource in remote_resources:
        if resource.get(RESOURCE_KEY):
            by_key.setdefault(resource[RESOURCE_KEY], []).append(resource)
    steps: list[ResourceStep] = []
    urls: dict[str, str] = {}
    pending_urls = False
    for resource in local.resources:
        found = by_key.pop(resource.key, [])
        keep = _best(found, resource.sha256)
        for extra in found:
            if extra is not keep:
                steps.append(ResourceStep(resource.key, "delete", extra["id"], reason="duplicate"))
        if resource.key == DATAPACKAGE:
            steps.append(_datapackage_step(local, keep, urls, pending_urls))
            continue
        if keep is None:
            steps.append(ResourceStep(resource.key, "create", datastore=resource.tabular, reason="new",
                                      views=bool(resource.views)))
            pending_urls = True
            continue
        urls[resource.key] = keep["url"]
        changes = {k: list(v) for k, v in resource_changes(resource.fields, keep).items()}
        datastore = resource.tabular and (keep.get(DATASTORE_HASH) != resource.sha256
                                          or not keep.get("datastore_active"))
        views = (keep.get(VIEWS_HASH) or "") != views_hash(resource.views)
        if keep.get("hash") != resource.sha256:
            steps.append(ResourceStep(resource.key, "reupload", keep["id"], changes, datastore, "content changed",
                                      views))
        elif changes:
            steps.append(ResourceStep(resource.key, "update", keep["id"], changes, datastore, "metadata changed",
                                      views))
        elif datastore:
            steps.append(ResourceStep(resource.key, "update", keep["id"], {}, True, "DataStore table out of date",
                                      views))
        elif views:
            steps.append(ResourceStep(resource.key, "update", keep["id"], {}, False, "views out of date", True))
        else:
            steps.append(ResourceStep(resource.key, "unchanged", keep["id"]))
    for key, leftovers in sorted(by_key.items()):
        for resource in leftovers:
            steps.append(ResourceStep(key, "delete", resource["id"], reason="no longer in the package"))
    wanted_order = [s.id for s in steps if s.action not in ("delete", "create") and s.id]
    current_order = [r["id"] for r in remote_resources if r["id"] in set(wanted_order)]
    return steps, current_order != wanted_order


def _best(candidates: list[dict], sha256: str | None) -> dict | None:
    """Of several resources with one key (an interrupted run can leave two), keep the one
    already holding the right file, else the oldest."""
    if not candidates:
        return None
    return next((c for c in candidates if sha256 and c.get("hash") == sha256), candidates[0])


def _datapackage_step(local: LocalDataset, remote: dict | None, urls: dict, pending: bool) -> ResourceStep:
    if pending:
        action = "reupload" if remote else "create"
        return ResourceStep(DATAPACKAGE, action, remote and remote["id"], reason="after new resources")
    wanted = datapackage_fields(portal_datapackage(local, urls))
    if remote is None:
        return ResourceStep(DATAPACKAGE, "create", reason="new")
    changes = {k: list(v) for k, v in resource_changes(wanted, remote).items()}
    if not changes:
        return ResourceStep(DATAPACKAGE, "unchanged", remote["id"])
    return ResourceStep(DATAPACKAGE, "reupload" if "hash" in changes else "update", remote["id"], changes,
                        reason="descriptor changed")


# --- datasets -------------------------------------------------------------------------------

def dataset_step(local: LocalDataset, remote: dict | None) -> DatasetStep:
    wanted = with_fingerprint(local.fields)
    if remote is None:
        return DatasetStep(local.name, "create", resources=[
            ResourceStep(r.key, "create", datastore=r.tabular, reason="new", views=bool(r.views))
            for r in local.resources])
    changes = {k: list(v) for k, v in field_changes(wanted, remote).items()}
    drift = []
    if changes and _remote_fingerprint(remote) == fingerprint(local.fields):
        # "private" is ours to flip: a dataset is created private and made public once complete
        drift = sorted(k for k in changes if k not in ("extras", "private"))
    resources, reorder = resource_steps(local, remote)
    if remote.get("state") == "deleted":
        action = "undelete"
    elif changes or reorder or any(r.action != "unchanged" for r in resources):
        action = "update"
    else:
        action = "unchanged"
    return DatasetStep(local.name, action, remote["id"], changes, drift, resources, reorder)


def make_plan(local: list[LocalDataset], state, wanted_organizations: dict[str, dict],
              wanted_groups: dict[str, dict], *, prune: bool = False,
              prune_share: float = DEFAULT_PRUNE_SHARE, skipped: dict[str, str] | None = None,
              protected: set[str] | None = None) -> Plan:
    """``skipped``: packages present locally but not to be published (invalid), with why.
    They are neither written nor pruned; ``protected``: more dataset names never to prune
    (those of the skipped packages, when a descriptor names its dataset unlike its folder)."""
    skipped = skipped or {}
    plan = Plan()
    plan.owners = owner_steps("organization", wanted_organizations, state.organizations) + \
        owner_steps("group", wanted_groups, state.groups)
    for dataset in sorted(local, key=lambda d: d.name):
        if dataset.name in skipped:
            plan.datasets.append(DatasetStep(dataset.name, "skip", reason=skipped[dataset.name]))
        else:
            plan.datasets.append(dataset_step(dataset, state.datasets.get(dataset.name)))
    local_names = {d.name for d in local} | set(skipped) | (protected or set())
    for name in sorted(skipped.keys() - {d.name for d in local}):
        plan.datasets.append(DatasetStep(name, "skip", reason=skipped[name]))
    if prune:
        live = {n: d for n, d in state.datasets.items() if d.get("state") != "deleted"}
        gone = [(n, live[n]["id"]) for n in sorted(set(live) - local_names)]
        steps, plan.refused = prune_steps(gone, len(live), bool(local_names), prune_share)
        plan.datasets += steps
    return plan


def prune_steps(gone: list[tuple[str, str]], live: int, any_local: bool,
                prune_share: float) -> tuple[list[DatasetStep], str | None]:
    """Delete steps for ``gone`` (name, id) of the ``live`` managed datasets, or why not: a
    prune of more than ``prune_share`` of them (or of all, with no local package) is refused."""
    if gone and (not any_local or len(gone) / live > prune_share):
        names = [n for n, _ in gone]
        return [], (f"--prune would delete {len(gone)} of {live} managed dataset(s) "
                    f"({len(gone) / live:.0%}), more than the limit of {prune_share:.0%}: "
                    f"{', '.join(names[:10])}{' …' if len(gone) > 10 else ''}")
    return [DatasetStep(n, "delete", i, reason="no longer in the repository") for n, i in gone], None
