"""Publish every package of a folder with the dpckan command line, one call per package,
as its documentation shows (``dpckan dataset create`` in the package's folder).

Runs inside the benchmark's dpckan virtual environment. dpckan reads the portal and key from
CKAN_HOST and CKAN_KEY. It exits 0 after a failure unless --exit-code is given, so that flag
is passed and its output kept. Prints one JSON line with the counts and the first errors.

    python dpckan_publish.py PACKAGES_DIR (create | update)
"""

import json
import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    folder, verb = Path(argv[0]), argv[1]
    dpckan = str(Path(sys.executable).parent / "dpckan")
    published, errors = 0, []
    for descriptor in sorted(folder.glob("*/datapackage.json")):
        done = subprocess.run([dpckan, "--datapackage", str(descriptor), "--exit-code", "dataset", verb],
                              capture_output=True, text=True, cwd=descriptor.parent)
        if done.returncode == 0:
            published += 1
        else:
            output = (done.stdout + done.stderr).strip().splitlines()
            errors.append(f"{descriptor.parent.name}: exit {done.returncode}: " + " | ".join(output[-6:])[:1500])
    print(json.dumps({"published": published, "failed": len(errors), "errors": errors[:3]}, ensure_ascii=False))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
