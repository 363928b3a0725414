"""``sigv4kit explain | verify | diff``: find out why a signature was rejected.

Exit codes: 0 valid / nothing to report / identical, 1 invalid / warnings / different,
2 bad input. Colour only on a terminal.
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from typing import Any

import click

from ..errors import SigningError
from ..model import Credentials, Request
from .common import (
    InputError,
    clean_message,
    credential_options,
    load_credentials,
    load_region,
    output_option,
    print_json,
    signing_errors,
    use_colour,
)
from .headers import parse_header
from .rawinput import LargeRequest, explain_large, open_raw, verify_large

_FIELDS = {"now": "--now", "url": "REQUEST", "headers": "--header", "method": "--method"}


def read_limited(source: str, limit: int, param_hint: str) -> bytes:
    """``@file`` or ``@-`` (``-`` for stdin; a regular file otherwise), read no further than
    ``limit`` bytes: ``@/dev/zero`` or ``yes |`` must not fill memory before the limit is
    checked, nor a FIFO block (``inputfile.read_limited``)."""
    from .inputfile import InputFileError
    from .inputfile import read_limited as read

    try:
        return read(source, limit)
    except InputFileError as exc:
        raise click.BadParameter(str(exc), param_hint=param_hint) from None


def _read_request(
    source: str, method: str, headers: tuple[str, ...], stack: ExitStack
) -> Request | LargeRequest:
    """A URL, or ``@file`` / ``@-`` holding a raw HTTP request (of any size: see rawinput)."""
    from ..wire import parse_url_request

    if source.startswith("@"):
        if headers or method != "GET":
            raise click.UsageError("--method/--header apply to a URL, not to a raw request")
        return open_raw(source[1:], stack)
    return parse_url_request(source, method=method, headers=[parse_header(h) for h in headers])


def _moment(value: str | None, option: str) -> Any:
    """--now / --credentials-expire-at checked where they are given, naming the option."""
    if value is None:
        return None
    from ..timestamps import to_moment

    try:
        return to_moment(value, option.lstrip("-"))
    except SigningError as exc:
        raise click.BadParameter(str(exc).partition(": ")[2], param_hint=option) from None


def _request_options(f: Any) -> Any:
    f = click.option("--header", "headers", multiple=True, metavar="'Name: value'",
                     help="A header sent with the URL (repeatable).")(f)
    f = click.option("--method", default="GET", show_default=True,
                     help="Method the URL is used with.")(f)
    f = click.option("--now", help="Judge expiry at this time (ISO 8601) instead of now.")(f)
    return click.argument("source", metavar="REQUEST")(f)


@click.command(
    epilog="Example:\n\n\b\n  sigv4kit explain \"$URL\"\n  sigv4kit explain @request.txt",
)
@_request_options
@click.option("--credentials-expire-at", metavar="T",
              help="When the signing credentials expire (ISO 8601): warn if the URL outlives "
              "them.")
@output_option
@signing_errors({**_FIELDS, "credentials_expire_at": "--credentials-expire-at"})
def explain(source: str, now: str | None, method: str, headers: tuple[str, ...],
            credentials_expire_at: str | None, output: str | None) -> None:
    """Explain a signed URL or raw request (@file, @-): algorithm, key id, scope, signed
    headers, times, the canonical request rebuilt, and warnings. No secret needed."""
    from ..diagnose.explain import explain_request, render_text, to_dict

    expiry = _moment(credentials_expire_at, "--credentials-expire-at")
    moment = _moment(now, "--now")
    with ExitStack() as stack:
        request = _read_request(source, method, headers, stack)
        if isinstance(request, LargeRequest):
            result = explain_large(request, now=moment, credentials_expire_at=expiry)
        else:
            result = explain_request(request, now=moment, credentials_expire_at=expiry)
    if output == "json":
        print_json(_redacted_tree(to_dict(result)))
    else:
        text = clean_message(render_text(result))  # the input's own token, however named
        colour = use_colour()
        click.echo(colour_warnings(text) if colour else text, nl=False, color=colour)
    if result.warnings:
        sys.exit(1)


def _redacted_tree(data: Any) -> Any:
    """``data`` (JSON-shaped) with every string passed through ``clean_message``."""
    if isinstance(data, str):
        return clean_message(data)
    if isinstance(data, dict):
        return {k: _redacted_tree(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_redacted_tree(v) for v in data]
    return data


def colour_warnings(text: str) -> str:
    """The ``Warnings:`` block of explain's text in yellow (up to the next blank line)."""
    out: list[str] = []
    inside = False
    for line in text.split("\n"):
        if line.startswith("Warnings:"):
            inside = not line.endswith("none")
            out.append(click.style(line, fg="yellow", bold=True) if inside else line)
            continue
        if inside and not line.strip():
            inside = False
        out.append(click.style(line, fg="yellow") if inside else line)
    return "\n".join(out)


