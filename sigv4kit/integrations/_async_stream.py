"""aws-chunked framing for async bodies (httpx's and aiohttp's async iterators).

``sign_chunked`` frames a *sync* payload as it is iterated. An async iterator cannot be read
from inside that sync iteration, so ``AsyncFeed`` turns it around: the async side reads the
source, cuts it into chunks of exactly ``chunk_size`` bytes and hands each to the framed body
just before asking it for the next frame. ``sign_chunked`` makes a chunk's frame as soon as it
holds ``chunk_size`` bytes, so one chunk in gives one frame out, and the framing, chunk
signatures, decoded-length checks and checksum trailer stay ``sign_chunked``'s own, written
once. Memory: one chunk (plus whatever one piece of the source holds).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Iterator

from ..errors import SigningError
from ..streaming import FramedBody


class AsyncFeed:
    """The sync payload given to ``sign_chunked`` for an async source: it yields the chunks
    ``frames_of`` put in, and ends once the source has."""

    def __init__(self) -> None:
        self._chunks: deque[bytes] = deque()
        self._ended = False

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self._chunks:
            return self._chunks.popleft()
        if self._ended:
            raise StopIteration
        raise RuntimeError("aws-chunked framing asked for a chunk before it was read")

    def put(self, chunk: bytes) -> None:
        self._chunks.append(chunk)

    def end(self) -> None:
        self._ended = True


async def frames_of(
    body: FramedBody, feed: AsyncFeed, source: AsyncIterable[bytes], chunk_size: int
) -> AsyncIterator[bytes]:
    """The framed body of ``source``, one signed chunk at a time."""
    pending = bytearray()
    async for piece in source:
        if not isinstance(piece, bytes | bytearray | memoryview):
            raise SigningError(
                f"payload: yielded {type(piece).__name__}, not bytes", field="payload"
            )
        pending += piece
        while len(pending) >= chunk_size:
            feed.put(bytes(pending[:chunk_size]))
            del pending[:chunk_size]
            yield next(body)
    if pending:
        feed.put(bytes(pending))
    feed.end()
    for frame in body:  # the last short chunk, the final chunk and the trailer
        yield frame


async def frames_in_thread(body: FramedBody) -> AsyncIterator[bytes]:
    """The framed body of a sync file, each chunk read (and signed) in a worker thread so
    the event loop is never blocked by the file."""
    while (frame := await asyncio.to_thread(next, body, None)) is not None:
        yield frame
