"""``sigv4kit presign``: presigned URLs. Needs neither requests nor (with environment
credentials) botocore, so it starts fast."""

from __future__ import annotations

from typing import Any

import click

from ..model import Credentials, PresignedRequest
from .common import (
    InputError,
    credential_options,
    debug_option,
    load_credentials,
    output_option,
    print_json,
    show_debug,
    signing_errors,
)
from .headers import parse_header
from .modelopts import (
    ModelCommand,
    list_option_names,
    missing_required,
    model_options,
    model_params,
)
from .requestopts import signing_options, signing_scope, tag_specifications

__all__ = ["presign"]

_COPY_FIELDS = {
    "source_region": "--source-region",
    "source_snapshot_id": "--source-snapshot-id",
    "destination_region": "--destination-region",
    "expires": "--expires",
    "timestamp": "--timestamp",
    "source_endpoint_url": "--source-endpoint-url",
    "Encrypted": "--encrypted/--no-encrypted",
    "KmsKeyId": "--kms-key-id",
    "Description": "--description",
    "Tags": "--tag",
    "extra_params": "--source-snapshot-id",
    "access_key_id": "--access-key-id",
    "secret_access_key": "--secret-access-key-stdin",
}


def _warn_if_outlives_credentials(result: PresignedRequest, credentials: Credentials) -> None:
    """Temporary credentials end a presigned URL's life early, whatever X-Amz-Expires says."""
    if credentials.expiration is None:
        return
    from datetime import UTC, datetime, timedelta

    issued = datetime.strptime(result.timestamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    valid_until = issued + timedelta(seconds=result.expires)
    if valid_until > credentials.expiration:
        click.echo(
            f"Warning: the URL is valid until {valid_until:%Y-%m-%dT%H:%M:%SZ} but the "
            f"credentials that signed it expire at "
            f"{credentials.expiration.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}; AWS rejects it "
            "from then on.",
            err=True,
        )


@click.group()
def presign() -> None:
    """Make presigned URLs."""



_COPY_HELP = {
    "DestinationRegion": "Region the copy is made in (the Region CopySnapshot is sent to).",
    "SourceSnapshotId": "snap-… id in the source Region; '-' reads one id per line from "
    "standard input and prints one URL per line.",
}


@presign.command(
    "copy-snapshot",
    cls=ModelCommand,
    list_options=list_option_names("CopySnapshot"),
    epilog="Examples:\n\n\b\n  URL=$(sigv4kit presign copy-snapshot --source-region us-west-2 "
    "--source-snapshot-id snap-066877671789bd71b --destination-region us-east-1)\n"
    "  sigv4kit presign copy-snapshot --source-region us-west-2 --destination-region "
    "us-east-1 --source-snapshot-id - < ids.txt > urls.txt",
)
@model_options("CopySnapshot", skip=("PresignedUrl",), help_overrides=_COPY_HELP)
@click.option("--expires", type=int, default=3600, show_default=True, help="Seconds, 1..604800.")
@click.option("--source-endpoint-url",
              help="Source endpoint the URL is for (default: the configured EC2 endpoint, "
              "as aws finds it: AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL, the profile's "
              "services section or endpoint_url, unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS; "
              "else the source Region's public endpoint).")
@click.option(
    "--tag", "tags", multiple=True, metavar="KEY=VALUE",
    help="Shortcut: tag the copy (repeatable; or --tag-specifications).",
)
@click.option("--timestamp", help="Signing time (ISO 8601); default now.")
@credential_options
@debug_option
@output_option
@signing_errors(_COPY_FIELDS)
def copy_snapshot(
    expires: int,
    source_endpoint_url: str | None,
    tags: tuple[str, ...],
    timestamp: str | None,
    profile: str | None,
    access_key_id: str | None,
    secret_access_key_stdin: bool,
    debug: bool,
    output: str | None,
    **members: Any,
) -> None:
    """Print the PresignedUrl for an EC2 CopySnapshot, alone on stdout.

    The URL is a GET on the source Region's endpoint, SigV4 query-signed for ec2 in the source
    Region. It takes the options of `sigv4kit ec2 copy-snapshot` (the AWS CLI's names): pass
    the same ones as the CopySnapshot call, since EC2 replays the URL with them.
    """
    params = model_params("CopySnapshot", members, skip=("PresignedUrl",))
    if tags:
        if "TagSpecifications" in params:
            raise click.UsageError("--tag and --tag-specifications exclude each other")
        params["TagSpecifications"] = tag_specifications("snapshot", tags)
    missing_required("CopySnapshot", params, also=("DestinationRegion",))
    source_region = params.pop("SourceRegion")
    snapshot_id = params.pop("SourceSnapshotId")
    destination_region = params.pop("DestinationRegion")
    if snapshot_id == "-" and secret_access_key_stdin:
        raise click.UsageError(
            "--source-snapshot-id - and --secret-access-key-stdin both read standard input")
    if snapshot_id == "-" and output == "json":
        raise click.UsageError("--source-snapshot-id - prints one URL per line, not --output "
                               "json")
    credentials = load_credentials(profile, access_key_id, secret_access_key_stdin)
    if not source_endpoint_url:  # the endpoint `aws ec2 copy-snapshot` would sign it for
        from .awsconfig import endpoint_for

        source_endpoint_url = endpoint_for({"profile": profile})[0]
    if snapshot_id == "-":
        from .bulk import presign_lines

        failed = presign_lines(
            credentials, source_region=source_region, destination_region=destination_region,
            expires=expires, timestamp=timestamp, source_endpoint_url=source_endpoint_url,
            extra_params=params,
            on_template=lambda first: _warn_if_outlives_credentials(first, credentials))
        if failed:
            raise InputError(f"{failed} line(s) of standard input had no valid snapshot id")
        return

    from ..ec2.presigned import presign_copy_snapshot

    result = presign_copy_snapshot(
        credentials,
        source_region=source_region,
        source_snapshot_id=snapshot_id,
        destination_region=destination_region,
        expires=expires,
        timestamp=timestamp,
        source_endpoint_url=source_endpoint_url,
        extra_params=params,
    )
    _warn_if_outlives_credentials(result, credentials)
    if debug:
        show_debug(result, credentials)
    if output == "json":
        print_json(
            {
                "url": result.url,
                "expires": result.expires,
                "timestamp": result.timestamp,
                "credential_scope": result.credential_scope,
            }
        )
    else:
        click.echo(result.url)


@presign.command(
    "url",
    epilog="Example:\n\n\b\n  sigv4kit presign url 'https://bucket.s3.us-east-1.amazonaws.com/key' "
    "--region us-east-1 --service s3 --expires 600",
)
@click.argument("url")
@click.option("--region", help="Signing Region (default: AWS_REGION or the profile's).")
@click.option("--service", required=True, help="Signing name of the service, e.g. s3, ec2.")
@click.option("--method", default="GET", show_default=True, help="HTTP method the URL is for.")
@click.option("--expires", type=int, default=3600, show_default=True, help="Seconds, 1..604800.")
@click.option(
    "--header",
    "headers",
    multiple=True,
    metavar="'Name: value'",
    help="Header the caller will send, signed (repeatable).",
)
@click.option(
    "--s3", is_flag=True, help="S3 rules (path encoded once, not normalised, UNSIGNED-PAYLOAD) "
    "for any --service; an S3 service (s3, s3express, …) gets them without it."
)
@click.option("--unsigned-payload", is_flag=True, help="Sign UNSIGNED-PAYLOAD as the body hash.")
@click.option("--sigv4a", is_flag=True, help="Sign with SigV4a (ECDSA), for a region set.")
@click.option("--region-set", help="SigV4a region set, e.g. '*' or 'us-east-1,us-west-2'.")
@click.option("--timestamp", help="Signing time (ISO 8601); default now.")
@credential_options
@debug_option
@output_option
@signing_errors(
    {
        "expires": "--expires",
        "region": "--region",
        "service": "--service",
        "url": "URL",
        "headers": "--header",
        "method": "--method",
        "timestamp": "--timestamp",
    }
)
def url(
    url: str,
    region: str | None,
    service: str,
    method: str,
    expires: int,
    headers: tuple[str, ...],
    s3: bool,
    unsigned_payload: bool,
    sigv4a: bool,
    region_set: str | None,
    timestamp: str | None,
    profile: str | None,
    access_key_id: str | None,
    secret_access_key_stdin: bool,
    debug: bool,
    output: str | None,
) -> None:
    """Presign any URL for any service and print it alone on stdout."""
    from ..model import Request
    from ..signing import presign as presign_request

    options = signing_options(s3=s3, unsigned_payload=unsigned_payload, presign=True)
    scope, algorithm = signing_scope(
        sigv4a=sigv4a, region=region, region_set=region_set, profile=profile
    )
    request = Request(method.upper(), url, [parse_header(h) for h in headers])
    credentials = load_credentials(profile, access_key_id, secret_access_key_stdin)
    result = presign_request(
        request, credentials, region=scope, service=service, expires=expires,
        timestamp=timestamp, algorithm=algorithm, **options,
    )
    _warn_if_outlives_credentials(result, credentials)
    if debug:
        show_debug(result, credentials)
    if output == "json":
        print_json(
            {
                "url": result.url,
                "method": result.method,
                "headers": dict(result.headers),
                "expires": result.expires,
                "credential_scope": result.credential_scope,
            }
        )
    else:
        click.echo(result.url)


from . import presign_post as _post  # noqa: E402,F401  (registers `presign post`)
