"""What can go wrong after an EC2 Query request was sent: the service said no, or the reply
could not be read.

The two cases are different exceptions on purpose. `ApiError` means EC2 (or something in
front of it) answered with an error the caller can act on: fix the request, back off, treat
``DryRunOperation`` as success. `ResponseParseError` means we cannot tell what happened — the
body was too large, not XML, truncated or hostile — so the caller must not assume the
operation failed (a ``CopySnapshot`` may have started) nor that it succeeded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ..errors import Error

__all__ = ["ApiError", "ResponseParseError", "SnapshotStateError", "WaitTimeoutError"]

THROTTLING_CODES: Final = frozenset(
    {
        "RequestLimitExceeded",
        "EC2ThrottledException",
        "Throttling",
        "ThrottlingException",
        "RequestThrottled",
        "RequestThrottledException",
        "ThrottledException",
        "TooManyRequestsException",
        "BandwidthLimitExceeded",
    }
)
"""Error codes that mean "slow down", after botocore's standard retry mode list (minus codes
that name a quota or a conflict rather than a request rate)."""

DRY_RUN_SUCCESS_CODE: Final = "DryRunOperation"
"""EC2 answers a permitted ``DryRun=true`` request with this error code (HTTP 412)."""


class ApiError(Error):
    """An error response from EC2, shaped like botocore's ``ClientError``.

    ``str(error)`` reads exactly like botocore's message, so logs and user habits carry
    over; `response` rebuilds botocore's ``error.response`` dict for code ported from boto3.
    ``debug`` and ``retry_attempts`` start empty: the client sets them after the fact
    (``debug`` to our redacted canonical request and string to sign), because the parser
    that raises this never sees the request nor knows how often it was sent.
    """

    max_attempts_reached: bool = False
    """True when the client would have retried this error but had no attempt left (botocore's
    ``MaxAttemptsReached``: its message then says ``(reached max retries: N)``)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        http_status: int,
        request_id: str | None = None,
        operation: str | None = None,
        debug: str | None = None,
        http_headers: Mapping[str, str] | None = None,
        retry_attempts: int = 0,
    ) -> None:
        self.code = code
        self.message = message
        self.http_status = http_status
        self.request_id = request_id
        self.operation = operation
        self.debug = debug
        self.retry_attempts = retry_attempts
        self.http_headers: dict[str, str] = {k.lower(): v for k, v in (http_headers or {}).items()}
        super().__init__(code, message)

    def __str__(self) -> str:
        where = f" when calling the {self.operation} operation" if self.operation else ""
        return f"An error occurred ({self.code}){where}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"ApiError(code={self.code!r}, http_status={self.http_status}, "
            f"request_id={self.request_id!r}, operation={self.operation!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        """Keyword-only arguments defeat Exception's default pickling; spell them out."""
        state = {
            "http_status": self.http_status,
            "request_id": self.request_id,
            "operation": self.operation,
            "debug": self.debug,
            "http_headers": self.http_headers,
            "retry_attempts": self.retry_attempts,
        }
        return (_rebuild_api_error, (self.code, self.message, state))

    @property
    def is_dry_run_success(self) -> bool:
        """True when a ``DryRun=true`` call would have been allowed."""
        return self.code == DRY_RUN_SUCCESS_CODE

    @property
    def is_throttling(self) -> bool:
        """True when the request was refused for its rate, so a later retry may succeed."""
        return self.code in THROTTLING_CODES

    @property
    def response(self) -> dict[str, Any]:
        """The error as botocore's ``ClientError.response`` would hold it."""
        metadata: dict[str, Any] = {}
        if self.request_id is not None:
            metadata["RequestId"] = self.request_id
        metadata["HTTPStatusCode"] = self.http_status
        metadata["HTTPHeaders"] = dict(self.http_headers)
        metadata["RetryAttempts"] = self.retry_attempts
        return {
            "Error": {"Code": self.code, "Message": self.message},
            "ResponseMetadata": metadata,
        }


def _rebuild_api_error(code: str, message: str, state: dict[str, Any]) -> ApiError:
    return ApiError(code, message, **state)


class ResponseParseError(Error):
    """The response could not be turned into a result or an `ApiError`.

    Raised for bodies that are oversized, not well-formed XML, truncated, or that try XML
    tricks (DTDs, entity expansion, external entities, absurd nesting), and for values that do
    not fit the modelled type. The message says what was wrong and where, with the HTTP
    status and body size, but never repeats the body: it may be huge or attacker-controlled.
    """

    def __init__(self, reason: str, *, http_status: int, body_size: int | None = None) -> None:
        self.reason = reason
        self.http_status = http_status
        self.body_size = body_size
        size = "" if body_size is None else f", {body_size} bytes"
        super().__init__(f"{reason} (HTTP {http_status}{size})")

    def __reduce__(self) -> tuple[Any, ...]:
        """Keyword-only arguments defeat Exception's default pickling; spell them out."""
        return (_rebuild_parse_error, (self.reason, self.http_status, self.body_size))


def _rebuild_parse_error(
    reason: str, http_status: int, body_size: int | None
) -> ResponseParseError:
    return ResponseParseError(reason, http_status=http_status, body_size=body_size)


class SnapshotStateError(Error):
    """A snapshot being waited for went to ``error``.

    For a CopySnapshot this is where a bad PresignedUrl finally shows: EC2 accepted the call,
    then failed the copy. ``state_message`` is EC2's StateMessage, verbatim.
    """

    def __init__(self, snapshot_id: str, state_message: str) -> None:
        self.snapshot_id = snapshot_id
        self.state_message = state_message
        super().__init__(f"snapshot {snapshot_id} is in state 'error': {state_message}")


class WaitTimeoutError(Error):
    """A snapshot did not reach the wanted state in time; it may still get there."""

    def __init__(self, snapshot_id: str, wanted: str, current: str | None, timeout: float) -> None:
        self.snapshot_id = snapshot_id
        self.wanted = wanted
        self.current = current
        super().__init__(
            f"snapshot {snapshot_id} is still {current or 'unknown'!r} after {timeout:g} s "
            f"(waiting for {wanted!r})"
        )
