"""Attack review of the S3-rules / pasteable-URL / capture-diff surface (issue 23): hostile
debug logs for ``diff --sent``, PresignedUrls that differ from their CopySnapshot call only
by encoding, duplicates or scope, and the control characters of inputs in JSON output."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import boto3
import botocore.auth
import pytest
from botocore.config import Config
from click.testing import CliRunner

from sigv4kit import Credentials, Request, SigningError, presign
from sigv4kit.cli import cli
from sigv4kit.diagnose.captured import read_sent
from sigv4kit.ec2 import presigned_copy_snapshot_url
from sigv4kit.ec2.client import check_presigned_url_matches
from sigv4kit.received import Reason
from sigv4kit.testing.verifying_server import VerifyingServer

CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
SNAP = "snap-066877671789bd71b"
TOKEN = "FwoGZXIvYXdzEXAMPLETOKENsecretsessionvalue1234567890abcdef+/="
LOG = (
    "CanonicalRequest:\nGET\n/k\n\nhost:example.amazonaws.com\nx-amz-date:20261125T120000Z\n"
    "\nhost;x-amz-date\nUNSIGNED-PAYLOAD\n"
)


# -- diff --sent @debug.log: a log of many lines is read in linear time ---------------------

def test_a_log_of_many_lines_is_read_in_linear_time() -> None:
    """The string to sign was looked for by slicing the list of lines at every line: a 1 MiB
    log of newlines took about half an hour. Now each line is looked at once."""
    data = (LOG + "\n" * 300_000).encode()
    started = time.perf_counter()
    sent = read_sent(data)
    assert time.perf_counter() - started < 3.0
    assert sent.canonical_request.startswith("GET\n/k\n") and sent.string_to_sign is None
    found = read_sent((LOG + "\n" * 300_000 + "AWS4-HMAC-SHA256\n20261125T120000Z\n"
                       "20261125/us-east-1/s3/aws4_request\n" + "a" * 64 + "\n").encode())
    assert found.string_to_sign is not None and found.string_to_sign.endswith("a" * 64)


# -- Client.copy_snapshot's check of the PresignedUrl against the call -----------------------

def _url(**extra: object) -> str:
    return presigned_copy_snapshot_url(
        CREDS, source_region="us-west-2", source_snapshot_id=SNAP,
        destination_region="us-east-1", timestamp="20261125T120000Z",
        extra_params={"Description": "a b+c/ü", **extra})


CALL = {"SourceRegion": "us-west-2", "SourceSnapshotId": SNAP, "Description": "a b+c/ü"}


def test_same_members_in_another_encoding_are_accepted() -> None:
    url = _url()
    check_presigned_url_matches(url, CALL, "us-east-1")
    check_presigned_url_matches(url.replace("%C3%BC", "%c3%bc"), CALL, "us-east-1")


@pytest.mark.parametrize(
    ("tamper", "rule"),
    [
        (lambda u: u + "&Description=other", "'Description' more than once"),
        (lambda u: u.replace("Description=", "Description=other&Description="),
         "'Description' more than once"),
        (lambda u: u + "&X-Amz-Signature=" + "0" * 64, "'X-Amz-Signature' more than once"),
        (lambda u: u.replace("%C3%BC", "%FF"), "not UTF-8"),
    ],
    ids=["duplicate-after", "duplicate-before", "duplicate-signature", "not-utf-8"],
)
def test_an_ambiguous_url_is_refused(tamper: object, rule: str) -> None:
    """A member given twice (the first was compared, EC2 may replay the other) or an escape
    that is no UTF-8 (decoded to U+FFFD, it matched a call holding U+FFFD) proves nothing."""
    url = tamper(_url())  # type: ignore[operator]
    call = {**CALL, "Description": "a b+c/\ufffd"} if "FF" in url else CALL
    with pytest.raises(SigningError, match=rule):
        check_presigned_url_matches(url, call, "us-east-1")


def test_a_url_signed_for_another_region_is_refused() -> None:
    """boto3's EC2 client in the destination Region presigns CopySnapshot for *its* Region:
    EC2 replays it in the source Region and the copy fails hours later."""
    client = boto3.client("ec2", region_name="us-east-1", aws_access_key_id=CREDS.access_key_id,
                          aws_secret_access_key=CREDS.secret_access_key)
    with mock.patch.object(botocore.auth, "get_current_datetime",
                           return_value=dt.datetime(2026, 11, 25, 12, 0, 0)):
        url = client.generate_presigned_url("copy_snapshot", Params={
            "SourceRegion": "us-west-2", "SourceSnapshotId": SNAP,
            "DestinationRegion": "us-east-1"})
    assert "us-east-1%2Fec2" in url
    with pytest.raises(SigningError, match=r"scope .*us-east-1.* not <date>/us-west-2/ec2"):
        check_presigned_url_matches(url, {"SourceRegion": "us-west-2",
                                          "SourceSnapshotId": SNAP}, "us-east-1")


def test_a_presigning_parameter_in_any_case_is_never_quoted() -> None:
    """``x-amz-security-token`` (lower case) was compared as a call member, so the URL was
    refused with its value, a session token, quoted in the message. Presigning's parameters,
    in any case, are no members of the call."""
    url = _url() + "&x-amz-security-token=" + TOKEN.replace("+", "%2B").replace("/", "%2F")
    try:
        check_presigned_url_matches(url, CALL, "us-east-1")
    except SigningError as exc:
        raise AssertionError(f"refused: {exc}") from None


@pytest.mark.parametrize("url", [123, b"https://ec2.us-west-2.amazonaws.com/", ["x"]])
def test_a_url_that_is_no_string_is_a_signing_error(url: object) -> None:
    with pytest.raises(SigningError, match="PresignedUrl: must be a string"):
        check_presigned_url_matches(url, CALL, "us-east-1")  # type: ignore[arg-type]


# -- presign: the pasteable S3 URL holds no '+' S3 would read as a space ---------------------

@pytest.mark.parametrize("key", ["a+b", "HDR10+ BluRay.mkv", "c++/x+y/z"])
def test_a_plus_in_an_s3_path_is_sent_as_botocore_sends_it(key: str) -> None:
    """S3 reads a raw '+' in a path as a space: ``/a+b`` fetches ``a b`` and its signature
    (made for ``a%2Bb``) fails. The URL carries ``%2B``, byte for byte botocore's."""
    client = boto3.client("s3", region_name="eu-west-1", aws_access_key_id=CREDS.access_key_id,
                          aws_secret_access_key=CREDS.secret_access_key,
                          config=Config(signature_version="s3v4",
                                        s3={"addressing_style": "virtual"}))
    theirs = client.generate_presigned_url(
        "get_object", Params={"Bucket": "amzn-s3-demo-bucket", "Key": key}, ExpiresIn=900)
    moment = theirs.split("X-Amz-Date=")[1][:16]
    ours = presign(Request("GET", f"https://amzn-s3-demo-bucket.s3.eu-west-1.amazonaws.com/{key}"),
                   CREDS, region="eu-west-1", service="s3", expires=900, timestamp=moment)
    assert sorted(ours.url.split("&")) == sorted(theirs.split("&"))  # base and signature
    assert "+" not in ours.url.partition("?")[0]


