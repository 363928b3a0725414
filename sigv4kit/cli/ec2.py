"""``sigv4kit ec2``: the AWS CLI's snapshot commands, options generated from botocore's EC2
model (``modelopts``), the AWS CLI's global options, output, pagination and waiters; plus
``call`` for any action. Requests are sent exactly as given, except that ``copy-snapshot``
builds the PresignedUrl from its own options when none is given, as ``aws`` does."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .awsconfig import region_for
from .awserrors import aws_exit_codes, compile_query, mark_usage, with_aws_errors
from .common import load_credential_source, load_credentials, show_debug
from .globalopts import (
    connection_options,
    emit,
    input_options,
    make_client,
    output_format,
    output_options,
    request_params,
    skeleton,
    whole_command,
)
from .helpdoc import AwsCommand
from .modelopts import (
    ModelCommand,
    list_option_names,
    missing_required,
    model_options,
)

if TYPE_CHECKING:
    from ..ec2.client import Client
from .paging import ec2_paginator, full_result, page_iterator, paging_options, should_paginate
from .requestopts import tag_specifications

__all__ = ["LazyGroup", "ec2"]

F = TypeVar("F", bound=Callable[..., Any])
_EX = "Example:\n\n\b\n  "  # \b: click must not re-wrap the example

_COPY_FIELDS = {
    "source_region": "--source-region",
    "source_snapshot_id": "--source-snapshot-id",
    "destination_region": "--destination-region",
    "DestinationRegion": "--destination-region",
    "PresignedUrl": "--presigned-url",
    "expires": "--expires",
    "source_endpoint_url": "--source-endpoint-url",
    "Encrypted": "--encrypted/--no-encrypted",
    "KmsKeyId": "--kms-key-id",
}

_HELP = {
    "PresignedUrl": "PresignedUrl to send as is (default: one built from these options).",
    "DestinationRegion": "Must equal --region (sent anyway with a PresignedUrl we build).",
}

Prepare = Callable[[dict[str, Any], dict[str, Any], str, Any], None]
"""(params, options, region, credentials): a command's last word on the parameters."""


class LazyGroup(click.Group):
    """A group whose generated commands are built when first asked for: building one reads
    its shapes, paginator and waiter from botocore's data, which ``sigv4kit --help`` and the
    other commands need not pay for. Listings use the one-line help given at registration."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.builders: dict[str, tuple[str, Callable[[], click.Command]]] = {}

    def register(self, name: str, short_help: str, build: Callable[[], click.Command]) -> None:
        self.builders[name] = (short_help, build)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.builders})

    def invoke(self, ctx: click.Context) -> Any:
        with aws_exit_codes():  # `sigv4kit ec2 …` exits as `aws ec2 …` does
            return super().invoke(ctx)

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        if args == ["help"]:  # `aws ec2 help`, `aws ec2 wait help`
            from .helpdoc import show

            show(ctx.get_help())
            ctx.exit(0)
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:  # an unknown command: argparse's exit 2
            raise mark_usage(exc) from None

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.builders:
            self.add_command(self.builders[cmd_name][1](), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in self.builders and name not in self.commands:
                rows.append((name, self.builders[name][0]))
            else:
                command = self.get_command(ctx, name)
                if command is not None and not command.hidden:
                    rows.append((name, command.get_short_help_str(formatter.width - 36)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class _Command(AwsCommand, ModelCommand):
    """A generated ec2 command: the AWS CLI's list options, and ``help``."""


@click.group(cls=LazyGroup)
def ec2() -> None:
    """The AWS CLI's EC2 snapshot commands (same option names and syntax), and any action.

    Global options as in the AWS CLI: --region, --profile, --endpoint-url, --query, --output
    json|text|table, --cli-input-json, --generate-cli-skeleton, --debug, --no-verify-ssl,
    --ca-bundle, --cli-read-timeout, --cli-connect-timeout.
    """


def _version_text() -> str:
    """Like ``aws --version``: the program, Python and the system, one line."""
    import platform

    from .. import __version__

    return (f"sigv4kit/{__version__} Python/{platform.python_version()} "
            f"{platform.system()}/{platform.release()}")


