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
from typing import IO, Any, cast

import httpx

from ..aws.clock_skew import MAX_ERROR_BODY
from ..errors import SigningError
from ..options import SigningOptions
from ..streaming import Payload
from ..url import split_url
from ._async_stream import AsyncFeed, frames_in_thread, frames_of
from ._common import (
    AUTH_REFUSED,
    CredentialSource,
    RedirectRefused,
    SigningAdapter,
    canonical_url,
    check_redirect,
    check_same_origin,
    error_text,
    header_changes,
    host_of,
    readable_coding,
    seekable_file,
    stream_header_changes,
)

__all__ = ["CredentialSource", "RedirectRefused", "SigV4Auth"]


class SigV4Auth(SigningAdapter, httpx.Auth):
    """Sign every request an ``httpx.Client`` or ``httpx.AsyncClient`` sends.

    Same arguments as ``sigv4kit.integrations.requests.SigV4Auth``: credentials or a
    provider (asked before every request), Region (or SigV4a region set), service, the core's
    signing options (S3's by default for S3), ``unsigned_streams``, ``hash_seekable``,
    ``streaming`` (with ``trailer``, ``chunk_size``) and ``correct_clock_skew``. With
    ``streaming=True`` a file, iterator or async iterator body is sent aws-chunked, each chunk
    signed as httpx sends it (a sync file given to the async client is read in a thread).

    Redirects: one to another origin raises ``RedirectRefused``, before anything is sent
    there when httpx follows it (``follow_redirects=True``), or on the 3xx answer itself
    when it does not. The "before" needs httpx's own transport (httpcore, which runs the
    ``trace`` extension): through a transport that ignores ``trace`` httpx sends the hop
    (Authorization dropped, X-Amz-* headers and a 307/308 body kept) and only its answer is
    refused, so give such a client ``follow_redirects=False``. One to the same origin httpx
    follows with the headers signed for the first URL; when the server refuses that signature
    the request is signed for its new URL and sent once more.
    """

    requires_request_body = False
    requires_response_body = False

    def _sign(self, request: httpx.Request, *, is_async: bool = False) -> None:
        signer = self._signer
        given = str(request.url)
        url = canonical_url(given, normalize=signer.normalize_path)
        target = None
        if url != given:  # parsing a URL is most of httpx's share: only a changed one
            request.url = httpx.URL(url)
            if str(request.url) != url:
                # httpx removed '.'/'..' segments S3 keeps (a key "a/../b", given as
                # "a/%2E%2E/b"): the target signed is sent verbatim, as httpcore's ``target``
                target = _target(url)
                request.extensions["target"] = target
        _guard(request, url, is_async, target)
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
            return request.read(), None  # in memory (a redirect's copy has it unread)
        return b"", self._signer.payload_for_stream(_seekable_body(request))

    def _retry(self, request: httpx.Request, response: httpx.Response, text: str, *,
               redirected: bool, is_async: bool = False) -> bool:
        """Whether to send ``request`` again, re-signed: a clock error (with the server's
        time), or a refusal of the stale signature httpx sent to a same-origin redirect."""
        asked = self._skew.after_response(host_of(str(request.url)), response.status_code,
                                          response.headers.get("Date"), lambda: text)
        stale = redirected and response.status_code in AUTH_REFUSED
        if not (asked or stale) or not _rewind(request):
            return False
        try:
            self._sign(request, is_async=is_async)
        except SigningError:
            return False
        return True

    def _may_be_skew(self, request: httpx.Request, response: httpx.Response) -> bool:
        """Whether the error body is worth reading: a clock error from a host whose Date
        disagrees with the clock we sign by, of bounded size (or of no declared size: then
        read up to the bound)."""
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
        sent = _answered(request, response)
        text = _error_text(response) if self._may_be_skew(sent, response) else ""
        _seek(request, start)
        if self._retry(sent, response, text, redirected=sent is not request):
            _answered(sent, (yield sent))

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        self._sign(request, is_async=True)
        start = _start_of(request)
        response = yield request
        sent = _answered(request, response)
        text = await _aerror_text(response) if self._may_be_skew(sent, response) else ""
        _seek(request, start)
        if self._retry(sent, response, text, redirected=sent is not request, is_async=True):
            _answered(sent, (yield sent))


