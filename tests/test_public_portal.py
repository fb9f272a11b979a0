"""What the public and other catalogs get from the portal: DCAT in Thai, Thai word search,
table previews from the DataStore. Against the real local CKAN, Solr and PostgreSQL."""

from __future__ import annotations

import json

import pytest
import requests
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF

from publisher.stack.solr import _ckan_solr_schema
from tests.conftest import ROOT, complete_dataset, publisher

pytestmark = pytest.mark.portal

MAPPING = json.loads((ROOT / "schemas" / "ckan" / "dcat_mapping.json").read_text(encoding="utf-8"))
DCAT, DCT, FOAF, RDFS, SKOS, VCARD, XSD = (Namespace(MAPPING["prefixes"][p]) for p in
                                           ("dcat", "dct", "foaf", "rdfs", "skos", "vcard", "xsd"))
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
LICENCES = {lic["id"]: lic for lic in
            json.loads((ROOT / "schemas" / "ckan" / "licenses.json").read_text(encoding="utf-8"))}
# Thai written as Thai is written: no spaces between the words
TITLE = "จำนวนงานบริการอิเล็กทรอนิกส์ของภาครัฐ"


def term(curie: str) -> URIRef:
    prefix, _, name = curie.partition(":")
    return URIRef(MAPPING["prefixes"][prefix] + name)


def rule_for(field: str) -> dict:
    return next(r for r in MAPPING["dataset_fields"] if r.get("field") == field)


def rdf(url: str, fmt: str) -> Graph:
    response = requests.get(url, timeout=60)
    assert response.status_code == 200, (url, response.status_code, response.text[:500])
    return Graph().parse(data=response.content, format=fmt)


@pytest.fixture
def published(ckan, organization, unique) -> dict:
    """A complete GD-Catalog dataset with a DataStore table, as the publisher leaves it."""
    dataset = complete_dataset(organization, f"public-{unique}")
    dataset["title"] = f"{TITLE} ({unique})"
    created = ckan.action.package_create(**dataset)
    table = ckan.action.datastore_create(
        resource={"package_id": created["id"], "name": "จำนวนงานบริการรายปี", "format": "CSV"},
        fields=[{"id": "ปีงบประมาณ", "type": "int"}, {"id": "จำนวนงานบริการ", "type": "int"}],
        records=[{"ปีงบประมาณ": 2564, "จำนวนงานบริการ": 1243}, {"ปีงบประมาณ": 2565, "จำนวนงานบริการ": 1518}],
        force=True)
    return {"sent": dataset, "shown": ckan.action.package_show(id=created["id"]),
            "resource_id": table["resource_id"]}


def the_dataset(graph: Graph, shown: dict) -> URIRef:
    [subject] = [s for s in graph.subjects(RDF.type, DCAT.Dataset)
                 if (s, DCT.identifier, Literal(shown["id"])) in graph]
    return subject


def test_dataset_turtle_has_the_thai_metadata_and_the_gd_catalog_fields_as_dcat_terms(stack, published):
    sent, shown = published["sent"], published["shown"]
    graph = rdf(f"{stack.ckan_url}/dataset/{shown['name']}.ttl", "turtle")
    ds = the_dataset(graph, shown)

    assert (ds, DCT.title, Literal(sent["title"], lang="th")) in graph
    assert (ds, DCT.description, Literal(sent["notes"], lang="th")) in graph
    # Thai keywords carry @th; a Latin one does not
    assert set(graph.objects(ds, DCAT.keyword)) == {Literal("รัฐบาลดิจิทัล", lang="th"), Literal("e-Service")}

    # licence: the register's URL, on the dataset and on its distribution
    licence = URIRef(LICENCES[sent["license_id"]]["url"])
    assert set(graph.objects(ds, DCT.license)) == {licence}
    [distribution] = graph.objects(ds, DCAT.distribution)
    assert (distribution, DCT.license, licence) in graph
    assert (distribution, DCT.title, Literal("จำนวนงานบริการรายปี", lang="th")) in graph

    # publisher and contact
    [publisher_ref] = graph.objects(ds, DCT.publisher)
    assert (publisher_ref, FOAF.name, Literal(shown["organization"]["title"], lang="th")) in graph
    [contact] = graph.objects(ds, DCAT.contactPoint)
    assert (contact, VCARD.fn, Literal(sent["maintainer"], lang="th")) in graph
    assert (contact, VCARD.hasEmail, URIRef(f"mailto:{sent['maintainer_email']}")) in graph

    # GD-Catalog vocabularies as EU authority URIs, as the mapping file says
    frequency = rule_for("update_frequency_unit")["values"][sent["update_frequency_unit"]]
    assert frequency == "eu_frequency:ANNUAL"
    assert set(graph.objects(ds, DCT.accrualPeriodicity)) == {term(frequency)}
    assert set(graph.objects(ds, DCT.accessRights)) == {
        term("eu_access_right:PUBLIC")} == {term(rule_for("data_category")["values"][sent["data_category"]])}
    assert set(graph.objects(ds, DCT.language)) == {term("eu_language:THA")}
    assert set(graph.objects(ds, DCT.spatial)) == {term("eu_country:THA")}

    # free-text fields as labelled statements, in Thai
    [provenance] = graph.objects(ds, DCT.provenance)
    assert (provenance, RDF.type, DCT.ProvenanceStatement) in graph
    assert (provenance, RDFS.label, Literal(sent["data_source"], lang="th")) in graph
    [rights] = graph.objects(ds, DCT.rights)
    assert (rights, RDFS.label, Literal(sent["accessible_condition"], lang="th")) in graph
    [data_type] = graph.objects(ds, DCT.type)
    assert (data_type, SKOS.prefLabel, Literal(sent["data_type"], lang="th")) in graph

    # dates: the GD-Catalog dates, Buddhist-era years as Gregorian
    assert set(graph.objects(ds, DCT.modified)) == {Literal(sent["last_updated_date"], datatype=XSD.date)}
    [period] = graph.objects(ds, DCT.temporal)
    gregorian = str(int(sent["first_year_of_data"]) - 543)
    assert (period, DCAT.startDate, Literal(gregorian, datatype=XSD.gYear)) in graph
    assert (period, DCAT.endDate, Literal(str(int(sent["last_year_of_data"]) - 543), datatype=XSD.gYear)) in graph


