"""Stage one: the source reports a catalog is built from (`registry`: ids, sha256, agencies)."""
