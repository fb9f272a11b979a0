"""What DCAT-AP asks beyond the GD-Catalog field mapping, and the way back.

Written after ckanext-dcat's standard profile: IRIs where it leaves literals (the catalog's
languages, a distribution's file type and media type), what it leaves out (the catalog's
publisher, themes from the category groups and their taxonomy, the landing page, availability),
Thai and English apart (``@th`` and ``@en``), and the GD-Catalog fields that have no DCAT term
as ``gdc:`` terms. ``parse_dataset`` reads all of it back, so a dataset harvested with
ckanext-dcat's RDFParser (profiles ``euro_dcat_ap_3 gdc_mirror``) keeps its GD-Catalog fields.
Everything that can be data is in ``schemas/ckan/dcat_mapping.json``.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlparse

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF

THAI = re.compile("[\u0E01-\u0E5B]")


class Vocabulary:
    """The mapping's ``prefix:name`` terms as URIs, and the portal's own address."""

    def __init__(self, mapping: dict, site_url: str):
        self.mapping = mapping
        self.prefixes = mapping["prefixes"]
        self.site = site_url.rstrip("/")

    def __call__(self, curie: str) -> URIRef:
        prefix, _, name = curie.partition(":")
        return URIRef(self.prefixes[prefix] + name)

    def portal(self, path: str) -> URIRef:
        return URIRef(self.site + path)

    def scheme(self) -> URIRef:
        return self.portal(self.mapping["themes"]["scheme_path"])


def _lang(value: str) -> str | None:
    return "th" if THAI.search(value) else None


def split_bilingual(text: str, pattern: str, title_en: str = "") -> tuple[str, str, str] | None:
    """(Thai, English title, English) of a description written as our packages write it. With the
    English title known (a dataset's title_en), the split is at exactly that title; the English
    text may still quote Thai (a document number such as นร ๑๒๐๐/๕๐)."""
    text = text or ""
    if title_en:
        thai, marker, english = text.partition(f"\n\n**{title_en}**\n\n")
        return (thai.strip(), title_en, english.strip()) if marker and thai.strip() and english.strip() else None
    match = re.match(pattern, text, re.S)
    if not match or THAI.search(match["title_en"]) or not THAI.search(match["th"]):
        return None
    return match["th"].strip(), match["title_en"].strip(), (match["en"] or "").strip()


def _extras(data: dict) -> dict:
    return {e.get("key"): e.get("value") for e in data.get("extras") or []}


# --- writing --------------------------------------------------------------------------------

def write_bilingual(g: Graph, subject, data: dict, text_key: str, voc: Vocabulary, title_en: str = "") -> None:
    """The description's Thai as @th, its English as @en; the English title as dct:title @en."""
    rule = voc.mapping["bilingual"]
    dct = voc("dct:description"), voc("dct:title")
    parts = split_bilingual(data.get(text_key) or "", rule["pattern"], title_en)
    if parts:
        thai, bold_title, english = parts
        g.remove((subject, dct[0], None))
        g.add((subject, dct[0], Literal(thai, lang=_lang(thai) or "th")))
        if english:
            g.add((subject, dct[0], Literal(english, lang="en")))
        title_en = title_en or bold_title
    if title_en:
        g.add((subject, dct[1], Literal(title_en, lang="en")))


def write_labelled_resource(g: Graph, rule: dict, data: dict, subject, voc: Vocabulary) -> None:
    """A value as a resource with a label: its URL, or the portal's list of the datasets that have it."""
    value = str(data.get(rule["field"]) or "").strip()
    if not value:
        return
    node = URIRef(value) if urlparse(value).scheme in ("http", "https") else \
        voc.portal(f"/dataset/?{rule['field']}={quote(value)}")
    g.add((node, RDF.type, voc(rule["class"])))
    g.add((node, voc(rule["label"]), Literal(value, lang=_lang(value))))
    g.add((subject, voc(rule["term"]), node))


def write_dataset(g: Graph, dataset: dict, ref, voc: Vocabulary, group_types: dict[str, str]) -> None:
    extras = _extras(dataset)
    prefix = voc.mapping["extension_fields"]["prefix"]
    g.bind(prefix, voc.prefixes[prefix])
    write_bilingual(g, ref, dataset, "notes", voc, extras.get(voc.mapping["bilingual"]["title_en_extra"]) or "")
    if dataset.get("name") and not dataset.get("url"):
        page = voc.portal(f"/dataset/{dataset['name']}")
        g.add((ref, voc("dcat:landingPage"), page))
        g.add((page, RDF.type, voc("foaf:Document")))
    organization = (dataset.get("organization") or {}).get("name")
    for agent in g.objects(ref, voc("dct:publisher")):
        if organization and (agent, voc("dct:identifier"), None) not in g:
            g.add((agent, voc("dct:identifier"), Literal(organization)))   # the organization's URL name
    for group in dataset.get("groups") or []:
        theme = voc.portal(f"/{group_types.get(group['name'], 'group')}/{group['name']}")
        g.add((ref, voc("dcat:theme"), theme))
        g.add((theme, RDF.type, voc("skos:Concept")))
        g.add((theme, voc("skos:inScheme"), voc.scheme()))
        label = group.get("title") or group.get("display_name") or group["name"]
        g.add((theme, voc("skos:prefLabel"), Literal(label, lang=_lang(label))))
    fields = voc.mapping["extension_fields"]
    for field in fields["dataset"]:
        value = dataset.get(field, extras.get(field))
        values = value if isinstance(value, list) else [value]
        for item in values:
            if item not in (None, ""):
                g.add((ref, voc(f"{fields['prefix']}:{field}"), Literal(str(item), lang=_lang(str(item)))))


def write_distribution(g: Graph, resource: dict, ref, voc: Vocabulary) -> None:
    spec = voc.mapping["distributions"]
    fmt = str(resource.get("format") or "").upper()
    if fmt in spec["file_types"]:
        file_type = voc(spec["file_types"][fmt])
        g.remove((ref, voc("dct:format"), None))
        g.add((ref, voc("dct:format"), file_type))
        g.add((file_type, RDF.type, voc("dct:MediaTypeOrExtent")))
    mimetype = str(resource.get("mimetype") or "")
    if "/" in mimetype and not mimetype.startswith("http"):
        media = voc(f"{spec['media_type_prefix']}:{mimetype}")
        g.remove((ref, voc("dcat:mediaType"), None))
        g.add((ref, voc("dcat:mediaType"), media))
        g.add((media, RDF.type, voc("dct:MediaType")))
    g.set((ref, voc("dcatap:availability"), voc(spec["availability"])))
    write_bilingual(g, ref, resource, "description", voc)
    for field, term in voc.mapping["extension_fields"]["resource"].items():
        if resource.get(field):
            g.add((ref, voc(term), Literal(str(resource[field]))))


def write_catalog(g: Graph, ref, voc: Vocabulary, locales: list[str]) -> None:
    spec = voc.mapping["catalog"]
    g.remove((ref, voc("dct:language"), None))
    for locale in locales:
        if locale in spec["languages"]:
            language = voc(spec["languages"][locale])
            g.add((ref, voc("dct:language"), language))
            g.add((language, RDF.type, voc("dct:LinguisticSystem")))
    if (ref, voc("dct:publisher"), None) not in g:
        agent = voc.portal(spec["publisher"]["path"])
        g.add((ref, voc("dct:publisher"), agent))
        g.add((agent, RDF.type, voc(spec["publisher"]["class"])))
        g.add((agent, voc("foaf:name"), Literal(spec["publisher"]["name_th"], lang="th")))
        g.add((agent, voc("foaf:name"), Literal(spec["publisher"]["name_en"], lang="en")))
    themes = voc.mapping["themes"]
    scheme = voc.scheme()
    g.add((ref, voc("dcat:themeTaxonomy"), scheme))
    g.add((scheme, RDF.type, voc("skos:ConceptScheme")))
    g.add((scheme, voc("dct:title"), Literal(themes["scheme_title_th"], lang="th")))
    g.add((scheme, voc("dct:title"), Literal(themes["scheme_title_en"], lang="en")))


# --- reading back ---------------------------------------------------------------------------

def _label(g: Graph, node, predicate) -> str | None:
    labels = list(g.objects(node, predicate))
    return str(labels[0]) if labels else None


def _by_lang(g: Graph, subject, predicate) -> dict[str | None, str]:
    return {o.language: str(o) for o in g.objects(subject, predicate) if isinstance(o, Literal)}


def parse_dataset(g: Graph, dataset: dict, ref, voc: Vocabulary, choices: dict[str, list[str]]) -> None:
    """``choices``: a multiple-select field's values in the order the portal stores them (RDF has none)."""
    for page in g.objects(ref, voc("dcat:landingPage")):
        path = urlparse(str(page)).path
        if path.startswith("/dataset/") and not dataset.get("name"):
            dataset["name"] = unquote(path.removeprefix("/dataset/").strip("/"))
    for rule in voc.mapping["dataset_fields"]:
        if rule["kind"] == "labelled_resource":
            for node in g.objects(ref, voc(rule["term"])):
                label = _label(g, node, voc(rule["label"]))
                if label:
                    dataset[rule["field"]] = label
        elif rule["kind"] == "statement" and rule.get("field"):
            for node in g.objects(ref, voc(rule["term"])):
                label = _label(g, node, voc("rdfs:label"))
                if label:
                    dataset[rule["field"]] = label
    scheme = voc.scheme()
    groups = [{"name": urlparse(str(theme)).path.rstrip("/").rsplit("/", 1)[-1]}
              for theme in g.objects(ref, voc("dcat:theme")) if (theme, voc("skos:inScheme"), scheme) in g]
    if groups:
        dataset["groups"] = sorted(groups, key=lambda group: group["name"])
    fields = voc.mapping["extension_fields"]
    for field in fields["dataset"]:
        order = choices.get(field, [])
        values = sorted((str(o) for o in g.objects(ref, voc(f"{fields['prefix']}:{field}"))),
                        key=lambda v: (order.index(v) if v in order else len(order), v))
        if values:
            dataset[field] = values if field in fields["multiple"] else values[0]
    titles, notes = _by_lang(g, ref, voc("dct:title")), _by_lang(g, ref, voc("dct:description"))
    if "en" in titles:
        extras = [e for e in dataset.setdefault("extras", []) if e.get("key") != "title_en"]
        dataset["extras"] = extras + [{"key": "title_en", "value": titles["en"]}]
        if "th" in titles:
            dataset["title"] = titles["th"]
    if "th" in notes and "en" in notes:
        dataset["notes"] = f"{notes['th']}\n\n**{titles.get('en', '')}**\n\n{notes['en']}"
    parse_contact(dataset)
    for page in g.objects(ref, voc("dcat:landingPage")):
        if dataset.get("url") == str(page) and urlparse(str(page)).path == f"/dataset/{dataset.get('name')}":
            dataset["url"] = ""   # the landing page the portal wrote for a dataset without a url
    file_types = {str(voc(curie)): name for name, curie in voc.mapping["distributions"]["file_types"].items()}
    media_prefix = voc.prefixes[voc.mapping["distributions"]["media_type_prefix"]]
    for resource in dataset.get("resources") or []:
        node = URIRef(resource.get("uri") or "") if resource.get("uri") else BNode(resource.get("distribution_ref"))
        for field, term in fields["resource"].items():
            value = _label(g, node, voc(term))
            if value:
                resource[field] = value
        titles, texts = _by_lang(g, node, voc("dct:title")), _by_lang(g, node, voc("dct:description"))
        if "en" in titles:   # written apart by write_bilingual: the name in Thai, the description as one text
            resource["name"] = titles.get("th") or titles.get(None) or resource.get("name")
            thai = texts.get("th") or texts.get(None)
            if thai:
                english = f"\n\n{texts['en']}" if texts.get("en") else ""
                resource["description"] = f"{thai}\n\n**{titles['en']}**{english}"
        resource["format"] = file_types.get(resource.get("format") or "", resource.get("format"))
        if str(resource.get("mimetype") or "").startswith(media_prefix):
            resource["mimetype"] = resource["mimetype"].removeprefix(media_prefix)


def parse_contact(dataset: dict) -> None:
    """The contact point, which ckanext-dcat reads into a field of its own, as maintainer and
    maintainer_email."""
    extras = _extras(dataset)
    contact = (dataset.get("contact") or [{}])[0]
    for field, key in (("maintainer", "name"), ("maintainer_email", "email")):
        value = contact.get(key) or extras.get(f"contact_{key}")
        if value and not dataset.get(field):
            dataset[field] = value.removeprefix("mailto:")
