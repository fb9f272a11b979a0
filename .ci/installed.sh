#!/usr/bin/env bash
# CI: the publisher as a steward installs it (`pip install .`, not editable) into a venv of its
# own, run inside a copy of the catalog folder outside the source tree: it must find the
# catalog there and its own vocabularies and rules in the package.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q --disable-pip-version-check "$src"

# the catalog: its reports, packages and settings, and only the schemas that are its own
catalog="$work/catalog"
mkdir -p "$catalog/schemas/validation"
cp -r "$src/reports" "$src/datapackages" "$src/publisher.toml" "$catalog/"
cp -r "$src/schemas/tables" "$catalog/schemas/"
cp "$src/schemas/validation/facts.json" "$catalog/schemas/validation/"

cd "$catalog"
unset PUBLISHER_ROOT PUBLISHER_VAR_DIR
installed="$("$work/venv/bin/python" -c 'import publisher, sys; print(publisher.__file__)')"
case "$installed" in
  "$work/venv/"*) ;;
  *) echo "the publisher was imported from $installed, not from the installed package" >&2; exit 1 ;;
esac
"$work/venv/bin/publisher" build --check
"$work/venv/bin/publisher" validate
echo "installed publisher: build --check and validate pass in $catalog"
