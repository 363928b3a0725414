"""The AWS CLI's global options for the ``sigv4kit ec2`` commands, and what they do: the
client they configure, how a result is printed (--query, --output), --cli-input-json and
--generate-cli-skeleton, and the mapping of every failure to an exit code and one message.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..errors import SigningError
from .common import (
    InputError,
    Seconds,
    ServiceError,
    clean_message,
    credential_options,
    debug_option,
    network_options,
    scrubber,
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


DEFAULT_DEADLINE = "300"
"""Seconds a whole ec2 command may take by default (every page, retry and read)."""


def deadline_option(f: F) -> F:
    """--cli-deadline (or SIGV4KIT_CLI_DEADLINE): how long the whole command may take."""
    return click.option(
        "--cli-deadline", type=Seconds(zero_means_none=True), default=DEFAULT_DEADLINE,
        envvar="SIGV4KIT_CLI_DEADLINE", show_envvar=True, show_default=True,
        help="Seconds the whole command may take: every page, retry and read (for `wait`: "
        "each poll; 0: no limit).")(f)


def connection_options(f: F) -> F:
    """--region, --endpoint-url, TLS, timeout and deadline options, credentials, --debug."""
    f = deadline_option(f)
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
    from ..transport.deadline import DeadlineAdapter

    session = requests.Session()
    adapter = DeadlineAdapter(pool_connections=4, pool_maxsize=32)  # the deadline cuts reads
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    ca_bundle = opts.get("ca_bundle") or os.environ.get("AWS_CA_BUNDLE") or None
    if opts.get("no_verify_ssl"):
        session.verify = False
        import urllib3

        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    elif ca_bundle:
        if not os.path.isfile(ca_bundle):
            raise click.BadParameter(f"{ca_bundle!r} is not a file", param_hint="--ca-bundle")
        session.verify = ca_bundle
    endpoint_url = opts.get("endpoint_url")
    if endpoint_url is not None:
        check_endpoint_url(endpoint_url)
    try:
        return Client(region, credentials, endpoint_url=endpoint_url, session=session,
                      connect_timeout=opts.get("cli_connect_timeout"),
                      read_timeout=opts.get("cli_read_timeout"),
                      deadline=opts.get("cli_deadline", float(DEFAULT_DEADLINE)),
                      max_attempts=max_attempts())
    except ValueError as exc:
        if isinstance(exc, SigningError) and exc.field in GLOBAL_FIELDS:
            raise click.BadParameter(str(exc).partition(": ")[2] or str(exc),
                                     param_hint=GLOBAL_FIELDS[exc.field]) from None
        raise InputError(str(exc)) from None


def whole_command(client: Client, seconds: float | None
                  ) -> Callable[[str, Mapping[str, Any]], dict[str, Any]]:
    """``client.call`` bound by one deadline for the whole command: each call (a page, with
    its retries) gets what is left of ``seconds``, so endless pages end when it runs out."""
    import time

    from ..transport import DeadlineExceeded

    ends = None if seconds is None else time.monotonic() + seconds

    def call(action: str, params: Mapping[str, Any]) -> dict[str, Any]:
        if ends is not None:
            remaining = ends - time.monotonic()
            if remaining <= 0:
                raise DeadlineExceeded(f"{action}: the deadline passed between two calls")
            client.deadline = remaining
        return client.call(action, params)

    return call


def check_endpoint_url(url: str) -> None:
    """An http(s) URL with a host that parses (``http://[::1/`` does not)."""
    from urllib.parse import urlsplit

    try:
        split = urlsplit(url)
        split.port  # noqa: B018  # raises on a bad port
    except ValueError as exc:
        raise click.BadParameter(f"{url!r} is not a URL ({exc})",
                                 param_hint="--endpoint-url") from None
    if split.scheme not in ("http", "https") or not split.hostname:
        raise click.BadParameter(f"{url!r} is not an http(s) URL with a host",
                                 param_hint="--endpoint-url")


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

FROM_INPUT_JSON: set[str] = set()
"""Members whose value came from --cli-input-json (no option overrode them): a bad value is
reported as --cli-input-json's, naming the member, not as an option never typed."""


def request_params(action: str, opts: Mapping[str, Any]) -> dict[str, Any]:
    """--cli-input-json's members, then the options given (which take precedence)."""
    from .modelopts import model_params

    params = cli_input(action, opts.get("cli_input_json"))
    FROM_INPUT_JSON.update(params)
    given = model_params(action, opts)
    FROM_INPUT_JSON.difference_update(given)
    params.update(given)
    return params


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
    chosen = opts.get("output") or os.environ.get("AWS_DEFAULT_OUTPUT") or "json"
    if chosen not in ("json", "text", "table"):
        raise InputError(f"AWS_DEFAULT_OUTPUT: must be json, text or table, got {chosen!r}")
    return str(chosen)


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


def plain(value: Any, scrub: Callable[[str], str] = str) -> Any:
    """Timestamps as ISO 8601 text before --query sees them, as the AWS CLI's JSON shows
    them, and every string through ``scrub`` (the credentials this process holds redacted,
    should a server echo them); the rest unchanged (a copy: the library's result is not
    modified)."""
    import datetime

    if isinstance(value, dict):
        return {scrub(k): plain(v, scrub) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v, scrub) for v in value]
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, str):
        return scrub(value)
    return value


