"""The AWS CLI's global options for the ``sigv4kit ec2`` commands, and what they do: the
client they configure, how a result is printed (--query, --output), --cli-input-json and
--generate-cli-skeleton, and the mapping of every failure to an exit code and one message.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..errors import SigningError
from .common import (
    InputError,
    Seconds,
    credential_options,
    debug_option,
    network_options,
    scrubber,
)

if TYPE_CHECKING:
    from ..ec2.client import Client

__all__ = [
    "cli_input", "compile_query", "connection_options", "emit", "input_options", "make_client",
    "output_format", "output_options", "skeleton",
]

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
    from .awsconfig import ca_bundle_for, endpoint_for, retry_settings

    session = requests.Session()
    adapter = DeadlineAdapter(pool_connections=4, pool_maxsize=32)  # the deadline cuts reads
    session.mount("https://", adapter)
    session.mount("http://", adapter)
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
                      deadline=opts.get("cli_deadline", float(DEFAULT_DEADLINE)),
                      **retry_settings(opts))
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
    from ..ec2.client import checked_endpoint

    try:  # the client's own rules (no user info, query, fragment, control characters)
        checked_endpoint(url)
    except SigningError as exc:
        raise click.BadParameter(str(exc).partition(": ")[2], param_hint=source) from None


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


def plain(value: Any, timestamps: str = "iso8601", scrub: Callable[[str], str] = str) -> Any:
    """Timestamps as text before --query sees them, as the AWS CLI shows them: as the
    service sent them (``wire``, its default ``cli_timestamp_format``) or ISO 8601; every
    string through ``scrub`` (the credentials this process holds redacted, should a server
    echo them); the rest unchanged (a copy, so the library's result is not modified)."""
    import datetime

    if isinstance(value, dict):
        return {scrub(k): plain(v, timestamps, scrub) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v, timestamps, scrub) for v in value]
    if isinstance(value, datetime.datetime):
        wire = getattr(value, "wire", "")
        return wire if wire and timestamps == "wire" else value.isoformat()
    if isinstance(value, str):
        return scrub(value)
    return value


def emit(data: Any, opts: Mapping[str, Any], title: str, query: Any = None) -> None:
    """Print ``data`` as the AWS CLI would: without ResponseMetadata, through --query."""
    from .awsconfig import timestamp_format
    from .output import render

    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k != "ResponseMetadata"}
    data = plain(data, timestamp_format(opts), scrubber())
    if query is not None:
        data = query.search(data)
    render(data, output_format(opts), sys.stdout, title, opts.get("color"))


# -- failures ----------------------------------------------------------------------------

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
