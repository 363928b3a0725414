"""The aws-chunked body format: its variants, chunk signatures, framing and an incremental decoder.

https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html

A streaming upload signs its headers once (the *seed* signature, over the payload hash
``STREAMING-…``), then sends the object as chunks ``<hex size>[;chunk-signature=<sig>]\\r\\n
<data>\\r\\n``, a zero-length final chunk, optional trailer lines (a checksum, and for signed
variants ``x-amz-trailer-signature``) and an empty line. Each chunk signature signs the previous
signature and the SHA-256 of the chunk, so chunks cannot be dropped, reordered or replaced.

The signer (``sigv4kit.streaming``) and both verifiers (``verify_request`` on a whole body, and
``sigv4kit.streaming.ChunkedVerifier`` for a server reading a socket) use the one definition of
each rule here. ``ChunkDecoder`` never holds more than one chunk plus one header line, and every
framing problem is a ``ChunkError`` (reason ``malformed_chunk``) naming the chunk and its byte
offset in the framed body.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from hashlib import sha256
from typing import Final

from .checksums import ALGORITHMS, Checksum, algorithm_of_header, new_checksum
from .errors import Error
from .keys import ALGORITHM, ALGORITHM_V4A
from .model import HTTP_TOKEN
from .options import EMPTY_SHA256

__all__ = [
    "MAX_CHUNK_SIZE", "MAX_TRAILER_LINES", "MIN_CHUNK_SIZE", "SIGNED", "SIGNED_TRAILER",
    "SIGNED_V4A", "SIGNED_V4A_TRAILER", "TRAILER_SIGNATURE", "UNSIGNED_TRAILER", "VARIANTS",
    "Checker", "ChunkDecoder", "ChunkError", "ChunkedLayout", "Variant", "chunk_head",
    "chunk_string_to_sign", "equal_ascii", "framed_length", "hmac_checker", "pad_signature",
    "read_layout", "trailer_algorithm", "trailer_lines", "trailer_string_to_sign", "variant_of",
]

SIGNED: Final = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
SIGNED_TRAILER: Final = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
UNSIGNED_TRAILER: Final = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
SIGNED_V4A: Final = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
SIGNED_V4A_TRAILER: Final = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"

MAX_CHUNK_SIZE: Final = 16 * 1024 * 1024
"""Largest chunk accepted by default: SDKs send 64 KiB (the examples) to 1 MiB (botocore)."""
MIN_CHUNK_SIZE: Final = 8 * 1024
"""S3's smallest chunk but the last one."""
MAX_HEADER_LINE: Final = 256
"""Longest chunk header line: 16 hex digits, ``;chunk-signature=`` and a 144-character SigV4a
signature fit with room to spare."""
MAX_TRAILER_LINE: Final = 1024
MAX_TRAILER_LINES: Final = 8
"""S3 takes one checksum trailer (plus the trailer signature); a few more are tolerated."""
TRAILER_SIGNATURE: Final = "x-amz-trailer-signature"
_SIG_EXT: Final = b";chunk-signature="
_V4A_SIGNATURE_WIDTH: Final = 144
"""SigV4a chunk signatures (DER, 140-144 hex digits) are padded to this width with '*', so the
framed length is known before signing (as aws-c-auth does)."""
_HEX: Final = frozenset(b"0123456789abcdefABCDEF")


@dataclass(frozen=True)
class Variant:
    """What one ``STREAMING-…`` payload hash means for the body."""

    payload_hash: str
    signed: bool
    trailer: bool
    algorithm: str  # the request's signing algorithm (AWS4-HMAC-SHA256 or AWS4-ECDSA-P256-SHA256)


VARIANTS: Final = {
    v.payload_hash: v
    for v in (
        Variant(SIGNED, True, False, ALGORITHM),
        Variant(SIGNED_TRAILER, True, True, ALGORITHM),
        Variant(UNSIGNED_TRAILER, False, True, ALGORITHM),
        Variant(SIGNED_V4A, True, False, ALGORITHM_V4A),
        Variant(SIGNED_V4A_TRAILER, True, True, ALGORITHM_V4A),
    )
}
"""The aws-chunked payload hashes, by value. (``STREAMING-AWS4-HMAC-SHA256-EVENTS`` is an event
stream, not aws-chunked.) The unsigned variant is valid under either signing algorithm."""


