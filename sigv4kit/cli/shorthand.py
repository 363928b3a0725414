"""The AWS CLI's shorthand syntax: ``ResourceType=snapshot,Tags=[{Key=a,Value=b}]``.

A port of the AWS CLI's ``awscli/shorthand.py`` (Apache-2.0, Amazon.com, Inc.), grammar and
error messages kept, so a value copied from the AWS CLI documentation parses to the same
structure (a test compares the two parsers). What it returns holds strings only: the option
layer (``modelopts``) turns them into the model's integers, booleans and one-item lists, as
the AWS CLI's ``BackCompatVisitor`` does. ``key@=file://path`` reads the value from a file.
"""

from __future__ import annotations

import re
import string
from typing import Any

from ..errors import Error

__all__ = ["ShorthandError", "parse_shorthand"]

_EOF = ""


class ShorthandError(Error, ValueError):
    """The value is not shorthand; the message points at the offending character."""

    def __init__(self, value: str, expected: str, actual: str, index: int) -> None:
        self.index = index
        super().__init__(f"Expected: '{expected}', received: '{actual}' for input:\n"
                         f"{_location(value, index)}")


_WINDOW = 60
"""Characters of the input shown on each side of the offending one: a long value (a file's
content) is not echoed whole."""


def _location(value: str, index: int) -> str:
    if len(value) <= 2 * _WINDOW:
        return _location_in(value, index)
    line_start = value.rfind("\n", 0, index) + 1
    line_end = value.find("\n", index)
    line_end = len(value) if line_end < 0 else line_end
    start = max(line_start, index - _WINDOW)
    if start > line_start:
        start = _after_separator(value, start, index)
    end = min(line_end, index + _WINDOW)
    head = f"… ({start} characters before) " if start else ""
    tail = f" … ({len(value) - end} characters after)" if end < len(value) else ""
    return f"{head}{value[start:end]}{tail}\n{' ' * (len(head) + _width(value[start:index]))}^"


def _width(text: str) -> int:
    """Columns ``text`` takes once printed: its control and bidi characters are shown escaped
    (``terminal.escape_message``), so the caret under the offending one must count them so."""
    from .terminal import escape_message

    return len(escape_message(text))


def _after_separator(value: str, start: int, index: int) -> int:
    """The window starts after a separator, so no credential is shown cut in two."""
    for i in range(start, index):
        if value[i] in ",=[]{} \t\n":
            return i + 1
    return index


def _location_in(value: str, index: int) -> str:
    consumed, remaining, spaces = value, "", _width(value[:index])
    if "\n" in value[:index]:
        spaces = _width(value[value[:index].rindex("\n") + 1:index])
    if "\n" in value[index:]:
        next_newline = index + value[index:].index("\n")
        consumed, remaining = value[:next_newline], value[next_newline:]
    return f"{consumed}\n{' ' * spaces}^{remaining}"


_SINGLE_QUOTED = re.compile(r"'(?:\\'|[^'])*'")
_DOUBLE_QUOTED = re.compile(r'"(?:\\"|[^"])*"')
_START_WORD = "\\!\\#-&\\(-\\+\\--\\<\\>-Z\\\\\\\\-z\\u007c-\\uffff"
_FIRST_FOLLOW = "\\s\\!\\#-&\\(-\\+\\--\\\\\\\\\\^-\\|~-\\uffff"
_SECOND_FOLLOW = "\\s\\!\\#-&\\(-\\+\\--\\<\\>-\\uffff"
_ESCAPED_COMMA = "(\\\\,)"
_FIRST_VALUE = re.compile(
    f"({_ESCAPED_COMMA}|[{_START_WORD}])({_ESCAPED_COMMA}|[{_FIRST_FOLLOW}])*"
)
_SECOND_VALUE = re.compile(
    f"({_ESCAPED_COMMA}|[{_START_WORD}])({_ESCAPED_COMMA}|[{_SECOND_FOLLOW}])*"
)
_KEY_CHARS = frozenset(string.ascii_letters + string.digits + "-_.#/:")
_NAMES = {_FIRST_VALUE: "first", _SECOND_VALUE: "second", _SINGLE_QUOTED: "singled quoted",
          _DOUBLE_QUOTED: "double quoted"}


def parse_shorthand(value: str) -> dict[str, Any]:
    """``a=b,c=[d,e],f={g=h}`` -> ``{"a": "b", "c": ["d", "e"], "f": {"g": "h"}}``."""
    return _Parser(value).parameter()


