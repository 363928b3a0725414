"""Interop with the AWS Common Runtime's signer (awscrt), an independent C implementation.

SigV4a signatures are randomised, so awscrt-signed requests are checked with our verifier;
SigV4 signatures are deterministic and compared byte for byte. Skipped where awscrt is not
installed (it is an optional test dependency).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sigv4kit import Credentials, Request, sign_request
from sigv4kit.verify import verify_request

crt_auth = pytest.importorskip("awscrt.auth", reason="awscrt (optional) is not installed")
crt_http = pytest.importorskip("awscrt.http")

CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "SESSIONTOKEN+/=")
NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)


def _crt_sign(request: Request, *, algorithm: Any, region: str, service: str,
              query: bool = False) -> Request:
    host = request.url.split("://", 1)[1].split("/", 1)[0]
    target = "/" + request.url.split("://", 1)[1].split("/", 1)[1]
    headers = crt_http.HttpHeaders([("Host", host), *request.headers])
    crt_request = crt_http.HttpRequest(request.method, target, headers)
    config = crt_auth.AwsSigningConfig(
        algorithm=algorithm,
        signature_type=(crt_auth.AwsSignatureType.HTTP_REQUEST_QUERY_PARAMS if query
                        else crt_auth.AwsSignatureType.HTTP_REQUEST_HEADERS),
        credentials_provider=crt_auth.AwsCredentialsProvider.new_static(
            CREDS.access_key_id, CREDS.secret_access_key, CREDS.session_token),
        region=region,
        service=service,
        date=NOW,
        expiration_in_seconds=3600 if query else None,
        signed_body_value=__import__("hashlib").sha256(request.body).hexdigest(),
    )
    crt_auth.aws_sign_request(crt_request, config).result(timeout=10)
    url = request.url.split("://", 1)[0] + "://" + host + crt_request.path
    return Request(request.method, url, list(crt_request.headers), request.body)


def _lookup(key: str) -> Credentials | None:
    return CREDS if key == CREDS.access_key_id else None


_segment = st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "N"], include_characters="-_.~ "),
    min_size=1, max_size=8,
)
_value = st.text(alphabet="abcXYZ019-_.~", max_size=8)


@st.composite
def requests_(draw: st.DrawFn) -> Request:
    from urllib.parse import quote

    path = "/" + "/".join(quote(s, safe="") for s in draw(st.lists(_segment, max_size=3)))
    pairs = draw(st.lists(st.tuples(_value.filter(bool), _value), max_size=4))
    query = "&".join(f"{k}={v}" for k, v in pairs)
    headers = draw(st.lists(st.tuples(st.sampled_from(["X-Amz-Meta-A", "X-Custom", "Accept"]),
                                      _value), max_size=3, unique_by=lambda h: h[0]))
    body = draw(st.binary(max_size=64))
    method = draw(st.sampled_from(["GET", "POST", "PUT"]))
    return Request(method, f"https://example.amazonaws.com{path}{'?' + query if query else ''}",
                   headers, body)


@given(requests_(), st.sampled_from([["us-east-1"], ["*"], ["us-east-1", "us-west-2"]]),
       st.booleans())
def test_awscrt_sigv4a_requests_verify_with_our_verifier(
    request: Request, region_set: list[str], query: bool
) -> None:
    signed = _crt_sign(request, algorithm=crt_auth.AwsSigningAlgorithm.V4_ASYMMETRIC,
                       region=",".join(region_set), service="service", query=query)
    result = verify_request(signed, _lookup, now=NOW, region="us-east-1")
    assert result.valid, (result.reason, result.message)
    tampered = Request(signed.method, signed.url, signed.headers, signed.body + b"x")
    assert not verify_request(tampered, _lookup, now=NOW).valid


@given(requests_())
def test_awscrt_sigv4_header_signatures_equal_ours(request: Request) -> None:
    theirs = _crt_sign(request, algorithm=crt_auth.AwsSigningAlgorithm.V4,
                       region="us-east-1", service="service")
    ours = sign_request(request, CREDS, region="us-east-1", service="service", timestamp=NOW)
    assert ours.authorization == theirs.header("Authorization")
