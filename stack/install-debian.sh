#!/usr/bin/env bash
# Install the Debian packages named as arguments, only those missing; without root, print the
# command to run instead (exit 2). RECOMMENDS=1 installs their recommended packages too.
# Used by the install-*.sh scripts beside it, each of which says what its packages are for.
set -euo pipefail
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]}; run: sudo apt-get install -y ${missing[*]}" >&2
  exit 2
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
recommends=(--no-install-recommends)
[ "${RECOMMENDS:-0}" = 1 ] && recommends=()
apt-get update -qq
apt-get install -y -qq "${recommends[@]}" "${missing[@]}" >/dev/null
