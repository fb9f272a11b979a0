"""Solr 9 with CKAN's core: the schema edited to find Thai words, the core's configuration on
disk, and re-indexing when the index was built with another schema.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

from publisher.stack.install import run_logged
from publisher.stack.postgres import secret
from publisher.stack.supervisor import Say, Stack, StackError, components, get_json, spawn, stop, wait

# Solr answers only this user (Solr's BasicAuthPlugin, blockUnknown): without it anyone on the
# machine could read private datasets from the index or write to it. The password is a secret of
# the stack (secrets/solr-password, mode 600); CKAN gets it as solr_user/solr_password.
SOLR_USER = "ckan"


def solr_credentials(stack: Stack) -> tuple[str, str]:
    return SOLR_USER, secret(stack, "solr-password")


def security_json(password: str) -> bytes:
    """Solr's security.json: basic authentication for SOLR_USER, every request refused to others.
    Solr stores base64(sha256(sha256(salt + password))) and base64(salt); the salt is derived from
    the (random) password so the file is the same on every start."""
    salt = hashlib.sha256(b"solr-salt:" + password.encode()).digest()[:16]
    hashed = hashlib.sha256(hashlib.sha256(salt + password.encode()).digest()).digest()
    config = {
        "authentication": {"class": "solr.BasicAuthPlugin", "blockUnknown": True, "forwardCredentials": False,
                           "credentials": {SOLR_USER: f"{base64.b64encode(hashed).decode()} "
                                                      f"{base64.b64encode(salt).decode()}"}},
        "authorization": {"class": "solr.RuleBasedAuthorizationPlugin", "user-role": {SOLR_USER: ["admin"]},
                          "permissions": [{"name": "all", "role": "admin"}]},
    }
    return (json.dumps(config, indent=2) + "\n").encode("utf-8")


def solr_ping(stack: Stack) -> bool:
    answer = get_json(f"{stack.solr_url}/admin/ping?wt=json", auth=solr_credentials(stack))
    return bool(answer and answer.get("status") == "OK")


# CKAN's text field types split words at spaces only, and Thai is written without spaces
# between words: a Thai word inside a title would never be found. Lucene's ThaiTokenizer
# (lucene-analysis-common, already on Solr's classpath) breaks Thai into words with the JVM's
# Thai dictionary and splits other scripts at spaces and punctuation.
THAI_TEXT_FIELD_TYPES = ("text", "text_general")
CENTRAL_CORE = "central"  # the core of the central catalog site (publisher/stack/central.py)
CKAN_TOKENIZER = 'class="solr.WhitespaceTokenizerFactory"'
THAI_TOKENIZER = 'class="solr.ThaiTokenizerFactory"'


def thai_solr_schema(ckan_schema: str) -> str:
    """CKAN's schema.xml with its text field types segmenting Thai; everything else unchanged.

    Fails when CKAN's schema no longer has the shape this edit expects, rather than
    silently serving a schema that cannot find Thai words.
    """
    schema = ckan_schema
    for name in THAI_TEXT_FIELD_TYPES:
        block = re.search(rf'<fieldType name="{name}" class="solr.TextField"[^>]*>.*?</fieldType>', schema, re.S)
        if block is None or block.group(0).count(CKAN_TOKENIZER) != 2:
            raise StackError(f"solr: CKAN's schema.xml has no field type {name!r} with a whitespace tokenizer "
                             f"in both analyzers; the Thai word-breaking edit needs revisiting")
        thai = block.group(0).replace(CKAN_TOKENIZER, THAI_TOKENIZER)
        thai = thai.replace('positionIncrementGap="100">', 'positionIncrementGap="100" autoGeneratePhraseQueries="true">', 1)
        schema = schema[:block.start()] + thai + schema[block.end():]
    note = ("<!-- CKAN's schema.xml, edited by publisher/stack/solr.py (thai_solr_schema): the field types "
            f"{', '.join(THAI_TEXT_FIELD_TYPES)} break Thai text into words (solr.ThaiTokenizerFactory). -->\n")
    head, sep, body = schema.partition("?>\n")
    return head + sep + note + body if sep else note + schema


def _ckan_solr_schema(stack: Stack) -> Path:
    found = sorted(stack.venv.glob("lib/python3*/site-packages/ckan/config/solr/schema.xml"))
    if not found:
        raise StackError(f"solr: CKAN's schema.xml is not in {stack.venv}; is the CKAN venv installed?")
    return found[-1]


def solr_config(stack: Stack) -> dict[Path, bytes]:
    """Every file of the ckan core's configuration, keyed by its path under the Solr home."""
    template = stack.root / "stack" / "solr" / "home"
    files = {src.relative_to(template): src.read_bytes() for src in template.rglob("*") if src.is_file()}
    schema = thai_solr_schema(_ckan_solr_schema(stack).read_text(encoding="utf-8"))
    files[Path("ckan", "conf", "schema.xml")] = schema.encode("utf-8")
    if stack.solr_soft_commit_ms > 0:
        files[Path("ckan", "core.properties")] += f"solr.autoSoftCommit.maxTime={stack.solr_soft_commit_ms}\n".encode()
    # the central catalog site's core: the same configuration under its own name (core discovery)
    for rel, data in list(files.items()):
        if rel.parts[0] == "ckan" and rel.name != "core.properties":
            files[Path(CENTRAL_CORE, *rel.parts[1:])] = data
    files[Path(CENTRAL_CORE, "core.properties")] = f"name={CENTRAL_CORE}\n".encode()
    files[SECURITY] = security_json(solr_credentials(stack)[1])
    return files


