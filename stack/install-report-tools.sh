#!/usr/bin/env bash
# Debian's tools for reports that arrive as PDF, DOCX or scans: poppler (pdftotext, pdftoppm,
# pdfinfo), qpdf (the tests encrypt a PDF with it), tesseract with its Thai model (pages without a
# text layer), LibreOffice Writer without a GUI (the tests make PDF and DOCX copies of the vendored
# reports with it) and the Thai TLWG fonts both of them render with.
exec bash "$(dirname "$0")/install-debian.sh" poppler-utils qpdf tesseract-ocr tesseract-ocr-tha \
  libreoffice-writer-nogui fonts-thai-tlwg
