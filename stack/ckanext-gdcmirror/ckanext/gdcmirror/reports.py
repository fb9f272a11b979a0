"""The source reports, readable on the portal line by line, and every row one click from its line.

- ``report_text_view``: a resource view that shows an uploaded text file with its line numbers,
  each line an anchor (``#L12``), in the page itself (not an iframe), so the anchor scrolls to it.
- ``/report/<id>``: finds the resource whose ``report_id`` is ``id`` and redirects to its page;
  the browser keeps the ``#L<line>`` of the link, so ``/report/<id>#L12`` opens line 12. Report
  ids are opaque text (never assumed to be digits).
- A table preview turns each row's ``source_line`` into that link, using the row's
  ``source_report`` (assets/provenance-links.js), and a dataset page says how its figures were
  derived, linking the reports dataset of its agency.
"""

from __future__ import annotations

from typing import Any

import ckan.plugins as plugins
from ckan import model
from ckan.lib import uploader
from ckan.plugins import toolkit
from flask import Blueprint

REPORT_ID = "report_id"
MAX_BYTES = 20 * 1024 * 1024


def report_resource(report_id: str) -> model.Resource | None:
    """The active resource of an active dataset whose ``report_id`` is ``report_id``."""
    candidates = (model.Session.query(model.Resource)
                  .join(model.Package, model.Package.id == model.Resource.package_id)
                  .filter(model.Resource.state == "active", model.Package.state == "active",
                          model.Resource.extras.like(f"%{report_id}%")))
    return next((r for r in candidates if (r.extras or {}).get(REPORT_ID) == report_id), None)


def reports_dataset_of(organization_id: str | None) -> dict | None:
    """The reports dataset of an agency: a public dataset of it holding a report resource."""
    if not organization_id:
        return None
    found = (model.Session.query(model.Package)
             .join(model.Resource, model.Resource.package_id == model.Package.id)
             .filter(model.Package.owner_org == organization_id, model.Package.state == "active",
                     model.Package.private.is_(False), model.Resource.state == "active",
                     model.Resource.extras.like(f"%{REPORT_ID}%"))
             .order_by(model.Package.name))
    package = next((p for p in found if any((r.extras or {}).get(REPORT_ID) for r in p.resources)), None)
    return {"name": package.name, "title": package.title} if package else None


def open_report(report_id: str):
    resource = report_resource(report_id)
    if resource is None:
        toolkit.abort(404, toolkit._("Resource not found"))
    try:
        toolkit.check_access("resource_show", {"user": toolkit.g.user}, {"id": resource.id})
    except toolkit.NotAuthorized:
        toolkit.abort(404, toolkit._("Resource not found"))
    return toolkit.redirect_to("dataset_resource.read", id=resource.package.name, resource_id=resource.id)


def report_lines(resource: dict) -> list[str]:
    """The file's physical lines (split on newline, as source_line counts them)."""
    if resource.get("url_type") != "upload":
        return []
    path = uploader.get_resource_uploader(resource).get_path(resource["id"])
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES)
    except OSError:
        return []
    return data.decode("utf-8", errors="replace").split("\n")


class ReportTextView(plugins.SingletonPlugin):
    plugins.implements(plugins.IResourceView)
    plugins.implements(plugins.IBlueprint)
    plugins.implements(plugins.ITemplateHelpers)

    def info(self) -> dict[str, Any]:
        return {"name": "report_text_view", "title": "ข้อความรายงานพร้อมเลขบรรทัด", "icon": "file-lines",
                "iframed": False, "always_available": False, "preview_enabled": False,
                "default_title": "ข้อความรายงานพร้อมเลขบรรทัด", "requires_datastore": False}

    def can_view(self, data_dict: dict) -> bool:
        return bool(data_dict["resource"].get(REPORT_ID))

    def setup_template_variables(self, context, data_dict: dict) -> dict:
        return {"lines": report_lines(data_dict["resource"]), "report_id": data_dict["resource"].get(REPORT_ID)}

    def view_template(self, context, data_dict) -> str:
        return "gdcmirror/report_text_view.html"

    def form_template(self, context, data_dict) -> str:
        return "gdcmirror/report_text_form.html"

    def get_blueprint(self):
        blueprint = Blueprint("gdcmirror_reports", self.__module__)
        blueprint.add_url_rule("/report/<path:report_id>", view_func=open_report)
        return blueprint

    def get_helpers(self) -> dict:
        return {"gdc_reports_dataset": reports_dataset_of}
