"""Attack review of the S3 POST-policy surface: hostile forms, bodies and clients against
``verify_post``, ``PostUploadVerifier``, ``PostUploadServer`` and ``explain``. Forms come from
boto3's ``generate_presigned_post`` (the outside oracle); uploads go over loopback sockets and
``requests``."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from sigv4kit.testing.post_server import PostUploadServer

from .test_post_policy import CREDS, boto3_post

BUCKET = "uploads-bucket"
NOW = datetime(2024, 5, 1, 12, 40, tzinfo=UTC)
BOUNDARY = "XyZb0undary"


def _server(**kw: Any) -> PostUploadServer:
    return PostUploadServer(CREDS, bucket=BUCKET, now=lambda: NOW, **kw)


def _form(url: str, conditions: list[Any] | None = None) -> dict[str, str]:
    made = boto3_post(BUCKET, "in/${filename}", "us-east-1", endpoint_url=url,
                      conditions=[["content-length-range", 0, 1000], *(conditions or [])])
    fields: dict[str, str] = made["fields"]
    return fields


def _parts(fields: list[tuple[str, str]]) -> bytes:
    return b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields
    )


_FILE_HEAD = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
              f'filename="a.txt"\r\n\r\n').encode()


def _raw(srv: PostUploadServer, head: bytes, body: bytes = b"") -> bytes:
    """Send ``head`` (request line and headers, without the blank line) and ``body``; the
    whole answer (the server closes), under a timeout."""
    port = int(srv.origin.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head + b"Connection: close\r\n\r\n" + body)
        out = b""
        while chunk := sock.recv(65536):
            out += chunk
    return out


def _post(srv: PostUploadServer, body: bytes) -> bytes:
    head = (f"POST /{BUCKET} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
            f"boundary={BOUNDARY}\r\nContent-Length: {len(body)}\r\n").encode()
    return _raw(srv, head, body)


# --- PostUploadServer: the answer and what is stored -----------------------------------------


def test_a_crlf_in_success_action_redirect_writes_no_header_of_its_own() -> None:
    """A starts-with on success_action_redirect lets the uploader append CR LF and a header of
    its choosing (Set-Cookie) to the 303; S3 ignores a redirect it cannot read as a URL."""
    with _server() as srv:
        fields = _form(srv.origin, [["starts-with", "$success_action_redirect",
                                     "https://app.example/"]])
        fields["success_action_redirect"] = "https://app.example/done\r\nSet-Cookie: pwned=1"
        answer = requests.post(srv.url, data=fields, files={"file": ("a.txt", b"hi")},
                               allow_redirects=False, timeout=5)
        assert "Set-Cookie" not in answer.headers
        assert answer.status_code == 204  # the redirect ignored, as S3 does
        assert srv.objects == {"in/a.txt": b"hi"}


def test_a_redirect_beyond_latin1_is_percent_encoded_not_a_dropped_connection() -> None:
    with _server() as srv:
        fields = _form(srv.origin, [["starts-with", "$success_action_redirect",
                                     "https://app.example/"]])
        fields["success_action_redirect"] = "https://app.example/\u20ac"
        answer = requests.post(srv.url, data=fields, files={"file": ("a.txt", b"hi")},
                               allow_redirects=False, timeout=5)
        assert answer.status_code == 303
        assert answer.headers["Location"].startswith("https://app.example/%E2%82%AC?bucket=")


def test_a_body_cut_before_the_closing_boundary_is_refused_and_not_stored() -> None:
    """python-multipart's finalize() does not check the end: a connection cut in the middle of
    the file must not be stored as the whole object."""
    with _server() as srv:
        fields = list(_form(srv.origin).items())
        for tail in (b"hello", b"hello\r\n", b"hello\r\n--" + BOUNDARY.encode()):
            answer = _post(srv, _parts(fields) + _FILE_HEAD + tail)
            assert answer.startswith(b"HTTP/1.1 400 "), answer[:80]
            assert b"MalformedPOSTRequest" in answer
        assert srv.objects == {}
        good = _post(srv, _parts(fields) + _FILE_HEAD + b"hello\r\n--" + BOUNDARY.encode() + b"--")
        assert good.startswith(b"HTTP/1.1 204 ")
        assert srv.objects == {"in/a.txt": b"hello"}


@pytest.mark.parametrize("length", [b"abc", b"+5", b"1_0", b"-1", b"5, 5"])
def test_a_content_length_that_is_not_one_decimal_number_gets_a_400(length: bytes) -> None:
    with _server() as srv:
        answer = _raw(srv, b"POST /" + BUCKET.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Length: " + length + b"\r\n", b"hello")
        assert answer.startswith(b"HTTP/1.1 400 "), answer[:80]


def test_content_length_beside_transfer_encoding_is_refused() -> None:
    with _server() as srv:
        answer = _raw(srv, b"POST /" + BUCKET.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 400 "), answer[:80]


def test_a_client_trickling_its_body_is_cut_at_the_request_deadline() -> None:
    """Slowloris: a byte every 0.2 s never trips the idle timeout; the total deadline ends it."""
    with _server(deadline=1.0) as srv:
        port = int(srv.origin.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(f"POST /{BUCKET} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/"
                         f"form-data; boundary={BOUNDARY}\r\nContent-Length: 100000\r\n\r\n"
                         .encode())
            started = time.monotonic()
            closed = False
            while time.monotonic() - started < 4:
                try:
                    sock.sendall(b"-")
                    sock.settimeout(0.2)
                    if sock.recv(4096) == b"":
                        closed = True
                        break
                except TimeoutError:
                    continue
                except OSError:
                    closed = True
                    break
            assert closed
            assert time.monotonic() - started < 3


def test_parts_after_the_file_are_counted_against_the_field_limit() -> None:
    """S3 ignores fields after the file, but 100 000 empty parts must not be parsed for free."""
    with _server() as srv:
        fields = list(_form(srv.origin).items())
        empty = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name=""\r\n\r\n\r\n'.encode()
        body = (_parts(fields) + _FILE_HEAD + b"hi\r\n" + empty * 5000
                + f"--{BOUNDARY}--\r\n".encode())
        answer = _post(srv, body)
        assert answer.startswith(b"HTTP/1.1 400 "), answer[:80]
        assert srv.objects == {}


# --- explain / verify: what reaches the terminal ---------------------------------------------

_NO_ENV = {"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
           "AWS_EC2_METADATA_DISABLED": "true", "AWS_SESSION_TOKEN": "",
           "AWS_SECRET_ACCESS_KEY": "", "AWS_ACCESS_KEY_ID": ""}
TOKEN = "IQoJb3JpZ2luX2VjEFakeSessionTokenForTheAttackReview0123456789"


def _explain(*args: str) -> Any:
    from click.testing import CliRunner

    from sigv4kit.cli import cli

    return CliRunner().invoke(cli, ["explain", *args], env=_NO_ENV)


def _policy(conditions: list[Any]) -> str:
    import base64
    import json

    document = {"expiration": "2099-01-01T00:00:00Z", "conditions": conditions}
    return base64.b64encode(json.dumps(document).encode()).decode()


@pytest.mark.parametrize("output", [[], ["--output", "json"]])
@pytest.mark.parametrize("name", ["x-amz-security-token", "X-Amz-S3session-Token"])
def test_explain_never_prints_the_session_token_a_policy_carries(
    name: str, output: list[str]
) -> None:
    """boto3 writes the session token into the policy; explain (no secret, no token in the
    environment) showed it whole in JSON, and the S3 Express one in text too."""
    result = _explain(_policy([{"bucket": "b"}, {name: TOKEN}]), *output)
    assert result.exit_code == 1, result.output  # warnings: no content-length-range
    assert TOKEN not in result.output
    assert TOKEN[:4] in result.output  # shown redacted, not dropped


def test_explain_escapes_control_and_bidi_characters_from_the_policy_and_form(
    tmp_path: Any,
) -> None:
    encoded = _policy([["eq", "$key", "a\u202etxt.exe\x9b31m"]])
    body = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="policy"\r\n\r\n{encoded}\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="x\x1b]0;pwn\x07"\r\n\r\n1\r\n'
            f"--{BOUNDARY}--\r\n")
    path = tmp_path / "form.txt"
    path.write_bytes(body.encode())
    for source in (encoded, f"@{path}"):
        result = _explain(source)
        assert result.exit_code == 1, result.output
        for char in "\u202e\x9b\x1b\x07":
            assert char not in result.output
    assert "\\u202e" in _explain(encoded).output


def test_explain_warns_of_a_redirect_prefix_that_leaves_the_host_open() -> None:
    loose = _explain(_policy([["starts-with", "$success_action_redirect", "https://app.example"]]))
    assert "another site" in loose.output
    pinned = _explain(_policy([["starts-with", "$success_action_redirect",
                                "https://app.example/"]]))
    assert "another site" not in pinned.output


def test_verify_escapes_a_hostile_field_name_in_its_verdict(tmp_path: Any) -> None:
    from click.testing import CliRunner

    from sigv4kit.cli import cli

    fields = {**_form("https://s3.example"), "x\x1b]0;pwn\x07\u202e": "1"}
    path = tmp_path / "form.txt"
    path.write_bytes(_parts(list(fields.items())) + _FILE_HEAD + b"hi\r\n--"
                     + BOUNDARY.encode() + b"--\r\n")
    env = {**_NO_ENV, "AWS_ACCESS_KEY_ID": CREDS.access_key_id,
           "AWS_SECRET_ACCESS_KEY": CREDS.secret_access_key}
    result = CliRunner().invoke(cli, ["verify", f"@{path}", "--now", "2024-05-01T12:40:00Z"],
                                env=env)
    assert result.exit_code == 1, result.output
    assert "Extra input fields" in result.output
    for char in "\x1b\x07\u202e":
        assert char not in result.output


# --- verify_post: field names and policy documents -------------------------------------------


def _verify(fields: dict[str, str] | list[tuple[str, str]], **kw: Any) -> Any:
    from sigv4kit.post_policy import verify_post

    return verify_post(fields, lambda akid: CREDS if akid == CREDS.access_key_id else None,
                       bucket=BUCKET, now=NOW, **kw)


def test_a_kelvin_sign_does_not_pass_for_the_letter_k_in_a_field_name() -> None:
    """str.lower() folds U+212A into 'k': '\\u212aey' was taken for the key field."""
    fields = _form("https://s3.example")
    assert _verify(fields, filename="a.txt").valid
    fields["\u212aey"] = fields.pop("key")
    verdict = _verify(fields, filename="a.txt")
    assert not verdict.valid
    assert verdict.reason.value == "missing_field"


def test_a_hostile_field_name_is_escaped_in_the_verdict_and_the_s3_error_xml() -> None:
    from xml.etree import ElementTree

    from sigv4kit.testing.post_server import s3_error_xml

    verdict = _verify({**_form("https://s3.example"), "x\x1b[31m\u202e": "1"}, filename="a")
    assert verdict.reason.value == "field_not_in_policy"
    assert "\x1b" not in verdict.message and "\u202e" not in verdict.message
    document = ElementTree.fromstring(s3_error_xml(verdict))  # well-formed XML 1.0
    assert "Extra input fields: 'x\\x1b[31m\\u202e'" in (document.findtext("Message") or "")


def _signed(document: str) -> dict[str, str]:
    """A form whose policy is exactly ``document`` (signed with the real key): only the
    reading of the document is under test."""
    import base64

    from sigv4kit.keys import cached_signing_key

    encoded = base64.b64encode(document.encode()).decode()
    fields = _form("https://s3.example")
    date = fields["x-amz-date"][:8]
    fields["policy"] = encoded
    fields["x-amz-signature"] = cached_signing_key(
        CREDS.secret_access_key, date, "us-east-1", "s3").hex_signature(encoded)
    return fields


@pytest.mark.parametrize("document", [
    # a reviewer reading the first "conditions" sees a key prefix; Python keeps the last (none)
    '{"expiration": "2099-01-01T00:00:00Z", "conditions": [["starts-with", "$key", "safe/"]],'
    ' "conditions": [["starts-with", "$key", ""], ["starts-with", "$x-amz-algorithm", ""],'
    ' ["starts-with", "$x-amz-credential", ""], ["starts-with", "$x-amz-date", ""]]}',
    '{"expiration": "2099-01-01T00:00:00Z", "conditions": [{"key": "safe/a", "key": "x"}]}',
    '{"expiration": "2099-01-01T00:00:00Z", "conditions": [["content-length-range", 0, NaN]]}',
])
def test_a_policy_document_readers_could_disagree_on_is_refused(document: str) -> None:
    verdict = _verify(_signed(document), filename="a")
    assert not verdict.valid
    assert verdict.reason.value == "invalid_policy"
    assert verdict.message.startswith("Invalid Policy: Invalid JSON")


def test_explain_reads_a_form_with_a_hostile_content_disposition_in_linear_time(
    tmp_path: Any,
) -> None:
    """email.parser took ~5 s per 100 kB of Content-Disposition parameters (a minute at the
    1 MB input limit); the form is split on its boundary instead."""
    encoded = _policy([{"bucket": "b"}, ["content-length-range", 0, 1]])
    params = "a=b; " * 80_000  # 400 kB
    body = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; {params}name="policy"\r\n\r\n'
            f"{encoded}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"x\\\"y\"\r\n"
            f"\r\n1\r\n--{BOUNDARY}--\r\n")
    path = tmp_path / "form.txt"
    path.write_bytes(body.encode())
    started = time.monotonic()
    result = _explain(f"@{path}")
    assert time.monotonic() - started < 2
    assert result.exit_code == 1, result.output
    assert "fields no condition covers (S3: Extra input fields): x\"y" in result.output
