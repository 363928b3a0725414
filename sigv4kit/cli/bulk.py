"""``presign copy-snapshot --source-snapshot-id -``: one PresignedUrl per line of standard
input, in order. A bad line gets a message naming its number on stderr and no output line;
the good ones are all printed. Everything but the id is checked and encoded once
(``CopySnapshotPresigner``), so tens of thousands of URLs take about a second."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import click

from ..errors import SigningError
from ..model import Credentials, PresignedRequest

__all__ = ["presign_lines"]

MAX_LINE = 4096
"""A line longer than this cannot hold a snapshot id; it is skipped without being stored."""


def presign_lines(credentials: Credentials, *, source_region: str, destination_region: str,
                  expires: int, timestamp: str | datetime | None,
                  source_endpoint_url: str | None, extra_params: Mapping[str, Any],
                  on_template: Callable[[PresignedRequest], None] | None = None) -> int:
    """Print a URL per good line of stdin; return how many lines were bad. ``on_template``
    sees the first signature (its expiry and scope are every URL's) before any is printed."""
    from ..ec2.presigned import CopySnapshotPresigner

    presigner = CopySnapshotPresigner(
        credentials, source_region=source_region, destination_region=destination_region,
        expires=expires, timestamp=timestamp, source_endpoint_url=source_endpoint_url,
        extra_params=extra_params)
    if on_template is not None:
        on_template(presigner.template)
    presign = presigner.presign
    read = sys.stdin.buffer.readline
    out = sys.stdout
    bad = 0
    number = 0
    batch: list[str] = []
    while True:
        raw = read(MAX_LINE)
        if not raw:
            break
        number += 1
        if len(raw) == MAX_LINE and not raw.endswith(b"\n"):
            while True:  # the rest of an overlong line
                more = read(MAX_LINE)
                if not more or more.endswith(b"\n"):
                    break
            bad += 1
            _report(number, f"longer than {MAX_LINE} bytes")
            continue
        try:
            line = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            bad += 1
            _report(number, "not UTF-8 text")
            continue
        try:
            batch.append(presign(line))
        except SigningError as exc:
            bad += 1
            _report(number, "empty" if not line else str(exc).partition(": ")[2])
            continue
        if len(batch) >= 512:
            out.write("\n".join(batch) + "\n")
            batch.clear()
    if batch:
        out.write("\n".join(batch) + "\n")
    out.flush()
    return bad


def _report(number: int, problem: str) -> None:
    sys.stdout.flush()  # messages and URLs stay in input order when both go to a terminal
    click.echo(f"Error: line {number}: {problem}", err=True)
