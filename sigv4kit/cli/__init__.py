"""The ``sigv4kit`` command line.

Subcommands live in their own modules and are imported only when invoked, so that
``sigv4kit presign …`` never pays for requests or botocore. Exit codes: 0 success, 1 the
service answered with an error (or could not be reached), 2 usage or invalid input, 130 Ctrl-C.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Any

import click

from .. import __version__
from ..errors import SigningError

_LAZY = {
    "presign": ("presign", "presign", "Make presigned URLs (EC2 CopySnapshot, any URL)."),
    "sign": ("sign", "sign", "Sign an HTTP request; print it, as curl, or send it."),
    "ec2": ("ec2", "ec2", "Call EC2 Query API actions, exactly as given."),
    "explain": ("debugging", "explain", "Explain a signed URL or request (no secret needed)."),
    "verify": ("debugging", "verify", "Verify a signed URL or request against a secret."),
    "diff": ("debugging", "diff", "Compare our canonical request with a server's."),
    "demo": ("demo", "demo", "Run the CopySnapshot demo on a local EC2-compatible endpoint."),
}
"""command name: (module under sigv4kit.cli, attribute, one-line help for the listing)."""


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _LAZY:
            module_name, attr, _ = _LAZY[cmd_name]
            module_name = f"{__name__}.{module_name}"
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:  # a command whose module is not written yet
                if exc.name != module_name:
                    raise
                return None
            command = getattr(module, attr, None)
            return command if isinstance(command, click.Command) else None
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Listing help text must not import every subcommand's dependencies.
        rows = [(name, _LAZY[name][2]) for name in sorted(_LAZY) if self.get_command(ctx, name)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(
    cls=_LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Example:\n\n\b\n  sigv4kit presign copy-snapshot --source-region us-west-2 "
    "--source-snapshot-id snap-066877671789bd71b --destination-region us-east-1",
)
@click.version_option(__version__, prog_name="sigv4kit")
def cli() -> None:
    """Sign AWS requests with SigV4/SigV4a, build EC2 CopySnapshot PresignedUrls, call EC2 and
    find out why a signature was rejected.

    Credentials come from the environment, --profile or the rest of the AWS credential chain;
    no option takes a secret on the command line. Shell completion:
    eval "$(_SIGV4KIT_COMPLETE=bash_source sigv4kit)".
    """


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point; maps failures to the documented exit codes."""
    try:
        rv: Any = cli.main(args=argv, prog_name="sigv4kit", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except SigningError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(1)
    sys.exit(rv if isinstance(rv, int) else 0)
