"""The proxy's outgoing bodies: plain bytes framed as aws-chunked signed chunks (signing
mode), a client's aws-chunked upload verified and re-framed chunk by chunk in the proxy's own
chain (re-signing mode), and a client's body forwarded as it is while checked. A failure
raises ``Refused`` with AWS's answer; the last piece is always held back until the whole body
checked, so a failing upload never completes upstream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from ..checksums import digest_size, header_name
from ..chunked import (
    TRAILER_SIGNATURE,
    ChunkDecoder,
    ChunkError,
    Variant,
    chunk_head,
    framed_length,
)
from ..errors import Error
from ..model import Request
from ..received import Reason
from ..streaming import _ChunkSigner
from ..verify import VerifyResult, streaming_verdict
from ._gate import BodyCheck
from .errors import ErrorResponse, error_response

__all__: list[str] = []

CHUNK_SIZE = 64 * 1024
"""The proxy's chunk size: the aws-chunked chunks it frames and the pieces it reads."""


class Refused(Error):
    """The request is refused with ``answer`` (AWS's error), before or while it is sent."""

    def __init__(self, answer: ErrorResponse) -> None:
        super().__init__(f"refused: {answer.code}")
        self.answer = answer


async def frames(source: AsyncIterator[bytes], chain: _ChunkSigner) -> AsyncIterator[bytes]:
    """aws-chunked signed chunks of CHUNK_SIZE bytes, signed as they are framed."""
    pending = bytearray()
    async for data in source:
        pending += data
        while len(pending) >= CHUNK_SIZE:
            chunk = bytes(pending[:CHUNK_SIZE])
            del pending[:CHUNK_SIZE]
            yield b"".join((chunk_head(len(chunk), chain.chunk(chunk)), chunk, b"\r\n"))
    if pending:
        chunk = bytes(pending)
        yield b"".join((chunk_head(len(chunk), chain.chunk(chunk)), chunk, b"\r\n"))
    yield chunk_head(0, chain.chunk(b"")) + b"\r\n"


async def reframed(source: AsyncIterator[bytes], decoder: ChunkDecoder, chain: _ChunkSigner,
                    trailer: str | None, head: VerifyResult,
                    protocol: str) -> AsyncIterator[bytes]:
    """The client's aws-chunked body, each chunk verified in its chain, then re-framed in
    CHUNK_SIZE chunks (whatever the client's sizes, so the framed length is known up front:
    ``reframed_length``) signed in ours. Memory: one client chunk plus one of ours. The last
    frame waits for the client's last chunk to verify, so a forged upload never completes."""
    pending = bytearray()
    try:
        async for data in source:
            for chunk in decoder.feed(data):
                pending += chunk
                while len(pending) >= CHUNK_SIZE:
                    piece = bytes(pending[:CHUNK_SIZE])
                    del pending[:CHUNK_SIZE]
                    yield b"".join((chunk_head(len(piece), chain.chunk(piece)), piece, b"\r\n"))
        decoder.finish()
    except ChunkError as exc:
        raise Refused(refusal(streaming_verdict(head, Reason(exc.reason), str(exc)),
                                protocol)) from None
    if pending:
        piece = bytes(pending)
        yield b"".join((chunk_head(len(piece), chain.chunk(piece)), piece, b"\r\n"))
    final = chunk_head(0, chain.chunk(b""))
    if trailer is None:
        yield final + b"\r\n"
        return
    # the one checksum the decoder checked, spaced as ``reframed_length`` counts it
    pairs = [(n, v.strip()) for n, v in decoder.trailers if n != TRAILER_SIGNATURE]
    text = "".join([f"{n}:{v}\r\n" for n, v in pairs])
    text += f"{TRAILER_SIGNATURE}:{chain.trailer(pairs)}\r\n"
    yield final + text.encode("ascii") + b"\r\n"


def reframed_length(head: Request, variant: Variant, trailer: str | None) -> int | None:
    """The Content-Length of ``reframed``'s body, from X-Amz-Decoded-Content-Length (the
    decoder holds the client to it) and the one checksum trailer X-Amz-Trailer names (its
    value's length is fixed by the algorithm); None without a declared length."""
    declared = (head.header("x-amz-decoded-content-length") or "").strip()
    if not declared.isdigit() or not declared.isascii():
        return None
    value_length = 0 if trailer is None else 4 * ((digest_size(trailer) + 2) // 3)
    return framed_length(int(declared), CHUNK_SIZE, variant,
                         None if trailer is None else header_name(trailer), value_length)


async def checked(source: AsyncIterator[bytes], check: BodyCheck | ChunkDecoder,
                   head: VerifyResult, protocol: str) -> AsyncIterator[bytes]:
    """The client's bytes forwarded as they are, checked on the way. The last piece is held
    back until the whole body checked, so a failing upload never completes upstream."""
    held: bytes | None = None
    try:
        async for data in source:
            check.feed(data)
            if isinstance(check, BodyCheck) and check.failed is not None:
                raise Refused(refusal(check.failed, protocol))
            if held is not None:
                yield held
            held = data
        if isinstance(check, ChunkDecoder):
            check.finish()
        else:
            final = check.finish()
            if not final.valid:
                raise Refused(refusal(final, protocol))
    except ChunkError as exc:
        raise Refused(refusal(streaming_verdict(head, Reason(exc.reason), str(exc)),
                                protocol)) from None
    if held is not None:
        yield held


def refusal(verdict: VerifyResult, protocol: str) -> ErrorResponse:
    return error_response(verdict, protocol)
