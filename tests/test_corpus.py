"""The corpus of real clients' requests (``vectors/captures``), checked without those clients.

``vectors/capture.py`` recorded what boto3, the AWS CLI and awscrt sent to a loopback HTTPS
server: S3 (aws-chunked PutObject with a CRC32 trailer, GetObject, presigned GET), EC2
(DescribeSnapshots, CopySnapshot and its PresignedUrl), STS, DynamoDB, Lambda and API Gateway,
with and without a session token. Here every capture must verify (its aws-chunked body
included), ``explain`` must find nothing to warn about, and a one-byte change anywhere that is
signed must be refused for the right reason. Nothing here imports boto3, awscli or awscrt.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sigv4kit import Request
from sigv4kit.diagnose.explain import UNSIGNED_BY_DESIGN, explain_request, render_text, to_dict
from sigv4kit.received import Reason
from sigv4kit.testing.capture import CorpusCase, load_corpus
from sigv4kit.verify import VerifyResult, verify_request
from sigv4kit.wire import MalformedInputError, decode_http_chunked, parse_raw_request

CAPTURES = Path(__file__).resolve().parent.parent / "vectors" / "captures"
FILES = sorted(CAPTURES.glob("*.json"))
ALL = [case for path in FILES for case in load_corpus(path)]
CASES = [case for case in ALL if case.kind != "sigv2"]
IDS = [f"{case.client}-{case.service}:{case.name}" for case in CASES]
SIGV2 = [case for case in ALL if case.kind == "sigv2"]
"""Links boto3 and the AWS CLI still make by default for S3 in us-east-1: recognised, named,
refused with the fix."""


def _header(headers: tuple[tuple[str, str], ...] | list[tuple[str, str]], name: str) -> str | None:
    return next((v for n, v in headers if n.lower() == name), None)


def _request(
    case: CorpusCase,
    *,
    headers: list[tuple[str, str]] | None = None,
    target: str | None = None,
    body: bytes | None = None,
) -> Request:
    """The capture as received, with one part replaced."""
    base = case.request
    hdrs = list(base.headers) if headers is None else headers
    host = _header(hdrs, "host")
    url = base.url if target is None else f"{case.captured.scheme}://{host}{target}"
    return Request(base.method, url, hdrs, base.body if body is None else body)


def _verify(case: CorpusCase, request: Request | None = None) -> VerifyResult:
    return verify_request(
        case.request if request is None else request, case.lookup, now=case.signed_at
    )


def test_captures_load_as_received() -> None:
    """The loader gives back the capture byte for byte: parsing its raw HTTP text again yields
    the same request (HTTP chunked framing removed, aws-chunked framing kept)."""
    for case in ALL:
        again = parse_raw_request(case.raw_http())
        assert (again.method, again.url, again.headers, again.body) == (
            case.request.method, case.request.url, case.request.headers, case.request.body)
        chunked = (_header(case.captured.headers, "transfer-encoding") or "") == "chunked"
        assert (case.request.body == decode_http_chunked(case.captured.raw_body)) if chunked else (
            case.request.body == case.captured.raw_body)


def test_the_corpus_covers_every_client_service_and_kind() -> None:
    assert {case.client for case in ALL} == {"boto3", "awscli", "awscrt"}
    for client, services in {
        "boto3": {"s3", "ec2", "sts", "dynamodb", "lambda", "apigateway"},
        "awscli": {"s3", "ec2", "sts", "dynamodb", "lambda", "apigateway"},
        "awscrt": {"s3", "sts", "dynamodb", "ec2"},
    }.items():
        seen = {c.service for c in CASES if c.client == client}
        assert seen >= services, (client, services - seen)
        kinds = {c.kind for c in CASES if c.client == client}
        assert kinds >= {"header", "presigned"}, (client, kinds)
    streaming = [c for c in CASES if c.kind == "streaming"]
    assert {c.client for c in streaming} == {"boto3", "awscli"}
    assert {_header(c.captured.headers, "x-amz-trailer") for c in streaming} == {
        "x-amz-checksum-crc32"}
    assert any(c.credentials.session_token for c in CASES)
    assert any(not c.credentials.session_token for c in CASES)
    assert any("CopySnapshot PresignedUrl" in c.name for c in CASES)
    assert {c.client for c in SIGV2} == {"boto3", "awscli"}


@pytest.mark.parametrize("case", SIGV2, ids=[f"{c.client}:{c.name}" for c in SIGV2])
def test_sigv2_links_are_named_with_the_fix(case: CorpusCase) -> None:
    target = case.captured.target
    assert "AWSAccessKeyId=" in target and "Signature=" in target
    signature = target.partition("Signature=")[2].partition("&")[0]
    result = _verify(case)
    assert result.reason == Reason.SIGV2 and not result.valid
    assert "Signature Version 2" in result.message and 'signature_version="s3v4"' in result.message
    e = explain_request(case.request, now=case.signed_at)
    assert [w.code for w in e.warnings] == ["sigv2"]
    text = render_text(e) + json.dumps(to_dict(e)) + result.message
    assert signature not in text


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_every_capture_verifies(case: CorpusCase) -> None:
    result = _verify(case)
    assert result.valid, result.message
    if case.credentials.session_token:
        assert result.session_token_signed is True
    if case.kind == "streaming":
        payload = _header(case.captured.headers, "x-amz-content-sha256") or ""
        assert payload.startswith("STREAMING-")
        assert case.decoded is not None and result.decoded_body == case.decoded
    else:
        assert result.decoded_body is None


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_explain_finds_nothing_wrong(case: CorpusCase) -> None:
    e = explain_request(case.request, now=case.signed_at)
    assert [(w.code, w.message) for w in e.warnings] == []
    assert e.algorithm is not None and e.service == case.service
    assert "Warnings:        none" in render_text(e)
    assert set(e.unsigned_headers) <= UNSIGNED_BY_DESIGN.keys()  # each has its reason
    if case.kind == "streaming":
        decoded = case.decoded or b""
        assert e.chunk_sizes is not None and e.chunk_sizes[-1] == 0
        assert sum(e.chunk_sizes) == len(decoded)
        assert [name for name, _ in e.trailers] == ["x-amz-checksum-crc32"]
        assert to_dict(e)["aws_chunked"]["decoded_length"] == len(decoded)
        assert "aws-chunked" in render_text(e)
    else:
        assert e.chunk_sizes is None


def _cli_samples() -> list[CorpusCase]:
    """One capture of each client and kind: the CLI is a subprocess, so a few only."""
    picked: dict[tuple[str, str], CorpusCase] = {}
    for case in ALL:
        picked.setdefault((case.client, case.kind), case)
    return list(picked.values())


@pytest.mark.slow
@pytest.mark.parametrize("case", _cli_samples(), ids=lambda c: f"{c.client}:{c.name}")
def test_cli_explain_exits_0_on_the_raw_capture(case: CorpusCase, tmp_path: Path) -> None:
    path = tmp_path / "request.http"
    path.write_bytes(case.raw_http())
    done = subprocess.run(
        [sys.executable, "-m", "sigv4kit", "explain", f"@{path}", "--now", case.signed_at],
        capture_output=True, text=True, timeout=60,
    )
    if case.kind == "sigv2":
        assert done.returncode == 1, done.stdout + done.stderr
        assert "[sigv2]" in done.stdout and "s3v4" in done.stdout
    else:
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Warnings:        none" in done.stdout
    assert case.credentials.secret_access_key not in done.stdout + done.stderr


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


def _signed_header(case: CorpusCase) -> str | None:
    """A signed header whose value, changed, can only break the signature."""
    e = explain_request(case.request, now=case.signed_at)
    headers = {n.lower() for n, v in case.captured.headers if v}
    return next((h for h in e.signed_headers if h in headers and h not in _SPECIAL), None)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_one_byte_mutations_are_refused(case: CorpusCase) -> None:
    name = _signed_header(case)
    target = name or "host"
    received = list(case.captured.headers)
    headers = [(n, _flip(v, len(v) // 2) if n.lower() == target else v) for n, v in received]
    changed = _verify(case, _request(case, headers=headers))
    assert changed.reason == Reason.SIGNATURE_MISMATCH, (target, changed.message)

    sent = case.captured.target
    path = sent.partition("?")[0]
    mutated = sent[:1] + "Z" + sent[1:] if path == "/" else _flip(sent, len(path) - 1)
    moved = _verify(case, _request(case, target=mutated))
    assert moved.reason == Reason.SIGNATURE_MISMATCH, moved.message

    if case.kind == "presigned":
        at = sent.index("X-Amz-Signature=") + len("X-Amz-Signature=")
        forged = _verify(case, _request(case, target=_flip(sent, at + 7)))
    else:
        auth = _header(received, "authorization") or ""
        bad = _flip(auth, len(auth) - 5)
        forged = _verify(case, _request(
            case, headers=[(n, bad if n.lower() == "authorization" else v) for n, v in received]
        ))
    assert forged.reason == Reason.SIGNATURE_MISMATCH, forged.message

    body = case.request.body
    if not body:
        return
    payload = _header(received, "x-amz-content-sha256") or ""
    if case.kind == "streaming":
        decoded = case.decoded or b""
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
    e = explain_request(_request(case, body=bytes(flipped)), now=case.signed_at)
    if expected in (Reason.CHECKSUM_MISMATCH, Reason.PAYLOAD_HASH_MISMATCH):
        assert [w.code for w in e.warnings] == [expected.value]


def test_a_file_that_is_not_a_capture_file_is_named(tmp_path: Path) -> None:
    for text in ("[]", '{"client": "x", "version": "1", "cases": [{"name": "n"}]}', "{"):
        path = tmp_path / "bad.json"
        path.write_text(text)
        with pytest.raises(MalformedInputError, match=r"corpus: bad\.json is not a capture file"):
            load_corpus(path)
