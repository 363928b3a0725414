"""The official AWS SigV4 test suite (aws-c-auth's v4/ and botocore's older layout), byte for byte.

Nobody here wrote these expected values: they come from AWS. Every case is signed in header
mode and in query mode, and the canonical request, string to sign and signature must be
identical to the suite's files.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from sigv4kit import Credentials, PresignedRequest, Request, presign, sign_request
from sigv4kit.signing import wire_form
from sigv4kit.timestamps import amz_date
from sigv4kit.verify import verify_request

from .suite_files import BOTOCORE_SUITE, SUITE, case_dirs, parse_raw_request, read_json, require

V4_CASES = case_dirs(SUITE / "v4", "context.json")
BOTOCORE_CASES = case_dirs(BOTOCORE_SUITE, "*.authz")


def _context(case: Path) -> tuple[Request, Credentials, dict[str, object]]:
    ctx = read_json(case / "context.json")
    raw = parse_raw_request((case / "request.txt").read_bytes())
    c = ctx["credentials"]
    creds = Credentials(c["access_key_id"], c["secret_access_key"], c.get("token"))
    return Request(raw.method, raw.target, raw.headers, raw.body), creds, ctx


def _read(case: Path, name: str) -> str:
    return (case / name).read_text()


def test_suite_is_complete() -> None:
    require(SUITE)
    assert len(V4_CASES) == 38
    require(BOTOCORE_SUITE)
    assert len(BOTOCORE_CASES) == 34


@pytest.mark.parametrize("case", V4_CASES, ids=[c.name for c in V4_CASES])
def test_v4_header_signing(case: Path) -> None:
    request, creds, ctx = _context(case)
    signed = sign_request(
        request,
        creds,
        region=str(ctx["region"]),
        service=str(ctx["service"]),
        timestamp=str(ctx["timestamp"]),
        normalize_path=bool(ctx["normalize"]),
        content_sha256_header=bool(ctx["sign_body"]),
        sign_session_token=not ctx.get("omit_session_token", False),
    )
    assert signed.canonical_request == _read(case, "header-canonical-request.txt")
    assert signed.string_to_sign == _read(case, "header-string-to-sign.txt")
    assert signed.signature == _read(case, "header-signature.txt")
    expected_auth = [
        line.partition(":")[2]
        for line in _read(case, "header-signed-request.txt").split("\n")
        if line.startswith("Authorization:")
    ]
    assert [signed.authorization] == expected_auth


@pytest.mark.parametrize("case", V4_CASES, ids=[c.name for c in V4_CASES])
def test_v4_query_signing(case: Path) -> None:
    request, creds, ctx = _context(case)
    presigned = presign(
        request,
        creds,
        region=str(ctx["region"]),
        service=str(ctx["service"]),
        expires=int(str(ctx["expiration_in_seconds"])),
        timestamp=str(ctx["timestamp"]),
        normalize_path=bool(ctx["normalize"]),
        sign_session_token=not ctx.get("omit_session_token", False),
    )
    signed_line = _read(case, "query-signed-request.txt").split("\n")[0]
    expected_target = signed_line.split(" ", 1)[1].rsplit(" ", 1)[0]
    if wire_form(expected_target) != expected_target:
        check_unsendable_case(case, presigned, expected_target, creds)
        return
    assert presigned.canonical_request == _read(case, "query-canonical-request.txt")
    assert presigned.string_to_sign == _read(case, "query-string-to-sign.txt")
    assert presigned.signature == _read(case, "query-signature.txt")
    assert sorted(presigned.url.split("?", 1)[1].split("&")) == sorted(
        expected_target.split("?", 1)[1].split("&")
    )


def check_unsendable_case(
    case: Path, presigned: PresignedRequest, expected_target: str, creds: Credentials
) -> None:
    """A suite case whose request line carries what no client sends raw (a space, UTF-8):
    the suite signs the raw bytes as the wire path. Its signature must verify as it stands
    (the verifier reads a request line as received); the URL presign returns carries them
    percent-encoded, as curl or a browser would send them, and is signed as that: the
    suite's canonical request with the path (the only part a service encodes without
    decoding first) encoded once more for the '%' now in it."""
    raw = parse_raw_request((case / "query-signed-request.txt").read_bytes())
    ctx = read_json(case / "context.json")
    now = str(ctx["timestamp"])
    received = Request(raw.method, raw.target, raw.headers, raw.body)
    assert verify_request(received, lambda _: creds, now=now).valid
    ours = Request(raw.method, presigned.url, raw.headers)
    assert verify_request(ours, lambda _: creds, now=now).valid
    expected = _read(case, "query-canonical-request.txt").split("\n")
    expected[1] = quote(expected[1], safe="/-_.~")  # RFC 3986, by urllib, as AWS encodes
    assert presigned.canonical_request.split("\n") == expected
    sent = presigned.url.split("://", 1)[-1].partition("/")[2]
    assert " " not in sent and sent.isascii()


@pytest.mark.parametrize("case", BOTOCORE_CASES, ids=[c.name for c in BOTOCORE_CASES])
def test_botocore_layout_authorization(case: Path) -> None:
    """The older layout: the .req already carries X-Amz-Date (and maybe a token); the signer
    replaces them. A token is signed exactly when the expected canonical request lists it."""
    raw = parse_raw_request((case / f"{case.name}.req").read_bytes())
    creq = (case / f"{case.name}.creq").read_text()
    headers = {n.lower(): v for n, v in raw.headers}
    token_lines = [ln[21:] for ln in creq.split("\n") if ln.startswith("x-amz-security-token:")]
    token = headers.get("x-amz-security-token") or (token_lines[0] if token_lines else None)
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    signed = sign_request(
        Request(raw.method, raw.target, raw.headers, raw.body),
        creds,
        region="us-east-1",
        service="service",
        timestamp=amz_date(headers["x-amz-date"]),
        sign_session_token="x-amz-security-token:" in creq,
    )
    assert signed.canonical_request == creq
    assert signed.string_to_sign == (case / f"{case.name}.sts").read_text()
    assert signed.authorization == (case / f"{case.name}.authz").read_text()
