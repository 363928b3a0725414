"""The AWS CLI's output formats: ``json``, ``text`` (tab-separated) and ``table`` (a box).

Ports of ``awscli/formatter.py``, ``awscli/text.py`` and ``awscli/table.py`` (Apache-2.0,
Amazon.com, Inc.), so scripts written against ``aws … --output text`` read our output the same
way; a test compares both with the AWS CLI's own formatters. Tables are coloured as aws colours
them (``--color on``, or ``auto`` on a terminal), byte for byte.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from typing import IO, Any

__all__ = ["FORMATS", "format_json", "format_table", "format_text", "render"]

FORMATS = ("json", "text", "table")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def format_json(data: Any, stream: IO[str]) -> None:
    """``data`` as the AWS CLI's JSON, with C1 and bidi controls in ``\\uXXXX`` form (the same
    JSON value, harmless on a terminal: ``terminal.escape_json``)."""
    from .terminal import escape_json

    if data != {}:
        text = json.dumps(data, indent=4, default=_json_default, ensure_ascii=False)
        stream.write(escape_json(text))
        stream.write("\n")


def render(data: Any, output: str, stream: IO[str], title: str,
           color: str | None = None) -> None:
    """``data`` (ResponseMetadata already removed, --query already applied) in ``output``;
    text and table on a terminal show control and bidi characters escaped; ``color`` is
    --color (None: aws's default, auto)."""
    from .terminal import is_terminal, safe_data

    terminal = output in ("text", "table") and is_terminal(stream)
    if terminal:
        data = safe_data(data)
    if output == "text":
        format_text(data, stream)
    elif output == "table":
        colour = color == "on" or (color != "off" and terminal)
        format_table(title, data, stream, colour)
        if colour and terminal:  # colorama's reset at exit, written only to a terminal
            stream.write(_RESET)
    else:
        format_json(data, stream)


# -- text (awscli/text.py) --------------------------------------------------------------

def _scalar_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime.datetime) else str(value)


def format_text(item: Any, stream: IO[str], identifier: str | None = None,
                scalar_keys: list[str] | None = None) -> None:
    if isinstance(item, dict):
        _text_dict(scalar_keys, item, identifier, stream)
    elif isinstance(item, list):
        _text_list(item, identifier, stream)
    else:
        stream.write(_scalar_text(item) + "\n")


def _text_list(item: list[Any], identifier: str | None, stream: IO[str]) -> None:
    if not item:
        return
    if any(isinstance(el, dict) for el in item):
        keys = sorted({k for el in item if isinstance(el, dict) for k, v in el.items()
                       if not isinstance(v, dict | list)})
        for element in item:
            format_text(element, stream, identifier, keys)
    elif any(isinstance(el, list) for el in item):
        scalars = [el for el in item if not isinstance(el, list | dict)]
        if scalars:
            _text_scalars(scalars, identifier, stream)
        for element in item:
            if isinstance(element, list | dict):
                format_text(element, stream, identifier)
    else:
        _text_scalars(item, identifier, stream)


def _text_scalars(elements: list[Any], identifier: str | None, stream: IO[str]) -> None:
    if identifier is not None:
        for element in elements:
            stream.write(f"{identifier.upper()}\t{_scalar_text(element)}\n")
    else:
        stream.write("\t".join(_scalar_text(e) for e in elements) + "\n")


def _text_dict(scalar_keys: list[str] | None, item: dict[str, Any], identifier: str | None,
               stream: IO[str]) -> None:
    scalars: list[str] = []
    rest: list[tuple[str, Any]] = []
    if scalar_keys is None:
        for key, value in sorted(item.items()):
            if isinstance(value, dict | list):
                rest.append((key, value))
            else:
                scalars.append(_scalar_text(value))
    else:
        scalars = [_scalar_text(item.get(key, "")) for key in scalar_keys]
        rest = [(key, item[key]) for key in sorted(set(item) - set(scalar_keys))]
    if scalars:
        if identifier is not None:
            scalars.insert(0, identifier.upper())
        stream.write("\t".join(scalars) + "\n")
    for key, value in rest:
        format_text(value, stream, key)


