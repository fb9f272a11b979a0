"""One synchronous harvest of the agency portal into the central catalog site, run inside the
CKAN venv with CKAN_INI naming the central site's settings.

It keeps one harvest source per kind (created on first use, its settings brought up to date),
then runs a job the way ckanext-harvest's `ckan harvester run-test` does: gather, fetch and
import in this process, no queue. Prints one JSON line: the job's counts, its errors, and the
writes it made to the central catalog (SQL INSERT, UPDATE and DELETE statements outside the
harvester's own harvest_* bookkeeping tables, and search-index updates), counted as they are sent.

ckanext-harvest's CKAN harvester never deletes (ckan/ckanext-harvest issues #396 and #542; the
``delete_missing`` option of pull request #548 is not released). After its job this runner does
what that option and ckanext-dcat's RDF harvester do: a dataset this source harvested that the
portal no longer lists with the source's filter (deleted, made private, or allow_harvest no
longer "True") is deleted on the central site, recorded as a "deleted" object of the same job.
Usage: python harvest.py ckan|dcat <portal-url>
"""
import json
import os
import re
import sys
from collections import Counter
from urllib.parse import urlencode

import requests

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app

# Only datasets the agency lets the GD-Catalog take. The CKAN harvester builds its search's fq
# from its organization filter terms ("organization:<term>"); a term that matches every
# organization and adds the allow_harvest condition is how its stock configuration says so.
ALLOW_HARVEST_FQ = "* AND allow_harvest:True"
SOURCES = {
    "ckan": {"name": "agency-portal-ckan", "source_type": "ckan", "path": "",
             "config": {"remote_orgs": "create", "remote_groups": "only_local",
                        "organizations_filter_include": [ALLOW_HARVEST_FQ]}},
    # ckanext-dcat's catalog endpoint takes a search filter (fq) and keeps it in its paging links;
    # its harvester deletes what leaves the list
    "dcat": {"name": "agency-portal-dcat", "source_type": "dcat_rdf", "path": "/catalog.ttl?fq=allow_harvest:True",
             "config": {"rdf_format": "text/turtle"}},
}


HARVESTING_ORG = "gd-catalog-harvesting"
WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.I)


class Writes:
    """Counts what a harvest writes to the catalog, by table (and "search index")."""

    def __init__(self):
        self.tables = Counter()

    def statement(self, conn, cursor, statement, parameters, context, executemany):
        match = WRITE.match(statement)
        if match and not match.group(1).startswith("harvest_"):
            self.tables[match.group(1)] += len(parameters) if executemany else 1

    def watch(self, engine, index_class) -> None:
        from sqlalchemy import event
        event.listen(engine, "before_cursor_execute", self.statement)
        for method in ("index_package", "remove_dict"):
            original = getattr(index_class, method)

            def counted(index, pkg_dict, *args, _original=original, **kwargs):
                if (pkg_dict or {}).get("type") != "harvest":   # a source's own record is bookkeeping
                    self.tables["search index"] += 1
                return _original(index, pkg_dict, *args, **kwargs)
            setattr(index_class, method, counted)
  # the central site's own organization, owner of its sources


def ensure_source(toolkit, context, kind: str, portal: str) -> dict:
    spec = SOURCES[kind]
    try:
        toolkit.get_action("organization_show")(dict(context), {"id": HARVESTING_ORG})
    except toolkit.ObjectNotFound:
        toolkit.get_action("organization_create")(dict(context), {
            "name": HARVESTING_ORG, "title": "GD-Catalog harvesting (ศูนย์กลาง)"})
    wanted = {"name": spec["name"], "title": f"{portal} ({kind})", "url": portal.rstrip("/") + spec["path"],
              "owner_org": HARVESTING_ORG,
              "source_type": spec["source_type"], "frequency": "MANUAL",
              "config": json.dumps(spec["config"], sort_keys=True)}
    try:
        source = toolkit.get_action("harvest_source_show")(dict(context), {"id": spec["name"]})
    except toolkit.ObjectNotFound:
        return toolkit.get_action("harvest_source_create")(dict(context), wanted)
    if any(source.get(key) != value for key, value in wanted.items()):
        source = toolkit.get_action("harvest_source_update")(dict(context), {"id": source["id"], **wanted})
    return source