def test_rdf_xml_and_json_ld_describe_the_same_graph_as_turtle(stack, published):
    base = f"{stack.ckan_url}/dataset/{published['shown']['name']}"
    turtle = rdf(f"{base}.ttl", "turtle")
    assert len(turtle) > 30
    assert isomorphic(turtle, rdf(f"{base}.rdf", "xml"))
    assert isomorphic(turtle, rdf(f"{base}.jsonld", "json-ld"))


def test_catalog_lists_every_public_dataset(stack, ckan, published):
    wanted = set()
    start = 0
    while True:  # every public dataset, page by page
        page = ckan.action.package_search(rows=1000, start=start)
        wanted |= {d["id"] for d in page["results"]}
        start += 1000
        if start >= page["count"]:
            break
    assert published["shown"]["id"] in wanted

    listed, url = set(), f"{stack.ckan_url}/catalog.ttl?page=1"
    while url:  # follow the catalog's own paging, as a harvester does
        graph = rdf(url, "turtle")
        [catalog] = graph.subjects(RDF.type, DCAT.Catalog)
        listed |= {str(o) for d in graph.objects(catalog, DCAT.dataset) for o in graph.objects(d, DCT.identifier)}
        pages = {p: o for s, p, o in graph if p in (HYDRA.nextPage, HYDRA.next)}
        url = str(next(iter(pages.values()))) if pages else None
    assert wanted <= listed  # others may publish meanwhile on a shared portal
    titles = set(graph.objects(catalog, DCT.title))
    assert any(t.language == "th" for t in titles), titles


def test_a_thai_word_inside_a_title_without_spaces_is_found(stack, ckan, organization, published):
    name = published["shown"]["name"]
    in_org = f"organization:{organization['name']}"
    for word in ("บริการ", "อิเล็กทรอนิกส์", "ภาครัฐ", "งานบริการอิเล็กทรอนิกส์"):
        assert [d["name"] for d in ckan.action.package_search(q=word, fq=in_org)["results"]] == [name], word
    # words that are not there, or not in that order, find nothing
    for word in ("สุขภาพ", "รัฐบริการ"):
        assert ckan.action.package_search(q=word, fq=in_org)["count"] == 0, word
    # and so does a person using the search box
    page = requests.get(f"{stack.ckan_url}/dataset/", params={"q": "บริการ"}, timeout=60)
    assert page.status_code == 200 and f'href="/dataset/{name}"' in page.text


def test_a_resource_with_a_datastore_table_shows_a_table_preview(stack, ckan, published):
    name, resource_id = published["shown"]["name"], published["resource_id"]
    views = ckan.action.resource_view_list(id=resource_id)
    assert [v["view_type"] for v in views] == ["datatables_view"]
    page = requests.get(f"{stack.ckan_url}/dataset/{name}/resource/{resource_id}", timeout=60)
    assert page.status_code == 200 and f"/view/{views[0]['id']}" in page.text
    view = requests.get(f"{stack.ckan_url}/dataset/{name}/resource/{resource_id}/view/{views[0]['id']}", timeout=60)
    assert view.status_code == 200 and "ปีงบประมาณ" in view.text and "จำนวนงานบริการ" in view.text
    rows = requests.post(f"{stack.ckan_url}/datatables/ajax/{views[0]['id']}", timeout=60, data={
        "draw": "1", "start": "0", "length": "10", "search[value]": "",
        "order[0][column]": "0", "order[0][dir]": "asc",
        "columns[0][data]": "_id", "columns[0][searchable]": "true"}).json()
    assert rows["recordsTotal"] == 2
    assert sorted(r["จำนวนงานบริการ"] for r in rows["data"]) == ["1243", "1518"]


def test_up_restores_the_thai_solr_schema_and_reindexes_when_they_changed(stack, ckan, organization, published):
    conf_schema = stack.solr_home / "ckan" / "conf" / "schema.xml"
    marker = stack.state / "markers" / "solr-index-schema.sha256"
    wanted_schema, wanted_marker = conf_schema.read_bytes(), marker.read_text()
    solr_pid = json.loads(publisher("ckan", "status", "--json").stdout)["components"][2]["pid"]

    # as left by a portal prepared before the Thai edit: CKAN's own schema, an index built with it
    conf_schema.write_bytes(_ckan_solr_schema(stack).read_bytes())
    marker.write_text("built with another schema\n")
    report = json.loads(publisher("ckan", "up", "--json").stdout)

    assert report["ready"] and report["changed"] is True
    assert report["components"][2]["pid"] != solr_pid
    assert conf_schema.read_bytes() == wanted_schema and b"solr.ThaiTokenizerFactory" in wanted_schema
    assert marker.read_text() == wanted_marker  # only a finished re-index writes it back
    found = ckan.action.package_search(q="บริการ", fq=f"organization:{organization['name']}")
    assert [d["name"] for d in found["results"]] == [published["shown"]["name"]]
    assert json.loads(publisher("ckan", "up", "--json").stdout)["changed"] is False
