"""The server's side of aws-chunked: ``ChunkedVerifier`` fed the body as it arrives.

The contract checked: each chunk's bytes come out only once that chunk's signature checked,
memory stays at one chunk, the maximum chunk size is enforced, and the final verdict is the
one-shot verdict, whatever the read sizes.
"""

from __future__ import annotations

import os
import random
import tracemalloc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sigv4kit import Request, SigningError
from sigv4kit.chunked import VARIANTS, ChunkDecoder, ChunkError
from sigv4kit.received import Reason
from sigv4kit.streaming import ChunkedVerifier, sign_chunked
from sigv4kit.verify import verify_request

from .test_streaming import (
    _EXAMPLE_TRAILER_BODY,
    _EXAMPLE_TRAILER_UPLOAD,
    CHUNK_SIGS,
    EXAMPLE_CREDS,
    EXAMPLE_TIME,
    EXAMPLE_URL,
    LOOKUP,
    PUBLISHED_TRAILER,
    SEED,
    TRAILER_CHUNK_SIGS,
    check,
    example_upload,
    published_body,
)


def _streamed(upload, body: bytes, sizes: list[int], **kw: object):  # type: ignore[no-untyped-def]
    head_request = Request(upload.request.method, upload.request.url, upload.request.headers)
    head = check(head_request, defer_body=True)
    assert head.valid and "not verified yet" in head.message
    verifier = ChunkedVerifier(head, head_request, LOOKUP, **kw)  # type: ignore[arg-type]
    out: list[bytes] = []
    pos = 0
    rng = random.Random(7)
    while pos < len(body):
        n = rng.choice(sizes)
        out += verifier.feed(body[pos : pos + n])
        pos += n
    return out, verifier.finish()


def test_incremental_verifier_any_read_sizes() -> None:
    for trailer, sigs, tail in ((None, CHUNK_SIGS, None),
                                ("crc32c", TRAILER_CHUNK_SIGS, PUBLISHED_TRAILER)):
        upload = example_upload(trailer=trailer)
        out, verdict = _streamed(upload, published_body(sigs, tail), [1, 2, 3, 100, 70_000])
        assert verdict.valid, verdict.message
        assert [len(piece) for piece in out] == [65536, 1024]
        assert b"".join(out) == b"a" * 66560


def test_incremental_verifier_yields_nothing_unproven() -> None:
    for where, reason in ((65626 + 86 + 5, Reason.CHUNK_SIGNATURE_MISMATCH),
                          (65626 + 5, Reason.MALFORMED_CHUNK)):
        body = bytearray(published_body(CHUNK_SIGS))
        body[where] ^= 1  # second chunk's data, then its header, forged
        for sizes in ([4096], [len(body)]):
            out, verdict = _streamed(example_upload(), bytes(body), sizes)
            assert [len(piece) for piece in out] == [65536]  # only the proven first chunk
            assert verdict.reason == reason
            assert "chunk 2 at byte offset 65626" in verdict.message


def test_incremental_verifier_enforces_max_chunk_size() -> None:
    out, verdict = _streamed(example_upload(), published_body(CHUNK_SIGS), [1000],
                             max_chunk_size=16384)
    assert out == [] and verdict.reason == Reason.MALFORMED_CHUNK
    assert "over the limit of 16384" in verdict.message


def test_incremental_verifier_needs_a_valid_headers_verdict() -> None:
    upload = example_upload()
    head_request = Request("PUT", upload.request.url, upload.request.headers)
    late = verify_request(head_request, LOOKUP, defer_body=True)  # the clock: 2013 is expired
    assert not late.valid
    with pytest.raises(SigningError, match="verdict: must be a valid headers verdict"):
        ChunkedVerifier(late, head_request, LOOKUP)


