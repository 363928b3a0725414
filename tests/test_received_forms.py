"""Signed requests in the forms they are really issued in, read by verify and explain alike.

- RDS and Aurora DSQL auth tokens (``host:port/?Action=connect&DBUser=…&X-Amz-…``, no
  scheme) made by botocore's own ``generate_db_auth_token`` / ``generate_db_connect_auth_token``;
- EKS tokens (``k8s-aws-v1.`` + base64url of a presigned STS GetCallerIdentity that signs
  ``x-k8s-aws-id``), built exactly as ``aws eks get-token`` builds them with botocore's presigner;
- SigV2 (``Authorization: AWS AKID:sig`` and ``AWSAccessKeyId=…&Signature=…&Expires=…``
  links) signed by botocore's HmacV1 signers: one reason, the fix named, no signature quoted;
- a ``Date`` header instead of X-Amz-Date, checked against the signatures of AWS's original
  (2011) SigV4 test suite, ``get-vanilla`` and ``post-vanilla``.
"""

from __future__ import annotations

import base64
import email.utils
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from hypothesis import given
from hypothesis import strategies as st

from sigv4kit import Credentials, Request
from sigv4kit.diagnose.explain import explain_request, render_text, to_dict
from sigv4kit.received import Reason
from sigv4kit.timestamps import parse_http_date
from sigv4kit.verify import VerifyResult, verify_presigned_url, verify_request
from sigv4kit.wire import MalformedInputError, parse_url_request

CREDS = Credentials(
    "ASIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY", "FwoGZXIvYXdz+TOKEN/=="
)
LONG_TERM = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
LOOKUP = {c.access_key_id: c for c in (CREDS, LONG_TERM)}.get


def _boto3(service: str, region: str, creds: Credentials = CREDS) -> Any:
    return boto3.session.Session().client(
        service,  # type: ignore[call-overload]
        region_name=region,
        aws_access_key_id=creds.access_key_id,
        aws_secret_access_key=creds.secret_access_key,
        aws_session_token=creds.session_token,
    )


def _signed_at(url: str) -> str:
    return parse_qs(urlsplit(url).query)["X-Amz-Date"][0]


def _check(token: str, signed_at: str, **kw: Any) -> VerifyResult:
    return verify_presigned_url(token, LOOKUP, now=signed_at, **kw)


# -- RDS and Aurora DSQL -----------------------------------------------------------------------


