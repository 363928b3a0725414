"""What every HTTP-library adapter does the same way: which credentials, which URL, which body
hash, which headers.

An adapter only translates between its library's request object and these functions:

- ``current_credentials``: a ``Credentials`` or a provider, asked before each signing;
- ``canonical_url``: the URL as it will be signed *and sent*, so no server reads another one;
- ``RequestSigner.payload_for_stream``: how a body that is not in memory is signed, and
  ``RequestSigner.sign_stream``: the same body sent aws-chunked (``streaming=True``);
- ``header_changes``: what signing removes and adds, taken from ``SignedRequest`` itself;
- ``check_redirect``: the origin rule every adapter applies to a redirect (defined once in
  ``sigv4kit.url``, with ``RedirectRefused`` in ``sigv4kit.errors``; re-exported here).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import IO, TypedDict, Unpack, cast
from urllib.parse import unquote_to_bytes

from .._caches import cached
from ..aws.clock_skew import MAX_ERROR_BODY, ClockSkew
from ..aws.credentials import (
    CredentialsError,
    CredentialSource,
    check_credential_source,
    current_credentials,
)
from ..canonical import remove_dot_segments, uri_encode_bytes
from ..decoding import DecodingError, codings, decoded
from ..errors import RedirectRefused, SigningError
from ..model import Credentials, Request, SignedRequest
from ..options import (
    UNSIGNED_PAYLOAD,
    Algorithm,
    RegionSet,
    SigningOptions,
    check_scope_name,
    is_s3,
    service_defaults,
)
from ..signing import sign_request
from ..streaming import ChunkedUpload, Payload, sign_chunked
from ..url import check_redirect, check_same_origin, origin, split_url

__all__ = [
    "AUTH_REFUSED", "AllOptions", "CredentialSource", "CredentialsError", "RedirectRefused",
    "RequestSigner", "canonical_url", "check_redirect", "check_same_origin", "current_credentials",
    "error_text", "header_changes", "host_of", "origin", "readable_coding", "seekable_file",
    "stream_header_changes",
]


def canonical_path(path: str, *, normalize: bool) -> str:
    """The path with each segment decoded once and RFC 3986 encoded, '/' kept as the
    separator (an encoded ``%2F`` stays encoded: it is part of a segment). A bare ``+`` is a
    plus (RFC 3986), sent as ``%2B``; ``%7E`` and ``~`` are the same character, sent as ``~``.

    What is sent is then the canonical form S3 signs (the path encoded once); services that
    double-encode sign this text encoded once more, as they compute it from the wire.
    """
    if not path:
        return "/"
    if normalize:
        path = remove_dot_segments(path)
    return "/".join([uri_encode_bytes(unquote_to_bytes(seg)) for seg in path.split("/")])


def canonical_query(query: str) -> str:
    """The query with each name and value decoded once and RFC 3986 encoded, in the order
    given. A bare ``+`` is a space, as requests and ``urlencode`` write one and as AWS reads
    one; a literal plus arrives as ``%2B`` and leaves as ``%2B``. A bare name stays bare
    (S3's ``?uploads``); empty pieces are dropped."""
    pieces = []
    for piece in query.split("&"):
        if not piece:
            continue
        name, eq, value = piece.partition("=")
        name = uri_encode_bytes(unquote_to_bytes(name.replace("+", " ")))
        if eq:
            name += "=" + uri_encode_bytes(unquote_to_bytes(value.replace("+", " ")))
        pieces.append(name)
    return "&".join(pieces)


def canonical_url(url: str, *, normalize: bool) -> str:
    """``url`` with path and query in canonical encoding (see ``canonical_path`` and
    ``canonical_query``); scheme and authority as given, the fragment (never sent) dropped."""
    if len(url) <= 256:
        return _short_canonical_url(url, normalize)
    return _canonical_url(url, normalize)


def _canonical_url(url: str, normalize: bool) -> str:
    url = url.partition("#")[0]
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise SigningError("url: must be absolute (scheme://host/path)", field="url")
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    authority, target = rest[:cut], rest[cut:]
    path, qmark, query = target.partition("?")
    out = f"{scheme}://{authority}{canonical_path(path, normalize=normalize)}"
    query = canonical_query(query) if qmark else ""
    return f"{out}?{query}" if query else out


_short_canonical_url = cached(
    256, name="_short_canonical_url", keys="(URL ≤ 256 chars, normalize)",
    reason="a client sends to few URLs",
)(_canonical_url)
"""A client sends to few URLs again and again (an API's endpoint, a bucket's keys): each short
one is rewritten once."""


def host_of(url: str) -> str:
    """The Host value of ``url`` (port kept unless the scheme's default): the key under which
    a server's clock offset is remembered."""
    return split_url(url).host


AUTH_REFUSED = frozenset({400, 401, 403})
"""The answers to a stale signature: a same-origin redirect the library followed with the
headers signed for the first URL is signed again for the new one and sent once more."""


def header_changes(
    sent: Sequence[tuple[str, str]], signed: SignedRequest
) -> tuple[frozenset[str], tuple[tuple[str, str], ...]]:
    """(lower-case names to remove, headers to add) that turn ``sent`` into what was signed:
    every header signing added (replacing any stale one of that name), and the ones the
    signer dropped without adding again (a stale session token after the credentials lost
    theirs). Taken from the ``SignedRequest``, so no list of names is kept here."""
    added = signed.added_headers
    names = _lower_names(tuple([name for name, _ in added]))
    if len(signed.request.headers) == len(sent) + len(added):
        # The signed headers are the ones sent that signing kept, then the added ones: with
        # every header sent kept, none is gone (the usual case: nothing stale to replace).
        return names, added
    kept = {name.lower() for name, _ in signed.request.headers}
    gone = {name.lower() for name, _ in sent} - kept
    return names | gone, added


@cached(64, keys="added header names", reason="the same few names every request")
def _lower_names(names: tuple[str, ...]) -> frozenset[str]:
    """The lower-case set of the added headers' names: the same few names every request
    (X-Amz-Date, X-Amz-Security-Token, Authorization …)."""
    return frozenset(name.lower() for name in names)


DEFAULT_CHUNK_SIZE = 65536
"""sign_chunked's default: S3's own SDKs send 64 KiB chunks."""

_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding"})
"""How the library framed the body it was given: an aws-chunked upload is framed anew."""


def stream_header_changes(
    sent: Sequence[tuple[str, str]], upload: ChunkedUpload
) -> tuple[frozenset[str], tuple[tuple[str, str], ...]]:
    """(names to remove, headers to add) that turn ``sent`` into the aws-chunked upload's
    headers: all of them, as signed, with Content-Length when the framed length is known and
    ``Transfer-Encoding: chunked`` otherwise."""
    add = upload.request.headers
    if upload.body.length is None:
        add = (*add, ("Transfer-Encoding", "chunked"))
    return frozenset({n.lower() for n, _ in sent} | {n.lower() for n, _ in add}), add


HASH_CHUNK = 1 << 16
"""Bytes read at a time when a seekable file is hashed before sending: memory stays bounded
whatever the file's size."""


def readable_coding(content_encoding: str | None) -> bool:
    """Whether an error body in this Content-Encoding can be decoded in bounded steps (none,
    gzip or deflate, at most two layers): any other is not read for the clock-skew check."""
    try:
        codings(content_encoding)
    except DecodingError:
        return False
    return True


def error_text(raw: bytes, content_encoding: str | None) -> bytes:
    """At most ``MAX_ERROR_BODY`` bytes of an error body, decoded from ``raw`` (at most that
    many bytes as read from the wire) in bounded steps (``sigv4kit.decoding``): a few KiB of
    stacked gzip never become gigabytes, as they did when the library decoded it for us. A
    body cut short or not in its coding gives what decoded before that."""
    out = bytearray()
    try:
        for piece in decoded((raw,), content_encoding, HASH_CHUNK):
            out += piece
            if len(out) >= MAX_ERROR_BODY:
                break
    except DecodingError:
        pass
    return bytes(out[:MAX_ERROR_BODY])


def hash_file(file: IO[bytes]) -> str:
    """SHA-256 of ``file`` from its position to the end, read in ``HASH_CHUNK`` pieces; the
    position is restored, so the library sends the file from where it was."""
    start = file.tell()
    digest = hashlib.sha256()
    try:
        while chunk := file.read(HASH_CHUNK):
            digest.update(chunk)
    finally:
        file.seek(start)
    return digest.hexdigest()


def seekable_file(value: object) -> IO[bytes] | None:
    """``value`` if it is a binary file that can be rewound (``seekable()`` says so)."""
    if not (callable(getattr(value, "read", None)) and callable(getattr(value, "seek", None))):
        return None
    try:
        if not value.seekable():  # type: ignore[attr-defined]
            return None
        value.tell()  # type: ignore[attr-defined]
    except (OSError, ValueError, AttributeError):
        return None
    return cast(IO[bytes], value)


class AdapterOptions(TypedDict, total=False):
    """The adapters' own options, beside the core's ``SigningOptions``."""

    algorithm: Algorithm
    unsigned_streams: bool
    """Sign a streamed body as UNSIGNED-PAYLOAD. Default: True for S3, False elsewhere."""
    hash_seekable: bool
    """Hash a seekable file body in a first bounded-memory pass instead, then send it."""
    streaming: bool
    """Send a streamed body aws-chunked, a signature per chunk (``sigv4kit.streaming``)."""
    trailer: str | None
    """With ``streaming``: a checksum (``crc32``, ``crc32c``, ``sha256`` …) sent as a signed
    trailer after the last chunk."""
    chunk_size: int
    """With ``streaming``: bytes of payload per signed chunk (S3: at least 8 KiB)."""


class AllOptions(AdapterOptions, SigningOptions, total=False):
    """What an adapter's constructor takes as keywords (beside ``correct_clock_skew``)."""


_STREAM_CHOICES = ("unsigned_streams", "hash_seekable")


class RequestSigner:
    """The settings of one adapter, resolved once: scope, options (S3's by default for S3
    services), and how streamed bodies are signed."""

    def __init__(
        self,
        credentials: CredentialSource,
        region: RegionSet,
        service: str,
        *,
        algorithm: Algorithm = "sigv4",
        unsigned_streams: bool | None = None,
        hash_seekable: bool = False,
        streaming: bool = False,
        trailer: str | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        **options: Unpack[SigningOptions],
    ) -> None:
        check_credential_source(credentials)
        check_scope_name("service", "service", service)
        self.credentials = credentials
        self.region = region
        self.service = service
        self.algorithm: Algorithm = algorithm
        s3 = is_s3(service)
        self.options: SigningOptions = {**service_defaults(service, presign=False), **options}
        self.unsigned_streams = s3 if unsigned_streams is None else bool(unsigned_streams)
        self.hash_seekable = bool(hash_seekable)
        self.streaming = bool(streaming)
        self.trailer = trailer
        self.chunk_size = chunk_size
        # Signed once with a fixed time: bad options or scope fail here, not on first use.
        sign_request(Request("GET", "https://example.com/"),
                     Credentials("AKIDEXAMPLE", "x"), region=region, service=service,
                     timestamp="20150830T123600Z", algorithm=algorithm, **self.options)
        self._check_streaming(unsigned_streams, trailer, chunk_size)

    def _check_streaming(self, unsigned: bool | None, trailer: str | None,
                         chunk_size: int) -> None:
        """One way to sign a streamed body: aws-chunked excludes the other two, and its own
        options mean nothing without it. An aws-chunked upload is signed once here with a
        fixed time, so a bad trailer or chunk size fails at construction."""
        if not self.streaming:
            for name, given in (("trailer", trailer is not None),
                                ("chunk_size", chunk_size != DEFAULT_CHUNK_SIZE)):
                if given:
                    raise SigningError(f"{name}: applies to aws-chunked uploads only; "
                                       "add streaming=True", field=name)
            return
        for name, given in zip(_STREAM_CHOICES, (unsigned is True, self.hash_seekable),
                               strict=True):
            if given:
                raise SigningError(
                    f"{name}: and streaming=True are two ways to sign a streamed body; "
                    "choose one", field=name)
        sign_chunked(Request("PUT", "https://example.com/"), Credentials("AKIDEXAMPLE", "x"),
                     region=self.region, service=self.service, payload=b"",
                     chunk_size=chunk_size, trailer=trailer, timestamp="20150830T123600Z",
                     algorithm=self.algorithm, **self.options)

    def sign_stream(
        self,
        method: str,
        url: str,
        headers: Sequence[tuple[str, str]],
        payload: Payload,
        *,
        timestamp: datetime | None = None,
    ) -> ChunkedUpload:
        """Sign a streamed body as aws-chunked (``streaming=True``); the library's framing
        headers are replaced by the upload's (see ``stream_header_changes``). The length the
        library found (its Content-Length) is the decoded length S3 needs, unless the caller
        set X-Amz-Decoded-Content-Length; without either (a generator) it is sent unsized,
        except to S3, which refuses that: then SigningError names the header, before anything
        is sent."""
        creds = current_credentials(self.credentials)
        kept = [(n, v) for n, v in headers if n.lower() not in _FRAMING_HEADERS]
        length = next((v for n, v in headers if n.lower() == "content-length"), None)
        declared = any(n.lower() == "x-amz-decoded-content-length" for n, _ in kept)
        if length is not None and not declared:
            kept.append(("X-Amz-Decoded-Content-Length", length))
        elif length is None and not declared and is_s3(self.service):
            raise SigningError(
                "X-Amz-Decoded-Content-Length: S3 refuses an aws-chunked upload without it, "
                "and this body (a generator or iterator) has no known length: add the header "
                "with the body's length in bytes, or give a file or bytes",
                field="X-Amz-Decoded-Content-Length",
            )
        return sign_chunked(
            Request(method, url, kept), creds, region=self.region, service=self.service,
            payload=payload, chunk_size=self.chunk_size, trailer=self.trailer,
            timestamp=timestamp, algorithm=self.algorithm, **self.options,
        )

    @property
    def normalize_path(self) -> bool:
        return self.options.get("normalize_path", True)

    def payload_for_stream(self, file: IO[bytes] | None) -> SigningOptions:
        """The options that sign a body not held in memory (``file``: the body when it is a
        seekable file). An explicit ``payload_hash`` wins; then hashing a seekable file
        first, when asked; then UNSIGNED-PAYLOAD, where allowed; otherwise an error naming
        both ways to send it."""
        if "payload_hash" in self.options:
            return {}
        if self.hash_seekable and file is not None:
            return {"payload_hash": hash_file(file)}
        if self.unsigned_streams:
            return {"payload_hash": UNSIGNED_PAYLOAD, "content_sha256_header": True}
        raise SigningError(
            f"body: a streamed body (file object or iterator) is not read into memory to be "
            f"hashed, and {self.service} is not S3: send it unsigned with "
            "unsigned_streams=True (UNSIGNED-PAYLOAD, where the service accepts it) or signed "
            "chunk by chunk with streaming=True (aws-chunked); a seekable file can instead be "
            "hashed first with hash_seekable=True, or pass the body as bytes",
            field="body",
        )

    def sign(
        self,
        method: str,
        url: str,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        *,
        timestamp: datetime | None = None,
        extra: SigningOptions | None = None,
    ) -> SignedRequest:
        """Sign a request whose URL is already canonical (``canonical_url``)."""
        source = self.credentials
        creds = source if isinstance(source, Credentials) else current_credentials(source)
        options: SigningOptions = {**self.options, **extra} if extra else self.options
        return sign_request(
            Request(method, url, headers, body), creds, region=self.region,
            service=self.service, timestamp=timestamp, algorithm=self.algorithm, **options,
        )

    def __repr__(self) -> str:
        return f"region={self.region!r}, service={self.service!r}"


class SigningAdapter:
    """What every adapter holds: the ``RequestSigner`` of its arguments and the clock-skew
    memory (``correct_clock_skew=False`` turns it off)."""

    def __init__(
        self,
        credentials: CredentialSource,
        region: RegionSet,
        service: str,
        *,
        correct_clock_skew: bool = True,
        **options: Unpack[AllOptions],
    ) -> None:
        self._signer = RequestSigner(credentials, region, service, **options)
        self._skew = ClockSkew(enabled=correct_clock_skew)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._signer!r})"