def aws_global_options(paginated: bool) -> Callable[[F], F]:
    """The AWS CLI's global options every ``aws ec2`` command accepts beyond the connection
    and output ones: --no-sign-request, --color, --version, and --no-paginate (accepted and
    ignored where there is nothing to paginate, as aws does)."""

    def decorate(f: F) -> F:
        f = click.option("--no-sign-request", is_flag=True,
                         help="Send the request unsigned (no credentials are read).")(f)
        f = click.option("--color", type=click.Choice(["on", "off", "auto"]), default=None,
                         help="Colour --output table as aws does: on, off, or auto "
                         "(the default: on a terminal).")(f)
        f = click.version_option(message=_version_text(), help="Print the version and exit.")(f)
        if not paginated:
            f = click.option("--no-paginate", is_flag=True, hidden=True,
                             help="Accepted and ignored (nothing to paginate).")(f)
        return f

    return decorate


def _model_command(name: str, action: str, short_help: str, example: str, *,
                   extra: tuple[Callable[[F], F], ...] = (), prepare: Prepare | None = None,
                   help_text: str = "") -> None:
    """Register ``ec2 <name>`` for ``action``, built with its generated and global options
    when first used."""

    def build() -> click.Command:
        return _build_model_command(name, action, example, extra, prepare, help_text)

    assert isinstance(ec2, LazyGroup)
    ec2.register(name, short_help, build)


def _build_model_command(name: str, action: str, example: str,
                         extra: tuple[Callable[[F], F], ...], prepare: Prepare | None,
                         help_text: str) -> click.Command:
    pages = ec2_paginator(action)
    hidden = [] if pages is None else [*pages.input_token, pages.limit_key or ""]

    def command(**opts: Any) -> None:
        _operation(action, opts, prepare)

    from .modelopts import model, short_help

    operation = model().operation(action) or {}
    command.__doc__ = help_text or short_help(operation.get("documentation", action))
    f: Any = with_aws_errors(action, _COPY_FIELDS if action == "CopySnapshot" else None)(command)
    f = output_options(input_options(connection_options(f)))
    f = aws_global_options(pages is not None)(f)
    if pages is not None:
        f = paging_options(f)
    for decorate in extra:
        f = decorate(f)
    f = model_options(action, hidden=hidden, help_overrides=_HELP)(f)

    def doc(ctx: click.Context) -> str:
        from .helpdoc import operation_doc

        return operation_doc(f"sigv4kit ec2 {name}", action, ctx.get_usage())

    return click.command(name, cls=_Command, list_options=list_option_names(action),
                         epilog=_EX + example, doc=doc)(f)


def _operation(action: str, opts: dict[str, Any], prepare: Prepare | None) -> None:
    query = compile_query(opts.get("query"))
    form = output_format(opts)
    params = request_params(action, opts)
    tags = opts.get("tags")
    if tags:
        if "TagSpecifications" in params:
            raise click.UsageError("--tag and --tag-specifications exclude each other")
        params["TagSpecifications"] = tag_specifications("snapshot", tags)
    which = opts.get("generate_cli_skeleton")
    if which == "input":
        from .output import format_json

        format_json(skeleton(action, "input"), sys.stdout)
        return
    if which == "output":
        emit(skeleton(action, "output"), opts, action, query)
        return
    missing_required(action, params)
    region = region_for(opts)
    opts["region"] = region
    credentials = None if opts.get("no_sign_request") else load_credentials(
        opts.get("profile"), opts.get("access_key_id"), bool(opts.get("secret_access_key_stdin")))
    if prepare is not None:
        prepare(params, opts, region, credentials)
    with make_client(opts, region, credentials) as client:
        if opts.get("debug"):
            client.on_signed = show_debug
        call = whole_command(client, opts.get("cli_deadline"))
        pages = ec2_paginator(action)
        if pages is not None and should_paginate(pages, params, opts):
            iterator = page_iterator(call, action, pages, params, opts)
            if form == "text":
                from .paging import text_pages

                for piece in text_pages(iterator):
                    emit(piece, opts, action, query)
                    sys.stdout.flush()  # each page as it comes, as the AWS CLI's text does
                return
            from .paging import streamable_key

            key = streamable_key(pages, query)
            if form == "json" and key is not None:
                _stream_json(iterator, key, opts)
                return
            emit(full_result(iterator), opts, action, query)
            return
        emit(call(action, params), opts, action, query)