class _Parser:
    def __init__(self, value: str) -> None:
        self.text = value
        self.index = 0
        self.from_file = False

    # -- grammar ----------------------------------------------------------------------

    def parameter(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        key, val = self.keyval()
        params[key] = val
        last = self.index
        while self.index < len(self.text):
            self.expect(",", whitespace=True)
            key, val = self.keyval()
            if key in params:
                raise ValueError(
                    f'Second instance of key "{key}" encountered for input:\n'
                    f"{_location(self.text, last + 1)}\nThis is often because there is a "
                    'preceding "," instead of a space.'
                )
            params[key] = val
            last = self.index
        return params

    def keyval(self) -> tuple[str, Any]:
        key = self.key()
        self.file_marker()
        self.expect("=", whitespace=True)
        return key, self.values()

    def file_marker(self) -> None:
        self.skip_whitespace()
        self.from_file = self.current() == "@"
        if self.from_file:
            self.index += 1
            self.skip_whitespace()

    def key(self) -> str:
        start = self.index
        while not self.at_eof() and self.current() in _KEY_CHARS:
            self.index += 1
        return self.text[start:self.index]

    def values(self) -> Any:
        if self.at_eof():
            return ""
        if self.current() == "[":
            return self.explicit_list()
        if self.current() == "{":
            return self.hash_literal()
        return self.csv_value()

    def csv_value(self) -> Any:
        first = self.first_value()
        self.skip_whitespace()
        if self.at_eof() or self.text[self.index] != ",":
            return first
        self.expect(",", whitespace=True)
        items = [first]
        while True:
            try:
                current = self.second_value()
                self.skip_whitespace()
                if self.at_eof():
                    items.append(current)
                    break
                self.expect(",", whitespace=True)
                items.append(current)
            except ShorthandError:
                if self.at_eof():
                    raise
                self.backtrack_to(",")
                break
        return first if len(items) == 1 else items

    def explicit_list(self) -> list[Any]:
        self.expect("[", whitespace=True)
        values: list[Any] = []
        while self.current() != "]":
            values.append(self.explicit_value())
            self.skip_whitespace()
            if self.current() != "]":
                self.expect(",")
                self.skip_whitespace()
        self.expect("]")
        return values

    def explicit_value(self) -> Any:
        if self.current() == "[":
            return self.explicit_list()
        if self.current() == "{":
            return self.hash_literal()
        return self.first_value()

    def hash_literal(self) -> dict[str, Any]:
        self.expect("{", whitespace=True)
        pairs: dict[str, Any] = {}
        while self.current() != "}":
            key = self.key()
            self.file_marker()
            self.expect("=", whitespace=True)
            value = self.explicit_value()
            self.skip_whitespace()
            if self.current() != "}":
                self.expect(",")
                self.skip_whitespace()
            pairs[key] = value
        self.expect("}")
        return pairs

    def first_value(self) -> str:
        if self.current() in ("'", '"'):
            return self.quoted()
        match = _FIRST_VALUE.match(self.text, self.index)
        if match is None:
            return ""
        self.index = match.end()
        return self.resolve(match.group().replace("\\,", ",").rstrip())

    def second_value(self) -> str:
        if self.current() in ("'", '"'):
            return self.quoted()
        return self.resolve(self.must_match(_SECOND_VALUE).replace("\\,", ",").rstrip())

    def quoted(self) -> str:
        quote = self.current()
        value = self.must_match(_SINGLE_QUOTED if quote == "'" else _DOUBLE_QUOTED)[1:-1]
        value = value.replace("\\" + quote, quote).replace("\\\\", "\\")
        return self.resolve(value)

    # -- scanning ---------------------------------------------------------------------

    def resolve(self, value: str) -> str:
        if not self.from_file:
            return value
        from .modelopts import read_param_file

        found = read_param_file(value)
        return value if found is None else found

    def expect(self, char: str, whitespace: bool = False) -> None:
        if whitespace:
            self.skip_whitespace()
        if self.index >= len(self.text):
            raise ShorthandError(self.text, char, "EOF", self.index)
        actual = self.text[self.index]
        if actual != char:
            raise ShorthandError(self.text, char, actual, self.index)
        self.index += 1
        if whitespace:
            self.skip_whitespace()

    def must_match(self, regex: re.Pattern[str]) -> str:
        match = regex.match(self.text, self.index)
        if match is None:
            raise ShorthandError(self.text, f"<{_NAMES[regex]}>", "<none>", self.index)
        self.index = match.end()
        return match.group()

    def current(self) -> str:
        return self.text[self.index] if self.index < len(self.text) else _EOF

    def at_eof(self) -> bool:
        return self.index >= len(self.text)

    def backtrack_to(self, char: str) -> None:
        while self.index >= 0 and self.text[self.index] != char:
            self.index -= 1

    def skip_whitespace(self) -> None:
        while not self.at_eof() and self.text[self.index] in string.whitespace:
            self.index += 1
