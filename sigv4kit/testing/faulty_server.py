"""A scripted, misbehaving HTTP server on 127.0.0.1 for retry and timeout tests.

Each request received is recorded, then answered by the next action of the script::

    with FaultyServer([Throttle(), Delay(2.0, Ok(XML)), Reset(), Ok(XML)]) as srv:
        client = Client("us-east-1", creds, endpoint_url=srv.url)
        ...
        assert [r.form["Action"] for r in srv.requests] == ["DescribeSnapshots"] * 4

It is bounded so no test can hang on it: delays are capped at ``MAX_DELAY`` seconds and end
early when the server closes; idle keep-alive connections time out after
``IDLE_TIMEOUT``; request bodies over ``MAX_REQUEST_BODY`` are refused; once the script is
used up every further request gets a 500 ``ScriptExhausted`` EC2 error. Handler threads are
daemons, and closing the server shuts every open connection down.
"""

from __future__ import annotations

import contextlib
import io
import socket
import struct
import sys
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Protocol
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

MAX_DELAY = 5.0
"""Longest pause any action may take, in seconds."""
IDLE_TIMEOUT = 10.0
MAX_REQUEST_BODY = 16 * 1024 * 1024
XML_CONTENT_TYPE = "text/xml;charset=UTF-8"


@dataclass(frozen=True)
class RecordedRequest:
    """A request exactly as it came off the wire (headers in order, body undecoded)."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    @property
    def form(self) -> dict[str, str]:
        """The body parsed as a form (last value wins), e.g. ``form["Action"]``."""
        return dict(parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))


class _Context(Protocol):
    """What an action needs from the handler that runs it."""

    def send(self, data: bytes) -> None: ...
    def send_head(self, status: int, headers: Sequence[tuple[str, str]],
                  content_length: int) -> None: ...
    def pause(self, seconds: float) -> bool: ...
    def reset(self) -> None: ...
    def close_after(self) -> None: ...
    def request_body(self) -> bytes: ...


class Action(Protocol):
    """One scripted answer."""

    def perform(self, ctx: _Context) -> None: ...


@dataclass(frozen=True)
class Respond:
    """A complete response: ``status``, ``body`` and extra ``headers``."""

    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = XML_CONTENT_TYPE

    def perform(self, ctx: _Context) -> None:
        ctx.send_head(self.status, [("Content-Type", self.content_type), *self.headers],
                      len(self.body))
        ctx.send(self.body)


def Ok(body: bytes | str = b"", headers: Iterable[tuple[str, str]] = ()) -> Respond:
    """HTTP 200 with ``body`` (XML by default)."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    return Respond(200, data, tuple(headers))