def _stream_json(iterator: Any, key: str, opts: dict[str, Any]) -> None:
    """A JSON listing printed as its pages arrive (``paging.json_pages``)."""
    from .awsconfig import timestamp_format
    from .common import scrubber
    from .globalopts import plain
    from .paging import json_pages
    from .terminal import escape_json

    scrub, timestamps = scrubber(), timestamp_format(opts)
    for text in json_pages(iterator, key, lambda item: plain(item, timestamps, scrub)):
        sys.stdout.write(escape_json(text))
        sys.stdout.flush()


# -- copy-snapshot -----------------------------------------------------------------------

_OWN = ("SourceRegion", "SourceSnapshotId", "DestinationRegion", "PresignedUrl")


def _copy_snapshot_options(f: F) -> F:
    f = click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE",
                     help="Shortcut: tag the copy (repeatable; or --tag-specifications).")(f)
    f = click.option("--source-endpoint-url",
                     help="Source endpoint for the built PresignedUrl (default: the "
                     "endpoint this call goes to when one is given by --endpoint-url or "
                     "configured (AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL, the profile's "
                     "services section or endpoint_url), else the source Region's).")(f)
    f = click.option("--expires", type=int, default=3600, show_default=True,
                     help="Validity of the PresignedUrl built when --presigned-url is not "
                     "given.")(f)
    return click.option("--no-presigned-url", is_flag=True,
                        help="Send no PresignedUrl at all.")(f)


def _prepare_copy(params: dict[str, Any], opts: dict[str, Any], region: str,
                  credentials: Any) -> None:
    """As botocore's ``inject_presigned_url_ec2``: unless a PresignedUrl is given, sign one
    carrying every parameter of this call and send DestinationRegion (the Region called)."""
    from ..ec2.client import check_presigned_url_matches
    from ..ec2.presigned import presign_copy_snapshot
    from ..redact import redact_url
    from .awsconfig import endpoint_for

    destination = params.get("DestinationRegion")
    if destination is not None and destination != region:
        raise click.BadParameter(
            f"{destination!r} differs from --region {region!r}; CopySnapshot goes to the "
            "destination Region", param_hint="--destination-region")
    url = params.get("PresignedUrl")
    if url is not None and opts.get("no_presigned_url"):
        raise click.UsageError("--presigned-url and --no-presigned-url exclude each other")
    if url is not None:
        check_presigned_url_matches(url, params, region)
        return
    if opts.get("no_presigned_url"):
        return
    if credentials is None:
        raise click.UsageError("--no-sign-request: the PresignedUrl built for CopySnapshot must "
                               "be signed; give --presigned-url or --no-presigned-url")
    built = presign_copy_snapshot(
        credentials, source_region=params["SourceRegion"],
        source_snapshot_id=params["SourceSnapshotId"], destination_region=region,
        expires=opts["expires"],
        # A custom endpoint (--endpoint-url or a configured one) serves the source Region too.
        source_endpoint_url=opts.get("source_endpoint_url") or endpoint_for(opts)[0],
        extra_params={k: v for k, v in params.items() if k not in _OWN},
    )
    if opts.get("debug"):
        click.echo("==== the PresignedUrl built for this call ====", err=True)
        show_debug(built, credentials)
        click.echo(redact_url(built.url), err=True)
    params["PresignedUrl"] = built.url
    params["DestinationRegion"] = region


