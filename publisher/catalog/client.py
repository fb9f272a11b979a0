"""The one place that holds the API token and builds CKAN clients.

A page of ``package_search`` (1,000 datasets, about 14 MB of JSON) is read as it arrives and each
dataset parsed by itself, so no page's whole text is ever held: buffers that large are where a
long run's memory grew with every page read.

The token comes from ``PUBLISHER_CKAN_TOKEN`` or from a file (``PUBLISHER_CKAN_TOKEN_FILE``,
or the local portal's ``.stack/secrets/ckan-api-token``). It is never printed: every error
that leaves this module has it replaced by ``redact``.
"""

from __future__ import annotations

import codecs
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import ckanapi
import requests
from ckanapi.common import prepare_action, reverse_apicontroller_action
from ckanapi.remoteckan import REQUEST_TIMEOUT

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

    def call_action(self, action, data_dict=None, context=None, apikey=None, files=None, requests_kwargs=None):
        if action not in STREAMED or files or context or self.get_only:
            return super().call_action(action, data_dict, context, apikey, files, requests_kwargs)
        url, data, headers = prepare_action(action, data_dict, apikey or self.apikey, None, base_url=self.base_url)
        headers["User-Agent"] = self.user_agent
        url = self.address.rstrip("/") + "/" + url
        if not self.session:
            self.session = requests.Session()
        self.last_status = None
        requests_kwargs = {"timeout": REQUEST_TIMEOUT, **(requests_kwargs or {})}
        with self.session.post(url, data=data, headers=headers, allow_redirects=False, stream=True,
                               **requests_kwargs) as answer:
            self.last_status = answer.status_code
            if answer.status_code != 200:
                return reverse_apicontroller_action(url, answer.status_code, answer.text)
            try:
                parsed = read_streamed(answer.iter_content(CHUNK))
            except requests.exceptions.ChunkedEncodingError as exc:
                raise requests.ConnectionError(f"{action}: the answer was cut off ({exc})") from None
            except ValueError as exc:
                raise ckanapi.CKANAPIError(f"{action}: the portal's answer is not JSON ({exc})") from None
        if not isinstance(parsed, dict) or parsed.get("success") is not True:
            raise ckanapi.CKANAPIError(f"{action}: the portal answered 200 without success")
        return parsed["result"]

    def _request_fn_get(self, url, data_dict, headers, requests_kwargs):
        self.last_status = None
        status, text = super()._request_fn_get(url, data_dict, headers, requests_kwargs)
        self.last_status = status
        return status, text


STREAMED = {"package_search"}
CHUNK = 64 * 1024
_RESULTS = re.compile(rb'"results"\s*:\s*\[')


def read_streamed(chunks: Iterable[bytes]) -> dict:
    """A CKAN action's JSON answer, read chunk by chunk: the array ``result.results`` is cut into
    its objects, each parsed alone as soon as it has arrived; what comes before and after it
    (small: help, count, facets) is parsed once the answer ends. The same value as ``json.loads``
    of the whole answer, which is never held."""
    chunks = iter(chunks)
    head = bytearray()
    found = None
    for chunk in chunks:
        head += chunk
        found = _RESULTS.search(head)
        if found:
            break
    if found is None:
        return json.loads(head)                     # no datasets in it: an error, or not a search
    before = bytes(head[:found.start()]) + b'"results": '
    json.loads(before + b"[]}}")                    # it must be {…, "result": {…, "results": [ here
    decode = codecs.getincrementaldecoder("utf-8")().decode
    text = decode(bytes(head[found.end():]))
    del head
    decoder = json.JSONDecoder()
    items: list = []
    at, ended = 0, False
    while True:
        while at < len(text) and text[at] in " \t\r\n,":
            at += 1
        if at < len(text) and text[at] == "]":
            break
        if at < len(text) and text[at] != "{":
            raise ValueError(f"result.results holds {text[at]!r}, not an object")
        try:
            if at == len(text):
                raise json.JSONDecodeError("more to read", text, at)
            item, at = decoder.raw_decode(text, at)
            items.append(item)
            continue
        except json.JSONDecodeError:
            if ended:
                raise
        more = next(chunks, None)                   # the dataset is still arriving
        if more is None:
            ended = True
            text = text[at:] + decode(b"", final=True)
        else:
            text = text[at:] + decode(more)
        at = 0
    rest = text[at + 1:] + "".join(decode(chunk) for chunk in chunks) + decode(b"", final=True)
    parsed = json.loads(before.decode() + "[]" + rest)
    parsed["result"]["results"] = items
    return parsed


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
