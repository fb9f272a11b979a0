"""Where everything is: the one place that reads the environment for paths.

A catalog is a folder with ``reports/``, ``datapackages/`` and ``schemas/`` (its Table Schemas,
its shared facts), a ``publisher.toml`` and the ``var/`` the job writes. The publisher works on
the catalog named by ``PUBLISHER_ROOT``, else the current folder when it is one, else the
source checkout it runs from. The project's own vocabularies, rules and portal files
(``schemas/`` and ``stack/``) ship with the package: a catalog's own ``schemas/<file>`` wins
over the shipped one, so a steward needs to keep only what is theirs.

Environment: PUBLISHER_ROOT (the catalog), PUBLISHER_VAR_DIR (the job's files: run log, status,
lock, validated record; default <catalog>/var), PUBLISHER_STACK_DIR (the local portal; default
<catalog>/.stack), the ports PUBLISHER_{CKAN,SOLR,POSTGRES,REDIS}_PORT and
PUBLISHER_SOLR_SOFT_COMMIT_MS (search commits left to Solr), which stack/supervisor.py reads; PUBLISHER_CKAN_URL, PUBLISHER_CKAN_TOKEN and PUBLISHER_CKAN_TOKEN_FILE (catalog/client.py);
PUBLISHER_SCHEDULE_* over publisher.toml's [schedule] (jobs/config.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT = PACKAGE_DIR.parent
# installed: the data files are copied into the package; in a source checkout they are beside it
SHIPPED = PACKAGE_DIR / "shipped" if (PACKAGE_DIR / "shipped").is_dir() else CHECKOUT
CATALOG_MARKS = ("publisher.toml", "datapackages", "reports/registry.json")


def _is_catalog(folder: Path) -> bool:
    return any((folder / mark).exists() for mark in CATALOG_MARKS)


@dataclass(frozen=True)
class Settings:
    root: Path                  # the catalog folder
    var: Path                   # what the job and sync write: run log, status, lock, validated record

    packages = property(lambda s: s.root / "datapackages")
    reports = property(lambda s: s.root / "reports")
    config_file = property(lambda s: s.root / "publisher.toml")

    def schema(self, relative: str) -> Path:
        """A file of schemas/: the catalog's own, else the one shipped with the publisher."""
        own = self.root / "schemas" / relative
        return own if own.exists() else SHIPPED / "schemas" / relative


def catalog_root(env: dict[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("PUBLISHER_ROOT"):
        return Path(env["PUBLISHER_ROOT"]).expanduser().resolve()
    here = Path.cwd()
    if _is_catalog(here):
        return here.resolve()
    return CHECKOUT if _is_catalog(CHECKOUT) else here.resolve()


def settings(env: dict[str, str] | None = None) -> Settings:
    """Read now, from ``env`` (default: the process environment)."""
    env = os.environ if env is None else env
    root = catalog_root(env)
    var = Path(env["PUBLISHER_VAR_DIR"]).expanduser().resolve() if env.get("PUBLISHER_VAR_DIR") else root / "var"
    return Settings(root=root, var=var)


ROOT = catalog_root()
"""The catalog of this process, fixed at start (module paths are taken from it)."""


def schema_file(relative: str, root: Path | None = None) -> Path:
    """schemas/<relative> of the catalog, else the shipped one."""
    return Settings(root=root or ROOT, var=Path()).schema(relative)


def shipped_schema(relative: str) -> Path:
    """The project's own rules and vocabularies, which a catalog does not replace."""
    return SHIPPED / "schemas" / relative
