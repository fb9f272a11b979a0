#!/usr/bin/env bash
# Debian's headless LibreOffice Calc, for the tests that open the published CSV and XLSX files
# as a spreadsheet user would. Installs only what is missing; without root, prints the command.
set -euo pipefail
packages=(libreoffice-calc-nogui fonts-thai-tlwg)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]}; run: sudo apt-get install -y ${missing[*]}" >&2
  exit 2
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
