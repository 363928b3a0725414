"""Failures of ``sigv4kit ec2`` as the AWS CLI v1 reports them, so a script written for
``aws ec2`` reads the same exit codes and messages.

aws v1 (``awscli/clidriver.py``) exits 255 for every failure after its argument parser is
done: a service error, an unreachable endpoint, client-side validation and JMESPath errors, a
missing Region, credentials or profile, an unknown option; 2 only for argparse's own usage
errors (a missing required option, a bad choice, an unknown command, a value of the wrong
type for a global option); 130 on Ctrl-C. Its message goes to stderr after a blank line
(``\\nAn error occurred (Code) when calling the Op operation: Message``, ``None`` for an empty
message), except the missing Region and credentials, which have none. The request id and
our hints (signature failures) are shown only under ``--debug``. The other ``sigv4kit``
commands keep their own 0/1/2.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any, TypeVar

import click

from ..errors import SigningError
from ..redact import excerpt
from .common import clean_message, error_text

__all__ = ["AWS_FAILURE", "AWS_USAGE", "AwsCliError", "api_error_message", "aws_cli_errors",
           "aws_exit_codes", "checked_region", "compile_query", "mark_usage",
           "with_aws_errors"]

F = TypeVar("F", bound=Callable[..., Any])

AWS_FAILURE = 255
AWS_USAGE = 2

NO_REGION = ('You must specify a region. You can also configure your region by running '
             '"aws configure".')
OUTPUT_ERRNOS = frozenset({errno.EPIPE, errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
"""Failures of writing the output, not of the command: the entry point ends quietly."""
NO_CREDENTIALS = ('Unable to locate credentials. You can configure credentials by running '
                  '"aws configure".')
_REGION_NAME = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?$")
"""botocore's ``validate_region_name``."""


class AwsCliError(click.ClickException):
    """A failure printed as aws v1 prints it: after a blank line (unless ``blank_line`` is
    False), exit 255."""

    exit_code = AWS_FAILURE

    def __init__(self, message: str, *, blank_line: bool = True) -> None:
        super().__init__(message)
        self.blank_line = blank_line

    def show(self, file: IO[Any] | None = None) -> None:
        text = ("\n" if self.blank_line else "") + error_text(self.message)
        click.echo(text, file=file if file is not None else sys.stderr)


def mark_usage(exc: click.ClickException) -> click.ClickException:
    """Note that ``exc`` is an argparse-level usage error (exit 2 under ``ec2``)."""
    exc.aws_usage = True  # type: ignore[attr-defined]
    return exc


def api_error_message(err: Any) -> str:
    """botocore's ClientError text: ``An error occurred (Code) when calling the Op
    operation[ (reached max retries: N)]: Message``, ``None`` for an empty message."""
    retries = (f" (reached max retries: {err.retry_attempts})"
               if getattr(err, "max_attempts_reached", False) else "")
    return (f"An error occurred ({err.code}) when calling the {err.operation} operation"
            f"{retries}: {err.message or None}")


def checked_region(region: str) -> str:
    """A Region botocore accepts, else aws's message (naming region_name, as aws does)."""
    from ..aws import endpoints

    try:
        if not _REGION_NAME.match(region):
            raise SigningError("region: bad name", field="region")
        endpoints.partition_of(region)
    except SigningError:
        raise AwsCliError(f"Provided region_name {region!r} doesn't match a supported "
                          "format.") from None
    return region


def compile_query(expression: str | None) -> Any:
    """--query compiled before anything is sent; a bad one in aws's words."""
    if expression is None:
        return None
    import jmespath
    import jmespath.exceptions

    try:
        return jmespath.compile(expression)
    except jmespath.exceptions.JMESPathError as exc:
        raise AwsCliError(f"Bad value for --query {expression}: {exc}") from None
    except RecursionError:
        raise AwsCliError(f"Bad value for --query {excerpt(expression)}: nested too deeply"
                          ) from None


