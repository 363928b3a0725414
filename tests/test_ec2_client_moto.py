"""The raw EC2 client against a real EC2-compatible server: moto's server mode on 127.0.0.1
with signature checking on, every call signed by sigv4kit with an IAM user's key."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests

from sigv4kit import Credentials
from sigv4kit.ec2 import ApiError, Client, presigned_copy_snapshot_url

from .servers import MotoServer

SOURCE, DESTINATION = "us-west-2", "us-east-1"


@pytest.fixture
def local(moto_server: MotoServer) -> MotoServer:
    return moto_server


def _client(local: MotoServer, region: str, creds: Credentials | None = None) -> Client:
    return Client(region, creds or local.credentials, endpoint_url=local.endpoint_url,
                  retry_base_delay=0.01)


def _snapshot(client: Client) -> str:
    volume = client.call("CreateVolume", {"AvailabilityZone": f"{client.region}a", "Size": 1})
    snap = client.create_snapshot(VolumeId=volume["VolumeId"], Description="source")
    client.wait_for_snapshot(snap["SnapshotId"], timeout=30, poll_delay=0.1)
    return str(snap["SnapshotId"])


def test_copy_snapshot_end_to_end(local: MotoServer) -> None:
    src, dst = _client(local, SOURCE), _client(local, DESTINATION)
    snapshot_id = _snapshot(src)
    url = presigned_copy_snapshot_url(
        local.credentials, source_region=SOURCE, source_snapshot_id=snapshot_id,
        destination_region=DESTINATION, source_endpoint_url=local.endpoint_url,
        extra_params={"Description": "copy ü/1"},
    )
    sent: list[bytes] = []
    dst.session.hooks["response"].append(
        lambda r, *a, **k: sent.append(r.request.body or b"")  # type: ignore[arg-type]
    )
    copy = dst.copy_snapshot(SourceRegion=SOURCE, SourceSnapshotId=snapshot_id,
                             Description="copy ü/1", PresignedUrl=url,
                             DestinationRegion=DESTINATION)
    assert copy["SnapshotId"].startswith("snap-") and copy["SnapshotId"] != snapshot_id
    assert copy["ResponseMetadata"]["HTTPStatusCode"] == 200
    wire = dict(parse_qsl(sent[-1].decode()))
    assert wire["PresignedUrl"] == url and wire["DestinationRegion"] == DESTINATION
    done = dst.wait_for_snapshot(copy["SnapshotId"], timeout=30, poll_delay=0.1)
    assert done["State"] == "completed" and done["Description"] == "copy ü/1"
    listed = dst.describe_snapshots(SnapshotIds=[copy["SnapshotId"]])["Snapshots"]
    assert [s["SnapshotId"] for s in listed] == [copy["SnapshotId"]]


def test_sends_exactly_what_it_is_given(local: MotoServer) -> None:
    """No PresignedUrl, no DestinationRegion: the client must not invent them (boto3 would)."""
    src, dst = _client(local, SOURCE), _client(local, DESTINATION)
    snapshot_id = _snapshot(src)
    bodies: list[bytes] = []
    dst.session.hooks["response"].append(
        lambda r, *a, **k: bodies.append(r.request.body or b"")  # type: ignore[arg-type]
    )
    dst.copy_snapshot(SourceRegion=SOURCE, SourceSnapshotId=snapshot_id)
    assert sorted(dict(parse_qsl(bodies[-1].decode()))) == [
        "Action", "SourceRegion", "SourceSnapshotId", "Version",
    ]


def test_wrong_secret_is_auth_failure_with_redacted_debug(local: MotoServer) -> None:
    bad = Credentials(local.credentials.access_key_id, "not-the-secret-at-all-0123456789")
    with pytest.raises(ApiError) as info:
        _client(local, SOURCE, bad).describe_snapshots(OwnerIds=["self"])
    err = info.value
    assert err.code == "AuthFailure" and err.http_status == 401
    assert err.debug is not None and "---- canonical request ----" in err.debug
    assert "POST\n/\n" in err.debug and "host;x-amz-date" in err.debug
    assert bad.secret_access_key not in err.debug and bad.secret_access_key not in str(err)


def test_unknown_access_key_is_rejected(local: MotoServer) -> None:
    stranger = Credentials("AKIAUNKNOWN000000000", "whatever-secret-0123456789")
    with pytest.raises(ApiError) as info:
        _client(local, SOURCE, stranger).describe_snapshots()
    assert info.value.code == "AuthFailure"


def test_dry_run_is_recognisable(local: MotoServer) -> None:
    src = _client(local, SOURCE)
    snapshot_id = _snapshot(src)
    with pytest.raises(ApiError) as info:
        _client(local, DESTINATION).copy_snapshot(
            SourceRegion=SOURCE, SourceSnapshotId=snapshot_id, DryRun=True
        )
    assert info.value.is_dry_run_success and info.value.http_status == 412


def test_unknown_snapshot(local: MotoServer) -> None:
    with pytest.raises(ApiError) as info:
        _client(local, SOURCE).describe_snapshots(SnapshotIds=["snap-0123456789abcdef0"])
    assert info.value.code == "InvalidSnapshot.NotFound"
    assert info.value.request_id


def test_generic_call_and_pooled_session(local: MotoServer) -> None:
    session = requests.Session()
    client = Client(SOURCE, local.credentials, endpoint_url=local.endpoint_url, session=session)
    result: dict[str, Any] = client.call("DescribeRegions", {})
    assert any(r["RegionName"] == SOURCE for r in result["Regions"])
    assert client.session is session


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"DestinationRegion": "us-west-1"}, "DestinationRegion"),
        ({"PresignedUrl": "https://ec2.us-west-2.amazonaws.com/?Action=DescribeSnapshots"},
         "PresignedUrl"),
    ],
)
def test_copy_snapshot_refuses_what_ec2_would_fail_later(
    local: MotoServer, params: dict[str, str], field: str
) -> None:
    from sigv4kit import SigningError

    with pytest.raises(SigningError) as info:
        _client(local, DESTINATION).copy_snapshot(
            SourceRegion=SOURCE, SourceSnapshotId="snap-0123456789abcdef0", **params
        )
    assert info.value.field == field


def test_presigned_url_for_other_snapshot_is_refused(local: MotoServer) -> None:
    from sigv4kit import SigningError

    url = presigned_copy_snapshot_url(
        local.credentials, source_region=SOURCE, source_snapshot_id="snap-0123456789abcdef0",
        destination_region=DESTINATION,
    )
    with pytest.raises(SigningError, match="SourceSnapshotId"):
        _client(local, DESTINATION).copy_snapshot(
            SourceRegion=SOURCE, SourceSnapshotId="snap-0123456789abcdef1", PresignedUrl=url
        )