def listed_ids(source: dict) -> set[str]:
    """The ids of every dataset the portal lists now with the CKAN source's filter (anonymous,
    so public only), as its harvester searches: an error stops the run before anything is deleted."""
    config = json.loads(source.get("config") or "{}")
    terms = config.get("organizations_filter_include") or []
    params = {"rows": 1000, "start": 0, "fl": "id", "sort": "id asc"}
    if terms:
        params["fq"] = " OR ".join(f"organization:{term}" for term in terms)
    ids = set()
    while True:
        response = requests.get(f"{source['url'].rstrip('/')}/api/3/action/package_search?{urlencode(params)}",
                                timeout=60)
        response.raise_for_status()
        result = response.json()["result"]
        ids |= {dataset["id"] for dataset in result["results"]}
        params["start"] += len(result["results"])
        if not result["results"] or params["start"] >= result["count"]:
            return ids


def delete_missing(toolkit, context, model, source: dict, job) -> None:
    """Delete on the central site what this source harvested and the portal no longer lists."""
    from ckanext.harvest.model import HarvestObject, HarvestObjectExtra
    listed = listed_ids(source)
    current = model.Session.query(HarvestObject).filter(
        HarvestObject.harvest_source_id == source["id"], HarvestObject.current == True,  # noqa: E712
        HarvestObject.package_id != None).all()  # noqa: E711
    for old in current:
        if old.guid in listed:
            continue
        gone = HarvestObject(guid=old.guid, job=job, package_id=old.package_id, source=job.source,
                             extras=[HarvestObjectExtra(key="status", value="delete")])
        old.current = False
        old.save()
        try:
            toolkit.get_action("package_delete")(dict(context), {"id": old.package_id})
        except toolkit.ObjectNotFound:
            pass
        gone.report_status, gone.state, gone.current = "deleted", "COMPLETE", False
        gone.save()


def clear_other_kinds(toolkit, context, model, kind: str) -> list[str]:
    """One portal is harvested by one source at a time: the datasets another kind's source took
    would hold the same names. ckanext-harvest's harvest_source_clear removes them (and that
    source's history); the source itself stays."""
    from ckanext.harvest.model import HarvestObject
    cleared = []
    for other, spec in SOURCES.items():
        if other == kind:
            continue
        try:
            source = toolkit.get_action("harvest_source_show")(dict(context), {"id": spec["name"]})
        except toolkit.ObjectNotFound:
            continue
        held = model.Session.query(HarvestObject).filter(
            HarvestObject.harvest_source_id == source["id"], HarvestObject.current == True).count()  # noqa: E712
        if held:
            toolkit.get_action("harvest_source_clear")(dict(context), {"id": source["id"]})
            cleared.append(other)
    return cleared


def run(kind: str, portal: str) -> dict:
    app = make_app(CKANConfigLoader(os.environ["CKAN_INI"]).get_config())
    import ckan.model as model
    from ckan.plugins import toolkit
    from ckanext.harvest import queue
    from ckan.lib.search.index import PackageSearchIndex
    from ckanext.harvest.model import HarvestJob, HarvestObject

    writes = Writes()
    with app._wsgi_app.test_request_context():
        site_user = toolkit.get_action("get_site_user")({"ignore_auth": True}, {})
        context = {"model": model, "session": model.Session, "user": site_user["name"], "ignore_auth": True}
        cleared = clear_other_kinds(toolkit, context, model, kind)
        source = ensure_source(toolkit, context, kind, portal)
        job_dict = toolkit.get_action("harvest_job_create")(dict(context), {"source_id": source["id"]})
        job = HarvestJob.get(job_dict["id"])
        writes.watch(model.meta.engine, PackageSearchIndex)
        harvester = queue.get_harvester(source["source_type"])
        # what the gather queue's consumer and the fetch queue's consumer would each do
        job.status = "Running"
        job.save()
        object_ids = queue.gather_stage(harvester, job)
        for object_id in object_ids if isinstance(object_ids, list) else []:
            queue.fetch_and_import_stages(harvester, HarvestObject.get(object_id))
        if kind == "ckan" and not job.gather_errors:
            delete_missing(toolkit, context, model, source, job)
        toolkit.get_action("harvest_jobs_run")({"ignore_auth": True}, {})  # marks the job finished
        model.Session.refresh(job)
        objects = model.Session.query(HarvestObject).filter(HarvestObject.harvest_job_id == job.id).all()
        counts = {"added": 0, "updated": 0, "deleted": 0, "errored": 0, "not modified": 0}
        for obj in objects:
            if obj.report_status in counts:
                counts[obj.report_status] += 1
        errors = [error.message for obj in objects for error in obj.errors]
        errors += [error.message for error in job.gather_errors]
        return {"kind": kind, "source": source["url"], "cleared": cleared, "job": job.id, "status": job.status,
                "objects": len(objects), "counts": counts, "errors": errors,
                "writes": sum(writes.tables.values()), "writes_by_table": dict(sorted(writes.tables.items())),
                "datasets": sorted({obj.package.name for obj in objects if obj.package is not None})}


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1], sys.argv[2]), ensure_ascii=False))
