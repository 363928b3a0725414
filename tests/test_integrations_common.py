"""The adapters' shared rules (URL sent as signed, headers, credential providers, options),
checked against botocore's encoding and through every adapter against a loopback server
that verifies with ``sigv4kit.verify``."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote, urlencode

import aiohttp
import botocore.credentials
import httpx
import pytest
import requests
from botocore.utils import percent_encode, percent_encode_sequence
from hypothesis import given, settings
from hypothesis import strategies as st

from sigv4kit import Credentials, Request, SigningError, sign_request
from sigv4kit.integrations._common import (
    CredentialsError,
    canonical_path,
    canonical_query,
    canonical_url,
    current_credentials,
    hash_file,
    header_changes,
)
from sigv4kit.integrations.aiohttp import SigV4Middleware
from sigv4kit.integrations.httpx import SigV4Auth as HttpxAuth
from sigv4kit.received import Reason
from sigv4kit.testing.verifying_server import VerifyingServer

from .adapter_clients import KINDS, call, make_auth

CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "TOKEN/+=")
_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)


@pytest.fixture(scope="module")
def server() -> Iterator[VerifyingServer]:
    with VerifyingServer(CREDS) as srv:
        yield srv


@given(st.lists(_text.filter(lambda s: "/" not in s), min_size=1, max_size=4))
def test_path_as_botocore_sends_an_s3_key(segments: list[str]) -> None:
    """An S3 key quoted by the user, or written raw (but '%'), goes out as botocore puts it
    on the wire (``percent_encode(key, safe='/~')``)."""
    key = "/".join(segments)
    expected = "/b/" + percent_encode(key, safe="/~")
    assert canonical_path("/b/" + quote(key), normalize=False) == expected
    # A raw URL path cannot hold '%', '?' or '#'; urllib3 removes '.' and '..' segments.
    if not set(key) & set("%?#") and not {".", ".."} & set(segments):
        assert canonical_path(requests.Request("GET", "http://h/b/" + key).prepare().path_url
                              .partition("?")[0], normalize=False) == expected


@given(st.lists(st.tuples(_text, _text), max_size=5))
def test_query_as_botocore_sends_it(pairs: list[tuple[str, str]]) -> None:
    """Pairs urlencoded with '+' for space (requests, ``urlencode``) or with %20 go out as
    botocore's ``percent_encode_sequence``: space %20, '+' %2B, nothing read two ways."""
    expected = percent_encode_sequence(pairs)
    assert canonical_query(urlencode(pairs)) == expected
    assert canonical_query(urlencode(pairs, quote_via=quote)) == expected


def test_canonical_url_examples() -> None:
    assert canonical_url("http://H:8080/a b/+/%7e/%2f/?x=a+b&y=a%2Bb&&uploads#frag",
                         normalize=False) == "http://H:8080/a%20b/%2B/~/%2F/?x=a%20b&y=a%2Bb&uploads"
    assert canonical_url("https://h/a/./b/../c", normalize=True) == "https://h/a/c"
    assert canonical_url("https://h", normalize=True) == "https://h/"
    with pytest.raises(SigningError, match="url"):
        canonical_url("/relative", normalize=False)


def test_header_changes_replace_and_drop_stale() -> None:
    sent = [("Host", "h"), ("x-amz-date", "19990101T000000Z"),
            ("X-Amz-Security-Token", "old"), ("authorization", "old"), ("X-Keep", "1")]
    signed = sign_request(Request("GET", "https://h/", sent), Credentials("AKID", "s"),
                          region="us-east-1", service="svc")
    remove, add = header_changes(sent, signed)
    assert remove == {"x-amz-date", "x-amz-security-token", "authorization"}
    assert [name for name, _ in add] == ["X-Amz-Date", "Authorization"]


def test_credential_sources() -> None:
    assert current_credentials(CREDS) is CREDS
    assert current_credentials(lambda: CREDS) is CREDS
    boto = botocore.credentials.Credentials("AKIDBOTO", "secret", "tok")
    assert current_credentials(boto) == Credentials("AKIDBOTO", "secret", "tok")

    def broken() -> Credentials:
        raise RuntimeError("token endpoint unreachable\nsecond line")

    with pytest.raises(CredentialsError) as caught:
        current_credentials(broken)
    assert str(caught.value) == ("credentials: the provider test_credential_sources.<locals>"
                                 ".broken failed (RuntimeError: token endpoint unreachable)")
    with pytest.raises(CredentialsError, match=r"returned str, not sigv4kit\.Credentials"):
        current_credentials(lambda: "AKID")  # type: ignore[arg-type,return-value]
    with pytest.raises(CredentialsError, match="credentials: must be"):
        make_auth("requests", "AKID", "us-east-1", "s3")


@pytest.mark.parametrize("kind", KINDS)
def test_failing_provider_is_one_clear_error(server: VerifyingServer, kind: str) -> None:
    def expired() -> Credentials:
        raise PermissionError("SSO session expired")

    before = len(server.requests)
    with pytest.raises(CredentialsError, match=r"provider .*expired failed \(PermissionError"):
        call(kind, make_auth(kind, expired, "us-east-1", "s3"), "GET", server.url + "/")
    assert len(server.requests) == before


