"""The pure half of sync: mapping a package to portal fields, comparing with what the portal
returns, planning, and the retry policy (against a small local HTTP server)."""

from __future__ import annotations

import copy
import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import ckanapi
import pytest

from publisher.catalog import map as mapping
from publisher.catalog.apply import Api, PortalUnreachable, SyncError
from publisher.catalog.client import Portal
from publisher.catalog.plan import Plan, dataset_step, fingerprint, make_plan, with_fingerprint
from publisher.catalog.state import PortalState, read_datasets
from publisher.catalog.views import VIEWS_HASH, views_hash
from tests.conftest import ROOT

PACKAGE = ROOT / "datapackages" / "public-sector-digital-indicators"


@pytest.fixture
def local():
    return mapping.load_dataset(PACKAGE)


def as_portal_returns(local: mapping.LocalDataset, urls: bool = True) -> dict:
    """A package_show dict as CKAN 2.11 + scheming returns it after our writes: tags and groups
    as dicts, the organization as an object, resources with server-side keys added."""
    fields = with_fingerprint(local.fields)
    shown = {k: copy.deepcopy(v) for k, v in fields.items() if k not in ("tag_string", "owner_org", "groups")}
    shown.update(id="pkg-1", state="active", metadata_modified="2026-01-01T00:00:00",
                 tags=[{"name": t, "display_name": t} for t in reversed(fields["tag_string"].split(","))],
                 organization={"name": fields["owner_org"], "id": "org-1", "title": "…"},
                 owner_org="org-1", groups=[{"name": g["name"], "id": g["name"]} for g in fields["groups"]])
    resources = []
    for index, resource in enumerate(local.resources):
        if resource.key == mapping.DATAPACKAGE:
            continue
        resources.append({**resource.fields, "id": f"res-{index}", "state": "active", "position": index,
                          "size": resource.fields["size"], "url_type": "upload", "datastore_active": True,
                          mapping.DATASTORE_HASH: resource.sha256, "resource_disaggregate": [],
                          VIEWS_HASH: views_hash(resource.views),
                          "url": f"http://portal/dataset/pkg-1/resource/res-{index}/download/{resource.key}.csv"})
    urls_by_key = {r[mapping.RESOURCE_KEY]: r["url"] for r in resources}
    content = mapping.portal_datapackage(local, urls_by_key)
    resources.append({**mapping.datapackage_fields(content), "id": "res-dp", "state": "active",
                      "url": "http://portal/dataset/pkg-1/resource/res-dp/download/datapackage.json"})
    shown["resources"] = resources
    return shown


def test_thai_gdc_fields_go_to_the_top_level_never_into_extras(local):
    fields = local.fields
    assert fields["data_category"] == "ข้อมูลสาธารณะ" and fields["license_id"] == "Creative Commons Attributions"
    assert fields["owner_org"] == "opdc" and fields["private"] is False
    extras = {e["key"] for e in fields["extras"]}
    assert extras == {"managed_by", "title_en", "frictionless_profile"}
    assert not extras & {f["field_name"] for f in json.loads(mapping.DATASET_SCHEMA_FILE.read_text())["dataset_fields"]}


def test_multiple_select_values_are_sent_in_the_portal_order(local):
    order = mapping.multiple_choice_order()["objective"]
    values = local.fields["objective"]
    assert values == sorted(values, key=order.index)


def test_what_the_portal_returns_compares_equal_so_nothing_is_planned(local):
    step = dataset_step(local, as_portal_returns(local))
    assert step.action == "unchanged", (step.changes, [(r.key, r.action, r.changes) for r in step.resources])


def test_a_portal_edit_is_drift_and_a_local_edit_is_a_change(local):
    edited = as_portal_returns(local)
    edited["maintainer"] = "แก้บนพอร์ทัล"
    step = dataset_step(local, edited)
    assert step.action == "update" and step.drift == ["maintainer"]

    changed = copy.deepcopy(local)
    changed.fields["maintainer"] = "ผู้ดูแลคนใหม่"
    step = dataset_step(changed, as_portal_returns(local))
    assert set(step.changes) == {"maintainer", "extras"} and step.drift == []


def test_only_datasets_marked_exactly_with_the_catalog_are_ours(local):
    """The index matches extras as words: a search for "test" also returns "test-other" and "Test"."""
    def marked(name: str, mark: str) -> dict:
        return {**as_portal_returns(local), "name": name, "extras": [{"key": mapping.MARKER_KEY, "value": mark}]}

    answer = [marked("a", "test"), marked("b", "test-other"), marked("c", "Test"), marked("d", "test")]
    state = read_datasets(lambda action, **query: {"results": answer, "count": len(answer)}, catalog="test")
    assert sorted(state.datasets) == ["a", "d"]
    plan = make_plan([local], state, {}, {}, prune=True, prune_share=1.0)
    assert sorted(d.name for d in plan.datasets if d.action == "delete") == ["a", "d"]


