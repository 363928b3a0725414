"""Clock-skew correction through every adapter, against a loopback server that verifies each
signature with sigv4kit's verifier by a clock set off from the machine's
(``sigv4kit.testing.verifying_server``)."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from email.utils import formatdate

import pytest

from sigv4kit import Credentials
from sigv4kit.aws.clock_skew import ClockSkew, is_skew_error
from sigv4kit.received import Reason
from sigv4kit.testing.verifying_server import VerifyingServer

from .adapter_clients import KINDS, Chunks, call, make_auth

CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "TOKEN/+=")
HOUR = 3600.0


@pytest.fixture
def skewed() -> Iterator[VerifyingServer]:
    with VerifyingServer(CREDS, clock_offset=HOUR) as server:
        yield server


def _reasons(server: VerifyingServer) -> list[Reason]:
    return [r.reason for r in server.requests]


@pytest.mark.parametrize("style", ["s3", "json", "ec2"])
@pytest.mark.parametrize("kind", KINDS)
def test_resigned_once_then_remembered(kind: str, style: str) -> None:
    service = {"s3": "s3", "json": "dynamodb", "ec2": "ec2"}[style]
    with VerifyingServer(CREDS, clock_offset=HOUR, error_style=style) as server:  # type: ignore[arg-type]
        auth = make_auth(kind, CREDS, "us-east-1", service)
        first = call(kind, auth, "PUT", server.url + "/a b+c", body=b"one")
        assert first.status == 200, first.body
        assert _reasons(server) == [Reason.EXPIRED, Reason.OK]
        assert [r.body for r in server.requests] == [b"one", b"one"]
        second = call(kind, auth, "GET", server.url + "/a b+c")
        assert second.status == 200 and second.body == b"one"
        assert _reasons(server)[2:] == [Reason.OK]


@pytest.mark.parametrize("kind", KINDS)
def test_switched_off(skewed: VerifyingServer, kind: str) -> None:
    auth = make_auth(kind, CREDS, "us-east-1", "s3", correct_clock_skew=False)
    answer = call(kind, auth, "GET", skewed.url + "/x")
    assert answer.status == 403 and b"RequestTimeTooSkewed" in answer.body
    assert _reasons(skewed) == [Reason.EXPIRED]


@pytest.mark.parametrize("kind", KINDS)
def test_offset_is_per_host_and_replaced_when_an_answer_disagrees(
    skewed: VerifyingServer, kind: str
) -> None:
    auth = make_auth(kind, CREDS, "us-east-1", "s3")
    with VerifyingServer(CREDS) as punctual:
        assert call(kind, auth, "GET", skewed.url + "/x").status == 200
        assert call(kind, auth, "GET", punctual.url + "/x").status == 200
        assert _reasons(punctual) == [Reason.OK]  # the other host's offset is not used here
    skewed.clock_offset = -HOUR  # the server's clock moved: the held offset is now wrong
    assert call(kind, auth, "GET", skewed.url + "/x").status == 200
    assert _reasons(skewed) == [Reason.EXPIRED, Reason.OK, Reason.NOT_YET_VALID, Reason.OK]
    skewed.clock_offset = 0.0  # set right: refused once more, offset dropped, local clock used
    call(kind, auth, "GET", skewed.url + "/x")
    assert call(kind, auth, "GET", skewed.url + "/x").status == 200
    assert _reasons(skewed)[4:] == [Reason.EXPIRED, Reason.OK, Reason.OK]


@pytest.mark.parametrize("kind", KINDS)
def test_within_the_window_nothing_changes(kind: str) -> None:
    with VerifyingServer(CREDS, clock_offset=120.0) as server:
        auth = make_auth(kind, CREDS, "us-east-1", "s3")
        assert call(kind, auth, "GET", server.url + "/x").status == 200
        assert call(kind, auth, "GET", server.url + "/x").status == 200
        assert _reasons(server) == [Reason.OK, Reason.OK]


@pytest.mark.parametrize("kind", KINDS)
def test_wrong_secret_is_retried_once_only(skewed: VerifyingServer, kind: str) -> None:
    auth = make_auth(kind, Credentials(CREDS.access_key_id, "wrong", CREDS.session_token),
                     "us-east-1", "s3")
    answer = call(kind, auth, "GET", skewed.url + "/x")
    assert answer.status == 403 and b"SignatureDoesNotMatch" in answer.body
    assert _reasons(skewed) == [Reason.EXPIRED, Reason.SIGNATURE_MISMATCH]


@pytest.mark.parametrize("kind", KINDS)
def test_streamed_bodies(skewed: VerifyingServer, kind: str) -> None:
    """A generator cannot be sent twice: its refusal is returned, and the offset is used from
    the next request on. A seekable file is rewound and sent again whole."""
    auth = make_auth(kind, CREDS, "us-east-1", "s3")
    refused = call(kind, auth, "PUT", skewed.url + "/g", body=Chunks([b"a", b"b"]))
    assert refused.status == 403 and b"RequestTimeTooSkewed" in refused.body
    again = call(kind, auth, "PUT", skewed.url + "/g", body=Chunks([b"a", b"b"]))
    assert again.status == 200
    assert _reasons(skewed) == [Reason.EXPIRED, Reason.OK]
    if kind != "httpx-async":  # whose users stream files as async iterators
        fresh = make_auth(kind, CREDS, "us-east-1", "s3")
        assert call(kind, fresh, "PUT", skewed.url + "/f", body=io.BytesIO(b"file")).status \
            == 200
        assert _reasons(skewed)[2:] == [Reason.EXPIRED, Reason.OK]
        assert [r.body for r in skewed.requests[2:]] == [b"file", b"file"]


def test_error_codes_recognised() -> None:
    assert is_skew_error("<Code>RequestTimeTooSkewed</Code>")
    assert is_skew_error("<Code>RequestExpired</Code>")
    assert is_skew_error("<Code>AuthFailure</Code>")
    assert is_skew_error('{"__type":"com.amazon.coral.service#InvalidSignatureException",'
                         '"message":"Signature expired: 20260101T000000Z is now earlier"}')
    assert is_skew_error("<Code>SignatureDoesNotMatch</Code><Message>Signature not yet current"
                         ": 20260101T000000Z is still later than</Message>")
    assert not is_skew_error("<Code>SignatureDoesNotMatch</Code><Message>The request "
                             "signature we calculated does not match</Message>")
    assert not is_skew_error('{"__type":"InvalidSignatureException","message":"bad"}')


def test_clock_skew_rules() -> None:
    skew = ClockSkew()
    now = 1_800_000_000.0
    skew.clock = lambda: now
    ahead = formatdate(now + HOUR, usegmt=True)

    def error() -> str:
        return "<Code>RequestTimeTooSkewed</Code>"

    assert not skew.after_response("h", 200, ahead, error)  # no offset held: nothing learnt
    assert skew.signing_time("h") is None
    assert not skew.after_response("h", 403, formatdate(now + 200, usegmt=True), error)
    assert not skew.after_response("h", 403, None, error)
    assert not skew.after_response("h", 403, "not a date", error)
    assert not skew.after_response("h", 403, ahead, lambda: "<Code>AccessDenied</Code>")
    assert skew.after_response("h", 403, ahead, error)
    assert skew.offset("h") == pytest.approx(HOUR, abs=1)
    assert skew.signing_time("h") is not None
    assert skew.signing_time("h").timestamp() == pytest.approx(now + HOUR, abs=1)  # type: ignore[union-attr]
    assert skew.offset("other") == 0.0
    assert not skew.after_response("h", 403, ahead, error)  # agrees with the held offset
    assert not skew.after_response("h", 200, formatdate(now, usegmt=True), error)
    assert skew.signing_time("h") is None  # a later answer disagreed: offset dropped
    off = ClockSkew(enabled=False)
    assert not off.after_response("h", 403, ahead, error) and off.signing_time("h") is None


def test_date_header_formats() -> None:
    from sigv4kit.aws.clock_skew import server_offset

    local = time.time()
    for text in (formatdate(local, usegmt=True), formatdate(local, localtime=True),
                 formatdate(local)):
        assert server_offset(text, local) == pytest.approx(0, abs=1)
