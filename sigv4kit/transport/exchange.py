"""``Transport``: send one signed ``Request`` exactly as signed, bound to its host, within a
deadline, and read the answer in bounded pieces.

- The request goes to the URL it was signed for, verbatim (requests would re-quote it), with
  the signed headers; repeated names are sent joined with ``,``, which is how SigV4 signed
  them (https://www.rfc-editor.org/rfc/rfc9110#section-5.3).
- Redirects are never followed. One to another scheme, host or port raises
  ``RedirectRefused`` naming the Location; requests would resend the session token and the body
  there (it drops only Authorization). One to the same origin is returned as the answer.
- A total deadline covers connect, send and the whole response (see ``deadline``); per-read
  and connect timeouts apply inside it.
- The body is streamed: ``iter_body`` yields pieces of at most ``chunk`` bytes, decompressed in
  bounded steps, and stops with ``ResponseBodyError`` past ``max_body_bytes`` on the wire or
  ``max_decoded_bytes`` decoded.
"""

from __future__ import annotations

import http.client
import math
from collections.abc import Iterator
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3.exceptions

from ..errors import SigningError
from ..model import Request
from ..url import check_redirect
from .deadline import Deadline, DeadlineAdapter
from .decoding import ACCEPT_ENCODING, DecodingError, decoded
from .errors import (
    ConnectFailed,
    ConnectionLost,
    DeadlineExceeded,
    ReadTimedOut,
    ResponseBodyError,
    TransportError,
)

CHUNK = 64 * 1024
MAX_DECODED_BYTES = 64 * 1024 * 1024
"""Decompressed bytes one answer may yield unless the caller says otherwise: a 200 KB gzip
bomb must not become gigabytes, while a real compressed answer is far below this."""
MAX_TIMEOUT = 86400.0
"""A day: any timeout beyond it is a typo, and inf or nan would disable the bound."""


def check_timeout(value: object, field: str, *, zero_means_none: bool) -> float | None:
    """A timeout in seconds, checked: a finite number in (0, a day], or 0 for none where
    ``zero_means_none``. SigningError names ``field`` otherwise."""
    rule = "0 (none) or " if zero_means_none else ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SigningError(f"{field}: must be a number of seconds", field=field)
    seconds = float(value)
    if zero_means_none and seconds == 0:
        return None
    if not math.isfinite(seconds) or not 0 < seconds <= MAX_TIMEOUT:
        raise SigningError(
            f"{field}: must be {rule}a number of seconds above 0 and at most {MAX_TIMEOUT:g}, "
            f"got {value!r}",
            field=field,
        )
    return seconds


def _host(url: str) -> str:
    try:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
    except ValueError:
        return "the server"


def wire_headers(request: Request) -> dict[str, str]:
    """The signed headers as one value per name (repeats joined with ``,``, as signed),
    refused when http.client could not send them (it encodes values as Latin-1)."""
    merged: dict[str, str] = {}
    names: dict[str, str] = {}
    for name, value in request.headers:
        key = name.lower()
        if key in names:
            merged[names[key]] += "," + value
        else:
            names[key] = name
            merged[name] = value
    for name, value in merged.items():
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise SigningError(
                f"headers: the value of {name!r} has characters outside Latin-1, which HTTP/1.1 "
                "cannot carry in a header; percent-encode or RFC 2047-encode it before signing",
                field="headers",
            ) from None
    return merged


def _check_url(url: str) -> None:
    if not url.isascii() or any(c <= " " or c == "\x7f" for c in url):
        raise SigningError(
            "url: holds a space, a control or a non-ASCII character, which cannot be sent as is; "
            "percent-encode it before signing",
            field="url",
        )
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise SigningError("url: must be an absolute http:// or https:// URL", field="url")


def _inner(exc: BaseException) -> BaseException | None:
    reason = exc.args[0] if exc.args else None
    return getattr(reason, "reason", reason) if isinstance(reason, BaseException) else None


