"""GD-Catalog fields as DCAT, for harvesting the portal into a central catalog.

ckanext-dcat's standard profile (euro_dcat_ap_3) writes what CKAN core knows: title, notes,
tags, contact, publisher, distributions. This profile runs after it and adds the
GD-Catalog fields that have a DCAT or Dublin Core term (frequency, access rights, language,
provenance, temporal coverage, licence…). Which field goes to which term is data, in
``schemas/ckan/dcat_mapping.json`` (config ``ckanext.gdcmirror.dcat_mapping``), so a change of
mapping is a change of that file, not of this code. Thai text gets the ``@th`` language tag.
What DCAT-AP asks besides (IRIs, themes, landing page, availability, @th and @en apart) and the
parse side that reads it all back are in ``dcat_extra``.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF

from ckan import model
from ckan.plugins import toolkit
from ckanext.dcat.profiles import CleanedURIRef, RDFProfile
from ckanext.dcat.utils import resource_uri
from ckanext.gdcmirror import dcat_extra

CONFIG_KEY = "ckanext.gdcmirror.dcat_mapping"
THAI = re.compile("[\u0E01-\u0E5B]")


@lru_cache(maxsize=4)
def load_mapping(path: str) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


class Terms:
    """Expands the mapping's ``prefix:name`` terms to URIs."""

    def __init__(self, prefixes: dict[str, str]):
        self.prefixes = prefixes

    def __call__(self, term: str) -> URIRef:
        prefix, _, name = term.partition(":")
        return URIRef(self.prefixes[prefix] + name)


def text(value: str, tag: str = "th") -> Literal:
    """A literal, tagged with the Thai language tag when it holds Thai script."""
    return Literal(value, lang=tag) if THAI.search(value) else Literal(value)


def present(value: Any) -> bool:
    return value not in (None, "", [], {})


def values_of(value: Any) -> list[str]:
    """Multi-select fields arrive as lists, or as JSON text when read back from extras."""
    if isinstance(value, list):
        return [str(v) for v in value if present(v)]
    if isinstance(value, str) and value.startswith("["):
        try:
            return [str(v) for v in json.loads(value) if present(v)]
        except ValueError:
            pass
    return [str(value)] if present(value) else []


def be_to_ce_year(value: Any) -> str | None:
    """A Buddhist-era year (2564, or Thai digits ๒๕๖๔) as a Gregorian one (2021)."""
    digits = str(value).strip()
    if len(digits) != 4 or not digits.isdecimal():
        return None
    year = int(digits)
    return str(year - 543) if year > 2400 else str(year)


class Writer:
    """Writes one entity's mapped fields (dataset or distribution) into the graph."""

    def __init__(self, profile: "GdcDcatProfile", mapping: dict):
        self.profile = profile
        self.g: Graph = profile.g
        self.term = Terms(mapping["prefixes"])
        self.tag = mapping["thai_literals"]["language_tag"]

    def write(self, rules: Iterable[dict], data: dict, subject: URIRef,
              distributions: list[URIRef] = ()) -> None:
        for rule in rules:
            getattr(self, f"_{rule['kind']}")(rule, data, subject, list(distributions))

    def _node(self, rule: dict) -> BNode:
        node = BNode()
        if rule.get("class"):
            self.g.add((node, RDF.type, self.term(rule["class"])))
        return node

    def _uri(self, rule: dict, curie: str) -> URIRef:
        uri = self.term(curie)
        if rule.get("class"):
            self.g.add((uri, RDF.type, self.term(rule["class"])))
        return uri

    def _labelled(self, rule: dict, label: str, predicate: str) -> BNode:
        node = self._node(rule)
        self.g.add((node, self.term(predicate), text(label, self.tag)))
        return node

    def _labelled_resource(self, rule, data, subject, distributions) -> None:
        dcat_extra.write_labelled_resource(self.g, rule, data, subject, self.profile._vocabulary())

    def _statement(self, rule, data, subject, distributions) -> None:
        value = data.get(rule["field"])
        if present(value):
            self.g.add((subject, self.term(rule["term"]), self._labelled(rule, str(value), "rdfs:label")))

    def _vocabulary(self, rule, data, subject, distributions) -> None:
        for value in values_of(data.get(rule["field"])):
            if value in rule["values"]:
                self.g.add((subject, self.term(rule["term"]), self._uri(rule, rule["values"][value])))

    def _frequency(self, rule, data, subject, distributions) -> None:
        unit = data.get(rule["field"])
        if not present(unit):
            return
        interval = str(data.get(rule["interval_field"]) or "").strip()
        curie = rule["values"].get(unit, rule["otherwise"]) if interval in ("", "1") else rule["otherwise"]
        self.g.set((subject, self.term(rule["term"]), self._uri(rule, curie)))

    def _bbox(self, rule, data, subject, distributions) -> None:
        try:
            west, south, east, north = (float(data[name]) for name in rule["fields"])
        except (KeyError, TypeError, ValueError):
            return
        wkt = (f"POLYGON(({west} {south}, {east} {south}, {east} {north}, "
               f"{west} {north}, {west} {south}))")
        location = self._node(rule)
        self.g.add((location, self.term(rule["bbox_term"]), Literal(wkt, datatype=self.term("gsp:wktLiteral"))))
        self.g.add((subject, self.term(rule["term"]), location))

    def _date(self, rule, data, subject, distributions) -> None:
        value = next((data[name] for name in rule["fields"] if present(data.get(name))), None)
        if value is not None:
            self.g.remove((subject, self.term(rule["term"]), None))
            self.profile._add_date_triple(subject, self.term(rule["term"]), str(value))

    def _be_years(self, rule, data, subject, distributions) -> None:
        start, end = (be_to_ce_year(data.get(name)) if present(data.get(name)) else None
                      for name in rule["fields"])
        if not (start or end):
            return
        period = self._node(rule)
        for year, term in ((start, rule["start_term"]), (end, rule["end_term"])):
            if year:
                self.g.add((period, self.term(term), Literal(year, datatype=self.term("xsd:gYear"))))
        self.g.add((subject, self.term(rule["term"]), period))

    def _download(self, rule, data, subject, distributions) -> None:
        url = data.get(rule["field"])
        if present(url) and data.get("url_type") == rule["url_type"]:
            self.g.set((subject, self.term(rule["term"]), CleanedURIRef(url)))

    def _licence(self, rule, data, subject, distributions) -> None:
        licence_id = data.get(rule["field"])
        if not present(licence_id):
            return
        other = data.get(rule["other_field"])
        if licence_id == rule["other_value"] and present(other):
            licence = self._labelled(rule, str(other), "rdfs:label")
        elif present(data.get("license_url")):
            licence = CleanedURIRef(data["license_url"])
            self.g.add((licence, RDF.type, self.term(rule["class"])))
        else:
            licence = self._labelled(rule, str(data.get("license_title") or licence_id), "rdfs:label")
        predicate = self.term(rule["term"])
        self.g.add((subject, predicate, licence))
        for distribution in distributions:
            if (distribution, predicate, None) not in self.g:
                self.g.add((distribution, predicate, licence))


