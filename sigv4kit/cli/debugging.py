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

__all__ = ["diff", "explain", "read_limited", "verify"]

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
    source: str, method: str, headers: tuple[str, ...], stack: ExitStack,
    scheme: str | None = None,
) -> Request | LargeRequest:
    """A URL, or ``@file`` / ``@-`` holding a raw HTTP request (of any size: see rawinput),
    with the scheme it came over (``diagnose.captured.scheme_of``)."""
    from ..wire import parse_url_request

    if source.startswith("@"):
        if headers or method != "GET":
            raise click.UsageError("--method/--header apply to a URL, not to a raw request")
        from dataclasses import replace

        from ..diagnose.captured import scheme_of

        raw = open_raw(source[1:], stack)
        if isinstance(raw, LargeRequest):
            return replace(raw, head=scheme_of(raw.head, scheme))
        return scheme_of(raw, scheme)
    if scheme is not None:
        raise click.UsageError("--scheme applies to a raw request (@file), not to a URL")
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
    f = click.option("--scheme", type=click.Choice(["https", "http"]), default=None,
                     help="Scheme a raw request (@file) came over (default: http for Host "
                     "port 80 or X-Forwarded-Proto: http, else https).")(f)
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
            scheme: str | None, credentials_expire_at: str | None,
            output: str | None) -> None:
    """Explain a signed URL or raw request (@file, @-): algorithm, key id, scope, signed
    headers, times, the canonical request rebuilt, and warnings. No secret needed."""
    from ..diagnose.explain import explain_request, render_text, to_dict

    expiry = _moment(credentials_expire_at, "--credentials-expire-at")
    moment = _moment(now, "--now")
    from . import presign_post  # S3 POST policies and forms

    if (policy := presign_post.policy_source(source)) is not None:
        return presign_post.explain_policy_source(policy, moment, output)
    with ExitStack() as stack:
        request = _read_request(source, method, headers, stack, scheme)
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
           scheme: str | None, service: str | None, region: str | None, profile: str | None,
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
    from . import presign_post  # S3 POST forms

    if (policy := presign_post.policy_source(source)) is not None:
        credentials = load_credentials(profile, access_key_id, secret_access_key_stdin)
        return presign_post.verify_policy_source(policy, moment, credentials, output)
    with ExitStack() as stack:
        request = _read_request(source, method, headers, stack, scheme)
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
    rebuilt = _rebuilt_texts(result, credentials)
    if output == "json":
        print_json({"valid": result.valid, "reason": str(result.reason),
                    "message": clean_message(result.message), **rebuilt})
    else:
        label = "valid" if result.valid else f"invalid ({result.reason})"
        colour = use_colour()
        if colour:
            label = click.style(label, fg="green" if result.valid else "red", bold=True)
        click.echo(f"{label}: {clean_message(result.message)}", color=colour)
        if rebuilt:
            click.echo("\nCanonical request (rebuilt from the request as received):")
            click.echo("\n".join("  " + line for line in rebuilt["canonical_request"].split("\n")))
            click.echo("String to sign (rebuilt):")
            click.echo("\n".join("  " + line for line in rebuilt["string_to_sign"].split("\n")))
    if str(result.reason) == "malformed":
        raise InputError(result.message)
    if not result.valid:
        sys.exit(1)


def _rebuilt_texts(result: Any, credentials: Credentials) -> dict[str, str]:
    """On a signature mismatch, the canonical request and string to sign the request hashes
    to, to compare with the client's debug log (token and secrets redacted); else nothing."""
    from ..redact import redact_credentials, redact_for_display

    if str(result.reason) != "signature_mismatch" or result.canonical_request is None:
        return {}
    received = result.received
    tokens = [credentials.session_token, None if received is None else received.session_token]
    return {
        name: clean_message(redact_credentials(redact_for_display(text, tokens), credentials))
        for name, text in (("canonical_request", result.canonical_request),
                           ("string_to_sign", result.string_to_sign or ""))
    }


_DIFF_FIELDS = {"region": "--region", "service": "--service", "url": "URL",
                "headers": "--header", "method": "METHOD", "timestamp": "--timestamp",
                "expires": "--expires"}

_SAME_REQUEST = frozenset({"wrong_secret_key"})
"""The cause diff_report names when both sides built the same request: the key must differ.
Alone it means "identical" (exit 0); any other cause is a difference (exit 1)."""


def _read_server_error(source: str) -> bytes:
    """The error text from a file or stdin, read no further than the parser would accept."""
    from ..diagnose.server_error import MAX_INPUT_BYTES

    return read_limited(source, MAX_INPUT_BYTES, "--server-error")


