"""The signature debugger (sigv4kit.diagnose.explain): what a signed request claims, and the
warnings that predict a rejection, with secrets redacted in every rendering.

Warnings are provoked with URLs we presign ourselves (a CopySnapshot PresignedUrl signed for the
wrong region is the case this project exists for); the official suite's requests, all correct,
must produce none.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sigv4kit import Credentials, Request, SigningError, presign, sign_request
from sigv4kit.diagnose.explain import (
    Explanation,
    explain_request,
    host_region_and_service,
    render_text,
    to_dict,
)
from sigv4kit.redact import redacted
from sigv4kit.wire import parse_raw_request, parse_url_request

from .suite_files import SUITE, case_dirs

TS = "20150830T123600Z"
T0 = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)
TOKEN = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqw"
CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", TOKEN)
SNAPSHOT = "snap-066877671789bd71b"


def codes(e: Explanation) -> list[str]:
    return [w.code for w in e.warnings]


def copy_snapshot_url(
    *,
    host_region: str = "us-west-2",
    scope_region: str = "us-west-2",
    params: str = f"SourceRegion=us-west-2&SourceSnapshotId={SNAPSHOT}&DestinationRegion=us-east-1",
    service: str = "ec2",
) -> str:
    url = (
        f"https://ec2.{host_region}.amazonaws.com/?Action=CopySnapshot&{params}&Version=2016-11-15"
    )
    return presign(
        Request("GET", url), CREDS, region=scope_region, service=service, timestamp=TS
    ).url


def explain_url(url: str, **kw: object) -> Explanation:
    return explain_request(parse_url_request(url), now=TS, **kw)  # type: ignore[arg-type]


def assert_redacted(e: Explanation) -> None:
    """Neither rendering shows the session token or the signature, only their redacted form."""
    text = render_text(e)
    dumped = json.dumps(to_dict(e))
    for shown in (text, dumped, repr(e)):
        assert TOKEN not in shown
        assert TOKEN.replace("/", "%2F") not in shown
        assert CREDS.secret_access_key not in shown
        if e.signature:
            assert e.signature not in shown
    if e.session_token:
        assert redacted(e.session_token) in text


# --- CopySnapshot, the reason this exists -------------------------------------------------


def test_correct_copy_snapshot_url_has_no_warnings() -> None:
    e = explain_url(copy_snapshot_url())
    assert codes(e) == []
    assert e.mode == "query" and e.algorithm == "AWS4-HMAC-SHA256"
    assert e.access_key_id == "AKIDEXAMPLE"
    assert e.credential_scope == "20150830/us-west-2/ec2/aws4_request"
    assert (e.scope_date, e.region, e.service) == ("20150830", "us-west-2", "ec2")
    assert (e.host_region, e.host_service) == ("us-west-2", "ec2")
    assert e.signed_headers == ("host",)
    assert e.issued == T0 and e.expires_in == 3600
    assert e.expires_at == T0 + timedelta(hours=1) and e.seconds_left == 3600
    assert e.session_token == TOKEN and e.session_token_signed is None
    assert_redacted(e)


def test_copy_snapshot_signed_for_the_destination_region() -> None:
    """The classic mistake: the PresignedUrl presigned with the destination region (us-east-1)
    but addressed to the source region's endpoint."""
    e = explain_url(copy_snapshot_url(scope_region="us-east-1"))
    assert codes(e) == ["region_mismatch", "copy_snapshot_scope_region"]
    assert "us-east-1" in e.warnings[0].message and "us-west-2" in e.warnings[0].message
    text = render_text(e)
    assert "[region_mismatch]" in text and "[copy_snapshot_scope_region]" in text
    assert_redacted(e)


def test_copy_snapshot_sent_to_the_wrong_endpoint() -> None:
    e = explain_url(copy_snapshot_url(host_region="us-east-1"))
    assert codes(e) == ["region_mismatch", "copy_snapshot_host_region"]


def test_copy_snapshot_missing_parameters() -> None:
    e = explain_url(copy_snapshot_url(params="Description=x"))
    assert codes(e) == ["copy_snapshot_missing_parameter"] * 3
    messages = " ".join(w.message for w in e.warnings)
    for name in ("SourceRegion", "SourceSnapshotId", "DestinationRegion"):
        assert name in messages


