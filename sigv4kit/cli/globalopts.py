"""The AWS CLI's global options for the ``sigv4kit ec2`` commands, and what they do: the
client they configure, how a result is printed (--query, --output), --cli-input-json and
--generate-cli-skeleton, and the mapping of every failure to an exit code and one message.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..errors import SigningError
from .common import (
    InputError,
    ServiceError,
    clean_message,
    credential_options,
    debug_option,
    network_options,
)

if TYPE_CHECKING:
    from ..ec2.client import Client

F = TypeVar("F", bound=Callable[..., Any])

GLOBAL_FIELDS = {
    "region": "--region",
    "endpoint_url": "--endpoint-url",
    "max_attempts": "AWS_MAX_ATTEMPTS",
}


def output_options(f: F) -> F:
    """--query and --output, as the AWS CLI has them."""
    f = click.option("--query", metavar="JMESPATH",
                     help="JMESPath query applied to the result before printing.")(f)
    return click.option("--output", type=click.Choice(["json", "text", "table"]), default=None,
                        help="json (default, or AWS_DEFAULT_OUTPUT), text (tab-separated) "
                        "or table.")(f)


def input_options(f: F) -> F:
    """--cli-input-json and --generate-cli-skeleton [input|output]."""
    f = click.option("--cli-input-json", metavar="JSON|file://PATH",
                     help="The request as JSON (member names as in the API); options given "
                     "as well take precedence.")(f)
    return click.option("--generate-cli-skeleton", type=click.Choice(["input", "output"]),
                        is_flag=False, flag_value="input", default=None,
                        help="Print a JSON skeleton of the request (input, the default) or "
                        "of the response (output), and send nothing.")(f)


def connection_options(f: F) -> F:
    """--region, --endpoint-url, TLS and timeout options, credentials and --debug."""
    f = network_options(f)
    f = click.option("--ca-bundle", metavar="PATH",
                     help="CA certificates to verify TLS with (default: AWS_CA_BUNDLE).")(f)
    f = click.option("--no-verify-ssl", is_flag=True,
                     help="Do not verify TLS certificates (the request is still signed).")(f)
    f = click.option("--endpoint-url", help="EC2-compatible endpoint to use.")(f)
    f = click.option("--region", help="Region to call (default: AWS_REGION or the profile's).")(f)
    f = debug_option(f)
    return credential_options(f)


def make_client(opts: Mapping[str, Any], region: str, credentials: Any) -> Client:
    """The EC2 client the options describe; bad values are usage errors naming the option."""
    import requests

    from ..ec2.client import Client
    from .awsconfig import ca_bundle_for, endpoint_for, retry_settings

    session = requests.Session()
    endpoint_url, source = endpoint_for(opts)
    if endpoint_url is not None:
        check_endpoint_url(endpoint_url, source)
    if opts.get("no_verify_ssl"):
        session.verify = False
        import urllib3

        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    elif endpoint_url is None or endpoint_url.lower().startswith("https:"):
        ca_bundle = ca_bundle_for(opts)  # checked only when TLS is used, as aws does
        if ca_bundle is not None:
            session.verify = ca_bundle
    try:
        return Client(region, credentials, endpoint_url=endpoint_url, session=session,
                      ignore_configured_endpoint_urls=True,  # endpoint_for has done it
                      unsigned=bool(opts.get("no_sign_request")),
                      connect_timeout=opts.get("cli_connect_timeout"),
                      read_timeout=opts.get("cli_read_timeout"),
                      **retry_settings(opts))
    except ValueError as exc:
        if isinstance(exc, SigningError) and exc.field in GLOBAL_FIELDS:
            raise click.BadParameter(str(exc).partition(": ")[2] or str(exc),
                                     param_hint=GLOBAL_FIELDS[exc.field]) from None
        raise InputError(str(exc)) from None


def check_endpoint_url(url: str, source: str = "--endpoint-url") -> None:
    """An http(s) URL with a host that parses (``http://[::1/`` does not); ``source`` is
    where it came from (the option, or a configured endpoint's variable or profile key)."""
    from urllib.parse import urlsplit

    try:
        split = urlsplit(url)
        split.port  # noqa: B018  # raises on a bad port
    except ValueError as exc:
        raise click.BadParameter(f"{url!r} is not a URL ({exc})",
                                 param_hint=source) from None
    if split.scheme not in ("http", "https") or not split.hostname:
        raise click.BadParameter(f"{url!r} is not an http(s) URL with a host",
                                 param_hint=source)


def max_attempts() -> int:
    """``AWS_MAX_ATTEMPTS``, as botocore and the AWS CLI read it; 5 otherwise."""
    value = os.environ.get("AWS_MAX_ATTEMPTS", "")
    if not value:
        return 5
    from ..ec2.client import MAX_ATTEMPTS

    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_ATTEMPTS:
        shown = repr(value) if len(value) <= 20 else f"{len(value)} characters"
        raise InputError(
            f"AWS_MAX_ATTEMPTS: must be a whole number from 1 to {MAX_ATTEMPTS}, got {shown}"
        )
    return int(value)


# -- input -------------------------------------------------------------------------------

def cli_input(action: str, value: str | None) -> dict[str, Any]:
    """The members given by --cli-input-json (JSON or file://), checked against the model."""
    if value is None:
        return {}
    from .modelopts import input_members, load_json, read_param_file

    try:
        text = read_param_file(value)
        data = load_json(value if text is None else text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--cli-input-json") from None
    if not isinstance(data, dict):
        raise click.BadParameter("must be a JSON object", param_hint="--cli-input-json")
    known = {m.name for m in input_members(action)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise click.BadParameter(
            f"{', '.join(unknown)}: not a member of {action} (valid: {', '.join(sorted(known))})",
            param_hint="--cli-input-json")
    return data


def skeleton(action: str, which: str) -> Any:
    """The AWS CLI's skeleton: botocore's ArgumentGenerator over the input shape, or over the
    output shape with member names as values."""
    from botocore.utils import ArgumentGenerator  # type: ignore[import-untyped]

    from ..ec2.model import service_model

    operation = service_model().operation_model(action)
    shape = operation.input_shape if which == "input" else operation.output_shape
    if shape is None:
        return {}
    return ArgumentGenerator(use_member_names=which == "output").generate_skeleton(shape)


# -- output ------------------------------------------------------------------------------

def output_format(opts: Mapping[str, Any]) -> str:
    """--output, AWS_DEFAULT_OUTPUT or the profile's ``output`` (``awsconfig``)."""
    from .awsconfig import output_format as configured_output

    return configured_output(opts)


def compile_query(expression: str | None) -> Any:
    """--query compiled once, so a bad expression is a usage error before anything is sent."""
    if expression is None:
        return None
    import jmespath
    import jmespath.exceptions

    try:
        return jmespath.compile(expression)
    except jmespath.exceptions.JMESPathError as exc:
        message = " ".join(str(exc).split())
        raise click.BadParameter(message, param_hint="--query") from None


def plain(value: Any, timestamps: str = "iso8601") -> Any:
    """Timestamps as text before --query sees them, as the AWS CLI shows them: as the
    service sent them (``wire``, its default ``cli_timestamp_format``) or ISO 8601; the rest
    unchanged (a copy, so the library's result is not modified)."""
    import datetime

    if isinstance(value, dict):
        return {k: plain(v, timestamps) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v, timestamps) for v in value]
    if isinstance(value, datetime.datetime):
        wire = getattr(value, "wire", "")
        return wire if wire and timestamps == "wire" else value.isoformat()
    return value


def emit(data: Any, opts: Mapping[str, Any], title: str, query: Any = None) -> None:
    """Print ``data`` as the AWS CLI would: without ResponseMetadata, through --query."""
    from .awsconfig import timestamp_format
    from .output import render

    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k != "ResponseMetadata"}
    data = plain(data, timestamp_format(opts))
    if query is not None:
        data = query.search(data)
    render(data, output_format(opts), sys.stdout, title)


# -- failures ----------------------------------------------------------------------------

_SIGNATURE_CODES = ("AuthFailure", "SignatureDoesNotMatch", "IncompleteSignature")


def api_error_text(err: Any) -> str:
    lines = [f"{err} (request id {err.request_id or 'unknown'})"]
    if err.code in _SIGNATURE_CODES:
        lines.append(
            "EC2 does not say what it expected: rerun with --debug to see our canonical "
            "request and string to sign, check the clock, Region and secret key, and "
            "`sigv4kit explain`/`sigv4kit verify` a signed request offline."
        )
    return "\n".join(lines)


def field_option(action: str, field: str | None, fields: Mapping[str, str]) -> str | None:
    """The option a SigningError's field stands for: a builder argument, a global, or the
    top member of a serializer path (``CopySnapshot.TagSpecifications[0].Tags[1].Key``)."""
    if field is None:
        return None
    if field in fields:
        return fields[field]
    from .modelopts import input_members

    head = field.split(".", 1)[1] if field.startswith(action + ".") else field
    member = head.split("[", 1)[0].split(".", 1)[0]
    try:
        members = input_members(action)
    except LookupError:  # an action the model does not have (`ec2 call Nope`)
        return None
    for found in members:
        if found.name == member:
            return found.option
    return None


@contextlib.contextmanager
def cli_errors(action: str, endpoint: Callable[[], str],
               fields: Mapping[str, str] | None = None) -> Iterator[None]:
    """Every failure of an ec2 command as exit 1 (the service, the network, an unreadable
    answer) or 2 (input), in one message and never a traceback."""
    import requests

    from ..ec2.errors import ApiError, ResponseParseError, SnapshotStateError, WaitTimeoutError
    from ..transport import DeadlineExceeded, ReadTimedOut, TransportError

    timed_out = (DeadlineExceeded, ReadTimedOut)

    known = {**GLOBAL_FIELDS, **(fields or {})}
    try:
        yield
    except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort,
            KeyboardInterrupt):
        raise
    except ApiError as err:
        raise ServiceError(api_error_text(err)) from None
    except ResponseParseError as err:
        raise ServiceError(f"the answer from {endpoint()} could not be read: {err}") from None
    except TransportError as exc:  # its message says what happened (redirect, deadline …)
        what = "timed out talking to" if isinstance(exc, timed_out) else "cannot reach"
        raise ServiceError(f"{what} {endpoint()}: {clean_message(str(exc))}") from None
    except requests.exceptions.Timeout as exc:
        raise ServiceError(f"timed out talking to {endpoint()}: {type(exc).__name__}") from None
    except requests.exceptions.RequestException as exc:
        raise ServiceError(f"cannot reach {endpoint()}: {type(exc).__name__}") from None
    except (SnapshotStateError, WaitTimeoutError) as exc:
        raise ServiceError(str(exc)) from None
    except SigningError as exc:
        hint = field_option(action, exc.field, known)
        message = str(exc)
        if hint:
            raise click.BadParameter(message.partition(": ")[2] or message,
                                     param_hint=hint) from None
        raise InputError(message) from None
    except RecursionError:
        raise InputError("input nested too deeply") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{type(exc).__name__}: {exc}") from None
    except Exception as exc:  # the last net: a one-line message, never a traceback
        raise ServiceError(f"internal error: {type(exc).__name__}: {exc}") from None


def with_cli_errors(action: str, fields: Mapping[str, str] | None = None) -> Callable[[F], F]:
    """``cli_errors`` around a command (the endpoint named in messages is the one in use)."""

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

            with cli_errors(action, endpoint, fields):
                return f(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
