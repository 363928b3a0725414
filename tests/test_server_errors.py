"""sigv4kit.server.errors: each refusal, read by botocore's own protocol parsers, is the
ClientError code AWS gives for that fault; the explained mismatch is what ``diff`` reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.parsers import create_parser

from sigv4kit import Credentials, Request, presign, sign_request, verify_request
from sigv4kit.diagnose.server_error import parse_server_error
from sigv4kit.errors import SigningError
from sigv4kit.received import Reason
from sigv4kit.server.errors import error_response, refusal
from sigv4kit.streaming import sign_chunked
from sigv4kit.verify import VerifyResult

CREDS = Credentials("AKIDSERVERTEST", "server/test/secret/key/0123456789abcdefghij")
NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
URL = "https://bucket.s3.us-east-1.amazonaws.com/key?x=1"


def lookup(akid: str) -> Credentials | None:
    return CREDS if akid == CREDS.access_key_id else None


def _signed(service: str = "s3", **kw: Any) -> Request:
    req = Request("PUT", URL, headers=[("Host", "bucket.s3.us-east-1.amazonaws.com")],
                  body=b"hello")
    return sign_request(req, kw.pop("creds", CREDS), region="us-east-1", service=service,
                        timestamp=kw.pop("at", NOW), **kw).request


def _replace_body(req: Request, body: bytes) -> Request:
    return Request(req.method, req.url, list(req.headers), body)


def _verdict(kind: str) -> VerifyResult:
    if kind == "mismatch":
        req = _replace_body(_signed(), b"hellO")
        req = Request(req.method, URL + "&y=2", list(req.headers), req.body)
    elif kind == "expired":
        req = _signed(at=NOW - timedelta(hours=1))
    elif kind == "presigned_expired":
        req = Request("GET", presign(Request("GET", URL), CREDS, region="us-east-1",
                                     service="s3", expires=60,
                                     timestamp=NOW - timedelta(hours=1)).url)
    elif kind == "unknown":
        req = _signed(creds=Credentials("AKIDNOBODY", "x" * 40))
    elif kind == "unsigned":
        req = Request("GET", URL, headers=[("Host", "bucket.s3.us-east-1.amazonaws.com")])
    elif kind == "malformed":
        req = Request("GET", URL, headers=[("Authorization", "AWS4-HMAC-SHA256 Credential=x")])
    elif kind == "payload":
        req = _replace_body(_signed(content_sha256_header=True), b"other")
    elif kind in ("chunk", "checksum", "length"):
        up = sign_chunked(Request("PUT", URL), CREDS, region="us-east-1", service="s3",
                          payload=b"a" * 9000, chunk_size=8192, timestamp=NOW,
                          trailer="crc32" if kind == "checksum" else None,
                          signed=kind != "checksum")
        body = up.body.read_all()
        if kind == "chunk":
            body = body.replace(b"aaaa", b"aaab", 1)
        elif kind == "checksum":
            head, _, value = body.rpartition(b"x-amz-checksum-crc32:")
            body = head + b"x-amz-checksum-crc32:AAAAAA==" + value[8:]
        elif kind == "length":
            body = body[:8300]  # ends inside the second chunk
        req = Request("PUT", up.request.url, list(up.request.headers), body)
    else:
        raise AssertionError(kind)
    return verify_request(req, lookup, now=NOW)


EXPECTED = {
    # kind: (reason, rest-xml, query, ec2, json)
    "mismatch": (Reason.SIGNATURE_MISMATCH, "SignatureDoesNotMatch", "SignatureDoesNotMatch",
                 "AuthFailure", "InvalidSignatureException"),
    "expired": (Reason.EXPIRED, "RequestTimeTooSkewed", "RequestExpired", "RequestExpired",
                "InvalidSignatureException"),
    "presigned_expired": (Reason.EXPIRED, "AccessDenied", "RequestExpired", "RequestExpired",
                          "InvalidSignatureException"),
    "unknown": (Reason.UNKNOWN_ACCESS_KEY, "InvalidAccessKeyId", "InvalidClientTokenId",
                "AuthFailure", "UnrecognizedClientException"),
    "unsigned": (Reason.NOT_SIGNED, "AccessDenied", "MissingAuthenticationToken", "AuthFailure",
                 "MissingAuthenticationTokenException"),
    "malformed": (Reason.MALFORMED, "AuthorizationHeaderMalformed", "IncompleteSignature",
                  "IncompleteSignature", "IncompleteSignatureException"),
    "payload": (Reason.PAYLOAD_HASH_MISMATCH, "XAmzContentSHA256Mismatch",
                "SignatureDoesNotMatch", "AuthFailure", "InvalidSignatureException"),
    "chunk": (Reason.CHUNK_SIGNATURE_MISMATCH, "SignatureDoesNotMatch", "SignatureDoesNotMatch",
              "AuthFailure", "InvalidSignatureException"),
    "checksum": (Reason.CHECKSUM_MISMATCH, "BadDigest", "BadDigest", "BadDigest", "BadDigest"),
    "length": (Reason.MALFORMED_CHUNK, "IncompleteBody", "IncompleteBody",
               "IncompleteBody", "IncompleteBody"),
}
PROTOCOL_PARSERS = {"rest-xml": ("rest-xml",), "query": ("query",), "ec2": ("ec2",),
                    "json": ("json", "rest-json")}


def botocore_parse(parser_name: str, status: int, headers: tuple[tuple[str, str], ...],
                   body: bytes) -> dict[str, Any]:
    """What botocore makes of the answer (its parsers, as a ClientError is built from)."""
    from botocore.awsrequest import HeadersDict

    parsed: dict[str, Any] = create_parser(parser_name).parse(
        {"status_code": status, "headers": HeadersDict(headers), "body": body}, None
    )
    return parsed


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_verdict_reasons_are_the_expected_faults(kind: str) -> None:
    assert _verdict(kind).reason == EXPECTED[kind][0]


@pytest.mark.parametrize("protocol", ["rest-xml", "query", "ec2", "json"])
@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_botocore_reads_awss_code(kind: str, protocol: str) -> None:
    verdict = _verdict(kind)
    answer = error_response(verdict, protocol, request_id="REQID123")
    expected = EXPECTED[kind][1 + ("rest-xml", "query", "ec2", "json").index(protocol)]
    assert answer.code == expected
    assert answer.status >= 400
    for parser_name in PROTOCOL_PARSERS[protocol]:
        parsed = botocore_parse(parser_name, answer.status, answer.headers, answer.body)
        assert parsed["Error"]["Code"] == expected, (parser_name, parsed)
        assert parsed["Error"]["Message"]
        assert parsed["ResponseMetadata"]["RequestId"] == "REQID123"
    text = answer.body.decode()
    assert CREDS.secret_access_key not in text
    assert verdict.received is None or verdict.received.signature not in text


@pytest.mark.parametrize("protocol", ["rest-xml", "query", "json"])
def test_explained_mismatch_is_what_diff_reads(protocol: str) -> None:
    verdict = _verdict("mismatch")
    assert verdict.canonical_request is not None
    plain = error_response(verdict, protocol)
    assert b"Canonical" not in plain.body and verdict.canonical_request.encode() not in plain.body
    answer = error_response(verdict, protocol, explain=True)
    report = parse_server_error(answer.body)
    assert report.code == answer.code
    assert report.canonical_request == verdict.canonical_request
    assert report.string_to_sign == verdict.string_to_sign
    parsed = botocore_parse(protocol, answer.status, answer.headers, answer.body)
    assert parsed["Error"]["Code"] == answer.code


def test_refusals_and_bad_protocol() -> None:
    answer = refusal("too_large", "rest-xml")
    assert botocore_parse("rest-xml", answer.status, answer.headers, answer.body)["Error"][
        "Code"] == "EntityTooLarge"
    assert botocore_parse("json", *_triple(refusal("too_large", "json")))["Error"][
        "Code"] == "RequestEntityTooLargeException"
    with pytest.raises(SigningError, match="protocol"):
        error_response(_verdict("unsigned"), "soap")


def _triple(answer: Any) -> tuple[int, tuple[tuple[str, str], ...], bytes]:
    return answer.status, answer.headers, answer.body
