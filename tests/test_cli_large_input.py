"""`sigv4kit explain|verify @file` of a raw request of any size: the head bounded, the body
streamed (hashed, or checked chunk by chunk), never held whole — in a real subprocess under a
memory limit far below what holding the body would take twice."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sigv4kit import S3_OPTIONS, Credentials, Request, sign_request
from sigv4kit.streaming import sign_chunked

from .cli_process import SECRET, assert_clean, cli_env, run_cli

CREDS = Credentials("AKIDEXAMPLE", SECRET)
TS = "20261201T120000Z"
URL = "https://bucket.s3.us-east-1.amazonaws.com/big.bin"
SIZE = 64 * 1024 * 1024  # far over the 1 MiB a request is parsed whole
ENV = {k: v for k, v in cli_env().items() if k != "AWS_SESSION_TOKEN"}  # long-term key
MEMORY_MB = 300
MAX_RSS_MB = 100  # the interpreter and click take ~50 MB; holding the body would add 64


def _raw(request: Request, body: bytes | None = None) -> bytes:
    target = request.url.split("amazonaws.com", 1)[1]
    lines = [f"{request.method} {target} HTTP/1.1", "Host: bucket.s3.us-east-1.amazonaws.com"]
    lines += [f"{n}: {v}" for n, v in request.headers if n.lower() != "host"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (request.body if body is None else body)


def _payload() -> bytes:
    return os.urandom(1 << 16) * (SIZE >> 16)


def _plain(tmp_path: Path, flip: bool = False) -> Path:
    body = _payload()
    signed = sign_request(Request("PUT", URL, [("Content-Length", str(len(body)))], body),
                          CREDS, region="us-east-1", service="s3", timestamp=TS, **S3_OPTIONS)
    raw = bytearray(_raw(signed.request))
    if flip:
        raw[-1] ^= 1
    path = tmp_path / "put.http"
    path.write_bytes(raw)
    return path


def _chunked(tmp_path: Path, forge: bool = False) -> Path:
    body = _payload()
    upload = sign_chunked(Request("PUT", URL), CREDS, region="us-east-1", service="s3",
                          payload=body, timestamp=TS)
    framed = bytearray(b"".join(upload.body))
    if forge:  # a byte of chunk 10's data: "10000;chunk-signature=<64 hex>\r\n" precedes it
        head = len(b"10000;chunk-signature=") + 64 + 2
        framed[10 * (head + 0x10000 + 2) + head + 100] ^= 1
    path = tmp_path / "chunked.http"
    path.write_bytes(_raw(upload.request, bytes(framed)))
    return path


def _run(command: str, path: Path) -> object:
    extra = () if command == "explain" else ("--access-key-id", "AKIDEXAMPLE",
                                             "--secret-access-key-stdin")
    return run_cli(command, f"@{path}", "--now", TS, *extra, env=ENV, memory_mb=MEMORY_MB,
                   stdin=f"{SECRET}\n".encode(), wall=120)


@pytest.mark.parametrize("build", [_plain, _chunked])
def test_verify_streams_a_large_body(tmp_path: Path, build: object) -> None:
    result = _run("verify", build(tmp_path))  # type: ignore[operator]
    assert_clean(result, codes=(0,))  # type: ignore[arg-type]
    assert result.stdout.startswith(b"valid")  # type: ignore[attr-defined]
    assert result.max_rss_mb < MAX_RSS_MB, result.max_rss_mb  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("build", "reason"),
    [(lambda p: _plain(p, flip=True), "payload_hash_mismatch"),
     (lambda p: _chunked(p, forge=True), "chunk_signature_mismatch")],
)
def test_verify_refuses_a_large_altered_body(tmp_path: Path, build: object, reason: str) -> None:
    result = _run("verify", build(tmp_path))  # type: ignore[operator]
    assert_clean(result, codes=(1,))  # type: ignore[arg-type]
    assert reason.encode() in result.stdout  # type: ignore[attr-defined]


def test_explain_streams_a_large_body_and_checks_its_hash(tmp_path: Path) -> None:
    good = _run("explain", _plain(tmp_path))
    assert_clean(good, codes=(0,))  # type: ignore[arg-type]
    assert good.max_rss_mb < MAX_RSS_MB, good.max_rss_mb  # type: ignore[attr-defined]
    bad = _run("explain", _plain(tmp_path, flip=True))
    assert_clean(bad, codes=(1,))  # type: ignore[arg-type]
    assert b"X-Amz-Content-SHA256 is not the SHA-256" in bad.stdout  # type: ignore[attr-defined]


def test_a_head_that_never_ends_is_refused_early(tmp_path: Path) -> None:
    path = tmp_path / "zeros"
    path.write_bytes(b"PUT / HTTP/1.1\r\nX-A: " + b"a" * (3 * 1024 * 1024))
    result = _run("explain", path)
    assert_clean(result, codes=(2,))  # type: ignore[arg-type]
    assert "REQUEST" in result.stderr  # type: ignore[attr-defined]
