#!/usr/bin/env bash
# Debian's tools for reports that arrive as PDF, DOCX or scans: poppler (pdftotext, pdftoppm,
# pdfinfo), qpdf (the tests encrypt a PDF with it), tesseract with its Thai model (pages without a text layer), LibreOffice Writer
# without a GUI (the tests make PDF and DOCX copies of the vendored reports with it) and the
# Thai TLWG fonts both of them render with. Installs only what is missing; without root,
# prints the command to run instead.
set -euo pipefail
packages=(poppler-utils qpdf tesseract-ocr tesseract-ocr-tha libreoffice-writer-nogui fonts-thai-tlwg)
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
