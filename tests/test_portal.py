"""The local portal is a real CKAN with the GD-Catalog (thai_gdc) schema live: what it stores,
finds through Solr, and refuses."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import ckanapi
import pytest

from tests.conftest import ROOT, complete_dataset

pytestmark = pytest.mark.portal

SCHEMA = json.loads((ROOT / "schemas" / "ckan" / "gdc_dataset.json").read_text(encoding="utf-8"))
REQUIRED = [f["field_name"] for f in SCHEMA["dataset_fields"] if f.get("required")]
CHOICE_FIELDS = [f["field_name"] for f in SCHEMA["dataset_fields"] if f.get("choices")]
MULTI_FIELDS = {f["field_name"] for f in SCHEMA["dataset_fields"] if f.get("preset") == "multiple_select"}


def test_dataset_with_every_mandatory_field_is_stored_and_found_through_solr(ckan, organization, unique):
    wanted = complete_dataset(organization, f"gdc-{unique}")
    created = ckan.action.package_create(**wanted)

    found = ckan.action.package_search(q=f"name:gdc-{unique}", include_private=True)
    assert found["count"] == 1
    assert found["results"][0]["id"] == created["id"]

    # a Thai word of the title, searched as text, comes back from the Solr index
    by_thai_word = ckan.action.package_search(q="อิเล็กทรอนิกส์", fq=f"organization:{organization['name']}")
    assert [d["name"] for d in by_thai_word["results"]] == [f"gdc-{unique}"]

    shown = ckan.action.package_show(id=created["id"])
    for key, value in wanted.items():
        if key in ("owner_org", "tag_string"):
            continue
        assert shown[key] == value, key
    assert sorted(t["name"] for t in shown["tags"]) == ["e-Service", "รัฐบาลดิจิทัล"]
    assert shown["organization"]["title"] == organization["title"]
    assert shown["license_title"] == "Creative Commons Attributions"
    # stored as sent: NFC Thai, no transliteration or escaping on the way through
    assert unicodedata.is_normalized("NFC", shown["data_category"])


@pytest.mark.parametrize("field", REQUIRED)
def test_dataset_missing_a_mandatory_field_is_rejected_with_a_field_error(ckan, organization, unique, field):
    dataset = complete_dataset(organization, f"missing-{unique}")
    del dataset[field]
    with pytest.raises(ckanapi.ValidationError) as rejected:
        ckan.action.package_create(**dataset)
    assert field in (rejected.value.error_dict.keys() | ({"tag_string"} if "tags" in rejected.value.error_dict else set()))
    assert ckan.action.package_search(q=f"name:missing-{unique}", include_private=True)["count"] == 0


@pytest.mark.parametrize("field", CHOICE_FIELDS)
def test_value_outside_a_vocabulary_is_rejected_with_a_field_error(ckan, organization, unique, field):
    dataset = complete_dataset(organization, f"vocab-{unique}")
    typo = "ข้อมูลสาธารณะะ"  # one extra vowel mark: looks right, is not in any vocabulary
    dataset[field] = [typo] if field in MULTI_FIELDS else typo
    with pytest.raises(ckanapi.ValidationError) as rejected:
        ckan.action.package_create(**dataset)
    assert field in rejected.value.error_dict


def test_schema_licences_and_category_groups_are_served_by_the_portal(ckan):
    served = ckan.action.scheming_dataset_schema_show(type="dataset")
    assert [f["field_name"] for f in served["dataset_fields"]] == [f["field_name"] for f in SCHEMA["dataset_fields"]]
    licences = [lic["id"] for lic in ckan.action.license_list()]
    assert licences == [c["value"] for c in next(f for f in SCHEMA["dataset_fields"]
                                                  if f["field_name"] == "license_id")["choices"]]
    categories = json.loads((ROOT / "schemas" / "ckan" / "category_groups.json").read_text(encoding="utf-8"))
    assert ckan.action.scheming_group_schema_list() == [t["group_type"] for t in categories["group_types"]]


def test_a_category_group_holds_a_dataset(ckan, organization, unique):
    group = ckan.action.group_create(name=f"cat-{unique}", title="การบริหารราชการแผ่นดิน", type="category02")
    dataset = complete_dataset(organization, f"grouped-{unique}")
    ckan.action.package_create(groups=[{"name": group["name"]}], **dataset)
    found = ckan.action.package_search(fq=f"groups:cat-{unique}")
    assert [d["name"] for d in found["results"]] == [f"grouped-{unique}"]
    assert ckan.action.group_show(id=group["id"])["type"] == "category02"


def test_portal_rules_beyond_ckan_core_thai_tags_name_length_unique_title(ckan, organization, unique):
    first = complete_dataset(organization, f"rules-{unique}")
    first["tag_string"] = "การพัฒนาระบบราชการ,ตัวชี้วัด ๒๕๖๔,open-data"
    created = ckan.action.package_create(**first)
    assert {t["name"] for t in created["tags"]} == {"การพัฒนาระบบราชการ", "ตัวชี้วัด ๒๕๖๔", "open-data"}

    same_title = complete_dataset(organization, f"rules2-{unique}")
    same_title["title"] = first["title"]
    with pytest.raises(ckanapi.ValidationError) as rejected:
        ckan.action.package_create(**same_title)
    assert "title" in rejected.value.error_dict

    long_name = complete_dataset(organization, f"n{unique}" + "x" * 62)  # 71 characters
    with pytest.raises(ckanapi.ValidationError) as rejected:
        ckan.action.package_create(**long_name)
    assert "name" in rejected.value.error_dict

    bad_tag = complete_dataset(organization, f"rules3-{unique}")
    bad_tag["tag_string"] = "ข้อมูล/สถิติ"
    with pytest.raises(ckanapi.ValidationError) as rejected:
        ckan.action.package_create(**bad_tag)
    assert "tags" in rejected.value.error_dict or "tag_string" in rejected.value.error_dict
