"""Waiting as botocore's waiters wait: poll an operation, stop at the first acceptor that
matches (botocore/waiter.py's matchers, over the same definitions, ``sigv4kit.aws.waiters``).

Polling is the only way to learn how a CopySnapshot ended: EC2 checks the PresignedUrl when
the copy runs, so a bad one shows up here, as a snapshot in ``error`` with a StateMessage.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import jmespath

from ..aws.waiters import Acceptor, WaiterDefinition, waiter_definition
from ..errors import Error
from .errors import ApiError
from .model import API_VERSION

__all__ = ["WaiterError", "definition", "explanation", "matching_acceptor", "wait"]


class WaiterError(Error):
    """The waiter stopped without success: a ``failure`` acceptor matched (``reason`` =
    ``"failure"``), an error no acceptor expects was raised (``"error"``, the ApiError in
    ``error``), or attempts or time ran out (``"attempts"``). ``last_response`` is the last
    answer, if any. The message is botocore's ``WaiterError`` text, word for word."""

    def __init__(self, name: str, reason: str, detail: str,
                 last_response: Mapping[str, Any] | None) -> None:
        self.name = name
        self.reason = reason
        self.last_response = last_response
        self.error: ApiError | None = None
        """The ApiError no acceptor expected (``reason`` ``"error"``)."""
        super().__init__(f"Waiter {name} failed: {detail}")


def definition(name: str) -> WaiterDefinition:
    """The EC2 waiter ``name`` (``SnapshotCompleted``, ``SnapshotImported`` …)."""
    return waiter_definition("ec2", API_VERSION, name)


def with_success_state(waiter: WaiterDefinition, expected: str) -> WaiterDefinition:
    """The same waiter, its success acceptors expecting ``expected`` instead (waiting for
    ``pending`` with SnapshotCompleted's paths and failure rule)."""
    acceptors = tuple(
        replace(a, expected=expected) if a.state == "success" else a for a in waiter.acceptors
    )
    return replace(waiter, acceptors=acceptors)


def explanation(acceptor: Acceptor) -> str:
    """botocore's ``AcceptorConfig.explanation``: what matched, in its words."""
    argument, expected = acceptor.argument, acceptor.expected
    if acceptor.matcher == "path":
        return f'For expression "{argument}" we matched expected path: "{expected}"'
    if acceptor.matcher == "pathAll":
        return f'For expression "{argument}" all members matched expected path: "{expected}"'
    if acceptor.matcher == "pathAny":
        return (f'For expression "{argument}" we matched expected path: "{expected}" at '
                "least once")
    if acceptor.matcher == "status":
        return f"Matched expected HTTP status code: {expected}"
    if acceptor.matcher == "error":
        return f"Matched expected service error code: {expected}"
    return f'No explanation for unknown waiter type: "{acceptor.matcher}"'


def _path_matches(acceptor: Acceptor, response: Mapping[str, Any]) -> bool:
    assert acceptor.argument is not None
    found = jmespath.search(acceptor.argument, response)
    if acceptor.matcher == "path":
        return bool(found == acceptor.expected)
    if not isinstance(found, list) or not found:  # botocore: an empty list matches nothing
        return False
    if acceptor.matcher == "pathAll":
        return all(item == acceptor.expected for item in found)
    return any(item == acceptor.expected for item in found)


def matching_acceptor(
    acceptors: tuple[Acceptor, ...],
    response: Mapping[str, Any] | None = None,
    error: ApiError | None = None,
) -> Acceptor | None:
    """The first acceptor matching this outcome: a response, or an error EC2 answered."""
    for acceptor in acceptors:
        if acceptor.matcher == "error":
            expected = acceptor.expected
            if error is not None and (expected is True or expected == error.code):
                return acceptor
            if error is None and expected is False:
                return acceptor
        elif error is not None:
            continue
        elif acceptor.matcher == "status":
            assert response is not None
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 200)
            if status == acceptor.expected:
                return acceptor
        elif acceptor.matcher in ("path", "pathAll", "pathAny"):
            assert response is not None
            if _path_matches(acceptor, response):
                return acceptor
    return None


def wait(
    call: Callable[[str, Mapping[str, Any]], dict[str, Any]],
    waiter: WaiterDefinition,
    params: Mapping[str, Any],
    *,
    delay: float | None = None,
    max_attempts: int | None = None,
    timeout: float | None = None,
    backoff: float = 1.0,
    max_delay: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Poll ``call(waiter.operation, params)`` until an acceptor decides; return the response
    that matched ``success``. ``delay`` and ``max_attempts`` default to the definition's
    (botocore's); ``timeout`` bounds the whole wait in seconds; ``backoff`` multiplies the
    delay after each poll, up to ``max_delay``."""
    pause = waiter.delay if delay is None else delay
    attempts = waiter.max_attempts if max_attempts is None else max_attempts
    deadline = None if timeout is None else time.monotonic() + timeout
    last: dict[str, Any] | None = None
    attempt = 0
    matched_before = False
    while True:
        attempt += 1
        error: ApiError | None = None
        try:
            last = call(waiter.operation, params)
        except ApiError as exc:
            error = exc
        acceptor = matching_acceptor(waiter.acceptors, last if error is None else None, error)
        if acceptor is not None and acceptor.state == "success":
            assert last is not None or error is not None
            return last if error is None and last is not None else {}
        if acceptor is not None and acceptor.state == "failure":
            raise WaiterError(waiter.name, "failure", "Waiter encountered a terminal failure "
                              f"state: {explanation(acceptor)}", last)
        if error is not None and acceptor is None:
            failed = WaiterError(waiter.name, "error", f"An error occurred ({error.code}): "
                                 f"{error.message}", error.response)
            failed.error = error
            raise failed
        matched_before = matched_before or acceptor is not None
        remaining = None if deadline is None else deadline - time.monotonic()
        if attempt >= attempts or (remaining is not None and remaining <= 0):
            # botocore names the acceptor its loop stopped at: the one matched, or the last
            detail = "Max attempts exceeded" if not matched_before else (
                "Max attempts exceeded. Previously accepted state: "
                f"{explanation(acceptor or waiter.acceptors[-1])}")
            raise WaiterError(waiter.name, "attempts", detail, last)
        sleep(pause if remaining is None else max(0.0, min(pause, remaining)))
        pause = pause * backoff if max_delay is None else min(pause * backoff, max_delay)