def ec2_error_xml(code: str, message: str, request_id: str) -> bytes:
    """The body of an EC2 Query API error, as EC2 sends it."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Response><Errors><Error><Code>{escape(code)}</Code>"
        f"<Message>{escape(message)}</Message></Error></Errors>"
        f"<RequestID>{escape(request_id)}</RequestID></Response>"
    ).encode()


def Error(status: int, code: str, message: str = "scripted error",
          request_id: str = "00000000-0000-4000-8000-000000000000",
          headers: Iterable[tuple[str, str]] = ()) -> Respond:
    """An EC2 error response: ``status`` with ``<Response><Errors>…`` XML."""
    return Respond(status, ec2_error_xml(code, message, request_id), tuple(headers))


def Throttle(status: int = 503, code: str = "RequestLimitExceeded",
             message: str = "Request limit exceeded.",
             request_id: str = "11111111-2222-4333-8444-555555555555") -> Respond:
    """A throttling error (EC2 sends ``RequestLimitExceeded`` with 503)."""
    return Error(status, code, message, request_id)


@dataclass(frozen=True)
class Delay:
    """Wait ``seconds`` (at most ``MAX_DELAY``) before doing ``then``.

    With a client read timeout shorter than ``seconds`` the client gives up first; the late
    answer then goes to a closed socket and is dropped.
    """

    seconds: float
    then: Action = field(default_factory=Respond)

    def __post_init__(self) -> None:
        if not 0 <= self.seconds <= MAX_DELAY:
            raise ValueError(f"Delay.seconds must be in 0..{MAX_DELAY}, got {self.seconds}")

    def perform(self, ctx: _Context) -> None:
        if ctx.pause(self.seconds):
            self.then.perform(ctx)
        else:
            ctx.close_after()


@dataclass(frozen=True)
class SlowBody:
    """Send the head and the first ``sent_first`` bytes, wait ``seconds``, send the rest.

    Exercises a read timeout in the middle of a body rather than before the status line.
    """

    body: bytes
    seconds: float
    sent_first: int = 1
    status: int = 200

    def __post_init__(self) -> None:
        if not 0 <= self.seconds <= MAX_DELAY:
            raise ValueError(f"SlowBody.seconds must be in 0..{MAX_DELAY}, got {self.seconds}")

    def perform(self, ctx: _Context) -> None:
        ctx.send_head(self.status, [("Content-Type", XML_CONTENT_TYPE)], len(self.body))
        ctx.send(self.body[: self.sent_first])
        if ctx.pause(self.seconds):
            ctx.send(self.body[self.sent_first:])
        else:
            ctx.close_after()


@dataclass(frozen=True)
class Reset:
    """Abort the connection with a TCP RST (``SO_LINGER`` 0) instead of answering."""

    def perform(self, ctx: _Context) -> None:
        ctx.reset()


@dataclass(frozen=True)
class Truncated:
    """Announce ``declared_length`` bytes of body, send only ``body``, then close (FIN)."""

    body: bytes
    declared_length: int
    status: int = 200

    def __post_init__(self) -> None:
        if self.declared_length <= len(self.body):
            raise ValueError("Truncated.declared_length must exceed len(body)")

    def perform(self, ctx: _Context) -> None:
        ctx.send_head(self.status, [("Content-Type", XML_CONTENT_TYPE)], self.declared_length)
        ctx.send(self.body)
        ctx.close_after()


@dataclass(frozen=True)
class LargeBody:
    """HTTP 200 with a well-formed XML document of exactly ``size`` bytes (default 5 MiB)."""

    size: int = 5 * 1024 * 1024
    chunk_size: int = 64 * 1024

    def document(self) -> bytes:
        head, tail = b"<Response><Padding>", b"</Padding></Response>"
        filler = self.size - len(head) - len(tail)
        if filler < 0:
            raise ValueError(f"LargeBody.size must be at least {len(head) + len(tail)}")
        return head + b"x" * filler + tail

    def perform(self, ctx: _Context) -> None:
        data = self.document()
        ctx.send_head(200, [("Content-Type", XML_CONTENT_TYPE)], len(data))
        for start in range(0, len(data), self.chunk_size):
            ctx.send(data[start:start + self.chunk_size])


@dataclass(frozen=True)
class Echo:
    """An EC2 error (400 ``InvalidParameterValue``) whose message quotes every parameter value
    the request sent, as EC2 quotes a malformed id back ("The snapshot ID '…' is
    malformed"): whatever the client put in a parameter comes back in the error text."""

    status: int = 400
    code: str = "InvalidParameterValue"

    def perform(self, ctx: _Context) -> None:
        values = [v for k, v in parse_qsl(ctx.request_body().decode("utf-8", "replace"),
                                          keep_blank_values=True) if k not in ("Action",
                                                                                "Version")]
        Error(self.status, self.code, f"Invalid value(s): {values!r}").perform(ctx)


@dataclass(frozen=True)
class EndlessPages:
    """A DescribeSnapshots page of ``per_page`` snapshots with a fresh ``nextToken`` every
    time, so a client that follows NextToken never reaches the end (botocore's check for a
    repeated token never fires). Use it as ``FaultyServer(after=EndlessPages())``: it answers
    every request. ``description`` is put in every snapshot (control characters welcome: it
    is XML-escaped, and characters XML 1.0 cannot carry are sent as they are)."""

    per_page: int = 2
    description: str = "page"

    def perform(self, ctx: _Context) -> None:
        import uuid

        token = uuid.uuid4().hex
        items = "".join(
            f"<item><snapshotId>snap-{token[:8]}{i:09x}</snapshotId>"
            f"<description>{escape(self.description)}</description>"
            "<status>completed</status></item>"
            for i in range(self.per_page)
        )
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<DescribeSnapshotsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
                f"<requestId>{uuid.uuid4()}</requestId><snapshotSet>{items}</snapshotSet>"
                f"<nextToken>{token}</nextToken></DescribeSnapshotsResponse>")
        Ok(body).perform(ctx)


