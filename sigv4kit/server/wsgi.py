"""Verifying WSGI middleware (Flask, Django, any WSGI app): SigV4 and SigV4a, header-signed and
presigned, aws-chunked too.

::

    app.wsgi_app = SigV4Middleware(app.wsgi_app, lookup, protocol="rest-xml", service="s3")
    # in a view: request.environ["sigv4kit.verdict"]

The raw-URL trap: WSGI's ``PATH_INFO`` is percent-decoded, and ``request.full_path`` is
re-encoded by the framework, neither is what the client signed. The target is read from
``RAW_URI`` (gunicorn, werkzeug) or ``REQUEST_URI`` (waitress, werkzeug, mod_wsgi), as sent on
the request line. A server that sets neither gets ``SCRIPT_NAME + PATH_INFO`` re-encoded plus
``QUERY_STRING``: requests whose client encoded the path otherwise (``%2F``, ``+``, lower-case
escapes) are then refused although valid, never the reverse. WSGI also folds repeated headers
into one comma-joined value (the canonical form does the same) and cannot tell ``_`` from ``-``
in header names (servers drop such headers anyway).

The body contract is the ASGI middleware's (see ``sigv4kit.server.asgi``): a body without
``X-Amz-Content-SHA256`` is read (capped) and verified whole before the app runs; a hex payload
hash is checked as the app reads ``wsgi.input``, and its final read raises ``BodyRejected``
when the hash does not match (the app sees data before the verdict; ``buffered=True`` reads
and verifies the whole body first); aws-chunked bodies reach the app decoded, chunk by proven
chunk, with ``CONTENT_LENGTH`` set to the decoded length. When the body fails, the app's
answer is discarded and AWS's error is sent instead, provided the app read its body before it
returned its response (as Flask views do); a failure while the response is already being sent
propagates, and the server aborts the connection.

``Expect: 100-continue``: the middleware refuses a request whose head fails without reading
``wsgi.input`` (a body without ``X-Amz-Content-SHA256`` only once the date, form and key are
checked; its signature covers the body's hash). But WSGI gives the app no say over the
``100 Continue`` itself: waitress, gunicorn and werkzeug send it as soon as the head is parsed,
before the app is called, so a refused client may already be sending its body; the server
then reads and discards it (or closes the connection).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from types import TracebackType
from typing import Any
from urllib.parse import quote

from ..chunked import MAX_CHUNK_SIZE
from ..errors import Error
from ..model import Credentials, Request
from ..rules import DEFAULT_MAX_SKEW
from ..verify import VerifyResult
from ._gate import (
    DEFAULT_MAX_BODY,
    VERDICT_KEY,
    Body,
    BodyCheck,
    BodyTooLarge,
    before_whole_body,
    body_kind,
    checked,
    head_request,
    plan,
    refuse,
    settings,
    too_large,
    verify_head,
    verify_whole,
)
from .errors import ErrorResponse

__all__ = ["VERDICT_KEY", "BodyRejected", "SigV4Middleware", "raw_target"]

Environ = dict[str, Any]
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]
_READ = 64 * 1024


class BodyRejected(Error):
    """Raised from ``wsgi.input`` when the body the app read does not verify; ``verdict`` (or
    None for a body over ``max_body``) says why."""

    def __init__(self, message: str, verdict: VerifyResult | None) -> None:
        super().__init__(message)
        self.verdict = verdict


def _wsgi_text(value: str) -> str:
    """WSGI strings are bytes decoded as Latin-1 (PEP 3333): back to the UTF-8 received."""
    return value.encode("latin-1").decode("utf-8", "surrogateescape")


def raw_target(environ: Environ) -> str:
    """The request target as received: RAW_URI, REQUEST_URI, else re-encoded (see above)."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        target = _wsgi_text(raw)
        if target.startswith(("http://", "https://")):  # absolute-form request line
            rest = target.split("//", 1)[1]
            target = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
        return target
    path = _wsgi_text(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))
    target = quote(path, safe="/!$&'()*+,;=:@~") or "/"
    query = environ.get("QUERY_STRING", "")
    return target + ("?" + query if query else "")


def _headers(environ: Environ) -> list[tuple[str, str]]:
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers.append((key[5:].replace("_", "-").lower(), value))
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            headers.append((key.replace("_", "-").lower(), value))
    return headers