def variant_of(signed: bool, trailer: bool, algorithm: str) -> Variant:
    """The variant for a signer's choices (unsigned chunks always carry a trailer)."""
    if not signed:
        return VARIANTS[UNSIGNED_TRAILER]
    v4a = algorithm == ALGORITHM_V4A
    name = (SIGNED_V4A if v4a else SIGNED) + ("-TRAILER" if trailer else "")
    return VARIANTS[name]


def chunk_string_to_sign(
    algorithm: str, amzdate: str, scope: str, previous: str, chunk_sha256: str
) -> str:
    """The string a chunk signature signs: ``<alg>-PAYLOAD``, the request time and scope, the
    previous signature, the hash of the empty string and the chunk's SHA-256."""
    return f"{algorithm}-PAYLOAD\n{amzdate}\n{scope}\n{previous}\n{EMPTY_SHA256}\n{chunk_sha256}"


def trailer_string_to_sign(
    algorithm: str, amzdate: str, scope: str, previous: str, trailer_lines: str
) -> str:
    """The string the trailer signature signs: ``<alg>-TRAILER``, time, scope, the final chunk's
    signature and the SHA-256 of the trailer lines (``name:value\\n`` each)."""
    digest = sha256(trailer_lines.encode("utf-8")).hexdigest()
    return f"{algorithm}-TRAILER\n{amzdate}\n{scope}\n{previous}\n{digest}"


def trailer_lines(pairs: list[tuple[str, str]]) -> str:
    """The trailer lines as the trailer signature hashes them: canonical like headers (sorted
    by lower-case name, values trimmed), as aws-c-auth builds them."""
    lines = sorted([(name.lower(), value.strip()) for name, value in pairs], key=lambda p: p[0])
    return "".join([f"{name}:{value}\n" for name, value in lines])


def pad_signature(signature: str, v4a: bool) -> str:
    """The chunk-signature value as framed: SigV4a signatures padded to a fixed width."""
    return signature.ljust(_V4A_SIGNATURE_WIDTH, "*") if v4a else signature


def _unpadded(framed: str, variant: Variant) -> str:
    """The signature a framed chunk or trailer signature carries: the '*' padding is SigV4a's
    only (its DER signatures vary in length); a SigV4 signature is taken as sent, so padding
    after it is not hex and does not verify."""
    return framed.rstrip("*") if variant.algorithm == ALGORITHM_V4A else framed


def signature_width(variant: Variant) -> int:
    return _V4A_SIGNATURE_WIDTH if variant.algorithm == ALGORITHM_V4A else 64


def chunk_head(size: int, signature: str | None) -> bytes:
    """``<hex size>[;chunk-signature=<sig>]\\r\\n``."""
    if signature is None:
        return b"%x\r\n" % size
    return b"%x;chunk-signature=%s\r\n" % (size, signature.encode("ascii"))


def framed_length(
    decoded_length: int, chunk_size: int, variant: Variant, trailer_name: str | None,
    trailer_value_length: int,
) -> int:
    """The Content-Length of the framed body of ``decoded_length`` object bytes."""
    extension = len(_SIG_EXT) + signature_width(variant) if variant.signed else 0

    def framed(n: int) -> int:  # "<hex n>[;chunk-signature=…]\r\n" + n bytes + "\r\n"
        return len(b"%x" % n) + extension + 2 + n + 2

    full, rest = divmod(decoded_length, chunk_size)
    total = full * framed(chunk_size) + (framed(rest) if rest else 0) + framed(0)
    if variant.trailer:
        total -= 2  # the final chunk's own CRLF is replaced by the trailer section
        if trailer_name is not None:
            total += len(trailer_name) + 1 + trailer_value_length + 2
        if variant.signed:
            total += len(TRAILER_SIGNATURE) + 1 + signature_width(variant) + 2
        total += 2
    return total


