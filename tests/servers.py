"""The moto server fixture's test-side helpers, over ``sigv4kit.testing.local_endpoint``.

The server itself (child process, signature checking switched on after set-up) is the
package's ``LocalEndpoint``, which the demo uses too; this adds what only tests need:
botocore clients to arrange state independently of sigv4kit, and snapshot set-up.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import botocore.session
from botocore.config import Config

from sigv4kit import Credentials
from sigv4kit.testing.local_endpoint import LocalEndpoint, LocalEndpointError

_BOTOCORE_CONFIG = Config(
    connect_timeout=5, read_timeout=30, retries={"max_attempts": 1, "mode": "standard"}
)


@dataclass(frozen=True)
class Snapshot:
    """A volume and the snapshot taken of it, in ``region``."""

    region: str
    volume_id: str
    snapshot_id: str


@dataclass(frozen=True)
class MotoServer:
    """A running local endpoint and its two keys (allowed everything; no policy at all)."""

    endpoint_url: str
    credentials: Credentials
    denied_credentials: Credentials

    @property
    def access_key_id(self) -> str:
        return self.credentials.access_key_id

    @property
    def secret_access_key(self) -> str:
        return self.credentials.secret_access_key

    def botocore_client(self, service: str, region: str = "us-east-1",
                        *, denied: bool = False) -> Any:
        """A plain botocore client for ``service`` in ``region``, signing with a user's key."""
        creds = self.denied_credentials if denied else self.credentials
        return _botocore_client(self.endpoint_url, service, region,
                                (creds.access_key_id, creds.secret_access_key))

    def create_snapshot(self, region: str, description: str = "sigv4kit test",
                        size: int = 1) -> Snapshot:
        """A volume and its snapshot in ``region``, made with botocore (moto completes
        snapshots at once)."""
        ec2 = self.botocore_client("ec2", region)
        volume = ec2.create_volume(AvailabilityZone=f"{region}a", Size=size)
        snap = ec2.create_snapshot(VolumeId=volume["VolumeId"], Description=description)
        return Snapshot(region, volume["VolumeId"], snap["SnapshotId"])


@functools.lru_cache(maxsize=32)
def _botocore_client(endpoint_url: str, service: str, region: str,
                     key: tuple[str, str]) -> Any:
    """Cached: building a client loads the service model (~0.5 s)."""
    return botocore.session.Session().create_client(
        service, region_name=region, endpoint_url=endpoint_url,
        aws_access_key_id=key[0], aws_secret_access_key=key[1], config=_BOTOCORE_CONFIG,
    )


@contextmanager
def moto_server_running() -> Iterator[MotoServer]:
    """Start the local endpoint; ``RuntimeError`` with the server's log if it cannot."""
    try:
        endpoint = LocalEndpoint(start_timeout=20).start()
    except LocalEndpointError as exc:
        raise RuntimeError(f"could not start moto server: {exc}") from None
    try:
        yield MotoServer(endpoint.endpoint_url, endpoint.credentials, endpoint.denied_credentials)
    finally:
        endpoint.stop()
