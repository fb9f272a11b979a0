"""Everything a data package can get wrong, found before anything is published.

Each finding names the package, file, row and field, a stable rule id
(schemas/validation/rules.json) and a one-line fix hint in Thai or English (findings.py). Checks:

- frictionless: descriptor, Table Schema types and constraints, keys, encoding, hashes (tables.py);
- headers: English snake_case, and a UTF-8 BOM where the CSV holds Thai (Excel needs it) (tables.py);
- GD-Catalog metadata: the JSON Schema profile schemas/gdc/profile.json, plus the
  vocabularies of schemas/ckan/gdc_dataset.json and the rules that need code (อื่นๆ needs
  its *_other, BE years in order, NFC) (metadata.py);
- provenance: the quoted passage is at that line of the vendored report, and every number
  of the row occurs in it after Thai-digit normalisation (provenance.py);
- personal data: no names of people, phone numbers, personal e-mails or national ID
  numbers in a dataset classed ข้อมูลสาธารณะ (personal.py);
- consistency: a fact several datasets state has one value in all of them
  (schemas/validation/facts.json), compared with the rest of the catalog (consistency.py);
- a live portal (optional): its required fields, choices, licences and organizations, checked
  by publisher.catalog.preflight and handed to validate() as its `portal` callable.

A large table is read a column at a time (pyarrow) with the same findings as frictionless's
row-by-row reading: the fast path (fast.py, fast_columns.py).

run.py is the entry point: validate() and validate_package(). This __init__ imports nothing,
so callers import the module that holds a name, e.g. `from publisher.validate.run import validate`.
"""
