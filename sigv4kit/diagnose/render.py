"""Presenting a diagnosis: for a terminal (``render_text``) and for programs (``to_dict``).

Session tokens found in the canonical requests, and every value the caller adds, are shown only
as their first four characters and length; server text has control characters escaped.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from typing import Any

from ..redact import redact_for_display, redacted
from .causes import first_line
from .diff import Diagnosis
from .server_error import escape_lone_surrogates
from .textdiff import FirstDifference, PartDiff, first_difference, unified, visible
from .texts import parse_canonical, sts_component

__all__ = ["render_text", "to_dict"]

_COLORS = {"red": "31", "green": "32", "yellow": "33", "cyan": "36", "bold": "1", "dim": "2"}


def _paint(text: str, style: str, color: bool) -> str:
    return f"\x1b[{_COLORS[style]}m{text}\x1b[0m" if color else text


def _secrets_of(diagnosis: Diagnosis, secrets: Sequence[str] | None) -> list[str | None]:
    extra = [s for s in (secrets or ()) if isinstance(s, str)]
    return [*diagnosis.sensitive, *(escape_lone_surrogates(s) for s in extra)]


def _part_view(
    part: PartDiff, secrets: list[str | None], component: Callable[[int], str]
) -> tuple[tuple[str, ...], FirstDifference | None]:
    if part.identical:
        return (), None
    a, b = part.ours.split("\n"), part.server.split("\n")
    return unified(a, b, secrets), first_difference(a, b, component, secrets)


def _components(diagnosis: Diagnosis, name: str) -> Callable[[int], str]:
    if name == "string to sign":
        return sts_component
    part = diagnosis.canonical_request
    return parse_canonical(part.server if part else "").component


def render_text(diagnosis: Diagnosis, color: bool = False, secrets: list[str] | None = None) -> str:
    """The diagnosis for a terminal: the server's verdict, the likely causes (most likely
    first), then each part's first difference with a caret and the full line diff.

    Session tokens found in the canonical requests and every value in ``secrets`` are shown
    only as their first four characters and length; server text has control characters
    escaped. ANSI colour only when ``color`` is true.
    """
    hidden = _secrets_of(diagnosis, secrets)

    def show(text: str) -> str:
        return visible(redact_for_display(text, hidden))

    report = diagnosis.report
    verdict = report.code or "(no error code)"
    if report.message:
        verdict += f": {first_line(report.message)}"
    signature = report.signature_provided
    lines = [_paint("Signature diagnosis", "bold", color), f"Server said:     {show(verdict)}"]
    for label, value in (
        ("Request ID", report.request_id),
        ("Access key ID", report.access_key_id),
        ("Signature sent", redacted(signature) if signature else None),
    ):
        if value:
            lines.append(f"{label + ':':<17}{show(value)}")
    lines.append("")
    lines.append(_paint("Likely causes, most likely first:", "bold", color))
    for n, cause in enumerate(diagnosis.causes, 1):
        head = f"{n}. [{cause.confidence}] {show(cause.title)} ({cause.code})"
        lines.append(_paint(head, "yellow" if n == 1 else "bold", color))
        lines += ["   " + w for w in textwrap.wrap(show(cause.explanation), 92)]
        lines += ["   " + _paint(show(e), "dim", color) for e in cause.evidence]
    lines += [_paint("Note: ", "cyan", color) + show(note) for note in diagnosis.notes]
    for name, part in (
        ("Canonical request", diagnosis.canonical_request),
        ("String to sign", diagnosis.string_to_sign),
    ):
        lines.append("")
        lines += _render_part(name, part, diagnosis, hidden, color)
    return "\n".join(lines) + "\n"


_WINDOW = 96
_BEFORE = 40


def _window(first: FirstDifference) -> tuple[str, str, str]:
    """Both lines cut to a window around the caret, so a long query line still shows where
    it differs."""
    at = len(first.caret) - 1
    start = max(0, at - _BEFORE) if at >= _WINDOW - 8 else 0

    def cut(line: str | None) -> str:
        if line is None:
            return "(no such line)"
        piece = line[start : start + _WINDOW]
        return ("…" if start else "") + piece + ("…" if start + _WINDOW < len(line) else "")

    return cut(first.ours), cut(first.server), " " * (at - start + (1 if start else 0)) + "^"


def _render_part(
    name: str,
    part: PartDiff | None,
    diagnosis: Diagnosis,
    hidden: list[str | None],
    color: bool,
) -> list[str]:
    if part is None:
        return [f"{name}: not reported by the server"]
    if part.identical:
        return [_paint(f"{name}: identical", "green", color)]
    diff, first = _part_view(part, hidden, _components(diagnosis, part.name))
    lines = []
    if first is not None:
        where = f"line {first.line}, column {first.column} ({first.component})"
        ours, server, caret = _window(first)
        lines += [
            _paint(f"{name}: differs at {where}", "bold", color),
            f"  ours:   {ours}",
            f"  server: {server}",
            "          " + _paint(caret, "yellow", color),
        ]
    styles = {"-": "red", "+": "green"}
    for line in diff:
        if line.startswith(("---", "+++", "@@")):
            lines.append("  " + _paint(line, "cyan", color))
        elif line[:1] in styles:
            lines.append("  " + _paint(line, styles[line[:1]], color))
        else:
            lines.append("  " + line)
    return lines


def to_dict(diagnosis: Diagnosis, secrets: list[str] | None = None) -> dict[str, Any]:
    """A JSON-able dict of the diagnosis, with the same redaction as ``render_text`` (control
    characters are left to the JSON encoder)."""
    hidden = _secrets_of(diagnosis, secrets)

    def show(text: str | None) -> str | None:
        return None if text is None else redact_for_display(text, hidden)

    def part_dict(part: PartDiff | None) -> dict[str, Any] | None:
        if part is None:
            return None
        diff, first = _part_view(part, hidden, _components(diagnosis, part.name))
        return {
            "identical": part.identical,
            "ours": show(part.ours),
            "server": show(part.server),
            "diff": list(diff),
            "first_difference": None
            if first is None
            else {
                "line": first.line,
                "column": first.column,
                "component": first.component,
                "ours": first.ours,
                "server": first.server,
                "caret": first.caret,
            },
        }

    report = diagnosis.report
    return {
        "server": {
            "format": report.format,
            "code": show(report.code),
            "message": show(report.message),
            "request_id": show(report.request_id),
            "access_key_id": show(report.access_key_id),
            "signature_provided": None
            if report.signature_provided is None
            else redacted(report.signature_provided),
        },
        "identical": diagnosis.identical,
        "causes": [
            {
                "code": c.code,
                "title": show(c.title),
                "confidence": c.confidence,
                "explanation": show(c.explanation),
                "evidence": [show(e) for e in c.evidence],
            }
            for c in diagnosis.causes
        ],
        "notes": [show(n) for n in diagnosis.notes],
        "canonical_request": part_dict(diagnosis.canonical_request),
        "string_to_sign": part_dict(diagnosis.string_to_sign),
    }