_model_command(
    "copy-snapshot", "CopySnapshot", "CopySnapshot, with the PresignedUrl built as aws does.",
    "sigv4kit ec2 copy-snapshot --region us-east-1 --source-region us-west-2 "
    "--source-snapshot-id snap-066877671789bd71b --description 'This is my copied snapshot.'",
    extra=(_copy_snapshot_options,), prepare=_prepare_copy,
    help_text="CopySnapshot, sent to --region (the destination).\n\nWithout --presigned-url "
    "the PresignedUrl is built from the same options (shown, redacted, under --debug), as "
    "the AWS CLI builds it; --no-presigned-url sends none.",
)
_model_command(
    "create-snapshot", "CreateSnapshot", "CreateSnapshot of a volume.",
    "sigv4kit ec2 create-snapshot --region us-west-2 --volume-id vol-0123456789abcdef0 "
    "--tag-specifications 'ResourceType=snapshot,Tags=[{Key=team,Value=storage}]' "
    "--query SnapshotId --output text",
    extra=(lambda f: click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE",
                                  help="Shortcut: tag the snapshot (repeatable).")(f),),
)
_model_command(
    "import-snapshot", "ImportSnapshot", "ImportSnapshot from a disk image in S3.",
    "sigv4kit ec2 import-snapshot --region us-east-1 --disk-container "
    "'Format=VMDK,UserBucket={S3Bucket=my-bucket,S3Key=disks/disk.vmdk}'",
)
_model_command(
    "describe-snapshots", "DescribeSnapshots", "DescribeSnapshots, every page.",
    "sigv4kit ec2 describe-snapshots --region us-east-1 --owner-ids self "
    "--filters Name=status,Values=pending,completed --max-items 10",
)
_model_command(
    "describe-import-snapshot-tasks", "DescribeImportSnapshotTasks",
    "DescribeImportSnapshotTasks, every page.",
    "sigv4kit ec2 describe-import-snapshot-tasks --region us-east-1 "
    "--import-task-ids import-snap-0123456789abcdef0",
)


# -- wait --------------------------------------------------------------------------------

@ec2.group("wait", cls=LazyGroup)
def wait() -> None:
    """Wait as aws ec2 wait does (botocore's waiter definitions)."""




def _waiter_command(name: str, waiter_name: str, example: str) -> None:
    def build() -> click.Command:
        return _build_waiter_command(name, waiter_name, example)

    assert isinstance(wait, LazyGroup)
    wait.register(name, f"Wait as botocore's {waiter_name} waiter does.", build)


def _build_waiter_command(name: str, waiter_name: str, example: str) -> click.Command:
    from ..ec2 import waiters

    waiter = waiters.definition(waiter_name)
    action = waiter.operation

    def command(**opts: Any) -> None:
        _wait(waiter_name, action, opts)

    command.__doc__ = (f"Poll {action} every {waiter.delay:g} s until it succeeds (at most "
                       f"{waiter.max_attempts} times); exit 255 when the waiter fails, with "
                       "botocore's message (and, under --debug, EC2's StateMessage).")
    f: Any = with_aws_errors(action)(command)
    f = connection_options(f)
    f = aws_global_options(False)(f)
    f = click.option("--cli-input-json", metavar="JSON|file://PATH",
                     help="The request as JSON (member names as in the API).")(f)
    f = model_options(action)(f)

    def doc(ctx: click.Context) -> str:
        from .helpdoc import html_text, operation_doc, waiter_description

        about = waiter_description(waiter)
        return operation_doc(f"sigv4kit ec2 wait {name}", action, ctx.get_usage()).replace(
            "Description\n***********\n\n", "Description\n***********\n\n"
            + html_text(about) + "\n\n", 1)

    return click.command(name, cls=_Command, list_options=list_option_names(action),
                         epilog=_EX + example, doc=doc)(f)


def _long_running_client(opts: dict[str, Any]) -> Client:
    """The client of a command that may run long (``wait``, ``call``): the credential chain is
    asked before each signing, so refreshing credentials keep working."""
    region = region_for(opts)
    opts["region"] = region
    credentials = None if opts.get("no_sign_request") else load_credential_source(
        opts.get("profile"), opts.get("access_key_id"), bool(opts.get("secret_access_key_stdin")))
    client = make_client(opts, region, credentials)
    if opts.get("debug"):
        client.on_signed = show_debug
    return client


