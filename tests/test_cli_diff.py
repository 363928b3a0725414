"""``sigv4kit diff`` as users run it: a real subprocess, given the error a server returned.

The "server" is botocore: its SigV4Auth / S3SigV4Auth / S3SigV4QueryAuth pieces compute the
canonical request and string to sign from the request *as the server received it*, the way an
AWS front end does, independently of sigv4kit. The control case proves that server agrees with
sigv4kit byte for byte on an untouched request; the mis-signed cases check the request really
is refused (the server's signature differs) before asking ``diff`` why.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from hashlib import sha256
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import escape

import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from sigv4kit import S3_OPTIONS, S3_PRESIGN_OPTIONS, Credentials, Request, presign, sign_request
from sigv4kit.redact import redacted

AKID = "AKIDEXAMPLE"
SECRET = "CANARYsecretCANARYsecretCANARYsecret0123"
TOKEN = "CANARYtokenIQoJb3JpZ2luX2VjEXAMPLEtokenCANARY/+="
TS = "20261125T120000Z"
CREDS = Credentials(AKID, SECRET, TOKEN)
BOTO_CREDS = BotoCredentials(AKID, SECRET, TOKEN)

STS_URL = "https://sts.us-east-1.amazonaws.com/"
FORM = "application/x-www-form-urlencoded"
STS_BODY = "Action=GetCallerIdentity&Version=2011-06-15"
OBJECT_URL = "https://amzn-s3-demo-bucket.s3.us-east-1.amazonaws.com/photos/cat.txt"
OBJECT_BODY = "hello, world\n"

MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details."
)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_ACCESS_KEY_ID=AKID,
        AWS_SECRET_ACCESS_KEY=SECRET,
        AWS_SESSION_TOKEN=TOKEN,
    )
    return env


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sigv4kit", "diff", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )


def _clean(result: subprocess.CompletedProcess[str]) -> str:
    """Everything the command printed, checked for tracebacks and credentials."""
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert SECRET not in output
    assert TOKEN not in output and quote(TOKEN, safe="") not in output
    return output


# --------------------------------------------------------------------------- the server


def server_header_signed(
    method: str,
    url: str,
    headers: dict[str, str],
    body: str,
    *,
    region: str,
    service: str,
    s3: bool = False,
) -> tuple[str, str, str]:
    """botocore's canonical request, string to sign and signature for a header-signed request
    as received: the headers sent, the X-Amz-* ones the client added, and Host."""
    received = dict(headers)
    received["X-Amz-Date"] = TS
    received["X-Amz-Security-Token"] = TOKEN
    if s3:
        received["X-Amz-Content-SHA256"] = sha256(body.encode()).hexdigest()
    request = AWSRequest(method=method, url=url, headers=received, data=body.encode())
    request.context["timestamp"] = TS
    auth = (S3SigV4Auth if s3 else SigV4Auth)(BOTO_CREDS, service, region)
    canonical = auth.canonical_request(request)
    to_sign = auth.string_to_sign(request, canonical)
    return canonical, to_sign, auth.signature(to_sign, request)


def server_presigned(received_url: str, *, region: str) -> tuple[str, str, str]:
    """botocore's view of an S3 presigned URL as received (all parameters but the signature,
    Host the only header, UNSIGNED-PAYLOAD)."""
    base, _, query = received_url.partition("?")
    kept = "&".join(p for p in query.split("&") if not p.startswith("X-Amz-Signature="))
    request = AWSRequest(method="GET", url=f"{base}?{kept}")
    request.context["timestamp"] = TS
    auth = S3SigV4QueryAuth(BOTO_CREDS, "s3", region)
    canonical = auth.canonical_request(request)
    to_sign = auth.string_to_sign(request, canonical)
    return canonical, to_sign, auth.signature(to_sign, request)


def _hex(text: str) -> str:
    return " ".join(f"{b:02x}" for b in text.encode())


def s3_error(canonical: str, to_sign: str, signature: str, message: str = MISMATCH) -> str:
    """S3's SignatureDoesNotMatch, with the *Bytes forms built from the exact bytes."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code>'
        f"<Message>{escape(message)}</Message><AWSAccessKeyId>{AKID}</AWSAccessKeyId>"
        f"<StringToSign>{escape(to_sign)}</StringToSign>"
        f"<SignatureProvided>{signature}</SignatureProvided>"
        f"<StringToSignBytes>{_hex(to_sign)}</StringToSignBytes>"
        f"<CanonicalRequest>{escape(canonical)}</CanonicalRequest>"
        f"<CanonicalRequestBytes>{_hex(canonical)}</CanonicalRequestBytes>"
        "<RequestId>4442587FB7D0A2F9</RequestId><HostId>ZXhhbXBsZQ==</HostId></Error>"
    )


