"""One rule for S3 (issue 23, item 1): an S3 signing name gets S3's path and payload rules in
every entry point unless an option says otherwise, byte for byte as botocore's S3 signers
(``S3SigV4Auth``, ``S3SigV4QueryAuth``) sign; and the verifier and explain say when a request
was signed with the other rule set."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock
from urllib.parse import quote

import botocore.auth
import pytest
import requests
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from click.testing import CliRunner

from sigv4kit import (
    S3_OPTIONS,
    S3_PRESIGN_OPTIONS,
    Credentials,
    Request,
    Signer,
    presign,
    sign_request,
)
from sigv4kit.cli import cli
from sigv4kit.diagnose.explain import explain_request
from sigv4kit.integrations.requests import SigV4Auth
from sigv4kit.options import S3_SERVICES
from sigv4kit.streaming import sign_chunked
from sigv4kit.verify import Reason, verify_presigned_url, verify_request
from sigv4kit.wire import parse_url_request

AKID, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
CREDS = Credentials(AKID, SECRET)
WHEN = dt.datetime(2026, 11, 25, 12, 0, 0)
TS = "20261125T120000Z"
HOST = "https://amzn-s3-demo-bucket.s3.us-west-2.amazonaws.com"
KEYS = ["plain.txt", "my key.txt", "a%2Fb", "a/../b", "./x", "dir//y", "ünïcødé/ç €.txt",
        "a b/../c%2F~+=&"]
"""Object keys as S3 stores them; ``quote(key, safe="/~")`` is their path, as botocore's
serializer writes it (``%2F`` in a key is a literal '%2F', quoted to ``%252F``)."""


def _url(key: str) -> str:
    return f"{HOST}/{quote(key, safe='/~')}"


def botocore_s3(signer: str, method: str, url: str, service: str, body: bytes = b"",
                expires: int = 3600, headers: tuple[tuple[str, str], ...] = ()
                ) -> dict[str, str]:
    """What botocore's S3 signer makes of the request: canonical request, signature, and the
    Authorization header or the presigned URL."""
    cls = getattr(botocore.auth, signer)
    creds = BotoCredentials(AKID, SECRET)
    query = signer.endswith("QueryAuth")
    auth = cls(creds, service, "us-west-2", expires=expires) if query else cls(
        creds, service, "us-west-2")
    seen: dict[str, str] = {}
    original = auth.canonical_request

    def spy(request: Any) -> str:
        seen["canonical_request"] = text = original(request)
        return text

    auth.canonical_request = spy  # type: ignore[method-assign]
    request = AWSRequest(method=method, url=url, data=body)
    for name, value in headers:
        request.headers[name] = value
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=WHEN):
        auth.add_auth(request)
    if query:
        seen["url"] = request.url
    else:
        seen["authorization"] = request.headers["Authorization"]
        seen["x-amz-content-sha256"] = request.headers["X-Amz-Content-SHA256"]
    return seen


def _same_url(ours: str, theirs: str) -> bool:
    """The same bytes but for the order of the query's parameters (botocore sends X-Amz-*
    in dict order, we in the order the spec lists them)."""
    a, _, qa = ours.partition("?")
    b, _, qb = theirs.partition("?")
    return a == b and sorted(qa.split("&")) == sorted(qb.split("&"))


@pytest.mark.parametrize("service", sorted(S3_SERVICES))
@pytest.mark.parametrize("key", KEYS)
def test_header_signing_follows_s3_by_default(service: str, key: str) -> None:
    url, body = _url(key), b"object bytes"
    theirs = botocore_s3("S3SigV4Auth", "PUT", url, service, body)
    request = Request("PUT", url, body=body)
    for signed in (
        sign_request(request, CREDS, region="us-west-2", service=service, timestamp=TS),
        Signer(CREDS, region="us-west-2", service=service).sign(request, TS),
    ):
        assert signed.canonical_request == theirs["canonical_request"]
        assert signed.authorization == theirs["authorization"]
        assert signed.request.header("x-amz-content-sha256") == theirs["x-amz-content-sha256"]


@pytest.mark.parametrize("service", sorted(S3_SERVICES))
@pytest.mark.parametrize("key", KEYS)
def test_presigning_follows_s3_by_default(service: str, key: str) -> None:
    url = _url(key)
    theirs = botocore_s3("S3SigV4QueryAuth", "GET", url, service, expires=600)
    request = Request("GET", url)
    made = [
        presign(request, CREDS, region="us-west-2", service=service, expires=600, timestamp=TS),
        Signer(CREDS, region="us-west-2", service=service).presign(request, 600, TS),
    ]
    if service == "s3":
        made.append(Signer.for_s3(CREDS, region="us-west-2").presign(request, 600, TS))
    for presigned in made:
        assert presigned.canonical_request == theirs["canonical_request"]
        assert _same_url(presigned.url, theirs["url"])


def test_explicit_options_still_win() -> None:
    """An explicit option beats the service's default: the general rules on an S3 name sign
    as botocore's generic SigV4QueryAuth does."""
    url = _url("a b/../c")
    general = presign(Request("GET", url), CREDS, region="us-west-2", service="s3", timestamp=TS,
                      normalize_path=True, double_encode_path=True, payload_hash=None)
    auth = botocore.auth.SigV4QueryAuth(BotoCredentials(AKID, SECRET), "s3", "us-west-2")
    request = AWSRequest(method="GET", url=url)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=WHEN):
        auth.add_auth(request)
    assert _same_url(general.url, request.url)
    # The presets say the same as the defaults, so old code keeps working.
    for options, signer in ((S3_PRESIGN_OPTIONS, presign), (S3_OPTIONS, sign_request)):
        a = signer(Request("GET", url), CREDS, region="us-west-2", service="s3",  # type: ignore
                   timestamp=TS, **options)
        b = signer(Request("GET", url), CREDS, region="us-west-2", service="s3",  # type: ignore
                   timestamp=TS)
        assert a.signature == b.signature


