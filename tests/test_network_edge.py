"""The network edge, in process: a signed request never leaves its host, every exchange ends by
its deadline, bodies are bounded on the wire and decompressed, and the client raises only its
documented errors. Each test talks to hostile loopback servers (``sigv4kit.testing.hostile``)
and measures on the wire (what each server received) and on the clock."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable

import pytest

from sigv4kit import Credentials, Request, SigningError, sign_request
from sigv4kit.ec2 import ApiError, Client, ResponseParseError
from sigv4kit.testing.faulty_server import Action, FaultyServer, Ok, Throttle
from sigv4kit.testing.hostile import (
    GzipBomb,
    Huge,
    Redirect,
    Silent,
    Trickle,
    Truncated,
    gzip_bomb,
)
from sigv4kit.transport import (
    DeadlineExceeded,
    ReadTimedOut,
    RedirectRefused,
    ResponseBodyError,
    Transport,
    TransportError,
)
from sigv4kit.verify import verify_request

TOKEN = "CANARYtokenCANARYtoken0123456789"
CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", TOKEN)
NS = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"'
DESCRIBE_OK = (f"<DescribeSnapshotsResponse {NS}><requestId>r-1</requestId>"
               "<snapshotSet/></DescribeSnapshotsResponse>")
COPY = {"SourceRegion": "us-west-2", "SourceSnapshotId": "snap-066877671789bd71b"}

Factory = Callable[..., FaultyServer]


def _client(server: FaultyServer, **kw: object) -> Client:
    options: dict[str, object] = {"timeout": (2.0, 2.0), "max_attempts": 3,
                                  "retry_base_delay": 0.01}
    options.update(kw)
    return Client("us-east-1", CREDS, endpoint_url=server.url, **options)  # type: ignore[arg-type]


def _signed(url: str, headers: Iterable[tuple[str, str]] = (), body: bytes = b"") -> Request:
    request = Request("POST" if body else "GET", url, list(headers), body)
    return sign_request(request, CREDS, region="us-east-1", service="ec2").request


# -- 1. redirects ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_to_another_host_is_refused_and_nothing_goes_there(
    faulty_server: Factory, status: int
) -> None:
    elsewhere = faulty_server([Ok(DESCRIBE_OK)] * 3, host="127.0.0.2")
    server = faulty_server([Redirect(f"{elsewhere.url}/?X-Amz-Security-Token={TOKEN}", status)])
    with pytest.raises(RedirectRefused) as info:
        _client(server).describe_snapshots()
    assert elsewhere.requests == [] and len(server.requests) == 1
    assert "127.0.0.2" in str(info.value) and info.value.status == status
    assert TOKEN not in str(info.value)  # the Location itself is shown redacted


def test_redirect_to_another_scheme_or_port_is_refused(faulty_server: Factory) -> None:
    server = faulty_server([Redirect("https://127.0.0.1/"), Redirect("//127.0.0.2/x")])
    with pytest.raises(RedirectRefused, match=re.escape("'https://127.0.0.1/'")):
        _client(server, max_attempts=1).copy_snapshot(**COPY)
    with pytest.raises(RedirectRefused, match=re.escape("127.0.0.2")):
        _client(server, max_attempts=1).copy_snapshot(**COPY)
    assert len(server.requests) == 2


def test_same_origin_redirect_is_not_followed(faulty_server: Factory) -> None:
    server = faulty_server([Redirect("/elsewhere")] * 3)
    with Transport() as transport, transport.send(_signed(server.url + "/")) as response:
        assert response.status == 307 and response.read() == b"<Redirect/>"
    assert [r.path for r in server.requests] == ["/"]


def test_a_sign_send_style_body_never_reaches_the_redirect_target(
    faulty_server: Factory
) -> None:
    elsewhere = faulty_server([Ok()], host="127.0.0.2")
    server = faulty_server([Redirect(elsewhere.url + "/upload", 307)])
    with Transport() as transport, pytest.raises(RedirectRefused):
        transport.send(_signed(server.url + "/", body=b"secret body"))
    assert server.requests[0].body == b"secret body" and elsewhere.requests == []


# -- 2. deadlines ---------------------------------------------------------------------------


def test_trickling_server_is_cut_at_the_deadline(faulty_server: Factory) -> None:
    server = faulty_server([Trickle(interval=0.5), Trickle(interval=0.5)])
    start = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        _client(server, timeout=(1.0, 2.0), deadline=3.0).describe_snapshots()
    assert time.monotonic() - start < 4.5  # requests' per-read timeout alone: minutes


def test_trickled_body_after_fast_headers_is_cut_too(faulty_server: Factory) -> None:
    server = faulty_server([Trickle(interval=0.2, step=200)])
    transport = Transport(connect_timeout=1, read_timeout=1, deadline=1.5)
    start = time.monotonic()
    with pytest.raises(DeadlineExceeded), transport.send(_signed(server.url + "/")) as response:
        response.read()
    assert time.monotonic() - start < 3.0


def test_silent_server_read_timeout_and_deadline(faulty_server: Factory) -> None:
    server = faulty_server([Silent(10), Silent(10), Silent(10)])
    start = time.monotonic()
    with pytest.raises(ReadTimedOut):
        _client(server, read_timeout=0.5).copy_snapshot(**COPY)  # a write: not repeated
    assert len(server.requests) == 1 and time.monotonic() - start < 2.5
    reads = faulty_server([Silent(10)] * 5)
    start = time.monotonic()
    with pytest.raises(TransportError):
        _client(reads, read_timeout=5.0, deadline=1.5, max_attempts=5).describe_snapshots()
    assert time.monotonic() - start < 3.0 and len(reads.requests) == 1


@pytest.mark.parametrize("bad", [0, -5, math.nan, math.inf, "3", True])
def test_timeouts_are_checked(bad: object) -> None:
    for key in ("connect_timeout", "read_timeout", "deadline"):
        with pytest.raises(SigningError, match=key):
            Client("us-east-1", CREDS, **{key: bad})  # type: ignore[arg-type]


@pytest.mark.parametrize("attempts", [0, 21, 10**9, -1, 2.5])
def test_max_attempts_range(attempts: object) -> None:
    with pytest.raises(SigningError, match="max_attempts: must be a whole number from 1 to 20"):
        Client("us-east-1", CREDS, max_attempts=attempts)  # type: ignore[arg-type]


# -- 3. bounded memory ----------------------------------------------------------------------


def test_huge_body_stops_at_the_limit_without_reading_it(faulty_server: Factory) -> None:
    server = faulty_server([Huge(100 * 1024 * 1024, declare=False)])
    start = time.monotonic()
    with pytest.raises(ResponseParseError, match="larger than 1048576"):
        _client(server, max_response_bytes=1024 * 1024, max_attempts=1).describe_snapshots()
    assert time.monotonic() - start < 5


def test_gzip_bomb_is_capped(faulty_server: Factory) -> None:
    gzip_bomb(GzipBomb().decoded_size)  # built before the clock of the read timeout starts
    server = faulty_server([GzipBomb()])
    with pytest.raises(ResponseParseError, match="decompresses to more than"):
        _client(server, max_attempts=1).describe_snapshots()
    bomb = faulty_server([GzipBomb(50 * 1024 * 1024)])
    transport = Transport(max_decoded_bytes=None)
    with transport.send(_signed(bomb.url + "/")) as response:
        sizes = [len(piece) for piece in response.iter_body(65536)]
    assert sum(sizes) == 50 * 1024 * 1024 and max(sizes) <= 65536  # streamed in bounded steps


def test_truncated_body_is_a_body_error(faulty_server: Factory) -> None:
    server = faulty_server([Truncated(b"<Resp", 100)])
    with Transport() as transport, pytest.raises(ResponseBodyError, match="cut short"), \
            transport.send(_signed(server.url + "/")) as response:
        response.read()


# -- 6. exactly what was signed -------------------------------------------------------------


def test_repeated_headers_are_sent_as_signed(faulty_server: Factory) -> None:
    server = faulty_server([Ok()])
    request = _signed(server.url + "/", [("X-Amz-Meta-A", "one"), ("X-Amz-Meta-A", "two")])
    with Transport() as transport, transport.send(request) as response:
        response.read()
    (got,) = server.requests
    assert got.header("X-Amz-Meta-A") == "one,two"
    received = Request(got.method, server.url + got.path, list(got.headers), got.body)
    verdict = verify_request(received, lambda key: CREDS, region="us-east-1", service="ec2")
    assert verdict.valid, verdict.message


def test_header_outside_latin1_is_refused_by_name_not_value(faulty_server: Factory) -> None:
    server = faulty_server([Ok()])
    with Transport() as transport, pytest.raises(SigningError) as info:
        transport.send(_signed(server.url + "/", [("X-A", "€uro")]))
    assert "'X-A'" in str(info.value) and "€" not in str(info.value)
    assert server.requests == []


# -- 8. smaller ones ------------------------------------------------------------------------


def test_api_error_counts_retry_attempts(faulty_server: Factory) -> None:
    server = faulty_server([Throttle()] * 5)
    with pytest.raises(ApiError) as info:
        _client(server, max_attempts=5).describe_snapshots()
    assert info.value.retry_attempts == 4 and len(server.requests) == 5
    assert info.value.response["ResponseMetadata"]["RetryAttempts"] == 4


@pytest.mark.parametrize("url", [5, b"http://127.0.0.1/", "http://[::1/", "ftp://h/",
                                 "http://", "http://h:99999/", "http://h/?a=1"])
def test_bad_endpoint_url_is_a_signing_error(url: object) -> None:
    with pytest.raises(SigningError, match="endpoint_url: "):
        Client("us-east-1", CREDS, endpoint_url=url)  # type: ignore[arg-type]


def test_only_documented_errors(faulty_server: Factory) -> None:
    hostile: list[Action] = [Ok(b"<" * 100), Ok(b"<a>" * 100_000), Truncated(b"<a", 9),
                             GzipBomb(), Ok(b"\xff\xfe\x00")]
    for action in hostile:
        server = faulty_server([action])
        with pytest.raises((ApiError, ResponseParseError, TransportError)):
            _client(server, max_attempts=1).copy_snapshot(**COPY)
