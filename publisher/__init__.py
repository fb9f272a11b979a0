"""Thai open-data catalog publisher: reports → data packages → a data.go.th-style CKAN portal."""

from pathlib import Path

__version__ = "0.1.0"

PROJECT_ROOT = Path(__file__).resolve().parents[1]
