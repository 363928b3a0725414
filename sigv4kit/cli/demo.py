"""``sigv4kit demo``: CopySnapshot with an explicit PresignedUrl, end to end.

By default against a local EC2-compatible endpoint (moto's server on 127.0.0.1, signature
checking on) that it starts and stops; with ``--aws``, against real AWS with the credential
chain (it creates a 1 GiB volume and two snapshots, and deletes them unless ``--keep``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import click

from ..errors import SigningError
from ..model import Credentials
from ..redact import redact_url
from .common import ServiceError, clean_message, signing_errors

CredentialSource = Credentials | Callable[[], Credentials]


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


def _describe(exc: BaseException) -> str:
    """One line for any failure the demo can meet, never a traceback."""
    from ..ec2 import ApiError, SnapshotStateError

    if isinstance(exc, ApiError):
        text = f"{exc} (request id {exc.request_id or 'unknown'})"
    elif isinstance(exc, SnapshotStateError):
        text = (f"{exc}. EC2 accepted the call and failed the copy later: that is how a bad "
                "PresignedUrl shows itself (check it with `sigv4kit explain`)")
    elif isinstance(exc, KeyError | IndexError | TypeError):
        text = f"an answer lacked what the demo needs ({type(exc).__name__}: {exc})"
    elif isinstance(exc, click.ClickException):
        text = exc.format_message()
    else:
        text = str(exc) or type(exc).__name__
    return clean_message(text)


def _cleanup(created: list[tuple[Any, str, str]]) -> list[str]:
    """Delete every resource made, newest first, whatever fails; one message per failure."""
    problems = []
    for client, action, resource_id in reversed(created):
        key = "VolumeId" if action == "DeleteVolume" else "SnapshotId"
        try:
            client.call(action, {key: resource_id})
            click.echo(f"    {action} {resource_id}")
        except Exception as exc:
            problems.append(f"{action} {resource_id} failed: {_describe(exc)}; delete it by hand")
    return problems


def _credential_source(profile: str | None) -> CredentialSource:
    """The chain's credentials as a provider the clients call before each request, so SSO or
    assume-role credentials are refreshed during a long wait."""
    from ..aws.credentials import chain_credentials
    from .common import remembered

    return remembered(chain_credentials(profile))


def _now(source: CredentialSource) -> Credentials:
    return source if isinstance(source, Credentials) else source()


@click.command(
    epilog="Example:\n\n\b\n  sigv4kit demo                      # local endpoint\n"
    "  sigv4kit demo --aws --profile dev  # real AWS: creates, then deletes",
)
@click.option("--source-region", default="us-west-2", show_default=True)
@click.option("--destination-region", default="us-east-1", show_default=True)
@click.option("--endpoint-url", help="Use this EC2-compatible endpoint for both Regions.")
@click.option("--aws", is_flag=True, help="Run against real AWS with the credential chain.")
@click.option("--profile", help="AWS profile (with --aws).")
@click.option("--keep", is_flag=True,
              help="With --aws or --endpoint-url: keep the volume and snapshots.")
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
    """Copy a snapshot across Regions with a PresignedUrl built and checked by sigv4kit.

    Every resource it creates on a real or given endpoint is deleted at the end, even when a
    step fails (unless --keep); each deletion that fails is reported, and the first failure is
    the one the command ends with.
    """
    from ..ec2 import Client
    from ..transport import check_timeout

    try:
        check_timeout(timeout, "timeout", zero_means_none=False)
    except SigningError as exc:
        raise click.BadParameter(str(exc).partition(": ")[2], param_hint="--timeout") from None
    with _target(aws, endpoint_url, profile) as (endpoint, local_creds):
        source: CredentialSource = (local_creds if local_creds is not None
                                    else _credential_source(profile))
        src = Client(source_region, source, endpoint_url=endpoint)
        dst = Client(destination_region, source, endpoint_url=endpoint)
        created: list[tuple[Client, str, str]] = []
        failure: str | None = None
        try:
            _copy(src, dst, source, created, source_region=source_region,
                  destination_region=destination_region, endpoint=endpoint, timeout=timeout)
        except Exception as exc:
            failure = _describe(exc)
        finally:
            problems: list[str] = []
            if created and not keep and local_creds is None:
                _step("Cleaning up")
                problems = _cleanup(created)
            for client in (src, dst):
                with contextlib.suppress(Exception):
                    client.close()
            for problem in problems:
                click.echo(f"Cleanup: {problem}", err=True)
        if failure is not None:
            raise ServiceError(failure)
        if problems:
            raise ServiceError(f"{len(problems)} resource(s) could not be deleted (see above)")


def _copy(src: Any, dst: Any, source: CredentialSource, created: list[tuple[Any, str, str]],
          *, source_region: str, destination_region: str, endpoint: str | None,
          timeout: float) -> None:
    """The demo's steps; every resource made is appended to ``created`` at once."""
    from ..ec2 import presign_copy_snapshot

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
    click.echo(f"    {volume_id} ({volume.get('Size')} GiB, {volume.get('AvailabilityZone')})")
    _wait_volume(src, volume_id)

    _step(f"CreateSnapshot in {source_region}")
    snap = src.create_snapshot(VolumeId=volume_id, Description="sigv4kit demo source")
    created.append((src, "DeleteSnapshot", snap["SnapshotId"]))
    src.wait_for_snapshot(snap["SnapshotId"], timeout=timeout)
    click.echo(f"    {snap['SnapshotId']} completed")

    description = f"sigv4kit demo copy of {snap['SnapshotId']}"
    _step("Building the PresignedUrl (GET on the source Region, signed for ec2 there)")
    creds = _now(source)  # fresh: a long wait may have outlived the first credentials
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
    click.echo(f"    signature   {'valid' if check.valid else check.reason}: {check.message}")
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
        f"    {done['SnapshotId']}  state={done['State']}  size={done.get('VolumeSize')} GiB"
    )
    click.echo(f"    description={done.get('Description')!r}")
    click.secho("\nCopySnapshot with an explicit, verified PresignedUrl: done.", fg="green")