def with_aws_errors(action: str, fields: Mapping[str, str] | None = None
                    ) -> Callable[[F], F]:
    """``aws_cli_errors`` around a command; messages name the endpoint URL in use, with
    its path, as aws does (``"http://127.0.0.1:9/"``)."""

    def decorate(f: F) -> F:
        @functools.wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            def endpoint() -> str:
                from .awsconfig import endpoint_for

                try:
                    url = endpoint_for(kwargs)[0]
                except SigningError:
                    url = kwargs.get("endpoint_url")
                if url:
                    return str(url).rstrip("/") + "/"
                from ..aws.endpoints import ec2_endpoint

                try:
                    return ec2_endpoint(kwargs.get("region") or "") + "/"
                except ValueError:
                    return "the EC2 endpoint"

            with aws_cli_errors(action, endpoint, bool(kwargs.get("debug")), fields,
                                kwargs.get("cli_deadline")):
                return f(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


@contextlib.contextmanager
def aws_cli_errors(action: str, endpoint: Callable[[], str], debug: bool,
                   fields: Mapping[str, str] | None = None,
                   deadline: float | None = None) -> Iterator[None]:
    """Every library failure of an ec2 command in aws v1's words and exit code."""
    import requests
    from botocore.exceptions import PaginationError  # type: ignore[import-untyped]

    from ..aws.config_file import ProfileNotFound
    from ..aws.credentials import NoCredentialsError
    from ..ec2.errors import ApiError, ResponseParseError
    from ..ec2.waiters import WaiterError
    from ..errors import RedirectRefused
    from ..transport import ConnectFailed, DeadlineExceeded, ReadTimedOut, TransportError
    from .globalopts import GLOBAL_FIELDS, field_option

    try:
        yield
    except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort,
            KeyboardInterrupt):
        raise
    except ApiError as err:
        text = api_error_message(err)
        if debug:
            text += f"\n(request id {err.request_id or 'unknown'})"
            if err.debug:
                text += "\n" + err.debug
        raise AwsCliError(text) from None
    except WaiterError as err:
        raise AwsCliError(str(err)) from None
    except PaginationError as err:  # a NextToken received again: aws's words
        raise AwsCliError(str(err)) from None
    except ResponseParseError as err:
        raise AwsCliError(f"Unable to parse response from {endpoint()}, invalid XML "
                          f"received: {err} (the body is not shown)") from None
    except ReadTimedOut:
        raise AwsCliError(f'Read timeout on endpoint URL: "{endpoint()}"') from None
    except ConnectFailed:
        raise AwsCliError(f'Could not connect to the endpoint URL: "{endpoint()}"') from None
    except DeadlineExceeded as exc:
        what = (f"{action} did not finish within the deadline of {deadline:g} s"
                if deadline is not None else clean_message(str(exc)))
        raise AwsCliError(f'Deadline exceeded on endpoint URL: "{endpoint()}": {what} '
                          "(--cli-deadline or SIGV4KIT_CLI_DEADLINE)") from None
    except RedirectRefused as exc:  # its message says where to, bounded and redacted
        raise AwsCliError(f'Redirect refused on endpoint URL: "{endpoint()}": '
                          f"{clean_message(str(exc))}") from None
    except TransportError as exc:
        raise AwsCliError(f'Connection failed on endpoint URL: "{endpoint()}": '
                          f"{clean_message(str(exc))}") from None
    except requests.exceptions.Timeout:
        raise AwsCliError(f'Read timeout on endpoint URL: "{endpoint()}"') from None
    except requests.exceptions.RequestException:
        raise AwsCliError(f'Could not connect to the endpoint URL: "{endpoint()}"') from None
    except ProfileNotFound as exc:
        raise AwsCliError(f"The config profile ({exc.profile}) could not be found") from None
    except NoCredentialsError as exc:
        if exc.field == "profile":
            name = str(exc).split("'")[1] if "'" in str(exc) else ""
            raise AwsCliError(f"The config profile ({name}) could not be found") from None
        if "none found" in str(exc):
            raise AwsCliError(NO_CREDENTIALS, blank_line=False) from None
        raise AwsCliError(str(exc)) from None
    except SigningError as exc:
        hint = field_option(action, exc.field, {**GLOBAL_FIELDS, **(fields or {})})
        message = str(exc)
        if hint:
            where, _, rule = message.partition(": ")
            if hint == "--cli-input-json" and rule:  # the member inside it, as aws names it
                rule = f"{where.removeprefix(action + '.')}: {rule}"
            message = f"Error parsing parameter '{hint}': {rule or message}"
        raise AwsCliError(message) from None
    except RecursionError:
        raise AwsCliError("input nested too deeply") from None
    except OSError as exc:
        if isinstance(exc, BrokenPipeError) or exc.errno in OUTPUT_ERRNOS:
            raise  # the output's reader went away or the disk is full: the entry point says so
        raise AwsCliError(f"{type(exc).__name__}: {exc}") from None
    except UnicodeEncodeError:
        raise  # the output's encoding cannot carry the answer: the entry point says so
    except ValueError as exc:
        raise AwsCliError(f"{type(exc).__name__}: {exc}") from None
    except Exception as exc:  # the last net: a one-line message, never a traceback
        raise AwsCliError(f"internal error: {type(exc).__name__}: {exc}") from None


@contextlib.contextmanager
def aws_exit_codes() -> Iterator[None]:
    """Around the ``ec2`` group: click's usage errors as aws's exit codes (2 for those the
    parser raises, 255 for an unknown option and for everything a command refuses after
    parsing), one line each; other ClickExceptions become ``AwsCliError``."""
    try:
        yield
    except AwsCliError:
        raise
    except click.exceptions.NoSuchOption as exc:
        exc.exit_code = AWS_FAILURE  # type: ignore[misc]
        raise
    except click.UsageError as exc:
        if getattr(exc, "aws_usage", False) or isinstance(exc, click.MissingParameter) \
                or exc.format_message().startswith("Missing option"):
            exc.exit_code = AWS_USAGE  # type: ignore[misc]
            raise
        if isinstance(exc, click.BadParameter) and exc.param_hint:
            hint = exc.param_hint if isinstance(exc.param_hint, str) else exc.param_hint[0]
            raise AwsCliError(f"Error parsing parameter '{hint}': {exc.message}") from None
        raise AwsCliError(exc.format_message()) from None
    except click.ClickException as exc:
        raise AwsCliError(exc.format_message()) from None
