"""What the portal needs before anything starts: Debian packages, CKAN's own virtual environment
and the Solr jars. Each step keeps a digest of its inputs and is skipped while they are unchanged.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from publisher.stack.guard import refuse_protected_write
from publisher.stack.supervisor import Say, Stack, StackError


SYSTEM_PACKAGES = {  # command that must exist -> Debian package that provides it
    "redis-server": "redis-server",
    "java": "openjdk-17-jre-headless",
    "mvn": "maven",
    "psql": "postgresql-client",
}
POSTGRES_PACKAGE = "postgresql"


def _sha256(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def postgres_bindir() -> Path | None:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    return candidates[-1].parent if candidates else None


def ensure_system_packages(say: Say) -> None:
    """Install missing Debian packages (as root), or say exactly what to install."""
    missing = sorted({pkg for cmd, pkg in SYSTEM_PACKAGES.items() if shutil.which(cmd) is None})
    if postgres_bindir() is None:
        missing.append(POSTGRES_PACKAGE)
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise StackError(f"missing system packages: {' '.join(missing)}; "
                         f"install them with: sudo apt-get install -y {' '.join(missing)}")
    say(f"installing Debian packages: {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *missing]):
        result = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise StackError(f"{' '.join(cmd)} failed:\n{result.stderr[-2000:]}")


def run_logged(cmd: list[str], log: Path, what: str, **kwargs) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        result = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, **kwargs)
    if result.returncode != 0:
        raise StackError(f"{what} failed (exit {result.returncode}); see {log}")


def _venv_wanted(stack: Stack) -> str:
    return _sha256(stack.root / "stack" / "ckan" / "requirements.txt",
                   stack.root / "stack" / "ckanext-gdcmirror" / "pyproject.toml")


def _current(marker: Path, wanted: str) -> bool:
    return marker.exists() and marker.read_text() == wanted


def ckan_venv_current(stack: Stack) -> bool:
    return _current(stack.venv / ".requirements.sha256", _venv_wanted(stack))


def solr_jars_current(stack: Stack) -> bool:
    return _current(stack.solr_lib / ".pom.sha256", _sha256(stack.root / "stack" / "solr" / "pom.xml"))


def ensure_ckan_venv(stack: Stack, say: Say) -> None:
    requirements = stack.root / "stack" / "ckan" / "requirements.txt"
    extension = stack.root / "stack" / "ckanext-gdcmirror"
    marker = stack.venv / ".requirements.sha256"
    wanted = _venv_wanted(stack)
    if _current(marker, wanted):
        return
    refuse_protected_write(stack.venv, "install CKAN")
    say(f"installing CKAN into {stack.venv} (on first start or when stack/ckan changes; a few minutes)")
    log = stack.logs / "install-ckan.log"
    if not (stack.venv / "bin" / "python").exists():
        run_logged([sys.executable, "-m", "venv", str(stack.venv)], log, "creating the CKAN venv")
    pip = [stack.ckan_bin("python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    run_logged([*pip, "--upgrade", "pip", "setuptools", "wheel"], log, "upgrading pip in the CKAN venv")
    run_logged([*pip, "-r", str(requirements)], log, "installing CKAN")
    run_logged([*pip, "--no-deps", "-e", str(extension)], log, "installing ckanext-gdcmirror")
    marker.write_text(wanted)


def ensure_solr_jars(stack: Stack, say: Say) -> None:
    pom = stack.root / "stack" / "solr" / "pom.xml"
    if solr_jars_current(stack):
        return
    refuse_protected_write(stack.solr_lib, "resolve the Solr jars")
    marker = stack.solr_lib / ".pom.sha256"
    wanted = _sha256(pom)
    say("resolving Solr 9 from Maven Central (on first start or when stack/solr/pom.xml changes)")
    shutil.rmtree(stack.solr_lib, ignore_errors=True)
    run_logged(["mvn", "-B", "-q", "-f", str(pom),
                "org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies",
                "-DincludeScope=runtime", f"-DoutputDirectory={stack.solr_lib}"],
               stack.logs / "install-solr.log", "resolving Solr jars with Maven")
    marker.write_text(wanted)
