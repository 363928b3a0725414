"""What every command shares: credentials and Region options, errors, debug output."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import click

from ..errors import SigningError
from ..model import Credentials, PresignedRequest, SignedRequest
from ..redact import redact_credentials, redacted

F = TypeVar("F", bound=Callable[..., Any])


class InputError(click.ClickException):
    """Invalid input that is not a click usage error; exit code 2 like click's."""

    exit_code = 2


class ServiceError(click.ClickException):
    """The service answered with an error, or could not be reached; exit code 1."""

    exit_code = 1


def credential_options(f: F) -> F:
    """--profile, --access-key-id and --secret-access-key-stdin (never a secret in argv)."""
    f = click.option(
        "--secret-access-key-stdin",
        is_flag=True,
        help="Read the secret access key from the first line of standard input "
        "(with --access-key-id; the session token, if any, from AWS_SESSION_TOKEN).",
    )(f)
    f = click.option(
        "--access-key-id", metavar="AKID", help="Access key id (with --secret-access-key-stdin)."
    )(f)
    f = click.option("--profile", metavar="NAME", help="AWS profile to take credentials from.")(f)
    return f


def debug_option(f: F) -> F:
    return click.option(
        "--debug",
        is_flag=True,
        help="Print the canonical request and string to sign on stderr (secrets redacted).",
    )(f)


def output_option(f: F) -> F:
    return click.option(
        "--output",
        type=click.Choice(["json", "text"]),
        default=None,
        help="Output format for structured results.",
    )(f)


def load_credentials(
    profile: str | None, access_key_id: str | None, secret_stdin: bool
) -> Credentials:
    """Credentials from stdin, the environment or the botocore chain, in that order."""
    import os

    from ..aws.credentials import resolve_credentials

    if secret_stdin:
        if not access_key_id:
            raise click.UsageError("--secret-access-key-stdin needs --access-key-id")
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise click.UsageError("--secret-access-key-stdin: standard input was empty")
        return Credentials(access_key_id, line, os.environ.get("AWS_SESSION_TOKEN") or None)
    if access_key_id:
        raise click.UsageError(
            "--access-key-id needs --secret-access-key-stdin (secrets never go in arguments)"
        )
    return resolve_credentials(profile)


def load_region(region: str | None, profile: str | None, option: str = "--region") -> str:
    if region:
        return region
    from ..aws.credentials import resolve_region

    found = resolve_region(profile)
    if not found:
        raise click.UsageError(
            f"Missing option '{option}' (or set AWS_REGION / AWS_DEFAULT_REGION or a profile "
            "region)."
        )
    return found


def show_debug(result: SignedRequest | PresignedRequest, credentials: Credentials) -> None:
    """The artefacts that produced a signature, on stderr, with the token redacted."""
    click.echo("---- canonical request ----", err=True)
    click.echo(redact_credentials(result.canonical_request, credentials), err=True)
    click.echo("---- string to sign ----", err=True)
    click.echo(result.string_to_sign, err=True)
    click.echo(f"---- signature: {redacted(result.signature)} ----", err=True)


def signing_errors(options: Mapping[str, str]) -> Callable[[F], F]:
    """Turn SigningError into click's "Invalid value for '--option'" (exit 2).

    ``options`` maps library field names to the option that carries them.
    """

    def decorate(f: F) -> F:
        @functools.wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return f(*args, **kwargs)
            except SigningError as exc:
                hint = options.get(exc.field)
                message = str(exc)
                if hint:
                    message = message.partition(": ")[2] or message
                    raise click.BadParameter(message, param_hint=hint) from None
                raise InputError(message) from None

        return wrapper  # type: ignore[return-value]

    return decorate


def print_json(data: Any) -> None:
    import json

    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str, ensure_ascii=False))
