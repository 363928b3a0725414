"""Raw requests from ``@file`` / ``@-`` of any size: the head bounded, the body streamed.

A capture of a multi-megabyte upload is a normal thing to verify, but it must never be read
into memory whole (nor ``/dev/zero``, whose head never ends). Up to ``wire.MAX_INPUT_BYTES``
the request is parsed whole; past that only its head is parsed (it must end within that
limit) and the body is read in pieces as it is hashed or checked chunk by chunk.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

import click

from ..errors import SigningError
from ..model import Request
from .common import clean_message

if TYPE_CHECKING:
    from ..diagnose.explain import Explanation
    from ..verify import Lookup, VerifyResult

PIECE = 64 * 1024
MAX_STREAMED_BODY = 5 * 1024**3
"""The largest body streamed: S3's limit for one PUT (5 GiB)."""


@dataclass
class LargeRequest:
    """A request whose body is still in the file: ``head`` has every header, no body."""

    head: Request
    first: bytes
    stream: BinaryIO
    length: int | None

    def pieces(self) -> Iterator[bytes]:
        """The body in pieces: exactly Content-Length bytes when given, else to the end; a
        ``Transfer-Encoding: chunked`` body with its HTTP framing taken off as it is read."""
        from ..wire import body_reader

        reader = body_reader(self.head)
        if reader is None:
            yield from self._sent()
            return
        try:
            for sent in self._sent():
                yield from (piece for piece in reader.feed(sent) if piece)
                if reader.done:
                    return
            reader.finish()
        except SigningError as exc:
            raise click.BadParameter(clean_message(str(exc)), param_hint="REQUEST") from None

    def _sent(self) -> Iterator[bytes]:
        """The body's bytes as sent: exactly Content-Length bytes when given, else to the end."""
        left = MAX_STREAMED_BODY if self.length is None else self.length
        if left > MAX_STREAMED_BODY:
            raise click.BadParameter(
                f"the body is over {MAX_STREAMED_BODY} bytes", param_hint="REQUEST"
            )
        piece = self.first[:left]
        while piece:
            left -= len(piece)
            yield piece
            piece = self.stream.read(min(PIECE, left)) if left else b""
        if left and self.length is not None:
            raise click.BadParameter(
                f"Content-Length says {self.length} bytes but the body ends "
                f"{left} bytes short",
                param_hint="REQUEST",
            )

    def sha256(self) -> tuple[str, int]:
        """The body's SHA-256 and length, read in pieces."""
        digest = hashlib.sha256()
        size = 0
        for piece in self.pieces():
            digest.update(piece)
            size += len(piece)
        return digest.hexdigest(), size


def open_raw(source: str, stack: ExitStack) -> Request | LargeRequest:
    """The raw request in ``source`` (a path, or ``-`` for standard input)."""
    from ..wire import MAX_INPUT_BYTES, parse_raw_head, parse_raw_request

    stream = _open(source, stack)
    data = stream.read(MAX_INPUT_BYTES + 1)
    try:
        if len(data) <= MAX_INPUT_BYTES:
            return parse_raw_request(data)
        head, rest = parse_raw_head(data[:MAX_INPUT_BYTES])
    except SigningError as exc:  # the request's own headers, not --header
        raise click.BadParameter(clean_message(str(exc)), param_hint="REQUEST") from None
    declared = (head.header("content-length") or "").strip()
    length = int(declared) if declared.isascii() and declared.isdigit() else None
    return LargeRequest(head, rest + data[MAX_INPUT_BYTES:], stream, length)


def _open(source: str, stack: ExitStack) -> BinaryIO:
    """Standard input for ``-``, else a regular file (a FIFO or device is refused)."""
    from .inputfile import InputFileError, open_regular

    if source == "-":
        return sys.stdin.buffer
    try:
        return stack.enter_context(open_regular(source))  # closed by the stack
    except InputFileError as exc:
        raise click.BadParameter(str(exc), param_hint="REQUEST") from None


def verify_large(large: LargeRequest, lookup: Lookup, **options: Any) -> VerifyResult:
    """``verify_request`` of a request whose body is streamed: headers first
    (``defer_body``), then an aws-chunked body chunk by chunk, or a body's SHA-256 against the
    X-Amz-Content-SHA256 it states. A body without either cannot be streamed: its own hash is
    in the signature."""
    from ..options import STREAMING_PREFIX, UNSIGNED_PAYLOAD, is_sha256_hex
    from ..received import Reason
    from ..streaming import ChunkedVerifier
    from ..verify import streaming_verdict, verify_request

    verdict = verify_request(large.head, lookup, defer_body=True, **options)
    if not verdict.valid:
        return verdict
    stated = (large.head.header("x-amz-content-sha256") or "").strip()
    if stated.startswith(STREAMING_PREFIX):
        body = ChunkedVerifier(verdict, large.head, lookup)
        for piece in large.pieces():
            body.feed(piece)
            if body.failed is not None:
                break
        return body.finish()
    if is_sha256_hex(stated):
        digest, size = large.sha256()
        if digest != stated:
            return streaming_verdict(
                verdict, Reason.PAYLOAD_HASH_MISMATCH,
                f"the signature is valid but X-Amz-Content-SHA256 is not the SHA-256 of the "
                f"{size}-byte body received (body altered or truncated?)",
            )
        return streaming_verdict(verdict, Reason.OK, verdict.message.partition(";")[0])
    if stated == UNSIGNED_PAYLOAD:
        return verdict
    raise click.BadParameter(
        "a request over 1 MiB is verified as it is read only when X-Amz-Content-SHA256 states "
        "its body's hash or the body is aws-chunked",
        param_hint="REQUEST",
    )


def explain_large(large: LargeRequest, **options: Any) -> Explanation:
    """``explain_request`` of the head, with the streamed body's length and, where
    X-Amz-Content-SHA256 states one, its SHA-256 checked."""
    from ..diagnose.explain import ExplainWarning, explain_request
    from ..options import is_sha256_hex

    result = explain_request(large.head, **options)
    stated = (large.head.header("x-amz-content-sha256") or "").strip()
    digest, size = large.sha256()
    warnings = list(result.warnings)
    if is_sha256_hex(stated) and digest != stated:
        warnings.append(ExplainWarning(
            "payload_hash_mismatch",
            f"X-Amz-Content-SHA256 is not the SHA-256 of the {size}-byte body: the service "
            "refuses it (body altered or truncated?)",
        ))
    return dataclasses.replace(result, body_length=size, warnings=tuple(warnings))
