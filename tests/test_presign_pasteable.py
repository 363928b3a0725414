"""Presigned URLs are pasteable (issue 23, item 2): the URL holds what it signed in the form a
client sends (``%20``, never a raw space or raw UTF-8), for every service, byte for byte as
botocore's ``generate_presigned_url`` (S3) and ``SigV4QueryAuth`` (other services, given the
URL as its serializers write it) make it."""

from __future__ import annotations

import datetime as dt
from unittest import mock
from urllib.parse import quote, unquote

import boto3
import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials as BotoCredentials

from sigv4kit import Credentials, Request, presign
from sigv4kit.verify import verify_presigned_url

from .botocore_ec2 import _frozen_clock

AKID, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
CREDS = Credentials(AKID, SECRET)
WHEN = dt.datetime(2026, 11, 25, 12, 0, 0)
TS = "20261125T120000Z"
KEYS = ["my key.txt", "ünï/ç €.txt", "a\"b<c>{d}|e^`f\\g", "100%.txt", "tab\tkey", "a+b=c&d"]


def _sorted_query(url: str) -> tuple[str, list[str]]:
    base, _, query = url.partition("?")
    return base, sorted(query.split("&"))


@pytest.mark.parametrize("key", KEYS)
def test_s3_url_is_botocores(key: str) -> None:
    client = boto3.session.Session(
        aws_access_key_id=AKID, aws_secret_access_key=SECRET, region_name="eu-west-1"
    ).client("s3", config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"}))
    with _frozen_clock(WHEN):  # botocore's signers, or its CRT ones when awscrt is there
        theirs = client.generate_presigned_url(
            "get_object", Params={"Bucket": "amzn-s3-demo-bucket", "Key": key}, ExpiresIn=900)
    raw = f"https://amzn-s3-demo-bucket.s3.eu-west-1.amazonaws.com/{key}"
    ours = presign(Request("GET", raw), CREDS, region="eu-west-1", service="s3", expires=900,
                   timestamp=TS)
    (base, query), (their_base, their_query) = _sorted_query(ours.url), _sorted_query(theirs)
    assert query == their_query  # the signature among them
    if set(key) & set("=&"):  # legal raw in a path: we leave them, botocore escapes them
        # ('+' not among them: S3 reads a raw '+' in a path as a space, so it goes as %2B)
        assert unquote(base) == unquote(their_base)
    else:
        assert base == their_base
    assert " " not in ours.url and ours.url.isascii()
    assert verify_presigned_url(ours.url, lambda _: CREDS, now=TS).valid


@pytest.mark.parametrize("service", ["execute-api", "ec2", "sts"])
@pytest.mark.parametrize("path", ["/prod/my key", "/prod/ünï", "/a b/./c", "/x%2Fy z"])
def test_other_services_sign_what_they_send(service: str, path: str) -> None:
    """A raw space goes out as %20, so a service that URI-encodes the path it receives signs
    %2520: botocore given the URL as a client sends it agrees."""
    host = "https://abc.execute-api.us-east-1.amazonaws.com"
    sent = host + quote(path, safe="/%~!$&'()*+,;=:@")
    auth = botocore.auth.SigV4QueryAuth(BotoCredentials(AKID, SECRET), service, "us-east-1",
                                        expires=60)
    request = AWSRequest(method="GET", url=sent + "?q=a b")
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=WHEN):
        auth.add_auth(request)
    ours = presign(Request("GET", host + path + "?q=a b"), CREDS, region="us-east-1",
                   service=service, expires=60, timestamp=TS)
    assert _sorted_query(ours.url) == _sorted_query(request.url)
    assert " " not in ours.url and ours.url.isascii()
    assert verify_presigned_url(ours.url, lambda _: CREDS, now=TS).valid
