#!/usr/bin/env bash
# Debian's headless chromium, its driver and a Thai font, for the tests of the public pages.
RECOMMENDS=1 exec bash "$(dirname "$0")/install-debian.sh" chromium chromium-driver fonts-thai-tlwg
