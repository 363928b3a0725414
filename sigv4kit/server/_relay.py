"""What the proxy passes on and what it writes down: the end-to-end headers (hop-by-hop ones,
those named in ``Connection`` too, dropped both ways), never the client's own signature (its
headers or presigned query parameters), and a log line a client cannot use to drive the
operator's terminal or forge another line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import unquote

__all__: list[str] = []

_HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "transfer-encoding", "upgrade", "proxy-connection", "expect",
})
_SIGNATURE_HEADERS = frozenset({
    "authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256",
})
_QUERY_AUTH = frozenset({
    "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires", "x-amz-signedheaders",
    "x-amz-signature", "x-amz-security-token",
})


def end_to_end(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """``headers`` without the hop-by-hop ones, those named in ``Connection`` too (RFC 9110
    7.6.1): what a proxy passes on, either way."""
    headers = list(headers)
    named = {token.strip().lower() for name, value in headers if name.lower() == "connection"
             for token in value.split(",")}
    return [(n, v) for n, v in headers if n.lower() not in _HOP_BY_HOP and n.lower() not in named]


def forwarded_headers(headers: Iterable[tuple[str, str]],
                      strip: set[str]) -> list[tuple[str, str]]:
    """The client's headers to send on: the end-to-end ones but Host, the client's own
    signature headers and those ``--strip`` names."""
    return [(name, value) for name, value in end_to_end(headers)
            if name.lower() not in strip and name.lower() != "host"
            and name.lower() not in _SIGNATURE_HEADERS]


def without_query_auth(target: str) -> str:
    """The target's query without X-Amz-* signature parameters: a presigned client's own
    (re-signing) or ones a client sent along (signing). Neither is forwarded: the proxy's
    signature is the only one the upstream sees."""
    path, sep, query = target.partition("?")
    if not sep:
        return target
    kept = [p for p in query.split("&") if p and unquote(p.split("=", 1)[0]).lower()
            not in _QUERY_AUTH]
    return path + ("?" + "&".join(kept) if kept else "")


_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")


def loggable(text: str) -> str:
    """The client's text for the log line: anything but printable ASCII escaped (``\\x1b``,
    ``\\u202e``), so a path cannot drive the operator's terminal or forge a log line."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class LogFormatter(logging.Formatter):
    """One line per record, for the proxy's log: an exception (aiohttp logs a traceback for
    every malformed request a client sends) is folded into its name and message, with
    anything unprintable in them escaped, so a client can neither flood the log with
    tracebacks nor write to the operator's terminal through it."""

    def format(self, record: logging.LogRecord) -> str:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None:
            return super().format(record)
        plain = logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None})
        detail = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        return (f"{super().format(plain)} ({type(exc).__name__}"
                f"{': ' + loggable(detail[:300]) if detail else ''})")
