"""The ``publisher`` command line: main.py makes the app; one module per command group; common.py
holds what they share. The only part of the package that prints."""
