"""Attack review of the streaming surface: aws-chunked decoding, HTTP chunked captures, the
capture server and ``@file`` input, each finding pinned as a regression test."""

from __future__ import annotations

import contextlib
import os
import re
import select
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from sigv4kit import Credentials, Request
from sigv4kit.cli import cli
from sigv4kit.diagnose.explain import explain_request, render_text
from sigv4kit.received import Reason
from sigv4kit.streaming import ChunkedVerifier, sign_chunked
from sigv4kit.testing.capture import CapturedRequest, CaptureServer
from sigv4kit.verify import verify_request
from sigv4kit.wire import MalformedInputError, parse_raw_head, parse_raw_request

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


_TE_HEAD = b"PUT /b/k HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize("request_bytes", [
    _TE_HEAD + b"zz\r\nabc\r\n0\r\n\r\n",  # not hex: ValueError in the server's thread
    _TE_HEAD + b"0x3\r\nabc\r\n0\r\n\r\n",  # int(..., 16) takes these; CapturedRequest.body
    _TE_HEAD + b"1_0\r\n" + b"a" * 16 + b"\r\n0\r\n\r\n",  # then raised on them
    _TE_HEAD + b"-1\r\nabc\r\n0\r\n\r\n",  # a negative size: read on, the connection hung
    _TE_HEAD + b"3\r\nabcX\r\n0\r\n\r\n",  # no CRLF after the data
    b"PUT /k HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n",
    b"PUT /k HTTP/1.1\r\nHost: h\r\nContent-Length: -5\r\n\r\nhello",  # recorded as empty
    b"PUT /k HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\nhello",
])
def test_capture_server_closes_on_hostile_framing_without_recording_or_raising(
    request_bytes: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    errors: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: errors.append(args.exc_value))
    with CaptureServer() as server, socket.create_connection(("127.0.0.1", server.port), 5) as s:
        s.settimeout(5)
        s.sendall(request_bytes)
        assert s.recv(100) == b""  # closed, no answer
    assert server.requests == [] and errors == []


def test_capture_server_bounds_an_endless_trailer() -> None:
    """Trailer lines after the last chunk were read and kept without any limit."""
    with CaptureServer(max_body=4096) as server, socket.create_connection(
        ("127.0.0.1", server.port), 5
    ) as s:
        s.settimeout(5)
        s.sendall(_TE_HEAD + b"0\r\n")
        with contextlib.suppress(OSError):  # the server closes while we still send
            for _ in range(200):
                s.sendall(b"x-a: b\r\n" * 100)
        with contextlib.suppress(ConnectionResetError):
            assert s.recv(100) == b""
    assert server.requests == []


def test_capture_server_cuts_off_a_slowloris_client() -> None:
    """A byte every few seconds kept a connection (and its thread) forever: each read had a
    timeout, the request none."""
    trickle = b"PUT /k HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n" + b"x" * 100
    with CaptureServer(request_timeout=1.0) as server, socket.create_connection(
        ("127.0.0.1", server.port), 5
    ) as s:
        start = time.monotonic()
        closed_after = None
        for byte in trickle:
            try:
                s.sendall(bytes([byte]))
                if select.select([s], [], [], 0.1)[0] and s.recv(100) == b"":
                    closed_after = time.monotonic() - start
            except OSError:
                closed_after = time.monotonic() - start
            if closed_after is not None or time.monotonic() - start > 5:
                break
    assert closed_after is not None and closed_after < 3, closed_after
    assert server.requests == []


@pytest.mark.parametrize("headers", [
    b"Content-Length: 5\r\nContent-Length: 7\r\n",
    b"Content-Length: abc\r\n",
    b"Content-Length: -5\r\n",
    b"Content-Length: 12345678901\r\n",
])
@pytest.mark.parametrize("parse", [parse_raw_request, parse_raw_head])
def test_large_and_small_captures_refuse_the_same_content_lengths(
    headers: bytes, parse: Callable[[bytes], object]
) -> None:
    """`verify @file` over 1 MiB went through parse_raw_head, which let two Content-Length
    headers (the first one used) or a non-number (the body read to the end) through, where
    the whole-request parser refuses both."""
    raw = b"PUT /k HTTP/1.1\r\nHost: h\r\n" + headers + b"\r\n" + b"hello" * 3
    with pytest.raises(MalformedInputError, match="Content-Length"):
        parse(raw)


def test_the_final_verdict_is_decided_once() -> None:
    """finish() twice gave 'valid' then 'malformed_chunk' (the decoder was spent); a server
    asking again must get the same answer, and bytes fed after finish() change nothing."""
    data = b"x" * 10000
    body = _signed_upload(data, 8192, trailer="sha512").body.read_all()
    verifier = _verifier(_signed_upload(data, 8192, trailer="sha512"))
    assert b"".join(verifier.feed(body)) == data
    first = verifier.finish()
    assert first.valid
    assert verifier.feed(b"0\r\n\r\n") == []
    assert verifier.finish() is first
    early = _verifier(_signed_upload(data, 8192, trailer="sha512"))
    early.feed(body[:-10])
    refused = early.finish()
    assert refused.reason == Reason.MALFORMED_CHUNK and "ends early" in refused.message
    assert early.feed(body[-10:]) == [] and early.finish() is refused


