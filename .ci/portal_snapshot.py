"""What the default portal holds, for CI to compare before and after the test suite: every dataset
of any catalog (private and deleted ones too), its resources' sha256, and a fingerprint of the API
token (never the token). Exit 1 when the portal holds a dataset that is not one of datapackages/
or the reports dataset of their agencies."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import requests

from publisher.catalog import map as mapping
from publisher.catalog.reports import reports_datasets

ROOT = Path(__file__).resolve().parents[1]
PORTAL = "http://127.0.0.1:5000"
TOKEN_FILE = ROOT / ".stack" / "secrets" / "ckan-api-token"


def snapshot() -> dict:
    token = TOKEN_FILE.read_text().strip()
    answer = requests.get(f"{PORTAL}/api/3/action/package_search", timeout=60, headers={"Authorization": token},
                          params={"q": "*:*", "rows": 1000, "include_private": "true", "include_drafts": "true",
                                  "include_deleted": "true"}).json()["result"]
    datasets = {d["name"]: {"state": d["state"], "private": d["private"], "id": d["id"],
                            "resources": sorted((r["name"], r.get("hash") or "") for r in d["resources"])}
                for d in answer["results"]}
    organizations = requests.get(f"{PORTAL}/api/3/action/organization_list", timeout=60).json()["result"]
    return {"count": answer["count"], "datasets": datasets, "organizations": sorted(organizations),
            "token_sha256": hashlib.sha256(token.encode()).hexdigest()[:16]}


def catalog_names() -> set[str]:
    """The packages of datapackages/, and the reports dataset of each agency they belong to."""
    packages = [json.loads(p.read_text(encoding="utf-8")) for p in (ROOT / "datapackages").glob("*/datapackage.json")]
    agencies = {p["organization"]["name"] for p in packages}
    reports, _ = reports_datasets(mapping.groups(), mapping.MARKER, agencies=agencies)
    return {p["name"] for p in packages} | {d.name for d in reports}


if __name__ == "__main__":
    found = snapshot()
    print(json.dumps(found, ensure_ascii=False, indent=1, sort_keys=True))
    strangers = sorted(set(found["datasets"]) - catalog_names())
    missing = sorted(catalog_names() - set(found["datasets"]))
    if strangers or missing:
        print(f"the default portal holds {len(strangers)} dataset(s) not in datapackages/ {strangers[:10]} "
              f"and lacks {missing}", file=sys.stderr)
        sys.exit(1)