@click.command(
    epilog="Examples:\n\n\b\n  sigv4kit diff --server-error error.xml PUT "
    "https://amzn-s3-demo-bucket.s3.us-east-1.amazonaws.com/photo.jpg --region us-east-1 "
    "--service s3 --data @photo.jpg --timestamp 20261125T120000Z\n"
    "  sigv4kit diff --received @received.txt --sent @sent.txt\n"
    "  sigv4kit diff --received @received.txt --sent @botocore-debug.log\n"
    "  sigv4kit diff --received @received.txt PUT https://127.0.0.1:5000/bucket/key "
    "--data @photo.jpg",
)
@click.argument("method", required=False)
@click.argument("url", required=False)
@click.option("--server-error", "server_error", metavar="FILE|-",
              help="The server's error response (body, raw HTTP response or SDK error "
              "message); - reads standard input.")
@click.option("--received", metavar="@FILE|@-",
              help="Instead of --server-error: the raw request as the server or a proxy "
              "received it; its canonical request is rebuilt as the receiver does.")
@click.option("--sent", metavar="@FILE|@-",
              help="Instead of METHOD URL: the request as the client sent it (raw HTTP), or "
              "the client's debug log of its canonical request (botocore, sigv4kit, Go, Java).")
@click.option("--scheme", type=click.Choice(["https", "http"]), default=None,
              help="Scheme the raw requests came over (default: http for Host port 80, "
              "else https).")
@click.option("--region", help="Signing Region (default: AWS_REGION or the profile's; with "
              "--received, its scope's).")
@click.option("--service", help="Signing name of the service, e.g. ec2, s3 (with --received: "
              "its scope's by default).")
@click.option("--header", "headers", multiple=True, metavar="'Name: value'",
              help="Request header, signed (repeatable).")
@click.option("--data", metavar="TEXT|@file|@-", help="Request body, as curl's --data-binary.")
@click.option("--s3", is_flag=True, help="S3 rules for any --service (an S3 service gets them "
              "without it).")
@click.option("--unsigned-payload", is_flag=True, help="Sign UNSIGNED-PAYLOAD as the body hash.")
@click.option("--timestamp", help="Signing time (ISO 8601): the X-Amz-Date of the rejected "
              "request; default now (with --received: its X-Amz-Date).")
@click.option("--presigned", is_flag=True,
              help="Compare a presigned URL (as 'sigv4kit presign url' makes it) instead of "
              "an Authorization header.")
@click.option("--expires", type=int, default=None,
              help="With --presigned: seconds, 1..604800 (default 3600).")
@credential_options
@output_option
@signing_errors(_DIFF_FIELDS)
def diff(method: str | None, url: str | None, server_error: str | None, received: str | None,
         sent: str | None, scheme: str | None, region: str | None, service: str | None,
         headers: tuple[str, ...], data: str | None, s3: bool, unsigned_payload: bool,
         timestamp: str | None, presigned: bool, expires: int | None, profile: str | None,
         access_key_id: str | None, secret_access_key_stdin: bool, output: str | None) -> None:
    """Compare the canonical request and string to sign a request was signed with against
    what the receiver computed: where they first differ, and the likely causes, most likely
    first.

    The receiver's side is its error response (--server-error) or the raw request it
    received (--received @file). Ours is METHOD URL signed as 'sigv4kit sign' does (or
    presigned, with --presigned), or --sent @file: the request as the client sent it, or the
    client's own debug log of its canonical request."""
    from ..diagnose import DiagnoseError, diff_report

    _check_diff_sources(method, url, server_error, received, sent, data, secret_access_key_stdin)
    if expires is not None and not presigned:
        raise click.UsageError("--expires needs --presigned")
    try:
        report, scope = _receiver_side(server_error, received, scheme)
    except DiagnoseError as exc:
        raise InputError(str(exc)) from None
    credentials = None
    if sent is not None:
        try:
            canonical, to_sign, signature = _sent_side(sent, report, scheme)
        except DiagnoseError as exc:
            raise InputError(str(exc)) from None
    else:
        assert method is not None and url is not None
        credentials = load_credentials(profile, access_key_id, secret_access_key_stdin)
        ours = _sign_ours(
            method.upper(), url, credentials, scope, region=region, service=service,
            headers=headers, data=data, s3=s3, unsigned_payload=unsigned_payload,
            timestamp=timestamp, presigned=presigned, expires=expires, profile=profile)
        canonical, to_sign, signature = ours.canonical_request, ours.string_to_sign, ours.signature
    diagnosis = diff_report(canonical, to_sign, report, signature=signature)
    _print_diagnosis(diagnosis, credentials, output)
    if not diagnosis.identical or any(c.code not in _SAME_REQUEST for c in diagnosis.causes):
        sys.exit(1)