def query_error(canonical: str, to_sign: str) -> str:
    """A Query service's SignatureDoesNotMatch: both texts quoted in the message."""
    message = (
        f"{MISMATCH}\n\nThe Canonical String for this request should have been\n'{canonical}'"
        f"\n\nThe String-to-Sign should have been\n'{to_sign}'\n"
    )
    return (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
        "<Type>Sender</Type><Code>SignatureDoesNotMatch</Code>"
        f"<Message>{escape(message)}</Message></Error>"
        "<RequestId>b25f4e06-0d8f-4d0a-9d0f-0e3c1f2b1a11</RequestId></ErrorResponse>"
    )


STS_ARGS = ["POST", STS_URL, "--region", "us-east-1", "--service", "sts",
            "--header", f"Content-Type: {FORM}", "--data", STS_BODY, "--timestamp", TS]
OBJECT_ARGS = ["PUT", OBJECT_URL, "--service", "s3", "--s3", "--header",
               "Content-Type: text/plain", "--data", OBJECT_BODY, "--timestamp", TS]


def _ours_object() -> tuple[str, str, str]:
    request = Request("PUT", OBJECT_URL, [("Content-Type", "text/plain")], OBJECT_BODY.encode())
    s = sign_request(request, CREDS, region="us-east-1", service="s3", timestamp=TS,
                     **S3_OPTIONS)
    return s.canonical_request, s.string_to_sign, s.signature


# --------------------------------------------------------------------------- identical


def test_identical_s3_error_from_our_own_bytes(tmp_path: Path) -> None:
    error = tmp_path / "error.xml"
    error.write_text(s3_error(*_ours_object()))
    result = run("--server-error", str(error), *OBJECT_ARGS, "--region", "us-east-1")
    _clean(result)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Canonical request: identical" in result.stdout
    assert "String to sign: identical" in result.stdout
    assert "\x1b[" not in result.stdout  # not a terminal: no colour
    as_json = run("--server-error", str(error), *OBJECT_ARGS, "--region", "us-east-1",
                  "--output", "json")
    assert as_json.returncode == 0
    doc = json.loads(as_json.stdout)
    assert doc["identical"] is True and doc["server"]["format"] == "s3-xml"
    assert [c["code"] for c in doc["causes"]] == ["wrong-secret-key"]


def test_identical_query_message_from_stdin_and_botocore_agrees() -> None:
    canonical, to_sign, _ = server_header_signed(
        "POST", STS_URL, {"Content-Type": FORM}, STS_BODY, region="us-east-1", service="sts"
    )
    request = Request("POST", STS_URL, [("Content-Type", FORM)], STS_BODY.encode())
    ours = sign_request(request, CREDS, region="us-east-1", service="sts", timestamp=TS)
    assert (ours.canonical_request, ours.string_to_sign) == (canonical, to_sign)  # control
    result = run("--server-error", "-", *STS_ARGS, stdin=query_error(canonical, to_sign))
    _clean(result)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Canonical request: identical" in result.stdout


def test_secret_from_stdin(tmp_path: Path) -> None:
    error = tmp_path / "error.xml"
    error.write_text(s3_error(*_ours_object()))
    result = run("--server-error", str(error), *OBJECT_ARGS, "--region", "us-east-1",
                 "--access-key-id", AKID, "--secret-access-key-stdin", stdin=SECRET + "\n")
    _clean(result)
    assert result.returncode == 0, result.stdout + result.stderr


# --------------------------------------------------------------------------- mis-signed