def _exhausted(index: int) -> Respond:
    return Error(500, "ScriptExhausted", f"no scripted response for request #{index + 1}")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: FaultyServer

    def handle_error(self, request: object, client_address: object) -> None:
        error = sys.exc_info()[1]
        if error is not None:
            self.owner._note_error(error)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.server.owner._track(self.connection, opened=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._track(self.connection, opened=False)

    def _handle(self) -> None:
        owner = self.server.owner
        body = self._read_body()
        if body is None:
            return
        self._body = body
        index = owner._record(RecordedRequest(
            self.command, self.path, tuple(self.headers.items()), body))
        owner._action(index).perform(self)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    def _read_body(self) -> bytes | None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BODY:
            self.send_error(413)
            return None
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes | None:
        parts: list[bytes] = []
        total = 0
        while True:
            size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
            total += size
            if total > MAX_REQUEST_BODY:
                self.send_error(413)
                return None
            if size == 0:
                while self.rfile.readline(1024).strip():
                    pass  # trailers
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline(8)

    # _Context

    def request_body(self) -> bytes:
        return getattr(self, "_body", b"")

    def send(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def send_head(self, status: int, headers: Sequence[tuple[str, str]],
                  content_length: int) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(content_length))
        self.end_headers()

    def pause(self, seconds: float) -> bool:
        return not self.server.owner._stopping.wait(seconds)

    def reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.rfile.close()
        self.wfile.close()
        # Closed before socketserver's shutdown(SHUT_WR) could send a FIN; with the file
        # objects gone this is the last reference, so the kernel sends RST at once.
        self.connection.close()
        self.wfile = io.BytesIO()  # the handler still flushes and closes its writer

    def close_after(self) -> None:
        self.close_connection = True


def _is_loopback_v4(host: object) -> bool:
    """An IPv4 loopback *address* (``127.0.0.2``): a name such as ``127.evil.example`` is
    resolved by DNS to anywhere, so only an address counts."""
    import ipaddress

    try:
        address = ipaddress.ip_address(host)  # type: ignore[arg-type]
    except ValueError:
        return False
    return isinstance(address, ipaddress.IPv4Address) and address.is_loopback


class FaultyServer:
    """Serve ``script`` on ``host`` (``127.0.0.1``; any loopback address) on an OS-chosen port
    in a daemon thread; once the script is used up, ``after`` answers every request (default:
    a 500 ``ScriptExhausted`` error).

    ``url`` is the base URL (no trailing slash); ``requests`` lists what was received, in
    order; ``connections`` counts TCP connections accepted; ``errors`` holds exceptions the
    handlers hit (a client hanging up mid-answer, for instance).
    """

    def __init__(self, script: Iterable[Action] = (), *, host: str = "127.0.0.1",
                 after: Action | None = None) -> None:
        if not _is_loopback_v4(host):
            raise ValueError(
                f"FaultyServer serves on loopback (127.0.0.0/8) only, not {host[:64]!r}")
        self.host = host
        self._script = list(script)
        self._after = after
        self._requests: list[RecordedRequest] = []
        self._errors: list[BaseException] = []
        self._open: set[socket.socket] = set()
        self._connections = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> FaultyServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def start(self) -> FaultyServer:
        if self._server is not None:
            raise RuntimeError("FaultyServer already started")
        server = _Server((self.host, 0), _Handler)
        server.owner = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"faulty-server-{self.port}", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, end pauses, and shut every open connection down."""
        self._stopping.set()
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            still_open = list(self._open)
        for conn in still_open:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FaultyServer not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def errors(self) -> list[BaseException]:
        with self._lock:
            return list(self._errors)

    @property
    def connections(self) -> int:
        with self._lock:
            return self._connections

    @property
    def unused(self) -> int:
        """How many scripted actions no request has reached yet."""
        with self._lock:
            return max(0, len(self._script) - len(self._requests))

    def add(self, *actions: Action) -> None:
        """Append actions to the script (also while serving)."""
        with self._lock:
            self._script.extend(actions)

    def _record(self, request: RecordedRequest) -> int:
        with self._lock:
            self._requests.append(request)
            return len(self._requests) - 1

    def _action(self, index: int) -> Action:
        with self._lock:
            if index < len(self._script):
                return self._script[index]
        return _exhausted(index) if self._after is None else self._after

    def _track(self, conn: socket.socket, *, opened: bool) -> None:
        with self._lock:
            if opened:
                self._open.add(conn)
                self._connections += 1
            else:
                self._open.discard(conn)

    def _note_error(self, error: BaseException) -> None:
        with self._lock:
            self._errors.append(error)