@click.command(
    epilog="Example:\n\n\b\n  sigv4kit verify \"$URL\" --now 2026-11-25T12:30:00Z",
)
@_request_options
@click.option("--service", help="Service the request must be for.")
@click.option("--region", help="Region the request must be for.")
@credential_options
@output_option
@click.option("--debug", is_flag=True, help="Print the rebuilt canonical request and string "
              "to sign on stderr (session token redacted).")
@signing_errors(_FIELDS)
def verify(source: str, now: str | None, method: str, headers: tuple[str, ...],
           service: str | None, region: str | None, profile: str | None,
           access_key_id: str | None, secret_access_key_stdin: bool, output: str | None,
           debug: bool) -> None:
    """Verify a signed URL or raw request (@file, @-) with the secret of its access key
    (from the environment, --profile or --secret-access-key-stdin): valid or not, and why."""
    from ..redact import debug_text
    from ..verify import verify_request

    if source == "@-" and secret_access_key_stdin:
        raise click.UsageError(
            "REQUEST @- and --secret-access-key-stdin both need standard input; put the "
            "request in a file (@request.txt)"
        )
    moment = _moment(now, "--now")
    with ExitStack() as stack:
        request = _read_request(source, method, headers, stack)
        credentials = load_credentials(profile, access_key_id, secret_access_key_stdin)

        def lookup(key_id: str) -> Credentials | None:
            return credentials if key_id == credentials.access_key_id else None

        if isinstance(request, LargeRequest):
            result = verify_large(request, lookup, now=moment, service=service, region=region)
        else:
            result = verify_request(request, lookup, now=moment, service=service, region=region)
    if debug and result.canonical_request is not None:
        click.echo(debug_text(result, credentials, title="canonical request (rebuilt)"),
                   err=True)
    if output == "json":
        print_json({"valid": result.valid, "reason": str(result.reason),
                    "message": clean_message(result.message)})
    else:
        label = "valid" if result.valid else f"invalid ({result.reason})"
        colour = use_colour()
        if colour:
            label = click.style(label, fg="green" if result.valid else "red", bold=True)
        click.echo(f"{label}: {clean_message(result.message)}", color=colour)
    if str(result.reason) == "malformed":
        raise InputError(result.message)
    if not result.valid:
        sys.exit(1)


_DIFF_FIELDS = {"region": "--region", "service": "--service", "url": "URL",
                "headers": "--header", "method": "METHOD", "timestamp": "--timestamp",
                "expires": "--expires"}

_SAME_REQUEST = frozenset({"wrong-secret-key"})
"""The cause diff_report names when both sides built the same request: the key must differ.
Alone it means "identical" (exit 0); any other cause is a difference (exit 1)."""


def _read_server_error(source: str) -> bytes:
    """The error text from a file or stdin, read no further than the parser would accept."""
    from ..diagnose.server_error import MAX_INPUT_BYTES

    return read_limited(source, MAX_INPUT_BYTES, "--server-error")


@click.command(
    epilog="Example:\n\n\b\n  sigv4kit diff --server-error error.xml PUT "
    "https://amzn-s3-demo-bucket.s3.us-east-1.amazonaws.com/photo.jpg --region us-east-1 "
    "--service s3 --s3 --data @photo.jpg --timestamp 20261125T120000Z",
)
@click.argument("method")
@click.argument("url")
@click.option("--server-error", "server_error", required=True, metavar="FILE|-",
              help="The server's error response (body, raw HTTP response or SDK error "
              "message); - reads standard input.")
