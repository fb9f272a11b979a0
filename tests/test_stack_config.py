"""The portal's configuration as data: the GD-Catalog schema, licences, categories, ckan.ini settings."""

import json
import re
import shutil
import unicodedata

import pytest

from publisher.stack.ckan import _settings, ckan_inputs_digest
from publisher.stack.solr import _prepare_solr_home, solr_refresh_needed, thai_solr_schema
from publisher.stack.supervisor import Stack, StackError
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
    settings = _settings(stack)
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


# --- the public side: DCAT, previews, Thai search ------------------------------------

DCAT_MAPPING = json.loads((SCHEMAS / "dcat_mapping.json").read_text(encoding="utf-8"))
CKAN_LIKE_SCHEMA = """<?xml version="1.0" encoding="UTF-8" ?>
<schema name="ckan" version="2.11">
<types>
    <fieldType name="string" class="solr.StrField" sortMissingLast="true" omitNorms="true"/>
    <fieldType name="text" class="solr.TextField" positionIncrementGap="100">
        <analyzer type="index"><tokenizer class="solr.WhitespaceTokenizerFactory"/></analyzer>
        <analyzer type="query"><tokenizer class="solr.WhitespaceTokenizerFactory"/></analyzer>
    </fieldType>
    <fieldType name="text_general" class="solr.TextField" positionIncrementGap="100">
        <analyzer type="index"><tokenizer class="solr.WhitespaceTokenizerFactory"/></analyzer>
        <analyzer type="query"><tokenizer class="solr.WhitespaceTokenizerFactory"/></analyzer>
    </fieldType>
    <fieldType name="text_ngram" class="solr.TextField" positionIncrementGap="100">
      <analyzer type="query"><tokenizer class="solr.WhitespaceTokenizerFactory"/></analyzer>
    </fieldType>
</types>
</schema>
"""


def test_settings_enable_dcat_with_the_gd_catalog_profile_and_datastore_previews(tmp_path):
    settings = _settings(Stack(state=tmp_path))
    plugins = settings["ckan.plugins"].split()
    assert {"dcat", "structured_data", "datatables_view", "datastore", "gdc_mirror"} <= set(plugins)
    assert settings["ckanext.dcat.rdf.profiles"].split() == ["euro_dcat_ap_3", "gdc_mirror"]
    assert settings["ckan.views.default_views"].split() == ["datatables_view"]
    assert settings["ckanext.gdcmirror.dcat_mapping"] == str(SCHEMAS / "dcat_mapping.json")
    profile_entry = (ROOT / "stack" / "ckanext-gdcmirror" / "pyproject.toml").read_text(encoding="utf-8")
    assert '[project.entry-points."ckan.rdf.profiles"]' in profile_entry
    assert re.search(r"^ckanext-dcat==\d+\.\d+\.\d+$",
                     (ROOT / "stack" / "ckan" / "requirements.txt").read_text(encoding="utf-8"), re.M)


def test_dcat_mapping_names_only_real_fields_choices_and_declared_prefixes():
    dataset_fields = {f["field_name"]: f for f in DATASET["dataset_fields"]}
    resource_fields = {f["field_name"]: f for f in DATASET["resource_fields"]}
    prefixes = DCAT_MAPPING["prefixes"]

    def curies(rule):
        yield rule["term"]
        yield from (rule[k] for k in ("class", "bbox_term", "start_term", "end_term", "otherwise") if k in rule)
        yield from rule.get("values", {}).values()

    for rules, fields in ((DCAT_MAPPING["dataset_fields"], dataset_fields),
                          (DCAT_MAPPING["resource_fields"], resource_fields)):
        for rule in rules:
            names = rule.get("fields") or [rule["field"]]
            assert set(names) <= fields.keys(), names
            for curie in curies(rule):
                assert curie.partition(":")[0] in prefixes, curie
            choices = {c["value"] for c in fields[names[0]].get("choices", [])}
            if rule.get("values") and rule["field"] != "license_id":
                assert set(rule["values"]) <= choices, rule["field"]
    for curie in DCAT_MAPPING["thai_literals"]["predicates"]:
        assert curie.partition(":")[0] in prefixes
    # every GD-Catalog field is mapped, left to the standard profile, or said to have no term
    accounted = set(DCAT_MAPPING["standard_fields"]) | set(DCAT_MAPPING["unmapped"]) | {
        name for rule in DCAT_MAPPING["dataset_fields"] for name in rule.get("fields") or [rule["field"]]}
    accounted |= {r["interval_field"] for r in DCAT_MAPPING["dataset_fields"] if "interval_field" in r}
    accounted |= {r["other_field"] for r in DCAT_MAPPING["dataset_fields"] if "other_field" in r}
    left = {n for n in dataset_fields if not n.endswith("_other")} - accounted - {"name", "owner_org"}
    assert left == set()


def test_frequency_map_covers_every_update_frequency_choice():
    rule = next(r for r in DCAT_MAPPING["dataset_fields"] if r.get("field") == "update_frequency_unit")
    choices = {c["value"] for c in next(f for f in DATASET["dataset_fields"]
                                        if f["field_name"] == "update_frequency_unit")["choices"]}
    assert set(rule["values"]) == choices


