"""Reading what a user names as input (``@file``, ``file://``, ``fileb://``, ``@-``): a regular
file or standard input when asked, never more than a stated limit.

``/dev/zero`` would fill memory, a FIFO would block ``open`` forever, a 300 MB file would cost
gigabytes once decoded and parsed. So a path is opened without blocking, must be a regular
file (or a pipe, as ``<(command)`` gives), and is read to one byte past its limit; the
message names the limit.
"""

from __future__ import annotations

import os
import stat
import sys
from typing import BinaryIO

from ..errors import Error
from ..redact import excerpt

__all__ = ["MAX_PARAM_FILE", "STDIN_NAMES", "InputFileError", "open_regular", "param_file",
           "read_limited"]

MAX_PARAM_FILE = 1024 * 1024
"""The largest ``file://`` or ``fileb://`` parameter (1 MiB): an EC2 Query request is far
smaller (user data is 16 KB), and a megabyte of JSON is already tens of MB parsed."""

STDIN_NAMES = frozenset({"-", "/dev/stdin"})
"""Paths that mean "standard input": the one stream read that is not a regular file."""


class InputFileError(Error, ValueError):
    """A named input that cannot be read: not a regular file, too large, missing."""


def _shown(source: str) -> str:
    return "standard input" if source in STDIN_NAMES else excerpt(source)


def open_regular(source: str) -> BinaryIO:
    """``source`` opened for reading: standard input for ``-``, else a regular file or a pipe
    (``<(command)``), opened without blocking so a FIFO nobody writes to reads as empty
    instead of hanging ``open``; devices (``/dev/zero``), folders and sockets are refused."""
    if source in STDIN_NAMES:
        return sys.stdin.buffer
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(source, flags)
    except OSError as exc:
        raise InputFileError(
            f"cannot read {_shown(source)}: {exc.strerror or type(exc).__name__}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
            raise InputFileError(
                f"{_shown(source)} is not a regular file (give a file, or - for standard input)")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_limited(source: str, limit: int) -> bytes:
    """All of ``source`` (a path, or ``-`` for standard input), or ``InputFileError`` naming
    the limit when it holds more than ``limit`` bytes; never reads past ``limit + 1``."""
    stream = open_regular(source)
    try:
        data = stream.read(limit + 1)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    if len(data) > limit:
        raise InputFileError(f"{_shown(source)} holds more than the limit of {limit} bytes")
    return data


def param_file(value: str, *, binary_ok: bool = False) -> str | bytes | None:
    """The content ``value`` names, as the AWS CLI reads parameter files: ``file://PATH`` as
    UTF-8 text, ``fileb://PATH`` as bytes (``binary_ok``: a blob member), ``~`` and
    variables expanded; ``file://-`` is standard input. None when ``value`` names no file."""
    if value.startswith("fileb://"):
        prefix, binary = "fileb://", True
    elif value.startswith("file://"):
        prefix, binary = "file://", False
    else:
        return None
    if binary and not binary_ok:
        raise InputFileError("fileb:// is for binary (blob) members; give text as file://")
    raw = value[len(prefix):]
    path = raw if raw in STDIN_NAMES else os.path.expanduser(os.path.expandvars(raw))
    data = read_limited(path, MAX_PARAM_FILE)
    if binary:
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{_shown(path)} is not UTF-8 text (byte {exc.start}); use fileb:// for binary"
        ) from None
