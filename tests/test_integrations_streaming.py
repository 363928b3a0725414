"""``streaming=True`` on every adapter: a file, generator or async iterator body sent
aws-chunked, each chunk signed as it is sent, never read into memory whole.

Proven against two servers: the CaptureServer verifying as S3 would (the seed, then every
chunk signature and the trailer, as the body arrives), and moto's server with signature
checking on (it recomputes the seed with botocore), what it stored read back with botocore.
"""

from __future__ import annotations

import asyncio
import io
import os
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import requests

from sigv4kit import Credentials, Request, SigningError
from sigv4kit.integrations._async_stream import AsyncFeed, frames_of
from sigv4kit.integrations.requests import SigV4Auth as RequestsAuth
from sigv4kit.received import Reason
from sigv4kit.streaming import ChunkedVerifier, sign_chunked
from sigv4kit.testing.capture import CapturedRequest, CaptureServer
from sigv4kit.verify import verify_request

from .adapter_clients import KINDS, Chunks, call, make_auth
from .servers import MotoServer

CREDS = Credentials("AKIDSTREAM", "stream/secret+KEY/wJalrXUtnFEMI", "SESSION+TOKEN/x=")
LOOKUP = {CREDS.access_key_id: CREDS}.get
SIZES = {"small": 11, "multi-MiB": 3 * 1024 * 1024 + 5}
BODIES = ("file", "iterator")
"""'iterator': a sync generator for requests and httpx, an async generator for httpx's async
client and aiohttp."""


def _body(kind: str, shape: str, data: bytes, path: Path) -> Chunks | io.BufferedReader:
    if shape == "file":
        path.write_bytes(data)
        return path.open("rb")
    step = 100_003  # pieces that are not the chunk size: the adapter re-cuts them
    return Chunks([data[i:i + step] for i in range(0, len(data), step)] or [b""])


def _length_header(kind: str, shape: str, data: bytes) -> dict[str, str] | None:
    """A generator's length is unknown to the library: S3 needs it declared (httpx's async
    client is given a file as an async generator, see ``adapter_clients``)."""
    if shape == "file" and kind != "httpx-async":
        return None
    return {"X-Amz-Decoded-Content-Length": str(len(data))}


