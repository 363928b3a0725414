"""The CopySnapshot PresignedUrl, compared with the one botocore puts on the wire.

For the same credentials, clock and CopySnapshot parameters, our URL and botocore's must have
the same scheme, host, path, query parameters (as a multiset) and so the same signature.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from sigv4kit import Credentials, SigningError
from sigv4kit.ec2.presigned import presign_copy_snapshot, presigned_copy_snapshot_url

from .botocore_ec2 import botocore_copy_snapshot_presigned_url

CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
TOKEN_CREDS = Credentials(
    "ASIAEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "IQoJb3JpZ2luX2VjEXAMPLE//+/=="
)
NOW = datetime(2026, 11, 25, 12, 34, 56, tzinfo=UTC)
SNAP = "snap-066877671789bd71b"

CASES: dict[str, tuple[Credentials, str, str, dict[str, Any]]] = {
    "minimal": (CREDS, "us-west-2", "us-east-1", {}),
    "description": (
        CREDS, "us-west-2", "us-east-1",
        {"Description": "Copy of snap/ü 1+1=2 & more ~*'()!:@"},
    ),
    "encrypted-kms": (
        CREDS, "eu-west-1", "eu-central-1",
        {"Encrypted": True, "KmsKeyId": "arn:aws:kms:eu-central-1:123456789012:key/abcd-ef"},
    ),
    "tags": (
        CREDS, "us-west-2", "us-east-1",
        {"TagSpecifications": [{"ResourceType": "snapshot", "Tags": [
            {"Key": "Name", "Value": "copy 1"}, {"Key": "team", "Value": "storage/ops"},
            {"Key": "empty", "Value": ""},
        ]}]},
    ),
    "dry-run": (CREDS, "us-west-2", "us-east-1", {"DryRun": True}),
    "session-token": (TOKEN_CREDS, "ap-southeast-2", "ap-northeast-1", {"Description": "t"}),
    "aws-cn": (CREDS, "cn-north-1", "cn-northwest-1", {}),
    "aws-us-gov": (TOKEN_CREDS, "us-gov-west-1", "us-gov-east-1", {"Encrypted": True}),
    "completion-duration": (CREDS, "us-east-2", "us-west-1", {"CompletionDurationMinutes": 15}),
}


def _parts(url: str) -> tuple[str, str, str, Counter[tuple[str, str]]]:
    p = urlsplit(url)
    return p.scheme, p.netloc, p.path, Counter(parse_qsl(p.query, keep_blank_values=True))


@pytest.mark.parametrize("name", CASES)
def test_equivalent_to_botocore(name: str) -> None:
    creds, source, destination, extra = CASES[name]
    ours = presigned_copy_snapshot_url(
        creds,
        source_region=source,
        source_snapshot_id=SNAP,
        destination_region=destination,
        timestamp=NOW,
        extra_params=extra,
    )
    theirs = botocore_copy_snapshot_presigned_url(
        creds,
        destination,
        {"SourceRegion": source, "SourceSnapshotId": SNAP, **extra},
        NOW,
    )
    assert _parts(ours) == _parts(theirs)
    query = dict(parse_qsl(urlsplit(ours).query))
    assert query["Action"] == "CopySnapshot"
    assert query["SourceRegion"] == source and query["DestinationRegion"] == destination
    assert f"/{source}/ec2/aws4_request" in query["X-Amz-Credential"]
    assert query["X-Amz-SignedHeaders"] == "host"
    assert (query.get("X-Amz-Security-Token")) == creds.session_token


def test_source_endpoint_url_overrides_host_and_keeps_path() -> None:
    p = presign_copy_snapshot(
        CREDS, source_region="us-west-2", source_snapshot_id=SNAP,
        destination_region="us-east-1", timestamp=NOW,
        source_endpoint_url="http://127.0.0.1:5000",
    )
    assert p.url.startswith("http://127.0.0.1:5000/?Action=CopySnapshot&Version=2016-11-15&")
    assert "\nhost:127.0.0.1:5000\n" in p.canonical_request
    vpce = presigned_copy_snapshot_url(
        CREDS, source_region="us-west-2", source_snapshot_id=SNAP,
        destination_region="us-east-1", timestamp=NOW,
        source_endpoint_url="https://vpce-0abc-123.ec2.us-west-2.vpce.amazonaws.com/",
    )
    assert urlsplit(vpce).netloc == "vpce-0abc-123.ec2.us-west-2.vpce.amazonaws.com"


def _build(**overrides: Any) -> str:
    kwargs: dict[str, Any] = {
        "source_region": "us-west-2", "source_snapshot_id": SNAP,
        "destination_region": "us-east-1", "timestamp": NOW,
    }
    kwargs.update(overrides)
    return presigned_copy_snapshot_url(CREDS, **kwargs)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"source_region": ""}, "source_region"),
        ({"destination_region": ""}, "destination_region"),
        ({"source_snapshot_id": ""}, "source_snapshot_id"),
        ({"source_snapshot_id": "vol-066877671789bd71b"}, "source_snapshot_id"),
        ({"source_snapshot_id": "snap-XYZ"}, "source_snapshot_id"),
        ({"source_snapshot_id": "snap-066877671789BD71B"}, "source_snapshot_id"),
        ({"extra_params": {"Encrypted": False}}, "Encrypted"),
        ({"extra_params": {"KmsKeyId": "alias/x"}}, "KmsKeyId"),
        ({"extra_params": {"DestinationRegion": "us-east-1"}}, "extra_params"),
        ({"extra_params": {"PresignedUrl": "https://x"}}, "extra_params"),
        ({"expires": 0}, "expires"),
        ({"expires": 604801}, "expires"),
        ({"source_region": "us west 2"}, "source_region"),
        ({"destination_region": "cn-north-1"}, "destination_region"),
        ({"source_endpoint_url": "ftp://x"}, "source_endpoint_url"),
        ({"source_endpoint_url": "https://h/?a=1"}, "source_endpoint_url"),
    ],
)
def test_validation_before_signing(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(SigningError) as info:
        _build(**overrides)
    assert info.value.field == field, str(info.value)


def test_cross_partition_message_names_both_regions() -> None:
    with pytest.raises(SigningError, match=r"us-west-2.*cn-north-1|cn-north-1.*us-west-2"):
        _build(destination_region="cn-north-1")


def test_a_presign_resolves_each_region_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The source Region is looked up once, for the endpoint and the partition rule together
    (``endpoints.resolve_ec2_endpoint``), the destination once; the URL is botocore's."""
    import sigv4kit
    from sigv4kit.aws import endpoints

    sigv4kit.clear_caches()
    lookups: list[tuple[str, str]] = []
    partition = endpoints._partition
    monkeypatch.setattr(endpoints, "_partition",
                        lambda region, field: lookups.append((region, field)) or partition(
                            region, field))
    url = presigned_copy_snapshot_url(CREDS, source_region="us-gov-west-1",
                                      source_snapshot_id=SNAP,
                                      destination_region="us-gov-east-1", timestamp=NOW)
    assert lookups == [("us-gov-west-1", "source_region"), ("us-gov-east-1", "destination_region")]
    params = {"SourceRegion": "us-gov-west-1", "SourceSnapshotId": SNAP}
    assert url == botocore_copy_snapshot_presigned_url(CREDS, "us-gov-east-1", params, NOW)
    with pytest.raises(SigningError, match="across partitions: us-gov-west-1 is in aws-us-gov"):
        presigned_copy_snapshot_url(CREDS, source_region="us-gov-west-1", source_snapshot_id=SNAP,
                                    destination_region="us-east-1", timestamp=NOW)
