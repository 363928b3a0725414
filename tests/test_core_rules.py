"""Canonicalisation rules and input errors of the signing core.

Each rule here is a real-world failure in some other library. Expected canonical strings are
written out from the SigV4 specification's rules, not produced by our code.
"""

from __future__ import annotations

import hmac
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from hashlib import sha256

import pytest

from sigv4kit import (
    S3_OPTIONS,
    S3_PRESIGN_OPTIONS,
    UNSIGNED_PAYLOAD,
    Credentials,
    Request,
    Signer,
    SigningError,
    presign,
    sign_request,
)
from sigv4kit.canonical import (
    canonical_headers,
    canonical_query_pairs,
    canonical_query_string,
    canonical_uri,
)

CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
TOKEN_CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "TOKEN+/=")
TS = "20150830T123600Z"


def _sign(url: str, headers: list[tuple[str, str]] | None = None, **kw: object) -> str:
    kw.setdefault("timestamp", TS)
    signed = sign_request(
        Request("GET", url, headers or []),
        CREDS,
        region="us-east-1",
        service="service",
        **kw,  # type: ignore[arg-type]
    )
    return signed.canonical_request


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/a/./b/../c", "/a/c"),
        ("//a//b//", "/a/b/"),
        ("/a/..", "/"),
        ("/../..", "/"),
        ("/.../.a/a./..b", "/.../.a/a./..b"),  # only whole . and .. segments are dot segments
        ("", "/"),
        ("/%2F", "/%252F"),  # non-S3: the path as sent is encoded again
        ("/a b/ሴ", "/a%20b/%E1%88%B4"),
        ("/~-_.*+!", "/~-_.%2A%2B%21"),
    ],
)
def test_non_s3_path(path: str, expected: str) -> None:
    assert canonical_uri(path) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/a/./b/../c", "/a/./b/../c"),  # S3 keys may contain dot segments: never normalised
        ("//a//", "//a//"),
        ("/a%20b", "/a%20b"),  # encoded once: existing escapes stay
        ("/a b", "/a%20b"),
        ("/a%2fb", "/a%2fb"),  # valid escapes kept byte for byte, as botocore and CRT do
        ("/%7E%41", "/%7E%41"),
        ("/%c3%bc", "/%c3%bc"),
        ("/a+b=c", "/a%2Bb%3Dc"),
        ("/100%", "/100%25"),
    ],
)
def test_s3_path(path: str, expected: str) -> None:
    assert canonical_uri(path, normalize_path=False, double_encode_path=False) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("b=2&a=1", "a=1&b=2"),
        ("a=2&a=1&a=1", "a=1&a=1&a=2"),  # repeated keys all kept, sorted by value
        ("k", "k="),  # a bare key signs as k=
        ("k=", "k="),
        ("a=b c", "a=b%20c"),
        ("a=b+c", "a=b%2Bc"),  # + is a literal plus, never a space
        ("a=b%20c", "a=b%20c"),
        ("a=~*", "a=~%2A"),
        ("a=%7e%2a", "a=~%2A"),  # decoded then encoded: escape case and choice normalised
        ("%E1%88%B4=1&Z=2&a=3", "%E1%88%B4=1&Z=2&a=3"),  # sorted by encoded key (bytes)
        ("a=1&&b=2", "a=1&b=2"),
        ("a=%zz", "a=%25zz"),
        ("a=x=y", "a=x%3Dy"),
    ],
)
def test_query(query: str, expected: str) -> None:
    assert canonical_query_string(canonical_query_pairs(query)) == expected


def test_headers_lowercased_trimmed_joined_in_order() -> None:
    block, signed = canonical_headers(
        [("X-B", "  two   words \t here "), ("x-a", "1"), ("X-A", " 2 "), ("x-c", "")]
    )
    assert block == "x-a:1,2\nx-b:two words here\nx-c:\n"
    assert signed == "x-a;x-b;x-c"


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://Example.COM/", "example.com"),
        ("https://example.com:443/", "example.com"),
        ("https://example.com:0443/", "example.com"),
        ("https://example.com:08443/", "example.com:8443"),
        ("http://example.com:80/", "example.com"),
        ("https://example.com:8443/", "example.com:8443"),
        ("http://example.com:443/", "example.com:443"),
        ("http://[::1]:8080/", "[::1]:8080"),
        ("https://[2001:db8::1]/", "[2001:db8::1]"),
        ("https://user:pw@example.com/", "example.com"),
    ],
)
def test_host_from_url(url: str, host: str) -> None:
    assert f"\nhost:{host}\n" in _sign(url)


