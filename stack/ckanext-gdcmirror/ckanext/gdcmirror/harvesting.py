"""What the central catalog site does with what ckanext-dcat's RDF harvester takes (plugin
``gdc_central``, loaded on that site only, through ckanext-dcat's documented ``IDCATRDFHarvester``
hooks; ckanext-dcat itself is not changed): a harvested dataset is filed under an organization of
the same id, name and title as the agency's (created when missing, as the CKAN harvester's
``remote_orgs: create`` does), the fields ckanext-dcat parses that the GD-Catalog schema has no
place for are dropped, and a dataset whose harvested record is the same as at the last harvest is
left alone: ckanext-dcat's harvester would otherwise update every dataset at every run, and a
harvest with nothing changed should write nothing.
"""

from __future__ import annotations

import json

import ckan.plugins as plugins
from ckan import model
from ckan.plugins import toolkit
from ckanext.dcat.interfaces import IDCATRDFHarvester

# what a dataset has beyond its schema's fields
CORE_KEYS = {"id", "name", "type", "state", "private", "owner_org", "resources", "tags", "groups", "extras"}


def _canonical(value):
    """JSON with every list sorted: RDF has no order, so a re-parse may list the same values otherwise."""
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return sorted((_canonical(item) for item in value), key=lambda item: json.dumps(item, sort_keys=True))
    return value


def same_record(old: str | None, new: str | None) -> bool:
    try:
        return old is not None and new is not None and _canonical(json.loads(old)) == _canonical(json.loads(new))
    except ValueError:
        return False


def _site_context() -> dict:
    user = toolkit.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": user["name"], "ignore_auth": True}


def _publisher(dataset: dict) -> dict | None:
    """The agency's organization (id, URL name, title) from the dataset's dct:publisher, whose
    URI is the portal's /organization/<id> and whose dct:identifier is the organization's name."""
    agent = (dataset.get("publisher") or [{}])[0]
    extras = {e.get("key"): e.get("value") for e in dataset.get("extras") or []}
    uri = agent.get("uri") or extras.get("publisher_uri") or ""
    tail = uri.rstrip("/").rsplit("/", 1)[-1]
    name = agent.get("identifier") or extras.get("publisher_identifier") or tail
    title = agent.get("name") or extras.get("publisher_name") or name
    found = {"name": name, "title": title}
    if "/organization/" in uri and tail != name:
        found["id"] = tail   # the same id as on the portal, as the CKAN harvester's remote_orgs: create gives
    return found if name else None


def file_under_publisher(dataset: dict) -> None:
    publisher = _publisher(dataset)
    if publisher is None:
        return
    context = _site_context()
    try:
        organization = toolkit.get_action("organization_show")(dict(context), {"id": publisher["name"]})
    except toolkit.ObjectNotFound:
        organization = toolkit.get_action("organization_create")(dict(context), publisher)
    dataset["owner_org"] = organization["id"]


def drop_unknown_fields(dataset: dict) -> None:
    schema = toolkit.get_action("scheming_dataset_schema_show")({}, {"type": dataset.get("type") or "dataset"})
    known = CORE_KEYS | {field["field_name"] for field in schema["dataset_fields"]}
    for key in [key for key in dataset if key not in known]:
        del dataset[key]


class GdcCentralPlugin(plugins.SingletonPlugin):
    """Loaded on the central catalog site only, beside ckanext-dcat's dcat_rdf_harvester."""

    plugins.implements(IDCATRDFHarvester, inherit=True)

    def before_create(self, harvest_object, dataset_dict, temp_dict):
        file_under_publisher(dataset_dict)
        drop_unknown_fields(dataset_dict)

    def before_update(self, harvest_object, dataset_dict, temp_dict):
        from ckanext.harvest.model import HarvestObject
        previous = (model.Session.query(HarvestObject)
                    .filter(HarvestObject.guid == harvest_object.guid, HarvestObject.id != harvest_object.id,
                            HarvestObject.report_status.in_(("added", "updated", "not modified")))
                    .order_by(HarvestObject.import_finished.desc()).first())
        if previous is not None and same_record(previous.content, harvest_object.content):
            # keep the record's dataset, as an update would, so a later deletion finds it
            harvest_object.package_id = dataset_dict["id"]
            harvest_object.add()
            dataset_dict.clear()   # ckanext-dcat then leaves the dataset as it is ("not modified")
            return
        file_under_publisher(dataset_dict)
        drop_unknown_fields(dataset_dict)
