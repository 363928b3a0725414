"""Task 1 of SigV4: the canonical request.

https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-canonical-request

Each part has its own function so the debugger can rebuild and compare them one by one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from ._caches import cached
from .errors import SigningError
from .patterns import lazy

__all__ = [
    "UNSIGNED_HEADERS", "CanonicalRequest", "canonical_header_value", "canonical_headers",
    "canonical_query_pairs", "canonical_query_string", "canonical_request", "canonical_uri",
    "encoded_query", "remove_dot_segments", "uri_encode", "uri_encode_bytes",
]

UNSIGNED_HEADERS = frozenset(
    {
        # Hop-by-hop headers (RFC 9110 7.6.1) change between client and server.
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        # Rewritten by clients, proxies, tracers or load balancers on the way.
        "expect",
        "user-agent",
        "x-amzn-trace-id",
        "traceparent",  # W3C Trace Context
        "tracestate",
        "baggage",
        # The signature itself.
        "authorization",
    }
)
"""Headers never signed, whatever the request carries; botocore's list plus Authorization."""

_ESCAPE = lazy(r"(%[0-9A-Fa-f]{2})")
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch
_UNRESERVED_OR_SLASH = re.compile(r"[A-Za-z0-9_.~/-]*").fullmatch
_UNRESERVED_QUERY = re.compile(r"[A-Za-z0-9_.~=&-]*").fullmatch
"""Text these match is its own encoding; most names, values and paths signed are such text,
and one regex match costs a fraction of ``quote``."""


def uri_encode(value: str, *, keep_slash: bool = False) -> str:
    """RFC 3986 percent-encoding of the UTF-8 bytes: everything but ``A-Za-z0-9-_.~``."""
    if (_UNRESERVED_OR_SLASH if keep_slash else _UNRESERVED)(value):
        return value
    table = _ESCAPES_KEEPING_SLASH if keep_slash else _ESCAPES
    try:
        return "".join([table[byte] for byte in value.encode("utf-8")])
    except UnicodeEncodeError:
        raise SigningError(
            f"url: {value!r} is not valid Unicode (lone surrogate)", field="url"
        ) from None


def _escape_table(keep: bytes) -> tuple[str, ...]:
    """Each byte's form in an encoded URI component: itself when unreserved (or in ``keep``),
    else ``%XX`` with upper-case hex (as AWS signs; ``urllib.parse.quote`` agrees, a test
    checks). Ours rather than urllib's, whose import costs a CLI run more than its use."""
    unreserved = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~" + keep
    return tuple(chr(b) if b in unreserved else f"%{b:02X}" for b in range(256))


_ESCAPES = _escape_table(b"")
_ESCAPES_KEEPING_SLASH = _escape_table(b"/")


def uri_encode_bytes(raw: bytes) -> str:
    """``uri_encode`` of bytes already decoded from an escaped component (``/`` encoded too)."""
    return "".join([_ESCAPES[byte] for byte in raw])


def remove_dot_segments(path: str) -> str:
    """Drop whole ``.`` and ``..`` segments and empty segments (repeated slashes).

    Matches botocore's ``normalize_url_path``: a trailing slash survives only when something is
    left; ``...`` or ``.a`` are ordinary names, and ``..`` above the root stays at the root.
    """
    if not path:
        return "/"
    out: list[str] = []
    for segment in path.split("/"):
        if not segment or segment == ".":
            continue
        if segment == "..":
            if out:
                out.pop()
        else:
            out.append(segment)
    first = "/" if path[0] == "/" else ""
    last = "/" if path[-1] == "/" and out else ""
    return first + "/".join(out) + last


def _encode_once(path: str) -> str:
    """S3's rule: the path is already encoded once. Valid ``%XX`` escapes are kept byte for
    byte (as botocore and aws-c-auth keep them); anything not allowed raw is encoded."""
    if "%" not in path:
        return uri_encode(path, keep_slash=True)
    pieces = _ESCAPE.split(path)
    return "".join(p if i % 2 else uri_encode(p, keep_slash=True) for i, p in enumerate(pieces))


def canonical_uri(
    path: str, *, normalize_path: bool = True, double_encode_path: bool = True
) -> str:
    """The CanonicalURI line.

    Non-S3 services encode the path *as sent* once more, so ``%2F`` becomes ``%252F`` and a raw
    space ``%20``; S3 encodes it once only.
    """
    if len(path) <= 256:
        return _short_canonical_uri(path, normalize_path, double_encode_path)
    return _canonical_uri(path, normalize_path, double_encode_path)


def _canonical_uri(path: str, normalize_path: bool, double_encode_path: bool) -> str:
    if not path:
        path = "/"
    # Without "//" or "/." an absolute path has no empty, "." or ".." segment to remove.
    if normalize_path and (path[0] != "/" or "//" in path or "/." in path):
        path = remove_dot_segments(path)
    if double_encode_path:
        return uri_encode(path, keep_slash=True)
    return _encode_once(path)


_short_canonical_uri = cached(
    256, name="_short_canonical_uri", keys="(path ≤ 256 chars, options)",
    reason="an API's few paths are canonicalised once",
)(_canonical_uri)
"""Short paths (an API's ``/``, a bucket's keys) are canonicalised once, as their URLs are
split once."""


def _reencode(component: str) -> str:
    if "%" in component:
        from urllib.parse import unquote_to_bytes  # only a query holding escapes needs it

        return uri_encode_bytes(unquote_to_bytes(component))
    return uri_encode(component)


