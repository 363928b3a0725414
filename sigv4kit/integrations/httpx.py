"""SigV4 for ``httpx``, sync and async: ``httpx.Client(auth=SigV4Auth(creds, region, service))``.

httpx hands an ``Auth`` the request it is about to send, Host header and body included; the
URL is rewritten to the canonical encoding that was signed. The request body is never read
by httpx for us (``requires_request_body`` stays False): bytes, form and JSON bodies are in
memory already, and a streamed one (file, iterator, async iterator) is signed without being
read (see ``RequestSigner.payload_for_stream``).

Needs the ``httpx`` extra: ``pip install 'sigv4kit[httpx]'``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterable, Iterator
from datetime import datetime
from typing import IO, cast

import httpx

from ..aws.clock_skew import MAX_ERROR_BODY
from ..errors import SigningError
from ..options import SigningOptions
from ..streaming import Payload
from ._async_stream import AsyncFeed, frames_in_thread, frames_of
from ._common import (
    CredentialSource,
    SigningAdapter,
    canonical_url,
    header_changes,
    host_of,
    seekable_file,
    stream_header_changes,
)

__all__ = ["CredentialSource", "SigV4Auth"]


class SigV4Auth(SigningAdapter, httpx.Auth):
    """Sign every request an ``httpx.Client`` or ``httpx.AsyncClient`` sends.

    Same arguments as ``sigv4kit.integrations.requests.SigV4Auth``: credentials or a
    provider (asked before every request), Region (or SigV4a region set), service, the core's
    signing options (S3's by default for S3), ``unsigned_streams``, ``hash_seekable``,
    ``streaming`` (with ``trailer``, ``chunk_size``) and ``correct_clock_skew``. With
    ``streaming=True`` a file, iterator or async iterator body is sent aws-chunked, each chunk
    signed as httpx sends it (a sync file given to the async client is read in a thread).
    """

    requires_request_body = False
    requires_response_body = False

    def _sign(self, request: httpx.Request, *, is_async: bool = False) -> None:
        signer = self._signer
        given = str(request.url)
        url = canonical_url(given, normalize=signer.normalize_path)
        if url != given:  # parsing a URL is most of httpx's share: only a changed one
            request.url = httpx.URL(url)
            url = str(request.url)  # as httpx sends it: it removes '.' and '..' segments itself
        sent = request.headers.multi_items()
        timestamp = self._skew.signing_time(host_of(url))
        if signer.streaming and not isinstance(request.stream, httpx.ByteStream):
            remove, add = self._sign_stream(request, url, sent, timestamp, is_async)
        else:
            body, extra = self._body(request)
            signed = signer.sign(request.method, url, sent, body, timestamp=timestamp,
                                 extra=extra)
            remove, add = header_changes(sent, signed)
        for name in remove.intersection(dict(sent)):  # multi_items' names are lower-case
            del request.headers[name]
        for name, value in add:
            request.headers[name] = value

    def _sign_stream(
        self, request: httpx.Request, url: str, sent: list[tuple[str, str]],
        timestamp: datetime | None, is_async: bool,
    ) -> tuple[frozenset[str], tuple[tuple[str, str], ...]]:
        """aws-chunked: the request's stream is replaced by the framed body, read from the
        file or (async) iterator as httpx sends it."""
        stream = request.stream
        file = _seekable_body(request)
        if isinstance(stream, httpx.AsyncByteStream) and file is None:
            feed = AsyncFeed()
            upload = self._signer.sign_stream(request.method, url, sent, feed,
                                              timestamp=timestamp)
            framed = frames_of(upload.body, feed, stream, self._signer.chunk_size)
            request.stream = _AsyncFramed(framed)
        else:
            source: Payload = file if file is not None else cast(Iterable[bytes], stream)
            upload = self._signer.sign_stream(request.method, url, sent, source,
                                              timestamp=timestamp)
            request.stream = (_AsyncFramed(frames_in_thread(upload.body)) if is_async
                              else _SyncFramed(upload.body))
        return stream_header_changes(sent, upload)

    def _body(self, request: httpx.Request) -> tuple[bytes, SigningOptions | None]:
        if isinstance(request.stream, httpx.ByteStream):
            return request.content, None
        return b"", self._signer.payload_for_stream(_seekable_body(request))

    def _retry(self, request: httpx.Request, response: httpx.Response, text: str, *,
               is_async: bool = False) -> bool:
        """Whether to send ``request`` again, re-signed with the server's time."""
        asked = self._skew.after_response(host_of(str(request.url)), response.status_code,
                                          response.headers.get("Date"), lambda: text)
        if not asked or not _rewind(request):
            return False
        try:
            self._sign(request, is_async=is_async)
        except SigningError:
            return False
        return True

    def _may_be_skew(self, request: httpx.Request, response: httpx.Response) -> bool:
        """Whether the error body is worth reading: a clock error from a host whose Date
        disagrees with the clock we sign by, of bounded size."""
        if not self._skew.worth_reading(host_of(str(request.url)), response.status_code,
                                        response.headers.get("Date")):
            return False
        length = response.headers.get("Content-Length")
        return length is None or (length.isdigit() and int(length) <= MAX_ERROR_BODY)

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        self._sign(request)
        start = _start_of(request)
        response = yield request
        text = response.read()[:MAX_ERROR_BODY].decode("utf-8", "replace") \
            if self._may_be_skew(request, response) else ""
        _seek(request, start)
        if self._retry(request, response, text):
            yield request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        self._sign(request, is_async=True)
        start = _start_of(request)
        response = yield request
        raw = await response.aread() if self._may_be_skew(request, response) else b""
        _seek(request, start)
        if self._retry(request, response, raw[:MAX_ERROR_BODY].decode("utf-8", "replace"),
                       is_async=True):
            yield request


class _SyncFramed(httpx.SyncByteStream):
    """An aws-chunked body for httpx's client."""

    def __init__(self, frames: Iterable[bytes]) -> None:
        self._frames = frames

    def __iter__(self) -> Iterator[bytes]:
        yield from self._frames


class _AsyncFramed(httpx.AsyncByteStream):
    """An aws-chunked body for httpx's async client."""

    def __init__(self, frames: AsyncIterator[bytes]) -> None:
        self._frames = frames

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for frame in self._frames:
            yield frame


def _seekable_body(request: httpx.Request) -> IO[bytes] | None:
    """The file behind a file body: httpx keeps what it was given as the stream's ``_stream``
    (``IteratorByteStream``); a seekable file of known length (Content-Length set) is one
    that may be hashed first or sent again."""
    if request.headers.get("Content-Length") is None:
        return None
    return seekable_file(getattr(request.stream, "_stream", None))


def _start_of(request: httpx.Request) -> int | None:
    file = None if isinstance(request.stream, httpx.ByteStream) else _seekable_body(request)
    return None if file is None else file.tell()


def _seek(request: httpx.Request, start: int | None) -> None:
    if start is not None:
        file = _seekable_body(request)
        if file is not None:
            file.seek(start)


def _rewind(request: httpx.Request) -> bool:
    """Whether the body can be sent again: in memory, or a seekable file (rewound by
    ``_seek`` already; httpx reads a file again, a generator never)."""
    return isinstance(request.stream, httpx.ByteStream) or _seekable_body(request) is not None