SECURITY = Path("security.json")   # in the Solr home; it holds the password's hash, so mode 600


def _schema_digest(config: dict[Path, bytes]) -> str:
    return hashlib.sha256(config[Path("ckan", "conf", "schema.xml")]).hexdigest()


def _index_marker(stack: Stack) -> Path:
    """Which schema the search index was built with; another one means reindexing."""
    return stack.state / "markers" / "solr-index-schema.sha256"


def solr_refresh_needed(stack: Stack) -> bool:
    """True when the core's configuration on disk or the index's schema is not the wanted one."""
    try:
        config = solr_config(stack)
    except StackError:
        return True
    on_disk = all((stack.solr_home / rel).exists() and (stack.solr_home / rel).read_bytes() == data
                  for rel, data in config.items())
    marker = _index_marker(stack)
    return not on_disk or not marker.exists() or marker.read_text() != _schema_digest(config)


def _prepare_solr_home(stack: Stack) -> None:
    """Write the configuration (template + edited CKAN schema); keep the index (ckan/data)."""
    config = solr_config(stack)
    if not (stack.solr_home / "ckan" / "data").exists():  # no index yet: it will be built with this schema
        _index_marker(stack).parent.mkdir(parents=True, exist_ok=True)
        _index_marker(stack).write_text(_schema_digest(config))
    for rel, data in config.items():
        dest = stack.solr_home / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not dest.exists() or dest.read_bytes() != data:
            dest.write_bytes(data)
        if rel == SECURITY:
            dest.chmod(0o600)


def start_solr(stack: Stack, say: Say) -> None:
    comp = components(stack)[2]
    if comp.pid() is not None:
        config = solr_config(stack)
        if all((stack.solr_home / rel).exists() and (stack.solr_home / rel).read_bytes() == data
               for rel, data in config.items()):
            return
        say("the Solr configuration changed; restarting solr with it")
        stop(comp, say)
    _prepare_solr_home(stack)
    launcher = stack.root / "stack" / "solr"
    cmd = ["java", "-Xms256m", "-Xmx768m",
           "-XX:CompileCommand=quiet,exclude,com.github.benmanes.caffeine.cache.BoundedLocalCache::put",
           f"-Dsolr.log.dir={stack.logs}", f"-Dlog4j2.configurationFile={launcher / 'log4j2.xml'}",
           "-cp", f"{stack.solr_lib}/*", str(launcher / "CkanSolr.java"),
           str(stack.solr_home), str(stack.solr_port)]
    process = spawn(cmd, comp)
    wait(lambda: solr_ping(stack), 120, comp, "waiting for the ckan core to answer /admin/ping",
         alive=lambda: process.poll() is None)


def reindex_if_schema_changed(stack: Stack, say: Say) -> None:
    """Rebuild CKAN's search index when it was built with another schema (analysis changed)."""
    digest = _schema_digest(solr_config(stack))
    marker = _index_marker(stack)
    if marker.exists() and marker.read_text() == digest:
        return
    say("the search schema changed; re-indexing every dataset")
    run_logged([stack.ckan_bin("ckan"), "search-index", "rebuild"], stack.logs / "ckan-setup.log",
               "ckan search-index rebuild", env=stack.ckan_env())
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(digest)
