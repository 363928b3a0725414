"""``sigv4kit demo``: CopySnapshot with an explicit PresignedUrl, end to end.

By default against a local EC2-compatible endpoint (moto's server on 127.0.0.1, signature
checking on) that it starts and stops; with ``--aws``, against real AWS with the credential
chain (it creates a 1 GiB volume and two snapshots, and deletes them unless ``--keep``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import click

from ..model import Credentials
from ..redact import redact_url
from .common import ServiceError, signing_errors


def _step(text: str) -> None:
    click.secho(f"\n==> {text}", bold=True)


def _show_url(url: str, expires_at: str) -> None:
    """The PresignedUrl decoded: what EC2 will replay, and the signature's scope and expiry."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    auth = {k: v for k, v in query if k.startswith("X-Amz-")}
    _, date, region, service, _ = auth["X-Amz-Credential"].split("/")
    click.echo(f"    endpoint    {parts.scheme}://{parts.netloc}{parts.path}")
    click.echo(f"    scope       date {date}, Region {region}, service {service}")
    click.echo(f"    signed      headers: {auth['X-Amz-SignedHeaders']}; parameters:")
    for k, v in query:
        if not k.startswith("X-Amz-"):
            click.echo(f"                  {k} = {v}")
    click.echo(
        f"    expires     {auth['X-Amz-Expires']} s after {auth['X-Amz-Date']} ({expires_at})"
    )
    click.echo(f"    url         {redact_url(url)}")


@contextlib.contextmanager
def _target(
    aws: bool, endpoint_url: str | None, profile: str | None
) -> Iterator[tuple[str | None, Credentials | None]]:
    if aws or endpoint_url:
        yield endpoint_url, None
        return
    from ..testing.local_endpoint import LocalEndpoint

    _step("Starting the local EC2-compatible endpoint (moto server, signature checking on)")
    with LocalEndpoint() as local:
        click.echo(f"    {local.endpoint_url}  access key {local.credentials.access_key_id}")
        yield local.endpoint_url, local.credentials
    _step("Local endpoint stopped")


