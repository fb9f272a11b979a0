"""A dataset's licence in its schema.org markup, the same as in its DCAT.

ckanext-dcat's schemaorg profile (the ``structured_data`` of a dataset page) writes
``schema:license`` from the portal's ``license_url``, else its ``license_title``. For the
licence อื่นๆ ("other") that title is the word อื่นๆ, while the licence itself is in
``license_id_other``, which the gdc_mirror DCAT profile writes as ``dct:license``. This
profile runs after schemaorg and gives schema.org that licence too. Which field and which
value are read from the licence rule of ``schemas/ckan/dcat_mapping.json``.
"""

from __future__ import annotations

from rdflib import Literal

from ckan.plugins import toolkit
from ckanext.dcat.profiles import SCHEMA, RDFProfile
from ckanext.gdcmirror.dcat_profile import CONFIG_KEY, load_mapping, present


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