def test_decoder_memory_is_bounded_by_one_chunk() -> None:
    """A server feeding a 16 MiB-chunk upload piece by piece holds one chunk, not the body."""
    data = os.urandom(4 * 1024 * 1024)
    upload = sign_chunked(Request("PUT", EXAMPLE_URL), EXAMPLE_CREDS, region="us-east-1",
                          service="s3", payload=data, chunk_size=256 * 1024,
                          timestamp=EXAMPLE_TIME)
    body = upload.body.read_all()
    head_request = Request("PUT", upload.request.url, upload.request.headers)
    verifier = ChunkedVerifier(check(head_request, defer_body=True), head_request, LOOKUP)
    tracemalloc.start()
    total = 0
    for start in range(0, len(body), 65536):
        total += sum(len(p) for p in verifier.feed(body[start : start + 65536]))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert verifier.finish().valid and total == len(data)
    assert peak < 3 * 256 * 1024, peak


def test_decoder_refuses_input_after_failure() -> None:
    decoder = ChunkDecoder(
        VARIANTS["STREAMING-AWS4-HMAC-SHA256-PAYLOAD"],
        seed=SEED, amzdate=EXAMPLE_TIME, scope="20130524/us-east-1/s3/aws4_request",
        check=lambda to_sign, sig: False, decoded_length=None, trailer=None,
    )
    with pytest.raises(ChunkError):
        decoder.feed(b"zz\r\n")
    with pytest.raises(ChunkError, match="has failed"):
        decoder.feed(b"0\r\n")


@given(st.lists(st.integers(1, 9000), min_size=1, max_size=40))
def test_any_split_of_the_body_gives_the_same_verdict(sizes: list[int]) -> None:
    head_request = Request("PUT", EXAMPLE_URL, _EXAMPLE_TRAILER_UPLOAD.request.headers)
    verifier = ChunkedVerifier(check(head_request, defer_body=True), head_request, LOOKUP)
    body, pos, out = _EXAMPLE_TRAILER_BODY, 0, []
    for size in sizes * (len(body) // sum(sizes) + 1):
        out += verifier.feed(body[pos : pos + size])
        pos += size
    assert verifier.finish().valid
    assert b"".join(out) == b"a" * 66560



def test_a_lookup_that_is_not_one_is_a_signing_error_naming_it() -> None:
    """Issue 22: ``verify_request(r, None)`` and a lookup returning a str raised TypeError.
    Both are the caller's bug: SigningError naming ``lookup`` (never quoting what it returned,
    which may be a secret), from every entry point that takes a lookup."""
    from sigv4kit import presign, verify_presigned_url

    head_request = Request("PUT", EXAMPLE_URL, _EXAMPLE_TRAILER_UPLOAD.request.headers)
    whole = Request("PUT", EXAMPLE_URL, _EXAMPLE_TRAILER_UPLOAD.request.headers,
                    _EXAMPLE_TRAILER_BODY)
    url = presign(Request("GET", EXAMPLE_URL), EXAMPLE_CREDS, region="us-east-1", service="s3",
                  timestamp=EXAMPLE_TIME).url
    secret = EXAMPLE_CREDS.secret_access_key
    bad_lookups = (None, "not callable", lambda key: secret, lambda key: (key, secret))
    for lookup in bad_lookups:
        with pytest.raises(SigningError) as caught:
            verify_request(whole, lookup, now=EXAMPLE_TIME)  # type: ignore[arg-type]
        assert caught.value.field == "lookup" and secret not in str(caught.value)
        with pytest.raises(SigningError) as caught:
            verify_presigned_url(url, lookup, now=EXAMPLE_TIME)  # type: ignore[arg-type]
        assert caught.value.field == "lookup" and secret not in str(caught.value)
        head = check(head_request, defer_body=True)
        with pytest.raises(SigningError) as caught:
            ChunkedVerifier(head, head_request, lookup)  # type: ignore[arg-type]
        assert caught.value.field == "lookup" and secret not in str(caught.value)
    assert verify_request(whole, lambda key: None, now=EXAMPLE_TIME).reason == "unknown_access_key"