def _wait(waiter_name: str, action: str, opts: dict[str, Any]) -> None:
    from ..ec2 import waiters

    params = request_params(action, opts)
    with _long_running_client(opts) as client:
        try:
            waiters.wait(client.call, waiters.definition(waiter_name), params)
        except waiters.WaiterError as exc:
            if opts.get("debug"):  # EC2's own words for what failed, beside botocore's
                for line in _failures(exc.last_response):
                    click.echo(line, err=True)
            raise


def _failures(response: Mapping[str, Any] | None) -> list[str]:
    """What failed, in EC2's words: a snapshot's StateMessage (a CopySnapshot whose
    PresignedUrl EC2 refused ends here) or an import task's StatusMessage."""
    lines = []
    for snapshot in (response or {}).get("Snapshots") or []:
        if snapshot.get("State") == "error":
            lines.append(f"snapshot {snapshot.get('SnapshotId')} is in state 'error': "
                         f"{snapshot.get('StateMessage') or 'no StateMessage given'}")
        elif snapshot.get("State") != "completed":
            lines.append(f"snapshot {snapshot.get('SnapshotId')} is still "
                         f"{snapshot.get('State')!r}")
    for task in (response or {}).get("ImportSnapshotTasks") or []:
        detail = task.get("SnapshotTaskDetail") or {}
        if detail.get("Status") != "completed":
            lines.append(f"import task {task.get('ImportTaskId')} is {detail.get('Status')!r}: "
                         f"{detail.get('StatusMessage') or 'no StatusMessage given'}")
    return lines


_waiter_command("snapshot-completed", "SnapshotCompleted",
                "sigv4kit ec2 wait snapshot-completed --region us-east-1 "
                "--snapshot-ids snap-066877671789bd71b")
_waiter_command("snapshot-imported", "SnapshotImported",
                "sigv4kit ec2 wait snapshot-imported --region us-east-1 "
                "--import-task-ids import-snap-0123456789abcdef0")
for _name, _waiter in (("volume-available", "VolumeAvailable"),
                       ("volume-in-use", "VolumeInUse"), ("volume-deleted", "VolumeDeleted")):
    _waiter_command(_name, _waiter, f"sigv4kit ec2 wait {_name} --region us-east-1 "
                    "--volume-ids vol-0123456789abcdef0")


# -- call --------------------------------------------------------------------------------

@ec2.command("call", epilog=_EX + "sigv4kit ec2 call DescribeVolumes --region us-east-1 "
             "--param 'VolumeIds=[\"vol-0123456789abcdef0\"]' --param MaxResults=5")
@click.argument("action")
@click.option("--param", "raw_params", multiple=True, metavar="NAME=VALUE",
              help="A top-level parameter; VALUE is JSON for lists, structures, numbers and "
              "booleans, else a string (repeatable).")
@connection_options
@output_options
def call(action: str, raw_params: tuple[str, ...], **opts: Any) -> None:
    """Any EC2 action, parameters shaped as in boto3."""
    with_aws_errors(action)(_call)(action, raw_params, **opts)


def _call(action: str, raw_params: tuple[str, ...], **opts: Any) -> None:
    query = compile_query(opts.get("query"))
    output_format(opts)
    params: dict[str, Any] = {}
    for spec in raw_params:
        name, sep, value = spec.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{spec!r} is not NAME=VALUE", param_hint="--param")
        params[name] = _param_value(action, name, value)
    with _long_running_client(opts) as client:
        emit(whole_command(client, opts.get("cli_deadline"))(action, params), opts, action,
             query)


def _param_value(action: str, name: str, value: str) -> Any:
    """JSON where the model wants a list, structure, number or boolean; else the text."""
    from ..ec2.model import member_type
    from .modelopts import load_json

    kind = member_type(action, name)
    if kind in (None, "string", "timestamp", "blob"):
        return value
    try:
        return load_json(value)
    except ValueError as exc:
        reason = str(exc) if "deeply" in str(exc) else (
            f"give it as JSON (e.g. {_EXAMPLES.get(kind, '...')})")
        raise click.BadParameter(f"{name} is a {kind}; {reason}", param_hint="--param") from None


_EXAMPLES = {"list": '["a","b"]', "structure": '{"Key":"v"}', "integer": "5",
             "boolean": "true", "long": "5", "float": "1.5", "double": "1.5"}
