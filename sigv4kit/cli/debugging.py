"""``sigv4kit explain | verify | diff``: find out why a signature was rejected.

Exit codes: 0 valid / nothing to report / identical, 1 invalid / warnings / different,
2 bad input. Colour only on a terminal.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from ..model import Credentials, Request
from .common import (
    InputError,
    credential_options,
    load_credentials,
    output_option,
    print_json,
    signing_errors,
)
from .headers import parse_header

_FIELDS = {"now": "--now", "url": "REQUEST", "headers": "--header", "method": "--method"}


def _read_request(source: str, method: str, headers: tuple[str, ...]) -> Request:
    """A URL, or ``@file`` / ``@-`` holding a raw HTTP request."""
    from ..wire import parse_raw_request, parse_url_request

    if source.startswith("@"):
        if headers or method != "GET":
            raise click.UsageError("--method/--header apply to a URL, not to a raw request")
        if source == "@-":
            data = sys.stdin.buffer.read()
        else:
            try:
                with open(source[1:], "rb") as fh:
                    data = fh.read()
            except OSError as exc:
                raise click.BadParameter(
                    f"cannot read {source[1:]!r}: {exc.strerror}", param_hint="REQUEST"
                ) from None
        return parse_raw_request(data)
    return parse_url_request(source, method=method, headers=[parse_header(h) for h in headers])


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
@output_option
@signing_errors(_FIELDS)
def explain(source: str, now: str | None, method: str, headers: tuple[str, ...],
            output: str | None) -> None:
    """Explain a signed URL or raw request (@file, @-): algorithm, key id, scope, signed
    headers, times, the canonical request rebuilt, and warnings. No secret needed."""
    from ..explain import explain_request, render_text, to_dict

    result = explain_request(_read_request(source, method, headers), now=now)
    if output == "json":
        print_json(to_dict(result))
    else:
        text = render_text(result)
        click.echo(_colour_warnings(text) if sys.stdout.isatty() else text)
    if result.warnings:
        sys.exit(1)


def _colour_warnings(text: str) -> str:
    return "\n".join(
        click.style(line, fg="yellow") if line.lstrip().startswith(("!", "warning", "WARNING"))
        else line
        for line in text.splitlines()
    )


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
    from ..redact import redact_text
    from ..verify import verify_request

    request = _read_request(source, method, headers)
    credentials = load_credentials(profile, access_key_id, secret_access_key_stdin)

    def lookup(key_id: str) -> Credentials | None:
        return credentials if key_id == credentials.access_key_id else None

    result = verify_request(request, lookup, now=now, service=service, region=region)
    if debug and result.canonical_request is not None:
        secrets = [credentials.secret_access_key, credentials.session_token]
        click.echo("---- canonical request (rebuilt) ----", err=True)
        click.echo(redact_text(result.canonical_request, secrets), err=True)
        click.echo("---- string to sign ----", err=True)
        click.echo(result.string_to_sign or "", err=True)
    if output == "json":
        print_json({"valid": result.valid, "reason": str(result.reason),
                    "message": result.message})
    else:
        label = "valid" if result.valid else f"invalid ({result.reason})"
        if sys.stdout.isatty():
            label = click.style(label, fg="green" if result.valid else "red", bold=True)
        click.echo(f"{label}: {result.message}")
    if str(result.reason) == "malformed":
        raise InputError(result.message)
    if not result.valid:
        sys.exit(1)