class _Guard:
    """httpx follows a redirect inside ``Client.send``: an ``Auth`` sees neither the 3xx nor
    the request built for it, which carries the headers signed here and (307/308) the body.
    Only httpcore's ``trace`` extension, which that request inherits, runs before its head
    is written: there a request bound for another origin is refused (its connection is
    made, nothing is sent on it). A ``trace`` the caller set is still called."""

    def __init__(self, signed_url: str, previous: Any, extensions: dict[str, Any],
                 target: bytes | None) -> None:
        self.signed_url = signed_url
        self.previous = previous
        self.extensions = extensions
        self.target = target

    def check(self, name: str, info: dict[str, Any]) -> None:
        request = info.get("request")
        if name.endswith(".send_request_headers.started") and request is not None \
                and request.method != b"CONNECT":
            check_same_origin(self.signed_url, _wire_url(request))
            if self.target is not None and self.extensions.get("target") is self.target:
                # Applied to this request: a redirect httpx builds from it must not inherit it
                del self.extensions["target"]

    def __call__(self, name: str, info: dict[str, Any]) -> None:
        self.check(name, info)
        if self.previous is not None:
            self.previous(name, info)


class _AsyncGuard(_Guard):
    """``_Guard`` for the async client (httpcore awaits its trace)."""

    async def __call__(self, name: str, info: dict[str, Any]) -> None:  # type: ignore[override]
        self.check(name, info)
        if self.previous is not None:
            await self.previous(name, info)


def _guard(request: httpx.Request, url: str, is_async: bool, target: bytes | None) -> None:
    """Bind ``request`` (and every redirect httpx builds from it) to the origin of ``url``;
    the verbatim ``target``, when one is set, applies to ``request`` only."""
    extensions = request.extensions
    previous = extensions.get("trace")
    if isinstance(previous, _Guard):  # signed again: the caller's trace is kept, once
        previous = previous.previous
    extensions["trace"] = (_AsyncGuard if is_async else _Guard)(url, previous, extensions,
                                                                target)


def _target(url: str) -> bytes:
    """The request target (path and query) of an absolute canonical URL."""
    parts = split_url(url)
    return (parts.path + ("?" + parts.query if parts.query else "")).encode("ascii")


def _wire_url(request: Any) -> str:
    """Where httpcore sends ``request`` (an ``httpcore.Request``): its absolute-form target
    through a forward proxy, else its scheme, host and port."""
    target = bytes(request.url.target)
    if target.startswith((b"http://", b"https://")):
        return target.decode("ascii", "replace")
    host = request.url.host.decode("ascii", "replace")
    host = f"[{host}]" if ":" in host else host
    port = "" if request.url.port is None else f":{request.url.port}"
    return f"{request.url.scheme.decode('ascii', 'replace')}://{host}{port}/"


def _answered(signed: httpx.Request, response: httpx.Response) -> httpx.Request:
    """The request ``response`` answers (the last redirect's, when httpx followed some);
    a redirect it did not follow (``follow_redirects=False``) to another origin raises
    ``RedirectRefused``, as the other adapters do. So does a redirect httpx followed to
    another origin through a transport that never runs httpcore's ``trace`` (a
    ``MockTransport``, WSGI/ASGI or third-party transports), where ``_Guard`` cannot stop it:
    the hop was sent, but its answer is not handed back as this request's."""
    signed_url = str(signed.url)
    for hop in response.history[1:]:
        check_same_origin(signed_url, str(hop.request.url), response)
    sent = response.request
    if sent is not signed:
        check_same_origin(signed_url, str(sent.url), response)
    check_redirect(str(sent.url), response.status_code, response.headers.get("Location"),
                   response)
    return sent


def _kept(response: httpx.Response, raw: bytearray) -> str:
    """Decode what was read in bounded steps (``error_text``), keep it as the response's
    content (cut at ``MAX_ERROR_BODY``) and return it as text."""
    data = error_text(bytes(raw[:MAX_ERROR_BODY]),
                      response.headers.get("Content-Encoding"))
    response._content = data  # what ``read()`` returns: the caller still sees the error body
    return data.decode("utf-8", "replace")


def _error_text(response: httpx.Response) -> str:
    """At most ``MAX_ERROR_BODY`` bytes of the error body, whatever its framing, read raw
    (httpx would inflate a whole network read at once) and decoded in bounded steps."""
    if not readable_coding(response.headers.get("Content-Encoding")):
        return ""
    raw = bytearray()
    for piece in response.iter_raw():
        raw += piece
        if len(raw) > MAX_ERROR_BODY:
            response.close()  # not read to the end
            break
    return _kept(response, raw)


async def _aerror_text(response: httpx.Response) -> str:
    """``_error_text`` for the async client."""
    if not readable_coding(response.headers.get("Content-Encoding")):
        return ""
    raw = bytearray()
    async for piece in response.aiter_raw():
        raw += piece
        if len(raw) > MAX_ERROR_BODY:
            await response.aclose()
            break
    return _kept(response, raw)


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
