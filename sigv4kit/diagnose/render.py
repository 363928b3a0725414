"""Presenting the debugger's results, a diagnosis (``diff_report``) or an explanation
(``explain_request``): for a terminal (``render_text``) and for programs (``to_dict``). The one
renderer: ``explain``'s own ``render_text`` and ``to_dict`` delegate here.

Session tokens found in the canonical requests, and every value the caller adds, are shown only
as their first four characters and length; server text has control characters escaped.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ..keys import ALGORITHM_V4A
from ..redact import redact_for_display, redact_url, redacted
from ..timestamps import format_iso, span
from .causes import first_line
from .explain import Explanation
from .server_error import escape_lone_surrogates
from .textdiff import FirstDifference, PartDiff, first_difference, unified, visible
from .texts import parse_canonical, sts_component

if TYPE_CHECKING:
    from .diff import Diagnosis

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


def render_text(
    diagnosis: Diagnosis | Explanation, color: bool = False, secrets: list[str] | None = None
) -> str:
    """A diagnosis or an explanation for a terminal.

    A diagnosis (``diff_report``) is shown: the server's verdict, the likely causes (most likely
    first), then each part's first difference with a caret and the full line diff.

    Session tokens found in the canonical requests and every value in ``secrets`` are shown
    only as their first four characters and length; server text has control characters
    escaped. ANSI colour only when ``color`` is true.

    An explanation is shown as its summary lines, warnings, then the rebuilt canonical request
    and string to sign (to diff against the signer's debug log), control, format and bidi
    characters from the input escaped; its session token and signature are always redacted.
    """
    if isinstance(diagnosis, Explanation):
        return _explanation_text(diagnosis)
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


def to_dict(
    diagnosis: Diagnosis | Explanation, secrets: list[str] | None = None
) -> dict[str, Any]:
    """A JSON-able dict of the diagnosis or explanation, with the same redaction as
    ``render_text`` (control characters are left to the JSON encoder)."""
    if isinstance(diagnosis, Explanation):
        return _explanation_dict(diagnosis)
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


# -- an explanation --------------------------------------------------------------------------

def _safe_canonical(e: Explanation) -> str | None:
    if e.canonical_request is None:
        return None
    return redact_for_display(e.canonical_request, [e.session_token])


def _explanation_dict(e: Explanation) -> dict[str, Any]:
    """A JSON-able dict of ``e`` (times as ISO 8601 UTC), token and signature redacted."""
    return {
        "method": e.method,
        "url": redact_url(e.url),
        "host": e.host,
        "host_region": e.host_region,
        "host_service": e.host_service,
        "mode": e.mode,
        "algorithm": e.algorithm,
        "access_key_id": e.access_key_id,
        "credential_scope": e.credential_scope,
        "scope": {
            "date": e.scope_date,
            "region": e.region,
            "region_set": None if e.region_set is None else list(e.region_set),
            "service": e.service,
        },
        "signed_headers": list(e.signed_headers),
        "unsigned_headers": list(e.unsigned_headers),
        "issued": None if e.issued is None else format_iso(e.issued),
        "expires_in": e.expires_in,
        "expires_at": None if e.expires_at is None else format_iso(e.expires_at),
        "now": format_iso(e.now),
        "seconds_left": e.seconds_left,
        "signature": None if e.signature is None else redacted(e.signature),
        "session_token": None if e.session_token is None else redacted(e.session_token),
        "session_token_signed": e.session_token_signed,
        "canonical_request": _safe_canonical(e),
        "string_to_sign": e.string_to_sign,
        "body_length": e.body_length,
        "payload": e.payload,
        "aws_chunked": None
        if e.chunk_sizes is None
        else {
            "chunks": len(e.chunk_sizes),
            "chunk_sizes": list(e.chunk_sizes),
            "decoded_length": sum(e.chunk_sizes),
            "trailers": [list(t) for t in e.trailers],
        },
        "warnings": [{"code": w.code, "message": w.message} for w in e.warnings],
        "kind": None if e.kind is None else
        {"name": e.kind.name, "title": e.kind.title, "notes": list(e.kind.notes)},
    }


def _explanation_text(e: Explanation) -> str:
    """The explanation for a terminal: summary lines, warnings, then the rebuilt canonical
    request and string to sign (to diff against the signer's debug log); control, format and
    bidi characters from the input shown escaped (``textdiff.visible``)."""
    lines = [] if e.kind is None else [f"Token:           {e.kind.title}"]
    lines.append(f"Request:         {e.method} {redact_url(e.url)}")
    if e.algorithm is None:
        lines.append("Signature:       none that can be read")
    else:
        kind = "SigV4a" if e.algorithm == ALGORITHM_V4A else "SigV4"
        mode = "presigned URL" if e.mode == "query" else "Authorization header"
        lines += [
            f"Algorithm:       {e.algorithm} ({kind}, {mode})",
            f"Access key id:   {e.access_key_id}",
            f"Scope:           {e.credential_scope}",
            f"  date:          {e.scope_date}",
        ]
        if e.region_set is not None:
            lines.append(f"  region set:    {','.join(e.region_set)}")
        else:
            lines.append(f"  region:        {e.region}")
        lines += [
            f"  service:       {e.service}",
            f"Signed headers:  {';'.join(e.signed_headers)}",
        ]
        if e.unsigned_headers:
            lines.append(f"Unsigned:        {', '.join(e.unsigned_headers)}")
        if e.issued is not None and e.expires_at is not None and e.seconds_left is not None:
            validity = (
                f"X-Amz-Expires {e.expires_in}s" if e.mode == "query" else "5 minutes of clock skew"
            )
            left = timedelta(seconds=e.seconds_left)
            status = f"{span(left)} left" if e.seconds_left >= 0 else f"overdue by {span(left)}"
            lines += [
                f"Issued:          {format_iso(e.issued)}",
                f"Valid until:     {format_iso(e.expires_at)} ({validity})",
                f"Now:             {format_iso(e.now)} ({status})",
            ]
        if e.session_token is not None:
            signed = {True: "signed", False: "not signed", None: "signed unless appended later"}
            lines.append(
                f"Session token:   {redacted(e.session_token)}, {signed[e.session_token_signed]}"
            )
        lines.append(f"Signature:       {redacted(e.signature or '')}")
    if e.chunk_sizes is not None:
        lines.append(f"Body:            aws-chunked ({e.payload}), {_chunks_text(e.chunk_sizes)}")
        lines += [f"  trailer:       {name}: {value}" for name, value in e.trailers]
    if e.host is not None:
        where = ", ".join(
            f"{k} {v}" for k, v in (("region", e.host_region), ("service", e.host_service)) if v
        )
        lines.append(f"Host:            {e.host}" + (f" ({where})" if where else ""))
    lines.append("")
    if e.warnings:
        lines.append("Warnings:")
        lines += [f"  [{w.code}] {w.message}" for w in e.warnings]
    else:
        lines.append("Warnings:        none")
    if e.kind is not None and e.kind.notes:
        lines += ["Notes:", *[f"  {note}" for note in e.kind.notes]]
    canonical = _safe_canonical(e)
    if canonical is not None and e.string_to_sign is not None:
        lines += ["", "Canonical request:", *_indent(canonical), ""]
        lines += ["String to sign:", *_indent(e.string_to_sign)]
    # header and trailer values are the input's own text: a terminal must not act on them
    return "\n".join([visible(line) for line in "\n".join(lines).split("\n")]) + "\n"


def _chunks_text(sizes: tuple[int, ...]) -> str:
    """``3 chunks (65536, 1024, 0 bytes), 66560 bytes decoded``; long runs of one size merged."""
    runs: list[tuple[int, int]] = []
    for size in sizes:
        if runs and runs[-1][0] == size:
            runs[-1] = (size, runs[-1][1] + 1)
        else:
            runs.append((size, 1))
    shown = ", ".join(f"{size}" if n == 1 else f"{n} x {size}" for size, n in runs[:8])
    if len(runs) > 8:
        shown += ", …"
    return f"{len(sizes)} chunks ({shown} bytes), {sum(sizes)} bytes decoded"


def _indent(text: str) -> list[str]:
    return ["  " + line for line in text.split("\n")]
