"""What every HTTP-library adapter does the same way: which credentials, which URL, which body
hash, which headers.

An adapter only translates between its library's request object and these functions:

- ``current_credentials``: a ``Credentials`` or a provider, asked before each signing;
- ``canonical_url``: the URL as it will be signed *and sent*, so no server reads another one;
- ``RequestSigner.payload_for_stream``: how a body that is not in memory is signed;
- ``header_changes``: what signing removes and adds, taken from ``SignedRequest`` itself.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import IO, Any, Protocol, TypedDict, Unpack, cast
from urllib.parse import quote_from_bytes, unquote_to_bytes

from ..canonical import remove_dot_segments
from ..errors import SigningError
from ..model import Credentials, Request, SignedRequest
from ..options import (
    S3_OPTIONS,
    S3_SERVICES,
    UNSIGNED_PAYLOAD,
    Algorithm,
    RegionSet,
    SigningOptions,
    check_scope_name,
)
from ..signing import sign_request
from ..url import split_url


class _BotocoreStyle(Protocol):
    """botocore's (refreshable) credentials: ``session.get_credentials()``."""

    def get_frozen_credentials(self) -> Any: ...


CredentialSource = Credentials | Callable[[], Credentials] | _BotocoreStyle
"""Fixed credentials, a zero-argument provider returning fresh ones before each signing, or
botocore's credentials object (refreshed by botocore itself)."""


class CredentialsError(SigningError):
    """The credential provider failed or returned something that is not credentials."""


def check_credential_source(source: object) -> None:
    """Refuse at construction what can never give credentials."""
    if not (isinstance(source, Credentials) or callable(source)
            or callable(getattr(source, "get_frozen_credentials", None))):
        raise CredentialsError(
            "credentials: must be sigv4kit.Credentials, a zero-argument callable returning "
            f"them, or botocore credentials; got {type(source).__name__}",
            field="credentials",
        )


def current_credentials(source: CredentialSource) -> Credentials:
    """The credentials to sign with now. A provider is asked every time (it caches and
    refreshes as it sees fit, as botocore's do); its failure is one ``CredentialsError``."""
    if isinstance(source, Credentials):
        return source
    name = getattr(source, "__qualname__", None) or type(source).__name__
    try:
        frozen = getattr(source, "get_frozen_credentials", None)
        if callable(frozen):
            found = frozen()
            value: object = Credentials(found.access_key, found.secret_key, found.token or None)
        else:
            value = cast(Callable[[], object], source)()
    except Exception as exc:
        detail = str(exc).splitlines()[0][:200] if str(exc) else ""
        raise CredentialsError(
            f"credentials: the provider {name} failed ({type(exc).__name__}"
            f"{': ' + detail if detail else ''})",
            field="credentials",
        ) from exc
    if not isinstance(value, Credentials):
        raise CredentialsError(
            f"credentials: the provider {name} returned {type(value).__name__}, "
            "not sigv4kit.Credentials",
            field="credentials",
        )
    return value


def _encode_piece(raw: bytes) -> str:
    """RFC 3986: every byte but ``A-Za-z0-9-_.~`` as ``%XX`` (space ``%20``, ``+`` ``%2B``)."""
    return quote_from_bytes(raw, safe="")


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
    return "/".join([_encode_piece(unquote_to_bytes(seg)) for seg in path.split("/")])


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
        name = _encode_piece(unquote_to_bytes(name.replace("+", " ")))
        if eq:
            name += "=" + _encode_piece(unquote_to_bytes(value.replace("+", " ")))
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


_short_canonical_url = lru_cache(maxsize=256)(_canonical_url)
"""A client sends to few URLs again and again (an API's endpoint, a bucket's keys): each short
one is rewritten once."""


def host_of(url: str) -> str:
    """The Host value of ``url`` (port kept unless the scheme's default): the key under which
    a server's clock offset is remembered."""
    return split_url(url).host


def header_changes(
    sent: Sequence[tuple[str, str]], signed: SignedRequest
) -> tuple[frozenset[str], tuple[tuple[str, str], ...]]:
    """(lower-case names to remove, headers to add) that turn ``sent`` into what was signed:
    every header signing added (replacing any stale one of that name), and the ones the
    signer dropped without adding again (a stale session token after the credentials lost
    theirs). Taken from the ``SignedRequest``, so no list of names is kept here."""
    kept = {name.lower() for name, _ in signed.request.headers}
    gone = {name.lower() for name, _ in sent} - kept
    # getattr: the branch this was written on lacked the field's declaration (set at run time)
    added = signed.added_headers
    return frozenset(gone | {name.lower() for name, _ in added}), added


HASH_CHUNK = 1 << 16
"""Bytes read at a time when a seekable file is hashed before sending: memory stays bounded
whatever the file's size."""


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
    """aws-chunked framing with a signature per chunk (needs ``sigv4kit.streaming``)."""


class AllOptions(AdapterOptions, SigningOptions, total=False):
    """What an adapter's constructor takes as keywords (beside ``correct_clock_skew``)."""


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
        **options: Unpack[SigningOptions],
    ) -> None:
        check_credential_source(credentials)
        check_scope_name("service", "service", service)
        self.credentials = credentials
        self.region = region
        self.service = service
        self.algorithm: Algorithm = algorithm
        s3 = service in S3_SERVICES
        self.options: SigningOptions = {**S3_OPTIONS, **options} if s3 else options
        self.unsigned_streams = s3 if unsigned_streams is None else bool(unsigned_streams)
        self.hash_seekable = bool(hash_seekable)
        if streaming:
            self._check_streaming_available()
        self.streaming = bool(streaming)
        # Signed once with a fixed time: bad options or scope fail here, not on first use.
        sign_request(Request("GET", "https://example.com/"),
                     Credentials("AKIDEXAMPLE", "x"), region=region, service=service,
                     timestamp="20150830T123600Z", algorithm=algorithm, **self.options)

    @staticmethod
    def _check_streaming_available() -> None:
        """aws-chunked signing plugs in here once ``sigv4kit.streaming.sign_chunked`` exists;
        until the adapters call it, asking for it is an error at construction, not a body
        silently sent another way."""
        have = importlib.util.find_spec("sigv4kit.streaming") is not None
        raise SigningError(
            "streaming: aws-chunked signing (sigv4kit.streaming) is "
            + ("not wired into the adapters yet" if have else "not available in this version")
            + "; send the body with unsigned_streams=True (UNSIGNED-PAYLOAD) where the service "
            "accepts it, or hash a seekable file first with hash_seekable=True",
            field="streaming",
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
        creds = current_credentials(self.credentials)
        options: SigningOptions = {**self.options, **extra} if extra else self.options
        return sign_request(
            Request(method, url, list(headers), body), creds, region=self.region,
            service=self.service, timestamp=timestamp, algorithm=self.algorithm, **options,
        )

    def __repr__(self) -> str:
        return f"region={self.region!r}, service={self.service!r}"
