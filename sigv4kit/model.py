"""The values the signing core takes and returns: credentials, requests and signing results.

All are frozen: the core never changes a caller's request, it returns a new one. None of their
reprs shows a secret key, a session token or a signature.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from .errors import SigningError
from .patterns import lazy
from .redact import redact_header_value, redact_url, redacted

# RFC 9110 section 5.6.2: a header name (and a method) is a token of these characters.
HTTP_TOKEN = lazy(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_COMMON_METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"})
"""Valid tokens, so the regex check can be skipped for them."""

HeadersLike = Mapping[str, str] | Iterable[tuple[str, str]]

_T = TypeVar("_T")


def trusted(cls: type[_T], given: dict[str, object] | None = None, /, **fields: object) -> _T:
    """A frozen dataclass built from values the package produced and checked, without the
    generated ``__init__`` (an ``object.__setattr__`` call per field): the one fast constructor
    of the result values. Every field must be given (a test checks each call site); the
    keyword dictionary becomes the instance's, uncopied. ``given``, a dict literal of the
    fields instead of keywords, costs half as much for many fields (the call builds a keyword
    dictionary one key at a time, growing it as it goes; a literal is built at its size)."""
    self = object.__new__(cls)
    object.__setattr__(self, "__dict__", fields if given is None else given)
    return self


def _forbidden_in_value(text: str) -> bool:
    """Whether ``text`` holds CR, LF or NUL: three C-speed scans, several times faster than
    a regex character class over a long value (a presigned URL, a session token)."""
    return "\n" in text or "\r" in text or "\0" in text


def _utf8(text: str, field: str) -> bytes:
    """``text`` as UTF-8; a lone surrogate (what a non-UTF-8 byte in the environment or on
    standard input decodes to) is a SigningError that never quotes the value."""
    if text.isascii():
        return text.encode("ascii")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise SigningError(
            f"{field}: is not valid Unicode (a lone surrogate, as a non-UTF-8 byte read from "
            "the environment or a file becomes)",
            field=field,
        ) from None


@dataclass(frozen=True, repr=False)
class Credentials:
    """An AWS access key, with the session token of temporary credentials.

    ``expiration`` (aware datetime) is informational: the debugger warns when a presigned URL
    outlives the credentials that signed it.
    """

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None
    expiration: datetime | None = None

    def __post_init__(self) -> None:
        akid = self.access_key_id
        if not isinstance(akid, str) or not akid:
            raise SigningError("access_key_id: must be a non-empty string", field="access_key_id")
        if "/" in akid or not akid.isascii() or not akid.isprintable() or " " in akid:
            raise SigningError(
                "access_key_id: must be printable ASCII without spaces or '/' (it goes into the "
                "credential scope)",
                field="access_key_id",
            )
        if not isinstance(self.secret_access_key, str) or not self.secret_access_key:
            raise SigningError(
                "secret_access_key: must be a non-empty string", field="secret_access_key"
            )
        token = self.session_token
        if token is not None and (
            not isinstance(token, str) or not token or _forbidden_in_value(token)
        ):
            raise SigningError(
                "session_token: must be a non-empty string without CR, LF or NUL",
                field="session_token",
            )
        _utf8(self.secret_access_key, "secret_access_key")
        if token is not None:
            _utf8(token, "session_token")

    def __repr__(self) -> str:
        token = None if self.session_token is None else redacted(self.session_token)
        return (
            f"Credentials(access_key_id={self.access_key_id!r}, secret_access_key='***', "
            f"session_token={token!r})"
        )


def _header_pairs(headers: HeadersLike) -> tuple[tuple[str, str], ...]:
    if type(headers) is list or type(headers) is tuple:  # the usual types: no ABC check
        items: Iterable[tuple[str, str]] = headers
    elif isinstance(headers, Mapping):
        items = headers.items()
    elif isinstance(headers, Iterable) and not isinstance(headers, str | bytes):
        items = headers
    else:
        raise SigningError(
            "headers: must be a mapping or a sequence of (name, value) pairs", field="headers"
        )
    try:
        pairs = tuple([(n, v) for n, v in items])
    except (TypeError, ValueError):
        raise SigningError(
            "headers: every item must be a (name, value) pair", field="headers"
        ) from None
    for name, value in pairs:
        if not isinstance(name, str) or not HTTP_TOKEN.fullmatch(name):
            raise SigningError(
                f"headers: {name!r} is not a valid header name (an HTTP token: ASCII letters, "
                "digits and !#$%&'*+-.^_`|~)",
                field="headers",
            )
        if not isinstance(value, str):
            raise SigningError(f"headers: value of {name!r} must be a string", field="headers")
        if _forbidden_in_value(value):
            raise SigningError(
                f"headers: value of {name!r} contains CR, LF or NUL", field="headers"
            )
    return pairs


@dataclass(frozen=True, repr=False)
class Request:
    """An HTTP request as it will be sent.

    ``url`` is absolute (``https://host/path?query``) or a request target (``/path?query``,
    then a Host header is needed) and is kept verbatim: no re-quoting, so what is signed is
    what is sent. ``headers`` keeps order and duplicates. A ``str`` body is UTF-8 encoded.
    """

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = field(default=())
    body: bytes = b""

    def __init__(
        self,
        method: str,
        url: str,
        headers: HeadersLike = (),
        body: bytes | bytearray | memoryview | str = b"",
    ) -> None:
        if not isinstance(method, str) or (
            method not in _COMMON_METHODS and not HTTP_TOKEN.fullmatch(method)
        ):
            raise SigningError(f"method: {method!r} is not a valid HTTP method", field="method")
        if not isinstance(url, str) or not url:
            raise SigningError("url: must be a non-empty string", field="url")
        if _forbidden_in_value(url):
            raise SigningError("url: contains CR, LF or NUL", field="url")
        if isinstance(body, str):
            body = _utf8(body, "body")
        elif not isinstance(body, bytes):
            if not isinstance(body, bytearray | memoryview):
                raise SigningError("body: must be bytes or str", field="body")
            body = bytes(body)
        # Frozen: fields are set through __dict__, as the dataclass __init__ would (but faster).
        self.__dict__.update(method=method, url=url, headers=_header_pairs(headers), body=body)


    def header(self, name: str) -> str | None:
        """The values of header ``name`` (any case) joined with ``,``, or None when absent."""
        lname = name.lower()
        values = [v for n, v in self.headers if n.lower() == lname]
        return ",".join(values) if values else None

    def __repr__(self) -> str:
        headers = [(n, redact_header_value(n, v)) for n, v in self.headers]
        return (
            f"Request(method={self.method!r}, url={redact_url(self.url)!r}, headers={headers!r}, "
            f"body=<{len(self.body)} bytes>)"
        )


@dataclass(frozen=True, repr=False)
class SignedRequest:
    """The result of header signing: the new request and the artefacts that produced it.

    ``added_headers`` are the headers signing set, in the order they are in ``request``
    (X-Amz-Date, X-Amz-Region-Set, X-Amz-Security-Token, X-Amz-Content-SHA256, Authorization):
    the "signing instructions" an HTTP adapter applies to the request it sends, replacing any
    header of the same name.
    """

    request: Request
    canonical_request: str
    string_to_sign: str
    signature: str
    algorithm: str
    credential_scope: str
    signed_headers: str
    timestamp: str
    added_headers: tuple[tuple[str, str], ...] = ()


    @property
    def authorization(self) -> str:
        """The Authorization header value that was added."""
        return self.request.header("authorization") or ""

    def __repr__(self) -> str:
        return (
            f"SignedRequest(request={self.request!r}, algorithm={self.algorithm!r}, "
            f"credential_scope={self.credential_scope!r}, "
            f"signed_headers={self.signed_headers!r}, signature='***')"
        )


@dataclass(frozen=True, repr=False)
class PresignedRequest:
    """The result of query signing.

    ``url`` carries the signature; ``headers`` are the signed headers other than Host that the
    eventual sender must send with exactly these values.
    """

    url: str
    method: str
    headers: tuple[tuple[str, str], ...]
    canonical_request: str
    string_to_sign: str
    signature: str
    algorithm: str
    credential_scope: str
    signed_headers: str
    timestamp: str
    expires: int


    def __repr__(self) -> str:
        return (
            f"PresignedRequest(url={redact_url(self.url)!r}, method={self.method!r}, "
            f"credential_scope={self.credential_scope!r}, "
            f"signed_headers={self.signed_headers!r}, expires={self.expires})"
        )
