"""A loopback origin that answers chosen paths with a redirect and records every request that
reaches it, for tests of the rule that a signed request never reaches another origin::

    with OriginServer() as other, OriginServer(tls=True) as origin:
        origin.redirect("/x", other.url + "/landed", status=307)
        ...  # a client signs for origin.url + "/x"; other.requests must stay empty

``tls=True`` serves HTTPS with a fresh trustme certificate (``ca_file``) *and* plain HTTP on
the same port (told apart by the first byte), so a downgrade to ``http://`` on the same host
and port is recorded too (``RecordedHit.scheme`` says which). Given a ``lookup``, each
request is verified (``verify_request``) and answered 200 or 403 with the verdict's reason.

Bounded so no test can hang on it: heads of at most 64 KiB, bodies of at most ``MAX_BODY``,
``READ_TIMEOUT`` per read, daemon threads, and closing the server shuts every connection.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from dataclasses import dataclass
from typing import IO

from ..model import Request
from ..verify import Lookup, VerifyResult, verify_request
from ._listener import RawListener

__all__ = ["MAX_BODY", "OriginServer", "RecordedHit"]

MAX_HEAD = 64 * 1024
MAX_BODY = 16 * 1024 * 1024
READ_TIMEOUT = 10.0
_TLS_HANDSHAKE = 0x16
"""The first byte of a TLS ClientHello; an HTTP request starts with a method's letter."""


@dataclass(frozen=True)
class RecordedHit:
    """One request as received: the target verbatim, the headers in order, the body with
    HTTP's chunked framing removed, the scheme it came in on, and the verdict (with a
    ``lookup``)."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    scheme: str
    verdict: VerifyResult | None = None

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    def to_request(self) -> Request:
        host = self.header("host") or "127.0.0.1"
        return Request(self.method, f"{self.scheme}://{host}{self.target}", self.headers,
                       self.body)


class _Closed(Exception):
    pass


class OriginServer(RawListener):
    """``with OriginServer(host="127.0.0.1", tls=False, lookup=None) as srv``."""

    def __init__(self, *, host: str = "127.0.0.1", tls: bool = False,
                 lookup: Lookup | None = None) -> None:
        if not host.startswith("127."):
            raise ValueError("OriginServer serves on loopback (127.0.0.0/8) only")
        self.host = host
        self.lookup = lookup
        self.requests: list[RecordedHit] = []
        self._redirects: dict[str, tuple[int, str]] = {}
        super().__init__(host, tls=tls, name="origin-server", cert_names=(host,),
                         accept_timeout=0.1)

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def plain_url(self) -> str:
        """The same host and port over plain HTTP (a downgrade of ``url``)."""
        return f"http://{self.host}:{self.port}"

    def redirect(self, path: str, location: str, status: int = 307) -> None:
        """Answer requests for ``path`` (query ignored) with ``status`` and ``location``."""
        with self._lock:
            self._redirects[path] = (status, location)

    def _connection(self, raw: socket.socket) -> None:
        raw.settimeout(READ_TIMEOUT)
        with self._lock:
            self._conns.add(raw)
        conn = raw
        try:
            first = raw.recv(1, socket.MSG_PEEK)
            scheme = "http"
            if first and first[0] == _TLS_HANDSHAKE and self._context is not None:
                conn = self._context.wrap_socket(raw, server_side=True)
                scheme = "https"
            with conn.makefile("rb") as reader:
                while not self._stop.is_set() and self._one(conn, reader, scheme):
                    pass
        except (OSError, ssl.SSLError, ValueError, _Closed):
            return
        finally:
            with self._lock:
                self._conns.discard(raw)
            with contextlib.suppress(OSError):
                conn.close()

    def _one(self, conn: socket.socket, reader: IO[bytes], scheme: str) -> bool:
        line = reader.readline(MAX_HEAD)
        if not line:
            return False
        method, target, _ = [*line.decode("latin-1").split(" ", 2), "", ""][:3]
        headers: list[tuple[str, str]] = []
        size = len(line)
        while (field := reader.readline(MAX_HEAD)) not in (b"\r\n", b"\n", b""):
            size += len(field)
            if size > MAX_HEAD:
                raise _Closed
            name, _, value = field.decode("latin-1").partition(":")
            headers.append((name, value.strip()))
        fields = {n.lower(): v for n, v in headers}
        if fields.get("expect", "").lower() == "100-continue":
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if fields.get("transfer-encoding", "").lower() == "chunked":
            body = _read_chunked(reader)
        else:
            length = int(fields.get("content-length", "0") or 0)
            if length > MAX_BODY:
                raise _Closed
            body = reader.read(length)
        hit = RecordedHit(method, target, tuple(headers), body, scheme)
        if self.lookup is not None:
            verdict = verify_request(hit.to_request(), self.lookup)
            hit = RecordedHit(method, target, tuple(headers), body, scheme, verdict)
        with self._lock:
            self.requests.append(hit)
            redirect = self._redirects.get(target.partition("?")[0])
        if redirect is not None:
            status, location = redirect
            head = f"HTTP/1.1 {status} Redirect\r\nLocation: {location}\r\n"
            answer = b"<Redirect/>"
        elif hit.verdict is not None and not hit.verdict.valid:
            head, answer = "HTTP/1.1 403 Forbidden\r\n", hit.verdict.reason.encode()
        else:
            head, answer = "HTTP/1.1 200 OK\r\n", b"ok"
        conn.sendall(f"{head}Content-Length: {len(answer)}\r\n\r\n".encode("latin-1") + answer)
        return fields.get("connection", "").lower() != "close"


def _read_chunked(reader: IO[bytes]) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        size = int(reader.readline(1024).split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while reader.readline(1024).strip():
                pass  # trailer fields, then the empty line
            return b"".join(parts)
        total += size
        if total > MAX_BODY:
            raise _Closed
        parts.append(reader.read(size))
        reader.readline(16)
