"""Text from elsewhere (a server's message, a snapshot's description, a tag) made safe to show
on a terminal.

A terminal obeys what it is sent: ESC and the C1 controls (U+009B is CSI, U+009D OSC) move
the cursor, retitle the window or hide text; a CR sends the cursor back so a forged "Everything
is fine" overwrites the error; bidi overrides make ``exe.txt`` read as ``txt.exe``. So control
and bidi characters are shown escaped (``\\x1b``, ``\\u202e``): in messages always, in
service data printed as text or table when the output is a terminal (a script reading a pipe
gets the data as the service sent it), and in JSON always as JSON's own ``\\uXXXX`` form,
which reads back as the same string.
"""

from __future__ import annotations

import re
from typing import IO, Any

__all__ = ["escape_data", "escape_json", "escape_message", "is_terminal", "safe_data"]

_BIDI_AND_SEPARATORS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029"
_UNSAFE_IN_MESSAGE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI_AND_SEPARATORS}]")
"""Everything but TAB and LF (a message may have several lines)."""
_UNSAFE_IN_DATA = re.compile(f"[\x00-\x08\x0a-\x1f\x7f-\x9f{_BIDI_AND_SEPARATORS}]")
"""Everything but TAB: a newline in a description must not forge a row."""
_UNSAFE_IN_JSON = re.compile(f"[\x7f-\x9f{_BIDI_AND_SEPARATORS}]")
"""What ``json.dumps(ensure_ascii=False)`` leaves raw (it escapes C0 itself)."""


_NAMED = {"\r": "\\r", "\n": "\\n"}


def _shown(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def escape_message(text: str) -> str:
    """A message for stderr with every control character but TAB and LF, and every bidi
    control, escaped."""
    return _UNSAFE_IN_MESSAGE.sub(_shown, text)


def escape_data(text: str) -> str:
    """A value of service data for a terminal: controls (LF too) and bidi controls escaped."""
    return _UNSAFE_IN_DATA.sub(_shown, text)


def escape_json(text: str) -> str:
    """Serialized JSON with DEL, C1 and bidi controls as ``\\uXXXX``: the same JSON value,
    safe on any terminal (they only occur inside strings)."""
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def is_terminal(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def safe_data(data: Any) -> Any:
    """``data`` (JSON-shaped) with every string, keys too, through ``escape_data``."""
    if isinstance(data, str):
        return escape_data(data)
    if isinstance(data, dict):
        return {safe_data(k): safe_data(v) for k, v in data.items()}
    if isinstance(data, list):
        return [safe_data(v) for v in data]
    return data