def emit(data: Any, opts: Mapping[str, Any], title: str, query: Any = None) -> None:
    """Print ``data`` as the AWS CLI would: without ResponseMetadata, through --query."""
    from .output import render

    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k != "ResponseMetadata"}
    data = plain(data, scrubber())
    if query is not None:
        data = query.search(data)
    render(data, output_format(opts), sys.stdout, title)


# -- failures ----------------------------------------------------------------------------

_OUTPUT_ERRNOS = frozenset({errno.EPIPE, errno.ENOSPC, errno.EDQUOT, errno.EFBIG})

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
    if member in FROM_INPUT_JSON:
        return "--cli-input-json"
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
               fields: Mapping[str, str] | None = None,
               deadline: float | None = None) -> Iterator[None]:
    """Every failure of an ec2 command as exit 1 (the service, the network, an unreadable
    answer) or 2 (input), in one message and never a traceback."""
    import requests

    from ..ec2.errors import ApiError, ResponseParseError, SnapshotStateError, WaitTimeoutError
    from ..transport import DeadlineExceeded, ReadTimedOut, RedirectRefused, TransportError

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
    except DeadlineExceeded:
        limit = f"of {deadline:g} s " if deadline is not None else ""
        raise ServiceError(
            f"timed out talking to {endpoint()}: {action} did not finish within the deadline "
            f"{limit}(--cli-deadline or SIGV4KIT_CLI_DEADLINE)") from None
    except (TransportError, RedirectRefused) as exc:  # its message says what happened
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
        if hint == "--cli-input-json":  # say which member: the path without the action
            raise click.BadParameter(message.removeprefix(action + "."),
                                     param_hint=hint) from None
        if hint:
            raise click.BadParameter(message.partition(": ")[2] or message,
                                     param_hint=hint) from None
        raise InputError(message) from None
    except RecursionError:
        raise InputError("input nested too deeply") from None
    except OSError as exc:
        if isinstance(exc, BrokenPipeError) or exc.errno in _OUTPUT_ERRNOS:
            raise  # the output's reader went away or the disk is full: the entry point says so
        raise InputError(f"{type(exc).__name__}: {exc}") from None
    except UnicodeEncodeError:
        raise  # the output's encoding cannot carry the answer: the entry point says so
    except ValueError as exc:
        raise InputError(f"{type(exc).__name__}: {exc}") from None
    except Exception as exc:  # the last net: a one-line message, never a traceback
        raise ServiceError(f"internal error: {type(exc).__name__}: {exc}") from None


def with_cli_errors(action: str, fields: Mapping[str, str] | None = None) -> Callable[[F], F]:
    """``cli_errors`` around a command (the endpoint named in messages is the one in use)."""

    def decorate(f: F) -> F:
        @functools.wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            def endpoint() -> str:
                url = kwargs.get("endpoint_url")
                if url:
                    return str(url).rstrip("/") + "/"
                from ..aws.endpoints import ec2_endpoint

                try:
                    return ec2_endpoint(kwargs.get("region") or "") + "/"
                except ValueError:
                    return "the EC2 endpoint"

            deadline = kwargs.get("cli_deadline", float(DEFAULT_DEADLINE))
            with cli_errors(action, endpoint, fields, deadline):
                return f(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