def _decoded(captured: CapturedRequest) -> bytes:
    """The object an S3-like server would store: the body through a second, independent
    ChunkedVerifier run (each chunk's bytes only once its signature is proven)."""
    head = Request(captured.method, captured.to_request().url, captured.headers)
    verifier = ChunkedVerifier(verify_request(head, LOOKUP, defer_body=True), head, LOOKUP)
    out = b"".join(verifier.feed(captured.body))
    assert verifier.finish().valid
    return out


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("shape", BODIES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_chunk_verified(kind: str, shape: str, size: str, tmp_path: Path) -> None:
    data = os.urandom(SIZES[size])
    trailer = "crc32c" if size == "multi-MiB" else None
    auth = make_auth(kind, CREDS, "us-east-1", "s3", streaming=True, trailer=trailer)
    body = _body(kind, shape, data, tmp_path / "f.bin")
    with CaptureServer(lookup=LOOKUP) as server:
        answer = call(kind, auth, "PUT", server.url + "/bucket/k", body=body,
                      headers=_length_header(kind, shape, data))
        (captured,) = server.requests
    if isinstance(body, io.BufferedReader):
        body.close()
    assert answer.status == 200, answer.body
    assert captured.verdict is not None and captured.verdict.valid, captured.verdict
    chunks = -(-len(data) // 65536) + 1  # the final, empty chunk counted
    assert f"aws-chunked body ({chunks} chunks, {len(data)} bytes)" in captured.verdict.message
    sha = captured.header("x-amz-content-sha256")
    assert sha == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" + ("-TRAILER" if trailer else "")
    assert captured.header("x-amz-trailer") == ("x-amz-checksum-crc32c" if trailer else None)
    assert captured.header("x-amz-decoded-content-length") in (str(len(data)), None)
    assert _decoded(captured) == data


def test_unsized_generator_goes_http_chunked() -> None:
    """No length anywhere: the framed body has none either, so it is sent with
    Transfer-Encoding: chunked (not to S3, which refuses that: see
    tests/test_adapters_streams.py)."""
    data = os.urandom(70_000)
    with CaptureServer(lookup=LOOKUP) as server:
        for kind in KINDS:
            auth = make_auth(kind, CREDS, "us-east-1", "execute-api", streaming=True)
            assert call(kind, auth, "PUT", server.url + "/b/k", body=Chunks([data])).status \
                == 200
    for captured in server.requests:
        assert captured.header("transfer-encoding") == "chunked"
        assert captured.header("content-length") is None
        assert captured.verdict is not None and captured.verdict.valid, captured.verdict
        assert _decoded(captured) == data


def _replay(server: CaptureServer, head: bytes, body: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), 10) as conn:
        conn.sendall(head.replace(b"Expect: 100-continue\r\n", b"") + body)
        answer = b""
        while b"\r\n\r\n" not in answer and (more := conn.recv(65536)):
            answer += more
        return answer


def test_a_forged_chunk_is_refused() -> None:
    data = os.urandom(200_000)
    auth = make_auth("requests", CREDS, "us-east-1", "s3", streaming=True)
    with CaptureServer(lookup=LOOKUP) as server:
        call("requests", auth, "PUT", server.url + "/b/k", body=io.BytesIO(data))
        good = server.requests[0]
        assert good.verdict is not None and good.verdict.valid
        assert _replay(server, good.head, good.raw_body).startswith(b"HTTP/1.1 200 OK")
        forged = bytearray(good.raw_body)
        forged[good.raw_body.index(b"\r\n", 100) + 70_000] ^= 0x01  # a byte of chunk 2
        answer = _replay(server, good.head, bytes(forged))
        assert answer.startswith(b"HTTP/1.1 403 SignatureDoesNotMatch"), answer[:200]
        verdict = server.requests[-1].verdict
        assert verdict is not None and verdict.reason == Reason.CHUNK_SIGNATURE_MISMATCH
        resigned = good.raw_body.replace(b"chunk-signature=", b"chunk-signature=0", 1)
        answer = _replay(server, good.head, resigned[:len(good.raw_body)])
        assert not answer.startswith(b"HTTP/1.1 200"), answer[:200]


def test_a_wrong_secret_is_refused_before_the_body() -> None:
    wrong = Credentials(CREDS.access_key_id, "wrong", CREDS.session_token)
    auth = make_auth("httpx", wrong, "us-east-1", "s3", streaming=True)
    with CaptureServer(lookup=LOOKUP) as server:
        answer = call("httpx", auth, "PUT", server.url + "/b/k", body=io.BytesIO(b"x" * 9000))
    assert answer.status == 403
    assert server.requests[0].verdict is not None
    assert server.requests[0].verdict.reason == Reason.SIGNATURE_MISMATCH
    assert server.requests[0].raw_body == b""  # answered before any of the body was read


def test_httpx_async_client_takes_a_sync_file() -> None:
    """httpx's AsyncClient refuses a sync file on its own; sent aws-chunked, the file is read
    in a worker thread."""
    import httpx

    data = os.urandom(150_000)
    auth = make_auth("httpx-async", CREDS, "us-east-1", "s3", streaming=True)

    async def put() -> int:
        async with httpx.AsyncClient(auth=auth, timeout=30) as client:
            answer = await client.put(server.url + "/b/k", content=io.BytesIO(data))
            return answer.status_code

    with CaptureServer(lookup=LOOKUP) as server:
        assert asyncio.run(put()) == 200
    (captured,) = server.requests
    assert captured.header("content-length") is not None  # the file's length was known
    assert _decoded(captured) == data


def test_other_services_too() -> None:
    """Not S3: the path rules are the service's (double-encoded), the chunks signed alike."""
    with CaptureServer(lookup=LOOKUP) as server:
        for kind in KINDS:
            auth = make_auth(kind, CREDS, "us-east-1", "execute-api", streaming=True)
            answer = call(kind, auth, "PUT", server.url + "/stage/a b", body=Chunks([b"ab"]))
            assert answer.status == 200
    assert all(c.verdict is not None and c.verdict.valid for c in server.requests)
    assert all(_decoded(c) == b"ab" for c in server.requests)


# -- never read whole -------------------------------------------------------------------


def test_requests_reads_the_generator_only_as_it_sends() -> None:
    taken: list[int] = []

    def pieces() -> Iterator[bytes]:
        for i in range(100):
            taken.append(i)
            yield b"x" * 65536

    prepared = requests.Request("PUT", "https://b.s3.amazonaws.com/k", data=pieces(),
                                headers={"X-Amz-Decoded-Content-Length": "6553600"}).prepare()
    RequestsAuth(CREDS, "us-east-1", "s3", streaming=True)(prepared)
    assert taken == []  # signed without reading
    body = iter(prepared.body)  # type: ignore[call-overload]
    assert next(body).startswith(b"10000;chunk-signature=")
    assert taken == [0]


def test_async_framing_pulls_one_chunk_per_frame() -> None:
    """The async bridge gives the same bytes as sign_chunked's own framing of the whole
    payload, and reads the source only a chunk ahead."""
    data = os.urandom(5 * 8192 + 17)
    read: list[int] = []

    async def source() -> AsyncIterator[bytes]:
        for i in range(0, len(data), 5000):
            read.append(i)
            yield data[i:i + 5000]

    def upload(payload: object) -> object:
        return sign_chunked(
            Request("PUT", "https://b.s3.amazonaws.com/k",
                    [("X-Amz-Decoded-Content-Length", str(len(data)))]),
            CREDS, region="us-east-1", service="s3", payload=payload,  # type: ignore[arg-type]
            chunk_size=8192, trailer="sha256", timestamp="20260101T000000Z")

    async def framed() -> list[tuple[int, bytes]]:
        feed = AsyncFeed()
        up = upload(feed)
        return [(len(read), frame) async for frame in
                frames_of(up.body, feed, source(), 8192)]  # type: ignore[attr-defined]

    frames = asyncio.run(framed())
    expected = upload(data).body.read_all()  # type: ignore[attr-defined]
    assert b"".join(f for _, f in frames) == expected
    assert [n for n, _ in frames[:3]] == [2, 4, 5]  # 5000-byte pieces, 8192-byte chunks


def test_options_checked_at_construction() -> None:
    for kind in KINDS:
        with pytest.raises(SigningError, match="trailer: applies to aws-chunked"):
            make_auth(kind, CREDS, "us-east-1", "s3", trailer="crc32")
        with pytest.raises(SigningError, match="hash_seekable: and streaming=True"):
            make_auth(kind, CREDS, "us-east-1", "s3", streaming=True, hash_seekable=True)
        with pytest.raises(SigningError, match="unsigned_streams: and streaming=True"):
            make_auth(kind, CREDS, "us-east-1", "s3", streaming=True, unsigned_streams=True)
        with pytest.raises(SigningError, match="chunk_size: must be between"):
            make_auth(kind, CREDS, "us-east-1", "s3", streaming=True, chunk_size=100)
        with pytest.raises(SigningError, match="payload_hash"):
            make_auth(kind, CREDS, "us-east-1", "s3", streaming=True, payload_hash="x" * 64)


# -- moto (auth on: it checks the seed signature) -----------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("shape", BODIES)
@pytest.mark.parametrize("kind", KINDS)
def test_moto_stores_what_was_streamed(
    moto_server: MotoServer, kind: str, shape: str, size: str, tmp_path: Path
) -> None:
    data = os.urandom(SIZES[size])
    base = moto_server.endpoint_url
    bucket = f"stream-{kind}-{shape}-{size}".lower()
    auth = make_auth(kind, moto_server.credentials, "us-east-1", "s3", streaming=True)
    assert call(kind, auth, "PUT", f"{base}/{bucket}").status == 200
    body = _body(kind, shape, data, tmp_path / "f.bin")
    answer = call(kind, auth, "PUT", f"{base}/{bucket}/a b+c", body=body,
                  headers=_length_header(kind, shape, data))
    if isinstance(body, io.BufferedReader):
        body.close()
    assert answer.status == 200, answer.body
    s3 = moto_server.botocore_client("s3")
    assert s3.get_object(Bucket=bucket, Key="a b+c")["Body"].read() == data
    wrong = make_auth(kind, Credentials(moto_server.access_key_id, "wrong-secret-0123456789"),
                      "us-east-1", "s3", streaming=True)
    refused = call(kind, wrong, "PUT", f"{base}/{bucket}/w", body=Chunks([b"x" * 10]),
                   headers={"X-Amz-Decoded-Content-Length": "10"})
    assert refused.status == 403 and b"SignatureDoesNotMatch" in refused.body


@pytest.mark.parametrize("kind", KINDS)
def test_clock_skew_with_a_stream(kind: str) -> None:
    """A streamed body cannot be sent again: the clock error is returned, the offset learnt,
    and the next upload is signed (seed and chunks) with the server's time."""
    from sigv4kit.testing.verifying_server import VerifyingServer

    auth = make_auth(kind, CREDS, "us-east-1", "s3", streaming=True)
    with VerifyingServer(CREDS, clock_offset=3600) as server:
        first = call(kind, auth, "PUT", server.url + "/b/k", body=Chunks([b"a" * 70_000]),
                     headers={"X-Amz-Decoded-Content-Length": "70000"})
        assert first.status == 403 and b"RequestTimeTooSkewed" in first.body
        again = call(kind, auth, "PUT", server.url + "/b/k", body=Chunks([b"b" * 70_000]),
                     headers={"X-Amz-Decoded-Content-Length": "70000"})
        assert again.status == 200, again.body
        assert [r.reason for r in server.requests] == [Reason.EXPIRED, Reason.OK]
        assert b"chunk-signature=" in server.requests[1].body