def tag_thai_literals(graph: Graph, predicates: list[URIRef], tag: str) -> None:
    """Give untagged Thai literals of the standard profile their language tag."""
    for predicate in predicates:
        for subject, _, obj in list(graph.triples((None, predicate, None))):
            if (isinstance(obj, Literal) and obj.language is None and obj.datatype is None
                    and THAI.search(str(obj))):
                graph.remove((subject, predicate, obj))
                graph.add((subject, predicate, Literal(str(obj), lang=tag)))


def group_types(dataset: dict) -> dict[str, str]:
    """Each group's type (category01…), which names its page: /category01/<name>."""
    names = [g["name"] for g in dataset.get("groups") or [] if g.get("name")]
    if not names:
        return {}
    return {group.name: group.type for group in
            model.Session.query(model.Group).filter(model.Group.name.in_(names))}


class GdcDcatProfile(RDFProfile):
    """Serialises GD-Catalog metadata, and reads it back (ckanext-dcat's RDFParser)."""

    def _mapping(self) -> dict:
        return load_mapping(toolkit.config.get(CONFIG_KEY))

    def _vocabulary(self) -> dcat_extra.Vocabulary:
        return dcat_extra.Vocabulary(self._mapping(), toolkit.config.get("ckan.site_url") or "")

    def _tag_thai(self, mapping: dict) -> None:
        thai = mapping["thai_literals"]
        terms = Terms(mapping["prefixes"])
        tag_thai_literals(self.g, [terms(p) for p in thai["predicates"]], thai["language_tag"])

    def graph_from_dataset(self, dataset_dict: dict, dataset_ref: URIRef) -> None:
        mapping = self._mapping()
        writer = Writer(self, mapping)
        resources = [(r, CleanedURIRef(resource_uri(r))) for r in dataset_dict.get("resources", [])]
        writer.write(mapping["dataset_fields"], dataset_dict, dataset_ref, [ref for _, ref in resources])
        for resource, ref in resources:
            writer.write(mapping["resource_fields"], resource, ref)
        vocabulary = self._vocabulary()
        dcat_extra.write_dataset(self.g, dataset_dict, dataset_ref, vocabulary, group_types(dataset_dict))
        for resource, ref in resources:
            dcat_extra.write_distribution(self.g, resource, ref, vocabulary)
        self._tag_thai(mapping)

    def graph_from_catalog(self, catalog_dict: dict, catalog_ref: URIRef) -> None:
        locales = (toolkit.config.get("ckan.locales_offered") or ["th"])
        locales = locales.split() if isinstance(locales, str) else list(locales)
        default = toolkit.config.get("ckan.locale_default") or "th"
        dcat_extra.write_catalog(self.g, catalog_ref, self._vocabulary(),
                                 [default] + [l for l in locales if l != default])
        self._tag_thai(self._mapping())

    def parse_dataset(self, dataset_dict: dict, dataset_ref: URIRef) -> dict:
        schema = getattr(self, "_dataset_schema", None) or {}   # loaded by RDFProfile from ckanext-scheming
        choices = {f["field_name"]: [c["value"] for c in f.get("choices") or []]
                   for f in schema.get("dataset_fields", [])}
        dcat_extra.parse_dataset(self.g, dataset_dict, dataset_ref, self._vocabulary(), choices)
        return dataset_dict
