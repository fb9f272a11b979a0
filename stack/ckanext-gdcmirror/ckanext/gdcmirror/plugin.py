"""What a data.go.th-style portal (ckanext-thai_gdc) enforces beyond CKAN core.

- Thai tags: CKAN core's tag rule (``\\w``) rejects Thai vowel and tone marks, so a tag
  such as รัฐบาลดิจิทัล fails; GD-Catalog portals allow Thai (U+0E01–U+0E59), word
  characters, space, ``-`` and ``.``. Core ``tag_string_convert`` calls the core rule
  directly, so both validators are replaced.
- Tags are required, given either as ``tag_string`` or as the ``tags`` a dataset already has:
  adding a resource re-validates the whole dataset from ``package_show``, which has no
  ``tag_string``, so a plain "required" rule would refuse every resource upload.
- Dataset URL names are at most 70 characters (core allows 100).
- A name held by a deleted dataset (in the trash) is refused to any other dataset, as thai_gdc
  refuses it ("That URL is already in trash."). CKAN 2.11 core would accept it and rename the
  deleted dataset to its id, so it could no longer be restored under its name. The deleted
  dataset itself may take its name back (restoring it is an update of that dataset).
- Dataset titles are unique among active datasets.
- The dataset page lists only the fields that apply to the dataset's data type and hold a value.
- A resource whose data reaches the DataStore gets its table preview: CKAN creates default
  views when a resource is created, before its table exists, and ``datastore_create`` does not
  revisit them, so the DataStore-backed defaults (``datatables_view``) are added after it.
- A chart's x axis is made of categories (BE years and periods are labels, not dates).
- The source reports line by line, and each row's provenance a link to its line: see reports.py.
- Thai for the CKAN strings its own Thai catalogue leaves in English (``i18n/th``), compiled
  from the ``.po`` source each time the portal starts, so no binary file is kept in the source.
"""

from __future__ import annotations

import json
import os
import re
from itertools import count
from pathlib import Path
from typing import Any

import ckan.plugins as plugins
from ckan.plugins import toolkit
from ckan.common import _
from ckan.lib.navl.dictization_functions import Invalid, StopOnError, missing
from ckan.lib.plugins import DefaultTranslation
from ckan.logic.validators import tag_length_validator
from ckan.model.core import State

I18N_SOURCE = Path(__file__).parent / "i18n"
I18N_DOMAIN = "ckanext-gdcmirror"
TAG = re.compile(r"[\u0E01-\u0E59\w \-.]*\Z")
NAME_MAX_LENGTH = 70


def gdc_tag_name_validator(value: Any, context: dict) -> Any:
    if not TAG.match(value):
        raise Invalid(_('Tag "%s" may contain only Thai or Latin letters, digits, spaces, '
                        'hyphens ("-"), underscores ("_") or dots (".")') % value)
    return value


def gdc_tag_string_convert(key, data, errors, context) -> None:
    value = data[key]
    tags = [t.strip() for t in value.split(",") if t.strip()] if isinstance(value, str) else value
    start = max([int(k[1]) for k in data if len(k) == 3 and k[0] == "tags"] + [-1]) + 1
    for number, tag in zip(count(start), tags):
        data[("tags", number, "name")] = tag
    for tag in tags:
        tag_length_validator(tag, context)
        gdc_tag_name_validator(tag, context)


def gdc_tags_required(key, data, errors, context) -> None:
    value = data.get(key)
    if value not in (None, "", [], missing):
        return
    if any(k[0] == "tags" and len(k) == 3 and data[k] for k in data):
        raise StopOnError
    errors[key].append(_("Missing value"))
    raise StopOnError


def gdc_name_length(value: Any, context: dict) -> Any:
    if isinstance(value, str) and len(value) > NAME_MAX_LENGTH:
        raise Invalid(_('Name "%s" is longer than %d characters') % (value, NAME_MAX_LENGTH))
    return value


def gdc_name_not_in_trash(key, data, errors, context) -> None:
    name = data.get(key)
    if not name or name is missing:
        return
    model, session = context["model"], context["session"]
    query = session.query(model.Package.id).filter(
        model.Package.name == name, model.Package.state == State.DELETED)
    package = context.get("package")
    package_id = package.id if package else data.get(key[:-1] + ("id",))
    if package_id and package_id is not missing:
        query = query.filter(model.Package.id != package_id)
    if session.query(query.exists()).scalar():
        errors[key].append(_("That URL is already in trash."))


