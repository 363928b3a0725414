"""Shared test settings: hypothesis budgets (hundreds of examples in CI, thousands locally)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator

import pytest
from hypothesis import HealthCheck, settings

from sigv4kit.testing.faulty_server import Action, FaultyServer

from .servers import MotoServer, Snapshot, moto_server_running

settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "dev", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("quick", max_examples=50, deadline=None)
settings.register_profile(
    "fuzz", max_examples=20000, deadline=None, suppress_health_check=list(HealthCheck)
)
_default = "ci" if os.environ.get("CI") else "dev"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or _default)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """moto's server on 127.0.0.1 with SigV4 checking on, an allow-all IAM user's key and a
    no-policy user's key (see ``tests/servers.py``); started once per session."""
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(moto_server_running())
        except RuntimeError as exc:
            pytest.fail(str(exc), pytrace=False)
        yield server


@pytest.fixture
def make_snapshot(moto_server: MotoServer) -> Callable[..., Snapshot]:
    """``make_snapshot(region, description=..., size=1)``: a new volume and its completed
    snapshot in ``region``, created with botocore and the allowed user's key."""
    return moto_server.create_snapshot


@pytest.fixture
def faulty_server() -> Iterator[Callable[[Iterable[Action]], FaultyServer]]:
    """Factory: ``srv = faulty_server([Throttle(), Ok(xml)], host="127.0.0.1")`` starts a
    scripted loopback server (``sigv4kit/testing/faulty_server.py``, hostile answers in
    ``sigv4kit/testing/hostile.py``); every one started is closed after the test."""
    started: list[FaultyServer] = []

    def start(script: Iterable[Action] = (), host: str = "127.0.0.1") -> FaultyServer:
        server = FaultyServer(script, host=host).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()
