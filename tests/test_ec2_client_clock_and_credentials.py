"""The EC2 Client takes the adapters' path for credentials and clock skew: a provider asked
before every signing (each retry, each waiter poll), and a request refused for its time
signed again once with EC2's time, the offset then remembered.

The clock tests use ``VerifyingServer``: it checks every signature with sigv4kit's verifier by
its own shifted clock and answers a refused time as EC2 does (AuthFailure, with its Date).
A valid request gets its JSON answer, which is not EC2's XML: the client then raises
ResponseParseError, after the server's verdict (recorded) has shown the request accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest

from sigv4kit import Credentials
from sigv4kit.aws.credentials import CredentialsError
from sigv4kit.ec2 import ApiError, Client, ResponseParseError
from sigv4kit.received import Reason
from sigv4kit.testing.faulty_server import Action, FaultyServer, Ok
from sigv4kit.testing.verifying_server import VerifyingServer

CREDS = Credentials("AKIDEC2CLOCK", "ec2/clock+secret/wJalrXUtnFEMI", "TOKEN+x/=")
NS = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"'
Factory = Callable[[Iterable[Action]], FaultyServer]


def _client(url: str, source: object = CREDS, **kw: object) -> Client:
    return Client("us-east-1", source, endpoint_url=url, max_attempts=1,  # type: ignore[arg-type]
                  **kw)  # type: ignore[arg-type]


def _reasons(server: VerifyingServer) -> list[Reason]:
    return [r.reason for r in server.requests]


def _accepted_call(client: Client) -> None:
    """One DescribeSnapshots the server accepts (its JSON answer is no EC2 XML)."""
    with pytest.raises(ResponseParseError):
        client.call("DescribeSnapshots")


@pytest.mark.parametrize(("offset", "first"), [(3600.0, Reason.EXPIRED),
                                               (-3600.0, Reason.NOT_YET_VALID)])
def test_resigned_once_with_ec2s_time_then_remembered(offset: float, first: Reason) -> None:
    with VerifyingServer(CREDS, clock_offset=offset, error_style="ec2") as server:
        client = _client(server.url)
        _accepted_call(client)
        assert _reasons(server) == [first, Reason.OK]
        _accepted_call(client)  # signed with the server's time from the start
        assert _reasons(server) == [first, Reason.OK, Reason.OK]
        assert abs(client._skew.offset(client._host) - offset) < 5


def test_switched_off() -> None:
    with VerifyingServer(CREDS, clock_offset=3600, error_style="ec2") as server:
        client = _client(server.url, correct_clock_skew=False)
        with pytest.raises(ApiError) as caught:
            client.call("DescribeSnapshots")
        assert caught.value.code == "AuthFailure"
        assert _reasons(server) == [Reason.EXPIRED]


def test_within_the_window_nothing_changes() -> None:
    with VerifyingServer(CREDS, clock_offset=120, error_style="ec2") as server:
        client = _client(server.url)
        _accepted_call(client)
        assert _reasons(server) == [Reason.OK]
        assert client._skew.offset(client._host) == 0.0


def test_a_wrong_secret_is_signed_again_once_only() -> None:
    wrong = Credentials(CREDS.access_key_id, "wrong-secret", CREDS.session_token)
    with (VerifyingServer(CREDS, clock_offset=3600, error_style="ec2") as server,
          pytest.raises(ApiError) as caught):
        _client(server.url, wrong).call("DescribeSnapshots")
    assert caught.value.code == "SignatureDoesNotMatch"
    assert _reasons(server) == [Reason.EXPIRED, Reason.SIGNATURE_MISMATCH]


def test_a_stale_offset_is_replaced() -> None:
    """The server's clock is set right after the client learnt its offset: the next
    refusal's Date replaces it."""
    with VerifyingServer(CREDS, clock_offset=3600, error_style="ec2") as server:
        client = _client(server.url)
        _accepted_call(client)
        server.clock_offset = 0.0
        _accepted_call(client)
        assert _reasons(server) == [Reason.EXPIRED, Reason.OK, Reason.NOT_YET_VALID,
                                    Reason.OK]
        assert client._skew.offset(client._host) == 0.0


# -- credentials --------------------------------------------------------------------------


def _snapshot_xml(state: str) -> str:
    return (f"<DescribeSnapshotsResponse {NS}><requestId>r</requestId><snapshotSet><item>"
            f"<snapshotId>snap-1</snapshotId><status>{state}</status><progress>50%</progress>"
            "</item></snapshotSet></DescribeSnapshotsResponse>")


def _akid(server: FaultyServer, index: int) -> str:
    auth = server.requests[index].header("Authorization") or ""
    return auth.partition("Credential=")[2].partition("/")[0]


def test_each_waiter_poll_asks_the_provider(faulty_server: Factory) -> None:
    server = faulty_server([Ok(_snapshot_xml("pending")), Ok(_snapshot_xml("pending")),
                            Ok(_snapshot_xml("completed"))])
    issued = iter([Credentials(f"AKIDPOLL{i}", "s") for i in range(10)])
    asked: list[str] = []

    def provider() -> Credentials:
        fresh = next(issued)
        asked.append(fresh.access_key_id)
        return fresh

    client = _client(server.url, provider)
    found = client.wait_for_snapshot("snap-1", poll_delay=0.01, max_poll_delay=0.01,
                                     timeout=30)
    assert found["State"] == "completed"
    assert asked == ["AKIDPOLL0", "AKIDPOLL1", "AKIDPOLL2"]
    assert [_akid(server, i) for i in range(3)] == asked


def test_waiters_and_botocore_credentials(faulty_server: Factory) -> None:
    """``Client.wait`` (what ``sigv4kit ec2 wait`` runs) with botocore's credentials
    object: its frozen credentials are read before each poll, so a refresh shows."""
    import botocore.credentials

    server = faulty_server([Ok(_snapshot_xml("pending")), Ok(_snapshot_xml("completed"))])
    boto = botocore.credentials.Credentials("AKIDBOTO1", "s", "tok")
    client = _client(server.url, boto)
    original = client.call

    def call_then_rotate(action: str, params: object = None) -> dict[str, object]:
        result = original(action, params)  # type: ignore[arg-type]
        boto.access_key = "AKIDBOTO2"  # botocore refreshing between polls
        return result

    client.call = call_then_rotate  # type: ignore[method-assign,assignment]
    client.wait("SnapshotCompleted", delay=0, SnapshotIds=["snap-1"])
    assert [_akid(server, 0), _akid(server, 1)] == ["AKIDBOTO1", "AKIDBOTO2"]
    assert server.requests[0].header("X-Amz-Security-Token") == "tok"


def test_a_failing_provider_is_one_clear_error(faulty_server: Factory) -> None:
    server = faulty_server([Ok(_snapshot_xml("completed"))])

    def expired() -> Credentials:
        raise PermissionError("the SSO session has expired\nrun aws sso login")

    with pytest.raises(CredentialsError) as caught:
        _client(server.url, expired).call("DescribeSnapshots")
    message = str(caught.value)
    assert message.startswith("credentials: the provider ")
    assert "expired failed (PermissionError: the SSO session has expired)" in message
    assert "\n" not in message
    with pytest.raises(CredentialsError, match=r"returned str, not sigv4kit\.Credentials"):
        _client(server.url, lambda: "AKID").call("DescribeSnapshots")
    with pytest.raises(CredentialsError, match=r"credentials: must be sigv4kit\.Credentials"):
        _client(server.url, "AKID:secret")
    assert server.requests == []
