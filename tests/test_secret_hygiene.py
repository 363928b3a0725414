"""Secrets stay secret: a canary secret key and session token go through signing, presigning,
verification, failures, the client and the CLI (with --debug), while every log record at DEBUG,
repr, exception text, stdout and stderr is captured. The secret key must never appear; the
session token only inside a signed artefact the user asked for (a presigned URL, the headers
printed by ``sign``)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from sigv4kit import Credentials, Request, Signer, SigningError, presign, sign_request
from sigv4kit.cli import cli
from sigv4kit.diagnose.explain import explain_request, render_text, to_dict
from sigv4kit.ec2 import ApiError, Client, presign_copy_snapshot
from sigv4kit.verify import verify_request
from sigv4kit.wire import parse_url_request

from .servers import MotoServer

SECRET = "CANARYSECRETcanarysecret0123456789/+AbCd"
TOKEN = "CANARYTOKENcanarytoken/+=0123456789abcdefCANARY"
CREDS = Credentials("AKIDCANARY0123456789", SECRET, TOKEN)
FORMS = {SECRET, quote(SECRET, safe=""), TOKEN, quote(TOKEN, safe="")}


def _clean(text: str, *, token_allowed: bool = False) -> None:
    assert SECRET not in text and quote(SECRET, safe="") not in text
    if not token_allowed:
        assert TOKEN not in text and quote(TOKEN, safe="") not in text


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    with caplog.at_level(logging.DEBUG):
        yield
    for record in caplog.records:
        if record.name.startswith("sigv4kit"):
            _clean(record.getMessage())


def test_core_results_and_errors() -> None:
    req = Request("POST", "https://ec2.us-east-1.amazonaws.com/", [("X-A", "1")], b"Action=x")
    signed = sign_request(req, CREDS, region="us-east-1", service="ec2")
    presigned = presign(req, CREDS, region="us-east-1", service="ec2")
    signer = Signer(CREDS, region="us-east-1", service="ec2")
    for value in (CREDS, signed, signed.request, presigned, signer):
        _clean(repr(value))
        _clean(str(value))
    for bad in (
        lambda: presign(req, CREDS, region="us-east-1", service="ec2", expires=0),
        lambda: sign_request(req, CREDS, region="", service="ec2"),
        lambda: Credentials("AKID", SECRET, TOKEN + "\n"),
        lambda: sign_request(req, CREDS, region="us-east-1", service="ec2",
                             timestamp="nonsense"),
    ):
        with pytest.raises(SigningError) as info:
            bad()
        _clean(str(info.value))
        _clean(repr(info.value))


def test_verify_and_explain_outputs() -> None:
    url = presign_copy_snapshot(CREDS, source_region="us-west-2",
                                source_snapshot_id="snap-066877671789bd71b",
                                destination_region="us-east-1").url
    request = parse_url_request(url)
    for lookup_creds in (CREDS, Credentials(CREDS.access_key_id, "other" + SECRET, TOKEN)):
        result = verify_request(request, lambda k, c=lookup_creds: c)  # type: ignore[misc]
        _clean(result.message)
        _clean(repr(result))
    explanation = explain_request(request)
    _clean(render_text(explanation))
    _clean(str(to_dict(explanation)))


@pytest.fixture
def local(moto_server: MotoServer) -> MotoServer:
    return moto_server


def test_client_auth_failure_debug_is_redacted(local: MotoServer) -> None:
    client = Client("us-east-1", Credentials(local.credentials.access_key_id, SECRET, TOKEN),
                    endpoint_url=local.endpoint_url)
    with pytest.raises(ApiError) as info:
        client.describe_snapshots(OwnerIds=["self"])
    err = info.value
    assert err.debug and "canonical request" in err.debug
    for text in (str(err), repr(err), err.debug, repr(client)):
        _clean(text)


def _invoke(args: list[str], env_extra: dict[str, str] | None = None) -> tuple[str, str, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=CREDS.access_key_id, AWS_SECRET_ACCESS_KEY=SECRET,
               AWS_SESSION_TOKEN=TOKEN, AWS_CONFIG_FILE=os.devnull,
               AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true")
    env.update(env_extra or {})
    result = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    return result.stdout, result.stderr, result.exit_code


COPY = ["presign", "copy-snapshot", "--source-region", "us-west-2", "--source-snapshot-id",
        "snap-066877671789bd71b", "--destination-region", "us-east-1"]


def test_cli_signed_artefacts_carry_the_token_and_nothing_else_does(local: MotoServer) -> None:
    out, err, code = _invoke([*COPY, "--debug"])
    assert code == 0
    _clean(out, token_allowed=True)  # the URL the user asked for carries the token
    _clean(err)
    assert f"{TOKEN[:4]}…({len(TOKEN)} chars)" in err
    out, err, code = _invoke(["sign", "GET", "https://e.amazonaws.com/", "--region",
                              "us-east-1", "--service", "s", "--debug"])
    assert code == 0 and TOKEN in out
    _clean(out, token_allowed=True)
    _clean(err)
    for args in (
        [*COPY, "--expires", "0"],
        ["verify", "https://e.amazonaws.com/?X-Amz-Signature=00", "--debug"],
        ["explain", out.splitlines()[0].split(" ", 1)[1]],
        ["ec2", "describe-snapshots", "--region", "us-east-1", "--endpoint-url",
         local.endpoint_url, "--debug"],
    ):
        out2, err2, _ = _invoke(args)
        _clean(out2)
        _clean(err2)


def test_secret_key_is_masked_entirely_in_debug_text() -> None:
    from sigv4kit.redact import redact_credentials

    text = f"a {SECRET} b {quote(SECRET, safe='-_.~')} c {TOKEN} d {quote(TOKEN, safe='')}"
    out = redact_credentials(text, CREDS)
    _clean(out)
    assert out.startswith("a *** b *** c ")
    assert f"{TOKEN[:4]}…({len(TOKEN)} chars)" in out
    # Credentials refuses a lone surrogate (SigningError); redaction still copes with one.
    odd = SimpleNamespace(secret_access_key="secret\ud800secret", session_token=None)
    assert redact_credentials("x secret\ud800secret y", odd) == "x *** y"
    with pytest.raises(SigningError, match="secret_access_key: is not valid Unicode"):
        Credentials("AKIDX", "secret\ud800secret", None)
