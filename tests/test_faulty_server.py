"""Each behaviour of ``tests/faulty_server.py``, shown with plain ``requests``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from xml.etree import ElementTree

import pytest
import requests

from sigv4kit.testing.faulty_server import (
    MAX_DELAY,
    Action,
    Delay,
    Error,
    FaultyServer,
    LargeBody,
    Ok,
    Reset,
    SlowBody,
    Throttle,
    Truncated,
)

Start = Callable[[Iterable[Action]], FaultyServer]
OK_XML = b"<DescribeSnapshotsResponse><snapshotSet/></DescribeSnapshotsResponse>"
FORM = "application/x-www-form-urlencoded; charset=utf-8"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and everything it wraps (requests and urllib3 nest through args too)."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        e = todo.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo.extend(x for x in (e.__cause__, e.__context__, getattr(e, "reason", None),
                                *e.args) if isinstance(x, BaseException))


def test_ok_and_every_request_is_recorded(faulty_server: Start) -> None:
    srv = faulty_server([Ok(OK_XML)])
    assert srv.url.startswith("http://127.0.0.1:") and not srv.url.endswith("/")
    body = "Action=DescribeSnapshots&Version=2016-11-15&OwnerId.1=self&Empty="
    response = requests.post(f"{srv.url}/a%20b/?x=1", data=body,
                             headers={"Content-Type": FORM, "X-Amz-Date": "20150830T123600Z"},
                             timeout=2)
    assert response.status_code == 200 and response.content == OK_XML
    assert response.headers["Content-Type"].startswith("text/xml")
    (seen,) = srv.requests
    assert (seen.method, seen.path, seen.body) == ("POST", "/a%20b/?x=1", body.encode())
    assert seen.header("x-amz-date") == "20150830T123600Z"
    assert seen.header("content-type") == FORM and seen.header("Missing") is None
    assert seen.form == {"Action": "DescribeSnapshots", "Version": "2016-11-15",
                         "OwnerId.1": "self", "Empty": ""}
    assert srv.unused == 0


def test_body_is_captured_byte_for_byte_also_when_chunked(faulty_server: Start) -> None:
    srv = faulty_server([Ok(), Ok()])
    raw = bytes(range(256)) + "ü%2F+ ".encode()
    requests.put(f"{srv.url}/raw", data=raw, timeout=2)
    requests.post(f"{srv.url}/chunked", data=iter([b"Action=", b"Copy", b"Snapshot"]), timeout=2)
    first, second = srv.requests
    assert first.body == raw and first.header("Content-Length") == str(len(raw))
    assert second.header("Transfer-Encoding") == "chunked"
    assert second.body == b"Action=CopySnapshot"


def test_throttle_is_an_ec2_error_document(faulty_server: Start) -> None:
    srv = faulty_server([Throttle(), Throttle(400, code="Throttling", request_id="rid-1")])
    response = requests.post(srv.url, timeout=2)
    assert response.status_code == 503
    root = ElementTree.fromstring(response.content)
    assert root.tag == "Response"
    assert root.findtext("./Errors/Error/Code") == "RequestLimitExceeded"
    assert root.findtext("./Errors/Error/Message") == "Request limit exceeded."
    assert root.findtext("./RequestID") == "11111111-2222-4333-8444-555555555555"
    second = requests.post(srv.url, timeout=2)
    assert second.status_code == 400
    assert ElementTree.fromstring(second.content).findtext("./RequestID") == "rid-1"


def test_error_escapes_its_text_and_adds_headers(faulty_server: Start) -> None:
    srv = faulty_server([Error(400, "InvalidParameterValue", "a < b & c", "r-2",
                               headers=[("Retry-After", "1")])])
    response = requests.get(srv.url, timeout=2)
    assert response.status_code == 400 and response.headers["Retry-After"] == "1"
    root = ElementTree.fromstring(response.content)
    assert root.findtext("./Errors/Error/Code") == "InvalidParameterValue"
    assert root.findtext("./Errors/Error/Message") == "a < b & c"


def test_script_plays_in_order_on_one_connection_then_is_exhausted(faulty_server: Start) -> None:
    srv = faulty_server([Throttle(), Ok(OK_XML)])
    with requests.Session() as session:
        codes = [session.post(srv.url, data=b"x", timeout=2).status_code for _ in range(3)]
    assert codes == [503, 200, 500]
    assert srv.connections == 1  # keep-alive: every answer had a Content-Length
    assert len(srv.requests) == 3 and srv.unused == 0
    last = requests.get(srv.url, timeout=2)
    assert ElementTree.fromstring(last.content).findtext(".//Code") == "ScriptExhausted"


def test_actions_can_be_added_while_serving(faulty_server: Start) -> None:
    srv = faulty_server([])
    srv.add(Ok(b"late"))
    assert srv.unused == 1
    assert requests.get(srv.url, timeout=2).content == b"late"


def test_delay_past_the_client_read_timeout(faulty_server: Start) -> None:
    srv = faulty_server([Delay(1.0, Ok(OK_XML)), Ok(OK_XML)])
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(srv.url, data=b"first", timeout=(1, 0.2))
    assert time.monotonic() - started < 0.9
    assert requests.post(srv.url, data=b"second", timeout=2).content == OK_XML
    assert [r.body for r in srv.requests] == [b"first", b"second"]


def test_delay_within_the_timeout_still_answers(faulty_server: Start) -> None:
    srv = faulty_server([Delay(0.2, Throttle())])
    started = time.monotonic()
    assert requests.get(srv.url, timeout=2).status_code == 503
    assert time.monotonic() - started >= 0.2


def test_delays_are_capped() -> None:
    with pytest.raises(ValueError, match=r"Delay\.seconds"):
        Delay(MAX_DELAY + 0.1)
    with pytest.raises(ValueError, match=r"SlowBody\.seconds"):
        SlowBody(b"x", MAX_DELAY + 0.1)


def test_close_is_prompt_while_an_answer_is_delayed() -> None:
    with FaultyServer([Delay(MAX_DELAY)]) as srv:
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.get(srv.url, timeout=(1, 0.1))
        started = time.monotonic()
    assert time.monotonic() - started < 1.0


def test_slow_body_times_out_mid_body(faulty_server: Start) -> None:
    srv = faulty_server([SlowBody(OK_XML, 1.0, sent_first=10)])
    with pytest.raises(requests.exceptions.ConnectionError, match="Read timed out"):
        requests.get(srv.url, timeout=(1, 0.2))


def test_slow_body_within_the_timeout_is_whole(faulty_server: Start) -> None:
    srv = faulty_server([SlowBody(OK_XML, 0.1)])
    assert requests.get(srv.url, timeout=2).content == OK_XML


def test_reset_is_a_connection_reset(faulty_server: Start) -> None:
    srv = faulty_server([Reset(), Ok(OK_XML)])
    with requests.Session() as session:
        with pytest.raises(requests.exceptions.ConnectionError) as info:
            session.post(srv.url, data=b"Action=CopySnapshot", timeout=2)
        assert any(isinstance(e, ConnectionResetError) for e in _causes(info.value)), info.value
        assert session.post(srv.url, data=b"again", timeout=2).content == OK_XML
    assert [r.body for r in srv.requests] == [b"Action=CopySnapshot", b"again"]
    assert srv.connections == 2


def test_truncated_body_is_an_incomplete_read(faulty_server: Start) -> None:
    srv = faulty_server([Truncated(b"<Response><Err", declared_length=100)])
    with pytest.raises(requests.exceptions.ChunkedEncodingError) as info:
        requests.get(srv.url, timeout=2)
    assert "IncompleteRead" in repr(info.value) or "incomplete" in str(info.value).lower()


def test_truncated_needs_a_longer_declared_length() -> None:
    with pytest.raises(ValueError, match="declared_length"):
        Truncated(b"abc", declared_length=3)


def test_large_body_is_five_mebibytes_of_xml(faulty_server: Start) -> None:
    srv = faulty_server([LargeBody()])
    response = requests.get(srv.url, timeout=5)
    assert response.status_code == 200
    assert len(response.content) == 5 * 1024 * 1024
    assert response.headers["Content-Length"] == str(5 * 1024 * 1024)
    assert ElementTree.fromstring(response.content).tag == "Response"


def test_context_manager_serves_and_stops() -> None:
    with FaultyServer([Ok(b"hi")]) as srv:
        url = srv.url
        assert requests.get(url, timeout=2).content == b"hi"
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url, timeout=(0.5, 0.5))


def test_echo_quotes_the_parameters_back() -> None:
    from sigv4kit.testing.faulty_server import Echo

    with FaultyServer([Echo()]) as server:
        answer = requests.post(server.url, data={"Action": "X", "SnapshotId.1": "snap-<&>"},
                               timeout=5)
    assert answer.status_code == 400
    assert b"InvalidParameterValue" in answer.content and b"snap-&lt;&amp;&gt;" in answer.content


@pytest.mark.parametrize("host", ["127.evil.example", "127.0.0.1.nip.io", "localhost", "::1",
                                  "10.0.0.1", "127.1"])
def test_only_a_loopback_ipv4_address_is_served_on(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        FaultyServer(host=host)
    FaultyServer(host="127.0.0.2")  # an address in 127.0.0.0/8 is fine
