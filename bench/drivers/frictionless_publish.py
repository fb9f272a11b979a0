"""Publish every package of a folder with frictionless's own CKAN publishing
(``Package.publish`` with a ``CkanControl``), as a user of frictionless would.

Runs inside the benchmark's frictionless virtual environment, not the project's. The API key
is read by frictionless itself from the variable named in ``apikey="env:…"``. Prints one JSON
line: how many packages were published, how many failed, and the first errors.

    python frictionless_publish.py PACKAGES_DIR URL ORGANIZATION [--update]
"""

import ast
import json
import sys
from pathlib import Path

from frictionless import Package
from frictionless.portals import CkanControl

KEY_VARIABLE = "BENCH_CKAN_KEY"


def readable(message: str) -> str:
    """frictionless wraps CKAN's JSON answer in two exception texts (the inner one as a Python
    literal); show the portal's errors."""
    inner = message.find("Exception('")
    if inner >= 0 and message.rstrip().endswith(")"):
        try:
            message = ast.literal_eval(message[inner + len("Exception("):message.rstrip().rindex(")")])
        except (SyntaxError, ValueError):
            pass
    start = message.find('{"help"')
    if start < 0:
        return message
    try:
        answer, _ = json.JSONDecoder().raw_decode(message[start:])
    except json.JSONDecodeError:
        return message
    action = answer.get("help", "").rsplit("name=", 1)[-1]
    error = answer.get("error", {})
    if isinstance(error, dict) and "message" in error:
        return f"{action}: {error.get('__type', '')}: {error['message']}"
    details = []
    for key, value in error.items():
        if key == "__type":
            continue
        texts = {str(v) for v in value} if isinstance(value, list) else {str(value)}
        details.append(f"{key}: {'; '.join(sorted(t for t in texts if t != '{}'))}")
    return f"the portal refused {action}: " + " | ".join(details)


def main(argv: list[str]) -> int:
    folder, url, organization = Path(argv[0]), argv[1], argv[2]
    update = "--update" in argv
    published, errors = 0, []
    for descriptor in sorted(folder.glob("*/datapackage.json")):
        control = CkanControl(baseurl=url, apikey=f"env:{KEY_VARIABLE}", organization_name=organization,
                              allow_update=update)
        try:
            Package(str(descriptor)).publish(control=control)
            published += 1
        except Exception as exc:  # report every failure, keep going like a batch job would
            errors.append(f"{descriptor.parent.name}: {readable(str(exc))}"[:1500])
    print(json.dumps({"published": published, "failed": len(errors), "errors": errors[:3]}, ensure_ascii=False))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
