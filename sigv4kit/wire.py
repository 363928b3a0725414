"""Untrusted input (a raw HTTP/1.1 request, a pasted URL) turned into a ``sigv4kit.Request``.

The debugger and the verifier read requests that somebody else produced: a capture from a proxy,
a URL copied out of a log, a fuzzer's output. Everything here is therefore bounded (total size,
header count, header length, query length) and every problem, whatever the bytes, surfaces as
one exception type, ``MalformedInputError``, whose message names what is wrong. Nothing is
re-encoded or normalised beyond what HTTP itself defines (RFC 9112: line endings, obs-fold), so
the bytes a signature covers stay the bytes we verify.
"""

from __future__ import annotations

import base64
import binascii
import re

from .errors import SigningError
from .model import HTTP_TOKEN, HeadersLike, Request
from .redact import excerpt
from .url import SplitUrl, host_header_value, split_url

MAX_INPUT_BYTES = 1024 * 1024
"""Largest raw request (head and body together) accepted: a debugger input, not an upload."""
MAX_HEADERS = 100
"""Most header fields a request may carry; AWS front ends refuse far fewer than attackers send."""
MAX_HEADER_LINE = 16 * 1024
"""Longest header field (name, colon and value, after unfolding)."""
MAX_QUERY = 64 * 1024
"""Longest query string; presigned URLs with a session token stay well under 8 KiB."""

_VERSION = re.compile(r"HTTP/[0-9]\.[0-9]")
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_SCHEMES = ("http", "https")
EKS_TOKEN_PREFIX = "k8s-aws-v1."
"""An EKS bearer token: this prefix, then base64url (no padding) of a presigned STS
GetCallerIdentity URL that signs the ``x-k8s-aws-id`` header (the cluster's name)."""
_SCHEMELESS_TOKEN = re.compile(r"[A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?/\?.*", re.DOTALL)
"""An RDS IAM auth token (``host:port/?Action=connect&DBUser=…&X-Amz-…``) or an Aurora DSQL
one (``host/?Action=DbConnect…``): a presigned https URL with its ``https://`` cut off."""


def token_url(url: str) -> str:
    """The presigned URL an auth token stands for: an EKS token decoded, an RDS or DSQL token
    given back its ``https://``; any other text unchanged. Tokens are signed for https (the
    scheme is not signed, but a default port would be dropped from the Host)."""
    if url.startswith(EKS_TOKEN_PREFIX):
        encoded = url[len(EKS_TOKEN_PREFIX) :]
        try:
            if not encoded.isascii():
                raise ValueError
            padded = encoded + "=" * (-len(encoded) % 4)
            decoded = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise MalformedInputError(
                f"url: an EKS token ({EKS_TOKEN_PREFIX}…) must be followed by base64url of a "
                "presigned STS GetCallerIdentity URL",
                field="url",
            ) from None
        if not decoded.startswith("https://"):
            raise MalformedInputError(
                f"url: the URL inside this EKS token ({EKS_TOKEN_PREFIX}…) is not an https URL",
                field="url",
            )
        return decoded
    if "://" not in url:
        from .tokens import decode_token  # the MSK and Bedrock forms

        inside = decode_token(url)
        if inside is not None:
            return inside
    if "://" not in url and _SCHEMELESS_TOKEN.fullmatch(url):
        return f"https://{url}"
    return url


class MalformedInputError(SigningError):
    """Input that is not a well-formed, reasonably sized HTTP request or URL.

    ``reason`` is a short machine-readable code (``"malformed"`` here; the verifier reuses the
    type for its own codes such as ``"unsupported_algorithm"``) so callers can branch without
    parsing the message. The message never quotes a header value, which may be a credential.
    """

    def __init__(
        self, message: str, *, field: str | None = None, reason: str = "malformed"
    ) -> None:
        super().__init__(message, field=field)
        self.reason = reason