def gdc_unique_title(key, data, errors, context) -> None:
    title = data.get(key)
    if not title or title is missing:
        return
    model, session = context["model"], context["session"]
    query = session.query(model.Package.id).filter(
        model.Package.title == title, model.Package.state != State.DELETED,
        model.Package.type == "dataset")
    package = context.get("package")
    package_id = package.id if package else data.get(key[:-1] + ("id",))
    if package_id and package_id is not missing:
        query = query.filter(model.Package.id != package_id)
    if session.query(query.exists()).scalar():
        errors[key].append(_("That title is already in use."))


@toolkit.chained_action
def datastore_create(original_action, context, data_dict):
    result = original_action(context, data_dict)
    resource_id = result.get("resource_id") if isinstance(result, dict) else None
    if resource_id:
        fresh = {"ignore_auth": True, "user": context.get("user")}
        resource = toolkit.get_action("resource_show")(dict(fresh), {"id": resource_id})
        toolkit.get_action("resource_create_default_resource_views")(
            dict(fresh), {"resource": resource, "create_datastore_views": True})
    return result


def gdc_chart_figure(chart: str, resource_id: str | None = None) -> str:
    """A Plotly figure of ckanext-charts with its x axis made of categories (a BE period such
    as 2563-03 is a label of the table, not a Gregorian date for plotly.js to reinterpret), and
    each series named by its column's label in the data dictionary (Thai), not its column id."""
    try:
        figure = json.loads(chart)
    except (TypeError, ValueError):
        return chart
    if resource_id:
        from ckanext.datastore.helpers import datastore_dictionary

        labels = {f["id"]: (f.get("info") or {}).get("label") for f in datastore_dictionary(resource_id)}
        for trace in figure.get("data", []):
            if labels.get(trace.get("name")):
                trace["name"] = labels[trace["name"]]
    layout = figure.setdefault("layout", {})
    layout.setdefault("xaxis", {})["type"] = "category"
    layout["xaxis"].setdefault("automargin", True)
    return json.dumps(figure, ensure_ascii=False)


def compile_translations(source: Path, target: Path) -> Path:
    """Every ``<locale>/LC_MESSAGES/*.po`` under ``source`` as ``.mo`` under ``target``, the
    ``.po`` beside it (CKAN builds its JavaScript translations from ``.po`` files). Each server
    worker may do this at once, so every file is written aside and renamed into place."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in sorted(source.glob("*/LC_MESSAGES/*.po")):
        mo = target / po.relative_to(source).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as handle:
            catalog = read_po(handle)
        for name, write in ((mo.name, lambda out: write_mo(out, catalog)),
                            (po.name, lambda out: out.write(po.read_bytes()))):
            aside = mo.with_name(f".{name}.{os.getpid()}")
            with aside.open("wb") as out:
                write(out)
            os.replace(aside, mo.with_name(name))
    return target


class GdcMirrorPlugin(plugins.SingletonPlugin, DefaultTranslation):
    plugins.implements(plugins.IValidators)
    plugins.implements(plugins.IConfigurer)
    plugins.implements(plugins.IActions)
    plugins.implements(plugins.IConfigDeclaration)
    plugins.implements(plugins.ITranslation)
    plugins.implements(plugins.ITemplateHelpers)
    _i18n_directory: str | None = None

    def i18n_directory(self) -> str:
        if self._i18n_directory is None:
            storage = toolkit.config.get("ckan.storage_path") or "/tmp"
            self._i18n_directory = str(compile_translations(I18N_SOURCE, Path(storage) / "i18n" / I18N_DOMAIN))
        return self._i18n_directory

    def i18n_domain(self) -> str:
        return I18N_DOMAIN

    def declare_config_options(self, declaration, key) -> None:
        declaration.declare(key.ckanext.gdcmirror.dcat_mapping).set_description(
            "The GD-Catalog → DCAT mapping read by the gdc_mirror DCAT profile (a JSON file)")

    def get_actions(self) -> dict:
        return {"datastore_create": datastore_create}

    def update_config(self, config) -> None:
        toolkit.add_template_directory(config, "templates")
        toolkit.add_resource("assets", "gdcmirror")

    def get_helpers(self) -> dict:
        return {"gdc_chart_figure": gdc_chart_figure}

    def get_validators(self) -> dict:
        return {
            "tag_name_validator": gdc_tag_name_validator,
            "tag_string_convert": gdc_tag_string_convert,
            "gdc_tags_required": gdc_tags_required,
            "gdc_name_length": gdc_name_length,
            "gdc_name_not_in_trash": gdc_name_not_in_trash,
            "gdc_unique_title": gdc_unique_title,
        }