def _wait_volume(client: Any, volume_id: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while True:
        volumes = client.call("DescribeVolumes", {"VolumeIds": [volume_id]}).get("Volumes") or []
        if volumes and volumes[0].get("State") == "available":
            return
        if time.monotonic() > deadline:
            raise ServiceError(f"volume {volume_id} did not become available in {timeout:g} s")
        time.sleep(2)


@click.command(
    epilog="Example:\n\n\b\n  sigv4kit demo                      # local endpoint\n"
    "  sigv4kit demo --aws --profile dev  # real AWS: creates, then deletes",
)
@click.option("--source-region", default="us-west-2", show_default=True)
@click.option("--destination-region", default="us-east-1", show_default=True)
@click.option("--endpoint-url", help="Use this EC2-compatible endpoint for both Regions.")
@click.option("--aws", is_flag=True, help="Run against real AWS with the credential chain.")
@click.option("--profile", help="AWS profile (with --aws).")
@click.option("--keep", is_flag=True, help="With --aws: keep the volume and snapshots.")
@click.option(
    "--timeout",
    type=float,
    default=1800,
    show_default=True,
    help="Seconds to wait for each snapshot.",
)
@signing_errors({"region": "--source-region/--destination-region"})
def demo(
    source_region: str,
    destination_region: str,
    endpoint_url: str | None,
    aws: bool,
    profile: str | None,
    keep: bool,
    timeout: float,
) -> None:
    """Copy a snapshot across Regions with a PresignedUrl built and checked by sigv4kit."""
    from ..ec2 import ApiError, Client, presign_copy_snapshot

    with _target(aws, endpoint_url, profile) as (endpoint, creds):
        if creds is None:
            from ..aws.credentials import resolve_credentials

            creds = resolve_credentials(profile)
        src = Client(source_region, creds, endpoint_url=endpoint)
        dst = Client(destination_region, creds, endpoint_url=endpoint)
        created: list[tuple[Client, str, str]] = []
        try:
            _step(f"CreateVolume in {source_region}")
            volume = src.call(
                "CreateVolume",
                {
                    "AvailabilityZone": f"{source_region}a",
                    "Size": 1,
                    "VolumeType": "gp3",
                    "TagSpecifications": [
                        {
                            "ResourceType": "volume",
                            "Tags": [{"Key": "created-by", "Value": "sigv4kit-demo"}],
                        }
                    ],
                },
            )
            volume_id = volume["VolumeId"]
            created.append((src, "DeleteVolume", volume_id))
            click.echo(f"    {volume_id} ({volume['Size']} GiB, {volume['AvailabilityZone']})")
            _wait_volume(src, volume_id)

            _step(f"CreateSnapshot in {source_region}")
            snap = src.create_snapshot(VolumeId=volume_id, Description="sigv4kit demo source")
            created.append((src, "DeleteSnapshot", snap["SnapshotId"]))
            src.wait_for_snapshot(snap["SnapshotId"], timeout=timeout)
            click.echo(f"    {snap['SnapshotId']} completed")

            description = f"sigv4kit demo copy of {snap['SnapshotId']}"
            _step("Building the PresignedUrl (GET on the source Region, signed for ec2 there)")
            presigned = presign_copy_snapshot(
                creds,
                source_region=source_region,
                source_snapshot_id=snap["SnapshotId"],
                destination_region=destination_region,
                source_endpoint_url=endpoint,
                extra_params={"Description": description},
            )
            issued = datetime.strptime(presigned.timestamp, "%Y%m%dT%H%M%SZ")
            expires_at = issued + timedelta(seconds=presigned.expires)
            _show_url(presigned.url, f"{expires_at:%Y-%m-%d %H:%M:%S} UTC")

            _step("Checking the PresignedUrl offline, as EC2 will when the copy runs")
            from ..diagnose.explain import explain_request
            from ..verify import verify_presigned_url
            from ..wire import parse_url_request

            check = verify_presigned_url(
                presigned.url, lambda key: creds if key == creds.access_key_id else None
            )
            warnings = explain_request(parse_url_request(presigned.url)).warnings
            click.echo(f"    signature   {'valid' if check.valid else check.reason}: "
                       f"{check.message}")
            for warning in warnings:
                click.echo(f"    warning     {warning.code}: {warning.message}")
            if not check.valid or warnings:
                raise ServiceError("the PresignedUrl would fail; not sending CopySnapshot")

            _step(f"CopySnapshot sent to {destination_region}, exactly these parameters")
            params = {
                "SourceRegion": source_region,
                "SourceSnapshotId": snap["SnapshotId"],
                "Description": description,
                "PresignedUrl": presigned.url,
                "DestinationRegion": destination_region,
            }
            for k in params:
                click.echo(f"    {k}")
            copy = dst.copy_snapshot(**params)
            created.append((dst, "DeleteSnapshot", copy["SnapshotId"]))
            request_id = copy["ResponseMetadata"].get("RequestId")
            click.echo(f"    -> {copy['SnapshotId']} (request {request_id})")

            _step("Waiting for the copy to complete")
            done = dst.wait_for_snapshot(copy["SnapshotId"], timeout=timeout)
            click.echo(
                f"    {done['SnapshotId']}  state={done['State']}  "
                f"size={done.get('VolumeSize')} GiB"
            )
            click.echo(f"    description={done.get('Description')!r}")
            click.secho("\nCopySnapshot with an explicit, verified PresignedUrl: done.", fg="green")
        except ApiError as err:
            raise ServiceError(f"{err} (request id {err.request_id})") from None
        finally:
            if aws and not keep:
                for client, action, resource_id in reversed(created):
                    key = "VolumeId" if action == "DeleteVolume" else "SnapshotId"
                    with contextlib.suppress(ApiError):
                        client.call(action, {key: resource_id})
