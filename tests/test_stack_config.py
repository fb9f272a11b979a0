"""The portal's configuration as data: the GD-Catalog schema, licences, categories, ckan.ini settings."""

import json
import re
import unicodedata

import pytest

from publisher import stack as stack_module
from publisher.stack import Stack
from tests.conftest import ROOT

SCHEMAS = ROOT / "schemas" / "ckan"
DATASET = json.loads((SCHEMAS / "gdc_dataset.json").read_text(encoding="utf-8"))
DATA_TYPES = [c["value"] for c in DATASET["dataset_fields"][0]["choices"]]


def all_fields():
    return DATASET["dataset_fields"] + DATASET["resource_fields"]


def test_the_thirteen_gd_catalog_mandatory_fields_are_required():
    required = {f["field_name"] for f in DATASET["dataset_fields"] if f.get("required")}
    assert required == {"data_type", "title", "maintainer", "maintainer_email", "tag_string", "notes",
                        "objective", "update_frequency_unit", "geo_coverage", "data_source", "data_format",
                        "data_category", "license_id"}
    resource_required = {f["field_name"] for f in DATASET["resource_fields"] if f.get("required")}
    assert resource_required == {"name"}


@pytest.mark.parametrize("field", all_fields(), ids=lambda f: f["field_name"])
def test_every_field_has_thai_and_english_labels_and_valid_data_types(field):
    assert field["label"]["th"].strip() and field["label"]["en"].strip()
    assert re.search("[\u0E01-\u0E5B]", field["label"]["th"]) or field["label"]["th"] == "URL"
    assert field["form_data_type"] and set(field["form_data_type"]) <= set(DATA_TYPES)


def test_vocabulary_values_are_nfc_unique_and_other_has_no_space():
    for field in all_fields():
        values = [c["value"] for c in field.get("choices", [])]
        assert len(values) == len(set(values)), field["field_name"]
        for value in values:
            assert unicodedata.is_normalized("NFC", value)
            assert value != "อื่น ๆ"


def test_every_other_option_has_its_free_text_field():
    names = {f["field_name"] for f in DATASET["dataset_fields"]}
    with_other = {f["field_name"] for f in DATASET["dataset_fields"]
                  if any(c["value"] in ("อื่นๆ", "ข้อมูลประเภทอื่นๆ") for c in f.get("choices", []))}
    assert with_other and all(f"{name}_other" in names for name in with_other)


def test_licence_register_matches_the_schema_choices():
    licences = json.loads((SCHEMAS / "licenses.json").read_text(encoding="utf-8"))
    choices = next(f for f in DATASET["dataset_fields"] if f["field_name"] == "license_id")["choices"]
    assert [lic["id"] for lic in licences] == [c["value"] for c in choices]
    assert len(licences) == 7


def test_settings_fill_every_placeholder_and_write_one_group_schema_per_category(tmp_path):
    stack = Stack(state=tmp_path, ckan_port=15000, solr_port=18983)
    settings = stack_module._settings(stack)
    assert not [k for k, v in settings.items() if "{" in v or "}" in v]
    assert settings["solr_url"] == "http://127.0.0.1:18983/solr/ckan"
    assert settings["ckan.locale_default"] == "th" and "en" in settings["ckan.locales_offered"].split()
    groups = settings["scheming.group_schemas"].split()
    assert len(groups) == 7
    written = json.loads((tmp_path / "group-schemas" / "category07.json").read_text(encoding="utf-8"))
    assert written["group_type"] == "category07" and written["about"] == "อื่น ๆ"
    assert oct((tmp_path / "secrets" / "db-password").stat().st_mode & 0o777) == "0o600"


def test_stack_reads_its_place_and_ports_from_the_environment(tmp_path):
    stack = Stack.from_env({"PUBLISHER_STACK_DIR": str(tmp_path), "PUBLISHER_CKAN_PORT": "5055"})
    assert stack.state == tmp_path.resolve()
    assert stack.ckan_url == "http://127.0.0.1:5055"
    assert stack.solr_port == 8983