def canonical_query_pairs(query: str) -> list[tuple[str, str]]:
    """Query pairs decoded then RFC 3986 encoded, in sent order.

    ``+`` is a literal plus (``%2B``), not a space: AWS never reads it as one. A bare key
    ``k`` means ``k=``. Empty ``&&`` pieces carry nothing and are dropped.
    """
    # Unreserved characters and separators only: every piece is already canonical, unless a
    # value holds a second "=" (which is encoded as %3D).
    canonical = _UNRESERVED_QUERY(query) is not None
    pairs = []
    for piece in query.split("&"):
        if piece:
            key, _, value = piece.partition("=")
            if canonical and "=" not in value:
                pairs.append((key, value))
            else:
                pairs.append((_reencode(key), _reencode(value)))
    return pairs


def canonical_query_string(pairs: Iterable[tuple[str, str]]) -> str:
    """The CanonicalQueryString line from already encoded pairs: sorted by key, then value,
    every repeated key kept."""
    return "&".join([f"{k}={v}" for k, v in sorted(pairs)])


def encoded_query(pairs: Iterable[tuple[str, str]]) -> tuple[str, list[tuple[str, str]]]:
    """The query string of unencoded ``pairs`` in the order given, and the pairs with each name
    and value RFC 3986 encoded (``uri_encode``): what the query carries, and already its
    canonical form."""
    pairs = list(pairs)
    query = "&".join([f"{k}={v}" for k, v in pairs])
    # Usually nothing needs encoding: one match over the joined query says so, and the count
    # of separators shows a name or value that holds "=" or "&" itself (which must be encoded).
    if (
        _UNRESERVED_QUERY(query)
        and query.count("=") == len(pairs)
        and query.count("&") == len(pairs) - 1
    ):
        return query, pairs
    encoded = [(uri_encode(k), uri_encode(v)) for k, v in pairs]
    return "&".join([f"{k}={v}" for k, v in encoded]), encoded


def canonical_header_value(value: str) -> str:
    """Trimmed, with runs of whitespace collapsed to one space (as botocore does)."""
    if len(value) > 256:
        return _canonical_long_value(value)
    return " ".join(value.split())


@cached(16, keys="header value > 256 chars", reason="a session token, the same every request")
def _canonical_long_value(value: str) -> str:
    # Long values are session tokens, the same in every request a credential signs.
    return " ".join(value.split())


def canonical_headers(headers: Iterable[tuple[str, str]]) -> tuple[str, str]:
    """The CanonicalHeaders block (each line ending in LF) and the SignedHeaders line.

    Names are lower-cased and sorted; repeated headers are joined with ``,`` in the order sent.
    """
    grouped: dict[str, str] = {}
    for name, value in headers:
        lname = name.lower()
        value = canonical_header_value(value)
        if lname in grouped:
            grouped[lname] += "," + value
        else:
            grouped[lname] = value
    names = sorted(grouped)
    block = "".join([f"{n}:{grouped[n]}\n" for n in names])
    return block, ";".join(names)


class CanonicalRequest(NamedTuple):
    """Task 1's result, built once: the six parts of the canonical request and its ``text``
    (joined when the value is made), which task 2 hashes and the debug output shows.

    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html#create-canonical-request

    Header signing, query presigning and the verifier each make one (``sigv4kit.signing``,
    ``sigv4kit.verify``); the fast paths precompute some of its parts (a base URL's host block
    and path, a presigned URL's X-Amz-* parameters, a client's header block), never the text by
    another rule. Immutable; a ``NamedTuple`` rather than a frozen dataclass because it is
    made on every signature, and building and reading a tuple costs a fraction of a
    dataclass's ``__dict__`` (measured: 12k instructions of a 108k presign). The query and
    header block may hold a session token: the repr shows neither.
    """

    method: str
    uri: str
    query: str
    headers: str
    """The CanonicalHeaders block, each line ending in LF."""
    signed_headers: str
    payload_hash: str
    text: str

    @staticmethod
    def of(
        method: str,
        uri: str,
        query: str,
        headers: str,
        signed_headers: str,
        payload_hash: str,
    ) -> CanonicalRequest:
        """The value of these parts (``method`` as given: callers upper-case it); the blank line
        after the header block is the block's own final LF plus the separator."""
        text = f"{method}\n{uri}\n{query}\n{headers}\n{signed_headers}\n{payload_hash}"
        return _new_tuple(
            CanonicalRequest, (method, uri, query, headers, signed_headers, payload_hash, text)
        )

    def replace(
        self, *, uri: str | None = None, query: str | None = None, payload_hash: str | None = None
    ) -> CanonicalRequest:
        """The same request with other parts (the verifier tries the other rules with it)."""
        return CanonicalRequest.of(
            self.method, self.uri if uri is None else uri, self.query if query is None else query,
            self.headers, self.signed_headers,
            self.payload_hash if payload_hash is None else payload_hash,
        )

    def __repr__(self) -> str:
        return (
            f"CanonicalRequest(method={self.method!r}, uri={self.uri!r}, "
            f"signed_headers={self.signed_headers!r}, payload_hash={self.payload_hash!r})"
        )


_new_tuple = tuple.__new__
"""``CanonicalRequest``'s fields set in one C call (its generated ``__new__`` is a Python
function around this same call)."""


def canonical_request(
    method: str,
    uri: str,
    query: str,
    headers_block: str,
    signed_headers: str,
    payload_hash: str,
) -> str:
    """The text of the canonical request of these parts (``CanonicalRequest.of(...).text``)."""
    return CanonicalRequest.of(method, uri, query, headers_block, signed_headers, payload_hash).text