def test_copy_snapshot_wrong_service() -> None:
    e = explain_url(copy_snapshot_url(service="s3"))
    assert codes(e) == ["service_mismatch", "copy_snapshot_service"]


def test_outer_copy_snapshot_call_is_not_checked_as_a_presigned_url() -> None:
    url = copy_snapshot_url(
        host_region="us-east-1",
        scope_region="us-east-1",
        params=f"SourceRegion=us-west-2&SourceSnapshotId={SNAPSHOT}&PresignedUrl=x",
    )
    assert codes(explain_url(url)) == []


# --- the other warnings -------------------------------------------------------------------


def test_region_and_service_from_the_host() -> None:
    req = Request("GET", "https://sqs.eu-west-1.amazonaws.com/?Action=ListQueues")
    e = explain_request(
        parse_url_request(presign(req, CREDS, region="us-east-1", service="sns", timestamp=TS).url),
        now=TS,
    )
    assert codes(e) == ["region_mismatch", "service_mismatch"]


def test_sigv4a_region_set_against_the_host() -> None:
    req = Request("GET", "https://s3.eu-west-1.amazonaws.com/bucket/key")
    for region, expected in (("*", []), (["eu-*"], []), (["us-east-1"], ["region_mismatch"])):
        url = presign(req, CREDS, region=region, service="s3", timestamp=TS, algorithm="sigv4a").url
        e = explain_url(url)
        assert codes(e) == expected
        assert e.region is None and e.region_set is not None
    assert "region set" in render_text(e)


def test_expiry_over_seven_days_and_zero() -> None:
    url = copy_snapshot_url()
    assert "expires_too_long" in codes(explain_url(url.replace("Expires=3600", "Expires=604801")))
    assert "expires_too_short" in codes(explain_url(url.replace("Expires=3600", "Expires=0")))


def test_expired_and_not_yet_valid() -> None:
    url = copy_snapshot_url()
    late = explain_request(parse_url_request(url), now=T0 + timedelta(hours=3))
    assert codes(late) == ["expired"]
    assert late.seconds_left == -2 * 3600
    assert "overdue by 2h 0m 0s" in render_text(late)
    early = explain_request(parse_url_request(url), now=T0 - timedelta(hours=1))
    assert codes(early) == ["not_yet_valid"]
    assert "1h 0m 0s left" not in render_text(early)


def test_date_mismatch() -> None:
    url = copy_snapshot_url().replace(f"X-Amz-Date={TS}", "X-Amz-Date=20150831T000000Z")
    e = explain_request(parse_url_request(url), now="20150831T000000Z")
    assert codes(e) == ["date_mismatch"]


def test_header_mode_token_and_headers_not_signed() -> None:
    """An unsigned token is warned about; an unsigned Content-Type on EC2 is only listed (it
    fails nowhere: the old "anything on the way may change it" warning was noise)."""
    req = Request("POST", "https://ec2.us-east-1.amazonaws.com/", body=b"Action=DescribeRegions")
    signed = sign_request(
        req, CREDS, region="us-east-1", service="ec2", timestamp=TS, sign_session_token=False
    ).request
    later = Request(
        signed.method,
        signed.url,
        [
            *signed.headers,
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("User-Agent", "curl"),
        ],
        signed.body,
    )
    e = explain_request(later, now=TS)
    assert codes(e) == ["token_not_signed"]
    assert e.unsigned_headers == ("x-amz-security-token", "content-type")
    assert e.session_token_signed is False
    assert e.mode == "header"
    assert e.expires_at == T0 + timedelta(minutes=5) and e.expires_in is None
    text = render_text(e)
    assert "Authorization header" in text and "5 minutes" in text
    assert "not signed" in text and "Unsigned:        x-amz-security-token, content-type" in text
    assert_redacted(e)


def _signed_then(service: str, host: str, *added: tuple[str, str]) -> Explanation:
    req = Request("GET", f"https://{host}/bucket/key")
    signed = sign_request(req, CREDS, region="us-east-1", service=service, timestamp=TS).request
    return explain_request(
        Request(signed.method, signed.url, [*signed.headers, *added]), now=TS
    )


