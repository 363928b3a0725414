"""``sigv4kit sign``: sign one HTTP request; print its headers, a curl command, or send it."""

from __future__ import annotations

import shlex
import sys

import click

from .common import (
    ServiceError,
    credential_options,
    debug_option,
    load_credentials,
    output_option,
    print_json,
    show_debug,
    signing_errors,
)
from .headers import parse_header
from .requestopts import read_data, signing_options, signing_scope, wire_url


@click.command(
    epilog="Example:\n\n\b\n  sigv4kit sign POST https://ec2.us-east-1.amazonaws.com/ --region "
    "us-east-1 --service ec2 --header 'Content-Type: application/x-www-form-urlencoded' "
    "--data 'Action=DescribeRegions&Version=2016-11-15' --send",
)
@click.argument("method")
@click.argument("url")
@click.option("--region", help="Signing Region (default: AWS_REGION or the profile's).")
@click.option("--service", required=True, help="Signing name of the service, e.g. ec2, s3.")
@click.option(
    "--header",
    "headers",
    multiple=True,
    metavar="'Name: value'",
    help="Request header, signed (repeatable).",
)
@click.option("--data", metavar="TEXT|@file|@-", help="Request body, as curl's --data-binary.")
@click.option("--s3", is_flag=True, help="S3 rules (path encoded once, X-Amz-Content-SHA256).")
@click.option("--unsigned-payload", is_flag=True, help="Sign UNSIGNED-PAYLOAD as the body hash.")
@click.option("--sigv4a", is_flag=True, help="Sign with SigV4a (ECDSA), for a region set.")
@click.option("--region-set", help="SigV4a region set, e.g. '*' or 'us-east-1,us-west-2'.")
@click.option("--timestamp", help="Signing time (ISO 8601); default now.")
@click.option("--curl", "as_curl", is_flag=True, help="Print a ready curl command instead.")
@click.option("--send", is_flag=True, help="Send it and print the response body.")
@click.option("-i", "--include", is_flag=True, help="With --send: print status and headers too.")
@click.option(
    "--timeout",
    type=float,
    default=30.0,
    show_default=True,
    help="With --send: seconds to wait for the server.",
)
@credential_options
@debug_option
@output_option
@signing_errors(
    {
        "region": "--region",
        "service": "--service",
        "url": "URL",
        "headers": "--header",
        "method": "METHOD",
        "timestamp": "--timestamp",
    }
)
def sign(
    method: str,
    url: str,
    region: str | None,
    service: str,
    headers: tuple[str, ...],
    data: str | None,
    s3: bool,
    unsigned_payload: bool,
    sigv4a: bool,
    region_set: str | None,
    timestamp: str | None,
    as_curl: bool,
    send: bool,
    include: bool,
    timeout: float,
    profile: str | None,
    access_key_id: str | None,
    secret_access_key_stdin: bool,
    debug: bool,
    output: str | None,
) -> None:
    """Sign METHOD URL with an Authorization header and print the headers to send.

    What awscurl does, done right: the URL is signed exactly as it will be sent.
    """
    from ..model import Request
    from ..signing import sign_request

    if as_curl and send:
        raise click.UsageError("--curl and --send exclude each other")
    if data == "@-" and secret_access_key_stdin:
        raise click.UsageError("--data @- and --secret-access-key-stdin both need stdin")
    method = method.upper()
    credentials = load_credentials(profile, access_key_id, secret_access_key_stdin)
    body, data_file = read_data(data)
    request = Request(method, wire_url(method, url), [parse_header(h) for h in headers], body)
    options = signing_options(s3=s3, unsigned_payload=unsigned_payload, presign=False)
    scope, algorithm = signing_scope(
        sigv4a=sigv4a, region=region, region_set=region_set, profile=profile
    )
    signed = sign_request(
        request, credentials, region=scope, service=service, timestamp=timestamp,
        algorithm=algorithm, **options,
    )
    if debug:
        show_debug(signed, credentials)
    out = signed.request
    if send:
        _send(out.method, out.url, out.headers, out.body, include, timeout)
    elif as_curl:
        parts = ["curl", "-sS", "-X", out.method, out.url]
        for name, value in out.headers:
            parts += ["-H", f"{name}: {value}"]
        if data is not None:
            source = f"@{data_file}" if data_file and data_file != "-" else None
            if source is None and b"\0" not in body:
                try:
                    source = body.decode("utf-8")
                except UnicodeDecodeError:
                    source = None
            if source is None:
                raise click.BadParameter(
                    "a binary body from stdin cannot go into a curl command; use @file",
                    param_hint="--data",
                )
            parts += ["--data-binary", source]
        click.echo(" ".join(shlex.quote(p) for p in parts))
    elif output == "json":
        print_json(
            {
                "method": out.method,
                "url": out.url,
                "headers": [list(h) for h in out.headers],
                "signed_headers": signed.signed_headers,
                "credential_scope": signed.credential_scope,
            }
        )
    else:
        click.echo(f"{out.method} {out.url}")
        for name, value in out.headers:
            click.echo(f"{name}: {value}")


def _send(
    method: str,
    url: str,
    headers: tuple[tuple[str, str], ...],
    body: bytes,
    include: bool,
    timeout: float,
) -> None:
    import requests

    try:
        response = requests.request(
            method, url, headers=dict(headers), data=body or None, timeout=timeout
        )
    except requests.exceptions.RequestException as exc:
        raise ServiceError(f"cannot reach {url.split('?')[0]}: {type(exc).__name__}") from None
    if include:
        click.echo(f"HTTP {response.status_code} {response.reason}")
        for name, value in response.headers.items():
            click.echo(f"{name}: {value}")
        click.echo("")
    sys.stdout.buffer.write(response.content)
    sys.stdout.flush()
    if response.status_code >= 400:
        raise ServiceError(f"the server answered HTTP {response.status_code}")
