"""Against a live portal: what the server would refuse, known before publishing.

The portal's dataset schema, licences and organizations are read once (fetch_portal_rules);
the PortalRules it returns is the `portal` callable that publisher.validate.run.validate()
applies to every package, as sync would send it (publisher.catalog.map)."""

from __future__ import annotations

from dataclasses import dataclass, field

from publisher.catalog import map as mapping
from publisher.validate.findings import Finding

# validators that refuse an empty value whatever the field says (scheming_required follows "required")
REQUIRED_VALIDATORS = {"not_empty", "gdc_tags_required"}


class PortalError(RuntimeError):
    """The portal could not be read; the message never holds the token."""


@dataclass(frozen=True)
class PortalRules:
    """What one live portal accepts: its dataset schema, licence register and organizations."""
    url: str
    schema: dict = field(repr=False)
    licences: frozenset[str] = frozenset()
    organizations: frozenset[str] = frozenset()   # names and ids

    @classmethod
    def from_answers(cls, url: str, schema: dict, licences: list[dict], organizations: list[dict]) -> "PortalRules":
        return cls(url, schema, frozenset(l["id"] for l in licences),
                   frozenset(o[k] for o in organizations for k in ("name", "id") if o.get(k)))

    def required(self) -> list[str]:
        return [f["field_name"] for f in self.schema.get("dataset_fields", [])
                if f.get("required") is True or REQUIRED_VALIDATORS & set(str(f.get("validators", "")).split())]

    def choices(self) -> dict[str, set[str]]:
        return {f["field_name"]: {c["value"] for c in f["choices"]}
                for f in self.schema.get("dataset_fields", []) if f.get("choices")}

    def licence_choices(self) -> frozenset[str]:
        """The licences the portal accepts, read the way it validates them: the choices of the
        schema's license_id field; the licence register only when the schema lists none. A
        thai_gdc portal keeps CKAN's default register (cc-by, …) beside a schema whose choices
        are the GD-Catalog strings, and accepts those strings."""
        offered = self.choices().get("license_id")
        return frozenset(offered) if offered else self.licences

    def __call__(self, descriptor: dict, package: str, file: str) -> list[Finding]:
        """The `portal` check of publisher.validate.run.validate(): what this server would refuse."""
        return portal_findings(descriptor, package, file, self)


def fetch_portal_rules(portal) -> PortalRules:
    """Read the three answers a steward's package is checked against (anonymous reads suffice)."""
    try:
        ckan = portal.client()
        return PortalRules.from_answers(portal.url, ckan.action.scheming_dataset_schema_show(type="dataset"),
                                        ckan.action.license_list(), ckan.action.organization_list(all_fields=True))
    except Exception as exc:  # connection refused, timeouts, HTTP and CKAN errors alike
        raise PortalError(portal.redact(f"cannot read {portal.url}: {type(exc).__name__}: {exc}")) from None


def portal_fields(descriptor: dict) -> dict:
    """The dataset fields sync sends (publisher.catalog.map); for a package it cannot map, the
    same fields read leniently, so that what is missing is reported field by field."""
    try:
        return mapping.dataset_fields(descriptor, mapping.groups())
    except (mapping.MappingError, KeyError, TypeError, AttributeError):
        pass
    organization = descriptor.get("organization")
    keywords = descriptor.get("keywords")
    fields = {"name": descriptor.get("name"), "title": descriptor.get("title"),
              "notes": descriptor.get("description"),
              "owner_org": organization.get("name") if isinstance(organization, dict) else None,
              "tag_string": ",".join(k for k in keywords if isinstance(k, str)) if isinstance(keywords, list) else None}
    gdc = descriptor.get("gdc")
    return {**(gdc if isinstance(gdc, dict) else {}), **fields}


def _empty(value) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and not (value.strip() if isinstance(value, str)
                                                                             else value))


def portal_findings(descriptor: dict, package: str, file: str, server: PortalRules) -> list[Finding]:
    """What the server would refuse, field by field, as sync would send the package."""
    fields = portal_fields(descriptor)
    found = [Finding("portal.required", package, file, f"{name} is required by {server.url}", field=name)
             for name in server.required() if _empty(fields.get(name))]
    for name, allowed in server.choices().items():
        value = fields.get(name)
        if _empty(value) or name == "license_id":
            continue
        for item in value if isinstance(value, list) else [value]:
            if item not in allowed:
                found.append(Finding("portal.choice", package, file, f"{name}: {item!r} is not one of the "
                                     f"{len(allowed)} choices of {server.url}", field=name))
    licence = fields.get("license_id")
    if not _empty(licence):
        allowed = server.licence_choices()
        if licence not in allowed:
            found.append(Finding("portal.license", package, file, f"license_id {licence!r} is not a licence of "
                                 f"{server.url} ({', '.join(sorted(allowed))})", field="license_id"))
    organization = fields.get("owner_org")
    if not _empty(organization) and organization not in server.organizations:
        found.append(Finding("portal.organization", package, file, f"organization {organization!r} does not exist "
                             f"on {server.url} yet", field="owner_org"))
    return found