def test_content_type_charset_added_after_signing(tmp_path: Path) -> None:
    charset = f"{FORM}; charset=utf-8"
    canonical, to_sign, server_sig = server_header_signed(
        "POST", STS_URL, {"Content-Type": charset}, STS_BODY, region="us-east-1", service="sts"
    )
    request = Request("POST", STS_URL, [("Content-Type", FORM)], STS_BODY.encode())
    ours = sign_request(request, CREDS, region="us-east-1", service="sts", timestamp=TS)
    assert server_sig != ours.signature  # the server really refuses it
    error = tmp_path / "error.xml"
    error.write_text(query_error(canonical, to_sign))
    result = run("--server-error", str(error), *STS_ARGS, "--output", "json")
    _clean(result)
    assert result.returncode == 1, result.stdout + result.stderr
    doc = json.loads(result.stdout)
    assert doc["identical"] is False
    assert doc["causes"][0]["code"] == "header-changed"
    assert "charset" in doc["causes"][0]["title"] + " ".join(doc["causes"][0]["evidence"])
    first = doc["canonical_request"]["first_difference"]
    assert first["component"] == "canonical header content-type"
    text = run("--server-error", str(error), *STS_ARGS)
    _clean(text)
    assert text.returncode == 1
    assert "Content-Type changed after signing" in text.stdout


def test_signed_for_another_region(tmp_path: Path) -> None:
    canonical, to_sign, server_sig = server_header_signed(
        "PUT", OBJECT_URL, {"Content-Type": "text/plain"}, OBJECT_BODY,
        region="us-east-1", service="s3", s3=True,
    )
    request = Request("PUT", OBJECT_URL, [("Content-Type", "text/plain")], OBJECT_BODY.encode())
    ours = sign_request(request, CREDS, region="us-west-2", service="s3", timestamp=TS,
                        **S3_OPTIONS)
    assert server_sig != ours.signature
    error = tmp_path / "error.xml"
    error.write_text(s3_error(canonical, to_sign, ours.signature))
    result = run("--server-error", str(error), *OBJECT_ARGS, "--region", "us-west-2",
                 "--output", "json")
    _clean(result)
    assert result.returncode == 1, result.stdout + result.stderr
    doc = json.loads(result.stdout)
    assert doc["causes"][0]["code"] == "wrong-region"
    assert doc["canonical_request"]["identical"] is True
    assert doc["string_to_sign"]["first_difference"]["component"] == "credential scope"


def test_presigned_url_with_a_parameter_added_after_signing(tmp_path: Path) -> None:
    request = Request("GET", OBJECT_URL)
    ours = presign(request, CREDS, region="us-east-1", service="s3", expires=600,
                   timestamp=TS, **S3_PRESIGN_OPTIONS)
    received = ours.url + "&response-content-type=text%2Fplain"
    canonical, to_sign, server_sig = server_presigned(received, region="us-east-1")
    assert server_sig != ours.signature
    error = tmp_path / "error.xml"
    error.write_text(s3_error(canonical, to_sign, ours.signature))
    args = ["--server-error", str(error), "GET", OBJECT_URL, "--region", "us-east-1",
            "--service", "s3", "--s3", "--presigned", "--expires", "600", "--timestamp", TS]
    result = run(*args, "--output", "json")
    _clean(result)
    assert result.returncode == 1, result.stdout + result.stderr
    doc = json.loads(result.stdout)
    assert doc["causes"][0]["code"] == "query-param-not-signed"
    assert "response-content-type" in doc["causes"][0]["title"]
    # Without the tampering the same command finds nothing to report.
    clean = server_presigned(ours.url, region="us-east-1")
    assert clean[:2] == (ours.canonical_request, ours.string_to_sign)
    error.write_text(s3_error(*clean))
    assert run(*args).returncode == 0


# --------------------------------------------------------------------------- bad input

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    "<Error><Code>&lol2;</Code></Error>"
)