def _content_length(environ: Environ) -> int | None:
    text = (environ.get("CONTENT_LENGTH") or "").strip()
    return int(text) if text.isdigit() else None


def _may_have_body(environ: Environ) -> bool:
    return bool(_content_length(environ)) or bool(environ.get("wsgi.input_terminated")) or (
        "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    )


def _answer(start_response: StartResponse, answer: ErrorResponse,
            exc_info: ExcInfo | None = None) -> list[bytes]:
    status = f"{answer.status} {_REASONS.get(answer.status, 'Error')}"
    if exc_info is None:
        start_response(status, list(answer.headers))
    else:
        start_response(status, list(answer.headers), exc_info)
    return [answer.body]


_REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
            413: "Request Entity Too Large"}


class _Framed:
    """The framed body as the server gives it: at most CONTENT_LENGTH bytes, read in pieces."""

    def __init__(self, environ: Environ) -> None:
        self._input = environ["wsgi.input"]
        self._left = _content_length(environ)

    def read(self) -> bytes:
        if self._left is not None and self._left <= 0:
            return b""
        size = _READ if self._left is None else min(_READ, self._left)
        data: bytes = self._input.read(size)
        if self._left is not None:
            self._left -= len(data)
            if not data:
                self._left = 0
        return data


class _CheckedInput(io.RawIOBase):
    """``wsgi.input`` for the app: verified bytes out, ``BodyRejected`` on a failed body."""

    def __init__(self, framed: _Framed, check: BodyCheck, environ: Environ) -> None:
        super().__init__()
        self._framed = framed
        self._check = check
        self._environ = environ
        self._buffer = bytearray()
        self._eof = False
        self.failure: BodyRejected | None = None

    def readable(self) -> bool:
        return True

    def _fill(self) -> None:
        """Pull framed bytes until some verified output is ready or the body ended."""
        while not self._buffer and not self._eof:
            data = self._framed.read()
            try:
                if data:
                    out = self._check.feed(data)
                    if self._check.failed is not None:
                        self._fail(self._check.failed)
                    self._buffer += b"".join(out)
                    continue
            except BodyTooLarge as exc:
                self.failure = BodyRejected(str(exc), None)
                raise self.failure from None
            final = self._check.finish()
            if not final.valid:
                self._fail(final)
            self._environ[VERDICT_KEY] = final
            self._eof = True

    def _fail(self, verdict: VerifyResult) -> None:
        self.failure = BodyRejected(f"body: refused ({verdict.reason})", verdict)
        raise self.failure

    def readinto(self, buffer: Any) -> int:
        if self.failure is not None:
            raise self.failure
        self._fill()
        n = min(len(buffer), len(self._buffer))
        buffer[:n] = self._buffer[:n]
        del self._buffer[:n]
        return n


