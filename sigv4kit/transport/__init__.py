"""The one place a signed request goes on the wire (through requests): bound to its host,
within a total deadline, with bounded reads and capped decompression.

It imports the core only; ``ec2.Client`` and ``sigv4kit sign --send`` send through it. It is a
layer of its own because both need the same guarantees and neither owns the other.
"""

from .errors import (
    ConnectFailed,
    ConnectionLost,
    DeadlineExceeded,
    ReadTimedOut,
    RedirectRefused,
    ResponseBodyError,
    TransportError,
)
from .exchange import MAX_DECODED_BYTES, MAX_TIMEOUT, Response, Transport, check_timeout

__all__ = [
    "MAX_DECODED_BYTES",
    "MAX_TIMEOUT",
    "ConnectFailed",
    "ConnectionLost",
    "DeadlineExceeded",
    "ReadTimedOut",
    "RedirectRefused",
    "Response",
    "ResponseBodyError",
    "Transport",
    "TransportError",
    "check_timeout",
]
