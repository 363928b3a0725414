"""botocore's waiter definitions (``waiters-2``), read from its data files.

A waiter polls one operation every ``delay`` seconds, at most ``max_attempts`` times, and
stops at the first acceptor that matches: ``success``, ``failure`` or ``retry``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._caches import cached
from .data import load_service_model

__all__ = ["Acceptor", "WaiterDefinition", "waiter_definition", "waiter_names"]


@dataclass(frozen=True)
class Acceptor:
    """``matcher`` is ``path``, ``pathAll``, ``pathAny``, ``status`` or ``error``;
    ``argument`` the JMESPath expression of the path matchers."""

    state: str
    matcher: str
    expected: Any
    argument: str | None = None


@dataclass(frozen=True)
class WaiterDefinition:
    name: str
    operation: str
    delay: float
    max_attempts: int
    acceptors: tuple[Acceptor, ...]


@cached(8, keys="(service, API version)", reason="the waiters file is read once")
def _definitions(service: str, api_version: str) -> dict[str, Any]:
    data = load_service_model(service, "waiters-2", api_version)
    waiters: dict[str, Any] = data.get("waiters", {})
    return waiters


def waiter_names(service: str, api_version: str) -> list[str]:
    return sorted(_definitions(service, api_version))


def waiter_definition(service: str, api_version: str, name: str) -> WaiterDefinition:
    """The waiter called ``name`` (``SnapshotCompleted``); KeyError when there is none."""
    found = _definitions(service, api_version)[name]
    return WaiterDefinition(
        name=name,
        operation=found["operation"],
        delay=float(found["delay"]),
        max_attempts=int(found["maxAttempts"]),
        acceptors=tuple(
            Acceptor(a["state"], a["matcher"], a["expected"], a.get("argument"))
            for a in found["acceptors"]
        ),
    )
