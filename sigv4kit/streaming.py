"""Streaming (aws-chunked) uploads: signing them for any HTTP client, verifying them in a server.

https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html

``sign_chunked`` signs the headers once (the seed signature, through ``sign_request`` with the
``STREAMING-…`` payload hash) and returns the framed body as an iterator that reads the payload
as it is sent, signing each chunk as it goes: memory stays at one chunk whatever the size.

``ChunkedVerifier`` is the server's side: made from a successful headers verdict
(``verify_request(head, lookup, defer_body=True)``), it takes body bytes as they arrive and
yields each chunk's object bytes once that chunk is proven (its signature checked), then gives
the final verdict. The contract for a server: nothing is the object until ``finish()`` returns
a valid result. A signed chunk yielded is authentic, but a later chunk, the trailer checksum or
the length may still fail, and an unsigned upload (``STREAMING-UNSIGNED-PAYLOAD-TRAILER``)
proves nothing until its checksum is checked at the very end; so write chunks to a temporary
place and commit (rename, link) only on a valid final verdict, discard them otherwise.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from typing import Any, BinaryIO, Unpack

from .checksums import Checksum, check_algorithm, digest_size, header_name, new_checksum
from .chunked import (
    MAX_CHUNK_SIZE,
    MIN_CHUNK_SIZE,
    TRAILER_SIGNATURE,
    ChunkDecoder,
    ChunkError,
    Variant,
    chunk_head,
    chunk_string_to_sign,
    framed_length,
    pad_signature,
    trailer_lines,
    trailer_string_to_sign,
    variant_of,
)
from .errors import SigningError
from .keys import ALGORITHM, ALGORITHM_V4A, cached_signing_key
from .model import Credentials, Request, SignedRequest, trusted
from .options import Algorithm, RegionSet, SigningOptions, path_rules
from .received import Reason
from .signing import sign_request
from .verify import (
    Lookup,
    VerifyResult,
    check_lookup,
    chunk_decoder,
    looked_up,
    streaming_verdict,
)

__all__ = ["ChunkedUpload", "ChunkedVerifier", "FramedBody", "SizedFramedBody", "sign_chunked"]

Payload = bytes | bytearray | memoryview | BinaryIO | Iterable[bytes]

_SET_HEADERS = frozenset(
    {"content-encoding", "x-amz-decoded-content-length", "x-amz-trailer", "content-length"}
)


@dataclass(frozen=True, repr=False)
class ChunkedUpload:
    """A signed aws-chunked upload: send ``request``'s method, URL and headers with ``body``.

    ``body`` is an iterator of framed bytes (a ``SizedFramedBody``, with ``len()``, when the
    payload's length is known, so ``requests`` and ``http.client`` send a Content-Length
    instead of re-chunking it). ``signed`` is the seed signing (canonical request, string to
    sign, signature).
    """

    request: Request
    body: FramedBody
    seed_signature: str
    signed: SignedRequest

    def __repr__(self) -> str:
        return f"ChunkedUpload(request={self.request!r}, body={self.body!r}, seed_signature='***')"


class FramedBody:
    """The framed aws-chunked body, produced as it is read (one pass only).

    Each item is one chunk: its header line, data and CRLF; the last item holds the final
    chunk and the trailer. It reads the payload ``chunk_size`` bytes at a time, signing each
    chunk with the previous signature, so it is never held whole.
    """

    def __init__(
        self,
        pieces: Iterator[bytes],
        length: int | None,
    ) -> None:
        self._pieces = pieces
        self._length = length

    def __iter__(self) -> Iterator[bytes]:
        return self._pieces

    def __next__(self) -> bytes:
        return next(self._pieces)

    @property
    def length(self) -> int | None:
        """The framed length (the Content-Length), or None when the payload's is unknown."""
        return self._length

    def read_all(self) -> bytes:
        """The whole framed body at once (tests and small bodies)."""
        return b"".join(self._pieces)

    def __repr__(self) -> str:
        return f"FramedBody(length={self._length!r})"


class SizedFramedBody(FramedBody):
    """A framed body of known length: ``len()`` gives it, so ``requests`` and ``http.client``
    send a Content-Length (a body without one has no ``__len__``: they then send it with
    ``Transfer-Encoding: chunked``, as boto3 does)."""

    _length: int

    def __len__(self) -> int:
        return self._length