def check_limits(headers: tuple[tuple[str, str], ...], query: str) -> None:
    """Raise ``MalformedInputError`` when ``headers`` or ``query`` exceed the module's limits.

    Shared with the verifier, which must apply the same bounds to a ``Request`` built by hand.
    """
    if len(headers) > MAX_HEADERS:
        raise MalformedInputError(
            f"headers: {len(headers)} header fields, more than the limit of {MAX_HEADERS}",
            field="headers",
        )
    for name, value in headers:
        if len(name) + len(value) + 1 > MAX_HEADER_LINE:
            raise MalformedInputError(
                f"headers: the {_safe_name(name)} header is longer than the limit of "
                f"{MAX_HEADER_LINE} bytes",
                field="headers",
            )
    if len(query) > MAX_QUERY:
        raise MalformedInputError(
            f"url: the query string is {len(query)} characters, more than the limit of {MAX_QUERY}",
            field="url",
        )


def _safe_name(name: str) -> str:
    """A header name fit for an error message: quoted when it is a token, elided otherwise."""
    return repr(name[:64]) if HTTP_TOKEN.fullmatch(name) else "(invalid name)"


def _request(
    method: str, url: str, headers: HeadersLike, body: bytes | bytearray | memoryview | str
) -> Request:
    try:
        return Request(method, url, headers, body)
    except SigningError as exc:
        raise MalformedInputError(str(exc), field=exc.field) from None


def parse_url(
    url: str,
    method: str = "GET",
    headers: HeadersLike = (),
    body: bytes | bytearray | memoryview | str = b"",
) -> tuple[Request, SplitUrl]:
    """``parse_url_request`` plus the split URL, so the verifier need not split it again."""
    if not isinstance(url, str):
        raise MalformedInputError("url: must be a string", field="url")
    url = url.strip(" \t\r\n")
    if len(url) > MAX_INPUT_BYTES:
        raise MalformedInputError(
            f"url: {len(url)} characters, more than the limit of {MAX_INPUT_BYTES}", field="url"
        )
    try:
        if not url.isascii():
            url.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedInputError(
            "url: is not valid Unicode (lone surrogate)", field="url"
        ) from None
    url = token_url(url)
    request = _request(method, url, headers, body)
    try:
        parts = split_url(url)
    except SigningError as exc:
        raise MalformedInputError(str(exc), field="url") from None
    check_limits(request.headers, parts.query)
    if not parts.host and request.header("host") is None:
        raise MalformedInputError(
            "url: must be absolute (https://host/path?query), or give a Host header",
            field="url",
        )
    return request, parts


def parse_url_request(
    url: str,
    method: str = "GET",
    headers: HeadersLike = (),
    body: bytes | bytearray | memoryview | str = b"",
) -> Request:
    """A request for ``url`` as pasted (surrounding whitespace dropped, nothing re-encoded).

    Meant for presigned URLs: ``headers`` are the ones the URL's user will send alongside it
    (those listed in X-Amz-SignedHeaders besides host). Auth tokens are read as they are
    issued (``token_url``): an RDS or Aurora DSQL token (``host:port/?Action=connect&…``, no
    scheme) and an EKS token (``k8s-aws-v1.…``; give its cluster as the header
    ``x-k8s-aws-id``).
    """
    return parse_url(url, method, headers, body)[0]


def _decode_head(head: bytes) -> str:
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedInputError(
            f"request: the request line or headers are not valid UTF-8 (byte {exc.start})",
            field="request",
        ) from None


def _header_fields(lines: list[str]) -> list[tuple[str, str]]:
    """Header field lines to (name, value) pairs, obs-fold continuations joined with one space
    (RFC 9112 section 5.2), optional whitespace around values trimmed."""
    headers: list[tuple[str, str]] = []
    for line in lines:
        if len(line) > MAX_HEADER_LINE:
            raise MalformedInputError(
                f"headers: a header line is longer than the limit of {MAX_HEADER_LINE} bytes",
                field="headers",
            )
        if line[:1] in (" ", "\t"):
            if not headers:
                raise MalformedInputError(
                    "headers: the first header line starts with whitespace (a continuation "
                    "of nothing)",
                    field="headers",
                )
            name, value = headers[-1]
            more = line.strip(" \t")
            value = f"{value} {more}" if value else more
            if len(name) + len(value) + 1 > MAX_HEADER_LINE:
                raise MalformedInputError(
                    f"headers: the {_safe_name(name)} header is longer than the limit of "
                    f"{MAX_HEADER_LINE} bytes once unfolded",
                    field="headers",
                )
            headers[-1] = (name, value)
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise MalformedInputError(
                f"headers: line {len(headers) + 2} has no ':' (expected 'Name: value')",
                field="headers",
            )
        if not HTTP_TOKEN.fullmatch(name):
            raise MalformedInputError(
                f"headers: {_safe_name(name)} is not a valid header name (no whitespace "
                "before ':', ASCII token characters only)",
                field="headers",
            )
        headers.append((name, value.strip(" \t")))
        if len(headers) > MAX_HEADERS:
            raise MalformedInputError(
                f"headers: more than the limit of {MAX_HEADERS} header fields", field="headers"
            )
    return headers


