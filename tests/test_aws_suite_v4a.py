"""The official AWS SigV4a test suite (aws-c-auth's v4a/).

ECDSA signatures are randomised, so the suite's signature files are samples: they are verified
with the suite's public key, never compared as strings. Our own signatures must verify with
that same key, which proves the key derivation independently of our code.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from sigv4kit import Credentials, Request, presign, sign_request
from sigv4kit.signing import wire_form
from sigv4kit.sigv4a import public_key, public_key_from_xy, verify_signature

from .suite_files import SUITE, case_dirs, parse_raw_request, read_json, require

V4A_CASES = case_dirs(SUITE / "v4a", "public-key.json")


def _case(case: Path) -> tuple[Request, Credentials, dict[str, object], ec.EllipticCurvePublicKey]:
    ctx = read_json(case / "context.json")
    raw = parse_raw_request((case / "request.txt").read_bytes())
    c = ctx["credentials"]
    creds = Credentials(c["access_key_id"], c["secret_access_key"], c.get("token"))
    xy = read_json(case / "public-key.json")
    return (
        Request(raw.method, raw.target, raw.headers, raw.body),
        creds,
        ctx,
        public_key_from_xy(xy["X"], xy["Y"]),
    )


def _read(case: Path, name: str) -> str:
    return (case / name).read_text()


def test_v4a_suite_is_complete() -> None:
    require(SUITE)
    assert len(V4A_CASES) == 38


@pytest.mark.parametrize("case", V4A_CASES, ids=[c.name for c in V4A_CASES])
def test_derived_public_key_matches(case: Path) -> None:
    _, creds, _, suite_key = _case(case)
    assert public_key(creds).public_numbers() == suite_key.public_numbers()


@pytest.mark.parametrize("case", V4A_CASES, ids=[c.name for c in V4A_CASES])
def test_v4a_header_signing(case: Path) -> None:
    request, creds, ctx, suite_key = _case(case)
    signed = sign_request(
        request,
        creds,
        region=str(ctx["region"]),
        service=str(ctx["service"]),
        timestamp=str(ctx["timestamp"]),
        algorithm="sigv4a",
        normalize_path=bool(ctx["normalize"]),
        content_sha256_header=bool(ctx["sign_body"]),
        sign_session_token=not ctx.get("omit_session_token", False),
    )
    assert signed.canonical_request == _read(case, "header-canonical-request.txt")
    assert signed.string_to_sign == _read(case, "header-string-to-sign.txt")
    assert verify_signature(suite_key, signed.string_to_sign, signed.signature)
    sample = _read(case, "header-signature.txt").strip()
    assert verify_signature(suite_key, _read(case, "header-string-to-sign.txt"), sample)
    assert not verify_signature(suite_key, signed.string_to_sign + "x", signed.signature)
    assert f"Signature={signed.signature}" in signed.authorization


@pytest.mark.parametrize("case", V4A_CASES, ids=[c.name for c in V4A_CASES])
def test_v4a_query_signing(case: Path) -> None:
    request, creds, ctx, suite_key = _case(case)
    presigned = presign(
        request,
        creds,
        region=str(ctx["region"]),
        service=str(ctx["service"]),
        expires=int(str(ctx["expiration_in_seconds"])),
        timestamp=str(ctx["timestamp"]),
        algorithm="sigv4a",
        normalize_path=bool(ctx["normalize"]),
        sign_session_token=not ctx.get("omit_session_token", False),
    )
    expected = _read(case, "query-canonical-request.txt")
    if wire_form(request.url) != request.url:
        # Sent raw by the suite, percent-encoded by presign (see test_aws_suite's
        # check_unsendable_case): the path is then encoded once more.
        lines = expected.split("\n")
        lines[1] = quote(lines[1], safe="/-_.~")
        expected = "\n".join(lines)
        assert " " not in presigned.url and presigned.url.isascii()
    else:
        assert presigned.string_to_sign == _read(case, "query-string-to-sign.txt")
    assert presigned.canonical_request == expected
    assert verify_signature(suite_key, presigned.string_to_sign, presigned.signature)
    sample = _read(case, "query-signature.txt").strip()
    assert verify_signature(suite_key, _read(case, "query-string-to-sign.txt"), sample)
    assert presigned.url.endswith(f"X-Amz-Signature={presigned.signature}")
