"""The PresignedUrl of an EC2 CopySnapshot request.

https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CopySnapshot.html

EC2 copies a snapshot by having the *destination* Region replay a CopySnapshot call against the
*source* Region, authorised by this URL: a GET on the source Region's endpoint carrying the
CopySnapshot parameters, SigV4 query-signed for ``ec2`` in the source Region. EC2 accepts any
URL at call time and only checks it when the copy runs, so a wrong one surfaces hours later as
a snapshot in the ``error`` state. Everything is therefore validated here, before signing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..aws import endpoints
from ..canonical import encode_pairs
from ..errors import SigningError
from ..model import Credentials, PresignedRequest
from ..options import check_expires
from ..signing import presign_get_query
from . import serializer

SNAPSHOT_ID = re.compile(r"snap-(?:[0-9a-f]{8}|[0-9a-f]{17})")
"""EC2 snapshot ids: ``snap-`` and 8 (older) or 17 lower-case hex digits."""

_OWN_PARAMS = ("SourceRegion", "SourceSnapshotId", "DestinationRegion", "PresignedUrl")
_ARGUMENT = {
    "SourceRegion": "source_region",
    "SourceSnapshotId": "source_snapshot_id",
    "DestinationRegion": "destination_region",
}
"""Errors name the builder's own arguments, which is what its caller typed."""


def validate_copy_snapshot(params: Mapping[str, Any]) -> None:
    """The CopySnapshot rules EC2 would enforce only when the copy runs, checked now."""
    for name, argument in _ARGUMENT.items():
        if not params.get(name):
            raise SigningError(
                f"{argument}: is required for a CopySnapshot PresignedUrl", field=argument
            )
    snapshot_id = params["SourceSnapshotId"]
    if not isinstance(snapshot_id, str) or not SNAPSHOT_ID.fullmatch(snapshot_id):
        raise SigningError(
            f"source_snapshot_id: {snapshot_id!r} is not a snapshot id (snap- followed by 8 or "
            "17 lower-case hex digits)",
            field="source_snapshot_id",
        )
    encrypted = params.get("Encrypted")
    if encrypted is False:
        raise SigningError(
            "Encrypted: CopySnapshot does not accept false; omit it for a copy that keeps the "
            "source's encryption",
            field="Encrypted",
        )
    if params.get("KmsKeyId") is not None and encrypted is not True:
        raise SigningError(
            "KmsKeyId: needs Encrypted=True (EC2 ignores a KMS key for an unencrypted copy)",
            field="KmsKeyId",
        )
    endpoints.check_same_partition(params["SourceRegion"], params["DestinationRegion"])


def _endpoint_base(source_endpoint_url: str | None, source_region: str) -> str:
    if not source_endpoint_url and isinstance(source_region, str):
        return _public_endpoint_base(source_region)
    return _checked_endpoint_base(source_endpoint_url or endpoints.ec2_endpoint(source_region))


@functools.lru_cache(maxsize=256)
def _public_endpoint_base(source_region: str) -> str:
    return _checked_endpoint_base(endpoints.ec2_endpoint(source_region))


def _checked_endpoint_base(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest.strip("/"):
        raise SigningError(
            f"source_endpoint_url: {url!r} is not an http(s) URL with a host",
            field="source_endpoint_url",
        )
    if "?" in rest or "#" in rest:
        raise SigningError(
            "source_endpoint_url: must not carry a query or fragment", field="source_endpoint_url"
        )
    return url if "/" in rest else url + "/"


def presign_copy_snapshot(
    credentials: Credentials,
    *,
    source_region: str,
    source_snapshot_id: str,
    destination_region: str,
    expires: int = 3600,
    timestamp: str | datetime | None = None,
    source_endpoint_url: str | None = None,
    extra_params: Mapping[str, Any] | None = None,
) -> PresignedRequest:
    """Like ``presigned_copy_snapshot_url`` but returns the whole result: the URL and the
    canonical request and string to sign that produced it (for debugging)."""
    extra = dict(extra_params or {})
    for name in _OWN_PARAMS:
        if name in extra:
            raise SigningError(
                f"extra_params: {name} is set by its own argument, not in extra_params",
                field="extra_params",
            )
    check_expires(expires)  # before anything else is checked or signed
    params = {
        "SourceRegion": source_region,
        "SourceSnapshotId": source_snapshot_id,
        "DestinationRegion": destination_region,
        **extra,
    }
    validate_copy_snapshot(params)
    pairs = serializer.serialize("CopySnapshot", params)
    base = _endpoint_base(source_endpoint_url, source_region)
    return presign_get_query(
        base,
        encode_pairs(pairs),
        credentials,
        region=source_region,
        service="ec2",
        expires=expires,
        timestamp=timestamp,
    )


def presigned_copy_snapshot_url(
    credentials: Credentials,
    *,
    source_region: str,
    source_snapshot_id: str,
    destination_region: str,
    expires: int = 3600,
    timestamp: str | datetime | None = None,
    source_endpoint_url: str | None = None,
    extra_params: Mapping[str, Any] | None = None,
) -> str:
    """The ``PresignedUrl`` for copying ``source_snapshot_id`` from ``source_region`` into
    ``destination_region``.

    ``extra_params`` are further CopySnapshot parameters, shaped as in boto3
    (``{"Description": ..., "Encrypted": True, "KmsKeyId": ..., "TagSpecifications": [...]}``);
    EC2 replays the URL, so they must equal those of the CopySnapshot call itself.
    ``source_endpoint_url`` replaces the source Region's public endpoint (VPC endpoints, local
    servers). The credentials' session token, if any, is signed into the URL.
    """
    return presign_copy_snapshot(
        credentials,
        source_region=source_region,
        source_snapshot_id=source_snapshot_id,
        destination_region=destination_region,
        expires=expires,
        timestamp=timestamp,
        source_endpoint_url=source_endpoint_url,
        extra_params=extra_params,
    ).url
