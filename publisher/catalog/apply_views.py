"""Write a resource's managed views (charts, the report text view), then its ``views_hash``:
the digest is written last, so a run stopped half-way leaves a digest that differs and the
next run finishes the views."""

from __future__ import annotations

from publisher.catalog.views import VIEWS_HASH, view_steps, views_hash


def sync_views(api, resource_id: str, wanted) -> dict:
    """``api``: an apply.Api. Returns the resource as patched with the new digest."""
    existing = api.call("resource_view_list", id=resource_id)
    for action, view in view_steps(wanted, existing):
        if action == "create":
            api.call("resource_view_create", resource_id=resource_id, **view)
        elif action == "update":
            api.call("resource_view_update", resource_id=resource_id, **view)
        else:
            api.call("resource_view_delete", id=view["id"])
    return api.call("resource_patch", id=resource_id, **{VIEWS_HASH: views_hash(wanted)})
