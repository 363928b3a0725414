"""Each rule defined once: what the signer signs the verifier accepts, what the verifier calls
malformed the signer refuses; one timestamp parser; redaction by header and parameter name;
``SignedRequest.added_headers`` as the signing instructions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sigv4kit import Credentials, Request, SigningError, presign, sign_request
from sigv4kit.received import read_signature
from sigv4kit.redact import redact_canonical_headers, redact_url, redacted
from sigv4kit.timestamps import amz_date, parse_amz_date, span, to_moment
from sigv4kit.verify import Reason, verify_presigned_url, verify_request
from sigv4kit.wire import parse_url_request

CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
TS = "20150830T123600Z"
URL = "https://example.amazonaws.com/"


def _lookup(akid: str) -> Credentials | None:
    return CREDS if akid == CREDS.access_key_id else None


scope_names = st.text(alphabet=st.sampled_from("abcXYZ019-_.*/ %é"), min_size=0, max_size=70)


def _signed(region: object, service: object = "service") -> Request | None:
    try:
        return sign_request(
            Request("GET", URL),
            CREDS,
            region=region,
            service=service,
            timestamp=TS,  # type: ignore[arg-type]
        ).request
    except SigningError:
        return None


@given(region=scope_names, service=scope_names)
def test_header_signing_and_verifying_agree_on_the_scope(region: str, service: str) -> None:
    signed = _signed(region, service)
    if signed is None:  # refused by the signer: a request claiming that scope is malformed
        forged = Request(
            "GET",
            URL,
            headers=[
                ("X-Amz-Date", TS),
                (
                    "Authorization",
                    f"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/{region}/{service}/"
                    f"aws4_request, SignedHeaders=host;x-amz-date, Signature={'0' * 64}",
                ),
            ],
        )
        result = verify_request(forged, _lookup, now=TS)
        assert result.reason is Reason.MALFORMED, (region, service, result.message)
    else:
        result = verify_request(signed, _lookup, now=TS)
        assert result.valid, (region, service, result.message)


@given(region=scope_names)
def test_presigning_and_verifying_agree_on_the_scope(region: str) -> None:
    try:
        url = presign(Request("GET", URL), CREDS, region=region, service="svc", timestamp=TS).url
    except SigningError:
        return
    assert verify_presigned_url(url, _lookup, now=TS).valid


@pytest.mark.parametrize("region", ["us-*", "*", "a" * 64, "us east", "us/east", ""])
def test_the_scope_bug_of_the_layout_issue_is_refused_when_signing(region: str) -> None:
    with pytest.raises(SigningError) as info:
        sign_request(Request("GET", URL), CREDS, region=region, service="ec2", timestamp=TS)
    assert str(info.value).startswith("region: ")


def test_wildcards_belong_in_sigv4a_region_sets_only() -> None:
    signed = sign_request(
        Request("GET", URL),
        CREDS,
        region=["us-*", "eu-west-1"],
        service="s3",
        timestamp=TS,
        algorithm="sigv4a",
    )
    assert read_signature(signed.request).region_set == ("us-*", "eu-west-1")
    with pytest.raises(SigningError, match="'\\*' belongs only in a SigV4a region set"):
        sign_request(Request("GET", URL), CREDS, region="us-*", service="s3", timestamp=TS)


@pytest.mark.parametrize(
    "value",
    [
        "9999-12-31T23:59:59-01:00",  # past year 9999 in UTC
        "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
        "0999-01-01T00:00:00Z",  # a three-digit year would make a broken X-Amz-Date
        "1969-12-31T23:59:59Z",
        "\u0662\u0660\u0662\u0666-01-01T00:00:00Z",  # Arabic-Indic digits
        "2026-01-01T00:00:00",  # naive
        "20260230T000000Z",  # no such day
    ],
)
def test_one_timestamp_rule_refuses_everywhere(value: str) -> None:
    with pytest.raises(SigningError) as signing:
        sign_request(Request("GET", URL), CREDS, region="us-east-1", service="s3", timestamp=value)
    assert str(signing.value).startswith("timestamp: ")
    with pytest.raises(SigningError) as verifying:
        verify_request(Request("GET", URL), _lookup, now=value)
    assert str(verifying.value).startswith("now: ")


def test_timestamp_forms_agree() -> None:
    moment = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)
    assert parse_amz_date(TS) == moment == to_moment("2015-08-30T14:36:00+02:00", "t")
    assert amz_date(moment.astimezone(timezone(timedelta(hours=-5)))) == TS
    assert amz_date("2015-08-30T12:36:00Z") == TS
    assert parse_amz_date("2015083T123600Z") is None


def test_one_span_format() -> None:
    assert span(timedelta(minutes=10)) == "10m 0s"
    assert span(3) == "3s"
    assert span(timedelta(days=1, seconds=5)) == "1d 0h 0m 5s"


def test_added_headers_are_the_signing_instructions() -> None:
    temp = Credentials("ASIAEXAMPLE", "secretsecretsecret", "TOKEN" * 20)
    original = Request(
        "PUT", "https://b.s3.amazonaws.com/k", [("Content-Type", "text/plain")], b"x"
    )
    signed = sign_request(
        original, temp, region="us-east-1", service="s3", timestamp=TS, content_sha256_header=True
    )
    names = [n for n, _ in signed.added_headers]
    assert names == ["X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-SHA256", "Authorization"]
    assert list(original.headers) + list(signed.added_headers) == list(signed.request.headers)
    unsigned_token = sign_request(
        original, temp, region="us-east-1", service="s3", timestamp=TS, sign_session_token=False
    )
    assert [n for n, _ in unsigned_token.added_headers][-2:] == [
        "X-Amz-Security-Token",
        "Authorization",
    ]


@pytest.mark.parametrize(
    "name",
    ["X-Amz-Security%2DToken", "X-Amz-%53ignature", "x-amz-signature", "X-Amz-Security-Token"],
)
def test_redact_url_goes_by_the_decoded_name(name: str) -> None:
    secret = "SECRETVALUE0123456789"
    shown = redact_url(f"https://h/?a=1&{name}={secret}&b=2")
    assert secret not in shown
    assert f"{name}={redacted(secret)}" in shown
    assert shown.startswith("https://h/?a=1&") and shown.endswith("&b=2")


@pytest.mark.parametrize(
    "header",
    [
        "x-amz-server-side-encryption-customer-key",
        "x-amz-server-side-encryption-customer-key-md5",
        "x-amz-copy-source-server-side-encryption-customer-key",
        "cookie",
        "proxy-authorization",
    ],
)
def test_sensitive_headers_are_redacted_by_name(header: str) -> None:
    key = "c2VjcmV0LWN1c3RvbWVyLWtleS0zMi1ieXRlcy0hIQ=="
    request = Request("PUT", "https://b.s3.amazonaws.com/k", [(header, key)])
    signed = sign_request(request, CREDS, region="us-east-1", service="s3", timestamp=TS)
    if header != "proxy-authorization":  # hop-by-hop: never signed
        assert key in signed.canonical_request  # signed as is …
    assert key not in redact_canonical_headers(signed.canonical_request)  # … shown redacted
    assert key not in repr(signed.request)


def test_sse_c_key_never_shown_by_explain_diff_or_the_debug_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from sigv4kit.diagnose import diff_report, explain_request, parse_server_error, render_text
    from sigv4kit.diagnose import to_dict as diff_dict
    from sigv4kit.diagnose.explain import render_text as explain_text
    from sigv4kit.diagnose.explain import to_dict as explain_dict

    key = "c2VjcmV0LWN1c3RvbWVyLWtleS0zMi1ieXRlcy0hIQ=="
    header = ("x-amz-server-side-encryption-customer-key", key)
    request = Request("PUT", "https://b.s3.amazonaws.com/k", [header])
    with caplog.at_level("DEBUG", logger="sigv4kit.signing"):
        signed = sign_request(request, CREDS, region="us-east-1", service="s3", timestamp=TS)
    assert "canonical request" in caplog.text and key not in caplog.text
    explanation = explain_request(signed.request, now=TS)
    assert key in (explanation.canonical_request or "")
    assert key not in explain_text(explanation) and key not in str(explain_dict(explanation))
    server = signed.canonical_request.replace("PUT\n/k", "PUT\n/k2")
    xml = (
        "<Error><Code>SignatureDoesNotMatch</Code><Message>m</Message>"
        f"<CanonicalRequest>{server}</CanonicalRequest></Error>"
    )
    report = parse_server_error(xml)
    diagnosis = diff_report(signed.canonical_request, signed.string_to_sign, report)
    assert diagnosis.canonical_request is not None and not diagnosis.canonical_request.identical
    assert key not in render_text(diagnosis) and key not in str(diff_dict(diagnosis))


def test_an_offset_of_a_day_or_more_is_a_signing_error() -> None:
    from datetime import tzinfo

    class DayAhead(tzinfo):
        def utcoffset(self, dt: datetime | None) -> timedelta:
            return timedelta(hours=25)

        def dst(self, dt: datetime | None) -> None:
            return None

    with pytest.raises(SigningError, match=r"^timestamp: its offset"):
        sign_request(
            Request("GET", URL),
            CREDS,
            region="us-east-1",
            service="s3",
            timestamp=datetime(2020, 1, 1, tzinfo=DayAhead()),
        )


@pytest.mark.parametrize("value", ["2020", 5, "2026-01-01T00:00:00"])
def test_explain_credentials_expire_at_is_checked(value: object) -> None:
    from sigv4kit.diagnose import explain_request

    with pytest.raises(SigningError, match=r"^credentials_expire_at: "):
        explain_request(Request("GET", URL), credentials_expire_at=value)  # type: ignore[arg-type]


def test_explain_redacts_a_token_under_a_lower_case_or_encoded_name() -> None:
    from sigv4kit.diagnose.explain import explain_request, render_text, to_dict

    token = "CANARYtokenCANARYtokenCANARY"
    for name in ("x-amz-security-token", "X-Amz-Security%2DToken"):
        url = presign(
            Request("GET", URL + f"?{name}={token}"),
            CREDS,
            region="us-east-1",
            service="svc",
            timestamp=TS,
        ).url
        explanation = explain_request(parse_url_request(url), now=TS)
        assert token not in render_text(explanation) and token not in str(to_dict(explanation))


def test_uri_encode_is_rfc3986_as_urllib_quotes_it() -> None:
    """Our percent-encoding table against urllib.parse.quote (an independent implementation)
    for every Unicode code point but the surrogates, alone and with a slash kept."""
    from urllib.parse import quote, quote_from_bytes

    from sigv4kit.canonical import uri_encode, uri_encode_bytes

    for start in range(0, 0x110000, 4096):
        text = "".join(
            chr(c) for c in range(start, min(start + 4096, 0x110000)) if not 0xD800 <= c < 0xE000
        )
        assert uri_encode(text) == quote(text, safe="")
        assert uri_encode(text, keep_slash=True) == quote(text, safe="/")
    every_byte = bytes(range(256))
    assert uri_encode_bytes(every_byte) == quote_from_bytes(every_byte, safe="")