def test_explicit_host_header_wins() -> None:
    assert "\nhost:other.example\n" in _sign("https://example.com/", [("Host", "other.example")])


@pytest.mark.parametrize(
    "name",
    ["User-Agent", "X-Amzn-Trace-Id", "Connection", "Expect", "Transfer-Encoding", "Keep-Alive"],
)
def test_never_signed_headers(name: str) -> None:
    canonical = _sign("https://example.com/", [(name, "v"), ("X-Keep", "k")])
    assert name.lower() not in canonical
    assert "x-keep:k" in canonical


def test_raw_space_and_unicode_path_still_sign() -> None:
    canonical = _sign("https://example.com/a b/ü?q=ü v")
    assert canonical.split("\n")[1:3] == ["/a%20b/%C3%BC", "q=%C3%BC%20v"]


def test_signature_is_hmac_chain_of_spec() -> None:
    """The key derivation written out independently from the spec's formula."""
    signed = sign_request(
        Request("GET", "https://example.amazonaws.com/"),
        CREDS,
        region="us-east-1",
        service="service",
        timestamp=TS,
    )

    def h(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), sha256).digest()

    key = h(h(h(h(b"AWS4" + CREDS.secret_access_key.encode(), "20150830"), "us-east-1"),
              "service"), "aws4_request")
    assert signed.signature == hmac.new(key, signed.string_to_sign.encode(), sha256).hexdigest()
    assert signed.string_to_sign.endswith(sha256(signed.canonical_request.encode()).hexdigest())


def test_caller_request_not_mutated_and_resigning_replaces() -> None:
    req = Request("POST", "https://example.com/", [("X-Amz-Date", "old"), ("Authorization", "x")])
    first = sign_request(req, TOKEN_CREDS, region="us-east-1", service="s", timestamp=TS)
    assert req.headers == (("X-Amz-Date", "old"), ("Authorization", "x"))
    again = sign_request(first.request, TOKEN_CREDS, region="us-east-1", service="s", timestamp=TS)
    names = [n.lower() for n, _ in again.request.headers]
    assert sorted(names) == ["authorization", "x-amz-date", "x-amz-security-token"]
    assert again.signature == first.signature


def test_session_token_signed_or_appended() -> None:
    req = Request("GET", "https://example.com/")
    signed = sign_request(req, TOKEN_CREDS, region="us-east-1", service="s", timestamp=TS)
    assert "x-amz-security-token:TOKEN+/=" in signed.canonical_request
    unsigned = sign_request(
        req, TOKEN_CREDS, region="us-east-1", service="s", timestamp=TS, sign_session_token=False
    )
    assert "x-amz-security-token" not in unsigned.canonical_request
    assert unsigned.request.header("X-Amz-Security-Token") == "TOKEN+/="
    p = presign(req, TOKEN_CREDS, region="us-east-1", service="s", timestamp=TS)
    assert "X-Amz-Security-Token=TOKEN%2B%2F%3D" in p.canonical_request
    assert "X-Amz-Security-Token=TOKEN%2B%2F%3D" in p.url


def test_presign_replaces_existing_auth_params_and_keeps_repeated_keys() -> None:
    req = Request("GET", "https://example.com/p?a=2&a=1&X-Amz-Signature=old&X-Amz-Expires=9#frag")
    p = presign(req, CREDS, region="us-east-1", service="s", expires=60, timestamp=TS)
    query = p.url.split("?", 1)[1]
    assert query.startswith("a=2&a=1&X-Amz-Algorithm=")
    assert query.count("X-Amz-Signature=") == 1 and "old" not in query and "#" not in p.url
    assert "X-Amz-Expires=60" in query
    assert p.canonical_request.split("\n")[2].startswith("X-Amz-Algorithm")
    assert "&a=1&a=2" in p.canonical_request.split("\n")[2]


