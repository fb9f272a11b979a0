"""Everything that talks to a CKAN portal."""
