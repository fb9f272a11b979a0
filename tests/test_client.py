"""The token never leaves the client module in clear text."""

from publisher.catalog.client import Portal, mask, read_token, redact

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.secret-part.signature-part-xyz9"


def test_redact_replaces_every_occurrence_and_keeps_the_last_four_characters():
    message = f"403 for token {TOKEN} (header Authorization: {TOKEN})"
    cleaned = redact(message, TOKEN)
    assert TOKEN not in cleaned
    assert cleaned.count("…xyz9") == 2


def test_short_or_missing_tokens_reveal_nothing():
    assert mask("abc123") == "…"
    assert mask(None) == "none"
    assert redact("no secret here", None) == "no secret here"


def test_portal_repr_and_str_hide_the_token():
    portal = Portal("http://127.0.0.1:5000", TOKEN)
    assert TOKEN not in repr(portal)
    assert TOKEN not in str(portal)


def test_token_comes_from_env_before_file(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(" from-file \n")
    assert read_token(env={}, default_file=token_file) == "from-file"
    assert read_token(env={"PUBLISHER_CKAN_TOKEN_FILE": str(token_file)}) == "from-file"
    assert read_token(env={"PUBLISHER_CKAN_TOKEN": "from-env"}, default_file=token_file) == "from-env"
    assert read_token(env={}, default_file=tmp_path / "absent") is None
