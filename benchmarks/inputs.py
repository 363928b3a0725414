"""The benchmarks' inputs and sigv4kit's side of cases 1-4, shared by run.py (beside botocore
and awscrt) and instructions.py (alone, so that botocore is not even imported)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime

from sigv4kit import S3_PRESIGN_OPTIONS, Credentials, Request, presign, sign_request
from sigv4kit.ec2.presigned import presigned_copy_snapshot_url
from sigv4kit.verify import verify_presigned_url

AKID = "ASIAEXAMPLEACCESSKEY"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
# A session token of realistic length (~800 characters, base64 with '/', '+' and '=').
TOKEN = (
    "IQoJb3JpZ2luX2VjE"
    + base64.b64encode(b"".join(hashlib.sha256(bytes([i])).digest() for i in range(18))).decode()
)
TOKEN += base64.b64encode(hashlib.sha512(TOKEN.encode()).digest()).decode() * 2
CREDS = Credentials(AKID, SECRET, TOKEN)

FIXED = datetime(2026, 11, 25, 12, 34, 56, tzinfo=UTC)
FIXED_AMZ = "20261125T123456Z"
SNAP = "snap-066877671789bd71b"
EC2_WEST = "https://ec2.us-west-2.amazonaws.com/"
COPY_PARAMS = {
    "Action": "CopySnapshot",
    "Version": "2016-11-15",
    "SourceRegion": "us-west-2",
    "SourceSnapshotId": SNAP,
    "DestinationRegion": "us-east-1",
}

POST_URL = "https://ec2.us-east-1.amazonaws.com/"
POST_BODY = (
    b"Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-0123456789abcdef0"
    b"&InstanceId.2=i-0fedcba9876543210&Filter.1.Name=instance-state-name&Filter.1.Value.1=running"
)
POST_HEADERS = [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")]

S3_HOST = "examplebucket.s3.us-east-1.amazonaws.com"
S3_PATH = "/photos/2026/holiday-pic.jpg"
S3_URL = f"https://{S3_HOST}{S3_PATH}"


def ours_copy_snapshot(timestamp: str | None = None, snapshot_id: str = SNAP) -> str:
    """Case 1: the whole public call, validation, serialization and endpoint included."""
    return presigned_copy_snapshot_url(
        CREDS,
        source_region="us-west-2",
        source_snapshot_id=snapshot_id,
        destination_region="us-east-1",
        timestamp=timestamp,
    )


def ours_header_sign(timestamp: str | None = None) -> str:
    """Case 2: the request built and header-signed; returns the signature."""
    request = Request("POST", POST_URL, POST_HEADERS, POST_BODY)
    return sign_request(
        request, CREDS, region="us-east-1", service="ec2", timestamp=timestamp
    ).signature


def ours_s3_presign(timestamp: str | None = None) -> str:
    """Case 3: an S3 GET presigned with S3's rules."""
    return presign(
        Request("GET", S3_URL),
        CREDS,
        region="us-east-1",
        service="s3",
        timestamp=timestamp,
        **S3_PRESIGN_OPTIONS,
    ).url


def ours_verify_of(url: str) -> Callable[[], bool]:
    """Case 4: verifying ``url`` (signed at FIXED_AMZ) against CREDS."""

    def lookup(akid: str) -> Credentials | None:
        return CREDS if akid == AKID else None

    def verify() -> bool:
        return verify_presigned_url(url, lookup, now=FIXED_AMZ).valid

    return verify
