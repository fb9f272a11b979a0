"""Thai open-data catalog publisher: reports → data packages → a data.go.th-style CKAN portal."""


__version__ = "0.1.0"