# -- table (awscli/formatter.py TableFormatter, awscli/table.py) --------------------------

def _width(text: Any) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WFA" else 1 for c in str(text))


def _terminal_width(default: int = 80) -> int:
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return default


class _Section:
    def __init__(self, title: str = "", indent_level: int = 0) -> None:
        self.title = title
        self.indent_level = indent_level
        self.headers: list[str] = []
        self.rows: list[list[str]] = []
        self._columns: int | None = None
        self._max: list[int] = []

    def add_header(self, headers: list[str]) -> None:
        self._update(headers)
        if self._columns is None:
            self._columns = len(headers)
        self.headers = headers

    def add_row(self, row: list[Any]) -> None:
        if self._columns is None:
            self._columns = len(row)
        cells = [_scalar_text(cell) for cell in row]
        self.rows.append(cells)
        self._update(cells)

    def _update(self, row: list[str]) -> None:
        if not self._max:
            self._max = [_width(cell) for cell in row]
        else:
            for i, cell in enumerate(row):
                self._max[i] = max(_width(cell), self._max[i])

    def widths(self, padding: int = 0, max_width: int | None = None) -> list[int]:
        unscaled = [w + padding for w in self._max]
        if max_width is None or not unscaled:
            return unscaled
        scale = max_width / float(sum(unscaled))
        scaled = [round(scale * w) for w in unscaled]
        off_by = sum(scaled) - max_width
        while off_by != 0:
            order = range(len(scaled)) if off_by > 0 else reversed(range(len(scaled)))
            for i in order:
                if off_by > 0:
                    scaled[i] -= 1
                    off_by -= 1
                else:
                    scaled[i] += 1
                    off_by += 1
                if off_by == 0:
                    break
        return scaled

    def total_width(self, padding: int = 0, outer: int = 0) -> int:
        total = sum(w + padding for w in self.widths()) + 2 + 2 * outer
        return max(_width(self.title) + 2 + 2 * outer, total)