@pytest.mark.parametrize("creds", [CREDS, LONG_TERM], ids=["session", "long-term"])
def test_rds_auth_token_as_issued(creds: Credentials) -> None:
    host = "mydb.cluster-c9akciq32.us-west-2.rds.amazonaws.com"
    token = _boto3("rds", "us-west-2", creds).generate_db_auth_token(
        DBHostname=host, Port=5432, DBUsername="jane_doe"
    )
    assert token.startswith(f"{host}:5432/?Action=connect&DBUser=jane_doe&X-Amz-")
    at = _signed_at(f"https://{token}")
    result = _check(token, at, service="rds-db", region="us-west-2")
    assert result.valid, result.message
    request = parse_url_request(token)
    assert request.url == f"https://{token}"
    e = explain_request(request, now=at)
    assert [w.code for w in e.warnings] == []  # signed for rds-db: no service_mismatch
    assert (e.host, e.host_region, e.host_service) == (f"{host}:5432", "us-west-2", "rds")
    assert e.service == "rds-db"
    assert verify_request(request, LOOKUP, now=at).valid

    other_user = token.replace("DBUser=jane_doe", "DBUser=jane_dox")
    assert _check(other_user, at).reason == Reason.SIGNATURE_MISMATCH
    other_port = token.replace(":5432/", ":5433/")
    assert _check(other_port, at).reason == Reason.SIGNATURE_MISMATCH
    late = (datetime.strptime(at, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            + timedelta(minutes=16))
    assert _check(token, late.strftime("%Y%m%dT%H%M%SZ")).reason == Reason.EXPIRED


@pytest.mark.parametrize("admin", [False, True], ids=["DbConnect", "DbConnectAdmin"])
def test_dsql_auth_token_as_issued(admin: bool) -> None:
    dsql = _boto3("dsql", "us-east-1")
    host = "abcdefghijklmnopqrst123456.dsql.us-east-1.on.aws"
    make = (dsql.generate_db_connect_admin_auth_token if admin
            else dsql.generate_db_connect_auth_token)
    token = make(Hostname=host, Region="us-east-1")
    action = "DbConnectAdmin" if admin else "DbConnect"
    assert token.startswith(f"{host}/?Action={action}&X-Amz-")
    at = _signed_at(f"https://{token}")
    result = _check(token, at, service="dsql", region="us-east-1")
    assert result.valid, result.message
    e = explain_request(parse_url_request(token), now=at)
    assert [w.code for w in e.warnings] == [] and e.service == "dsql"
    swapped = token.replace(f"Action={action}", "Action=DbConnectAdmim" if admin
                            else "Action=DbConnecu")
    assert _check(swapped, at).reason == Reason.SIGNATURE_MISMATCH


def test_a_token_without_scheme_is_only_taken_for_host_path_query() -> None:
    with pytest.raises(MalformedInputError):
        parse_url_request("not a url at all")
    with pytest.raises(MalformedInputError):
        parse_url_request("host name with spaces:5432/?Action=connect")


# -- EKS -----------------------------------------------------------------------------------------


def _eks_token(cluster: str, region: str = "us-west-2") -> str:
    """``aws eks get-token``'s TokenGenerator and STSClientFactory (awscli/customizations/eks/
    get_token.py): the cluster name goes in as a client parameter, becomes the x-k8s-aws-id
    header before signing, and the presigned URL is base64url-encoded without padding."""
    sts = _boto3("sts", region)

    def retrieve(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if "x-k8s-aws-id" in params:
            context["x-k8s-aws-id"] = params.pop("x-k8s-aws-id")

    def inject(request: Any, **_: Any) -> None:
        if "x-k8s-aws-id" in request.context:
            request.headers["x-k8s-aws-id"] = request.context["x-k8s-aws-id"]

    sts.meta.events.register("provide-client-params.sts.GetCallerIdentity", retrieve)
    sts.meta.events.register("before-sign.sts.GetCallerIdentity", inject)
    url = sts.generate_presigned_url(
        "get_caller_identity", Params={"x-k8s-aws-id": cluster}, ExpiresIn=60, HttpMethod="GET"
    )
    return "k8s-aws-v1." + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def test_eks_token_as_issued() -> None:
    token = _eks_token("my-cluster")
    url = base64.urlsafe_b64decode(token[len("k8s-aws-v1."):] + "==").decode()
    assert "x-k8s-aws-id" in parse_qs(urlsplit(url).query)["X-Amz-SignedHeaders"][0]
    at = _signed_at(url)
    header = [("x-k8s-aws-id", "my-cluster")]
    result = _check(token, at, headers=header, service="sts", region="us-west-2")
    assert result.valid, result.message
    request = parse_url_request(token, headers=header)
    assert request.url == url
    e = explain_request(request, now=at)
    assert [w.code for w in e.warnings] == [] and e.host_service == "sts"
    assert "x-k8s-aws-id" in e.signed_headers

    without = _check(token, at)
    assert without.reason == Reason.MISSING_SIGNED_HEADER and "x-k8s-aws-id" in without.message
    # The token's design (issue 23 item 4): named as an EKS token, the hint a note, no warning.
    hint = explain_request(parse_url_request(token), now=at)
    assert hint.warnings == () and hint.kind is not None and hint.kind.name == "eks"
    assert "--header 'x-k8s-aws-id: CLUSTER'" in hint.kind.notes[0]
    other = _check(token, at, headers=[("x-k8s-aws-id", "other-cluster")])
    assert other.reason == Reason.SIGNATURE_MISMATCH


@pytest.mark.parametrize(
    "token",
    ["k8s-aws-v1.", "k8s-aws-v1.!!!!", "k8s-aws-v1." + base64.urlsafe_b64encode(
        b"http://sts.amazonaws.com/?Action=GetCallerIdentity").decode().rstrip("="),
     "k8s-aws-v1.//79"],
)
def test_bad_eks_tokens_are_named(token: str) -> None:
    with pytest.raises(MalformedInputError, match="EKS token"):
        parse_url_request(token)
    result = verify_presigned_url(token, LOOKUP)
    assert result.reason == Reason.MALFORMED and "EKS token" in result.message


# -- SigV2 ---------------------------------------------------------------------------------------


def _v2_creds() -> BotoCredentials:
    return BotoCredentials(LONG_TERM.access_key_id, LONG_TERM.secret_access_key)


def _assert_sigv2(request: Request, signature: str) -> None:
    result = verify_request(request, LOOKUP)
    assert result.reason == Reason.SIGV2 and not result.valid
    assert "Signature Version 2" in result.message
    assert 'Config(signature_version="s3v4")' in result.message
    e = explain_request(request)
    assert [w.code for w in e.warnings] == ["sigv2"]
    shown = result.message + render_text(e) + json.dumps(to_dict(e)) + repr(result)
    assert signature not in shown and signature.replace("%2B", "+") not in shown


def test_sigv2_authorization_header_from_botocore() -> None:
    aws = AWSRequest("GET", "https://bucket.s3.amazonaws.com/key.txt",
                     headers={"Date": "Sun, 30 Aug 2015 12:36:00 GMT"})
    botocore.auth.HmacV1Auth(_v2_creds()).add_auth(aws)
    auth = aws.headers["Authorization"]
    assert auth.startswith("AWS AKIDEXAMPLE:")
    request = Request("GET", aws.url, list(aws.headers.items()))
    _assert_sigv2(request, auth.partition(":")[2])


def test_sigv2_query_link_from_botocore() -> None:
    aws = AWSRequest("GET", "https://bucket.s3.amazonaws.com/key.txt")
    botocore.auth.HmacV1QueryAuth(_v2_creds(), expires=3600).add_auth(aws)
    query = parse_qs(urlsplit(aws.url).query)
    assert set(query) == {"AWSAccessKeyId", "Signature", "Expires"}
    _assert_sigv2(parse_url_request(aws.url), query["Signature"][0])
    assert verify_presigned_url(aws.url, LOOKUP).reason == Reason.SIGV2


def test_sigv2_query_api_link() -> None:
    """The Query APIs' SigV2 (EC2, SQS …: SignatureVersion=2 with a Timestamp)."""
    aws = AWSRequest("GET", "https://ec2.amazonaws.com/",
                     params={"Action": "DescribeRegions", "Version": "2016-11-15"})
    botocore.auth.SigV2Auth(_v2_creds()).add_auth(aws)
    url = aws.url if "Signature=" in aws.url else aws.prepare().url
    assert "Signature=" in url and "SignatureVersion=2" in url
    signature = parse_qs(urlsplit(url).query)["Signature"][0]
    _assert_sigv2(parse_url_request(url), signature)


def test_a_plain_signature_parameter_is_not_sigv2() -> None:
    result = verify_presigned_url("https://example.com/?Signature=abc", LOOKUP)
    assert result.reason == Reason.NOT_SIGNED


# -- Date instead of X-Amz-Date --------------------------------------------------------------


SUITE_2011 = {
    # aws4_testsuite (2011): GET/POST / with "Date: Mon, 09 Sep 2011 23:36:00 GMT" signed.
    "GET": "b27ccfbfa7df52a200ff74193ca6e32d4b48b8856fab7ebf1c595d0670a7e470",
    "POST": "22902d79e148b64e7571c3565769328423fe276eae4b26f83afceda9e767f726",
}
DATE_2011 = "Mon, 09 Sep 2011 23:36:00 GMT"


def _suite_2011(method: str, date: str = DATE_2011, *extra: tuple[str, str]) -> Request:
    auth = (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20110909/us-east-1/host/aws4_request, "
        f"SignedHeaders=date;host, Signature={SUITE_2011[method]}"
    )
    return Request(method, "https://host.foo.com/",
                   [("Date", date), ("Host", "host.foo.com"), *extra, ("Authorization", auth)])


@pytest.mark.parametrize("method", sorted(SUITE_2011))
def test_date_header_signs_as_in_the_original_suite(method: str) -> None:
    result = verify_request(_suite_2011(method), LOOKUP, now="20110909T233800Z")
    assert result.valid, result.message
    assert result.string_to_sign is not None
    assert result.string_to_sign.split("\n")[1] == "20110909T233600Z"  # ISO basic in the STS
    assert result.canonical_request is not None
    assert f"date:{DATE_2011}\n" in result.canonical_request  # the value as sent
    e = explain_request(_suite_2011(method), now="20110909T233800Z")
    assert [w.code for w in e.warnings] == []
    assert e.issued == datetime(2011, 9, 9, 23, 36, tzinfo=UTC)

    moved = verify_request(_suite_2011(method, DATE_2011.replace("36:00", "36:01")), LOOKUP,
                           now="20110909T233800Z")
    assert moved.reason == Reason.SIGNATURE_MISMATCH
    late = verify_request(_suite_2011(method), LOOKUP, now="20110909T235000Z")
    assert late.reason == Reason.EXPIRED


def test_x_amz_date_wins_over_date() -> None:
    request = _suite_2011("GET", DATE_2011, ("X-Amz-Date", "20110909T233700Z"))
    result = verify_request(request, LOOKUP, now="20110909T233800Z")
    assert result.reason == Reason.SIGNATURE_MISMATCH  # signed with Date's moment, not this one
    assert result.string_to_sign is not None and "\n20110909T233700Z\n" in result.string_to_sign


@pytest.mark.parametrize(
    "date",
    ["Monday, 09-Sep-11 23:36:00 GMT", "Mon Sep  9 23:36:00 2011", "Mon, 09 Sep 2011 23:36:00",
     "Mon, 31 Feb 2011 23:36:00 GMT", "Mon, 09 Sep 2011 23:36:00 +0200", "yesterday"],
)
def test_a_date_that_is_not_imf_fixdate_is_refused(date: str) -> None:
    result = verify_request(_suite_2011("GET", date), LOOKUP, now="20110909T233800Z")
    assert result.reason == Reason.MALFORMED
    assert "Date" in result.message and "IMF-fixdate" in result.message
    assert parse_http_date(date) is None


@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31)))
def test_parse_http_date_agrees_with_email_utils(moment: datetime) -> None:
    moment = moment.replace(microsecond=0, tzinfo=UTC)
    text = email.utils.format_datetime(moment, usegmt=True)
    assert parse_http_date(text) == moment


@given(st.one_of(
    st.text(max_size=300).map(lambda t: "k8s-aws-v1." + t),
    st.binary(max_size=300).map(
        lambda b: "k8s-aws-v1." + base64.urlsafe_b64encode(b).decode().rstrip("=")),
    st.text(max_size=300).map(lambda t: "https://" + t).map(
        lambda u: "k8s-aws-v1." + base64.urlsafe_b64encode(u.encode("utf-8", "replace")).decode()),
    st.from_regex(r"[a-z0-9.-]{1,40}(:[0-9]{1,6})?/\?[ -~]{0,200}", fullmatch=True),
    st.text(max_size=200).map(lambda t: "AWSAccessKeyId=a&Signature=" + t),
))
def test_token_forms_never_raise_anything_else(text: str) -> None:
    """parse_url_request raises MalformedInputError only; verify and explain never raise."""
    result = verify_presigned_url(text, LOOKUP)
    assert not result.valid and result.reason in set(Reason)
    if _parses(text):
        e = explain_request(parse_url_request(text))
        assert all(w.code for w in e.warnings)


def _parses(text: str) -> bool:
    try:
        parse_url_request(text)
    except MalformedInputError:
        return False
    return True
