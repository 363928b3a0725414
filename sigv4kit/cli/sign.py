"""``sigv4kit sign``: sign one HTTP request; print its headers, a curl command, or send it."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterable, Iterator

import click

from ..errors import SigningError
from ..model import Request
from .common import (
    Seconds,
    ServiceError,
    credential_options,
    debug_option,
    load_credentials,
    network_options,
    output_option,
    print_json,
    scrubbed_stream,
    scrubber,
    show_debug,
    signing_errors,
)
from .headers import parse_header
from .requestopts import read_data, signing_options, signing_scope, wire_url
from .terminal import escape_data, escape_message, is_terminal

__all__ = ["sign"]


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
@click.option("--s3", is_flag=True, help="S3 rules (path encoded once, X-Amz-Content-SHA256) "
              "for any --service; an S3 service (s3, s3express, …) gets them without it.")
@click.option("--unsigned-payload", is_flag=True, help="Sign UNSIGNED-PAYLOAD as the body hash.")
@click.option("--sigv4a", is_flag=True, help="Sign with SigV4a (ECDSA), for a region set.")
@click.option("--region-set", help="SigV4a region set, e.g. '*' or 'us-east-1,us-west-2'.")
@click.option("--timestamp", help="Signing time (ISO 8601); default now.")
@click.option("--curl", "as_curl", is_flag=True, help="Print a ready curl command instead.")
@click.option("--send", is_flag=True, help="Send it and print the response body.")
@click.option("-i", "--include", is_flag=True, help="With --send: print status and headers too.")
@click.option(
    "--timeout",
    type=Seconds(zero_means_none=False),
    default="30",
    show_default=True,
    help="With --send: the deadline, in seconds, for the whole exchange (connect, send and "
    "the complete answer).",
)
@network_options
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
    cli_connect_timeout: float | None,
    cli_read_timeout: float | None,
    profile: str | None,
    access_key_id: str | None,
    secret_access_key_stdin: bool,
    debug: bool,
    output: str | None,
) -> None:
    """Sign METHOD URL with an Authorization header and print the headers to send.

    What awscurl does, done right: the URL is signed exactly as it will be sent, with
    --send exactly these headers go (repeated ones joined with ',', as signed), redirects are
    never followed (one to another host is an error naming it) and the answer is streamed,
    with any credential the server echoes back redacted, as in every command's output.
    """
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
    try:
        signed = sign_request(
            request, credentials, region=scope, service=service, timestamp=timestamp,
            algorithm=algorithm, **options,
        )
    except SigningError as exc:
        if exc.field == "region" and sigv4a and region_set:
            raise click.BadParameter(str(exc).partition(": ")[2],
                                     param_hint="--region-set") from None
        raise
    if debug:
        show_debug(signed, credentials)
    out = signed.request
    if send:
        _send(out, include, deadline=timeout, connect_timeout=cli_connect_timeout,
              read_timeout=cli_read_timeout)
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


def _for_terminal(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """The body for a terminal: control and bidi characters escaped
    (``terminal.escape_message``), so a server cannot move the cursor or retitle the window;
    a pipe or a file gets the bytes as sent. UTF-8 cut between pieces is decoded whole."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")("backslashreplace")
    for piece in pieces:
        yield escape_message(decoder.decode(piece)).encode("utf-8", "backslashreplace")
    yield escape_message(decoder.decode(b"", final=True)).encode("utf-8", "backslashreplace")


def _send(
    request: Request,
    include: bool,
    *,
    deadline: float,
    connect_timeout: float | None,
    read_timeout: float | None,
) -> None:
    """Send through ``sigv4kit.transport`` and stream the answer's body to stdout."""
    from ..transport import RedirectRefused, Transport, TransportError

    transport = Transport(connect_timeout=connect_timeout, read_timeout=read_timeout,
                          deadline=deadline, accept_encoding="identity")
    out = sys.stdout.buffer
    terminal = is_terminal(sys.stdout)
    scrub = scrubber()
    try:
        with transport, transport.send(request) as response:
            if include:
                click.echo(escape_data(scrub(f"HTTP {response.status} {response.reason}")))
                for name, value in response.headers:
                    click.echo(f"{escape_data(scrub(name))}: {escape_data(scrub(value))}")
                click.echo("")
            sys.stdout.flush()
            body = scrubbed_stream(response.iter_body())
            for piece in _for_terminal(body) if terminal else body:
                out.write(piece)
            out.flush()
    except (TransportError, RedirectRefused) as exc:
        raise ServiceError(str(exc)) from None
    except SigningError as exc:
        raise click.BadParameter(str(exc).partition(": ")[2] or str(exc),
                                 param_hint="--header" if exc.field == "headers" else "URL"
                                 ) from None
    if response.status >= 400 or (300 <= response.status < 400 and response.status != 304):
        raise ServiceError(f"the server answered HTTP {response.status}"
                           + (" (a redirect, not followed)" if response.status < 400 else ""))