class Transport:
    """Sends signed requests through one ``requests.Session`` (connections are reused).

    ``connect_timeout`` and ``read_timeout`` are seconds (None: none) for one connect and
    between two reads; ``deadline`` (None: none) for the whole exchange, unless ``send`` is
    given its own. A ``session`` of the caller's is used as is; the deadline then cuts blocked
    reads only if its adapters are ``DeadlineAdapter`` (ours are), else it is checked between
    reads.
    """

    def __init__(
        self,
        *,
        connect_timeout: float | None = 10.0,
        read_timeout: float | None = 60.0,
        deadline: float | None = 300.0,
        max_body_bytes: int | None = None,
        max_decoded_bytes: int | None = MAX_DECODED_BYTES,
        accept_encoding: str = ACCEPT_ENCODING,
        session: requests.Session | None = None,
    ) -> None:
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.deadline = deadline
        self.max_body_bytes = max_body_bytes
        self.max_decoded_bytes = max_decoded_bytes
        self.accept_encoding = accept_encoding
        if session is None:
            session = requests.Session()
            adapter = DeadlineAdapter(pool_connections=4, pool_maxsize=32)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        self.session = session

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, request: Request, *, deadline: float | bool | None = True) -> Response:
        """Send ``request`` (absolute URL, as signed); return the answer, its body unread.

        ``deadline``: seconds for this exchange, None for none, True for the transport's.
        Close the response (or use it as a context manager) to end the exchange.
        """
        _check_url(request.url)
        headers = wire_headers(request)
        if not any(n.lower() == "accept-encoding" for n in headers):
            headers["Accept-Encoding"] = self.accept_encoding
        watch = Deadline(self.deadline if deadline is True else deadline or None)
        prepared = self.session.prepare_request(
            requests.Request(
                request.method, request.url, headers=headers, data=request.body or None,
                auth=_no_auth,  # any auth given stops requests adding .netrc credentials
            )
        )
        prepared.url = request.url  # verbatim: what was signed is what is sent
        # The session's own verify setting (a CA bundle, or False) wins over REQUESTS_CA_BUNDLE
        # and CURL_CA_BUNDLE, which requests would otherwise let override it.
        verify = None if self.session.verify is True else self.session.verify
        settings: Any = self.session.merge_environment_settings(prepared.url, {}, True, verify,
                                                                None)
        watch.__enter__()
        try:
            remaining = watch.remaining()
            connect = _least(self.connect_timeout, remaining)
            # The adapter itself, not Session.send: that one reads a redirect's whole body
            # (unbounded, decompressed) to release the connection, and follows redirects.
            adapter = self.session.get_adapter(request.url)
            timeout: Any = (connect, self.read_timeout)
            response = adapter.send(
                prepared, stream=True, timeout=timeout, verify=settings["verify"],
                cert=settings["cert"], proxies=settings["proxies"],
            )
            hooked: Any = requests.hooks.dispatch_hook(  # type: ignore[no-untyped-call]
                "response", prepared.hooks, response)
            response = hooked
        except BaseException as exc:
            watch.disarm()
            raise self._failure(exc, watch, request.url) from None
        answer = Response(response, watch, self, request.url)
        try:
            answer.refuse_foreign_redirect()
        except BaseException:
            answer.close()
            raise
        return answer

    def _failure(self, exc: BaseException, watch: Deadline, url: str) -> BaseException:
        host = _host(url)
        if not isinstance(exc, Exception):
            return exc  # KeyboardInterrupt and friends pass through
        if watch.passed():
            sent = not isinstance(exc, requests.exceptions.ConnectTimeout)
            return DeadlineExceeded(
                f"no complete answer from {host} within {watch.seconds:g} s", sent=sent
            )
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return ConnectFailed(f"connecting to {host} timed out")
        if isinstance(exc, requests.exceptions.ProxyError):
            return ConnectFailed(f"cannot reach {host} through the proxy")
        if isinstance(exc, requests.exceptions.ReadTimeout):
            return ReadTimedOut(f"{host} sent nothing for {self.read_timeout or 0:g} s")
        if isinstance(exc, requests.exceptions.SSLError):
            return ConnectionLost(f"TLS with {host} failed")
        if isinstance(exc, requests.exceptions.ConnectionError):
            if isinstance(_inner(exc), urllib3.exceptions.NewConnectionError):
                return ConnectFailed(f"cannot connect to {host}")
            return ConnectionLost(f"the connection to {host} broke before an answer")
        if isinstance(exc, TransportError | SigningError):
            return exc
        if isinstance(exc, requests.exceptions.RequestException | http.client.HTTPException
                      | OSError | ValueError):
            return TransportError(f"cannot send to {host}: {type(exc).__name__}")
        return exc


