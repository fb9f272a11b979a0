"""CKAN's action functions over a pipe: run inside the portal's CKAN venv with CKAN_INI set.

The scale benchmark seeds 10,000 datasets with ``publisher``'s own apply code, whose every call
comes here instead of going over HTTP: the same action, the same arguments, the same user (the
publisher sysadmin), run by ckanapi's LocalCKAN in this process. Only Solr commits are deferred
(``ckan.search.solr_commit = false``): each dataset is still indexed as it changes, and the
caller commits once at the end.

One JSON request a line on stdin, one JSON answer a line on stdout:
    {"action": "package_create", "data": {...}, "upload": ["t.csv", "/tmp/x"]}  (upload optional)
    {"result": ...}  or  {"error": "NotFound" | "ValidationError" | ..., "detail": ...}
"""
import json
import os
import sys

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app

SYSADMIN = "publisher"


def main() -> None:
    app = make_app(CKANConfigLoader(os.environ["CKAN_INI"]).get_config())
    import ckan.logic as logic
    import ckan.model as model
    from ckan.common import config
    from ckanapi import LocalCKAN

    config["ckan.search.solr_commit"] = False
    out = sys.stdout
    sys.stdout = sys.stderr          # whatever CKAN prints must not mix with the answers
    with app._wsgi_app.test_request_context(base_url=config["ckan.site_url"]):
        ckan = LocalCKAN(username=SYSADMIN)
        out.write(json.dumps({"ready": True}) + "\n")
        out.flush()
        for line in sys.stdin:
            request = json.loads(line)
            handle = None
            files = None
            try:
                if request.get("upload"):
                    filename, path = request["upload"]
                    handle = open(path, "rb")
                    files = {"upload": (filename, handle)}
                answer = {"result": ckan.call_action(request["action"], request.get("data") or {}, files=files)}
            except logic.NotFound as exc:
                model.Session.rollback()
                answer = {"error": "NotFound", "detail": str(exc)}
            except logic.ValidationError as exc:
                model.Session.rollback()
                answer = {"error": "ValidationError", "detail": exc.error_dict}
            except logic.NotAuthorized as exc:
                model.Session.rollback()
                answer = {"error": "NotAuthorized", "detail": str(exc)}
            except Exception as exc:  # noqa: BLE001 (reported to the caller as a server error)
                model.Session.rollback()
                answer = {"error": "CKANAPIError", "detail": f"{type(exc).__name__}: {exc}"}
            finally:
                if handle:
                    handle.close()
                model.Session.remove()
            out.write(json.dumps(answer, default=str) + "\n")
            out.flush()


if __name__ == "__main__":
    main()
