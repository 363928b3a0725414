"""``sigv4kit ec2 <command> help``, ``ec2 wait help`` and ``ec2 help``: a command's
documentation as ``aws … help`` gives it, generated from botocore's model (the operation's
and each member's documentation, whole, as plain text) and from botocore's waiter data; on a
pager only when stdout is a terminal, as aws does."""

from __future__ import annotations

import html
import re
import sys
import textwrap
from typing import Any

import click

__all__ = ["AwsCommand", "html_text", "operation_doc", "show", "waiter_description"]

WIDTH = 78
GLOBAL_OPTIONS = ("--region", "--profile", "--endpoint-url", "--output", "--query",
                  "--debug", "--no-verify-ssl", "--ca-bundle", "--cli-read-timeout",
                  "--cli-connect-timeout", "--no-sign-request", "--color", "--no-paginate",
                  "--version")


def html_text(documentation: str, indent: str = "") -> str:
    """The model's HTML as wrapped paragraphs (``<p>``, list items as ``*``)."""
    text = re.sub(r"(?i)<li>\s*(<p>)?", "\n\n* ", documentation or "")
    text = re.sub(r"(?i)</?(p|ul|ol|note|important|div|br)\b[^>]*>", "\n\n", text)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(textwrap.fill(p, WIDTH, break_on_hyphens=False, initial_indent=indent,
                                     subsequent_indent=indent + ("  " if p.startswith("*")
                                                                 else ""))
                       for p in paragraphs if p)


_SUCCESS = {"error": "%s is thrown ", "path": "%s ", "pathAll": "%s for all elements ",
            "pathAny": "%s for any element ", "status": "%s response is received "}
"""The AWS CLI's ``WaiterStateDocBuilder`` templates."""


def waiter_description(waiter: Any) -> str:
    """What ``aws ec2 wait NAME help`` says of a waiter without a description of its own."""
    from .modelopts import xform_name

    text = "Wait until "
    for acceptor in waiter.acceptors:
        if acceptor.state == "success":
            template = _SUCCESS[acceptor.matcher]
            if acceptor.matcher in ("path", "pathAny", "pathAll"):
                template = f"JMESPath query {acceptor.argument} returns " + template
            text += template % (acceptor.expected,)
            break
    text += f"when polling with ``{xform_name(waiter.operation)}``."
    return text + (f" It will poll every {waiter.delay} seconds until a successful state has "
                   "been reached. This will exit with a return code of 255 after "
                   f"{waiter.max_attempts} failed checks.")


def operation_doc(name: str, action: str, synopsis: str) -> str:
    """NAME, DESCRIPTION, SYNOPSIS and OPTIONS of ``name`` (the ``action`` operation)."""
    from .modelopts import input_members, model

    operation = model().operation(action) or {}
    lines = [f"{name}", "", "Description", "***********", "",
             html_text(str(operation.get("documentation", action))), "", "Synopsis",
             "********", "", synopsis, "", "Options", "*******", ""]
    for member in input_members(action):
        kind = "(list)" if member.is_list else ""
        required = " [required]" if member.required else ""
        lines += [f"{member.option} {kind}".rstrip() + required, "",
                  html_text(member.documentation, "   ") or "   (no documentation)", ""]
    lines += ["Global Options", "**************", "",
              textwrap.fill(", ".join(GLOBAL_OPTIONS) + ": as the AWS CLI's (see --help).",
                            WIDTH, break_on_hyphens=False), ""]
    return "\n".join(lines)


def _pager_found() -> bool:
    """Does ``PAGER`` (else ``less``, click's default) name a program that exists? An
    unparsable one (``PAGER='"'``) made click raise ValueError, a missing one left stdout
    closed under us (a traceback at exit): both print plainly instead."""
    import os
    import shlex
    import shutil

    try:
        parts = shlex.split(os.environ.get("PAGER") or "less")
    except ValueError:
        return False
    return bool(parts) and shutil.which(parts[0]) is not None


def show(text: str) -> None:
    """On a pager when stdout is a terminal and the pager exists, else printed (scripts
    and pipes get the text)."""
    if sys.stdout.isatty() and _pager_found():
        click.echo_via_pager(text)
    else:
        click.echo(text)


class AwsCommand(click.Command):
    """A command that also answers ``help`` as its only argument, as aws does; ``doc``
    builds the text when asked."""

    def __init__(self, *args: Any, doc: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.doc = doc

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args == ["help"] and self.doc is not None:
            show(self.doc(ctx))
            ctx.exit(0)
        return super().parse_args(ctx, args)