class ChunkError(Error):
    """A body that does not verify; ``reason`` is a ``sigv4kit.received.Reason`` value."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


Checker = Callable[[str, str], bool]
"""``check(string_to_sign, signature) -> bool``: the secret's (or public key's) verdict."""


def equal_ascii(expected: str, received: str) -> bool:
    """``received == expected`` in constant time, as bytes: a received value holding any
    non-ASCII character (a byte decoded as U+FFFD) is simply unequal. ``hmac.compare_digest``
    raises TypeError on such a str, which must never escape a verifier."""
    return received.isascii() and hmac.compare_digest(
        expected.encode("ascii"), received.encode("ascii")
    )


def hmac_checker(hex_signature: Callable[[str], str]) -> Checker:
    """A SigV4 checker from a signing function (``SigningKey.hex_signature``)."""
    return lambda to_sign, sig: equal_ascii(hex_signature(to_sign), sig)


_HEAD, _DATA, _CRLF, _TRAILER, _DONE = range(5)


def _dead() -> ChunkError:
    return ChunkError("malformed_chunk", "aws-chunked body: the decoder has failed or finished")


class ChunkDecoder:
    """Incremental aws-chunked decoder and verifier (sans-I/O, like h11).

    ``feed(data)`` returns the object bytes of every chunk completed *and verified* by that
    data; ``finish()`` checks what only the end can prove (final chunk, trailer signature,
    checksum, decoded length). Either raises ``ChunkError``; after that the decoder is dead.
    Memory: one chunk (at most ``max_chunk_size``, twice while it is handed out) plus one
    line, whatever the sizes of the pieces fed. ``check=None`` on a signed variant checks the
    framing, checksum and length but no signature (no secret at hand).
    """

    def __init__(
        self,
        variant: Variant,
        *,
        seed: str,
        amzdate: str,
        scope: str,
        check: Checker | None,
        decoded_length: int | None,
        trailer: str | None,
        checksum_header: tuple[str, str] | None = None,
        max_chunk_size: int = MAX_CHUNK_SIZE,
        record_sizes: bool = False,
    ) -> None:
        self.variant = variant
        self.sizes: list[int] | None = [] if record_sizes else None
        """The size of each chunk decoded, when asked for (``record_sizes``)."""
        self._prev = seed
        self._amzdate = amzdate
        self._scope = scope
        self._check = check
        self._declared = decoded_length
        self._trailer = trailer  # expected checksum algorithm named by X-Amz-Trailer
        self._allowed_trailers: tuple[str, ...] = (
            (f"x-amz-checksum-{trailer}",) if trailer is not None else ()
        ) + ((TRAILER_SIGNATURE,) if variant.signed else ())
        """The trailer names this body may carry: the one X-Amz-Trailer declares, and the
        trailer signature of a signed variant."""
        self._checksum: Checksum | None = None
        self._expected_checksum: str | None = None
        if trailer is not None:
            self._checksum = new_checksum(trailer)
        elif checksum_header is not None:  # a checksum sent as an ordinary header
            self._checksum = new_checksum(checksum_header[0])
            self._expected_checksum = checksum_header[1].strip()
        self._max = max_chunk_size
        self._line_buf = bytearray()
        self._first: memoryview | None = None
        self._rest = bytearray()
        self._hash = sha256()
        self._need = 0
        self._failed = False
        self._state = _HEAD
        self._size = 0
        self._sig = ""
        self._trailers: list[tuple[str, str]] = []
        self._lf_after_trailer = False
        self.chunks = 0
        """Chunks decoded so far (the final zero-length one included)."""
        self.decoded = 0
        """Object bytes decoded so far."""
        self.offset = 0
        """Framed bytes consumed so far."""
        self._chunk_offset = 0
        self._pending: ChunkError | None = None

    # -- errors -----------------------------------------------------------------------------

    def _where(self) -> str:
        return f"chunk {self.chunks + 1} at byte offset {self._chunk_offset}"

    def _malformed(self, what: str) -> ChunkError:
        self._state = _DONE
        return ChunkError("malformed_chunk", f"aws-chunked body: {self._where()}: {what}")

    # -- input ------------------------------------------------------------------------------

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        """Consume framed bytes; return the object bytes of the chunks they completed."""
        if self._pending is not None:
            raise self._pending
        if self._failed:
            raise _dead()
        # chunk data is kept by reference until its chunk is proven: never a mutable buffer
        view = memoryview(data if isinstance(data, bytes) else bytes(data)).cast("B")
        out: list[bytes] = []
        pos = 0
        try:
            while pos < len(view):
                if self._state == _DATA:
                    pos = self._data(view, pos)
                elif self._state == _DONE:
                    raise self._malformed_tail(len(view) - pos)
                else:
                    pos, line = self._line(view, pos)
                    if line is None:
                        break
                    self._on_line(line, out)
        except ChunkError as exc:
            self._failed = True
            self._state = _DONE
            self._first, self._rest = None, bytearray()
            if not out:
                raise
            self._pending = exc  # chunks proven before the failure are returned first
        return out

    def _malformed_tail(self, count: int) -> ChunkError:
        return ChunkError(
            "malformed_chunk",
            f"aws-chunked body: {count} byte(s) after the end of the body at byte offset "
            f"{self.offset} (nothing may follow the final chunk and trailer)",
        )

    def _limit(self) -> tuple[int, str]:
        if self._state == _HEAD:
            return MAX_HEADER_LINE, "chunk header"
        if self._state == _TRAILER:
            return MAX_TRAILER_LINE, "trailer"
        return 1, "data end"  # _CRLF: exactly "\r\n"

    def _line(self, view: memoryview, pos: int) -> tuple[int, bytes | None]:
        """The next line (without its LF), joined with what earlier feeds left, or None
        when it is still incomplete; at most ``_limit()`` bytes are ever buffered."""
        limit, what = self._limit()
        room = limit + 1 - len(self._line_buf)
        window = bytes(view[pos : pos + room])
        end = window.find(b"\n")
        if end < 0:
            if len(window) >= room:
                if self._state == _CRLF:
                    raise self._malformed(
                        f"the {self._size} data bytes are not followed by CRLF"
                    )
                raise self._malformed(f"the {what} line is longer than {limit} bytes")
            self._line_buf += window
            self.offset += len(window)
            return pos + len(window), None
        line = bytes(self._line_buf) + window[:end]
        self._line_buf.clear()
        self.offset += end + 1
        return pos + end + 1, line

    def _on_line(self, line: bytes, out: list[bytes]) -> None:
        if self._state == _HEAD:
            self._head(line)
        elif self._state == _CRLF:
            if line != b"\r":
                raise self._malformed(f"the {self._size} data bytes are not followed by CRLF")
            self._chunk_done(out)
        else:
            self._trailer_line(line)

    def _head(self, line: bytes) -> None:
        if not line.endswith(b"\r"):
            raise self._malformed("the chunk header does not end with CRLF")
        line = line[:-1]
        size_text, sep, ext = line.partition(b";")
        if not size_text or not _HEX.issuperset(size_text):
            raise self._malformed("the chunk size is not a hex number")
        if len(size_text) > 16:
            raise self._malformed(f"the chunk size has {len(size_text)} hex digits (at most 16)")
        size = int(size_text, 16)
        if size > self._max:
            raise self._malformed(
                f"the chunk size {size} is over the limit of {self._max} bytes"
            )
        if self._declared is not None and self.decoded + size > self._declared:
            raise self._malformed(
                f"the chunk size {size} goes past X-Amz-Decoded-Content-Length "
                f"({self._declared} bytes, {self.decoded} decoded so far)"
            )
        if self.variant.signed:
            if not sep or not ext.startswith(_SIG_EXT[1:]):
                raise self._malformed("the chunk header has no ;chunk-signature=")
            sig = _unpadded(ext[len(_SIG_EXT) - 1 :].decode("ascii", "replace"), self.variant)
            if not sig or sig.strip("0123456789abcdef"):
                raise self._malformed("the chunk signature is not lower-case hex")
            self._sig = sig
        elif sep:
            raise self._malformed("an unsigned chunk carries an extension")
        self._size = self._need = size
        self._hash = sha256()
        if size:
            self._state = _DATA
        elif self.variant.trailer:  # the final chunk: its trailer lines follow directly
            self._chunk_done([])
        else:
            self._state = _CRLF

    def _data(self, view: memoryview, pos: int) -> int:
        piece = view[pos : pos + self._need]
        if self.variant.signed:
            self._hash.update(piece)
        if self._checksum is not None:
            self._checksum.update(piece)
        self._keep(piece)
        self._need -= len(piece)
        self.offset += len(piece)
        if not self._need:
            self._state = _CRLF
        return pos + len(piece)

    def _keep(self, piece: memoryview) -> None:
        """Hold a piece of the chunk until it is proven: a chunk fed whole stays a view of the
        caller's bytes (no copy); one fed in pieces is copied into one buffer, so a chunk sent
        a byte at a time costs its size, not a view object (~200 bytes) per piece."""
        if not self._rest and len(piece) == self._need:
            self._first = piece
        else:
            self._rest += piece

    def _chunk_done(self, out: list[bytes]) -> None:
        """A whole chunk is in: check its signature, then release its bytes."""
        if self.variant.signed:
            to_sign = chunk_string_to_sign(
                self.variant.algorithm, self._amzdate, self._scope, self._prev,
                self._hash.hexdigest(),
            )
            if self._check is not None and not self._check(to_sign, self._sig):
                raise ChunkError(
                    "chunk_signature_mismatch",
                    f"aws-chunked body: {self._where()}: the chunk signature does not match "
                    "(data altered, or chunks dropped or reordered)",
                )
            self._prev = self._sig
        size = self._size
        if size:
            out.append(bytes(self._first) if self._first is not None else bytes(self._rest))
            self._first, self._rest = None, bytearray()
        self.chunks += 1
        self.decoded += size
        if self.sizes is not None:
            self.sizes.append(size)
        if size:
            self._state = _HEAD
        else:
            self._state = _TRAILER if self.variant.trailer else _DONE
        self._chunk_offset = self.offset

    def _trailer_line(self, line: bytes) -> None:
        if line in (b"\r", b""):
            if line == b"" and self._trailers and not self._lf_after_trailer:
                self._lf_after_trailer = True  # tolerated: a bare LF after a trailer line
                return
            self._state = _DONE
            return
        self._lf_after_trailer = False
        text = line.removesuffix(b"\r").decode("ascii", "replace")
        name, colon, value = text.partition(":")
        if not colon or not name.strip():
            raise self._malformed("a trailer line is not 'name:value'")
        if not HTTP_TOKEN.fullmatch(name):
            raise self._malformed(
                "a trailer name is not an HTTP token (ASCII letters, digits and "
                "!#$%&'*+-.^_`|~, no space before the colon)"
            )
        name = name.lower()
        if name == TRAILER_SIGNATURE and not self.variant.signed:
            raise self._malformed("an unsigned body's trailer carries x-amz-trailer-signature")
        if name not in self._allowed_trailers:
            raise self._malformed(
                f"trailer {name[:64]!r} is not named by X-Amz-Trailer ("
                + (f"which names {self._allowed_trailers[0]}" if self._trailer else "absent")
                + ")"
            )
        if len(self._trailers) >= MAX_TRAILER_LINES:
            raise self._malformed(f"more than {MAX_TRAILER_LINES} trailer lines")
        self._trailers.append((name, value.strip()))

    # -- end --------------------------------------------------------------------------------

    def finish(self) -> None:
        """Check the end of the body: complete, trailer signed and checksum right."""
        if self._pending is not None:
            raise self._pending
        if self._failed:
            raise _dead()
        tolerated_end = (
            self._state == _TRAILER and self._lf_after_trailer and not self._line_buf
        )
        if self._state != _DONE and not tolerated_end:
            self._chunk_offset = self.offset
            raise self._malformed(
                f"the body ends early ({self.offset} framed bytes read, {self.decoded} "
                "object bytes decoded): no final zero-length chunk and closing CRLF"
            )
        self._state = _DONE
        self._failed = True  # finished: no more input
        where = f"the trailer after chunk {self.chunks} at byte offset {self._chunk_offset}"
        if self.variant.trailer:
            self._check_trailer(where)
        if self._declared is not None and self.decoded != self._declared:
            raise ChunkError(
                "decoded_length_mismatch",
                f"aws-chunked body: {self.decoded} object bytes in {self.chunks} chunks (the "
                f"body ends at byte offset {self.offset}), but X-Amz-Decoded-Content-Length "
                f"says {self._declared}",
            )
        if self._expected_checksum is not None and self._checksum is not None:
            self._compare_checksum(self._expected_checksum, where)

    def _check_trailer(self, where: str) -> None:
        trailers = [(n, v) for n, v in self._trailers if n != TRAILER_SIGNATURE]
        signatures = [v for n, v in self._trailers if n == TRAILER_SIGNATURE]
        if self.variant.signed:
            if len(signatures) != 1:
                raise ChunkError(
                    "trailer_signature_mismatch",
                    f"aws-chunked body: {where}: expected one x-amz-trailer-signature, got "
                    f"{len(signatures)}",
                )
            to_sign = trailer_string_to_sign(
                self.variant.algorithm, self._amzdate, self._scope, self._prev,
                trailer_lines(trailers),
            )
            signature = _unpadded(signatures[0], self.variant)
            if self._check is not None and not self._check(to_sign, signature):
                raise ChunkError(
                    "trailer_signature_mismatch",
                    f"aws-chunked body: {where}: the trailer signature does not match "
                    "(trailer altered?)",
                )
        if self._trailer is None:
            return
        wanted = f"x-amz-checksum-{self._trailer}"
        values = [v for n, v in trailers if n == wanted]
        if len(values) != 1:
            raise ChunkError(
                "malformed_chunk",
                f"aws-chunked body: {where}: X-Amz-Trailer names {wanted} but the trailer "
                f"carries {len(values)} of it",
            )
        self._compare_checksum(values[0], where)

    def _compare_checksum(self, received: str, where: str) -> None:
        assert self._checksum is not None
        if not equal_ascii(self._checksum.base64(), received):
            raise ChunkError(
                "checksum_mismatch",
                f"aws-chunked body: {where}: x-amz-checksum-{self._checksum.name} is not the "
                f"{self._checksum.name} of the {self.decoded} object bytes received",
            )

    @property
    def trailers(self) -> tuple[tuple[str, str], ...]:
        """The trailer lines received (names lower-cased), the signature included."""
        return tuple(self._trailers)


def trailer_algorithm(value: str | None) -> str | None:
    """The checksum algorithm X-Amz-Trailer names, or None when absent; ValueError when it
    names something that is not an S3 checksum."""
    if value is None or not value.strip():
        return None
    names = [v.strip() for v in value.split(",") if v.strip()]
    algorithms = [algorithm_of_header(n) for n in names]
    if len(names) != 1 or algorithms[0] is None:
        raise ValueError(
            f"X-Amz-Trailer: must name one x-amz-checksum-* header ({', '.join(ALGORITHMS)})"
        )
    return algorithms[0]


@dataclass(frozen=True)
class ChunkedLayout:
    """What an aws-chunked body holds, read without a secret (for the debugger)."""

    variant: Variant
    chunk_sizes: tuple[int, ...]
    trailers: tuple[tuple[str, str], ...]
    """Trailer lines, names lower-cased; the trailer signature's value is replaced by '***'."""
    reason: str | None
    """None when the framing, checksum and decoded length are right, else a Reason value."""
    problem: str | None


