"""A loopback server that checks every request's signature with ``sigv4kit.verify``, by a
clock that may be set off from the machine's, and answers as AWS would.

For adapter tests and for users checking their own client code::

    with VerifyingServer(creds, clock_offset=3600) as srv:   # its clock one hour ahead
        httpx.get(srv.url + "/x", auth=SigV4Auth(creds, "us-east-1", "s3"))
        srv.requests[-1].reason      # Reason.OK once the client corrected its clock

A valid PUT stores its body under the path and a valid GET of that path returns it, so an
upload can be read back. A signature refused for its time is answered with the error the
``error_style`` names (S3's RequestTimeTooSkewed, a JSON service's InvalidSignatureException
"Signature expired", or EC2's AuthFailure), every other refusal with 403
SignatureDoesNotMatch; every answer has a ``Date`` header from the server's clock.

Bounded so no test can hang on it: bodies over ``MAX_BODY`` are refused, idle connections time
out after ``IDLE_TIMEOUT`` seconds, handler threads are daemons.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Literal
from xml.sax.saxutils import escape

from ..model import Credentials, Request
from ..received import Reason
from ..verify import verify_request

__all__ = ["ErrorStyle", "Received", "VerifyingServer"]

MAX_BODY = 16 * 1024 * 1024
IDLE_TIMEOUT = 10.0
ErrorStyle = Literal["s3", "json", "ec2"]
_TIME_REASONS = frozenset({Reason.EXPIRED, Reason.NOT_YET_VALID})


@dataclass(frozen=True)
class Received:
    """One request as the server saw it, and the verdict."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    reason: Reason
    message: str


class _TooLarge(Exception):
    pass


class VerifyingServer:
    """``with VerifyingServer(credentials, clock_offset=0.0, error_style="s3") as srv``."""

    def __init__(
        self,
        credentials: Credentials | Callable[[str], Credentials | None],
        *,
        clock_offset: float = 0.0,
        error_style: ErrorStyle = "s3",
    ) -> None:
        if isinstance(credentials, Credentials):
            known = credentials
            self.lookup: Callable[[str], Credentials | None] = (
                lambda akid: known if akid == known.access_key_id else None
            )
        else:
            self.lookup = credentials
        self.clock_offset = clock_offset
        self.error_style: ErrorStyle = error_style
        self.requests: list[Received] = []
        self.objects: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    def now(self) -> float:
        """The server's clock, in Unix seconds."""
        return time.time() + self.clock_offset

    def start(self) -> VerifyingServer:
        owner = self

        class Handler(_Handler):
            server_owner = owner

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, args=(0.05,), name="verifying-server",
                         daemon=True).start()  # polls for shutdown every 50 ms
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        return self

    def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> VerifyingServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def record(self, received: Received) -> None:
        with self._lock:
            self.requests.append(received)

    def time_error(self, message: str) -> tuple[int, str, bytes]:
        """(status, content type, body) of a refusal for the signature's time."""
        if self.error_style == "json":
            body = json.dumps({"__type": "InvalidSignatureException",
                               "message": f"Signature expired: {message}"})
            return 400, "application/x-amz-json-1.0", body.encode()
        code = "RequestTimeTooSkewed" if self.error_style == "s3" else "AuthFailure"
        return 403, "application/xml", _xml_error(code, message)


def _xml_error(code: str, message: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{escape(message)}</Message></Error>").encode()


class _Handler(BaseHTTPRequestHandler):
    server_owner: VerifyingServer
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    disable_nagle_algorithm = True  # headers and body are two writes: no delayed-ACK stall

    def log_message(self, format: str, *args: object) -> None:
        pass

    def date_time_string(self, timestamp: float | None = None) -> str:
        return formatdate(self.server_owner.now() if timestamp is None else timestamp,
                          usegmt=True)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise _TooLarge
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailer fields, then the blank line
                    pass
                return b"".join(parts)
            total += size
            if total > MAX_BODY:
                raise _TooLarge
            parts.append(self.rfile.read(size))
            self.rfile.readline(16)

    def _handle(self) -> None:
        owner = self.server_owner
        try:
            body = self._read_body()
        except (_TooLarge, ValueError):
            self._answer(413, "application/xml", _xml_error("EntityTooLarge", "body too large"))
            self.close_connection = True
            return
        headers = tuple(self.headers.items())
        host = self.headers.get("Host", "")
        request = Request(self.command, f"http://{host}{self.path}", list(headers), body)
        now = datetime.fromtimestamp(owner.now(), UTC)
        result = verify_request(request, owner.lookup, now=now)
        reason = Reason(result.reason)
        owner.record(Received(self.command, self.path, headers, body, reason, result.message))
        if reason in _TIME_REASONS:
            self._answer(*owner.time_error(result.message))
        elif reason is not Reason.OK:
            self._answer(403, "application/xml",
                         _xml_error("SignatureDoesNotMatch", f"{reason}: {result.message}"))
        elif self.command == "PUT":
            owner.objects[self.path.partition("?")[0]] = body
            self._answer(200, "application/json", b'{"stored": true}')
        elif self.command == "GET" and self.path.partition("?")[0] in owner.objects:
            self._answer(200, "application/octet-stream",
                         owner.objects[self.path.partition("?")[0]])
        else:
            self._answer(200, "application/json", json.dumps({"reason": "ok"}).encode())

    def _answer(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle
