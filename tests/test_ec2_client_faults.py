"""The client's retries, timeouts and error handling, against a scripted faulty server on
loopback (throttling, 5xx, slow reads, resets, truncated and oversized bodies). Every
request that reached the server is recorded, so the number of attempts is measured on the
wire, not inferred."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl

import pytest

from sigv4kit import Credentials
from sigv4kit.ec2 import ApiError, Client, ResponseParseError
from sigv4kit.testing.faulty_server import (
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
from sigv4kit.transport import ConnectFailed, ConnectionLost, ReadTimedOut

CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
NS = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"'
DESCRIBE_OK = (f"<DescribeSnapshotsResponse {NS}><requestId>r-1</requestId>"
               "<snapshotSet/></DescribeSnapshotsResponse>")
COPY_OK = (f"<CopySnapshotResponse {NS}><requestId>r-2</requestId>"
           "<snapshotId>snap-0123456789abcdef0</snapshotId></CopySnapshotResponse>")
COPY = {"SourceRegion": "us-west-2", "SourceSnapshotId": "snap-066877671789bd71b"}

Factory = Callable[[Iterable[Action]], FaultyServer]


def _client(server: FaultyServer, **kw: object) -> Client:
    options: dict[str, object] = {"timeout": (2.0, 1.0), "max_attempts": 3,
                                  "retry_base_delay": 0.01}
    options.update(kw)
    return Client("us-east-1", CREDS, endpoint_url=server.url, **options)  # type: ignore[arg-type]


def test_throttle_then_success_for_any_action(faulty_server: Factory) -> None:
    # botocore's legacy data: RequestLimitExceeded is retried with 503 (as EC2 sends it),
    # Throttling with 400
    server = faulty_server([Throttle(), Throttle(400, "Throttling"), Ok(COPY_OK)])
    result = _client(server).copy_snapshot(**COPY)
    assert result["SnapshotId"] == "snap-0123456789abcdef0"
    assert result["ResponseMetadata"]["RetryAttempts"] == 2
    assert len(server.requests) == 3
    dates = {r.header("X-Amz-Date") for r in server.requests}
    assert all(dates)  # each attempt is signed afresh


def test_500_retried_for_reads_not_for_copy_snapshot(faulty_server: Factory) -> None:
    server = faulty_server([Error(500, "InternalError"), Ok(DESCRIBE_OK)])
    assert _client(server).describe_snapshots()["Snapshots"] == []
    assert len(server.requests) == 2
    once = faulty_server([Error(500, "InternalError"), Ok(COPY_OK)])
    with pytest.raises(ApiError) as info:
        _client(once).copy_snapshot(**COPY)
    assert info.value.code == "InternalError" and info.value.http_status == 500
    assert len(once.requests) == 1  # it may have started a copy: never repeated


def test_slow_read_times_out_and_copy_snapshot_is_not_repeated(faulty_server: Factory) -> None:
    server = faulty_server([Delay(3.0, Ok(COPY_OK)), Ok(COPY_OK)])
    with pytest.raises(ReadTimedOut):
        _client(server).copy_snapshot(**COPY)
    assert len(server.requests) == 1
    slow_describe = faulty_server([SlowBody(DESCRIBE_OK.encode(), 3.0), Ok(DESCRIBE_OK)])
    assert _client(slow_describe).describe_snapshots()["Snapshots"] == []
    assert len(slow_describe.requests) == 2


def test_connection_reset(faulty_server: Factory) -> None:
    server = faulty_server([Reset(), Ok(DESCRIBE_OK)])
    assert _client(server).describe_snapshots()["Snapshots"] == []
    assert len(server.requests) == 2
    copy = faulty_server([Reset(), Ok(COPY_OK)])
    with pytest.raises(ConnectionLost):
        _client(copy).copy_snapshot(**COPY)
    assert len(copy.requests) == 1


def test_connection_refused_is_retried_even_for_copy_snapshot() -> None:
    client = Client("us-east-1", CREDS, endpoint_url="http://127.0.0.1:9", max_attempts=3,
                    retry_base_delay=0.01, timeout=(1.0, 1.0))
    attempts: list[int] = []
    client.on_signed = lambda signed, creds: attempts.append(1)
    with pytest.raises(ConnectFailed):
        client.copy_snapshot(**COPY)
    assert len(attempts) == 3  # nothing can have reached a server: safe to retry


def test_truncated_xml_is_a_parse_error(faulty_server: Factory) -> None:
    body = COPY_OK.encode()
    server = faulty_server([Truncated(body[:40], len(body)), Ok(COPY_OK)])
    with pytest.raises(ResponseParseError, match="cut short"):
        _client(server).copy_snapshot(**COPY)
    assert len(server.requests) == 1
    describe = faulty_server([Truncated(b"<Describe", 500), Ok(DESCRIBE_OK)])
    assert _client(describe).describe_snapshots()["Snapshots"] == []
    assert len(describe.requests) == 2
    broken = faulty_server([Ok(COPY_OK[: len(COPY_OK) // 2])])
    with pytest.raises(ResponseParseError):
        _client(broken).copy_snapshot(**COPY)
    assert len(broken.requests) == 1


def test_large_body_under_and_over_the_cap(faulty_server: Factory) -> None:
    server = faulty_server([LargeBody(), LargeBody()])
    with pytest.raises(ResponseParseError, match="larger than"):
        _client(server, max_response_bytes=1024 * 1024, max_attempts=1).describe_snapshots()
    result = _client(server, max_attempts=1).describe_snapshots()  # 5 MiB, under 10 MiB
    assert "Snapshots" not in result or result["Snapshots"] == []


def test_retries_give_up_after_max_attempts(faulty_server: Factory) -> None:
    server = faulty_server([Throttle()] * 5)
    with pytest.raises(ApiError) as info:
        _client(server, max_attempts=4).describe_snapshots()
    assert info.value.is_throttling and len(server.requests) == 4


def test_wire_format_and_exactly_the_given_parameters(faulty_server: Factory) -> None:
    server = faulty_server([Ok(COPY_OK)])
    _client(server).copy_snapshot(**COPY, Description="a b+c/ü")
    (sent,) = server.requests
    assert sent.method == "POST" and sent.path == "/"
    assert sent.header("Content-Type") == "application/x-www-form-urlencoded; charset=utf-8"
    assert (sent.header("User-Agent") or "").startswith("sigv4kit/")
    assert "user-agent" not in (sent.header("Authorization") or "")
    assert dict(parse_qsl(sent.body.decode())) == {
        "Action": "CopySnapshot", "Version": "2016-11-15", **COPY, "Description": "a b+c/ü",
    }


def test_import_snapshot_sends_no_client_token_of_its_own(faulty_server: Factory) -> None:
    """As boto3 and aws: no ClientToken unless given, so a 500 is not retried (it may have
    started an import); a given one is sent on every retry."""
    ok = (f"<ImportSnapshotResponse {NS}><requestId>r</requestId>"
          "<importTaskId>import-snap-1</importTaskId></ImportSnapshotResponse>")
    bare = faulty_server([Error(500, "InternalError"), Ok(ok)])
    disk = {"UserBucket": {"S3Bucket": "b", "S3Key": "k.vmdk"}}
    with pytest.raises(ApiError):
        _client(bare).import_snapshot(DiskContainer=disk)
    assert len(bare.requests) == 1
    assert "ClientToken" not in dict(parse_qsl(bare.requests[0].body.decode()))
    server = faulty_server([Error(500, "InternalError"), Ok(ok)])
    _client(server).import_snapshot(DiskContainer=disk, ClientToken="tok-1")
    tokens = [dict(parse_qsl(r.body.decode())).get("ClientToken") for r in server.requests]
    assert tokens == ["tok-1", "tok-1"]


def test_connections_are_reused(faulty_server: Factory) -> None:
    server = faulty_server([Ok(DESCRIBE_OK)] * 5)
    client = _client(server)
    for _ in range(5):
        client.describe_snapshots()
    assert server.connections == 1