def test_payload_hash_options() -> None:
    body = b"\x00\xffbinary"
    req = Request("PUT", "https://b.s3.amazonaws.com/k", body=body)
    default = sign_request(req, CREDS, region="us-east-1", service="s3", timestamp=TS)
    assert default.canonical_request.endswith(sha256(body).hexdigest())
    s3 = sign_request(req, CREDS, region="us-east-1", service="s3", timestamp=TS, **S3_OPTIONS)
    assert s3.request.header("x-amz-content-sha256") == sha256(body).hexdigest()
    assert "x-amz-content-sha256" in s3.signed_headers
    unsigned = sign_request(
        req, CREDS, region="us-east-1", service="s3", timestamp=TS, payload_hash=UNSIGNED_PAYLOAD
    )
    assert unsigned.canonical_request.endswith("\nUNSIGNED-PAYLOAD")
    p = presign(req, CREDS, region="us-east-1", service="s3", timestamp=TS, **S3_PRESIGN_OPTIONS)
    assert p.canonical_request.endswith("\nUNSIGNED-PAYLOAD")


def test_stated_payload_hash_is_signed_whatever_the_header_case() -> None:
    req = Request("POST", "https://example.com/", [("x-AMZ-content-sha256", UNSIGNED_PAYLOAD)])
    signed = sign_request(req, CREDS, region="us-east-1", service="s", timestamp=TS)
    assert signed.canonical_request.endswith("\nUNSIGNED-PAYLOAD")
    assert "x-amz-content-sha256" in signed.signed_headers
    twice = Request("POST", "https://example.com/", [*req.headers, ("X-Amz-Content-Sha256", "x")])
    with pytest.raises(SigningError, match=r"^headers: X-Amz-Content-SHA256 must be"):
        sign_request(twice, CREDS, region="us-east-1", service="s", timestamp=TS)


def test_repeated_signing_reflects_every_header_change() -> None:
    """Canonical header blocks are reused within a second: a changed value must never be
    answered with the block of an earlier request."""
    seen = set()
    for value in ("a", "b", "a  b", "a b", "a"):
        req = Request("GET", "https://example.com/", [("X-Custom", value)])
        signed = sign_request(req, CREDS, region="us-east-1", service="s", timestamp=TS)
        canonical_value = " ".join(value.split())
        assert f"\nx-custom:{canonical_value}\n" in signed.canonical_request
        seen.add((canonical_value, signed.signature))
    assert len(seen) == 3


def test_signer_matches_functions_and_s3_preset() -> None:
    req = Request("GET", "https://b.s3.amazonaws.com/a%20b/../c")
    signer = Signer.for_s3(CREDS, region="us-west-2")
    assert signer.sign(req, TS).signature == sign_request(
        req, CREDS, region="us-west-2", service="s3", timestamp=TS, **S3_OPTIONS
    ).signature
    assert signer.presign(req, 300, TS).url == presign(
        req, CREDS, region="us-west-2", service="s3", expires=300, timestamp=TS,
        **S3_PRESIGN_OPTIONS,
    ).url
    assert "secret" not in repr(signer).lower() or "'***'" in repr(signer)


@pytest.mark.parametrize(
    "timestamp",
    ["20150830T123600Z", "2015-08-30T12:36:00Z", "2015-08-30T14:36:00+02:00",
     datetime(2015, 8, 30, 12, 36, tzinfo=UTC),
     datetime(2015, 8, 30, 7, 36, tzinfo=timezone(timedelta(hours=-5)))],
)
def test_timestamp_forms(timestamp: str | datetime) -> None:
    assert "x-amz-date:20150830T123600Z" in _sign("https://e.com/", timestamp=timestamp)


