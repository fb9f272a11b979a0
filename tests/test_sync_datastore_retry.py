"""A DataStore write that the portal commits and then answers with a 5xx (a proxy in front of
the real CKAN forwards the request, waits for CKAN's answer, and replaces it with 502): the
table must end with each row once, with or without a primary key."""

from __future__ import annotations

import csv
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from publisher.catalog import apply
from publisher.catalog.client import Portal
from publisher.catalog.sync import sync
from tests.catalog_copy import copy_catalog, descriptor_of, write_descriptor

pytestmark = pytest.mark.portal

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}


class CommitThen502(BaseHTTPRequestHandler):
    """Forwards everything to CKAN; the first call of each action in ``fail`` is committed by
    CKAN and then answered 502."""

    upstream = ""
    fail: set[str] = set()
    failed: list[str] = []
    lock = threading.Lock()

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP | {"host"}}
        answer = requests.request(self.command, self.upstream + self.path, data=body, headers=headers,
                                  timeout=300, allow_redirects=False)
        action = self.path.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
        with self.lock:
            spoil = action in self.fail and answer.ok
            if spoil:
                self.fail.discard(action)
                self.failed.append(action)
        status, payload = (502, b"<html>bad gateway</html>") if spoil else (answer.status_code, answer.content)
        self.send_response(status)
        if not spoil:
            for key, value in answer.headers.items():
                if key.lower() not in HOP_BY_HOP:
                    self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _forward  # noqa: N815 (http.server's naming)

    def log_message(self, *args):
        pass


@pytest.fixture
def proxy(portal):
    CommitThen502.upstream, CommitThen502.failed = portal.url, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), CommitThen502)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Portal(f"http://127.0.0.1:{server.server_address[1]}", portal.token)
    server.shutdown()


def rows_in(path) -> int:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


@pytest.mark.parametrize("primary_key", [True, False], ids=["with-primary-key", "without-primary-key"])
def test_a_datastore_write_committed_then_answered_502_leaves_no_duplicate_row(portal, ckan, proxy, tmp_path,
                                                                              unique, monkeypatch, primary_key):
    monkeypatch.setattr(apply, "CHUNK", 20)     # several calls per table: a create, then inserts
    (name, folder), = copy_catalog(tmp_path / "packages", f"{unique}{int(primary_key)}", ["th-provinces"]).items()
    descriptor = descriptor_of(folder)
    tables = {r["name"]: folder / r["path"] for r in descriptor["resources"]}
    if not primary_key:
        for resource in descriptor["resources"]:
            resource["schema"].pop("primaryKey", None)
            resource["schema"].pop("foreignKeys", None)
        write_descriptor(folder, descriptor)
    assert any(rows_in(path) > 2 * apply.CHUNK for path in tables.values())
    CommitThen502.fail = {"datastore_create", "datastore_upsert"}

    report = sync(proxy, tmp_path / "packages", catalog=f"test-{unique}", validate=False)

    assert report.exit_code == 0, report.to_json()
    assert sorted(CommitThen502.failed) == ["datastore_create", "datastore_upsert"]
    for resource in ckan.action.package_show(id=name)["resources"]:
        path = tables.get(resource.get("frictionless_name"))
        if path is None:
            continue
        found = ckan.action.datastore_search(resource_id=resource["id"], limit=0, include_total=True)
        assert found["total"] == rows_in(path), resource["frictionless_name"]
        keys = ckan.action.datastore_search(resource_id=resource["id"], limit=1000, fields="code")["records"]
        codes = [r["code"] for r in keys]
        assert len(codes) == len(set(codes)), "a row is in the table twice"