def _payload_length(payload: Any, declared: str | None) -> int | None:
    if isinstance(payload, bytes | bytearray | memoryview):
        return memoryview(payload).nbytes
    if hasattr(payload, "read") and getattr(payload, "seekable", lambda: False)():
        here = payload.tell()
        end = payload.seek(0, io.SEEK_END)
        payload.seek(here)
        return int(end - here)
    if declared is not None:
        text = declared.strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 18:
            raise SigningError(
                "headers: X-Amz-Decoded-Content-Length is not a whole number of bytes",
                field="headers",
            )
        return int(text)
    return None


def _pieces(payload: Any, chunk_size: int) -> Iterator[bytes | memoryview]:
    """The payload as chunks of exactly ``chunk_size`` bytes (the last one shorter)."""
    if isinstance(payload, bytes | bytearray | memoryview):
        view = memoryview(payload).cast("B")
        for start in range(0, len(view), chunk_size):
            yield view[start : start + chunk_size]
        return
    source: Iterable[bytes] = (
        iter(lambda: payload.read(chunk_size), b"") if hasattr(payload, "read") else payload
    )
    pending = bytearray()
    for piece in source:
        if not isinstance(piece, bytes | bytearray | memoryview):
            raise SigningError(
                f"payload: yielded {type(piece).__name__}, not bytes", field="payload"
            )
        if not pending and len(piece) == chunk_size and isinstance(piece, bytes):
            yield piece  # a file read whole chunks: no copy
            continue
        pending += piece
        while len(pending) >= chunk_size:
            yield bytes(pending[:chunk_size])
            del pending[:chunk_size]
    if pending:
        yield bytes(pending)


def _frames(
    payload: Any,
    chunk_size: int,
    variant: Variant,
    signer: _ChunkSigner | None,
    checksum: Checksum | None,
    declared: int | None,
) -> Iterator[bytes]:
    total = 0
    for chunk in _pieces(payload, chunk_size):
        total += len(chunk)
        if declared is not None and total > declared:
            raise SigningError(
                f"payload: longer than the {declared} bytes declared", field="payload"
            )
        if checksum is not None:
            checksum.update(chunk)
        sig = signer.chunk(chunk) if signer is not None else None
        yield b"".join((chunk_head(len(chunk), sig), chunk, b"\r\n"))
    if declared is not None and total != declared:
        raise SigningError(
            f"payload: {total} bytes, not the {declared} declared", field="payload"
        )
    final = chunk_head(0, signer.chunk(b"") if signer is not None else None)
    if not variant.trailer:
        yield final + b"\r\n"
        return
    pairs = [] if checksum is None else [(header_name(checksum.name), checksum.base64())]
    text = "".join([f"{n}:{v}\r\n" for n, v in pairs])
    if signer is not None:
        text += f"{TRAILER_SIGNATURE}:{signer.trailer(pairs)}\r\n"
    yield final + text.encode("ascii") + b"\r\n"


class _ChunkSigner:
    """The chain of chunk signatures from the seed: each signs the one before it."""

    __slots__ = ("_algorithm", "_amzdate", "_prev", "_scope", "_sign", "_v4a")

    _sign: Callable[[str], str]

    def __init__(self, signed: SignedRequest, credentials: Credentials) -> None:
        self._algorithm = signed.algorithm
        self._amzdate = signed.timestamp
        self._scope = signed.credential_scope
        self._prev = signed.signature
        self._v4a = signed.algorithm == ALGORITHM_V4A
        if self._v4a:
            from . import sigv4a

            self._sign = lambda to_sign: sigv4a.sign_string(credentials, to_sign)
        else:
            date, region, service, _ = self._scope.split("/")
            key = cached_signing_key(credentials.secret_access_key, date, region, service)
            self._sign = key.hex_signature

    def chunk(self, data: bytes | memoryview) -> str:
        to_sign = chunk_string_to_sign(
            self._algorithm, self._amzdate, self._scope, self._prev, sha256(data).hexdigest()
        )
        self._prev = self._sign(to_sign)
        return pad_signature(self._prev, self._v4a)

    def trailer(self, pairs: list[tuple[str, str]]) -> str:
        to_sign = trailer_string_to_sign(
            self._algorithm, self._amzdate, self._scope, self._prev, trailer_lines(pairs)
        )
        return pad_signature(self._sign(to_sign), self._v4a)


def _check_chunk_size(chunk_size: object) -> int:
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int):
        raise SigningError("chunk_size: must be a whole number of bytes", field="chunk_size")
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise SigningError(
            f"chunk_size: must be between {MIN_CHUNK_SIZE} (S3's smallest chunk) and "
            f"{MAX_CHUNK_SIZE} bytes, got {chunk_size}",
            field="chunk_size",
        )
    return chunk_size


