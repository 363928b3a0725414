"""One debug printer (``redact.debug_text``) for ``--debug``, ``ApiError.debug`` and
``verify --debug``: the same layout everywhere, sensitive headers redacted by name (SSE-C
included), the token and signatures in every encoding, the secret key never. Plus the model's
bad-argument cases that must be SigningError (issue 15, item 8)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from click.testing import CliRunner

from sigv4kit import Credentials, Request, SigningError, presign, sign_request
from sigv4kit.cli import cli
from sigv4kit.redact import debug_text, redact_message
from sigv4kit.verify import verify_request
from sigv4kit.wire import MalformedInputError, parse_url_request

SECRET = "DEBUGsecretDEBUGsecretDEBUGsecret0123456"
TOKEN = "DEBUGtoken/with+odd=chars/DEBUGtoken0123"
SSEC = "c2VjcmV0LWN1c3RvbWVyLWtleS0zMi1ieXRlcy0hIQ=="
CREDS = Credentials("AKIDEXAMPLE", SECRET, TOKEN)
TS = "20261125T120000Z"


def _forms(value: str) -> list[str]:
    once = quote(value, safe="-_.~")
    return [value, once, quote(once, safe="-_.~")]


def _clean(text: str, signature: str) -> None:
    for form in [*_forms(TOKEN), SECRET, SSEC, signature]:
        assert form not in text, form


def test_header_signing_debug_text() -> None:
    request = Request("PUT", "https://b.s3.amazonaws.com/k",
                      [("X-Amz-Server-Side-Encryption-Customer-Key", SSEC)], b"x")
    signed = sign_request(request, CREDS, region="us-east-1", service="s3", timestamp=TS)
    text = debug_text(signed, CREDS)
    _clean(text, signed.signature)
    lines = text.split("\n")
    assert lines[0] == "---- canonical request ----"
    assert "---- string to sign ----" in lines and signed.string_to_sign in text
    assert lines[-1] == f"---- signature: {signed.signature[:4]}…(64 chars) ----"
    assert f"x-amz-server-side-encryption-customer-key:{SSEC[:4]}…" in text


def test_presigned_url_carried_as_a_value_is_redacted_in_every_encoding() -> None:
    inner = presign(Request("GET", "https://ec2.us-west-2.amazonaws.com/?Action=CopySnapshot"),
                    CREDS, region="us-west-2", service="ec2", timestamp=TS)
    outer_url = "https://ec2.us-east-1.amazonaws.com/?" + urlencode({"PresignedUrl": inner.url})
    outer = sign_request(Request("GET", outer_url), CREDS, region="us-east-1", service="ec2",
                         timestamp=TS)
    text = debug_text(outer, CREDS)
    _clean(text, outer.signature)
    assert inner.signature not in text  # the inner URL's signature, encoded twice in there


def test_the_three_debug_outputs_share_the_printer() -> None:
    env = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": SECRET,
           "AWS_SESSION_TOKEN": TOKEN, "AWS_CONFIG_FILE": "/dev/null",
           "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    runner = CliRunner()
    signed = runner.invoke(cli, ["sign", "GET", "https://e.amazonaws.com/", "--service", "s",
                                 "--region", "us-east-1", "--timestamp", TS, "--debug"], env=env)
    assert signed.exit_code == 0, signed.output
    url = presign(Request("GET", "https://e.amazonaws.com/"), CREDS, region="us-east-1",
                  service="s", timestamp=TS, expires=60).url
    verified = runner.invoke(cli, ["verify", url, "--now", "2026-11-25T12:00:30Z", "--debug"],
                             env=env)
    assert verified.exit_code == 0, verified.output
    for output in (signed.stderr, verified.stderr):
        assert "---- string to sign ----" in output
        assert TOKEN not in output and SECRET not in output
    assert "---- canonical request (rebuilt) ----" in verified.stderr
    result = verify_request(parse_url_request(url), lambda k: CREDS, now="2026-11-25T12:00:30Z")
    assert debug_text(result, CREDS, title="canonical request (rebuilt)") in verified.stderr


def test_redact_message_quoting_raw_input() -> None:
    for text in [f"url: 'https://h:443%3FX-Amz-Security-Token={TOKEN}' has a bad port",
                 f"'https://h/?X-Amz-Security%2DToken={TOKEN}&X-Amz-%53ignature=abcdef0123'",
                 f"headers: ('X-Amz-Security-Token', '{TOKEN}')"]:
        shown = redact_message(text)
        assert TOKEN not in shown and "abcdef0123" not in shown, shown


@pytest.mark.parametrize("build", [
    lambda: Request("GET", "https://h/", None),  # type: ignore[arg-type]
    lambda: Request("GET", "https://h/", [("a",)]),  # type: ignore[list-item]
    lambda: Request("GET", "https://h/", 5),  # type: ignore[arg-type]
    lambda: Request("PUT", "https://h/", body="lone \udcff surrogate"),
    lambda: Credentials("AKID", "secret\udcffsecret"),
    lambda: Credentials("AKID", "secret", "token\ud800"),
])
def test_bad_arguments_are_signing_errors(build: object) -> None:
    with pytest.raises(SigningError) as info:
        build()  # type: ignore[operator]
    assert "\udcff" not in str(info.value) and "\ud800" not in str(info.value)


def test_parse_url_request_keeps_its_one_exception_type() -> None:
    with pytest.raises(MalformedInputError, match="headers: "):
        parse_url_request("https://h/", headers=None)  # type: ignore[arg-type]