@pytest.mark.parametrize(
    "garbage",
    [
        pytest.param("hello world", id="nothing-recognisable"),
        pytest.param("<Error><Code>SignatureDoesNotMatch</Code><Mess", id="truncated-xml"),
        pytest.param('{"message": "x"', id="truncated-json"),
        pytest.param("<html><body>502 Bad Gateway</body></html>", id="html"),
        pytest.param(BILLION_LAUGHS, id="entity-expansion"),
        pytest.param("", id="empty"),
    ],
)
def test_garbage_server_error_exits_2(garbage: str) -> None:
    result = run("--server-error", "-", *STS_ARGS, stdin=garbage)
    _clean(result)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("Error: server error text:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_unreadable_or_oversized_server_error_exits_2(tmp_path: Path) -> None:
    missing = run("--server-error", str(tmp_path / "nope.xml"), *STS_ARGS)
    _clean(missing)
    assert missing.returncode == 2 and "--server-error" in missing.stderr
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"x" * (2 * 1024 * 1024))
    result = run("--server-error", str(huge), *STS_ARGS)
    _clean(result)
    assert result.returncode == 2 and "more than" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--server-error", "-", *STS_ARGS[:-4], "--data", "@-"],
                     "both need stdin", id="two-stdins"),
        pytest.param(["--server-error", "-", *STS_ARGS, "--access-key-id", AKID,
                      "--secret-access-key-stdin"], "cannot share stdin",
                     id="secret-and-error-on-stdin"),
        pytest.param(["--server-error", "-", *STS_ARGS, "--expires", "60"],
                     "--expires needs --presigned", id="expires-without-presigned"),
        pytest.param(["--server-error", "-", *STS_ARGS, "--header", "no colon"],
                     "Invalid value for --header", id="bad-header"),
        pytest.param(["--server-error", "-", *STS_ARGS, "--presigned", "--expires", "0"],
                     "Invalid value for --expires", id="expires-out-of-range"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    canonical, to_sign, _ = server_header_signed(
        "POST", STS_URL, {"Content-Type": FORM}, STS_BODY, region="us-east-1", service="sts"
    )
    result = run(*args, stdin=query_error(canonical, to_sign))
    _clean(result)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert message in result.stderr


# --------------------------------------------------------------------------- secrets


@pytest.mark.parametrize("output", ["text", "json"])
def test_secret_never_shown_and_token_redacted(tmp_path: Path, output: str) -> None:
    canonical, to_sign, _ = server_header_signed(
        "POST", STS_URL, {"Content-Type": f"{FORM}; charset=utf-8"}, STS_BODY,
        region="us-east-1", service="sts",
    )
    assert TOKEN in canonical
    # A server (or the log it was copied from) that echoes the secret key is redacted too.
    error = tmp_path / "error.xml"
    error.write_text(query_error(canonical, to_sign).replace(MISMATCH, f"{MISMATCH} {SECRET}"))
    result = run("--server-error", str(error), *STS_ARGS, "--output", output)
    out = _clean(result)
    assert result.returncode == 1
    assert redacted(TOKEN) in out and redacted(TOKEN).startswith(TOKEN[:4])
    assert f"({len(TOKEN)} chars)" in out
    assert redacted(SECRET) not in out  # the secret key is masked entirely, not abbreviated


def test_presigned_token_redacted(tmp_path: Path) -> None:
    ours = presign(Request("GET", OBJECT_URL), CREDS, region="us-east-1", service="s3",
                   timestamp=TS, **S3_PRESIGN_OPTIONS)
    canonical, to_sign, _ = server_presigned(ours.url + "&extra=1", region="us-east-1")
    assert quote(TOKEN, safe="") in canonical
    error = tmp_path / "error.xml"
    error.write_text(s3_error(canonical, to_sign, ours.signature))
    result = run("--server-error", str(error), "GET", OBJECT_URL, "--region", "us-east-1",
                 "--service", "s3", "--s3", "--presigned", "--timestamp", TS)
    out = _clean(result)
    assert result.returncode == 1
    assert redacted(TOKEN) in out


# --------------------------------------------------------------------------- help


def test_help_ends_with_an_example() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sigv4kit", "diff", "--help"],
        capture_output=True, text=True, env=_env(), timeout=120,
    )
    assert result.returncode == 0
    tail = result.stdout.strip().splitlines()
    assert any("Example" in line for line in tail[-8:])
    assert tail[-1].strip().startswith("sigv4kit diff ")
    assert any(line.strip().startswith("sigv4kit diff --server-error") for line in tail)
    assert any(line.strip().startswith("sigv4kit diff --received") for line in tail)
    listing = subprocess.run(
        [sys.executable, "-m", "sigv4kit", "--help"],
        capture_output=True, text=True, env=_env(), timeout=120,
    )
    assert "  diff " in listing.stdout
