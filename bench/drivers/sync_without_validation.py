"""`publisher sync` with validation left out (``sync(..., validate=False)``): what a sync costs
apart from `publisher validate`. A diagnostic of the benchmark, not a way to publish.

    python sync_without_validation.py PACKAGES_DIR CATALOG JOBS
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from publisher.stack import supervisor as stack  # noqa: E402
from publisher.catalog.client import Portal, read_token  # noqa: E402
from publisher.catalog.sync import sync  # noqa: E402


def main(argv: list[str]) -> int:
    local = stack.Stack.from_env()
    portal = Portal(local.ckan_url, read_token(default_file=local.token_file))
    report = sync(portal, Path(argv[0]), catalog=argv[1], jobs=int(argv[2]), validate=False)
    body = report.to_json()
    print(json.dumps({k: body[k] for k in ("summary", "exit_code", "error", "calls", "seconds")}, ensure_ascii=False))
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
