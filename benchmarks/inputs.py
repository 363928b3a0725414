"""The benchmarks' inputs and sigv4kit's side of cases 1-4, shared by run.py (beside botocore
and awscrt), adapters.py and instructions.py (alone, so that botocore is not even imported).

Two credential profiles, as the issue asks: long-term keys (no session token: CI systems,
scripts) and temporary ones with a ~1,000-character STS-like session token (real STS tokens
are 400-1000+ characters, and the token is the longest thing in a signed request).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import NamedTuple

from sigv4kit import S3_PRESIGN_OPTIONS, Credentials, Request, Signer, presign
from sigv4kit.ec2.presigned import presigned_copy_snapshot_url
from sigv4kit.verify import verify_presigned_url

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
# A session token of realistic length (1,001 characters, base64 with '/', '+' and '=').
TOKEN = (
    "IQoJb3JpZ2luX2VjE"
    + base64.b64encode(b"".join(hashlib.sha256(bytes([i])).digest() for i in range(21))).decode()
)
TOKEN += base64.b64encode(hashlib.sha512(TOKEN.encode()).digest()).decode()
assert len(TOKEN) == 1001, len(TOKEN)


class Profile(NamedTuple):
    """One set of credentials every contender signs with."""

    name: str
    label: str
    akid: str
    token: str | None

    @property
    def creds(self) -> Credentials:
        return _CREDS[self.name]


PROFILES = {
    "notoken": Profile("notoken", "long-term keys, no token", "AKIAEXAMPLEACCESSKEY", None),
    "token": Profile("token", f"{len(TOKEN)}-char session token", "ASIAEXAMPLEACCESSKEY", TOKEN),
}
_CREDS = {p.name: Credentials(p.akid, SECRET, p.token) for p in PROFILES.values()}
TOKEN_PROFILE = PROFILES["token"]
# The older names (one profile, with the token), for the bulk case and sigv4a.py.
AKID, CREDS = TOKEN_PROFILE.akid, TOKEN_PROFILE.creds

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


def ours_copy_snapshot(
    timestamp: str | None = None, snapshot_id: str = SNAP, creds: Credentials = CREDS
) -> str:
    """Case 1: the whole public call, validation, serialization and endpoint included."""
    return presigned_copy_snapshot_url(
        creds,
        source_region="us-west-2",
        source_snapshot_id=snapshot_id,
        destination_region="us-east-1",
        timestamp=timestamp,
    )


_SIGNERS: dict[str, Signer] = {}  # one Signer per profile, as a client holds one


def ec2_signer(creds: Credentials = CREDS) -> Signer:
    key = creds.access_key_id
    if key not in _SIGNERS:
        _SIGNERS[key] = Signer(creds, region="us-east-1", service="ec2")
    return _SIGNERS[key]


def ours_header_sign(timestamp: str | None = None, creds: Credentials = CREDS) -> str:
    """Case 2: the request built and header-signed through ``Signer.sign`` (the issue's
    target); returns the signature."""
    request = Request("POST", POST_URL, POST_HEADERS, POST_BODY)
    return ec2_signer(creds).sign(request, timestamp).signature


def ours_s3_presign(timestamp: str | None = None, creds: Credentials = CREDS) -> str:
    """Case 3: an S3 GET presigned with S3's rules."""
    return presign(
        Request("GET", S3_URL),
        creds,
        region="us-east-1",
        service="s3",
        timestamp=timestamp,
        **S3_PRESIGN_OPTIONS,
    ).url


def ours_verify_of(url: str, creds: Credentials = CREDS) -> Callable[[], bool]:
    """Case 4: verifying ``url`` (signed at FIXED_AMZ) against ``creds``."""
    akid = creds.access_key_id

    def lookup(key: str) -> Credentials | None:
        return creds if key == akid else None

    def verify() -> bool:
        return verify_presigned_url(url, lookup, now=FIXED_AMZ).valid

    return verify


TIMESTAMPS: dict[str, str | datetime | None] = {"": None, "text": FIXED_AMZ, "datetime": FIXED}
"""How the signing cases get their time: the clock (default), X-Amz-Date text, or an aware
datetime (``instructions.py header@datetime``: the two must cost the same)."""


def operations(profile: Profile, timestamp: str = "") -> dict[str, Callable[[], object]]:
    """Cases 1-4 of ``profile`` as zero-argument calls (what instructions.py counts), signing
    at the clock's time or at ``TIMESTAMPS[timestamp]``."""
    creds = profile.creds
    at = TIMESTAMPS[timestamp]
    verify = ours_verify_of(ours_copy_snapshot(FIXED_AMZ, creds=creds), creds)
    assert verify(), "our own URL does not verify"
    return {
        "copy": lambda: ours_copy_snapshot(at, creds=creds),
        "header": lambda: ours_header_sign(at, creds=creds),
        "s3": lambda: ours_s3_presign(at, creds=creds),
        "verify": verify,
    }