@click.option("--region", help="Signing Region (default: AWS_REGION or the profile's).")
@click.option("--service", required=True, help="Signing name of the service, e.g. ec2, s3.")
@click.option("--header", "headers", multiple=True, metavar="'Name: value'",
              help="Request header, signed (repeatable).")
@click.option("--data", metavar="TEXT|@file|@-", help="Request body, as curl's --data-binary.")
@click.option("--s3", is_flag=True, help="S3 rules (path encoded once, X-Amz-Content-SHA256).")
@click.option("--unsigned-payload", is_flag=True, help="Sign UNSIGNED-PAYLOAD as the body hash.")
@click.option("--timestamp", help="Signing time (ISO 8601): the X-Amz-Date of the rejected "
              "request; default now.")
@click.option("--presigned", is_flag=True,
              help="Compare a presigned URL (as 'sigv4kit presign url' makes it) instead of "
              "an Authorization header.")
@click.option("--expires", type=int, default=None,
              help="With --presigned: seconds, 1..604800 (default 3600).")
@credential_options
@output_option
@signing_errors(_DIFF_FIELDS)
def diff(method: str, url: str, server_error: str, region: str | None, service: str,
         headers: tuple[str, ...], data: str | None, s3: bool, unsigned_payload: bool,
         timestamp: str | None, presigned: bool, expires: int | None, profile: str | None,
         access_key_id: str | None, secret_access_key_stdin: bool, output: str | None) -> None:
    """Sign METHOD URL as 'sigv4kit sign' does (or presign it, with --presigned) and compare
    our canonical request and string to sign with those in the server's error response: where
    they differ, and the likely causes, most likely first."""
    from ..diagnose import DiagnoseError, diff_report, parse_server_error, render_text, to_dict
    from ..model import PresignedRequest, SignedRequest
    from ..signing import presign, sign_request
    from .requestopts import read_data, signing_options, wire_url

    if server_error == "-" and data == "@-":
        raise click.UsageError("--server-error - and --data @- both need stdin")
    if secret_access_key_stdin and (server_error == "-" or data == "@-"):
        raise click.UsageError(
            "--secret-access-key-stdin cannot share stdin with --server-error - or --data @-"
        )
    if expires is not None and not presigned:
        raise click.UsageError("--expires needs --presigned")
    try:
        report = parse_server_error(_read_server_error(server_error))
    except DiagnoseError as exc:
        raise InputError(str(exc)) from None
    method = method.upper()
    credentials = load_credentials(profile, access_key_id, secret_access_key_stdin)
    body, _ = read_data(data)
    header_pairs = [parse_header(h) for h in headers]
    options = signing_options(s3=s3, unsigned_payload=unsigned_payload, presign=presigned)
    signing_region = load_region(region, profile)
    ours: SignedRequest | PresignedRequest
    if presigned:
        ours = presign(Request(method, url, header_pairs, body), credentials,
                       region=signing_region, service=service,
                       expires=3600 if expires is None else expires, timestamp=timestamp,
                       **options)
    else:
        ours = sign_request(Request(method, wire_url(method, url), header_pairs, body),
                            credentials, region=signing_region, service=service,
                            timestamp=timestamp, **options)
    diagnosis = diff_report(ours.canonical_request, ours.string_to_sign, report,
                            signature=ours.signature)
    # diagnose shows the token as prefix and length; the secret key, should a server echo it,
    # is masked entirely over the whole output.
    from ..redact import redact_credentials

    tokens = [credentials.session_token] if credentials.session_token else []
    if output == "json":
        import json

        text = json.dumps(to_dict(diagnosis, secrets=tokens), indent=2, default=str,
                          ensure_ascii=False)
        click.echo(redact_credentials(text, credentials))
    else:
        colour = use_colour()
        text = render_text(diagnosis, color=colour, secrets=tokens)
        click.echo(redact_credentials(text, credentials), nl=False, color=colour)
    if not diagnosis.identical or any(c.code not in _SAME_REQUEST for c in diagnosis.causes):
        sys.exit(1)
