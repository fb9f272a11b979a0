"""The one place that holds the API token and builds CKAN clients.

The token comes from ``PUBLISHER_CKAN_TOKEN`` or from a file (``PUBLISHER_CKAN_TOKEN_FILE``,
or the local portal's ``.stack/secrets/ckan-api-token``). It is never printed: every error
that leaves this module has it replaced by ``redact``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import ckanapi

from publisher.stack.guard import refuse_protected_url
from publisher.stack.supervisor import Stack

USER_AGENT = "thai-opendata-publisher/0.1 (+ckanapi)"


class Client(ckanapi.RemoteCKAN):
    """ckanapi's client, remembering the HTTP status of its last call: ckanapi turns a 502 from
    a proxy and a 500 from CKAN into the same exception, and only the status says whether a
    retry can help. One client per thread."""

    last_status: int | None = None

    def _request_fn(self, url, data, headers, files, requests_kwargs):
        self.last_status = None
        status, text = super()._request_fn(url, data, headers, files, requests_kwargs)
        self.last_status = status
        return status, text

    def _request_fn_get(self, url, data_dict, headers, requests_kwargs):
        self.last_status = None
        status, text = super()._request_fn_get(url, data_dict, headers, requests_kwargs)
        self.last_status = status
        return status, text


@dataclass(frozen=True)
class Portal:
    url: str
    token: str | None = field(default=None, repr=False)

    def client(self) -> Client:
        return Client(self.url, apikey=self.token, user_agent=USER_AGENT)

    def redact(self, text: str) -> str:
        return redact(text, self.token)

    def __str__(self) -> str:
        return f"{self.url} (token {mask(self.token)})"


def redact(text: str, token: str | None) -> str:
    return text.replace(token, mask(token)) if token else text


def mask(token: str | None) -> str:
    """Enough to tell two tokens apart, never enough to use one."""
    if not token:
        return "none"
    return f"…{token[-4:]}" if len(token) > 16 else "…"


def read_token(env: dict[str, str] | None = None, default_file: Path | None = None) -> str | None:
    env = os.environ if env is None else env
    if env.get("PUBLISHER_CKAN_TOKEN"):
        return env["PUBLISHER_CKAN_TOKEN"].strip()
    path = env.get("PUBLISHER_CKAN_TOKEN_FILE") or default_file
    if path and Path(path).exists():
        return Path(path).read_text().strip() or None
    return None


def portal_for(url: str | None = None, env: dict[str, str] | None = None) -> Portal:
    """The portal at ``url``, or the local one when no URL (or the local URL) is given. The
    local portal's token file is sent to the local portal only; any other gets the token of
    ``PUBLISHER_CKAN_TOKEN`` or ``PUBLISHER_CKAN_TOKEN_FILE``."""
    env = os.environ if env is None else env
    local = Stack.from_env(env)
    url = (url or "").strip().rstrip("/")
    if url and url != local.ckan_url.rstrip("/"):
        refuse_protected_url(url, env)
        return Portal(url, read_token(env))
    refuse_protected_url(local.ckan_url, env)
    return Portal(local.ckan_url, read_token(env, default_file=local.token_file))
