"""What can go wrong between sending a signed request and reading the whole answer.

Every class is a ``TransportError``, which is a ``requests.RequestException`` too, so code
written against requests keeps catching them; ``RedirectRefused`` (re-exported here) is the
core's (``sigv4kit.errors``), the one exception of the origin rule every sending layer
shares. Messages name the host, never a query string, a header value or a body: a URL may
carry a session token, a body may be huge or hostile.
"""

from __future__ import annotations

import requests

from ..errors import Error, RedirectRefused

__all__ = [
    "ConnectFailed", "ConnectionLost", "DeadlineExceeded", "ReadTimedOut", "RedirectRefused",
    "ResponseBodyError", "TransportError",
]


class TransportError(Error, requests.exceptions.RequestException):
    """The exchange failed; ``sent`` is False only when no byte can have reached the server
    (so a write may be retried safely)."""

    sent: bool = True

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConnectFailed(TransportError):
    """No connection: refused, unreachable, name not resolved, or connect timed out."""

    sent = False


class ReadTimedOut(TransportError):
    """The server stayed silent longer than the read timeout between two reads."""


class DeadlineExceeded(TransportError):
    """The whole exchange (connect, send, the complete response) took longer than allowed."""

    def __init__(self, message: str, *, sent: bool = True) -> None:
        super().__init__(message)
        self.sent = sent


class ConnectionLost(TransportError):
    """The connection broke (reset, closed, TLS failure) before the answer was complete."""


class ResponseBodyError(TransportError):
    """The answer arrived but its body cannot be used: larger than the limit (on the wire or
    decompressed), cut short, or in an encoding that cannot be decoded. The server did receive
    the request and may have acted on it."""

    def __init__(self, message: str, *, status: int, received: int) -> None:
        super().__init__(message)
        self.status = status
        self.received = received
