"""``sigv4kit ec2``: EC2 Query API calls, sent exactly as given; JSON on stdout."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

from .common import (
    InputError,
    ServiceError,
    credential_options,
    debug_option,
    load_credentials,
    load_region,
    print_json,
    show_debug,
    signing_errors,
)
from .requestopts import copy_snapshot_extra, tag_specifications

F = TypeVar("F", bound=Callable[..., Any])
_EX = "Example:\n\n\b\n  "  # \b: click must not re-wrap the example

_FIELDS = {
    "region": "--region",
    "endpoint_url": "--endpoint-url",
    "DestinationRegion": "--destination-region",
    "PresignedUrl": "--presigned-url",
    "source_region": "--source-region",
    "source_snapshot_id": "--source-snapshot-id",
    "destination_region": "--destination-region",
    "expires": "--expires",
}


def client_options(f: F) -> F:
    f = click.option("--dry-run", is_flag=True, help="Ask EC2 whether the call is permitted.")(f)
    f = click.option("--endpoint-url", help="EC2-compatible endpoint to use.")(f)
    f = click.option("--region", help="Region to call (default: AWS_REGION or the profile's).")(f)
    f = debug_option(f)
    return credential_options(f)


def _run(
    action: str, params: dict[str, Any], opts: dict[str, Any], credentials: Any = None
) -> None:
    """Build the client, send, print JSON; map every failure to the documented exit code."""
    import requests

    from ..ec2 import ApiError, Client

    if opts.get("dry_run"):
        params["DryRun"] = True
    profile = opts.get("profile")
    region = load_region(opts.get("region"), profile)
    if credentials is None:
        credentials = load_credentials(
            profile, opts.get("access_key_id"), bool(opts.get("secret_access_key_stdin"))
        )
    client = Client(region, credentials, endpoint_url=opts.get("endpoint_url"),
                    max_attempts=_max_attempts())
    if opts.get("debug"):
        client.on_signed = show_debug
    try:
        result = client.call(action, params)
    except ApiError as err:
        if err.is_dry_run_success:
            print_json({"DryRun": "permitted", "Message": err.message,
                        "RequestId": err.request_id})
            return
        lines = [f"{err.code}: {err.message} (request id {err.request_id or 'unknown'})"]
        if err.code in ("AuthFailure", "SignatureDoesNotMatch", "IncompleteSignature"):
            lines.append(
                "EC2 does not say what it expected: rerun with --debug to see our canonical "
                "request and string to sign, check the clock, Region and secret key, and "
                "`sigv4kit explain`/`sigv4kit verify` a signed request offline."
            )
        raise ServiceError("\n".join(lines)) from None
    except requests.exceptions.RequestException as exc:
        raise ServiceError(
            f"cannot reach {client.endpoint_url}: {type(exc).__name__}"
        ) from None
    finally:
        client.close()
    print_json(result)


def _max_attempts() -> int:
    """``AWS_MAX_ATTEMPTS``, as botocore and the AWS CLI read it; 5 otherwise."""
    import os

    value = os.environ.get("AWS_MAX_ATTEMPTS", "")
    if not value:
        return 5
    if not value.isdigit() or int(value) < 1:
        raise InputError(f"AWS_MAX_ATTEMPTS: must be a whole number >= 1, got {value!r}")
    return int(value)



@click.group()
def ec2() -> None:
    """EC2 Query API calls, sent exactly as given (nothing is auto-filled)."""


@ec2.command(
    "copy-snapshot",
    epilog=_EX + "sigv4kit ec2 copy-snapshot --region us-east-1 --source-region us-west-2 "
    "--source-snapshot-id snap-066877671789bd71b --destination-region us-east-1",
)
@click.option("--source-region", required=True)
@click.option("--source-snapshot-id", required=True)
@click.option("--destination-region", help="Sent as DestinationRegion (must equal --region).")
@click.option("--presigned-url", help="PresignedUrl to send as is.")
@click.option("--no-presigned-url", is_flag=True, help="Send no PresignedUrl at all.")
@click.option("--expires", type=int, default=3600, show_default=True,
              help="Validity of the PresignedUrl built when --presigned-url is not given.")
@click.option("--source-endpoint-url", help="Source endpoint for the built PresignedUrl.")
@click.option("--description")
@click.option("--encrypted", is_flag=True, default=None)
@click.option("--kms-key-id")
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE")
@client_options
@signing_errors(_FIELDS)
def copy_snapshot(source_region: str, source_snapshot_id: str, destination_region: str | None,
                  presigned_url: str | None, no_presigned_url: bool, expires: int,
                  source_endpoint_url: str | None, description: str | None,
                  encrypted: bool | None, kms_key_id: str | None, tags: tuple[str, ...],
                  **opts: Any) -> None:
    """CopySnapshot, sent to --region (the destination).

    Without --presigned-url a PresignedUrl is built explicitly for these parameters (shown
    under --debug); --no-presigned-url sends none.
    """
    from ..ec2.client import check_presigned_url_matches
    from ..ec2.presigned import presign_copy_snapshot

    if presigned_url and no_presigned_url:
        raise click.UsageError("--presigned-url and --no-presigned-url exclude each other")
    region = load_region(opts.get("region"), opts.get("profile"))
    opts["region"] = region
    params: dict[str, Any] = {"SourceRegion": source_region, "SourceSnapshotId": source_snapshot_id}
    extra = copy_snapshot_extra(description, encrypted, kms_key_id, tags)
    params.update(extra)
    if destination_region is not None:
        if destination_region != region:
            raise click.BadParameter(
                f"{destination_region!r} differs from --region {region!r}; CopySnapshot goes "
                "to the destination Region", param_hint="--destination-region")
        params["DestinationRegion"] = destination_region
    if presigned_url:
        check_presigned_url_matches(presigned_url, params, region)
        params["PresignedUrl"] = presigned_url
    credentials = load_credentials(opts.get("profile"), opts.get("access_key_id"),
                                   bool(opts.get("secret_access_key_stdin")))
    if not presigned_url and not no_presigned_url:
        # A custom --endpoint-url (local or private) serves the source Region too.
        built = presign_copy_snapshot(
            credentials, source_region=source_region, source_snapshot_id=source_snapshot_id,
            destination_region=region, expires=expires,
            source_endpoint_url=source_endpoint_url or opts.get("endpoint_url"),
            extra_params=extra,
        )
        if opts.get("debug"):
            click.echo("==== the PresignedUrl built for this call ====", err=True)
            show_debug(built, credentials)
            click.echo(built.url, err=True)
        params["PresignedUrl"] = built.url
    _run("CopySnapshot", params, opts, credentials)


@ec2.command("create-snapshot", epilog=_EX + "sigv4kit ec2 create-snapshot --region "
             "us-west-2 --volume-id vol-0123456789abcdef0 --description nightly")
@click.option("--volume-id", required=True)
@click.option("--description")
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE")
@client_options
@signing_errors(_FIELDS)
def create_snapshot(volume_id: str, description: str | None, tags: tuple[str, ...],
                    **opts: Any) -> None:
    """CreateSnapshot of a volume."""
    params: dict[str, Any] = {"VolumeId": volume_id}
    if description is not None:
        params["Description"] = description
    if tags:
        params["TagSpecifications"] = tag_specifications("snapshot", tags)
    _run("CreateSnapshot", params, opts)


@ec2.command("describe-snapshots", epilog=_EX + "sigv4kit ec2 describe-snapshots "
             "--region us-east-1 --snapshot-id snap-066877671789bd71b")
@click.option("--snapshot-id", "snapshot_ids", multiple=True)
@click.option("--owner-id", "owner_ids", multiple=True, help="e.g. self")
@click.option("--filter", "filters", multiple=True, metavar="NAME=V1,V2",
              help="e.g. status=completed,pending (repeatable)")
@click.option("--max-results", type=int)
@click.option("--next-token")
@client_options
@signing_errors(_FIELDS)
def describe_snapshots(snapshot_ids: tuple[str, ...], owner_ids: tuple[str, ...],
                       filters: tuple[str, ...], max_results: int | None,
                       next_token: str | None, **opts: Any) -> None:
    """DescribeSnapshots."""
    params: dict[str, Any] = {}
    if snapshot_ids:
        params["SnapshotIds"] = list(snapshot_ids)
    if owner_ids:
        params["OwnerIds"] = list(owner_ids)
    if filters:
        parsed = []
        for spec in filters:
            name, sep, values = spec.partition("=")
            if not sep or not name:
                raise click.BadParameter(f"{spec!r} is not NAME=V1,V2", param_hint="--filter")
            parsed.append({"Name": name, "Values": values.split(",")})
        params["Filters"] = parsed
    if max_results is not None:
        params["MaxResults"] = max_results
    if next_token:
        params["NextToken"] = next_token
    _run("DescribeSnapshots", params, opts)


@ec2.command("import-snapshot", epilog=_EX + "sigv4kit ec2 import-snapshot --region "
             "us-east-1 --s3-bucket my-bucket --s3-key disks/disk.vmdk --format VMDK")
@click.option("--s3-bucket", required=True)
@click.option("--s3-key", required=True)
@click.option("--format", "disk_format", help="VMDK, VHD, VHDX or RAW")
@click.option("--description")
@click.option("--client-token", help="Idempotency token (generated when absent).")
@click.option("--role-name")
@client_options
@signing_errors(_FIELDS)
def import_snapshot(s3_bucket: str, s3_key: str, disk_format: str | None,
                    description: str | None, client_token: str | None,
                    role_name: str | None, **opts: Any) -> None:
    """ImportSnapshot from a disk image in S3."""
    container: dict[str, Any] = {"UserBucket": {"S3Bucket": s3_bucket, "S3Key": s3_key}}
    if disk_format:
        container["Format"] = disk_format
    params: dict[str, Any] = {"DiskContainer": container}
    if description is not None:
        params["Description"] = description
    if client_token:
        params["ClientToken"] = client_token
    if role_name:
        params["RoleName"] = role_name
    _run("ImportSnapshot", params, opts)


@ec2.command("call", epilog=_EX + "sigv4kit ec2 call DescribeVolumes --region us-east-1 "
             "--param 'VolumeIds=[\"vol-0123456789abcdef0\"]' --param MaxResults=5")
@click.argument("action")
@click.option("--param", "raw_params", multiple=True, metavar="NAME=VALUE",
              help="A top-level parameter; VALUE is JSON for lists, structures, numbers and "
              "booleans, else a string (repeatable).")
@client_options
@signing_errors(_FIELDS)
def call(action: str, raw_params: tuple[str, ...], **opts: Any) -> None:
    """Any EC2 action, parameters shaped as in boto3."""
    params: dict[str, Any] = {}
    for spec in raw_params:
        name, sep, value = spec.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{spec!r} is not NAME=VALUE", param_hint="--param")
        params[name] = _param_value(action, name, value)
    _run(action, params, opts)


def _param_value(action: str, name: str, value: str) -> Any:
    """JSON where the model wants a list, structure, number or boolean; else the text."""
    from ..ec2.model import member_type

    kind = member_type(action, name)
    if kind in (None, "string", "timestamp", "blob"):
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise click.BadParameter(
            f"{name} is a {kind}; give it as JSON (e.g. {_EXAMPLES.get(kind, '...')})",
            param_hint="--param",
        ) from None


_EXAMPLES = {"list": '["a","b"]', "structure": '{"Key":"v"}', "integer": "5",
             "boolean": "true", "long": "5", "float": "1.5", "double": "1.5"}
