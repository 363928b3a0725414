"""``presigned_post`` against boto3's ``generate_presigned_post`` (the oracle), byte for byte:
the URL, every field in boto3's order, the policy JSON and its base64; clock frozen in both."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
from typing import Any
from unittest import mock

import botocore.session
import pytest
from botocore.auth import S3ExpressPostAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials as BotoCredentials
from hypothesis import given, settings
from hypothesis import strategies as st

from sigv4kit import Credentials
from sigv4kit.post_policy import PresignedPost, presigned_post

FROZEN = dt.datetime(2024, 5, 1, 12, 30, 15, 123456)
TIMESTAMP = "20240501T123015Z"
CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
TOKEN = "FwoGZXIvYXdzE" + "x" * 300 + "/+=="


@functools.lru_cache(maxsize=32)
def _client(
    region: str, token: str | None, endpoint_url: str | None, addressing_style: str | None
) -> Any:
    s3 = {"addressing_style": addressing_style} if addressing_style else None
    return _SESSION.create_client(
        "s3",
        region_name=region,
        aws_access_key_id=CREDS.access_key_id,
        aws_secret_access_key=CREDS.secret_access_key,
        aws_session_token=token,
        endpoint_url=endpoint_url,
        config=Config(signature_version="s3v4", s3=s3),
    )


_SESSION = botocore.session.Session()


def boto3_post(
    bucket: str,
    key: str,
    region: str,
    *,
    token: str | None = None,
    fields: dict[str, str] | None = None,
    conditions: list[Any] | None = None,
    expires: int = 3600,
    endpoint_url: str | None = None,
    addressing_style: str | None = None,
) -> dict[str, Any]:
    client = _client(region, token, endpoint_url, addressing_style)
    with (
        mock.patch("botocore.signers.get_current_datetime", return_value=FROZEN),
        mock.patch("botocore.auth.get_current_datetime", return_value=FROZEN),
    ):
        result: dict[str, Any] = client.generate_presigned_post(
            bucket, key, Fields=fields, Conditions=conditions, ExpiresIn=expires
        )
    return result


def ours(
    bucket: str, key: str, region: str, *, token: str | None = None, **kw: Any
) -> PresignedPost:
    creds = Credentials(CREDS.access_key_id, CREDS.secret_access_key, token)
    return presigned_post(creds, bucket=bucket, key=key, region=region, timestamp=TIMESTAMP, **kw)


def assert_same(mine: PresignedPost, theirs: dict[str, Any]) -> None:
    assert mine.url == theirs["url"]
    assert list(mine.fields.items()) == list(theirs["fields"].items())
    assert base64.b64decode(mine.fields["policy"]).decode() == mine.policy


KEYS = st.one_of(
    st.text(min_size=1, max_size=30).filter(lambda k: "\x00" not in k),
    st.text(min_size=0, max_size=20).map(lambda k: f"uploads/{k}${{filename}}"),
    st.sampled_from(["a", "photos/2024/ü😀.jpg", "${filename}", "x/${filename}/y"]),
)
VALUES = st.text(max_size=20)
META = st.from_regex(r"x-amz-meta-[a-z0-9-]{1,10}", fullmatch=True)


@st.composite
def forms(draw: st.DrawFn) -> tuple[dict[str, str], list[Any]]:
    fields: dict[str, str] = {}
    conditions: list[Any] = []
    for name in draw(st.lists(st.sampled_from(
        ["acl", "Content-Type", "Cache-Control", "success_action_status",
         "success_action_redirect", "redirect", "Content-Disposition", "Expires"]),
        unique=True, max_size=4)):
        value = draw(VALUES)
        fields[name] = value
        kind = draw(st.sampled_from(["dict", "eq", "starts-with"]))
        if kind == "dict":
            conditions.append({name: value})
        else:
            conditions.append([kind, f"${name}", value if kind == "eq" else value[:3]])
    for meta in draw(st.lists(META, unique=True, max_size=2)):
        fields[meta] = draw(VALUES)
        conditions.append({meta: fields[meta]})
    if draw(st.booleans()):
        low = draw(st.integers(0, 10**6))
        conditions.append(["content-length-range", low, low + draw(st.integers(0, 10**9))])
    if draw(st.booleans()):
        conditions.append(["starts-with", "$Content-Type", ""])
    return fields, conditions


BUCKETS = st.one_of(
    st.from_regex(r"[a-z0-9][a-z0-9-]{1,20}[a-z0-9]", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9._-]{1,70}", fullmatch=True),
    st.sampled_from(["my.bucket", "MyBucket", "ab", "a_b", "192.168.1.1", "xn--abc"]),
)
REGIONS = st.sampled_from(
    ["us-east-1", "us-west-2", "eu-central-1", "ap-southeast-1", "cn-north-1", "us-gov-west-1",
     "us-iso-east-1"]
)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(
    bucket=BUCKETS,
    key=KEYS,
    region=REGIONS,
    form=forms(),
    token=st.one_of(st.none(), st.just(TOKEN)),
    expires=st.integers(1, 604800),
)
def test_byte_equal_to_boto3(
    bucket: str, key: str, region: str, form: tuple[dict[str, str], list[Any]],
    token: str | None, expires: int,
) -> None:
    fields, conditions = form
    theirs = boto3_post(bucket, key, region, token=token, fields=fields,
                        conditions=conditions, expires=expires)
    mine = ours(bucket, key, region, token=token, fields=fields, conditions=conditions,
                expires=expires)
    assert_same(mine, theirs)


@pytest.mark.parametrize(
    ("bucket", "region", "endpoint_url", "style"),
    [
        ("mybucket", "us-west-2", "http://127.0.0.1:9000", None),
        ("mybucket", "us-west-2", "https://minio.example.com/base/", None),
        ("mybucket", "us-west-2", "https://minio.example.com", "virtual"),
        ("mybucket", "us-west-2", None, "path"),
        ("mybucket", "us-east-1", None, "path"),
        ("mybucket", "us-west-2", None, "virtual"),
        ("mybucket", "us-east-1", None, "virtual"),
        ("my.bucket", "us-west-2", None, "virtual"),
        ("mybucket", "cn-north-1", None, "path"),
        ("mybucket", "eu-west-1", None, None),
    ],
)
def test_endpoints_and_addressing_styles(
    bucket: str, region: str, endpoint_url: str | None, style: str | None
) -> None:
    theirs = boto3_post(bucket, "k/${filename}", region, token=TOKEN,
                        endpoint_url=endpoint_url, addressing_style=style)
    mine = ours(bucket, "k/${filename}", region, token=TOKEN, endpoint_url=endpoint_url,
                addressing_style=style or "auto")
    assert_same(mine, theirs)


def test_directory_bucket_token_field_as_botocore_s3express_post_auth() -> None:
    """boto3's generate_presigned_post sends a directory bucket's form to the s3express-control
    endpoint under the long-term key; the POST signer for a directory bucket's session
    credentials is botocore's S3ExpressPostAuth, our oracle for its fields."""
    bucket = "photos--usw2-az1--x-s3"
    mine = ours(bucket, "k/${filename}", "us-west-2", token=TOKEN)
    assert mine.url == "https://photos--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com/"
    policy = json.loads(mine.policy)
    their_policy = {
        "expiration": policy["expiration"],
        "conditions": [{"bucket": bucket}, ["starts-with", "$key", "k/"]],
    }
    request = AWSRequest(method="POST", url=mine.url)
    request.context["s3-presign-post-fields"] = {"key": "k/${filename}"}
    request.context["s3-presign-post-policy"] = their_policy
    auth = S3ExpressPostAuth(
        BotoCredentials(CREDS.access_key_id, CREDS.secret_access_key, TOKEN),
        "s3express", "us-west-2", identity_cache=mock.Mock(),
    )
    with mock.patch("botocore.auth.get_current_datetime", return_value=FROZEN):
        auth.add_auth(request)
    theirs = request.context["s3-presign-post-fields"]
    assert list(mine.fields.items()) == list(theirs.items())
    assert "X-Amz-S3session-Token" in mine.fields
    assert "x-amz-security-token" not in mine.fields


def test_repr_hides_token_and_signature() -> None:
    mine = ours("mybucket", "k", "us-east-1", token=TOKEN)
    text = repr(mine)
    assert TOKEN not in text and mine.fields["x-amz-signature"] not in text