class SigV4Middleware:
    """``SigV4Middleware(app, lookup, *, protocol="rest-xml", service=None, region=None,
    max_skew=timedelta(minutes=15), max_body=64 MiB, buffered=False, explain=False)``: the
    options of ``sigv4kit.server.asgi.SigV4Middleware``; ``lookup`` is synchronous here."""

    def __init__(
        self,
        app: WSGIApp,
        lookup: Callable[[str], Credentials | None],
        *,
        protocol: str = "rest-xml",
        service: str | Iterable[str] | None = None,
        region: str | Iterable[str] | None = None,
        max_skew: timedelta = DEFAULT_MAX_SKEW,
        max_body: int = DEFAULT_MAX_BODY,
        buffered: bool = False,
        explain: bool = False,
        max_chunk_size: int = MAX_CHUNK_SIZE,
    ) -> None:
        self.app = app
        self.lookup = lookup
        self.settings = settings(
            protocol, service, region, max_skew, max_body, buffered, explain, max_chunk_size
        )

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        opts = self.settings
        head = head_request(
            environ.get("REQUEST_METHOD", "GET"), environ.get("wsgi.url_scheme", "http"),
            environ.get("HTTP_HOST") or environ.get("SERVER_NAME", ""), raw_target(environ),
            _headers(environ),
        )
        if isinstance(head, VerifyResult):
            return _answer(start_response, refuse(head, opts))
        planned = plan(head, opts)
        if isinstance(planned, VerifyResult):
            return _answer(start_response, refuse(planned, opts))
        creds = checked(self.lookup(planned.access_key_id))
        kind = body_kind(head, planned, _may_have_body(environ))
        if kind is Body.WHOLE:
            early = before_whole_body(head, creds, opts)
            if early is not None:
                return _answer(start_response, refuse(early, opts))
            length = _content_length(environ)
            if length is not None and length > opts.max_body:
                return _answer(start_response, too_large(opts))
            body = _read_capped(_Framed(environ), opts.max_body)
            if body is None:
                return _answer(start_response, too_large(opts))
            verdict = verify_whole(Request(head.method, head.url, list(head.headers), body),
                                   creds, opts)
            if not verdict.valid:
                return _answer(start_response, refuse(verdict, opts))
            return self.app(_with(environ, verdict, io.BytesIO(body), len(body)), start_response)
        verdict = verify_head(head, creds, kind, opts)
        if not verdict.valid or creds is None:
            return _answer(start_response, refuse(verdict, opts))
        if kind is Body.EMPTY:
            environ[VERDICT_KEY] = verdict
            return self.app(environ, start_response)
        check = BodyCheck(verdict, head, creds, kind, opts)
        decoded = _decoded_length(head) if kind is Body.CHUNKED else _content_length(environ)
        if opts.buffered:
            return self._buffered(environ, start_response, check)
        checked_input = _CheckedInput(_Framed(environ), check, environ)
        stream = io.BufferedReader(checked_input, _READ)
        return self._streamed(_with(environ, verdict, stream, decoded), start_response,
                              checked_input)

    def _buffered(self, environ: Environ, start_response: StartResponse,
                  check: BodyCheck) -> Iterable[bytes]:
        opts = self.settings
        framed = _Framed(environ)
        parts: list[bytes] = []
        try:
            while check.failed is None:
                data = framed.read()
                if not data:
                    break
                parts += check.feed(data)
        except BodyTooLarge:
            return _answer(start_response, too_large(opts))
        final = check.failed or check.finish()
        if not final.valid:
            return _answer(start_response, refuse(final, opts))
        body = b"".join(parts)
        return self.app(_with(environ, final, io.BytesIO(body), len(body)), start_response)

    def _streamed(self, environ: Environ, start_response: StartResponse,
                  body: _CheckedInput) -> Iterable[bytes]:
        opts = self.settings
        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]],
                    exc_info: ExcInfo | None = None) -> Callable[[bytes], object]:
            captured[:] = [status, headers, exc_info]
            return lambda _data: None  # the legacy write(): unsupported, bodies come as iterable

        try:
            result = self.app(environ, capture)
        except BodyRejected:
            result = None
        if body.failure is not None:
            if result is not None and hasattr(result, "close"):
                result.close()
            verdict = body.failure.verdict
            return _answer(start_response,
                           too_large(opts) if verdict is None else refuse(verdict, opts))
        assert result is not None
        if captured:
            start_response(captured[0], captured[1], *([captured[2]] if captured[2] else []))
            return result
        return _late_start(result, start_response, captured)


def _late_start(result: Iterable[bytes], start_response: StartResponse,
                captured: list[Any]) -> Iterator[bytes]:
    """An app that calls start_response from inside its iterable (a generator view)."""
    try:
        for piece in result:
            if captured:
                start_response(captured[0], captured[1], *([captured[2]] if captured[2] else []))
                captured.clear()
            yield piece
        if captured:
            start_response(captured[0], captured[1], *([captured[2]] if captured[2] else []))
    finally:
        if hasattr(result, "close"):
            result.close()


def _read_capped(framed: _Framed, cap: int) -> bytes | None:
    parts: list[bytes] = []
    total = 0
    while True:
        data = framed.read()
        if not data:
            return b"".join(parts)
        total += len(data)
        if total > cap:
            return None
        parts.append(data)


def _decoded_length(head: Request) -> int | None:
    value = (head.header("x-amz-decoded-content-length") or "").strip()
    return int(value) if value.isdigit() else None


def _with(environ: Environ, verdict: VerifyResult, stream: Any, length: int | None) -> Environ:
    environ[VERDICT_KEY] = verdict
    environ["wsgi.input"] = stream
    if length is None:
        environ.pop("CONTENT_LENGTH", None)
        environ["wsgi.input_terminated"] = True
    else:
        environ["CONTENT_LENGTH"] = str(length)
    return environ
