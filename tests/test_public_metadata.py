"""What harvesters and search engines get of the published catalog: the DCAT of /catalog.ttl and
of every dataset (IRIs, not literals; Thai and English apart; a theme per category), a round
trip through ckanext-dcat's own RDFParser, and the schema.org block of every dataset page.
Against the real local portal, with every package of the repository published once."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
import requests
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF

from publisher.catalog.map import RESOURCE_KEY
from publisher.catalog.sync import sync
from publisher.catalog.client import Portal, read_token
from tests.catalog_copy import copy_catalog, descriptor_of
from tests.conftest import ROOT

pytestmark = pytest.mark.portal

MAPPING = json.loads((ROOT / "schemas" / "ckan" / "dcat_mapping.json").read_text(encoding="utf-8"))
PREFIXES = MAPPING["prefixes"]
DCAT, DCT, FOAF, RDFS, SKOS, DCATAP, GDC = (Namespace(PREFIXES[p]) for p in
                                            ("dcat", "dct", "foaf", "rdfs", "skos", "dcatap", "gdc"))
SCHEMA = Namespace("http://schema.org/")
PACKAGES = sorted(p.parent.name for p in (ROOT / "datapackages").glob("*/datapackage.json"))
# what ckanext-dcat's parser alone lost, and the gdc_mirror profile must bring back
ROUND_TRIP = ["name", "data_type", "standard", "objective", "accessible_condition", "data_format",
              "unit_of_measure", "unit_of_multiplier", "data_collect", "reference_data", "allow_harvest"]


@pytest.fixture(scope="module")
def published(stack, tmp_path_factory) -> dict:
    """Every package of the repository, published once under a catalog mark of its own."""
    unique = tmp_path_factory.mktemp("mark").name[-8:].replace("_", "")
    directory = tmp_path_factory.mktemp("packages")
    folders = copy_catalog(directory, unique, PACKAGES)
    portal = Portal(stack.ckan_url, read_token(env={}, default_file=stack.token_file))
    report = sync(portal, directory, catalog=f"metadata-{unique}")
    assert report.exit_code == 0, report.to_json()
    ckan = portal.client()
    return {"folders": folders, "shown": {name: ckan.action.package_show(id=name) for name in folders}}


def turtle(url: str) -> Graph:
    response = requests.get(url, timeout=60)
    assert response.status_code == 200, (url, response.status_code)
    return Graph().parse(data=response.content, format="turtle")


def dataset_node(graph: Graph, shown: dict) -> URIRef:
    [node] = [s for s in graph.subjects(RDF.type, DCAT.Dataset) if (s, DCT.identifier, Literal(shown["id"])) in graph]
    return node


def by_language(graph: Graph, subject, predicate) -> dict:
    out: dict = {}
    for value in graph.objects(subject, predicate):
        assert isinstance(value, Literal), (subject, predicate, value)
        out.setdefault(value.language, []).append(str(value))
    return out


def test_the_catalog_has_a_publisher_languages_as_iris_and_a_theme_taxonomy(stack, published):
    graph = turtle(f"{stack.ckan_url}/catalog.ttl?page=1")
    [catalog] = graph.subjects(RDF.type, DCAT.Catalog)
    [publisher] = graph.objects(catalog, DCT.publisher)
    assert isinstance(publisher, URIRef) and (publisher, RDF.type, FOAF.Agent) in graph
    assert set(by_language(graph, publisher, FOAF.name)) == {"th", "en"}
    languages = set(graph.objects(catalog, DCT.language))
    assert URIRef(PREFIXES["eu_language"] + "THA") in languages
    assert all(isinstance(language, URIRef) for language in languages), languages
    [taxonomy] = graph.objects(catalog, DCAT.themeTaxonomy)
    assert (taxonomy, RDF.type, SKOS.ConceptScheme) in graph


@pytest.mark.parametrize("package", PACKAGES)
def test_each_dataset_is_dcat_ap_with_iris_themes_and_thai_and_english_apart(stack, published, package):
    name = next(n for n in published["folders"] if n.startswith(package))
    shown, descriptor = published["shown"][name], descriptor_of(published["folders"][name])
    graph = turtle(f"{stack.ckan_url}/dataset/{name}.ttl")
    ds = dataset_node(graph, shown)

    assert set(graph.objects(ds, DCAT.landingPage)) == {URIRef(f"{stack.ckan_url}/dataset/{name}")}
    # @th and @en apart: the Thai literal holds no English description, the English one no Thai
    titles, notes = by_language(graph, ds, DCT.title), by_language(graph, ds, DCT.description)
    assert titles == {"th": [descriptor["title"]], "en": [descriptor["title_en"]]}
    assert notes == {"th": [descriptor["description"]], "en": [descriptor["description_en"]]}
    # a theme per category group, in the catalog's taxonomy, labelled in Thai
    themes = set(graph.objects(ds, DCAT.theme))
    assert len(themes) == len(descriptor["groups"]) > 0
    for group, theme in zip(sorted(descriptor["groups"]), sorted(themes, key=lambda t: str(t).rsplit("/", 1)[-1])):
        assert isinstance(theme, URIRef) and str(theme).endswith(f"/{group}")
        assert (theme, RDF.type, SKOS.Concept) in graph and list(graph.objects(theme, SKOS.inScheme))
        assert by_language(graph, theme, SKOS.prefLabel)["th"]
    # dct:type (and dct:conformsTo when set) as resources with labels
    [data_type] = graph.objects(ds, DCT.type)
    assert isinstance(data_type, URIRef)
    assert (data_type, SKOS.prefLabel, Literal(shown["data_type"], lang="th")) in graph
    for standard in graph.objects(ds, DCT.conformsTo):
        assert isinstance(standard, URIRef) and (standard, RDF.type, DCT.Standard) in graph
        assert [str(label) for label in graph.objects(standard, RDFS.label)] == [shown["standard"]]

    distributions = set(graph.objects(ds, DCAT.distribution))
    assert len(distributions) == len(shown["resources"]) == len(descriptor["resources"]) + 2
    for distribution in distributions:
        [file_type] = graph.objects(distribution, DCT["format"])
        [media_type] = graph.objects(distribution, DCAT.mediaType)
        assert isinstance(file_type, URIRef) and str(file_type).startswith(PREFIXES["eu_file_type"])
        assert isinstance(media_type, URIRef) and str(media_type).startswith(PREFIXES["iana"])
        assert set(graph.objects(distribution, DCATAP.availability)) == {
            URIRef(PREFIXES["eu_planned_availability"] + "STABLE")}
        [key] = graph.objects(distribution, DCT.identifier)
        resource = next((r for r in descriptor["resources"] if r["name"] == str(key)), {"description_en": "file"})
        descriptions = by_language(graph, distribution, DCT.description)
        assert set(descriptions) == ({"th", "en"} if resource.get("description_en") else {"th"}), key
        if "en" in descriptions:
            assert descriptions["en"][0] not in descriptions["th"][0]
        assert len(by_language(graph, distribution, DCT.title)["en"]) == 1
    formats = {str(o).rsplit("/", 1)[-1] for d in distributions for o in graph.objects(d, DCT["format"])}
    assert formats == {"CSV", "XLSX", "JSON"}


def parse_back(stack, url: str) -> list[dict]:
    body = requests.get(url, timeout=60).content.decode("utf-8")
    result = subprocess.run([str(stack.venv / "bin" / "python"), str(ROOT / "tests" / "dcat_parse.py"),
                             str(stack.ckan_ini)], input=body, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


@pytest.mark.parametrize("package", PACKAGES)
def test_ckanext_dcat_parses_every_gd_catalog_field_back(stack, published, package):
    name = next(n for n in published["folders"] if n.startswith(package))
    shown = published["shown"][name]
    [parsed] = parse_back(stack, f"{stack.ckan_url}/dataset/{name}.ttl")
    for field in ROUND_TRIP:
        if shown.get(field) not in (None, "", []):
            assert parsed.get(field) == shown[field], field
    assert parsed["title"] == shown["title"] and parsed["notes"] == shown["notes"]
    assert sorted(g["name"] for g in parsed["groups"]) == sorted(g["name"] for g in shown["groups"])
    assert sorted(r[RESOURCE_KEY] for r in parsed["resources"]) == sorted(r[RESOURCE_KEY] for r in shown["resources"])
    assert {e["key"]: e["value"] for e in parsed["extras"]}["title_en"] == descriptor_of(
        published["folders"][name])["title_en"]


def schema_org(stack, name: str) -> Graph:
    page = requests.get(f"{stack.ckan_url}/dataset/{name}", timeout=60).text
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert len(blocks) == 1
    return Graph().parse(data=blocks[0], format="json-ld")


@pytest.mark.parametrize("package", PACKAGES)
def test_each_dataset_page_has_complete_schema_org(stack, published, package):
    name = next(n for n in published["folders"] if n.startswith(package))
    shown = published["shown"][name]
    graph = schema_org(stack, name)
    [ds] = graph.subjects(RDF.type, SCHEMA.Dataset)
    assert [str(i) for i in graph.objects(ds, SCHEMA.identifier)] == [shown["id"]]
    codes = MAPPING["schema_org"]["languages"]
    assert {str(lang) for lang in graph.objects(ds, SCHEMA.inLanguage)} == {codes[v] for v in shown["data_language"]}
    assert shown["geo_coverage"] == "ประเทศ"
    [place] = graph.objects(ds, SCHEMA.spatialCoverage)
    assert Literal("ประเทศไทย", lang="th") in set(graph.objects(place, SCHEMA.name))
    coverage = [str(c) for c in graph.objects(ds, SCHEMA.temporalCoverage)]
    if shown.get("first_year_of_data"):
        first, last = (str(int(shown[k]) - 543) for k in ("first_year_of_data", "last_year_of_data"))
        assert coverage == [first if first == last else f"{first}/{last}"]
    else:
        assert coverage == []
    downloads = set(graph.objects(ds, SCHEMA.distribution))
    assert len(downloads) == len(shown["resources"])
    urls = {r["url"]: r["mimetype"] for r in shown["resources"]}
    for download in downloads:
        [content_url] = graph.objects(download, SCHEMA.contentUrl)
        assert not list(graph.objects(download, SCHEMA.url))
        assert [str(f) for f in graph.objects(download, SCHEMA.encodingFormat)] == [urls[str(content_url)]]
    assert len(set(graph.subjects(RDF.type, SCHEMA.ContactPoint))) == 1


def test_the_published_descriptor_names_its_profile_and_keeps_each_files_hash_and_bytes(published):
    for name, shown in published["shown"].items():
        by_key = {r[RESOURCE_KEY]: r for r in shown["resources"]}
        descriptor = requests.get(by_key["datapackage.json"]["url"], timeout=60).json()
        assert descriptor["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
        for entry in descriptor["resources"]:
            on_portal = by_key[entry["name"]]
            assert entry["path"] == on_portal["url"]
            assert entry["hash"] == f"sha256:{on_portal['hash']}" and entry["bytes"] == int(on_portal["size"])
            body = requests.get(entry["path"], timeout=60).content
            assert len(body) == entry["bytes"]