def _headers(
    request: Request, variant: Variant, trailer: str | None, decoded: int | None,
    framed: int | None,
) -> tuple[list[tuple[str, str]], bool]:
    """The request's headers with those aws-chunked needs set; and whether the caller's
    Content-Length is kept (then it is signed, as in the S3 example)."""
    kept = []
    encodings = []
    content_length = None
    for name, value in request.headers:
        lname = name.lower()
        if lname == "content-encoding":
            encodings += [e.strip() for e in value.split(",") if e.strip() != "aws-chunked"]
        elif lname == "content-length":
            content_length = value.strip()
        elif lname not in _SET_HEADERS:
            kept.append((name, value))
    kept.append(("Content-Encoding", ",".join([*[e for e in encodings if e], "aws-chunked"])))
    if decoded is not None:
        kept.append(("X-Amz-Decoded-Content-Length", str(decoded)))
    if variant.trailer and trailer is not None:
        kept.append(("X-Amz-Trailer", header_name(trailer)))
    if content_length is not None:
        if framed is None or content_length != str(framed):
            raise SigningError(
                f"headers: Content-Length must be the framed length ({framed} bytes) or be "
                "left out for sign_chunked to set",
                field="headers",
            )
        kept.append(("Content-Length", content_length))
    return kept, content_length is not None