def test_a_changed_file_is_reuploaded_and_its_datastore_reloaded(local):
    remote = as_portal_returns(local)
    remote["resources"][0]["hash"] = remote["resources"][0][mapping.DATASTORE_HASH] = "0" * 64  # the old file
    step = dataset_step(local, remote)
    first = step.resources[0]
    assert (first.action, first.datastore, first.id) == ("reupload", True, "res-0")
    assert all(r.action == "unchanged" for r in step.resources[1:])


def test_an_interrupted_datastore_load_is_redone(local):
    remote = as_portal_returns(local)
    remote["resources"][1][mapping.DATASTORE_HASH] = "stale"
    step = dataset_step(local, remote)
    assert [(r.key, r.action, r.datastore) for r in step.resources if r.action != "unchanged"] == \
        [(local.resources[1].key, "update", True)]


def test_duplicate_and_leftover_resources_are_deleted(local):
    remote = as_portal_returns(local)
    twin = {**remote["resources"][0], "id": "res-twin", "hash": "1" * 64}
    leftover = {**remote["resources"][0], "id": "res-old", mapping.RESOURCE_KEY: "gone"}
    foreign = {"id": "res-hand", "name": "added by hand", "url": "http://x", "state": "active"}
    remote["resources"] += [twin, leftover, foreign]
    step = dataset_step(local, remote)
    deletes = sorted((r.id, r.reason) for r in step.resources if r.action == "delete")
    assert deletes == [("res-old", "no longer in the package"), ("res-twin", "duplicate")]
    assert "res-hand" not in {r.id for r in step.resources}