def test_unsigned_x_amz_headers_warned_about_on_s3_only() -> None:
    """S3 refuses unsigned x-amz-* headers (AccessDenied); EC2, DynamoDB and the rest do not."""
    e = _signed_then("s3", "s3.us-east-1.amazonaws.com", ("x-amz-acl", "public-read"))
    assert codes(e) == ["header_not_signed"]
    assert "x-amz-acl" in e.warnings[0].message and "S3" in e.warnings[0].message
    for service, host in (("ec2", "ec2.us-east-1.amazonaws.com"),
                          ("dynamodb", "dynamodb.us-east-1.amazonaws.com")):
        other = _signed_then(service, host, ("X-Amz-Target", "DynamoDB_20120810.ListTables"))
        assert codes(other) == [] and other.unsigned_headers == ("x-amz-target",)
    plain = _signed_then("s3", "s3.us-east-1.amazonaws.com", ("Content-Type", "text/plain"))
    assert codes(plain) == [] and plain.unsigned_headers == ("content-type",)


def test_headers_sdks_leave_unsigned_by_design_are_no_warning() -> None:
    """What botocore, the AWS CLI and urllib3 add after signing (see vectors/captures)."""
    from sigv4kit.diagnose.explain import UNSIGNED_BY_DESIGN

    by_design = [
        ("Content-Length", "12"), ("Accept-Encoding", "identity"), ("Accept", "*/*"),
        ("amz-sdk-invocation-id", "0b4c7a52-3c3e-4a0e-9a5b-0e0f6f0b3c2d"),
        ("amz-sdk-request", "attempt=1; max=3"), ("X-Amz-Trailer", "x-amz-checksum-crc32"),
        ("User-Agent", "Boto3/1.40.0"),
    ]
    assert {n.lower() for n, _ in by_design} - {"user-agent"} <= UNSIGNED_BY_DESIGN.keys()
    e = _signed_then("s3", "s3.us-east-1.amazonaws.com", *by_design)
    assert codes(e) == []
    assert "content-length" in e.unsigned_headers and "x-amz-trailer" in e.unsigned_headers


def test_missing_signed_header_and_unsigned_host() -> None:
    req = Request("GET", "https://ec2.us-east-1.amazonaws.com/", [("X-Extra", "1")])
    signed = sign_request(req, CREDS, region="us-east-1", service="ec2", timestamp=TS).request
    without = Request(signed.method, signed.url, [h for h in signed.headers if h[0] != "X-Extra"])
    e = explain_request(without, now=TS)
    assert codes(e) == ["missing_signed_header"]
    assert e.canonical_request is None and e.access_key_id == "AKIDEXAMPLE"
    auth = signed.header("authorization") or ""
    no_host = Request(
        signed.method,
        signed.url,
        [
            (
                n,
                auth.replace("SignedHeaders=host;", "SignedHeaders=")
                if n == "Authorization"
                else v,
            )
            for n, v in signed.headers
        ],
    )
    assert "host_not_signed" in codes(explain_request(no_host, now=TS))


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (Request("GET", "https://ec2.amazonaws.com/"), "not_signed"),
        (
            Request("GET", "https://h/", [("Authorization", "Bearer abc.def")]),
            "unsupported_algorithm",
        ),
        (Request("GET", "https://h/", [("Authorization", "AWS4-HMAC-SHA256 x")]), "malformed"),
        (Request("GET", "https://h/?X-Amz-Signature=1"), "malformed"),
        (Request("GET", "/no-host"), "not_signed"),
        (Request("GET", "https://[bad/"), "malformed"),
    ],
)
def test_unreadable_signatures_become_warnings(request_: Request, code: str) -> None:
    e = explain_request(request_, now=TS)
    assert codes(e) == [code]
    assert e.algorithm is None and e.canonical_request is None
    text = render_text(e)
    assert "none that can be read" in text and f"[{code}]" in text
    assert "abc.def" not in text
    json.dumps(to_dict(e))


def test_bad_arguments_raise() -> None:
    with pytest.raises(SigningError, match="now"):
        explain_request(Request("GET", "https://h/"), now=datetime(2015, 8, 30))
    with pytest.raises(SigningError, match="request"):
        explain_request("https://h/")  # type: ignore[arg-type]


