"""The PresignedUrl of an EC2 CopySnapshot request.

https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CopySnapshot.html

EC2 copies a snapshot by having the *destination* Region replay a CopySnapshot call against the
*source* Region, authorised by this URL: a GET on the source Region's endpoint carrying the
CopySnapshot parameters, SigV4 query-signed for ``ec2`` in the source Region. EC2 accepts any
URL at call time and only checks it when the copy runs, so a wrong one surfaces hours later as
a snapshot in the ``error`` state. Everything is therefore validated here, before signing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .._caches import cached
from ..aws import endpoints
from ..errors import SigningError
from ..keys import ALGORITHM, cached_signing_key, string_to_sign
from ..model import Credentials, PresignedRequest
from ..options import check_expires
from ..redact import excerpt
from ..signing import presign_get_query
from ..url import split_url
from . import serializer

__all__ = [
    "SNAPSHOT_ID",
    "CopySnapshotPresigner",
    "presign_copy_snapshot",
    "presigned_copy_snapshot_url",
    "validate_copy_snapshot",
]

SNAPSHOT_ID = re.compile(r"snap-(?:[0-9a-f]{8}|[0-9a-f]{17})")
"""EC2 snapshot ids: ``snap-`` and 8 (older) or 17 lower-case hex digits."""

_OWN_MEMBERS = ("SourceRegion", "SourceSnapshotId", "DestinationRegion")
_OWN_PARAMS = (*_OWN_MEMBERS, "PresignedUrl")
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


@cached(256, keys="source region", reason="the endpoint is resolved and checked once a region")
def _public_endpoint_base(source_region: str) -> str:
    return _checked_endpoint_base(endpoints.ec2_endpoint(source_region))


def _checked_endpoint_base(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest.strip("/"):
        raise SigningError(
            f"source_endpoint_url: {excerpt(url)} is not an http(s) URL with a host",
            field="source_endpoint_url",
        )
    if "?" in rest or "#" in rest:
        raise SigningError(
            "source_endpoint_url: must not carry a query or fragment", field="source_endpoint_url"
        )
    try:
        split_url(url)  # its host and port parse, or the message names this argument
    except SigningError as exc:
        raise SigningError(f"source_endpoint_url: {str(exc).partition(': ')[2] or exc}",
                           field="source_endpoint_url") from None
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
    params = {
        "SourceRegion": source_region,
        "SourceSnapshotId": source_snapshot_id,
        "DestinationRegion": destination_region,
    }
    if extra_params:
        extra = dict(extra_params)
        for name in _OWN_PARAMS:
            if name in extra:
                raise SigningError(
                    f"extra_params: {name} is set by its own argument, not in extra_params",
                    field="extra_params",
                )
        params.update(extra)
    check_expires(expires)  # before anything else is checked or signed
    validate_copy_snapshot(params)
    base = _endpoint_base(source_endpoint_url, source_region)
    plan = None if extra_params else serializer.plain_strings_plan("CopySnapshot", _OWN_MEMBERS)
    if plan is None:
        pairs = serializer.serialize("CopySnapshot", params)
        return presign_get_query(base, pairs, credentials, region=source_region, service="ec2",
                                 expires=expires, timestamp=timestamp)
    # The three are checked above: Region names and a snapshot id, unreserved characters all
    # (as are the model's names), so the pairs are already in canonical form.
    lead, wire = plan
    pairs = [*lead, (wire[0], source_region), (wire[1], source_snapshot_id),
             (wire[2], destination_region)]
    return presign_get_query(base, pairs, credentials, region=source_region, service="ec2",
                             expires=expires, timestamp=timestamp, encoded=True)


class CopySnapshotPresigner:
    """PresignedUrls for many snapshots copied with the same parameters (``sigv4kit presign
    copy-snapshot --source-snapshot-id -``), all signed at one ``timestamp`` (default: now).

    Everything but the snapshot id is validated and signed once, by the core, for
    ``template_id``. URLs that differ only in that id have canonical requests that differ
    only there (the canonical query is sorted by name, and the id needs no encoding), so each
    further URL costs an id check, a substitution and the core's string to sign and HMAC.
    When the template id shows up anywhere else (in a Description, say) every URL is
    signed in full. ``presign(id)`` equals ``presign_copy_snapshot(…, id)``: a test checks.
    """

    def __init__(
        self,
        credentials: Credentials,
        *,
        source_region: str,
        destination_region: str,
        expires: int = 3600,
        timestamp: str | datetime | None = None,
        source_endpoint_url: str | None = None,
        extra_params: Mapping[str, Any] | None = None,
        template_id: str = "snap-00000000",
    ) -> None:
        if timestamp is None:
            from datetime import UTC

            timestamp = datetime.now(UTC).replace(microsecond=0)
        self._arguments: dict[str, Any] = {
            "source_region": source_region, "destination_region": destination_region,
            "expires": expires, "source_endpoint_url": source_endpoint_url,
            "extra_params": extra_params,
        }
        first = presign_copy_snapshot(credentials, source_snapshot_id=template_id,
                                      timestamp=timestamp, **self._arguments)
        self._arguments["timestamp"] = first.timestamp
        self.template = first
        """The URL signed for ``template_id``: its timestamp, expiry and scope are every URL's."""
        self._credentials = credentials
        unsigned_url = first.url[: first.url.rindex("&X-Amz-Signature=")]
        canonical = first.canonical_request.split(template_id)
        url = unsigned_url.split(template_id)
        self._fast = len(canonical) == 2 and len(url) == 2
        self._canonical, self._url = canonical, url
        self._scope = first.credential_scope
        self._key = cached_signing_key(credentials.secret_access_key, first.timestamp[:8],
                                       source_region, "ec2")

    def presign(self, snapshot_id: str) -> str:
        """The PresignedUrl for ``snapshot_id``; SigningError when it is no snapshot id."""
        if not isinstance(snapshot_id, str) or not SNAPSHOT_ID.fullmatch(snapshot_id):
            raise SigningError(
                f"source_snapshot_id: {str(snapshot_id)[:40]!r} is not a snapshot id (snap- "
                "followed by 8 or 17 lower-case hex digits)", field="source_snapshot_id")
        if not self._fast:
            return presign_copy_snapshot(self._credentials, source_snapshot_id=snapshot_id,
                                         **self._arguments).url
        before, after = self._canonical
        to_sign = string_to_sign(ALGORITHM, self._arguments["timestamp"], self._scope,
                                 before + snapshot_id + after)
        head, tail = self._url
        return f"{head}{snapshot_id}{tail}&X-Amz-Signature={self._key.hex_signature(to_sign)}"


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