def _no_auth(r: Any) -> Any:
    return r


def _least(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    return a if b is None else min(a, b)


class Response:
    """An answer whose body has not been read yet; ``headers`` are as received."""

    def __init__(self, response: requests.Response, watch: Deadline, transport: Transport,
                 url: str) -> None:
        self._response = response
        self._watch = watch
        self._transport = transport
        self.url = url
        self.status = response.status_code
        self.reason = str(response.reason or "")
        raw = response.raw
        items = raw.headers.items() if raw is not None else response.headers.items()
        self.headers: tuple[tuple[str, str], ...] = tuple((str(k), str(v)) for k, v in items)
        self.received = 0
        self.closed = False

    def header(self, name: str) -> str | None:
        """The values of header ``name`` (any case) joined with ``,``, or None."""
        wanted = name.lower()
        values = [v for k, v in self.headers if k.lower() == wanted]
        return ", ".join(values) if values else None

    def __enter__(self) -> Response:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self, *, complete: bool = False) -> None:
        """End the exchange; a ``complete`` body leaves the connection reusable."""
        if not self.closed:
            self.closed = True
            self._watch.disarm()
            if complete and not self._watch.expired:
                self._response._content_consumed = True  # type: ignore[attr-defined]
                self._response.raw.release_conn()
            else:
                self._response.close()

    def refuse_foreign_redirect(self) -> None:
        """Raise ``RedirectRefused`` for a redirect off this request's origin (the core's
        ``check_redirect``: the rule the adapters apply too)."""
        check_redirect(self.url, self.status, self.header("location"))

    def _raw_pieces(self, chunk: int) -> Iterator[bytes]:
        raw: Any = self._response.raw
        read = getattr(raw, "read1", None) or raw.read
        limit = self._transport.max_body_bytes
        while True:
            data = read(chunk, decode_content=False)
            if not data:
                return
            self.received += len(data)
            if limit is not None and self.received > limit:
                raise self._body_error(f"response larger than {limit} bytes")
            if self._watch.passed():
                raise self._deadline()
            yield data

    def iter_body(self, chunk: int = CHUNK) -> Iterator[bytes]:
        """The body, decoded, in pieces of at most ``chunk`` bytes; the exchange ends when it
        is exhausted (or on any error, which is a ``TransportError``)."""
        declared = self.header("content-length")
        limit = self._transport.max_body_bytes
        if limit is not None and declared and declared.strip().isdigit() \
                and int(declared) > limit:
            self.close()
            raise self._body_error(f"response larger than {limit} bytes", int(declared))
        cap = self._transport.max_decoded_bytes
        encoding = self.header("content-encoding") or ""
        if encoding.strip().lower() in ("", "identity"):
            cap = None  # nothing to decompress: the wire limit is the limit
        produced = 0
        try:
            for piece in decoded(self._raw_pieces(chunk), encoding, chunk):
                produced += len(piece)
                if cap is not None and produced > cap:
                    raise self._body_error(f"response decompresses to more than {cap} bytes")
                yield piece
        except TransportError:
            self.close()
            raise
        except DecodingError as exc:
            self.close()
            raise self._body_error(f"response undecodable: {exc}") from None
        except Exception as exc:
            self.close()
            if self._watch.passed():
                raise self._deadline() from None
            if isinstance(exc, requests.exceptions.ReadTimeout | urllib3.exceptions.ReadTimeoutError
                          | TimeoutError):
                raise ReadTimedOut(
                    f"{_host(self.url)} sent nothing for "
                    f"{self._transport.read_timeout or 0:g} s mid-answer"
                ) from None
            raise self._body_error(f"response cut short ({type(exc).__name__})") from None
        self.close(complete=True)

    def read(self) -> bytes:
        """The whole body, within the limits (use ``iter_body`` to stream)."""
        return b"".join(self.iter_body())

    def _deadline(self) -> DeadlineExceeded:
        return DeadlineExceeded(
            f"no complete answer from {_host(self.url)} within {self._watch.seconds:g} s"
        )

    def _body_error(self, reason: str, size: int | None = None) -> ResponseBodyError:
        return ResponseBodyError(reason, status=self.status,
                                 received=self.received if size is None else size)
