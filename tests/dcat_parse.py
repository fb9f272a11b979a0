"""Run inside the portal's own venv: parse Turtle from stdin with ckanext-dcat's RDFParser
(profiles euro_dcat_ap_3 and gdc_mirror, as a harvester of this portal would) and print the
datasets as JSON. Usage: <ckan-venv>/bin/python tests/dcat_parse.py <ckan.ini> < dataset.ttl"""

import json
import sys

from ckan.cli import load_config
from ckan.config.middleware import make_app

make_app(load_config(sys.argv[1]))

from ckanext.dcat.processors import RDFParser  # noqa: E402  (needs CKAN's configuration first)

parser = RDFParser(profiles=["euro_dcat_ap_3", "gdc_mirror"])
parser.parse(sys.stdin.read(), _format="turtle")
print(json.dumps(list(parser.datasets()), ensure_ascii=False, default=str))
