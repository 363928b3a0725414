"""SigV4 for ``aiohttp`` (>= 3.12), as a client middleware:
``aiohttp.ClientSession(middlewares=(SigV4Middleware(creds, region, service),))``.

A client middleware sees the ``ClientRequest`` after aiohttp built it (Host, Content-Length,
Content-Type set, the body a payload) and before it is written: that is what gets signed,
and its URL is replaced by the canonical encoding that was signed. The session's other
middlewares and aiohttp's redirects pass through it again, so every hop to the same origin
is signed for its own URL; an answer redirecting to another origin raises
``RedirectRefused`` before aiohttp can follow it (nothing is sent there).

Needs the ``aiohttp`` extra: ``pip install 'sigv4kit[aiohttp]'``.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator
from datetime import datetime
from typing import IO

from aiohttp import ClientRequest, ClientResponse, payload
from aiohttp.client_middlewares import ClientHandlerType
from yarl import URL

from ..aws.clock_skew import MAX_ERROR_BODY
from ..errors import SigningError
from ..options import SigningOptions
from ..streaming import ChunkedUpload
from ._async_stream import AsyncFeed, frames_in_thread, frames_of
from ._common import (
    HASH_CHUNK,
    CredentialSource,
    RedirectRefused,
    RequestSigner,
    SigningAdapter,
    canonical_url,
    check_redirect,
    header_changes,
    host_of,
    seekable_file,
    stream_header_changes,
)

__all__ = ["CredentialSource", "RedirectRefused", "SigV4Middleware"]


class SigV4Middleware(SigningAdapter):
    """Sign every request of an ``aiohttp.ClientSession`` (or one call's ``middlewares=``).

    Same arguments as ``sigv4kit.integrations.requests.SigV4Auth``: credentials or a
    provider (asked before every request), Region (or SigV4a region set), service, the core's
    signing options (S3's by default for S3), ``unsigned_streams``, ``hash_seekable``,
    ``streaming`` and ``correct_clock_skew``. A seekable file is hashed in a worker thread,
    so the event loop is not blocked by the first pass. With ``streaming=True`` a file or
    async iterator body is sent aws-chunked, each chunk signed as it is sent (a file read in a
    worker thread).
    """

    async def __call__(self, request: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        await self._sign(request)
        response = await handler(request)
        try:
            check_redirect(str(request.url), response.status, response.headers.get("Location"),
                           response)
        except RedirectRefused:
            response.release()
            raise
        host, date = host_of(str(request.url)), response.headers.get("Date")
        if not self._skew.worth_reading(host, response.status, date):
            self._skew.after_response(host, response.status, date, lambda: "")
            return response
        text = await _error_text(response)
        if not self._skew.after_response(host, response.status, date, lambda: text):
            return response
        if not _resendable(request.body):
            return response
        try:
            await self._sign(request)
        except SigningError:
            return response
        response.release()
        return await handler(request)

    async def _sign(self, request: ClientRequest) -> None:
        signer = self._signer
        given = str(request.url)
        url = canonical_url(given, normalize=signer.normalize_path)
        if url != given:  # a URL is parsed again only when the canonical one differs
            request.url = URL(url, encoded=True)
        sent = list(request.headers.items())
        timestamp = self._skew.signing_time(host_of(url))
        body = request.body
        if signer.streaming and not isinstance(body, bytes | payload.BytesPayload):
            upload = await _install_chunked(request, signer, url, sent, body, timestamp)
            remove, add = stream_header_changes(sent, upload)
        else:
            data, extra = await self._body(request)
            signed = signer.sign(request.method, url, sent, data, timestamp=timestamp,
                                 extra=extra)
            remove, add = header_changes(sent, signed)
        for name in remove:  # a CIMultiDict: any case of the name, looked up in C
            request.headers.popall(name, None)
        for name, value in add:
            request.headers[name] = value
        if signer.streaming and isinstance(request.body, _FramedPayload):
            # aiohttp frames with HTTP chunking when ``chunked`` is set at all (None: not)
            request.chunked = True if "Transfer-Encoding" in request.headers else None

    async def _body(self, request: ClientRequest) -> tuple[bytes, SigningOptions | None]:
        body = request.body
        if isinstance(body, bytes):  # aiohttp's "no body"
            return body, None
        if isinstance(body, payload.BytesPayload):  # bytes, str, JSON, urlencoded form
            return await body.as_bytes(), None
        file = _file_of(body)
        if file is not None and self._signer.hash_seekable:
            return b"", await asyncio.to_thread(self._signer.payload_for_stream, file)
        return b"", self._signer.payload_for_stream(file)


class _FramedPayload(payload.AsyncIterablePayload):
    """The aws-chunked body in place of the payload it frames (closed with it, as aiohttp
    closes a request's body once sent)."""

    def __init__(self, frames: AsyncIterator[bytes], source: payload.Payload,
                 size: int | None) -> None:
        super().__init__(frames, content_type=source.content_type)
        self._source = source
        self._size = size

    async def close(self) -> None:
        await super().close()
        await self._source.close()


async def _install_chunked(
    request: ClientRequest, signer: RequestSigner, url: str, sent: list[tuple[str, str]],
    body: payload.Payload, timestamp: datetime | None,
) -> ChunkedUpload:
    """Sign ``body`` (a file or async iterator payload) as aws-chunked and make the framed
    body the request's. The file payload is not closed by the swap (``update_body`` would
    close it before it is read): it closes with the framed one."""
    file = body._value if isinstance(body, payload.IOBasePayload) else None
    if file is not None:
        upload = signer.sign_stream(request.method, url, sent, file, timestamp=timestamp)
        frames = frames_in_thread(upload.body)
    elif isinstance(body, payload.AsyncIterablePayload):
        feed = AsyncFeed()
        upload = signer.sign_stream(request.method, url, sent, feed, timestamp=timestamp)
        frames = frames_of(upload.body, feed, body._value, signer.chunk_size)
    else:
        raise SigningError(
            f"body: a {type(body).__name__} cannot be sent aws-chunked (streaming=True); "
            "give a file, an async iterator of bytes, or bytes", field="body")
    framed = _FramedPayload(frames, body, upload.body.length)
    for name in ("Content-Length", "Transfer-Encoding"):
        request.headers.pop(name, None)
    request.chunked = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # the file is closed with ``framed``
        request.update_body_from_data(framed)
    return upload


def _file_of(body: payload.Payload) -> IO[bytes] | None:
    """The seekable binary file of a file payload of known size (aiohttp keeps the file as
    the payload's value), else None: async iterators and multipart are streams."""
    if not isinstance(body, payload.IOBasePayload) or body.size is None:
        return None
    return seekable_file(body._value)


def _resendable(body: payload.Payload | bytes) -> bool:
    """In memory, or a seekable file (aiohttp >= 3.12 rewinds a file payload itself)."""
    return isinstance(body, bytes | payload.BytesPayload) or _file_of(body) is not None


async def _error_text(response: ClientResponse) -> str:
    """At most ``MAX_ERROR_BODY`` bytes of the error body, whatever its framing (it stays
    readable for the caller; a longer body of no declared length is cut there, kept as the
    response's body, and its connection closed rather than read to the end)."""
    length = response.headers.get("Content-Length")
    if length is not None and (not length.isdigit() or int(length) > MAX_ERROR_BODY):
        return ""
    if length is not None:
        return (await response.read())[:MAX_ERROR_BODY].decode("utf-8", "replace")
    parts: list[bytes] = []
    size = 0
    while size <= MAX_ERROR_BODY and (piece := await response.content.read(HASH_CHUNK)):
        parts.append(piece)
        size += len(piece)
    data = b"".join(parts)[:MAX_ERROR_BODY]
    if size > MAX_ERROR_BODY and response.connection is not None:
        response.connection.close()  # not ``response.close()``: the cut body stays readable
    response._body = data  # what ``read()`` returns: the caller still sees the error body
    return data.decode("utf-8", "replace")
