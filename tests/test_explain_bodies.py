"""explain reading bodies without the secret: aws-chunked chunks and trailer, a plain body's
hash, and a request signed with a Date header.

The aws-chunked body is the S3 API Reference's own example ("Transferring Payload in Multiple
Chunks": 66,560 bytes of ``a`` in 64 KiB chunks), written out from the published chunk
signatures; the corpus (tests/test_corpus.py) adds what boto3 and the AWS CLI really send.
"""

from __future__ import annotations

import json

from sigv4kit import Credentials, Request, sign_request
from sigv4kit.diagnose.explain import explain_request, render_text, to_dict

from .test_streaming import (
    CHUNK_SIGS,
    EXAMPLE_TIME,
    EXAMPLE_URL,
    PUBLISHED_TRAILER,
    SEED,
    TRAILER_CHUNK_SIGS,
    TRAILER_SIGNATURE,
    example_upload,
    published_body,
)


def _published(trailer: bool = False, body: bytes | None = None) -> Request:
    upload = example_upload("crc32c") if trailer else example_upload()
    framed = published_body(TRAILER_CHUNK_SIGS, PUBLISHED_TRAILER) if trailer else published_body(
        CHUNK_SIGS)
    return Request("PUT", EXAMPLE_URL, upload.request.headers, framed if body is None else body)


def test_chunks_of_the_published_example() -> None:
    request = _published()
    assert SEED in (request.header("authorization") or "")
    e = explain_request(request, now=EXAMPLE_TIME)
    assert [w.code for w in e.warnings] == []
    assert e.payload == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    assert e.chunk_sizes == (65536, 1024, 0) and e.trailers == ()
    text = render_text(e)
    assert "aws-chunked (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), 3 chunks (65536, 1024, 0 bytes)" in (
        text) and "66560 bytes decoded" in text
    assert to_dict(e)["aws_chunked"] == {
        "chunks": 3, "chunk_sizes": [65536, 1024, 0], "decoded_length": 66560, "trailers": [],
    }


def test_trailer_of_the_published_example_is_shown_with_its_signature_hidden() -> None:
    e = explain_request(_published(trailer=True), now=EXAMPLE_TIME)
    assert [w.code for w in e.warnings] == []
    assert e.payload == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
    assert e.trailers == (("x-amz-checksum-crc32c", "sOO8/Q=="),
                          ("x-amz-trailer-signature", "***"))
    shown = render_text(e) + json.dumps(to_dict(e))
    assert TRAILER_SIGNATURE not in shown and "x-amz-checksum-crc32c: sOO8/Q==" in shown


def test_broken_bodies_are_warned_about_without_the_secret() -> None:
    body = published_body(TRAILER_CHUNK_SIGS, PUBLISHED_TRAILER)
    wrong = body.replace(b"sOO8/Q==", b"AAAAAA==")
    e = explain_request(_published(True, wrong), now=EXAMPLE_TIME)
    assert [w.code for w in e.warnings] == ["checksum_mismatch"]
    truncated = explain_request(_published(False, published_body(CHUNK_SIGS)[:60000]),
                                now=EXAMPLE_TIME)
    assert [w.code for w in truncated.warnings] == ["malformed_chunk"]
    body = published_body(CHUNK_SIGS)
    second = body.index(b"400;chunk-signature=")
    head = body.index(b"\r\n", second) + 2
    shorter = body[:second] + b"3ff" + body[second + 3 : head] + b"a" * 1023 + body[head + 1024 :]
    short = explain_request(_published(False, shorter), now=EXAMPLE_TIME)
    assert [w.code for w in short.warnings] == ["decoded_length_mismatch"]
    # A chunk signature needs the secret: explain cannot see it forged, verify can.
    forged = published_body(CHUNK_SIGS).replace(CHUNK_SIGS[1].encode(), b"0" * 64)
    assert [w.code for w in explain_request(_published(False, forged),
                                            now=EXAMPLE_TIME).warnings] == []


def test_headers_without_their_body_are_not_judged() -> None:
    e = explain_request(_published(body=b""), now=EXAMPLE_TIME)
    assert [w.code for w in e.warnings] == [] and e.chunk_sizes is None
    assert to_dict(e)["aws_chunked"] is None


def test_a_plain_body_is_checked_against_x_amz_content_sha256() -> None:
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    signed = sign_request(
        Request("PUT", "https://b.s3.us-east-1.amazonaws.com/k", body=b"hello"), creds,
        region="us-east-1", service="s3", timestamp=EXAMPLE_TIME, content_sha256_header=True,
    ).request
    assert [w.code for w in explain_request(signed, now=EXAMPLE_TIME).warnings] == []
    altered = Request(signed.method, signed.url, signed.headers, b"hellO")
    e = explain_request(altered, now=EXAMPLE_TIME)
    assert [w.code for w in e.warnings] == ["payload_hash_mismatch"]
    assert "5-byte body" in e.warnings[0].message