def _presign_kw(**kw: object) -> None:
    base: dict[str, object] = {
        "region": "us-east-1", "service": "ec2", "expires": 3600, "timestamp": TS,
    }
    base.update(kw)
    req = base.pop("request", Request("GET", "https://ec2.amazonaws.com/"))
    presign(req, CREDS, **base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"expires": 0}, "expires"),
        ({"expires": 604801}, "expires"),
        ({"expires": "60"}, "expires"),
        ({"expires": True}, "expires"),
        ({"region": ""}, "region"),
        ({"region": "us/east"}, "region"),
        ({"region": "us east 1"}, "region"),
        ({"service": ""}, "service"),
        ({"service": "ec2/x"}, "service"),
        ({"timestamp": datetime(2015, 8, 30)}, "timestamp"),
        ({"timestamp": "yesterday"}, "timestamp"),
        ({"timestamp": "20151330T123600Z"}, "timestamp"),
        ({"payload_hash": "abc"}, "payload_hash"),
        ({"nromalize_path": False}, "options"),
        ({"algorithm": "sigv5"}, "algorithm"),
        ({"request": Request("GET", "/no-host")}, "url"),
    ],
)
def test_bad_input_names_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(SigningError) as info:
        _presign_kw(**kwargs)
    assert info.value.field == field
    assert str(info.value).startswith(field + ":")
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Request("GET", "https://e.com/", [("X-A", "a\r\nInjected: 1")]), "headers"),
        (lambda: Request("GET", "https://e.com/", [("X-A", "a\nb")]), "headers"),
        (lambda: Request("GET", "https://e.com/", [("X-A", "a\x00")]), "headers"),
        (lambda: Request("GET", "https://e.com/", [("X A", "a")]), "headers"),
        (lambda: Request("GET", "https://e.com/", [("Übel", "a")]), "headers"),
        (lambda: Request("GET", "https://e.com/", [("", "a")]), "headers"),
        (lambda: Request("GET", "example.com/path"), "url"),
        (lambda: Request("GET", "https:///path"), "url"),
        (lambda: Request("GET", "https://e.com:99999/"), "url"),
        (lambda: Request("GET", "https://e.com/\r\n"), "url"),
        (lambda: Request("GET", "https://e.com/a\rb"), "url"),
        (lambda: Request("GET", "https://e.com/?a=\x00"), "url"),
        (lambda: Request("GET", "https://e.com/", [("X-A", "a\rb")]), "headers"),
        (lambda: Request("G T", "https://e.com/"), "method"),
        (lambda: Credentials("", "s"), "access_key_id"),
        (lambda: Credentials("AK/ID", "s"), "access_key_id"),
        (lambda: Credentials("AKID", ""), "secret_access_key"),
        (lambda: Credentials("AKID", "s", "tok\r\nen"), "session_token"),
        (lambda: Credentials("AKID", "s", "tok\x00en"), "session_token"),
    ],
)
def test_bad_request_values(build: object, field: str) -> None:
    with pytest.raises(SigningError) as info:
        sign_request(build(), CREDS, region="us-east-1", service="s")  # type: ignore[operator]
    assert info.value.field == field


def test_reprs_hide_secrets() -> None:
    creds = Credentials("AKIDEXAMPLE", "SECRETSECRETSECRET", "TOKENTOKENTOKENTOKEN")
    signed = sign_request(Request("GET", "https://e.com/"), creds, region="r", service="s")
    presigned = presign(Request("GET", "https://e.com/"), creds, region="r", service="s")
    for text in (repr(creds), repr(signed), repr(signed.request), repr(presigned)):
        assert "SECRETSECRETSECRET" not in text
        assert "TOKENTOKENTOKENTOKEN" not in text
        assert signed.signature not in text and presigned.signature not in text


def test_debug_log_redacts_token(caplog: pytest.LogCaptureFixture) -> None:
    creds = Credentials("AKIDEXAMPLE", "SECRETSECRETSECRET", "TOKEN/TOKEN+TOKEN")
    with caplog.at_level("DEBUG", logger="sigv4kit"):
        sign_request(Request("GET", "https://e.com/"), creds, region="r", service="s")
        presign(Request("GET", "https://e.com/"), creds, region="r", service="s")
    assert "canonical request" in caplog.text
    assert "TOKEN/TOKEN+TOKEN" not in caplog.text
    assert "TOKEN%2FTOKEN%2BTOKEN" not in caplog.text
    assert "SECRETSECRETSECRET" not in caplog.text


def test_core_imports_no_io_libraries() -> None:
    code = (
        "import sys, sigv4kit, sigv4kit.signing, sigv4kit.canonical;"
        "bad = {'requests', 'click', 'botocore', 'urllib3', 'cryptography'} & set(sys.modules);"
        "print(sorted(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