def test_thai_solr_schema_swaps_the_tokenizer_of_the_text_types_only():
    edited = thai_solr_schema(CKAN_LIKE_SCHEMA)
    assert edited.startswith('<?xml version="1.0" encoding="UTF-8" ?>\n<!--')
    for name in ("text", "text_general"):
        block = re.search(rf'<fieldType name="{name}" .*?</fieldType>', edited, re.S).group(0)
        assert block.count("solr.ThaiTokenizerFactory") == 2 and "Whitespace" not in block
    ngram = re.search(r'<fieldType name="text_ngram" .*?</fieldType>', edited, re.S).group(0)
    assert "solr.WhitespaceTokenizerFactory" in ngram
    # nothing else moves
    assert re.sub(r"<!-- CKAN's schema.xml, edited.*?-->\n", "", edited).replace(
        "solr.ThaiTokenizerFactory", "solr.WhitespaceTokenizerFactory").replace(
        ' autoGeneratePhraseQueries="true"', "") == CKAN_LIKE_SCHEMA


def test_thai_solr_schema_refuses_a_schema_it_does_not_recognise():
    changed = CKAN_LIKE_SCHEMA.replace("solr.WhitespaceTokenizerFactory", "solr.StandardTokenizerFactory")
    with pytest.raises(StackError, match="text"):
        thai_solr_schema(changed)


def test_solr_core_is_refreshed_when_its_schema_or_index_is_not_the_wanted_one(tmp_path):
    stack = Stack(state=tmp_path)
    ckan_schema = tmp_path / "ckan-venv" / "lib" / "python3.11" / "site-packages" / "ckan" / "config" / "solr"
    ckan_schema.mkdir(parents=True)
    (ckan_schema / "schema.xml").write_text(CKAN_LIKE_SCHEMA, encoding="utf-8")
    assert solr_refresh_needed(stack)

    _prepare_solr_home(stack)  # a new core: no index yet, so it is built with this schema
    on_disk = stack.solr_home / "ckan" / "conf" / "schema.xml"
    assert "solr.ThaiTokenizerFactory" in on_disk.read_text(encoding="utf-8")
    assert not solr_refresh_needed(stack)

    on_disk.write_text(CKAN_LIKE_SCHEMA, encoding="utf-8")  # a core prepared by an older version
    assert solr_refresh_needed(stack)
    _prepare_solr_home(stack)
    assert not solr_refresh_needed(stack)

    (tmp_path / "markers" / "solr-index-schema.sha256").write_text("another schema")  # index to rebuild
    assert solr_refresh_needed(stack)


def test_a_portal_that_leaves_search_commits_to_solr_soft_commits_and_restarts_into_it(tmp_path):
    """PUBLISHER_SOLR_SOFT_COMMIT_MS: CKAN stops committing on each write and Solr's ckan core
    commits by itself every N ms; switching it restarts both (config and start-up inputs differ)."""
    ckan_schema = tmp_path / "ckan-venv" / "lib" / "python3.11" / "site-packages" / "ckan" / "config" / "solr"
    ckan_schema.mkdir(parents=True)
    (ckan_schema / "schema.xml").write_text(CKAN_LIKE_SCHEMA, encoding="utf-8")
    every_write = Stack.from_env({"PUBLISHER_STACK_DIR": str(tmp_path)})
    deferred = Stack.from_env({"PUBLISHER_STACK_DIR": str(tmp_path), "PUBLISHER_SOLR_SOFT_COMMIT_MS": "1000"})
    assert (every_write.solr_soft_commit_ms, deferred.solr_soft_commit_ms) == (0, 1000)
    assert _settings(every_write)["ckan.search.solr_commit"] == "true"
    assert _settings(deferred)["ckan.search.solr_commit"] == "false"
    solrconfig = (ROOT / "stack" / "solr" / "home" / "ckan" / "conf" / "solrconfig.xml").read_text(encoding="utf-8")
    assert "<maxTime>${solr.autoSoftCommit.maxTime:-1}</maxTime>" in solrconfig   # -1: none by default

    _prepare_solr_home(every_write)
    properties = every_write.solr_home / "ckan" / "core.properties"
    assert properties.read_text() == "name=ckan\n"
    assert solr_refresh_needed(deferred) and not solr_refresh_needed(every_write)
    _prepare_solr_home(deferred)
    assert properties.read_text().splitlines() == ["name=ckan", "solr.autoSoftCommit.maxTime=1000"]
    assert (deferred.solr_home / "central" / "core.properties").read_text() == "name=central\n"
    assert ckan_inputs_digest(deferred) != ckan_inputs_digest(every_write)


def test_ckan_restarts_when_what_it_loads_at_start_changes(tmp_path):
    root = tmp_path / "root"
    shutil.copytree(ROOT / "stack" / "ckan", root / "stack" / "ckan")
    shutil.copytree(ROOT / "stack" / "ckanext-gdcmirror", root / "stack" / "ckanext-gdcmirror")
    shutil.copytree(SCHEMAS, root / "schemas" / "ckan")
    stack = Stack(state=tmp_path / "state", root=root)
    before = ckan_inputs_digest(stack)
    (root / "stack" / "ckanext-gdcmirror" / "ckanext" / "gdcmirror" / "__pycache__").mkdir(exist_ok=True)
    (root / "stack" / "ckanext-gdcmirror" / "ckanext" / "gdcmirror" / "__pycache__" / "x.pyc").write_bytes(b"0")
    assert ckan_inputs_digest(stack) == before  # compiled files are not inputs
    mapping = root / "schemas" / "ckan" / "dcat_mapping.json"
    mapping.write_text(mapping.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert ckan_inputs_digest(stack) != before


def test_a_redis_that_fails_to_start_is_a_stack_error_naming_its_log(tmp_path):
    from publisher.stack.redis import start_redis

    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    stack = Stack(state=tmp_path / "stack", redis_port=70000)    # refused by redis-server itself
    with pytest.raises(StackError) as failed:
        start_redis(stack, lambda _: None)
    assert "redis" in str(failed.value) and str(stack.logs / "redis.log") in str(failed.value)