def _only(headers: list[tuple[str, str]], lname: str) -> str | None:
    values = [v for n, v in headers if n.lower() == lname]
    if len(values) > 1:
        raise MalformedInputError(
            f"headers: {len(values)} {lname.title()} headers; a request carries at most one "
            "(RFC 9112)",
            field="headers",
        )
    return values[0] if values else None


_CHUNK_LINE = 4096
"""Longest chunk-size line (size and extensions) of an HTTP chunked body."""
_MAX_TRAILER_FIELDS = 32


def _te_problem(what: str) -> MalformedInputError:
    return MalformedInputError(f"body: Transfer-Encoding: chunked body: {what}", field="body")


_SIZE, _DATA, _DATA_END, _TRAILER, _END = range(5)


class ChunkedBodyReader:
    """An HTTP ``Transfer-Encoding: chunked`` body (RFC 9112 section 7.1) decoded as it is
    read (sans-I/O): ``feed`` framed bytes in any pieces, get the body's bytes out; ``finish``
    once the input ends. Chunk extensions and trailer fields are dropped and what follows the
    end is ignored (it would be the next request). Bounded: lines of at most 4 KiB, at most 32
    trailer fields, nothing held but one line; CRLF or bare LF line ends, as the head allows.
    Every problem is a ``MalformedInputError`` naming its byte offset."""

    def __init__(self) -> None:
        self._state = _SIZE
        self._line = bytearray()
        self._need = 0
        self._chunk_start = 0
        self._cr = False
        self._trailers = 0
        self.offset = 0
        """Framed bytes consumed so far."""

    @property
    def done(self) -> bool:
        """True once the last chunk and the trailer section have been read."""
        return self._state == _END

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        """The body bytes in ``data`` (its framing removed)."""
        view = memoryview(data).cast("B")
        out: list[bytes] = []
        pos = 0
        while pos < len(view) and self._state != _END:
            if self._state == _DATA:
                piece = view[pos : pos + self._need]
                out.append(bytes(piece))
                self._need -= len(piece)
                pos += len(piece)
                self.offset += len(piece)
                if not self._need:
                    self._state = _DATA_END
            elif self._state == _DATA_END:
                pos = self._data_end(view, pos)
            else:
                pos = self._take_line(view, pos)
        return out

    def finish(self) -> None:
        """Raise when the input ended before the last chunk and its trailer section."""
        if self._state == _DATA:
            raise _te_problem(
                f"a chunk of {self._chunk_size} bytes at byte {self._chunk_start} runs past "
                "the end"
            )
        if self._state != _END:
            raise _te_problem(f"ends at byte {self.offset} before the last chunk")

    def _data_end(self, view: memoryview, pos: int) -> int:
        byte = view[pos]
        if byte == 0x0A:  # LF, after an optional CR
            self._cr = False
            self._state = _SIZE
        elif byte == 0x0D and not self._cr:
            self._cr = True
        else:
            at = self.offset - (1 if self._cr else 0)
            raise _te_problem(f"the chunk data ending at byte {at} is not followed by CRLF")
        self.offset += 1
        return pos + 1

    def _take_line(self, view: memoryview, pos: int) -> int:
        room = _CHUNK_LINE + 2 - len(self._line)
        window = bytes(view[pos : pos + room])
        end = window.find(b"\n")
        if end < 0:
            if len(window) >= room:
                raise _te_problem(
                    f"a line at byte {self.offset - len(self._line)} is longer than "
                    f"{_CHUNK_LINE} bytes"
                )
            self._line += window
            self.offset += len(window)
            return pos + len(window)
        line = (bytes(self._line) + window[:end]).removesuffix(b"\r")
        self._line.clear()
        self.offset += end + 1
        if self._state == _SIZE:
            self._size_line(line)
        elif not line:
            self._state = _END
        else:
            self._trailers += 1
            if self._trailers > _MAX_TRAILER_FIELDS:
                raise _te_problem(f"more than {_MAX_TRAILER_FIELDS} trailer fields")
        return pos + end + 1

    def _size_line(self, line: bytes) -> None:
        size_text = line.partition(b";")[0].strip(b" \t")
        if not size_text or len(size_text) > 16 or size_text.strip(b"0123456789abcdefABCDEF"):
            raise _te_problem(f"the chunk size at byte {self.offset - len(line) - 1} is not hex")
        self._chunk_size = self._need = int(size_text, 16)
        self._chunk_start = self.offset
        self._state = _DATA if self._need else _TRAILER

    _chunk_size = 0


