"""One call through each adapter, the way a user of that library writes it, so a test can run
the same scenario through requests, httpx (sync and async) and aiohttp."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

import aiohttp
import httpx
import requests

from sigv4kit.integrations.aiohttp import SigV4Middleware
from sigv4kit.integrations.httpx import SigV4Auth as HttpxAuth
from sigv4kit.integrations.requests import SigV4Auth as RequestsAuth

KINDS = ("requests", "httpx", "httpx-async", "aiohttp")
TIMEOUT = 30
_SSL = ssl.create_default_context()
"""One context for every httpx client (each would load the CA bundle, ~0.1 s)."""


@dataclass
class Chunks:
    """A body given as an iterator of chunks: a sync generator for requests and httpx, an
    async generator for the async clients."""

    parts: list[bytes] = field(default_factory=list)


Body = bytes | IO[bytes] | Chunks | None


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: Mapping[str, str]
    sent_url: str


def make_auth(kind: str, credentials: Any, region: Any, service: str, **options: Any) -> Any:
    """The adapter object of ``kind``: one per test scenario, reused for its calls."""
    if kind == "requests":
        return RequestsAuth(credentials, region, service, **options)
    if kind in ("httpx", "httpx-async"):
        return HttpxAuth(credentials, region, service, **options)
    return SigV4Middleware(credentials, region, service, **options)


def _sync_chunks(parts: list[bytes]) -> Iterator[bytes]:
    yield from parts


async def _async_chunks(parts: list[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        await asyncio.sleep(0)
        yield part


def call(
    kind: str,
    auth: Any,
    method: str,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    body: Body = None,
    form: Mapping[str, str] | None = None,
) -> Answer:
    """Send one request through the ``kind`` adapter ``auth``."""
    if kind == "requests":
        data: Any = form if form is not None else (
            _sync_chunks(body.parts) if isinstance(body, Chunks) else body)
        r = requests.request(method, url, params=params, headers=headers, data=data,
                             auth=auth, timeout=TIMEOUT)
        assert r.request.url is not None
        return Answer(r.status_code, r.content, r.headers, r.request.url)
    if kind == "httpx":
        content: Any = _sync_chunks(body.parts) if isinstance(body, Chunks) else body
        with httpx.Client(auth=auth, timeout=TIMEOUT, verify=_SSL) as client:
            h = client.request(method, url, params=params, headers=headers, content=content,
                               data=form)
            return Answer(h.status_code, h.content, h.headers, str(h.request.url))
    return asyncio.run(_async_call(kind, auth, method, url, params, headers, body, form))


async def _async_call(
    kind: str,
    auth: Any,
    method: str,
    url: str,
    params: Mapping[str, str] | None,
    headers: Mapping[str, str] | None,
    body: Body,
    form: Mapping[str, str] | None,
) -> Answer:
    if kind == "httpx-async":
        content: Any = _async_chunks(body.parts) if isinstance(body, Chunks) else body
        if content is not None and not isinstance(content, bytes | AsyncIterator):
            content = _async_file(content)
        async with httpx.AsyncClient(auth=auth, timeout=TIMEOUT, verify=_SSL) as client:
            h = await client.request(method, url, params=params, headers=headers,
                                     content=content, data=form)
            return Answer(h.status_code, h.content, h.headers, str(h.request.url))
    data: Any = form if form is not None else (
        _async_chunks(body.parts) if isinstance(body, Chunks) else body)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    async with (aiohttp.ClientSession(middlewares=(auth,), timeout=timeout) as session,
                session.request(method, url, params=params, headers=headers, data=data) as a):
        return Answer(a.status, await a.read(), dict(a.headers), str(a.request_info.url))


async def _async_file(file: IO[bytes]) -> AsyncIterator[bytes]:
    """httpx's async client takes no sync file: the way its users stream one."""
    while chunk := file.read(65536):
        yield chunk
