"""Answers a hostile or broken server gives, as ``FaultyServer`` actions: redirecting the
signed request elsewhere, trickling a byte a second, staying silent, cutting the body short,
sending a huge body or a gzip bomb. Each is bounded in time (``MAX_HOSTILE_SECONDS``) and ends
early when the server closes, so no test can hang on one::

    with FaultyServer(host="127.0.0.2") as elsewhere, FaultyServer(
            [Redirect(elsewhere.url + "/")]) as server:
        ...  # the client must refuse; elsewhere.requests must stay empty
"""

from __future__ import annotations

import threading
import time
import zlib
from dataclasses import dataclass, field
from email.utils import formatdate

from .._caches import cached
from .faulty_server import XML_CONTENT_TYPE, Truncated, _Context

MAX_HOSTILE_SECONDS = 120.0
"""Longest any hostile action keeps a connection busy."""

__all__ = [
    "MAX_HOSTILE_SECONDS",
    "ByteCount",
    "EndlessSkewError",
    "GzipBomb",
    "Huge",
    "Redirect",
    "Silent",
    "Trickle",
    "Truncated",
    "gzip_bomb",
]


def _bounded(seconds: float, name: str) -> None:
    if not 0 <= seconds <= MAX_HOSTILE_SECONDS:
        raise ValueError(f"{name} must be in 0..{MAX_HOSTILE_SECONDS}, got {seconds}")


@dataclass(frozen=True)
class Redirect:
    """``status`` (307 by default) with ``Location: location`` and a small body."""

    location: str
    status: int = 307

    def perform(self, ctx: _Context) -> None:
        body = b"<Redirect/>"
        ctx.send_head(self.status, [("Location", self.location),
                                    ("Content-Type", XML_CONTENT_TYPE)], len(body))
        ctx.send(body)


@dataclass(frozen=True)
class Trickle:
    """The whole answer (status line and headers too), ``step`` bytes every ``interval``
    seconds, for at most ``limit`` seconds: every single read succeeds, the answer never
    completes in reasonable time."""

    body: bytes = b"<Response>" + b" " * 4096 + b"</Response>"
    interval: float = 1.0
    step: int = 1
    limit: float = 60.0

    def __post_init__(self) -> None:
        _bounded(self.limit, "Trickle.limit")
        _bounded(self.interval, "Trickle.interval")

    def perform(self, ctx: _Context) -> None:
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: {XML_CONTENT_TYPE}\r\n"
                f"Content-Length: {len(self.body)}\r\n\r\n").encode("ascii")
        data = head + self.body
        spent = 0.0
        for start in range(0, len(data), self.step):
            ctx.send(data[start:start + self.step])
            if spent >= self.limit or not ctx.pause(self.interval):
                break
            spent += self.interval
        ctx.close_after()


@dataclass(frozen=True)
class Silent:
    """Read the request, then say nothing for ``seconds`` and close."""

    seconds: float = 60.0

    def __post_init__(self) -> None:
        _bounded(self.seconds, "Silent.seconds")

    def perform(self, ctx: _Context) -> None:
        ctx.pause(self.seconds)
        ctx.close_after()


@dataclass(frozen=True)
class Huge:
    """HTTP 200 announcing and sending ``size`` bytes of XML-looking filler, generated piece by
    piece (the server never holds it); ``declare`` False sends no Content-Length (close
    delimits the body)."""

    size: int = 100 * 1024 * 1024
    declare: bool = True
    chunk_size: int = 256 * 1024

    def perform(self, ctx: _Context) -> None:
        length = self.size if self.declare else 0
        if self.declare:
            ctx.send_head(200, [("Content-Type", XML_CONTENT_TYPE)], length)
        else:
            ctx.send(f"HTTP/1.1 200 OK\r\nContent-Type: {XML_CONTENT_TYPE}\r\n"
                     "Connection: close\r\n\r\n".encode("ascii"))
            ctx.close_after()
        piece = b"<a>" + b"x" * (self.chunk_size - 7) + b"</a>"
        sent = 0
        while sent < self.size:
            part = piece[: self.size - sent]
            ctx.send(part)
            sent += len(part)


@cached(4, keys="decoded size", reason="a bomb is compressed once per size")
def gzip_bomb(decoded_size: int) -> bytes:
    """A gzip member that inflates to ``decoded_size`` zero bytes (about 1000:1)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    parts = []
    left = decoded_size
    while left > 0:
        parts.append(packer.compress(block[: min(left, len(block))]))
        left -= len(block)
    parts.append(packer.flush())
    return b"".join(parts)


@dataclass(frozen=True)
class GzipBomb:
    """HTTP 200 with ``Content-Encoding: gzip`` whose body inflates to ``decoded_size`` bytes
    (200 MB by default, about 200 KB on the wire)."""

    decoded_size: int = 200 * 1024 * 1024

    def perform(self, ctx: _Context) -> None:
        body = gzip_bomb(self.decoded_size)
        ctx.send_head(200, [("Content-Type", XML_CONTENT_TYPE), ("Content-Encoding", "gzip")],
                      len(body))
        ctx.send(body)


class ByteCount:
    """Bytes an action has written so far (thread-safe): what a client really read, give or
    take the sockets' buffers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def add(self, n: int) -> None:
        with self._lock:
            self.value += n


@dataclass(frozen=True)
class EndlessSkewError:
    """HTTP 403 whose ``Date`` is ``offset`` seconds off the machine's clock and whose body,
    ``Transfer-Encoding: chunked`` (or, ``chunked`` False, delimited by the close), starts as
    S3's ``code`` error (RequestTimeTooSkewed) and goes on until ``limit`` bytes or the client
    hangs up.
    ``served`` counts the body bytes written: a client that reads a bounded error body stops
    it after a few socket buffers."""

    offset: float = -3600.0
    limit: int = 128 * 1024 * 1024
    chunked: bool = True
    chunk_size: int = 64 * 1024
    code: str = "RequestTimeTooSkewed"
    served: ByteCount = field(default_factory=ByteCount, compare=False)

    def perform(self, ctx: _Context) -> None:
        framing = "Transfer-Encoding: chunked" if self.chunked else "Connection: close"
        ctx.close_after()
        date = formatdate(time.time() + self.offset, usegmt=True)
        head = (f"HTTP/1.1 403 Forbidden\r\nDate: {date}"
                f"\r\nContent-Type: application/xml\r\n{framing}\r\n\r\n").encode("ascii")
        start = (f"<Error><Code>{self.code}</Code><Message>The difference between the "
                 "request time and the current time is too large.</Message><Pad>").encode()
        filler = b"x" * self.chunk_size
        try:
            ctx.send(head)
            sent = 0
            piece = start
            while sent < self.limit:
                ctx.send(b"%x\r\n%s\r\n" % (len(piece), piece) if self.chunked else piece)
                sent += len(piece)
                self.served.add(len(piece))
                piece = filler
            if self.chunked:
                ctx.send(b"0\r\n\r\n")
        except OSError:
            return  # the client hung up: what it did not read was not served
