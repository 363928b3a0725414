"""A total deadline over one exchange, which requests lacks: its read timeout is per read,
so a server trickling a byte a second holds a call for ever.

The adapter's connection pools hand every connection they give out to the deadline of the
calling thread; when it passes, a timer shuts those sockets down, which ends any blocked
connect-completion, send or read at once. Per-read and connect timeouts still apply.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import requests.adapters
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["Deadline", "DeadlineAdapter"]

_current = threading.local()
"""The deadline of the exchange running in this thread (connections are got in it)."""


class Deadline:
    """``seconds`` from now (None: none); ``expired`` once the timer has fired."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.ends = None if seconds is None else time.monotonic() + seconds
        self.expired = False
        self._lock = threading.Lock()
        self._connections: list[Any] = []
        self._timer: threading.Timer | None = None

    def remaining(self) -> float | None:
        return None if self.ends is None else max(0.0, self.ends - time.monotonic())

    def passed(self) -> bool:
        return self.expired or (self.ends is not None and time.monotonic() >= self.ends)

    def __enter__(self) -> Deadline:
        _current.deadline = self
        remaining = self.remaining()
        if remaining is not None:
            self._timer = threading.Timer(remaining, self._expire)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.disarm()

    def disarm(self) -> None:
        """Stop watching (the exchange is over, or its response was closed)."""
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self._connections.clear()
        if getattr(_current, "deadline", None) is self:
            _current.deadline = None

    def watch(self, conn: Any) -> None:
        with self._lock:
            self._connections.append(conn)
            expired = self.expired
        if expired:
            _shut(conn)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            connections = list(self._connections)
        for conn in connections:
            _shut(conn)


def _shut(conn: Any) -> None:
    sock: Any = getattr(conn, "sock", None)
    if sock is None:
        return
    try:
        if isinstance(sock, socket.socket):
            # The plain socket's shutdown, also for TLS: unblocks the reader without touching
            # the SSL object it is using.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        else:
            sock.close()
    except OSError:
        pass


def _check_after_connect(conn: HTTPConnection) -> None:
    deadline: Deadline | None = getattr(_current, "deadline", None)
    if deadline is not None and deadline.passed():
        conn.close()
        raise OSError("deadline passed while connecting")


class _WatchedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _check_after_connect(self)


class _WatchedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _check_after_connect(self)


class _Watching:
    """A pool that hands each connection it gives out to the call's deadline, if any."""

    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)  # type: ignore[misc]
        deadline: Deadline | None = getattr(_current, "deadline", None)
        if deadline is not None:
            deadline.watch(conn)
        return conn


class _WatchedPool(_Watching, HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(_Watching, HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOLS = {"http": _WatchedPool, "https": _WatchedHTTPSPool}


class DeadlineAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter whose connections the running ``Deadline`` can cut (direct and
    HTTP(S)-proxied; a SOCKS proxy's connections are bounded by the per-read timeout and the
    deadline checks between reads only)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = dict(_POOLS)
        return manager
