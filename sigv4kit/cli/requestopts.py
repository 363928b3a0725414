"""The request a command signs, as given on the command line: its body and its URL as sent.

``sign`` and ``diff`` must build the same request from the same arguments, or ``diff`` would
compare the server's canonical request with something ``sign`` never sent.
"""

from __future__ import annotations

import sys

import click


def read_data(data: str | None) -> tuple[bytes, str | None]:
    """curl's ``-d`` forms: TEXT, ``@file`` or ``@-``; returns the body and the file name."""
    if data is None:
        return b"", None
    if data == "@-":
        return sys.stdin.buffer.read(), "-"
    if data.startswith("@"):
        path = data[1:]
        try:
            with open(path, "rb") as fh:
                return fh.read(), path
        except OSError as exc:
            raise click.BadParameter(
                f"cannot read {path!r}: {exc.strerror}", param_hint="--data"
            ) from None
    return data.encode("utf-8"), None


def wire_url(method: str, url: str) -> str:
    """The URL exactly as requests will send it (re-quoted), which is what must be signed."""
    import requests

    try:
        prepared = requests.Request(method, url).prepare()
    except requests.exceptions.RequestException as exc:
        raise click.BadParameter(str(exc), param_hint="URL") from None
    assert prepared.url is not None
    return prepared.url
