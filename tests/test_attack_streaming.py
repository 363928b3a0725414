"""Attack review of the streaming surface: aws-chunked decoding, HTTP chunked captures, the
capture server and ``@file`` input, each finding pinned as a regression test."""

from __future__ import annotations

import tracemalloc

from sigv4kit import Request
from sigv4kit.streaming import ChunkedVerifier, sign_chunked

from .test_streaming import EXAMPLE_CREDS, EXAMPLE_TIME, EXAMPLE_URL, LOOKUP, check


def _signed_upload(data: bytes, chunk_size: int, **kw: object):  # type: ignore[no-untyped-def]
    return sign_chunked(Request("PUT", EXAMPLE_URL), EXAMPLE_CREDS, region="us-east-1",
                        service="s3", payload=data, chunk_size=chunk_size,
                        timestamp=EXAMPLE_TIME, **kw)  # type: ignore[arg-type]


def _verifier(upload) -> ChunkedVerifier:  # type: ignore[no-untyped-def]
    head_request = Request("PUT", upload.request.url, upload.request.headers)
    return ChunkedVerifier(check(head_request, defer_body=True), head_request, LOOKUP)


def test_a_chunk_fed_a_byte_at_a_time_costs_its_size_not_a_view_per_byte() -> None:
    """A server feeds what each socket read (or each HTTP chunk) gives: a client sending a
    64 KiB aws-chunk one byte per read made the decoder hold 64 Ki memoryviews, ~320 times
    the chunk (a 16 MiB chunk: over 5 GB)."""
    data = bytes(range(256)) * 256
    body = _signed_upload(data, 65536).body.read_all()
    verifier = _verifier(_signed_upload(data, 65536))
    out: list[bytes] = []
    tracemalloc.start()
    try:
        for i in range(len(body)):
            out += verifier.feed(body[i : i + 1])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert verifier.finish().valid and b"".join(out) == data
    assert peak < 4 * len(data), peak