def test_the_descriptor_resource_follows_the_schema_not_the_file_hashes(local, tmp_path):
    remote = as_portal_returns(local)
    remote["resources"][0]["hash"] = "0" * 64           # a file changed: the descriptor did not
    assert next(r for r in dataset_step(local, remote).resources if r.key == mapping.DATAPACKAGE).action == "unchanged"
    shutil.copytree(PACKAGE, tmp_path / PACKAGE.name)
    descriptor = json.loads((tmp_path / PACKAGE.name / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"][0]["schema"]["fields"][0]["description"] += " (แก้ไข)"
    (tmp_path / PACKAGE.name / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False),
                                                             encoding="utf-8")
    changed = mapping.load_dataset(tmp_path / PACKAGE.name)
    assert next(r for r in dataset_step(changed, as_portal_returns(local)).resources
                if r.key == mapping.DATAPACKAGE).action == "reupload"


def test_a_descriptor_edited_during_a_run_is_refused_not_published(local, tmp_path):
    shutil.copytree(PACKAGE, tmp_path / PACKAGE.name)
    read = mapping.load_dataset(tmp_path / PACKAGE.name)
    assert read.descriptor["name"] == local.name
    path = tmp_path / PACKAGE.name / "datapackage.json"
    path.write_text(path.read_text(encoding="utf-8").replace(local.name, local.name + "-x"), encoding="utf-8")
    with pytest.raises(mapping.MappingError, match="changed while this run was under way"):
        mapping.portal_datapackage(read, {})
    with pytest.raises(mapping.MappingError, match="changed while this run was under way"):
        _ = next(r for r in read.resources if r.tabular).schema


def _state(*names: str, deleted: tuple[str, ...] = ()) -> PortalState:
    return PortalState(datasets={n: {"id": f"id-{n}", "name": n, "state": "deleted" if n in deleted else "active",
                                     "resources": []} for n in names})


def test_prune_deletes_only_what_is_gone_and_never_a_skipped_package(local):
    state = _state(local.name, "old-one", "broken-one", *[f"kept-{i}" for i in range(5)])
    locals_ = [local] + [mapping.LocalDataset(f"kept-{i}", PACKAGE, local.fields, [], {}) for i in range(5)]
    plan = make_plan(locals_, state, {}, {}, prune=True, skipped={"broken-one": "invalid"})
    assert [(d.name, d.action) for d in plan.datasets if d.action in ("delete", "skip")] == \
        [("broken-one", "skip"), ("old-one", "delete")]
    assert plan.refused is None


def test_prune_refuses_over_the_limit_and_on_an_empty_repository(local):
    plan = make_plan([local], _state(local.name, "a", "b"), {}, {}, prune=True)
    assert plan.refused and "2 of 3" in plan.refused and not any(d.action == "delete" for d in plan.datasets)
    plan = make_plan([], _state("a"), {}, {}, prune=True, prune_share=1.0)
    assert plan.refused
    assert make_plan([local], _state(local.name, "a", "b"), {}, {}, prune=False).refused is None


def test_a_saved_plan_round_trips_and_its_digest_ignores_old_values(local):
    plan = make_plan([local], _state(), {"opdc": {"name": "opdc", "title": "t"}}, {})
    again = Plan.from_json(json.loads(json.dumps(plan.to_json())))
    assert again.digest() == plan.digest()
    assert again.datasets[0].resources[0].key == plan.datasets[0].resources[0].key


def test_the_fingerprint_ignores_its_own_extra(local):
    assert fingerprint(with_fingerprint(local.fields)) == fingerprint(local.fields)


# --- retries, against a real HTTP server that misbehaves on purpose ------------------------

class Flaky(BaseHTTPRequestHandler):
    script: list = []
    seen: list = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Flaky.seen.append(self.path)
        status, body = Flaky.script.pop(0) if Flaky.script else (200, {"success": True, "result": "ok"})
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def flaky():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Flaky.script, Flaky.seen = [], []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def api_for(url: str, token: str = "secret-token-0123456789abcdef") -> Api:
    return Api(Portal(url, token), sleep=lambda _: None)


def test_server_errors_and_rate_limits_are_retried(flaky):
    Flaky.script = [(503, b"<html>busy</html>"), (429, b"slow down"), (502, b"bad gateway")]
    api = api_for(flaky)
    assert api.call("package_search") == "ok"
    assert len(Flaky.seen) == 4 and api.calls["package_search"] == 4


def test_a_refusal_is_not_retried_and_the_token_never_shows(flaky):
    token = "secret-token-0123456789abcdef"
    Flaky.script = [(409, {"success": False, "error": {"__type": "Validation Error", "name": ["taken"]}})]
    with pytest.raises(ckanapi.ValidationError):
        api_for(flaky, token).call("package_create", name="x")
    assert len(Flaky.seen) == 1
    Flaky.script = [(500, f"internal error near {token}".encode())] * 4
    with pytest.raises(SyncError) as failed:
        api_for(flaky, token).call("package_patch", id="x")
    assert token not in str(failed.value) and "HTTP 500" in str(failed.value)


def test_a_create_is_not_repeated_when_a_read_shows_it_went_through(flaky):
    Flaky.script = [(504, b"gateway timeout")]
    made = {"id": "created-by-the-first-attempt"}
    api = api_for(flaky)
    assert api.call("package_create", exists=lambda: made, name="x") is made
    assert Flaky.seen == ["/api/action/package_create"]


def test_an_unreachable_portal_is_named():
    api = Api(Portal("http://127.0.0.1:9", None), sleep=lambda _: None, attempts=2)
    with pytest.raises(PortalUnreachable) as failed:
        api.call("package_search")
    assert "cannot reach the portal at http://127.0.0.1:9" in str(failed.value)


def test_a_duplicate_descriptor_resource_is_planned_for_deletion(local):
    remote = as_portal_returns(local)
    twin = {**remote["resources"][-1], "id": "res-dp-twin"}
    remote["resources"].append(twin)
    step = dataset_step(local, remote)
    assert [(r.key, r.action, r.id) for r in step.resources if r.action != "unchanged"] == \
        [(mapping.DATAPACKAGE, "delete", "res-dp-twin")]


def test_a_package_that_passed_is_not_validated_again_until_a_byte_changes(tmp_path, monkeypatch, unique):
    from publisher.catalog import validated
    from publisher.catalog.sync import load_local
    from tests.catalog_copy import copy_catalog

    monkeypatch.setattr(validated, "CACHE_FILE", tmp_path / "validated.json")
    folders = copy_catalog(tmp_path / "packages", unique, ["th-provinces", "public-sector-digital-indicators"])

    def validated_now(**kwargs) -> list[str]:
        seen = []
        load_local(tmp_path / "packages", progress=lambda event, name, *_: event == "validate" and seen.append(name),
                   **kwargs)
        return sorted(seen)

    assert validated_now() == sorted(folders)
    assert validated_now() == []
    assert validated_now(revalidate=True) == sorted(folders)
    provinces = next(f for n, f in folders.items() if n.startswith("th-provinces"))
    data = provinces / "data" / "provinces.csv"
    data.write_bytes(data.read_bytes().replace(b"Krung Thep", b"Krung  Thep", 1))   # the descriptor's hash no longer fits
    assert validated_now() == [provinces.name]
    local, skipped = load_local(tmp_path / "packages")
    assert provinces.name in skipped and "table.hash" in skipped[provinces.name]
    assert [d.name for d in local] == [n for n in folders if n != provinces.name]


def test_a_table_is_marked_loaded_on_upload_only_if_one_call_loads_it_whole(tmp_path):
    from publisher.catalog.apply import CHUNK, fits_one_call
    from publisher.catalog.map import LocalResource

    def table(rows: int) -> LocalResource:
        path = tmp_path / f"t{rows}.csv"
        path.write_text("\ufeffn\n" + "".join(f"{n}\n" for n in range(rows)), encoding="utf-8")
        return LocalResource(key="t", path=path, sha256=None, fields={}, tabular=True)

    assert fits_one_call(table(0)) and fits_one_call(table(CHUNK))
    assert not fits_one_call(table(CHUNK + 1))


def test_an_invalid_package_in_a_folder_named_unlike_its_dataset_is_never_pruned(tmp_path, monkeypatch, unique):
    from publisher.catalog import validated
    from publisher.catalog.sync import load_local, protected
    from tests.catalog_copy import copy_catalog, descriptor_of

    monkeypatch.setattr(validated, "CACHE_FILE", tmp_path / "validated.json")
    (name, folder), = copy_catalog(tmp_path / "copies", unique, ["th-provinces"]).items()
    moved = tmp_path / "packages" / "provinces-v2"          # a hand-made package: folder ≠ dataset name
    moved.parent.mkdir()
    folder.rename(moved)
    assert descriptor_of(moved)["name"] == name != moved.name
    data = moved / "data" / "provinces.csv"
    data.write_bytes(data.read_bytes().replace(b"Krung Thep", b"Krung  Thep", 1))   # invalid: table.hash
    local, skipped = load_local(tmp_path / "packages")
    assert local == [] and list(skipped) == ["provinces-v2"]
    assert name in skipped["provinces-v2"] and "table.hash" in skipped["provinces-v2"]
    kept = [mapping.LocalDataset(f"kept-{i}", PACKAGE, {}, [], {}) for i in range(4)]
    plan = make_plan(kept, _state(name, *[d.name for d in kept]), {}, {}, prune=True, skipped=skipped,
                     protected=protected(tmp_path / "packages", skipped))
    assert plan.refused is None
    assert not [d.name for d in plan.datasets if d.action == "delete"]
    assert [(d.name, d.action) for d in plan.datasets if d.action == "skip"] == [("provinces-v2", "skip")]


def test_a_descriptor_that_is_not_a_json_object_is_skipped_and_named_and_the_others_go_on(tmp_path, monkeypatch,
                                                                                           unique):
    from publisher.catalog import validated
    from publisher.catalog.sync import load_local
    from tests.catalog_copy import copy_catalog

    monkeypatch.setattr(validated, "CACHE_FILE", tmp_path / "validated.json")
    (name, _), = copy_catalog(tmp_path / "packages", unique, ["th-provinces"]).items()
    (tmp_path / "packages" / "a-list").mkdir()
    (tmp_path / "packages" / "a-list" / "datapackage.json").write_text("[1, 2]", encoding="utf-8")
    for validate in (True, False):
        local, skipped = load_local(tmp_path / "packages", validate=validate)
        assert [d.name for d in local] == [name] and list(skipped) == ["a-list"], validate
    assert "package.shape" in load_local(tmp_path / "packages")[1]["a-list"]


def test_the_validated_record_goes_stale_with_any_module_validation_imports_or_a_library_upgrade(tmp_path,
                                                                                                  monkeypatch):
    from publisher.catalog import validated

    code = tmp_path / "publisher"
    shutil.copytree(ROOT / "publisher", code, ignore=shutil.ignore_patterns("__pycache__"))
    before = validated.validator_key(tmp_path, code=code)
    assert validated.validator_key(tmp_path, code=code) == before
    recipes = code / "extract" / "recipes.py"          # NUMERIC_TYPES: which columns are numbers
    recipes.write_text(recipes.read_text(encoding="utf-8").replace("\"year\")", "\"year\", \"date\")", 1),
                       encoding="utf-8")
    assert '"year", "date")' in recipes.read_text(encoding="utf-8")
    changed = validated.validator_key(tmp_path, code=code)
    assert changed != before
    upgraded = {**validated.library_versions(), "frictionless": "99.0"}
    monkeypatch.setattr(validated, "library_versions", lambda: upgraded)
    assert validated.validator_key(tmp_path, code=code) != changed
