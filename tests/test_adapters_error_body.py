"""The clock-skew check reads a bounded error body whatever its framing: a 403 with a Date an
hour off and a body that never ends (HTTP chunked, or delimited by the close; requests with
``stream=True`` too) costs each adapter at most ``MAX_ERROR_BODY`` plus the sockets' buffers,
counted as the bytes the server managed to write, and the request is still signed again with
the server's time."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest
import requests

from sigv4kit import Credentials
from sigv4kit.aws.clock_skew import MAX_ERROR_BODY
from sigv4kit.integrations.requests import SigV4Auth
from sigv4kit.testing.faulty_server import Action, FaultyServer, Ok
from sigv4kit.testing.hostile import EndlessSkewError

from .adapter_clients import KINDS, call, make_auth

CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "TOKEN")
SOCKET_SLACK = 24 * 1024 * 1024
"""Loopback send and receive buffers can hold a few MiB the client never read."""
Start = Callable[[Iterable[Action]], FaultyServer]


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "until-close"])
@pytest.mark.parametrize("kind", KINDS)
def test_endless_error_body_is_read_to_a_bound(faulty_server: Start, kind: str,
                                               chunked: bool) -> None:
    endless = EndlessSkewError(chunked=chunked)
    server = faulty_server([endless, Ok("<ok/>")])
    answer = call(kind, make_auth(kind, CREDS, "us-east-1", "s3"), "GET", server.url + "/k")
    assert answer.status == 200 and answer.body == b"<ok/>"
    assert MAX_ERROR_BODY <= endless.served.value < MAX_ERROR_BODY + SOCKET_SLACK
    first, second = server.requests
    assert first.header("X-Amz-Date") != second.header("X-Amz-Date")  # the server's time


def test_requests_with_stream_true(faulty_server: Start) -> None:
    endless = EndlessSkewError()
    server = faulty_server([endless, Ok("<ok/>")])
    response = requests.get(server.url + "/k", auth=SigV4Auth(CREDS, "us-east-1", "s3"),
                            stream=True, timeout=30)
    assert response.status_code == 200 and response.content == b"<ok/>"
    assert endless.served.value < MAX_ERROR_BODY + SOCKET_SLACK


@pytest.mark.parametrize("kind", KINDS)
def test_the_cut_error_body_is_what_the_caller_reads(faulty_server: Start, kind: str) -> None:
    """An answer whose Date disagrees is read for a clock error; this one is not (no second
    request): the caller gets it with its body cut at the bound."""
    endless = EndlessSkewError(code="AccessDenied")
    server = faulty_server([endless])
    answer = call(kind, make_auth(kind, CREDS, "us-east-1", "s3"), "GET", server.url + "/k")
    assert answer.status == 403 and len(server.requests) == 1
    assert answer.body.startswith(b"<Error><Code>AccessDenied</Code>")
    assert len(answer.body) == MAX_ERROR_BODY
    assert endless.served.value < MAX_ERROR_BODY + SOCKET_SLACK
