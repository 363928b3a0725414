"""Where two texts differ: the first differing character, a unified line diff, made safe to show.

Server text is untrusted: control, format and bidi characters are escaped so it cannot drive a
terminal or hide a difference, and every line is redacted before it is shown.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..redact import redact_for_display

__all__ = ["FirstDifference", "PartDiff", "first_difference", "part_diff", "unified", "visible"]

MAX_DIFF_LINES = 2000
"""difflib is quadratic in lines: beyond this the line diff covers the first lines only (a real
canonical request has a few dozen)."""


# Characters a terminal would act on or hide (controls, bidi overrides, zero-width marks):
# server text is untrusted, so they are shown escaped.
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f"
    "\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]"
)
_ESCAPES = {"\t": "\\t", "\r": "\\r", "\n": "\\n"}


@dataclass(frozen=True)
class FirstDifference:
    """Where two texts first differ: 1-based ``line`` and ``column`` (in the raw text), the
    part of the format that line is (``component``), both lines as displayed (redacted, control
    characters escaped; None where one text has no such line) and a ``caret`` line whose ``^``
    sits under the first differing displayed character."""

    line: int
    column: int
    component: str
    ours: str | None
    server: str | None
    caret: str


@dataclass(frozen=True)
class PartDiff:
    """Our text against the server's for one part (canonical request or string to sign).

    ``diff`` is a unified line diff (``ours`` → ``server``) with known session tokens redacted;
    the raw texts are kept (out of the repr) so ``render_text`` can redact more on request.
    """

    name: str
    identical: bool
    diff: tuple[str, ...]
    first_difference: FirstDifference | None
    ours: str = field(repr=False)
    server: str = field(repr=False)


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(text: str) -> str:
    """Control, format and bidi characters escaped so server text cannot drive a terminal or
    hide a difference."""
    return _INVISIBLE.sub(_escape_char, text)


def json_visible(text: str) -> str:
    """JSON text with the characters ``visible`` escapes written as JSON escapes (``\\u202e``):
    ``json.dumps(..., ensure_ascii=False)`` escapes C0 controls only, so C1 controls (``\\x9b``
    is CSI) and bidi overrides from the input would reach a terminal raw. Outside strings
    JSON text holds none of them, so the result is the same JSON value."""
    return _INVISIBLE.sub(_json_escape, text)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:  # C0 (and the layout's newlines) are JSON's own business
        return match.group()
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # a surrogate pair, as JSON writes a character above U+FFFF
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def display(line: str | None, secrets: Sequence[str | None]) -> str | None:
    return None if line is None else visible(redact_for_display(line, secrets))


def first_difference(
    a: Sequence[str],
    b: Sequence[str],
    component: Callable[[int], str],
    secrets: Sequence[str | None],
) -> FirstDifference | None:
    for i in range(max(len(a), len(b))):
        la = a[i] if i < len(a) else None
        lb = b[i] if i < len(b) else None
        if la == lb:
            continue
        column = 0
        if la is not None and lb is not None:
            while column < min(len(la), len(lb)) and la[column] == lb[column]:
                column += 1
        da, db = display(la, secrets), display(lb, secrets)
        shown = 0
        if da is not None and db is not None:
            while shown < min(len(da), len(db)) and da[shown] == db[shown]:
                shown += 1
            if da == db:
                # The difference is inside a redacted value: point at the redaction.
                marker = da.find("…(")
                shown = max(marker - 4, 0) if marker >= 0 else 0
        return FirstDifference(
            line=i + 1,
            column=column + 1,
            component=component(i),
            ours=da,
            server=db,
            caret=" " * shown + "^",
        )
    return None


def unified(a: Sequence[str], b: Sequence[str], secrets: Sequence[str | None]) -> tuple[str, ...]:
    """A unified diff over the raw lines (so a difference inside a token still shows as a
    changed line), each line then redacted and made visible."""
    cut_a, cut_b = list(a[:MAX_DIFF_LINES]), list(b[:MAX_DIFF_LINES])
    out = []
    context = max(len(cut_a), len(cut_b))
    for line in difflib.unified_diff(cut_a, cut_b, "ours", "server", lineterm="", n=context):
        if line.startswith(("---", "+++", "@@")):
            out.append(line)
        else:
            out.append(line[:1] + (display(line[1:], secrets) or ""))
    if len(a) > MAX_DIFF_LINES or len(b) > MAX_DIFF_LINES:
        out.append(f"… (lines after {MAX_DIFF_LINES} not compared)")
    return tuple(out)


def part_diff(
    name: str,
    ours: str,
    server: str,
    component: Callable[[int], str],
    secrets: Sequence[str | None],
) -> PartDiff:
    if ours == server:
        return PartDiff(name, True, (), None, ours, server)
    a, b = ours.split("\n"), server.split("\n")
    return PartDiff(
        name=name,
        identical=False,
        diff=unified(a, b, secrets),
        first_difference=first_difference(a, b, component, secrets),
        ours=ours,
        server=server,
    )
