"""Debugging against a capture (issue 23, item 6): ``diff --received @request.txt`` against
``--sent`` (a raw request, or botocore's own debug log of its canonical request) or against
METHOD URL signed here; ``verify`` printing what it rebuilt on a signature mismatch; explain of
a plain-http capture showing ``http://``. The client is botocore (its S3 signer, its log)."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
from pathlib import Path
from unittest import mock

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from click.testing import CliRunner

from sigv4kit.cli import cli

AKID, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
WHEN = dt.datetime(2026, 11, 25, 12, 0, 0)
NOW = "20261125T120001Z"
HOST = "amzn-s3-demo-bucket.s3.us-east-1.amazonaws.com"
ENV = {"AWS_ACCESS_KEY_ID": AKID, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": "",
       "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
       "AWS_REGION": "us-east-1"}


def botocore_put(path: str, body: bytes) -> tuple[bytes, str]:
    """A PUT as botocore's S3 signer sends it (raw HTTP) and its DEBUG log of the signing."""
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    handler.setFormatter(logging.Formatter("%(asctime)s - %(name)s - %(levelname)s - %(message)s"))
    logger = logging.getLogger("botocore.auth")
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        auth = botocore.auth.S3SigV4Auth(BotoCredentials(AKID, SECRET), "s3", "us-east-1")
        request = AWSRequest(method="PUT", url=f"https://{HOST}{path}", data=body)
        with mock.patch.object(botocore.auth, "get_current_datetime", return_value=WHEN):
            auth.add_auth(request)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
    return raw(f"PUT {path}", [("Host", HOST), *request.headers.items()], body), log.getvalue()


def raw(line: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
    head = "".join(f"{n}: {v}\r\n" for n, v in headers)
    length = f"Content-Length: {len(body)}\r\n" if body else ""
    return f"{line} HTTP/1.1\r\n{head}{length}\r\n".encode() + body


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=ENV)
    return result.exit_code, result.output


def test_received_against_sent_names_the_cause(tmp_path: Path) -> None:
    """A proxy that decodes the path on the way (``%20`` to ``+``): the first difference is
    the canonical URI, named as a path cause."""
    sent, _ = botocore_put("/photos/a%20b.jpg", b"data")
    received = sent.replace(b"PUT /photos/a%20b.jpg", b"PUT /photos/a+b.jpg")
    (tmp_path / "sent.txt").write_bytes(sent)
    (tmp_path / "received.txt").write_bytes(received)
    code, out = run("diff", "--received", f"@{tmp_path / 'received.txt'}",
                    "--sent", f"@{tmp_path / 'sent.txt'}")
    assert code == 1, out
    assert "/photos/a%20b.jpg" in out and "/photos/a%2Bb.jpg" in out
    assert "(path-differs)" in out and "differs at line 2" in out
    code, out = run("diff", "--received", f"@{tmp_path / 'sent.txt'}",
                    "--sent", f"@{tmp_path / 'sent.txt'}")
    assert code == 0, out


def test_received_against_botocores_debug_log(tmp_path: Path) -> None:
    """botocore's DEBUG log (CanonicalRequest: / StringToSign:, one log record each) is the
    client's side: identical to what the receiver rebuilds from the request botocore sent,
    and the first difference named when a proxy rewrote the path."""
    sent, log = botocore_put("/photos/a%20b.jpg", b"data")
    assert "CanonicalRequest:" in log
    (tmp_path / "botocore.log").write_text(log)
    (tmp_path / "received.txt").write_bytes(sent)
    code, out = run("diff", "--received", f"@{tmp_path / 'received.txt'}",
                    "--sent", f"@{tmp_path / 'botocore.log'}", "--output", "json")
    assert code == 0, out
    report = json.loads(out)
    assert report["canonical_request"]["identical"] is True
    assert report["string_to_sign"]["identical"] is True
    (tmp_path / "received.txt").write_bytes(
        sent.replace(b"PUT /photos/a%20b.jpg", b"PUT /photos/a+b.jpg"))
    code, out = run("diff", "--received", f"@{tmp_path / 'received.txt'}",
                    "--sent", f"@{tmp_path / 'botocore.log'}")
    assert code == 1
    assert "(path-differs)" in out and "differs at line 2" in out


