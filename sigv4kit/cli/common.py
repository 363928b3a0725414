"""What every command shares: credentials and Region options, errors, debug output."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

import click

from ..errors import SigningError
from ..model import Credentials, PresignedRequest, SignedRequest
from ..redact import bounded, debug_text, mask_text, redact_message

__all__ = [
    "InputError", "Seconds", "ServiceError", "clean_message", "credential_options", "debug_option",
    "load_credential_source", "load_credentials", "load_region", "network_options", "output_option",
    "print_json", "show_debug", "signing_errors", "use_colour",
]

MAX_SECRET_LINE = 4096
"""Longest line --secret-access-key-stdin reads: a secret key is 40 characters."""

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
        raw = sys.stdin.buffer.readline(MAX_SECRET_LINE + 1)
        if len(raw) > MAX_SECRET_LINE:
            raise click.UsageError(
                f"--secret-access-key-stdin: the first line is longer than {MAX_SECRET_LINE} "
                "bytes; a secret access key is one short line"
            )
        try:
            line = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            raise click.UsageError(
                "--secret-access-key-stdin: the secret on standard input is not valid UTF-8"
            ) from None
        if not line:
            raise click.UsageError("--secret-access-key-stdin: standard input was empty")
        return remember(
            _credentials(access_key_id, line, os.environ.get("AWS_SESSION_TOKEN") or None))
    if access_key_id:
        raise click.UsageError(
            "--access-key-id needs --secret-access-key-stdin (secrets never go in arguments)"
        )
    return remember(resolve_credentials(profile))


def load_credential_source(
    profile: str | None, access_key_id: str | None, secret_stdin: bool
) -> Credentials | Callable[[], Credentials]:
    """For a long-running command (``ec2 wait``): credentials given on stdin as they are,
    otherwise the chain as a provider consulted before each signing, so SSO, assume-role and
    instance credentials are refreshed while it waits."""
    if secret_stdin or access_key_id:
        return load_credentials(profile, access_key_id, secret_stdin)
    from ..aws.credentials import chain_credentials

    try:
        return remembered(chain_credentials(profile))
    except SigningError as exc:
        raise InputError(str(exc)) from None


def _credentials(access_key_id: str, secret: str, token: str | None) -> Credentials:
    try:
        return Credentials(access_key_id, secret, token)
    except SigningError as exc:
        option = {"secret_access_key": "--secret-access-key-stdin",
                  "access_key_id": "--access-key-id"}.get(exc.field or "", "AWS_SESSION_TOKEN")
        raise InputError(f"{option}: {str(exc).partition(': ')[2] or exc}") from None


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
    """The artefacts that produced a signature, on stderr (``redact.debug_text``)."""
    click.echo(debug_text(result, credentials), err=True)


def use_colour(stream: Any = None) -> bool:
    """Colour on a terminal, unless NO_COLOR is set (https://no-color.org)."""
    import os

    if os.environ.get("NO_COLOR"):
        return False
    stream = sys.stdout if stream is None else stream
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


_RESOLVED_KEYS: set[str] = set()
_RESOLVED_TOKENS: set[str] = set()
"""Every secret key and session token this process resolved, whatever the source (stdin, the
shared credentials file, a credential process, SSO, assume-role …): each is redacted from
every message and every line of service data printed, wherever it appears."""


def remember(credentials: Credentials) -> Credentials:
    """Register ``credentials`` with the redactor as they are resolved; returns them."""
    _RESOLVED_KEYS.add(credentials.secret_access_key)
    if credentials.session_token:
        _RESOLVED_TOKENS.add(credentials.session_token)
    return credentials


def remembered(source: Credentials | Callable[[], Credentials]
               ) -> Credentials | Callable[[], Credentials]:
    """A credential source whose every answer (refreshed ones too) is ``remember``-ed."""
    if isinstance(source, Credentials):
        return remember(source)

    def current() -> Credentials:
        return remember(source())

    return current


def known_secrets() -> list[str]:
    """Session tokens this process holds (the environment's and every one resolved): shown
    as their first characters and length."""
    import os

    return list(dict.fromkeys(v for v in (os.environ.get("AWS_SESSION_TOKEN"),
                                          *_RESOLVED_TOKENS) if v))  # each once


def known_keys() -> list[str]:
    """Secret access keys this process holds: never shown at all."""
    import os

    return list(dict.fromkeys(v for v in (os.environ.get("AWS_SECRET_ACCESS_KEY"),
                                          *_RESOLVED_KEYS) if v))  # each once


def scrubber() -> Callable[[str], str]:
    """For service data, printed as it came but for the credentials this process holds: every
    known secret key masked, every known session token redacted, in whatever form a text
    quotes them (``redact.replacer``), nothing else changed. The forms are worked out once,
    not per string printed."""
    from ..redact import redacted, replacer

    steps = [replacer(key, "***") for key in known_keys()]
    steps += [replacer(token, redacted(token)) for token in known_secrets()]
    if not steps:
        return lambda text: text

    def scrub(text: str) -> str:
        for step in steps:
            text = step(text)
        return text

    return scrub


def scrubbed_stream(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """A byte stream (a response body) with ``scrubber`` applied as it flows, holding back
    only a short tail (16 times the longest credential) so a credential cut between two
    pieces is still found; the tail is shown at the end, or before a read fails or is
    interrupted. Bytes are read
    as Latin-1 (one character per byte, so binary bodies pass through unchanged but for a
    credential; keys and tokens are ASCII). The ``…`` of a redaction goes out as UTF-8."""
    import codecs

    def as_utf8(err: UnicodeError) -> tuple[bytes, int]:
        assert isinstance(err, UnicodeEncodeError)
        return err.object[err.start:err.end].encode("utf-8"), err.end

    codecs.register_error("sigv4kit-redaction", as_utf8)
    scrub = scrubber()
    hold = 16 * max((len(s) for s in (*known_keys(), *known_secrets())), default=0) + 64
    tail = ""
    source = iter(pieces)
    while True:
        try:
            piece = next(source)
        except StopIteration:
            break
        except BaseException:  # Ctrl-C or a failed read: what came is still shown, then it
            if tail:
                yield scrub(tail).encode("latin-1", "sigv4kit-redaction")
            raise
        text = scrub(tail + piece.decode("latin-1"))
        tail = text[-hold:]
        if len(text) > hold:
            yield text[:-hold].encode("latin-1", "sigv4kit-redaction")
    if tail:
        yield scrub(tail).encode("latin-1", "sigv4kit-redaction")


def clean_message(text: str) -> str:
    """Text safe to print: credential parameters and headers redacted by name, every known
    secret key masked and token redacted wherever they appear (linear time, so a server's
    200 KB message costs milliseconds)."""
    return redact_message(mask_text(text, known_keys()), known_secrets())


def error_text(text: str) -> str:
    """An error message as the command line prints it: ``clean_message``, cut to a bounded
    length, control and bidi characters escaped (``terminal.escape_message``: a CR must not
    let a server's text overwrite the line). Only a bounded start of a huge message is
    redacted (``redact.safe_head``): the rest would not be shown anyway."""
    from ..redact import MAX_MESSAGE, safe_head
    from .terminal import escape_message

    head, left_out = safe_head(text)
    cleaned = clean_message(head)
    if not left_out:
        return escape_message(bounded(cleaned))
    more = max(len(cleaned) - MAX_MESSAGE, 0) + left_out
    return escape_message(f"{cleaned[:MAX_MESSAGE]}… ({more} more characters)")


class Seconds(click.ParamType):  # type: ignore[type-arg]
    """Seconds as a finite number above 0 and at most a day; with ``zero_means_none``, 0 is
    accepted and means "no limit" (the AWS CLI's convention)."""

    name = "seconds"

    def __init__(self, *, zero_means_none: bool) -> None:
        self.zero_means_none = zero_means_none

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> float | None:
        from ..transport import check_timeout

        if value is None or (isinstance(value, float) and not isinstance(value, bool)):
            number: Any = value
        else:
            try:
                number = float(str(value).strip())
            except ValueError:
                self.fail(f"{value!r} is not a number of seconds", param, ctx)
        try:
            return check_timeout(number, "seconds", zero_means_none=self.zero_means_none)
        except SigningError as exc:
            self.fail(str(exc).partition(": ")[2], param, ctx)


def network_options(f: F) -> F:
    """The AWS CLI's --cli-connect-timeout and --cli-read-timeout (seconds, 0 = none)."""
    f = click.option(
        "--cli-read-timeout", type=Seconds(zero_means_none=True), default="60",
        show_default=True,
        help="Seconds to wait between two reads of the answer (0: no limit but the deadline).",
    )(f)
    f = click.option(
        "--cli-connect-timeout", type=Seconds(zero_means_none=True), default="10",
        show_default=True, help="Seconds to wait for a connection (0: no limit).",
    )(f)
    return f


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
                hint = options.get(exc.field or "")
                message = clean_message(str(exc))
                if hint:
                    message = message.partition(": ")[2] or message
                    raise click.BadParameter(message, param_hint=hint) from None
                raise InputError(message) from None

        return wrapper  # type: ignore[return-value]

    return decorate


def print_json(data: Any) -> None:
    """``data`` as JSON (UTF-8 kept readable), with the C1 controls and bidi overrides of
    untrusted input escaped (``diagnose.textdiff.json_visible``) so they never reach a
    terminal raw."""
    import json

    from ..diagnose.textdiff import json_visible

    click.echo(json_visible(json.dumps(data, indent=2, sort_keys=False, default=str,
                                       ensure_ascii=False)))