def _aws_cli(server: CaptureServer, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=AWS_CLI_CREDS.access_key_id,
               AWS_SECRET_ACCESS_KEY=AWS_CLI_CREDS.secret_access_key,
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=os.devnull,
               AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_CA_BUNDLE=server.ca_file or "")
    aws = str(Path(sys.executable).with_name("aws"))
    done = subprocess.run([aws, "--endpoint-url", server.url, *args], env=env, timeout=120,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-500:]


AWS_CLI_CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")


@pytest.mark.slow
def test_aws_cli_v1_uploads_verify_and_tampering_is_refused(tmp_path: Path) -> None:
    """The AWS CLI v1 over HTTPS to the verifying capture server: a multipart `s3 cp` (its
    parts aws-chunked inside HTTP chunked, CreateMultipartUpload answered) and `s3api
    put-object` with SHA512 and XXHASH128 trailers. Each verifies, the parts decode to the
    file, a changed data byte is refused, and `sigv4kit verify @capture` agrees."""
    lookup = {AWS_CLI_CREDS.access_key_id: AWS_CLI_CREDS}.get
    big, small = tmp_path / "big.bin", tmp_path / "small.bin"
    big.write_bytes(os.urandom(9 * 1024 * 1024 + 5))
    small.write_bytes(os.urandom(70000))
    with CaptureServer(tls=True, lookup=lookup) as server:
        _aws_cli(server, "s3", "cp", str(big), "s3://bucket/dir/big.bin")
        for algorithm in ("SHA512", "XXHASH128"):
            _aws_cli(server, "s3api", "put-object", "--bucket", "bucket", "--key", algorithm,
                     "--body", str(small), "--checksum-algorithm", algorithm)
    assert all(r.verdict is not None and r.verdict.valid for r in server.requests)
    parts = [r for r in server.requests if "partNumber=" in r.target]
    puts = [r for r in server.requests if r.target in ("/bucket/SHA512", "/bucket/XXHASH128")]
    assert len(parts) == 2 and len(puts) == 2
    parts.sort(key=lambda r: r.target)
    decoded = [verify_request(r.to_request(), lookup, now=_signed_at(r)) for r in parts + puts]
    assert b"".join(d.decoded_body or b"" for d in decoded[:2]) == big.read_bytes()
    assert all(d.decoded_body == small.read_bytes() for d in decoded[2:])
    for captured in parts[:1] + puts:
        body = bytearray(captured.body)
        body[body.index(b"\r\n") + 2 + 1000] ^= 1  # a data byte of the first chunk
        request = Request(captured.method, captured.to_request().url, captured.headers,
                          bytes(body))
        refused = verify_request(request, lookup, now=_signed_at(captured))
        assert refused.reason == Reason.CHECKSUM_MISMATCH, refused.message
    capture = tmp_path / "part.http"
    capture.write_bytes(parts[0].head + parts[0].raw_body)  # part 1: 8 MiB
    assert capture.stat().st_size > 8 * 1024 * 1024
    result = CliRunner().invoke(cli, ["verify", f"@{capture}", "--now", _signed_at(parts[0]),
                                      "--access-key-id", AWS_CLI_CREDS.access_key_id,
                                      "--secret-access-key-stdin"],
                                input=AWS_CLI_CREDS.secret_access_key + "\n")
    assert result.exit_code == 0 and result.stdout.startswith("valid"), result.output
    assert AWS_CLI_CREDS.secret_access_key not in result.output


def _signed_at(captured: CapturedRequest) -> str:
    return captured.header("x-amz-date") or ""


def test_explain_text_shows_control_characters_from_the_input_escaped() -> None:
    """`explain @file` printed trailer values (read by read_layout) and header values (in the
    canonical request) as received: an ESC or BEL in a capture drove the terminal (OSC
    title change, screen clear)."""
    upload = sign_chunked(Request("PUT", "https://bucket.s3.amazonaws.com/k",
                                  [("X-Evil", "a\x1b]0;title\x07b\u202ec")]),
                          AWS_CLI_CREDS, region="us-east-1", service="s3", payload=b"x" * 100,
                          trailer="crc32", signed=False, timestamp=EXAMPLE_TIME)
    body = upload.body.read_all()
    at = body.index(b"x-amz-checksum-crc32:") + len(b"x-amz-checksum-crc32:")
    evil = "\x1b[2J\x1b]0;pwned\x07\u202e".encode()
    request = Request("PUT", upload.request.url, upload.request.headers,
                      body[:at] + evil + body[at:])
    text = render_text(explain_request(request, now=EXAMPLE_TIME))
    assert "trailer:" in text and "x-evil:" in text
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]", text), text
    assert "\\x1b]0;title\\x07b\\u202ec" in text