def test_received_against_method_url(tmp_path: Path) -> None:
    """METHOD URL signed here, with the captured request's scope and X-Amz-Date: the same
    request as botocore's is identical; another body is named."""
    sent, _ = botocore_put("/k%20x", b"data")
    (tmp_path / "received.txt").write_bytes(sent)
    code, out = run("diff", "--received", f"@{tmp_path / 'received.txt'}", "PUT",
                    f"https://{HOST}/k%20x", "--data", "data")
    assert code == 0, out
    code, out = run("diff", "--received", f"@{tmp_path / 'received.txt'}", "PUT",
                    f"https://{HOST}/k%20x", "--data", "other")
    assert code == 1 and "payload" in out.lower()


def test_verify_prints_what_it_rebuilt_on_a_mismatch(tmp_path: Path) -> None:
    sent, log = botocore_put("/k", b"data")
    received = sent.replace(b"PUT /k", b"PUT /other")
    (tmp_path / "received.txt").write_bytes(received)
    code, out = run("verify", f"@{tmp_path / 'received.txt'}", "--now", NOW)
    assert code == 1 and "signature_mismatch" in out
    assert "Canonical request (rebuilt" in out and "\n  /other\n" in out
    assert "String to sign (rebuilt)" in out and "20261125/us-east-1/s3/aws4_request" in out
    code, out = run("verify", f"@{tmp_path / 'received.txt'}", "--now", NOW, "--output", "json")
    data = json.loads(out)
    assert data["canonical_request"].split("\n")[1] == "/other"
    assert data["string_to_sign"].startswith("AWS4-HMAC-SHA256\n20261125T120000Z\n")
    assert SECRET not in out
    # The log's canonical request differs from the rebuilt one exactly on the path line.
    logged = log.split("CanonicalRequest:\n")[1].split("\n")
    assert logged[1] == "/k" and data["canonical_request"].split("\n")[2:6] == logged[2:6]


def test_explain_of_a_plain_http_capture_shows_http(tmp_path: Path) -> None:
    sent, _ = botocore_put("/k", b"data")
    (tmp_path / "r.txt").write_bytes(sent)
    code, out = run("explain", f"@{tmp_path / 'r.txt'}", "--now", NOW, "--scheme", "http")
    assert code == 0, out
    assert f"http://{HOST}/k" in out and "https://" not in out.split("\n")[0]
    code, out = run("explain", f"@{tmp_path / 'r.txt'}", "--now", NOW)
    assert code == 0, out
    assert f"https://{HOST}/k" in out.split("\n")[0]
    proxied = sent.replace(b"\r\n\r\n", b"\r\nX-Forwarded-Proto: http\r\n\r\n", 1)
    (tmp_path / "p.txt").write_bytes(proxied)
    code, out = run("explain", f"@{tmp_path / 'p.txt'}", "--now", NOW)
    assert code == 0, out
    assert f"http://{HOST}/k" in out.split("\n")[0]


def test_sent_logs_of_other_sdks_are_read() -> None:
    """The canonical request and string to sign are found by their shape after each SDK's
    marker, whatever the log prints around them."""
    from sigv4kit.diagnose.captured import read_sent

    sent, log = botocore_put("/k", b"data")
    record = re.compile(r"\n\d{4}-\d\d-\d\d ")  # the next log record's asctime
    canonical = record.split(log.split("CanonicalRequest:\n")[1])[0]
    to_sign = record.split(log.split("StringToSign:\n")[1])[0]
    assert to_sign.count("\n") == 3
    forms = {
        "go-v2": f"Request Signature:\n---[ CANONICAL STRING  ]-----------------------------\n"
                 f"{canonical}\n---[ STRING TO SIGN ]--------------------------------\n"
                 f"{to_sign}\n-----------------------------------------------------",
        "java": f"DEBUG AWS4 Canonical Request: '\"{canonical}\"\nDEBUG AWS4 String to sign: "
                f"'\"{to_sign}\"",
        "sigv4kit": f"header canonical request:\n{canonical}\nheader string to sign:\n{to_sign}",
        "bare": f"{canonical}\n{to_sign}\n",
    }
    for name, text in forms.items():
        got = read_sent(text.encode())
        assert (got.canonical_request, got.string_to_sign) == (canonical, to_sign), name
    from_raw = read_sent(sent)
    assert (from_raw.canonical_request, from_raw.string_to_sign) == (canonical, to_sign)
