#!/usr/bin/env bash
# Debian's headless LibreOffice Calc, for the tests that open the published CSV and XLSX files
# as a spreadsheet user would.
exec bash "$(dirname "$0")/install-debian.sh" libreoffice-calc-nogui fonts-thai-tlwg
