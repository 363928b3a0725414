"""The corpus of real clients' requests (``vectors/captures``), checked without those clients.

``vectors/capture.py`` recorded what boto3, the AWS CLI and awscrt sent to a loopback HTTPS
server: S3 (aws-chunked PutObject with a CRC32 trailer, GetObject, presigned GET), EC2
(DescribeSnapshots, CopySnapshot and its PresignedUrl), STS, DynamoDB, Lambda and API Gateway,
with and without a session token. Here every capture must verify (its aws-chunked body
included), ``explain`` must find nothing to warn about, and a one-byte change anywhere that is
signed must be refused for the right reason. Nothing here imports boto3, awscli or awscrt.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sigv4kit import Credentials, Request
from sigv4kit.diagnose.explain import explain_request, render_text, to_dict
from sigv4kit.received import Reason
from sigv4kit.verify import VerifyResult, verify_request
from sigv4kit.wire import decode_http_chunked, parse_raw_request

CAPTURES = Path(__file__).resolve().parent.parent / "vectors" / "captures"
FILES = sorted(CAPTURES.glob("*.json"))
GROUPS = {path.stem: json.loads(path.read_text()) for path in FILES}
ALL = [(stem, case) for stem, group in GROUPS.items() for case in group["cases"]]
CASES = [(stem, case) for stem, case in ALL if case["kind"] != "sigv2"]
IDS = [f"{stem}:{case['name']}" for stem, case in CASES]
SIGV2 = [(stem, case) for stem, case in ALL if case["kind"] == "sigv2"]
"""Links boto3 and the AWS CLI still make by default for S3 in us-east-1: recognised, named,
refused with the fix."""


def _raw_body(case: dict[str, Any]) -> bytes:
    return base64.b64decode(case["body_base64"])


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for n, v in headers if n.lower() == name), None)


def _headers(case: dict[str, Any]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in case["headers"]]


def _body(case: dict[str, Any]) -> bytes:
    """The body as the signature saw it: HTTP's own chunked framing removed (an aws-chunked
    body keeps its framing, which its chunk and trailer signatures cover)."""
    raw = _raw_body(case)
    if (_header(_headers(case), "transfer-encoding") or "").lower() == "chunked":
        return decode_http_chunked(raw)
    return raw


def _request(
    case: dict[str, Any],
    *,
    headers: list[tuple[str, str]] | None = None,
    target: str | None = None,
    body: bytes | None = None,
) -> Request:
    hdrs = _headers(case) if headers is None else headers
    host = _header(hdrs, "host")
    url = f"{case['scheme']}://{host}{case['target'] if target is None else target}"
    return Request(case["method"], url, hdrs, _body(case) if body is None else body)


def _verify(case: dict[str, Any], request: Request | None = None) -> VerifyResult:
    creds = case["credentials"]
    known = Credentials(
        creds["access_key_id"], creds["secret_access_key"], creds["session_token"]
    )
    return verify_request(
        _request(case) if request is None else request,
        {known.access_key_id: known}.get,
        now=case["signed_at"],
    )


def _raw_http(case: dict[str, Any]) -> bytes:
    """The capture as HTTP/1.1 text, exactly as it came off the wire."""
    head = f"{case['method']} {case['target']} HTTP/1.1\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in _headers(case)
    )
    return head.encode("latin-1") + b"\r\n" + _raw_body(case)


def test_the_corpus_covers_every_client_service_and_kind() -> None:
    clients = {group["client"] for group in GROUPS.values()}
    assert clients == {"boto3", "awscli", "awscrt"}, clients
    for client, services in {
        "boto3": {"s3", "ec2", "sts", "dynamodb", "lambda", "apigateway"},
        "awscli": {"s3", "ec2", "sts", "dynamodb", "lambda", "apigateway"},
        "awscrt": {"s3", "sts", "dynamodb", "ec2"},
    }.items():
        seen = {c["service"] for stem, c in CASES if GROUPS[stem]["client"] == client}
        assert seen >= services, (client, services - seen)
        kinds = {c["kind"] for stem, c in CASES if GROUPS[stem]["client"] == client}
        assert kinds >= {"header", "presigned"}, (client, kinds)
    streaming = [c for _, c in CASES if c["kind"] == "streaming"]
    assert {_header(_headers(c), "x-amz-trailer") for c in streaming} == {"x-amz-checksum-crc32"}
    assert any(c["credentials"]["session_token"] for _, c in CASES)
    assert any(not c["credentials"]["session_token"] for _, c in CASES)
    names = [c["name"] for _, c in CASES]
    assert any("CopySnapshot PresignedUrl" in n for n in names)
    assert {GROUPS[stem]["client"] for stem, _ in SIGV2} == {"boto3", "awscli"}


@pytest.mark.parametrize(("stem", "case"), SIGV2, ids=[f"{s}:{c['name']}" for s, c in SIGV2])
def test_sigv2_links_are_named_with_the_fix(stem: str, case: dict[str, Any]) -> None:
    assert "AWSAccessKeyId=" in case["target"] and "Signature=" in case["target"]
    signature = case["target"].partition("Signature=")[2].partition("&")[0]
    result = _verify(case)
    assert result.reason == Reason.SIGV2 and not result.valid
    assert "Signature Version 2" in result.message and 'signature_version="s3v4"' in result.message
    e = explain_request(_request(case), now=case["signed_at"])
    assert [w.code for w in e.warnings] == ["sigv2"]
    text = render_text(e) + json.dumps(to_dict(e)) + result.message
    assert signature not in text


@pytest.mark.parametrize(("stem", "case"), CASES, ids=IDS)
def test_every_capture_verifies(stem: str, case: dict[str, Any]) -> None:
    result = _verify(case)
    assert result.valid, result.message
    if case["credentials"]["session_token"]:
        assert result.session_token_signed is True
    if case["kind"] == "streaming":
        assert (_header(_headers(case), "x-amz-content-sha256") or "").startswith("STREAMING-")
        assert result.decoded_body == base64.b64decode(case["decoded_base64"])
    else:
        assert result.decoded_body is None


@pytest.mark.parametrize(("stem", "case"), CASES, ids=IDS)
def test_explain_finds_nothing_wrong(stem: str, case: dict[str, Any]) -> None:
    e = explain_request(_request(case), now=case["signed_at"])
    assert [(w.code, w.message) for w in e.warnings] == []
    assert e.algorithm is not None and e.service == case["service"]
    assert "Warnings:        none" in render_text(e)
    if case["kind"] == "streaming":
        decoded = base64.b64decode(case["decoded_base64"])
        assert e.chunk_sizes is not None and e.chunk_sizes[-1] == 0
        assert sum(e.chunk_sizes) == len(decoded)
        assert [name for name, _ in e.trailers] == ["x-amz-checksum-crc32"]
        assert to_dict(e)["aws_chunked"]["decoded_length"] == len(decoded)
        assert "aws-chunked" in render_text(e)
    else:
        assert e.chunk_sizes is None


def _cli_samples() -> list[tuple[str, dict[str, Any]]]:
    """One capture of each client and kind: the CLI is a subprocess, so a few only."""
    picked: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
    for stem, case in ALL:
        picked.setdefault((GROUPS[stem]["client"], case["kind"]), (stem, case))
    return list(picked.values())


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stem", "case"), _cli_samples(), ids=[f"{s}:{c['name']}" for s, c in _cli_samples()]
)
def test_cli_explain_exits_0_on_the_raw_capture(
    stem: str, case: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "request.http"
    path.write_bytes(_raw_http(case))
    assert parse_raw_request(path.read_bytes()).headers == tuple(_headers(case))
    done = subprocess.run(
        [sys.executable, "-m", "sigv4kit", "explain", f"@{path}", "--now", case["signed_at"]],
        capture_output=True, text=True, timeout=60,
    )
    if case["kind"] == "sigv2":
        assert done.returncode == 1, done.stdout + done.stderr
        assert "[sigv2]" in done.stdout and "s3v4" in done.stdout
    else:
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Warnings:        none" in done.stdout
    secret = case["credentials"]["secret_access_key"]
    assert secret not in done.stdout + done.stderr


def _flip(text: str, index: int) -> str:
    """``text`` with the character at ``index`` changed to another of the same kind."""
    char = text[index]
    hexdigits = "0123456789abcdef"
    if char in hexdigits:  # stays a hex digit: a signature keeps its syntax
        other = hexdigits[(hexdigits.index(char) + 1) % 16]
    else:
        other = "y" if char == "x" else "x"
    return text[:index] + other + text[index + 1 :]


_SPECIAL = {"host", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256",
            "x-amz-region-set", "x-amz-decoded-content-length", "content-encoding",
            "x-amz-trailer", "content-length"}


def _signed_header(case: dict[str, Any]) -> str | None:
    """A signed header whose value, changed, can only break the signature."""
    e = explain_request(_request(case), now=case["signed_at"])
    headers = {n.lower() for n, v in _headers(case) if v}
    return next((h for h in e.signed_headers if h in headers and h not in _SPECIAL), None)


@pytest.mark.parametrize(("stem", "case"), CASES, ids=IDS)
def test_one_byte_mutations_are_refused(stem: str, case: dict[str, Any]) -> None:
    name = _signed_header(case)
    target = name or "host"
    headers = [
        (n, _flip(v, len(v) // 2) if n.lower() == target else v) for n, v in _headers(case)
    ]
    changed = _verify(case, _request(case, headers=headers))
    assert changed.reason == Reason.SIGNATURE_MISMATCH, (target, changed.message)

    path_end = case["target"].find("?")
    path = case["target"] if path_end < 0 else case["target"][:path_end]
    mutated = case["target"][:1] + "Z" + case["target"][1:] if path == "/" else _flip(
        case["target"], len(path) - 1
    )
    moved = _verify(case, _request(case, target=mutated))
    assert moved.reason == Reason.SIGNATURE_MISMATCH, moved.message

    sig_request = _request(case)
    if case["kind"] == "presigned":
        at = case["target"].index("X-Amz-Signature=") + len("X-Amz-Signature=")
        forged = _verify(case, _request(case, target=_flip(case["target"], at + 7)))
    else:
        auth = _header(_headers(case), "authorization") or ""
        bad = _flip(auth, len(auth) - 5)
        forged = _verify(case, Request(
            sig_request.method, sig_request.url,
            [(n, bad if n.lower() == "authorization" else v) for n, v in _headers(case)],
            sig_request.body,
        ))
    assert forged.reason == Reason.SIGNATURE_MISMATCH, forged.message

    body = _body(case)
    if not body:
        return
    payload = _header(_headers(case), "x-amz-content-sha256") or ""
    if case["kind"] == "streaming":
        decoded = base64.b64decode(case["decoded_base64"])
        at = body.index(decoded[:32]) + len(decoded) // 2  # an object byte, not the framing
        expected = Reason.CHECKSUM_MISMATCH if payload.startswith(
            "STREAMING-UNSIGNED") else Reason.CHUNK_SIGNATURE_MISMATCH
    else:
        at = len(body) // 2
        expected = (
            Reason.PAYLOAD_HASH_MISMATCH if len(payload) == 64 else Reason.SIGNATURE_MISMATCH
        )
    flipped = bytearray(body)
    flipped[at] ^= 0x01
    altered = _verify(case, _request(case, body=bytes(flipped)))
    assert altered.reason == expected, altered.message
    e = explain_request(_request(case, body=bytes(flipped)), now=case["signed_at"])
    if expected in (Reason.CHECKSUM_MISMATCH, Reason.PAYLOAD_HASH_MISMATCH):
        assert [w.code for w in e.warnings] == [expected.value]
