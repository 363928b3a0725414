"""botocore's retry modes, from botocore's own definitions: which failures are retried, how
many attempts, and how long to wait between them.

- ``legacy`` (the AWS CLI v1's default): ``_retry.json`` — the ``__default__`` policies and
  the service's own (EC2: ``RequestLimitExceeded`` and ``EC2ThrottledException`` when sent
  with HTTP 503), connection errors; 5 attempts; ``rand() * 2 ** (attempt - 1)`` seconds.
- ``standard``: ``botocore.retries.standard``'s lists (transient codes and statuses, throttling
  codes, HTTP 429), connection errors; 3 attempts; ``rand() * min(scale * 2 ** (attempt - 1),
  20)`` with a scale of 1 s after throttling and 50 ms otherwise; a retry quota of 500 (a retry
  costs 5, 10 after a timeout; a success gives 1 back).
- ``adaptive``: ``standard``'s rules (botocore adds a client-side rate limiter, which this
  does not).

Which of these retries a caller may actually make (a CopySnapshot repeated after it may have
arrived makes a second snapshot) is the caller's decision; this says what botocore would do.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._caches import cached
from ..errors import SigningError

__all__ = ["MODES", "RetryPolicy", "retry_policy"]

MODES = ("legacy", "standard", "adaptive")
DEFAULT_ATTEMPTS = {"legacy": 5, "standard": 3, "adaptive": 3}
_QUOTA = 500
_RETRY_COST = 5
_TIMEOUT_COST = 10


@cached(16, keys="service name", reason="botocore's _retry.json is read once per service")
def _legacy_rules(service: str) -> tuple[tuple[tuple[str | None, int | None], ...], bool]:
    """((error code or None, HTTP status or None), ...) and whether connection errors are
    retried, from ``_retry.json``'s default and ``service`` policies."""
    from .data import load_data

    data = load_data("_retry")
    definitions: Mapping[str, Any] = data.get("definitions", {})
    policies: dict[str, Any] = {}
    for section in ("__default__", service):
        config = data.get("retry", {}).get(section, {})
        policies.update(config.get("policies", {}))
        if section == service:
            policies.update(config.get("__default__", {}).get("policies", {}))
    rules: list[tuple[str | None, int | None]] = []
    sockets = False
    for policy in policies.values():
        if "$ref" in policy:
            policy = definitions.get(policy["$ref"], {})
        applies = policy.get("applies_when", {})
        response = applies.get("response")
        if response:
            rules.append((response.get("service_error_code"),
                          response.get("http_status_code")))
        if applies.get("socket_errors"):
            sockets = True
    return tuple(rules), sockets


@cached(1, keys="nothing", reason="botocore's standard-mode lists are read once")
def _standard_rules() -> tuple[frozenset[str], frozenset[int], frozenset[str], frozenset[int]]:
    """(transient codes, transient statuses, throttling codes, throttling statuses)."""
    from botocore.retries import standard  # type: ignore[import-untyped]

    return (frozenset(standard.TransientRetryableChecker._TRANSIENT_ERROR_CODES),
            frozenset(standard.TransientRetryableChecker._TRANSIENT_STATUS_CODES),
            frozenset(standard.ThrottledRetryableChecker._THROTTLED_ERROR_CODES),
            frozenset(standard.ThrottlingStatusCodeChecker._THROTTLING_STATUS_CODES))


@dataclass
class RetryPolicy:
    """One client's retry mode, attempts and (standard, adaptive) retry quota."""

    mode: str = "legacy"
    max_attempts: int = 5
    service: str = "ec2"
    random: Callable[[], float] = random.random
    _quota: int = field(default=_QUOTA, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def retryable(self, status: int | None, code: str | None, *,
                  connection_error: bool = False) -> bool:
        """Would botocore retry this outcome (attempts and quota aside)?"""
        if self.mode == "legacy":
            rules, sockets = _legacy_rules(self.service)
            if connection_error:
                return sockets
            return any((want_code is None or want_code == code)
                       and (want_status is None or want_status == status)
                       for want_code, want_status in rules)
        transient_codes, transient_statuses, throttle_codes, throttle_statuses = \
            _standard_rules()
        if connection_error:
            return True
        return (code in transient_codes or code in throttle_codes
                or status in transient_statuses or status in throttle_statuses)

    def is_throttling(self, status: int | None, code: str | None) -> bool:
        _, _, throttle_codes, throttle_statuses = _standard_rules()
        return code in throttle_codes or status in throttle_statuses

    def take_retry(self, *, timeout: bool = False) -> bool:
        """Standard and adaptive: spend from the retry quota, False when it is empty."""
        if self.mode == "legacy":
            return True
        cost = _TIMEOUT_COST if timeout else _RETRY_COST
        with self._lock:
            if self._quota < cost:
                return False
            self._quota -= cost
            return True

    def succeeded(self) -> None:
        if self.mode != "legacy":
            with self._lock:
                self._quota = min(_QUOTA, self._quota + 1)

    def delay(self, attempt: int, *, throttled: bool = False) -> float:
        """Seconds to wait after failed ``attempt`` (1-based)."""
        if self.mode == "legacy":
            return float(self.random() * 2 ** (attempt - 1))
        scale = 1.0 if throttled else 0.05
        return float(self.random() * min(scale * 2 ** (attempt - 1), 20.0))


def retry_policy(mode: str | None = None, max_attempts: int | None = None,
                 service: str = "ec2") -> RetryPolicy:
    """The policy botocore would use: ``mode`` (default legacy, the AWS CLI v1's) and
    ``max_attempts`` (default: the mode's)."""
    chosen = mode or "legacy"
    if chosen not in MODES:
        raise SigningError(f"retry_mode: must be one of {', '.join(MODES)}, got {chosen!r}",
                           field="retry_mode")
    attempts = DEFAULT_ATTEMPTS[chosen] if max_attempts is None else max_attempts
    return RetryPolicy(chosen, attempts, service)