def test_stated_payload_hash_kept_by_the_s3_default() -> None:
    """A caller who states X-Amz-Content-SHA256 (UNSIGNED-PAYLOAD, for a body sent elsewhere)
    means it: S3's default signs that, as botocore does with payload signing off."""
    url = _url("big.bin")
    signed = sign_request(Request("PUT", url, [("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD")]),
                          CREDS, region="us-west-2", service="s3", timestamp=TS)
    assert signed.canonical_request.endswith("\nUNSIGNED-PAYLOAD")
    assert [v for n, v in signed.request.headers if n.lower() == "x-amz-content-sha256"] == [
        "UNSIGNED-PAYLOAD"]


def _cli(*args: str) -> str:
    env = {"AWS_ACCESS_KEY_ID": AKID, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": "",
           "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    result = CliRunner().invoke(cli, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("flag", [[], ["--s3"]], ids=["service-only", "with---s3"])
@pytest.mark.parametrize("key", ["plain.txt", "my key.txt", "a%2Fb", "ünï/ç €.txt"])
def test_cli_follows_s3_with_or_without_flag(flag: list[str], key: str) -> None:
    url = _url(key)
    theirs = botocore_s3("S3SigV4QueryAuth", "GET", url, "s3", expires=600)
    out = _cli("presign", "url", url, "--service", "s3", "--region", "us-west-2",
               "--expires", "600", "--timestamp", TS, *flag)
    assert _same_url(out.strip(), theirs["url"])
    theirs = botocore_s3("S3SigV4Auth", "GET", url, "s3")
    out = _cli("sign", "GET", url, "--service", "s3", "--region", "us-west-2",
               "--timestamp", TS, *flag)
    assert f"Authorization: {theirs['authorization']}" in out.splitlines()


@pytest.mark.parametrize("service", sorted(S3_SERVICES))
def test_adapter_and_streaming_follow_s3(service: str) -> None:
    url = _url("my key/%2F.txt")
    theirs = botocore_s3("S3SigV4Auth", "PUT", url, service, b"data",
                         headers=(("Content-Length", "4"),))  # requests sets it, signed
    prepared = requests.Request("PUT", url, data=b"data").prepare()
    assert prepared.url == url
    with mock.patch("sigv4kit.timestamps.clock_amz_date", return_value=TS):
        SigV4Auth(CREDS, "us-west-2", service)(prepared)
    assert prepared.headers["Authorization"] == theirs["authorization"]
    upload = sign_chunked(Request("PUT", url), CREDS, region="us-west-2", service=service,
                          payload=b"data", timestamp=TS)
    received = Request("PUT", url, upload.request.headers, upload.body.read_all())
    result = verify_request(received, lambda k: CREDS, now=TS)
    assert result.valid, result.message
    assert result.canonical_request is not None
    assert result.canonical_request.split("\n")[1] == theirs["canonical_request"].split("\n")[1]


def test_verify_names_the_other_rule_set() -> None:
    url = _url("a b/../c%2F")
    general = presign(Request("GET", url), CREDS, region="us-west-2", service="s3", timestamp=TS,
                      normalize_path=True, double_encode_path=True, payload_hash=None)
    result = verify_presigned_url(general.url, lambda k: CREDS, now=TS)
    assert result.reason == Reason.SIGNATURE_MISMATCH
    assert "signed with non-S3 path rules" in result.message
    s3_for_ec2 = presign(Request("GET", "https://ec2.us-west-2.amazonaws.com/a%20b"), CREDS,
                         region="us-west-2", service="ec2", timestamp=TS, **S3_PRESIGN_OPTIONS)
    result = verify_presigned_url(s3_for_ec2.url, lambda k: CREDS, now=TS)
    assert "signed with S3 path rules" in result.message
    right = presign(Request("GET", url), CREDS, region="us-west-2", service="s3", timestamp=TS)
    assert verify_presigned_url(right.url, lambda k: CREDS, now=TS).valid
    header = sign_request(Request("GET", url), CREDS, region="us-west-2", service="s3",
                          timestamp=TS, double_encode_path=True, normalize_path=True)
    result = verify_request(header.request, lambda k: CREDS, now=TS)
    assert "signed with non-S3 path rules" in result.message


def test_explain_warns_on_s3_signed_with_general_rules() -> None:
    url = _url("plain.txt")
    general = sign_request(Request("GET", url), CREDS, region="us-west-2", service="s3",
                           timestamp=TS, content_sha256_header=False)
    codes = [w.code for w in explain_request(general.request, now=TS).warnings]
    assert codes == ["non_s3_rules"]
    right = sign_request(Request("GET", url), CREDS, region="us-west-2", service="s3",
                         timestamp=TS)
    assert explain_request(right.request, now=TS).warnings == ()
    presigned = presign(Request("GET", url), CREDS, region="us-west-2", service="s3",
                        timestamp=TS)
    assert explain_request(parse_url_request(presigned.url), now=TS).warnings == ()