@pytest.mark.parametrize("kind", KINDS)
def test_options_reach_the_signature(server: VerifyingServer, kind: str) -> None:
    """SigV4a with a region set, an unsigned session token, a Host override, botocore's
    credentials: each verified by the server."""
    for auth, headers in (
        (make_auth(kind, CREDS, ["us-east-1", "us-west-2"], "execute-api",
                   algorithm="sigv4a"), None),
        (make_auth(kind, CREDS, "us-east-1", "iotdata", sign_session_token=False), None),
        (make_auth(kind, CREDS, "us-east-1", "execute-api"), {"Host": "api.example:8443"}),
        (make_auth(kind, botocore.credentials.Credentials(
            CREDS.access_key_id, CREDS.secret_access_key, CREDS.session_token),
                   "us-east-1", "s3"), None),
    ):
        answer = call(kind, auth, "POST", server.url + "/p a+th/../x?q=a b", body=b"{}",
                      headers=headers)
        assert answer.status == 200, answer.body
        assert server.requests[-1].reason is Reason.OK
    assert CREDS.secret_access_key not in repr(auth) and "TOKEN" not in repr(auth)


def test_repeated_headers_kept_and_signed(server: VerifyingServer) -> None:
    pairs = [("X-Dup", "1"), ("X-Dup", "2")]
    with httpx.Client(auth=HttpxAuth(CREDS, "us-east-1", "execute-api")) as client:
        assert client.get(server.url + "/dup", headers=pairs).status_code == 200

    async def with_aiohttp() -> int:
        middleware = SigV4Middleware(CREDS, "us-east-1", "execute-api")
        async with (aiohttp.ClientSession(middlewares=(middleware,)) as session,
                    session.get(server.url + "/dup", headers=pairs) as response):
            return response.status

    import asyncio

    assert asyncio.run(with_aiohttp()) == 200
    for received in server.requests[-2:]:
        assert [v for k, v in received.headers if k.lower() == "x-dup"] == ["1", "2"]
        assert received.reason is Reason.OK


def test_bad_options_fail_at_construction() -> None:
    with pytest.raises(SigningError, match="trailer: must be one of"):
        make_auth("httpx", CREDS, "us-east-1", "s3", streaming=True, trailer="md5")
    with pytest.raises(SigningError, match="region"):
        make_auth("aiohttp", CREDS, "", "s3")
    with pytest.raises(SigningError, match="payload_hash"):
        make_auth("requests", CREDS, "us-east-1", "s3", payload_hash="nope")


def test_hash_file_bounded_and_restores_position(tmp_path: object) -> None:
    import hashlib
    import io

    class Counting(io.BytesIO):
        largest = 0

        def read(self, size: int | None = -1) -> bytes:
            Counting.largest = max(Counting.largest, size or 0)
            return super().read(size)

    data = b"0123456789" * 100_000
    file = Counting(data)
    file.seek(10)
    assert hash_file(file) == hashlib.sha256(data[10:]).hexdigest()
    assert file.tell() == 10 and 0 < Counting.largest <= 1 << 16


_key_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12)


@settings(max_examples=40)
@given(key=_key_text, pairs=st.lists(st.tuples(_key_text, _text), max_size=3),
       service=st.sampled_from(["s3", "execute-api"]))
def test_any_key_and_query_arrive_as_signed(
    server: VerifyingServer, key: str, pairs: list[tuple[str, str]], service: str
) -> None:
    """Whatever the key and query (quoted by the caller, or left to the library), what the
    server reads off the wire is what was signed, through requests and httpx alike."""
    url = f"{server.url}/b/{quote(key)}"
    for kind in ("requests", "httpx"):
        answer = call(kind, make_auth(kind, CREDS, "us-east-1", service), "GET", url,
                      params=dict(pairs))
        assert answer.status == 200, (kind, answer.body)


SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "AQoDYXdzEJr" + "T0KEN" * 60


@pytest.mark.parametrize("said", [
    f"bad config line: aws_secret_access_key = {SECRET}",
    f'credential process printed {{"Version": 1, "AccessKeyId": "AKID", '
    f'"SecretAccessKey": "{SECRET}", "SessionToken": "{TOKEN}"}}',
    f"{'x' * 150} aws_session_token={TOKEN}",
    f"SecretKey: {SECRET}",
])
def test_a_provider_error_quoting_its_credentials_shows_none(said: str) -> None:
    """The message quotes the provider's first line, with the secret key and session token
    redacted by name (nothing of the secret, the token's first 4 characters at most)."""
    def leaky() -> Credentials:
        raise ValueError(said)

    with pytest.raises(CredentialsError) as caught:
        current_credentials(leaky)
    message = str(caught.value)
    assert message.startswith("credentials: the provider ") and "(ValueError: " in message
    for secret in (SECRET, TOKEN):
        assert not any(secret[i:i + 6] in message for i in range(4, len(secret) - 5))