def test_to_dict_is_json_and_redacted() -> None:
    e = explain_url(copy_snapshot_url(scope_region="us-east-1"))
    d = json.loads(json.dumps(to_dict(e)))
    assert d["scope"] == {
        "date": "20150830",
        "region": "us-east-1",
        "region_set": None,
        "service": "ec2",
    }
    assert d["issued"] == "2015-08-30T12:36:00Z" and d["expires_at"] == "2015-08-30T13:36:00Z"
    assert d["session_token"] == redacted(TOKEN)
    assert d["signature"] == redacted(e.signature or "")
    assert [w["code"] for w in d["warnings"]] == codes(e)
    assert "X-Amz-Security-Token=AQoD…" in d["url"]
    assert TOKEN.replace("/", "%2F") not in d["canonical_request"]
    assert_redacted(e)


def test_canonical_request_matches_the_signer() -> None:
    req = Request("GET", "https://ec2.us-west-2.amazonaws.com/a/../b?Action=X")
    p = presign(req, CREDS, region="us-west-2", service="ec2", timestamp=TS)
    e = explain_url(p.url)
    assert (e.canonical_request, e.string_to_sign) == (p.canonical_request, p.string_to_sign)
    assert "Canonical request:" in render_text(e)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("ec2.us-west-2.amazonaws.com", ("us-west-2", "ec2")),
        ("ec2.amazonaws.com", ("us-east-1", "ec2")),
        ("EC2.US-WEST-2.AMAZONAWS.COM:443", ("us-west-2", "ec2")),
        ("s3.eu-west-1.amazonaws.com", ("eu-west-1", "s3")),
        ("bucket.s3.us-east-2.amazonaws.com", ("us-east-2", "s3")),
        ("bucket.s3.amazonaws.com", ("us-east-1", "s3")),
        ("s3-us-west-2.amazonaws.com", ("us-west-2", "s3")),
        ("s3-external-1.amazonaws.com", ("us-east-1", "s3")),
        ("bucket.s3.dualstack.ap-south-1.amazonaws.com", ("ap-south-1", "s3")),
        ("bucket.s3-website-us-west-2.amazonaws.com", ("us-west-2", "s3")),
        ("bucket.s3-accelerate.amazonaws.com", (None, "s3")),
        ("ap-123.s3-object-lambda.us-west-2.amazonaws.com", ("us-west-2", "s3-object-lambda")),
        ("ap.op-01.s3-outposts.us-east-1.amazonaws.com", ("us-east-1", "s3-outposts")),
        ("s3-fips.us-east-2.amazonaws.com", ("us-east-2", "s3")),
        ("vpce-0abc.ec2.us-east-1.vpce.amazonaws.com", ("us-east-1", "ec2")),
        ("ec2-fips.us-gov-west-1.amazonaws.com", ("us-gov-west-1", "ec2")),
        ("ec2.cn-north-1.amazonaws.com.cn", ("cn-north-1", "ec2")),
        ("ec2.us-west-2.api.aws", ("us-west-2", "ec2")),
        ("abc.execute-api.eu-central-1.amazonaws.com", ("eu-central-1", "execute-api")),
        ("email.us-east-1.amazonaws.com", ("us-east-1", "ses")),
        ("sts.amazonaws.com", ("us-east-1", "sts")),
        ("example.amazonaws.com", ("us-east-1", None)),
        ("example.com", (None, None)),
        ("[::1]:8080", (None, None)),
        ("localhost:4566", (None, None)),
    ],
)
def test_host_region_and_service(host: str, expected: tuple[str | None, str | None]) -> None:
    assert host_region_and_service(host) == expected


# --- the official suite: all correct, so no warnings ---------------------------------------

SUITE_CASES = [
    (f"{version}/{folder.name}/{kind}", folder, kind)
    for version in ("v4", "v4a")
    for folder in case_dirs(SUITE / version, "query-signed-request.txt")
    for kind in ("query", "header")
]


