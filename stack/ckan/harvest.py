"""One synchronous harvest of the agency portal into the central catalog site, run inside the
CKAN venv with CKAN_INI naming the central site's settings.

It keeps one harvest source per kind (created on first use, its settings brought up to date),
then runs a job the way ckanext-harvest's `ckan harvester run-test` does: gather, fetch and
import in this process, no queue. Prints one JSON line: the job's counts and errors.
Usage: python harvest.py ckan|dcat <portal-url>
"""
import json
import os
import sys

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
    # the portal's /catalog.ttl lists only datasets that allow harvesting (ckanext-gdcmirror)
    "dcat": {"name": "agency-portal-dcat", "source_type": "dcat_rdf", "path": "/catalog.ttl",
             "config": {"rdf_format": "text/turtle"}},
}


HARVESTING_ORG = "gd-catalog-harvesting"  # the central site's own organization, owner of its sources


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


def run(kind: str, portal: str) -> dict:
    app = make_app(CKANConfigLoader(os.environ["CKAN_INI"]).get_config())
    import ckan.model as model
    from ckan.plugins import toolkit
    from ckanext.harvest import queue
    from ckanext.harvest.model import HarvestJob, HarvestObject

    with app._wsgi_app.test_request_context():
        site_user = toolkit.get_action("get_site_user")({"ignore_auth": True}, {})
        context = {"model": model, "session": model.Session, "user": site_user["name"], "ignore_auth": True}
        source = ensure_source(toolkit, context, kind, portal)
        job_dict = toolkit.get_action("harvest_job_create")(dict(context), {"source_id": source["id"]})
        job = HarvestJob.get(job_dict["id"])
        harvester = queue.get_harvester(source["source_type"])
        # what the gather queue's consumer and the fetch queue's consumer would each do
        job.status = "Running"
        job.save()
        object_ids = queue.gather_stage(harvester, job)
        for object_id in object_ids if isinstance(object_ids, list) else []:
            queue.fetch_and_import_stages(harvester, HarvestObject.get(object_id))
        toolkit.get_action("harvest_jobs_run")({"ignore_auth": True}, {})  # marks the job finished
        model.Session.refresh(job)
        objects = model.Session.query(HarvestObject).filter(HarvestObject.harvest_job_id == job.id).all()
        counts = {"added": 0, "updated": 0, "deleted": 0, "errored": 0, "not modified": 0}
        for obj in objects:
            if obj.report_status in counts:
                counts[obj.report_status] += 1
        errors = [error.message for obj in objects for error in obj.errors]
        errors += [error.message for error in job.gather_errors]
        return {"kind": kind, "source": source["url"], "job": job.id, "status": job.status,
                "objects": len(objects), "counts": counts, "errors": errors,
                "datasets": sorted({obj.package.name for obj in objects if obj.package is not None})}


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1], sys.argv[2]), ensure_ascii=False))