def test_a_presigned_url_fetched_by_curl_verifies() -> None:
    """Pasteable, proved by curl (which refuses a raw space and sends what it is given)."""
    with VerifyingServer(CREDS) as server:
        server.objects["/my key+1/ü.txt"] = b"hello"
        for path in ["/my key+1/ü.txt", "/x%2Fy/50%/a;b"]:
            url = presign(Request("GET", server.url + path), CREDS, region="us-east-1",
                          service="s3", expires=60).url
            done = subprocess.run(["curl", "-sS", "-g", "--max-time", "10", "-o", "/dev/null",
                                   "-w", "%{http_code}", url],
                                  capture_output=True, text=True, timeout=20, check=False)
            assert server.requests[-1].reason is Reason.OK, server.requests[-1].message
            assert done.stdout in ("200", "404"), (path, done.stdout, done.stderr)


# -- JSON output: C1 controls and bidi overrides of the input are escaped --------------------

_HOSTILE = "\u202eab\u009b2Jc\u2066"
_AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/s3/aws4_request, "
         "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64)


def _capture(target: str) -> bytes:
    return (f"GET {target} HTTP/1.1\r\nHost: example.amazonaws.com\r\n"
            f"X-Amz-Date: 20261125T120000Z\r\nAuthorization: {_AUTH}\r\n\r\n").encode()


@pytest.mark.parametrize("command", ["explain", "diff"])
def test_json_output_escapes_c1_and_bidi(tmp_path: Path, command: str) -> None:
    """``json.dumps(ensure_ascii=False)`` escapes C0 only: U+009B (CSI) and U+202E from a
    capture or a debug log went to the terminal raw in ``--output json``."""
    (tmp_path / "received.txt").write_bytes(_capture("/k"))
    (tmp_path / "hostile.txt").write_bytes(_capture("/k" + _HOSTILE))
    (tmp_path / "sent.log").write_text(LOG.replace("\n/k\n", f"\n/k{_HOSTILE}\n"))
    if command == "explain":
        args = ["explain", f"@{tmp_path / 'hostile.txt'}"]
    else:
        args = ["diff", "--received", f"@{tmp_path / 'received.txt'}",
                "--sent", f"@{tmp_path / 'sent.log'}"]
    result = CliRunner().invoke(cli, [*args, "--output", "json"],
                                env={"AWS_CONFIG_FILE": "/dev/null"})
    assert result.exit_code in (0, 1), result.output
    assert not set(result.output) & {"\u202e", "\u009b", "\u2066"}, result.output
    assert _HOSTILE in json.dumps(json.loads(result.output), ensure_ascii=False)


def test_an_aws_cli_debug_log_without_a_canonical_request_says_why(tmp_path: Path) -> None:
    """The AWS CLI's ``--debug`` log, with awscrt installed (as the CLI's own installer has
    it), holds no canonical request: the CRT signer logs none. Say so, not "not a log"."""
    env = {**os.environ, "AWS_ACCESS_KEY_ID": CREDS.access_key_id,
           "AWS_SECRET_ACCESS_KEY": CREDS.secret_access_key, "AWS_SESSION_TOKEN": TOKEN,
           "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
           "AWS_MAX_ATTEMPTS": "1"}
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    done = subprocess.run(
        [str(Path(sys.executable).with_name("aws")), "s3api", "get-object", "--bucket", "b",
         "--key", "k", str(tmp_path / "out"), "--region", "us-east-1",
         "--endpoint-url", f"http://127.0.0.1:{port}", "--debug"],
        capture_output=True, env=env, timeout=60, check=False)
    (tmp_path / "aws.log").write_bytes(done.stderr)
    (tmp_path / "received.txt").write_bytes(_capture("/k"))
    result = CliRunner().invoke(cli, ["diff", "--received", f"@{tmp_path / 'received.txt'}",
                                      "--sent", f"@{tmp_path / 'aws.log'}"],
                                env={"AWS_CONFIG_FILE": "/dev/null"})
    assert b"botocore" in done.stderr and b"CanonicalRequest" not in done.stderr
    assert result.exit_code == 2 and "logs none" in result.output, result.output
    assert TOKEN[:20] not in result.output
