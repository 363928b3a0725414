"""Clock-skew correction: sign with the server's time when it says the local clock is wrong.

A SigV4 signature carries its signing time and AWS refuses one more than five minutes from
its own clock (RequestTimeTooSkewed from S3, InvalidSignatureException "Signature expired" /
"not yet current" from JSON services, SignatureDoesNotMatch with the same words from Query
services, AuthFailure / RequestExpired from EC2). Each such answer carries a ``Date`` header;
like botocore and the AWS SDKs we read the offset from it, re-sign the request once, and use
the offset for that host from then on.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from ..rules import DEFAULT_MAX_SKEW
from ..timestamps import EARLIEST, LATEST

SKEW_STATUSES = frozenset({400, 401, 403})
MAX_ERROR_BODY = 1 << 16
"""An error body is read (and only when the Date already shows skew) up to this size."""

_SKEW_ERROR = re.compile(
    r"RequestTimeTooSkewed|RequestExpired|AuthFailure"
    r"|(?:InvalidSignatureException|SignatureDoesNotMatch)[\s\S]{0,2000}?"
    r"(?:Signature expired|not yet current)"
)
"""The error codes that mean "your clock": botocore's list (``is_clock_skew_error``) plus
EC2's AuthFailure; the two signature errors only with their time wording, since a wrong
secret gives the same codes."""


def server_offset(date_header: str | None, local: float) -> float | None:
    """Seconds the server's clock (its ``Date`` header) is ahead of ``local``, or None."""
    if not date_header:
        return None
    try:
        moment = parsedate_to_datetime(date_header)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # "-0000": RFC 5322's UTC of unknown origin
        moment = moment.replace(tzinfo=UTC)
    if not _signable(moment.timestamp()):
        return None  # no clock: a time nothing can be signed at (X-Amz-Date's range)
    return moment.timestamp() - local


def _signable(seconds: float) -> bool:
    """Whether a moment (Unix seconds) is in the range a request can be signed at
    (``sigv4kit.timestamps.EARLIEST`` .. ``LATEST``)."""
    return EARLIEST.timestamp() <= seconds <= LATEST.timestamp()


def is_skew_error(text: str) -> bool:
    """Whether an error body (XML or JSON) names one of the clock errors."""
    return _SKEW_ERROR.search(text) is not None


class ClockSkew:
    """The offset of each host's clock from ours, learnt from its answers.

    ``signing_time(host)`` is the moment to sign with (None: the local clock, as the core
    reads it); ``after_response`` learns from an answer and says whether to re-sign.
    """

    def __init__(self, *, enabled: bool = True, window: timedelta = DEFAULT_MAX_SKEW) -> None:
        self.enabled = enabled
        self.window = window.total_seconds()
        self._offsets: dict[str, float] = {}
        self._lock = threading.Lock()
        self.clock: Callable[[], float] = time.time

    def offset(self, host: str) -> float:
        return self._offsets.get(host, 0.0)

    def signing_time(self, host: str) -> datetime | None:
        offset = self._offsets.get(host)
        if offset is None:
            return None
        moment = self.clock() + offset
        if not _signable(moment):  # a server's Date near the end of the range, passed since
            with self._lock:
                self._offsets.pop(host, None)
            return None
        return datetime.fromtimestamp(moment, UTC)

    def _disagreement(self, host: str, date_header: str | None) -> float | None:
        """The server's offset when it differs from the one we sign with by more than the
        window, else None."""
        observed = server_offset(date_header, self.clock())
        if observed is None or abs(observed - self._offsets.get(host, 0.0)) <= self.window:
            return None
        return observed

    def worth_reading(self, host: str, status: int, date_header: str | None) -> bool:
        """Whether an answer may be a clock error to correct, so its body is worth reading
        (async clients read it before ``after_response``)."""
        return (self.enabled and status in SKEW_STATUSES
                and self._disagreement(host, date_header) is not None)

    def after_response(
        self, host: str, status: int, date_header: str | None, error_text: Callable[[], str]
    ) -> bool:
        """Learn from one answer; True when the request should be signed again (once).

        An answer whose Date agrees (within the window) with the clock we sign by teaches
        nothing. A clock error whose Date shows that clock off by more than the window sets
        the host's offset and asks for a re-sign. Any other answer that disagrees with
        an offset already held replaces it (the local clock was set right, or the server's
        moved), so a stale offset never outlives the next answer.
        """
        if not self.enabled:
            return False
        observed = self._disagreement(host, date_header)
        if observed is None:
            return False
        held = self._offsets.get(host)
        skew_error = status in SKEW_STATUSES and is_skew_error(error_text())
        if skew_error or held is not None:
            with self._lock:
                if abs(observed) <= self.window:
                    self._offsets.pop(host, None)
                else:
                    self._offsets[host] = observed
        return skew_error