@pytest.mark.parametrize(
    ("folder", "kind"), [c[1:] for c in SUITE_CASES], ids=[c[0] for c in SUITE_CASES]
)
def test_suite_requests_explained_without_warnings(folder: Path, kind: str) -> None:
    ctx = json.loads((folder / "context.json").read_text())
    request = parse_raw_request((folder / f"{kind}-signed-request.txt").read_bytes())
    e = explain_request(request, now=ctx["timestamp"], normalize_path=ctx["normalize"])
    unsigned_token = kind == "header" and ctx.get("omit_session_token", False)
    assert codes(e) == (["token_not_signed"] if unsigned_token else [])
    assert e.mode == kind
    assert e.access_key_id == "AKIDEXAMPLE" and e.service == "service"
    assert e.issued == T0
    assert e.seconds_left == (3600 if kind == "query" else 300)
    if not (kind == "query" and ctx.get("omit_session_token", False)):
        # The one query case whose token was appended after signing is rebuilt as if signed:
        # without the secret, explain cannot tell (verify can).
        assert e.canonical_request == (folder / f"{kind}-canonical-request.txt").read_text()
        assert e.string_to_sign == (folder / f"{kind}-string-to-sign.txt").read_text()
    text = render_text(e)
    assert "Warnings:" in text
    json.dumps(to_dict(e))
    if e.session_token is not None:
        assert e.session_token not in text
        assert redacted(e.session_token) in text


# --- garbage never raises ------------------------------------------------------------------


def _explain_anything(request: Request) -> None:
    e = explain_request(request, now=TS)
    render_text(e)
    json.dumps(to_dict(e))


@given(st.binary(max_size=400) | st.text(max_size=400).map(lambda t: t.encode("utf-8", "replace")))
def test_raw_garbage_never_raises(data: bytes) -> None:
    try:
        request = parse_raw_request(data)
    except SigningError:
        return
    _explain_anything(request)


_PIECES = st.sampled_from(
    [
        "X-Amz-Algorithm=AWS4-HMAC-SHA256",
        "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256",
        "X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fec2%2Faws4_request",
        "X-Amz-Credential=AKID%2F20150830%2Fec2%2Faws4_request",
        f"X-Amz-Date={TS}",
        "X-Amz-Expires=3600",
        "X-Amz-Expires=99999999",
        "X-Amz-SignedHeaders=host",
        "X-Amz-SignedHeaders=host%3Bx",
        "X-Amz-Signature=" + "a" * 64,
        "X-Amz-Region-Set=*",
        "X-Amz-Security-Token=t",
        "Action=CopySnapshot",
        "SourceRegion=us-west-2",
        "&",
        "=",
        "%",
        "%FF",
        "é",
    ]
)


@given(
    st.lists(_PIECES | st.text(max_size=4), max_size=12).map("&".join),
    st.sampled_from(["ec2.us-west-2.amazonaws.com", "h.test", "s3.amazonaws.com"]),
)
def test_random_presigned_urls_never_raise(query: str, host: str) -> None:
    try:
        request = parse_url_request(f"https://{host}/?{query}")
    except SigningError:
        return
    _explain_anything(request)


@given(st.text(max_size=200))
def test_random_authorization_never_raises(auth: str) -> None:
    auth = "".join(c for c in auth if c not in "\r\n\x00")
    headers = [("X-Amz-Date", TS), ("Authorization", "AWS4-HMAC-SHA256 " + auth)]
    _explain_anything(Request("GET", "https://ec2.amazonaws.com/", headers))


def test_presigned_url_outliving_its_credentials_is_flagged() -> None:
    from datetime import UTC, datetime

    from sigv4kit import Credentials, Request, presign
    from sigv4kit.diagnose.explain import explain_request
    from sigv4kit.wire import parse_url_request

    creds = Credentials("ASIAEXAMPLE", "secret-secret-secret", "token-token-token")
    url = presign(Request("GET", "https://ec2.us-west-2.amazonaws.com/?Action=DescribeRegions"),
                  creds, region="us-west-2", service="ec2", expires=7200,
                  timestamp="20261125T120000Z").url
    now = datetime(2026, 11, 25, 12, 10, tzinfo=UTC)
    short = explain_request(parse_url_request(url), now=now,
                            credentials_expire_at=datetime(2026, 11, 25, 13, 0, tzinfo=UTC))
    assert "outlives_credentials" in {w.code for w in short.warnings}
    long = explain_request(parse_url_request(url), now=now,
                           credentials_expire_at=datetime(2026, 11, 25, 15, 0, tzinfo=UTC))
    assert "outlives_credentials" not in {w.code for w in long.warnings}