def _center(text: str, length: int, left: str = "|", right: str = "|") -> str:
    size = _width(text)
    start = (length // 2) - (size // 2) - 1
    so_far = _width(left) + start + size
    return left + " " * start + text + " " * (length - _width(right) - so_far) + right


def _align_left(text: str, length: int, left: str = "|", right: str = "|",
                colour: bool = False) -> str:
    size = _width(text)
    padding = 2 if length - (size + 2 + _width(left) + _width(right)) >= 0 else 0
    so_far = len(left) + padding + size
    shown = _ROW + text + _RESET if colour else text
    return left + " " * padding + shown + " " * (length - so_far - len(right)) + right


_RESET = "\x1b[0m"
"""colorama's ``Style.RESET_ALL``. aws colours through ``colorama.init(autoreset=True)``,
which wraps stdout and writes it after *every* write: a coloured table repeats it where aws
made a write, so the bytes match aws's."""
_ROW = "\x1b[1m\x1b[34m"
"""Cells: ``Style.BRIGHT + Fore.BLUE`` (ColorizedStyler.style_row_element); titles and
headers are not styled."""
_INDENT = "\x1b[2m\x1b[33m"
"""The '|' of a nested section's indentation: ``Style.DIM + Fore.YELLOW``."""


class _Table:
    def __init__(self) -> None:
        self.sections: list[_Section] = []
        self.current: _Section | None = None

    def new_section(self, title: str, indent_level: int = 0) -> None:
        self.current = _Section(title, indent_level)
        self.sections.append(self.current)

    def add_header(self, headers: list[str]) -> None:
        assert self.current is not None
        self.current.add_header(headers)

    def add_row(self, row: list[Any]) -> None:
        assert self.current is not None
        self.current.add_row(row)

    def render(self, stream: IO[str], colour: bool = False) -> None:
        width = self._max_width()
        if width > _terminal_width():
            self._to_vertical()
            width = self._max_width()
        stream.write("-" * width + "\n" + (_RESET if colour else ""))
        for section in self.sections:
            self._render_section(section, width, stream, colour)

    def _max_width(self) -> int:
        return max(s.total_width(padding=4, outer=s.indent_level) for s in self.sections)

    def _to_vertical(self) -> None:
        for i, section in enumerate(self.sections):
            if len(section.rows) == 1 and section.headers:
                vertical = _Section(section.title, section.indent_level)
                for header, cell in zip(section.headers, section.rows[0], strict=False):
                    vertical.add_row([header, cell])
                self.sections[i] = vertical

    def _render_section(self, section: _Section, width: int, stream: IO[str],
                        colour: bool) -> None:
        reset = _RESET if colour else ""
        indent = (_INDENT + "|" + _RESET if colour else "|") * section.indent_level
        width -= section.indent_level * 2
        lines: list[str] = []
        if section.title:
            lines.append(_center(section.title, width))
            if not section.headers and not section.rows:
                lines.append("+" + "-" * (width - 2) + "+")
        widths = section.widths(padding=4, max_width=width)
        if section.headers:
            lines.append(_line_break(widths))
            lines.append("".join(
                _center(h, w, "|" if i == 0 else "") for i, (w, h)
                in enumerate(zip(widths, section.headers, strict=False))))
        if section.rows and widths:
            lines.append(_line_break(widths))
            for row in section.rows:
                lines.append("".join(
                    _align_left(c, w, "|" if i == 0 else "", colour=colour) for i, (w, c)
                    in enumerate(zip(widths, row, strict=False))))
            lines.append(_line_break(widths))
        for line in lines:  # aws's writes: indent, line, indent, newline (see _RESET)
            stream.write(f"{indent}{reset}{line}{reset}{indent}{reset}\n{reset}")


def _line_break(widths: list[int]) -> str:
    return "".join(("+" + "-" * (w - 2) + "+") if i == 0 else ("-" * (w - 1) + "+")
                   for i, w in enumerate(widths))


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, list | dict)


def _group_keys(current: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    headers = sorted(k for k, v in current.items() if _is_scalar(v))
    more = sorted(k for k, v in current.items() if not _is_scalar(v))
    return headers, more


def format_table(title: str, data: Any, stream: IO[str], colour: bool = False) -> None:
    table = _Table()
    if _build(table, title, data):
        table.render(stream, colour)


def _build(table: _Table, title: str | None, current: Any, indent: int = 0) -> bool:
    if not current:
        return False
    if title is not None:
        table.new_section(title, indent)
    if isinstance(current, list):
        if isinstance(current[0], dict):
            _build_from_list(table, current, indent, title)
        else:
            for item in current:
                if _is_scalar(item):
                    table.add_row([item])
                elif all(_is_scalar(el) for el in item):
                    table.add_row(list(item))
                else:
                    _build(table, None, item)
    if isinstance(current, dict):
        _build_from_dict(table, current, indent)
    return True


def _build_from_dict(table: _Table, current: dict[str, Any], indent: int) -> None:
    headers, more = _group_keys(current)
    if len(headers) == 1:
        table.add_row([headers[0], current[headers[0]]])
    elif headers:
        table.add_header(headers)
        table.add_row([current[k] for k in headers])
    for key in more:
        _build(table, key, current[key], indent + 1)


def _build_from_list(table: _Table, current: list[Any], indent: int, title: str | None) -> None:
    headers_set: set[str] = set()
    more_set: set[str] = set()
    for item in current:
        h, m = _group_keys(item)
        headers_set.update(h)
        more_set.update(m)
    headers, more = sorted(headers_set), sorted(more_set)
    table.add_header(headers)
    for i, element in enumerate(current):
        if i and more:
            table.new_section(title or "", indent)
            table.add_header(headers)
        table.add_row([element.get(h, "") for h in headers])
        for key in more:
            if key in element:
                _build(table, key, element[key], indent + 1)
