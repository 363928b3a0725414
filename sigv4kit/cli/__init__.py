"""The ``sigv4kit`` command line.

Subcommands live in their own modules and are imported only when invoked, so that
``sigv4kit presign …`` never pays for requests or botocore. Exit codes: 0 success, 1 the
service answered with an error (or could not be reached), 2 usage or invalid input, 130 Ctrl-C.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
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
    "token": ("token", "token", "Make SigV4 bearer tokens (RDS, DSQL, EKS, MSK, Bedrock …)."),
    "proxy": ("proxy", "proxy", "Sign (or re-sign) requests for an upstream, as a local proxy."),
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
    """Console-script entry point; maps every failure to the documented exit codes and a
    one-line message (set SIGV4KIT_TRACEBACK=1 to see the traceback of an internal error)."""
    try:
        code = _run(argv)
    except KeyboardInterrupt:
        code = interrupted()
    _exit(code)


def interrupted() -> int:
    """Ctrl-C, at any moment: one line and 130, as a shell reports SIGINT."""
    with contextlib.suppress(Exception):
        sys.stderr.write("Interrupted.\n")
        sys.stderr.flush()
    return 130


def _run(argv: Sequence[str] | None) -> int:
    from ..aws.cache import keep_at_exit
    from .common import error_text

    keep_at_exit()  # the next run reads the botocore data it needs from the user cache

    try:
        rv: Any = cli.main(args=argv, prog_name="sigv4kit", standalone_mode=False)
        code = rv if isinstance(rv, int) else 0
    except click.exceptions.Abort:
        return interrupted()
    except click.UsageError as exc:  # one line naming the option (not click's usage block)
        click.echo(f"Error: {error_text(exc.format_message())}", err=True)
        code = exc.exit_code
    except click.ClickException as exc:
        exc.message = error_text(exc.message)  # type: ignore[misc]
        exc.show()
        code = exc.exit_code
    except SigningError as exc:
        click.echo(f"Error: {error_text(str(exc))}", err=True)
        code = 2
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BrokenPipeError:
        _silence_stdout()
        return 1
    except OSError as exc:
        if _output_failed(exc):
            return _cannot_write(exc)
        click.echo(f"Error: {error_text(exc.strerror or type(exc).__name__)}", err=True)
        return 1
    except RecursionError:
        click.echo("Error: the input is nested too deeply", err=True)
        return 2
    except UnicodeEncodeError as exc:
        return _cannot_encode(exc)
    except MemoryError:
        click.echo("Error: out of memory", err=True)
        return 1
    except Exception as exc:
        fault = _library_fault(exc)
        if fault is not None:
            click.echo(f"Error: {error_text(fault)}", err=True)
            return 1
        if os.environ.get("SIGV4KIT_TRACEBACK"):
            raise
        click.echo(f"Error: internal error ({type(exc).__name__}); rerun with "
                   "SIGV4KIT_TRACEBACK=1 and report it", err=True)
        return 1
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return 1
    except OSError as exc:
        return _cannot_write(exc)
    return code


def _library_fault(exc: Exception) -> str | None:
    """The message of a documented library failure a command let through (the service or the
    network failed, or an answer could not be read: exit 1), or None for anything else."""
    if "sigv4kit.ec2.errors" in sys.modules:
        from ..ec2.errors import ApiError, ResponseParseError, SnapshotStateError, WaitTimeoutError

        if isinstance(exc, ApiError | ResponseParseError | SnapshotStateError | WaitTimeoutError):
            return str(exc)
    if "requests" in sys.modules:
        import requests

        from ..transport import RedirectRefused, TransportError

        if isinstance(exc, TransportError | RedirectRefused):
            return str(exc)
        if isinstance(exc, requests.exceptions.RequestException):
            return f"the request failed ({type(exc).__name__})"  # its text may hold a URL
    return None


def _output_failed(exc: OSError) -> bool:
    return exc.errno in (errno.ENOSPC, errno.EIO, errno.EPIPE, errno.EDQUOT, errno.EFBIG)


def _cannot_write(exc: OSError) -> int:
    _silence_stdout()
    with contextlib.suppress(Exception):
        sys.stderr.write(f"Error: cannot write the output: {exc.strerror or exc}\n")
    return 1


def _cannot_encode(exc: UnicodeEncodeError) -> int:
    """The output holds a character the terminal's encoding (PYTHONIOENCODING, the locale)
    cannot write: one line saying so, not "internal error"."""
    _silence_stdout()
    with contextlib.suppress(Exception):
        sys.stderr.write(
            f"Error: cannot write the output in the {exc.encoding} encoding: it holds "
            f"{exc.object[exc.start:exc.end]!a}; set PYTHONIOENCODING=utf-8 or a UTF-8 "
            "locale\n")
    return 1


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush of what is still buffered
    cannot fail a second time (with a traceback-like "Exception ignored")."""
    with contextlib.suppress(Exception):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _exit(code: int) -> None:
    try:
        sys.stdout.flush()
    except Exception:
        _silence_stdout()
    sys.exit(code)
