"""The schema.org block of a dataset page, completed for search engines.

ckanext-dcat's ``schemaorg`` profile reads CKAN core fields only; this one runs after it
(``ckanext.dcat.structured_data.profiles = schemaorg gdc_schemaorg``) and adds what the
GD-Catalog fields hold: temporal coverage (Buddhist-era years as Gregorian), spatial coverage,
languages, the identifier; each DataDownload gets its ``contentUrl`` and media type; and the
creator, which repeats the publisher and its contact, is dropped. Values are data, in the
``schema_org`` section of ``schemas/ckan/dcat_mapping.json``.
The licence: ckanext-dcat's schemaorg profile writes ``schema:license`` from ``license_url``, else
``license_title``; for the licence อื่นๆ ("other") that title is the word อื่นๆ while the licence is in
``license_id_other``, which the gdc_mirror DCAT profile writes as ``dct:license``.
``GdcSchemaOrgLicenceProfile`` (after the other two) gives schema.org that licence too, reading
which field and value from the licence rule of the same mapping.
"""

from __future__ import annotations

from rdflib import BNode, Literal, Namespace, URIRef
from rdflib.namespace import RDF

from ckan.plugins import toolkit
from ckanext.dcat.profiles import RDFProfile
from ckanext.dcat.utils import resource_uri
from ckanext.gdcmirror.dcat_profile import CONFIG_KEY, be_to_ce_year, load_mapping, present, values_of

SCHEMA = Namespace("http://schema.org/")


class GdcSchemaOrgProfile(RDFProfile):

    def graph_from_dataset(self, dataset_dict: dict, dataset_ref: URIRef) -> None:
        mapping = load_mapping(toolkit.config.get(CONFIG_KEY))
        spec = mapping["schema_org"]
        g = self.g
        for creator in list(g.objects(dataset_ref, SCHEMA.creator)):
            g.remove((dataset_ref, SCHEMA.creator, creator))
        for agent in set(g.objects(dataset_ref, SCHEMA.publisher)):
            # the creator was the same organization: its node got a second, identical contact point
            for contact in sorted(g.objects(agent, SCHEMA.contactPoint))[1:]:
                g.remove((agent, SCHEMA.contactPoint, contact))
                g.remove((contact, None, None))
        years = [be_to_ce_year(dataset_dict.get(k)) if present(dataset_dict.get(k)) else None
                 for k in ("first_year_of_data", "last_year_of_data")]
        years = [y for y in years if y]
        if years and (dataset_ref, SCHEMA.temporalCoverage, None) not in g:
            coverage = years[0] if len(set(years)) == 1 else f"{years[0]}/{years[-1]}"
            g.add((dataset_ref, SCHEMA.temporalCoverage, Literal(coverage)))
        place = spec["places"].get(dataset_dict.get("geo_coverage"))
        if place and (dataset_ref, SCHEMA.spatialCoverage, None) not in g:
            node = BNode()
            g.add((node, RDF.type, SCHEMA.Place))
            g.add((node, SCHEMA.name, Literal(place["name_th"], lang="th")))
            g.add((node, SCHEMA.name, Literal(place["name_en"], lang="en")))
            prefix, _, code = place["same_as"].partition(":")
            g.add((node, SCHEMA.sameAs, Literal(mapping["prefixes"][prefix] + code)))
            g.add((dataset_ref, SCHEMA.spatialCoverage, node))
        for language in values_of(dataset_dict.get("data_language")):
            if language in spec["languages"]:
                g.add((dataset_ref, SCHEMA.inLanguage, Literal(spec["languages"][language])))
        if dataset_dict.get("id") and (dataset_ref, SCHEMA.identifier, None) not in g:
            g.add((dataset_ref, SCHEMA.identifier, Literal(dataset_dict["id"])))
        for resource in dataset_dict.get("resources", []):
            self._download(URIRef(resource_uri(resource)), resource)

    def _download(self, distribution: URIRef, resource: dict) -> None:
        g = self.g
        url = resource.get("url")
        if url and (distribution, SCHEMA.contentUrl, None) not in g:
            g.remove((distribution, SCHEMA.url, None))
            g.add((distribution, SCHEMA.contentUrl, Literal(url)))
        if resource.get("mimetype"):
            g.set((distribution, SCHEMA.encodingFormat, Literal(resource["mimetype"])))


class GdcSchemaOrgLicenceProfile(RDFProfile):
    """Serialises only; reading schema.org back into the portal is not offered."""

    def graph_from_dataset(self, dataset_dict: dict, dataset_ref) -> None:
        mapping = load_mapping(toolkit.config.get(CONFIG_KEY))
        for rule in mapping["dataset_fields"]:
            if rule["kind"] != "licence":
                continue
            other = dataset_dict.get(rule["other_field"])
            if dataset_dict.get(rule["field"]) == rule["other_value"] and present(other):
                self.g.set((dataset_ref, SCHEMA.license, Literal(str(other))))