def _check_diff_sources(method: str | None, url: str | None, server_error: str | None,
                        received: str | None, sent: str | None, data: str | None,
                        secret_stdin: bool) -> None:
    """One receiver side, one signer side, and standard input for at most one of them."""
    if (server_error is None) == (received is None):
        raise click.UsageError("give one of --server-error FILE and --received @FILE")
    if sent is not None and (method is not None or url is not None):
        raise click.UsageError("--sent @FILE replaces METHOD URL: give one of them")
    if sent is None and (method is None or url is None):
        raise click.UsageError("give METHOD URL to sign, or --sent @FILE")
    for name, value in (("--received", received), ("--sent", sent)):
        if value is not None and not value.startswith("@"):
            raise click.BadParameter("must be @FILE (or @- for standard input)", param_hint=name)
    stdin = [name for name, value in (
        ("--server-error -", server_error == "-"), ("--received @-", received == "@-"),
        ("--sent @-", sent == "@-"), ("--data @-", data == "@-"),
        ("--secret-access-key-stdin", secret_stdin)) if value]
    if len(stdin) > 1:
        raise click.UsageError(f"{' and '.join(stdin)} cannot share stdin (both need stdin)")


def _receiver_side(server_error: str | None, received: str | None,
                   scheme: str | None) -> tuple[Any, Any]:
    """The receiver's report, and (for --received) the signature it carries."""
    from ..diagnose import parse_server_error

    if server_error is not None:
        return parse_server_error(_read_server_error(server_error)), None
    from ..diagnose.captured import received_report, scheme_of
    from ..received import read_signature
    from ..wire import MAX_INPUT_BYTES, MalformedInputError, parse_raw_request

    assert received is not None
    raw = read_limited(received[1:], MAX_INPUT_BYTES, "--received")
    try:
        request = scheme_of(parse_raw_request(raw), scheme)
        return received_report(request), read_signature(request)
    except MalformedInputError as exc:
        raise click.BadParameter(str(exc), param_hint="--received") from None


def _sent_side(sent: str, report: Any, scheme: str | None) -> tuple[str, str, str | None]:
    from ..diagnose import DiagnoseError
    from ..diagnose.captured import read_sent, string_to_sign_for
    from ..wire import MAX_INPUT_BYTES

    text = read_sent(read_limited(sent[1:], MAX_INPUT_BYTES, "--sent"), scheme)
    to_sign = text.string_to_sign
    if to_sign is None:
        if report.string_to_sign is None:
            raise DiagnoseError("--sent: the log shows no string to sign, and the receiver "
                                "reported none to take its date and scope from")
        to_sign = string_to_sign_for(text.canonical_request, report.string_to_sign)
    return text.canonical_request, to_sign, text.signature


def _sign_ours(method: str, url: str, credentials: Credentials, scope: Any, *,
               region: str | None, service: str | None, headers: tuple[str, ...],
               data: str | None, s3: bool, unsigned_payload: bool, timestamp: str | None,
               presigned: bool, expires: int | None, profile: str | None) -> Any:
    """METHOD URL signed (or presigned) as 'sigv4kit sign' does; with --received, its scope
    and X-Amz-Date are the defaults, so only what differs shows."""
    from ..signing import presign, sign_request
    from .requestopts import read_data, signing_options, wire_url

    if scope is not None:
        service = service or scope.service
        region = region or scope.region
        timestamp = timestamp or scope.amz_date
    if service is None:
        raise click.UsageError("--service is required to sign METHOD URL")
    body, _ = read_data(data)
    header_pairs = [parse_header(h) for h in headers]
    options = signing_options(s3=s3, unsigned_payload=unsigned_payload, presign=presigned)
    signing_region = load_region(region, profile)
    if presigned:
        return presign(Request(method, url, header_pairs, body), credentials,
                       region=signing_region, service=service,
                       expires=3600 if expires is None else expires, timestamp=timestamp,
                       **options)
    return sign_request(Request(method, wire_url(method, url), header_pairs, body),
                        credentials, region=signing_region, service=service,
                        timestamp=timestamp, **options)


def _print_diagnosis(diagnosis: Any, credentials: Credentials | None, output: str | None) -> None:
    """diagnose shows the token as prefix and length; the secret key, should a server echo
    it, is masked entirely over the whole output."""
    from ..diagnose import render_text, to_dict
    from ..redact import redact_credentials

    tokens = [credentials.session_token] if credentials and credentials.session_token else []
    if output == "json":
        import json

        from ..diagnose.textdiff import json_visible

        text = json_visible(json.dumps(to_dict(diagnosis, secrets=tokens), indent=2,
                                       default=str, ensure_ascii=False))
    else:
        colour = use_colour()
        text = render_text(diagnosis, color=colour, secrets=tokens)
    if credentials is not None:
        text = redact_credentials(text, credentials)
    if output == "json":
        click.echo(text)
    else:
        click.echo(text, nl=False, color=use_colour())