def read_layout(
    body: bytes,
    payload_hash: str,
    *,
    trailer_header: str | None = None,
    decoded_length: int | None = None,
    max_chunk_size: int = MAX_CHUNK_SIZE,
) -> ChunkedLayout | None:
    """The chunks and trailer of ``body`` under ``payload_hash`` (None when that is not an
    aws-chunked variant), with the framing, checksum and decoded length checked but no
    signature (that needs the secret: ``verify_request``). Bounded like ``ChunkDecoder``."""
    variant = VARIANTS.get(payload_hash)
    if variant is None:
        return None
    reason = problem = None
    try:
        trailer = trailer_algorithm(trailer_header) if variant.trailer else None
    except ValueError as exc:
        return ChunkedLayout(variant, (), (), "malformed_chunk", str(exc))
    try:
        decoder = ChunkDecoder(
            variant, seed="", amzdate="", scope="", check=None, decoded_length=decoded_length,
            trailer=trailer, max_chunk_size=max_chunk_size, record_sizes=True,
        )
    except Error as exc:  # a checksum whose library is not installed (xxhash)
        return ChunkedLayout(variant, (), (), "malformed_chunk", f"cannot be checked: {exc}")
    try:
        decoder.feed(body)
        decoder.finish()
    except ChunkError as exc:
        reason, problem = exc.reason, str(exc)
    trailers = tuple(
        (name, "***" if name == TRAILER_SIGNATURE else value) for name, value in decoder.trailers
    )
    return ChunkedLayout(variant, tuple(decoder.sizes or ()), trailers, reason, problem)