def decode_http_chunked(data: bytes | memoryview) -> bytes:
    """The body of an HTTP ``Transfer-Encoding: chunked`` message held whole (see
    ``ChunkedBodyReader``, which this is)."""
    reader = ChunkedBodyReader()
    out = reader.feed(data)
    reader.finish()
    return b"".join(out)


def _is_chunked(headers: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> bool:
    """Whether the body is sent with ``Transfer-Encoding: chunked``; MalformedInputError for
    framings that are not read (another transfer coding, or chunked with Content-Length)."""
    te = _only(list(headers), "transfer-encoding")
    if te is None or te.strip().lower() == "identity":
        return False
    if te.strip().lower() != "chunked":
        raise MalformedInputError(
            "headers: only Transfer-Encoding: chunked bodies are supported; give the "
            "decoded body with a Content-Length header instead",
            field="headers",
        )
    if _only(list(headers), "content-length") is not None:
        raise MalformedInputError(
            "headers: both Transfer-Encoding and Content-Length (RFC 9112 section 6.3: "
            "ambiguous framing, a request-smuggling risk)",
            field="headers",
        )
    return True


def _content_length(headers: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> int | None:
    """The one Content-Length, a whole number of bytes, or None when there is none."""
    length = _only(list(headers), "content-length")
    if length is None:
        return None
    length = length.strip()
    if not (length.isascii() and length.isdigit()) or len(length) > 10:
        raise MalformedInputError(
            "headers: Content-Length is not a whole number of bytes", field="headers"
        )
    return int(length)


def _body(headers: list[tuple[str, str]], rest: bytes) -> bytes:
    """The message body: exactly Content-Length bytes when that header is there (what follows
    would be the next request), the decoded chunks of a ``Transfer-Encoding: chunked`` body
    (as SDKs send aws-chunked uploads), everything after the blank line otherwise."""
    if _is_chunked(headers):
        return decode_http_chunked(rest)
    size = _content_length(headers)
    if size is None:
        return rest
    if size > len(rest):
        raise MalformedInputError(
            f"body: Content-Length says {size} bytes but only {len(rest)} follow the headers",
            field="body",
        )
    return rest[:size]


def _target_url(target: str, scheme: str, headers: list[tuple[str, str]]) -> str:
    """The absolute URL for a request target: absolute-form as is (its host must agree with any
    Host header), origin-form joined to the Host header (RFC 9112 section 3.2)."""
    host = _only(headers, "host")
    if target.startswith("/"):
        if host is None:
            raise MalformedInputError(
                "headers: a request target in origin form (/path) needs a Host header",
                field="headers",
            )
        try:
            host_header_value(scheme, host)
        except SigningError:
            raise MalformedInputError(
                "headers: the Host header is not a valid host[:port]", field="headers"
            ) from None
        return f"{scheme}://{host}{target}"
    if "://" not in target:
        raise MalformedInputError(
            "request line: the target must be a path (/path?query) or an absolute URL "
            "(asterisk and authority forms are not signed requests)",
            field="request line",
        )
    try:
        parts = split_url(target)
        if host is not None and host_header_value(parts.scheme, host) != parts.host:
            raise MalformedInputError(
                f"headers: the Host header conflicts with the request target's host "
                f"{excerpt(parts.host)}",
                field="headers",
            )
    except MalformedInputError:
        raise
    except SigningError as exc:
        raise MalformedInputError(str(exc), field="url") from None
    return target


def parse_raw_request(data: bytes | str, *, scheme: str = "https") -> Request:
    """Parse HTTP/1.1 request text: request line, header fields, a blank line, the body.

    CRLF and bare LF line endings are both accepted (captures and pasted text differ), as are
    leading blank lines (RFC 9112 section 2.2). ``scheme`` completes origin-form targets, which
    carry no scheme; it is never signed, only used to drop a default port from the host.
    """
    return _parse_raw(data, scheme, with_body=True)[0]


def parse_raw_head(data: bytes, *, scheme: str = "https") -> tuple[Request, bytes]:
    """The head of a raw request too long to hold (``data`` is its first bytes, at most
    ``MAX_INPUT_BYTES``): the Request without a body, and the bytes after the blank line, where
    the body starts; the caller streams the rest, through ``body_reader(request)`` when that is
    not None (a ``Transfer-Encoding: chunked`` body, as SDKs send uploads over 1 MiB). A head
    that does not end within ``data`` is refused, as are framings ``parse_raw_request``
    refuses."""
    request, rest = _parse_raw(data, scheme, with_body=False)
    if not _is_chunked(request.headers):
        _content_length(request.headers)
    return request, rest


def body_reader(head: Request) -> ChunkedBodyReader | None:
    """The decoder a streamed body of ``head`` (from ``parse_raw_head``) goes through: a
    ``ChunkedBodyReader`` for ``Transfer-Encoding: chunked``, None when the body is sent as is."""
    return ChunkedBodyReader() if _is_chunked(head.headers) else None


def _parse_raw(data: bytes | str, scheme: str, *, with_body: bool) -> tuple[Request, bytes]:
    if scheme not in _SCHEMES:
        raise SigningError(
            f"scheme: must be 'http' or 'https', got {excerpt(str(scheme))}", field="scheme"
        )
    if isinstance(data, str):
        try:
            data = data.encode("utf-8")
        except UnicodeEncodeError:
            raise MalformedInputError(
                "request: is not valid Unicode (lone surrogate)", field="request"
            ) from None
    elif isinstance(data, bytearray | memoryview):
        data = bytes(data)
    elif not isinstance(data, bytes):
        raise MalformedInputError("request: must be bytes or str", field="request")
    if len(data) > MAX_INPUT_BYTES:
        raise MalformedInputError(
            f"request: {len(data)} bytes, more than the limit of {MAX_INPUT_BYTES}",
            field="request",
        )
    data = data.lstrip(b"\r\n")
    end = _HEAD_END.search(data)
    if end is None and not with_body:
        raise MalformedInputError(
            f"request: the head does not end within the first {len(data)} bytes",
            field="request",
        )
    head, rest = (data[: end.start()], data[end.end() :]) if end else (data, b"")
    lines = [line.removesuffix("\r") for line in _decode_head(head).split("\n")]
    if lines and not lines[-1]:
        lines.pop()
    if not lines:
        raise MalformedInputError("request: is empty", field="request")
    method, _, rest_of_line = lines[0].partition(" ")
    target, _, version = rest_of_line.rpartition(" ")
    if not _VERSION.fullmatch(version) or not target.strip(" "):
        raise MalformedInputError(
            "request line: must be 'METHOD target HTTP/1.1'", field="request line"
        )
    headers = _header_fields(lines[1:])
    body = _body(headers, rest) if with_body else b""
    url = _target_url(target.strip(" "), scheme, headers)
    request = _request(method, url, headers, body)
    try:
        query = split_url(url).query
    except SigningError as exc:
        raise MalformedInputError(str(exc), field="url") from None
    check_limits(request.headers, query)
    return request, rest
