"""The raw-socket loopback server the recording test servers share: a thread that accepts
connections (one thread each), TLS with a fresh trustme CA when asked, and a ``close`` that
ends every open connection so no test waits on a client's idle socket.

``CaptureServer`` and ``OriginServer`` read HTTP themselves (they must see requests exactly as
sent, which ``http.server`` would normalise); each gives ``_connection``.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import Self

__all__: list[str] = []


class RawListener:
    """Listens on ``host`` (port 0); ``_connection(raw)`` serves one accepted socket."""

    def __init__(self, host: str, *, tls: bool, name: str, cert_names: tuple[str, ...],
                 accept_timeout: float) -> None:
        self.tls = tls
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._conns: set[socket.socket] = set()
        self._sock = socket.create_server((host, 0))
        self._sock.settimeout(accept_timeout)
        self.port: int = self._sock.getsockname()[1]
        self._context: ssl.SSLContext | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.ca_file: str | None = None
        if tls:
            self._setup_tls(name, cert_names)
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)

    def _setup_tls(self, name: str, cert_names: tuple[str, ...]) -> None:
        import trustme

        ca = trustme.CA()
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert(*cert_names).configure_cert(self._context)
        self._tmp = tempfile.TemporaryDirectory(prefix=f"sigv4kit-{name}-")
        path = Path(self._tmp.name) / "ca.pem"
        ca.cert_pem.write_to_path(str(path))
        self.ca_file = str(path)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._sock.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, raw: socket.socket) -> None:
        raise NotImplementedError