def sign_chunked(
    request: Request,
    credentials: Credentials,
    *,
    region: RegionSet,
    service: str,
    payload: Payload,
    chunk_size: int = 65536,
    trailer: str | None = None,
    timestamp: str | datetime | None = None,
    algorithm: Algorithm = "sigv4",
    signed: bool = True,
    **options: Unpack[SigningOptions],
) -> ChunkedUpload:
    """Sign ``request`` for an aws-chunked upload of ``payload`` and frame the body.

    ``payload`` is bytes, a binary file object or an iterable of bytes, read as the body is
    iterated; its length is known for bytes and seekable files, else taken from an
    X-Amz-Decoded-Content-Length header on ``request`` (S3 needs it). ``trailer`` names a
    checksum (``crc32``, ``crc32c``, ``crc64nvme``, ``sha1``, ``sha256``, ``sha512``,
    ``xxhash64``, ``xxhash3``, ``xxhash128``: ``sigv4kit.checksums.ALGORITHMS``) sent after the
    last chunk; ``signed=False`` gives ``STREAMING-UNSIGNED-PAYLOAD-TRAILER`` (needs a trailer; TLS
    then protects the chunks). Headers set: Content-Encoding (aws-chunked appended),
    X-Amz-Decoded-Content-Length, X-Amz-Trailer, X-Amz-Content-SHA256, and Content-Length of
    the framed body (added unsigned after signing, as SDKs do, unless ``request`` already
    carries the right one). Path rules default to the service's (S3's for S3).
    """
    if not isinstance(request, Request):
        raise SigningError("request: must be a sigv4kit.Request", field="request")
    if request.body:
        raise SigningError(
            "request: its body must be empty; pass the object as payload", field="request"
        )
    if "payload_hash" in options:
        raise SigningError(
            "payload_hash: sign_chunked sets it (STREAMING-…); leave it out", field="payload_hash"
        )
    chunk_size = _check_chunk_size(chunk_size)
    if isinstance(payload, str) or not (
        isinstance(payload, bytes | bytearray | memoryview)
        or hasattr(payload, "read")
        or hasattr(payload, "__iter__")
    ):
        raise SigningError(
            "payload: must be bytes, a binary file or an iterable of bytes", field="payload"
        )
    if trailer is not None:
        trailer = check_algorithm(trailer)
    if not isinstance(signed, bool):
        raise SigningError("signed: must be True or False", field="signed")
    if not signed and trailer is None:
        raise SigningError(
            "trailer: unsigned chunks (signed=False) need a checksum trailer "
            "(STREAMING-UNSIGNED-PAYLOAD-TRAILER)",
            field="trailer",
        )
    variant = variant_of(
        signed, trailer is not None, ALGORITHM_V4A if algorithm == "sigv4a" else ALGORITHM
    )
    declared = request.header("x-amz-decoded-content-length")
    decoded = _payload_length(payload, declared)
    if declared is not None and declared.strip() != str(decoded):
        raise SigningError(
            f"headers: X-Amz-Decoded-Content-Length says {declared.strip()[:20]} but the "
            f"payload is {decoded} bytes",
            field="headers",
        )
    value_length = 0 if trailer is None else 4 * ((digest_size(trailer) + 2) // 3)
    framed = (
        None if decoded is None
        else framed_length(
            decoded, chunk_size, variant,
            None if trailer is None else header_name(trailer), value_length,
        )
    )
    headers, length_signed = _headers(request, variant, trailer, decoded, framed)
    normalize, double = path_rules(
        service, options.get("normalize_path"), options.get("double_encode_path")
    )
    settings: SigningOptions = {
        **options,
        "normalize_path": normalize,
        "double_encode_path": double,
        "payload_hash": variant.payload_hash,
        "content_sha256_header": True,
    }
    seed = sign_request(
        Request(request.method, request.url, headers),
        credentials,
        region=region,
        service=service,
        timestamp=timestamp,
        algorithm=algorithm,
        **settings,
    )
    out = seed.request
    if framed is not None and not length_signed:
        out = trusted(
            Request, method=out.method, url=out.url,
            headers=(*out.headers, ("Content-Length", str(framed))), body=b"",
        )
    signer = _ChunkSigner(seed, credentials) if signed else None
    checksum = None if trailer is None else new_checksum(trailer)
    frames = _frames(payload, chunk_size, variant, signer, checksum, decoded)
    return trusted(
        ChunkedUpload,
        request=out,
        body=FramedBody(frames, None) if framed is None else SizedFramedBody(frames, framed),
        seed_signature=seed.signature,
        signed=seed,
    )


class ChunkedVerifier:
    """A server's incremental check of an aws-chunked body, chunk by chunk.

    ::

        head = verify_request(Request(method, url, headers), lookup, defer_body=True)
        if not head.valid: refuse(head)
        body = ChunkedVerifier(head, Request(method, url, headers), lookup)
        for piece in socket_reads:            # any sizes
            for data in body.feed(piece):     # each chunk's bytes, once its signature checks
                spool.write(data)             # provisional: not the object yet
        verdict = body.finish()               # valid only if everything checked
        commit(spool) if verdict.valid else discard(spool)

    ``feed`` raises nothing: after a failure it returns no more data and ``failed`` holds the
    verdict (``finish()`` returns it too). ``finish()`` decides once: called again it gives
    the same verdict, and ``feed`` after it takes nothing. Memory: one chunk of at most
    ``max_chunk_size``.
    """

    def __init__(
        self,
        verdict: VerifyResult,
        request: Request,
        lookup: Lookup,
        *,
        max_chunk_size: int = MAX_CHUNK_SIZE,
    ) -> None:
        if not isinstance(verdict, VerifyResult) or not verdict.valid or verdict.received is None:
            raise SigningError(
                "verdict: must be a valid headers verdict (verify_request(..., defer_body=True))",
                field="verdict",
            )
        if not isinstance(max_chunk_size, int) or max_chunk_size < 1:
            raise SigningError("max_chunk_size: must be a positive number of bytes",
                               field="max_chunk_size")
        self._verdict = verdict
        creds = looked_up(check_lookup(lookup), verdict.received.access_key_id)
        if creds is None:
            raise SigningError("lookup: the verdict's access key is no longer known",
                               field="lookup")
        self._decoder: ChunkDecoder = chunk_decoder(
            request, verdict.received, creds, max_chunk_size=max_chunk_size
        )
        self.failed: VerifyResult | None = None
        self._final: VerifyResult | None = None

    @property
    def decoded(self) -> int:
        """Object bytes yielded so far."""
        return self._decoder.decoded

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        """Framed bytes in; the object bytes of the chunks they completed and proved out."""
        if self.failed is not None or self._final is not None:
            return []
        try:
            return self._decoder.feed(data)
        except ChunkError as exc:
            self.failed = streaming_verdict(self._verdict, Reason(exc.reason), str(exc))
            return []

    def finish(self) -> VerifyResult:
        """The final verdict on the whole request: valid only when every chunk, the trailer,
        the checksum and the decoded length checked."""
        if self._final is None:
            self._final = self._decide()
        return self._final

    def _decide(self) -> VerifyResult:
        if self.failed is not None:
            return self.failed
        try:
            self._decoder.finish()
        except ChunkError as exc:
            self.failed = streaming_verdict(self._verdict, Reason(exc.reason), str(exc))
            return self.failed
        return streaming_verdict(
            self._verdict,
            Reason.OK,
            f"valid {self._verdict.received.algorithm} signature by "  # type: ignore[union-attr]
            f"{self._verdict.received.access_key_id} and aws-chunked body "  # type: ignore[union-attr]
            f"({self._decoder.chunks} chunks, {self._decoder.decoded} bytes)",
        )
