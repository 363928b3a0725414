"""Parsing ``--header 'Name: value'`` the way curl does."""

from __future__ import annotations

import click

__all__ = ["parse_header"]


def parse_header(text: str) -> tuple[str, str]:
    """``'Name: value'`` to a pair; the value is trimmed. Validity is checked by Request."""
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise click.BadParameter(f"{text!r} is not 'Name: value'", param_hint="--header")
    if name != name.strip():
        raise click.BadParameter(
            f"{text!r}: no spaces are allowed around a header name", param_hint="--header"
        )
    return name, value.strip()
