"""Content-Encoding undone in bounded steps, so a small gzip answer cannot become gigabytes
in memory: each step yields at most ``chunk`` bytes, and the caller counts them.

https://www.rfc-editor.org/rfc/rfc9110#section-8.4 (codings applied in order, undone in
reverse). Only gzip and deflate are decoded, because only they are asked for.

Pure (bytes in, bytes out): the transport decodes answers with it, and the adapters the error
bodies they read on their own (the clock-skew check), so neither can be made to inflate more.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

from .errors import Error

__all__ = ["ACCEPT_ENCODING", "MAX_LAYERS", "DecodingError", "codings", "decoded"]

ACCEPT_ENCODING = "gzip, deflate"
"""What the transport asks for when the signed request does not say."""

_GZIP_WBITS = 16 + zlib.MAX_WBITS
MAX_LAYERS = 2
"""More codings than this on one answer is an attack, not a server."""


class DecodingError(Error):
    """The body is not in the coding it claims, or the coding is not one we decode."""


def codings(content_encoding: str | None) -> list[str]:
    """The codings to undo, outermost first; identity dropped."""
    names = [c.strip().lower() for c in (content_encoding or "").split(",")]
    names = [c for c in names if c and c != "identity"]
    for name in names:
        if name not in ("gzip", "x-gzip", "deflate"):
            raise DecodingError(f"Content-Encoding {name!r} is not one the request accepted")
    if len(names) > MAX_LAYERS:
        raise DecodingError(f"{len(names)} layers of Content-Encoding")
    return names[::-1]


class _Layer:
    """One coding, undone piece by piece with ``max_length`` so output stays bounded."""

    _REPLAY = 4096
    """Bytes of a "deflate" body kept until it proves to be zlib-wrapped, to replay as raw."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._deflate_raw = False
        self._started = False
        self._replay = b""
        self._obj = self._new()

    def _new(self) -> zlib._Decompress:
        if self.name == "deflate":
            return zlib.decompressobj(-zlib.MAX_WBITS if self._deflate_raw else zlib.MAX_WBITS)
        return zlib.decompressobj(_GZIP_WBITS)

    def feed(self, data: bytes, chunk: int) -> Iterator[bytes]:
        guessing = self.name == "deflate" and not self._deflate_raw and not self._started
        if guessing:
            self._replay += data
        pending = bool(data)
        while data or pending:
            try:
                out = self._obj.decompress(data, chunk)
            except zlib.error:
                if guessing and len(self._replay) <= self._REPLAY:
                    # Some servers send raw deflate (no zlib header), as browsers tolerate.
                    self._deflate_raw, guessing = True, False
                    self._obj = self._new()
                    data, self._replay = self._replay, b""
                    continue
                raise DecodingError(f"body is not valid {self.name}") from None
            if out:
                self._started = True
                self._replay = b""
                yield out
            if self._obj.eof:
                rest = self._obj.unused_data
                if rest and self.name != "deflate":  # gzip may have several members
                    self._obj = self._new()
                    data = rest
                    continue
                return
            data = self._obj.unconsumed_tail
            pending = len(out) == chunk  # cut at max_length: zlib may hold more output

    def finish(self) -> None:
        if not self._obj.eof and (self._started or self._replay or self._deflate_raw):
            raise DecodingError(f"{self.name} body ends mid-stream")


def decoded(raw: Iterable[bytes], content_encoding: str | None, chunk: int) -> Iterator[bytes]:
    """``raw`` with its codings undone; every piece is at most ``chunk`` bytes."""
    layers = [_Layer(name) for name in codings(content_encoding)]
    if not layers:
        yield from raw
        return

    def through(data: bytes, depth: int) -> Iterator[bytes]:
        if depth == len(layers):
            yield data
            return
        for piece in layers[depth].feed(data, chunk):
            yield from through(piece, depth + 1)

    for data in raw:
        yield from through(data, 0)
    for layer in layers:
        layer.finish()
