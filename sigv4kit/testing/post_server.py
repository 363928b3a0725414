"""A loopback S3 stand-in for browser uploads: it verifies POST forms as they stream in and
answers as S3 does; and the python-multipart reader that drives the streaming verifier.

    with PostUploadServer(creds, bucket="uploads") as srv:
        post = presigned_post(creds, bucket="uploads", key="a/${filename}", region="us-east-1",
                              endpoint_url=srv.url)
        ...                       # a browser (or requests) POSTs post.fields and a file
        srv.objects["a/cat.png"]  # stored only on a valid verdict, whole

Answers: ``success_action_redirect`` -> 303 to it with bucket, key and etag; ``201`` -> S3's
PostResponse XML; ``200`` -> empty 200; otherwise 204; refusals are S3's XML errors with the
verdict's code and status. An upload is refused as soon as the file passes the policy's
maximum; the rest of the body is then read and dropped (up to ``MAX_DRAIN`` bytes, so a browser
gets the answer) or the connection closed. ``pages`` maps paths to HTML served on GET, so a test
can serve the form from the same origin. Bounded: ``MAX_BODY`` per request, idle timeout, a
total deadline per request (``REQUEST_DEADLINE``), the closing boundary required, daemon threads.
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import quote
from xml.sax.saxutils import escape

from python_multipart.multipart import MultipartParser, parse_options_header

from ..model import Credentials
from ..post_policy import PostReason, PostVerdict
from ..post_stream import PostRefused, PostUploadVerifier

__all__ = [
    "MAX_BODY", "REQUEST_DEADLINE", "MultipartPostReader", "PostUploadServer", "s3_error_xml",
]

MAX_BODY = 64 * 1024 * 1024
MAX_DRAIN = 4 * 1024 * 1024
MAX_PART_HEADERS = 8 * 1024
IDLE_TIMEOUT = 10.0
REQUEST_DEADLINE = 60.0
"""Seconds one request may take in all (headers, body, answer): the idle timeout alone lets a
client that trickles a byte every few seconds hold a thread for ever."""
_READ = 64 * 1024


def s3_error_xml(verdict: PostVerdict) -> bytes:
    """S3's error document for a refused POST."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{escape(verdict.code)}</Code>'
        f"<Message>{escape(verdict.message)}</Message></Error>"
    ).encode()


class MultipartPostReader:
    """Feeds a multipart/form-data body, piece by piece, through python-multipart into a
    ``PostUploadVerifier``; the file's bytes go to ``sink`` only after the policy passed."""

    def __init__(
        self, verifier: PostUploadVerifier, content_type: str, sink: Callable[[bytes], None]
    ) -> None:
        kind, params = parse_options_header(content_type)
        boundary = params.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise PostRefused(PostVerdict(
                False, PostReason.MALFORMED, "PreconditionFailed",
                "Bucket POST must be of the enclosure-type multipart/form-data", 412,
            ))
        self.verifier = verifier
        self.sink = sink
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._headers: dict[str, bytes] = {}
        self._header_bytes = 0
        self._name = ""
        self._is_file = False
        self._value = bytearray()
        self._complete = False
        self._parser = MultipartParser(boundary, {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda d, s, e: self._header_piece(self._header_name, d[s:e]),
            "on_header_value": lambda d, s, e: self._header_piece(self._header_value, d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        })

    def feed(self, chunk: bytes) -> None:
        try:
            self._parser.write(chunk)
        except PostRefused:
            raise
        except Exception:
            raise self._malformed() from None

    def finish(self) -> PostVerdict:
        """The body is in: it must have reached the closing boundary (python-multipart's
        ``finalize`` does not check), else a cut-off upload would be stored as whole."""
        try:
            self._parser.finalize()
        except Exception:
            raise self._malformed() from None
        if not self._complete:
            raise self._malformed()
        return self.verifier.finish()

    def _end(self) -> None:
        self._complete = True

    @staticmethod
    def _malformed() -> PostRefused:
        return PostRefused(PostVerdict(
            False, PostReason.MALFORMED, "MalformedPOSTRequest",
            "The body of your POST request is not well-formed multipart/form-data.", 400,
        ))

    def _part_begin(self) -> None:
        self._headers = {}
        self._header_bytes = 0
        self._value = bytearray()
        self._is_file = False

    def _header_piece(self, into: bytearray, piece: bytes) -> None:
        self._header_bytes += len(piece)
        if self._header_bytes > MAX_PART_HEADERS:
            raise self._malformed()
        into += piece

    def _header_end(self) -> None:
        self._headers[self._header_name.decode("latin-1").lower()] = bytes(self._header_value)
        self._header_name.clear()
        self._header_value.clear()

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get("content-disposition", b""))
        self._name = params.get(b"name", b"").decode("utf-8", "replace")
        filename = params.get(b"filename")
        if self._name.lower() == "file" and self.verifier.verdict is None:
            self._is_file = True
            self.verifier.start_file(
                None if filename is None else filename.decode("utf-8", "replace")
            )

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            self.sink(self.verifier.data(data[start:end]))
            return
        self._value += data[start:end]
        if len(self._value) > self.verifier.max_field_bytes:
            self.verifier.field(self._name, bytes(self._value))  # raises: over the limit

    def _part_end(self) -> None:
        if not self._is_file:
            self.verifier.field(self._name, bytes(self._value))


class PostUploadServer:
    """``with PostUploadServer(credentials_or_lookup, bucket=…) as srv``: POST to ``srv.url``
    (path-style: ``/bucket``), GET ``srv.url + path`` for ``srv.pages[path]``."""

    def __init__(
        self,
        credentials: Credentials | Callable[[str], Credentials | None],
        *,
        bucket: str,
        now: Callable[[], datetime] | None = None,
        deadline: float = REQUEST_DEADLINE,
    ) -> None:
        if isinstance(credentials, Credentials):
            known = credentials
            self.lookup: Callable[[str], Credentials | None] = (
                lambda akid: known if akid == known.access_key_id else None
            )
        else:
            self.lookup = credentials
        self.bucket = bucket
        self.clock = now or (lambda: datetime.now(UTC))
        self.deadline = deadline
        self.objects: dict[str, bytes] = {}
        self.verdicts: list[PostVerdict] = []
        self.pages: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.origin = ""
        self.url = ""

    def start(self) -> PostUploadServer:
        owner = self

        class Handler(_Handler):
            server_owner = owner

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, args=(0.05,), name="post-upload-server",
                         daemon=True).start()
        self.origin = f"http://127.0.0.1:{server.server_address[1]}"
        self.url = f"{self.origin}/{self.bucket}"
        return self

    def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> PostUploadServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def record(self, verdict: PostVerdict, key: str | None = None, body: bytes = b"") -> None:
        with self._lock:
            self.verdicts.append(verdict)
            if key is not None:
                self.objects[key] = body


class _Handler(BaseHTTPRequestHandler):
    server_owner: PostUploadServer
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT

    def log_message(self, format: str, *args: object) -> None:
        pass

    def handle_one_request(self) -> None:
        """One request under a total deadline: past it the socket is shut, so a blocked read
        returns and the thread ends (a write to it then fails, quietly)."""
        timer = threading.Timer(self.server_owner.deadline, self._cut)
        timer.daemon = True
        timer.start()
        try:
            super().handle_one_request()
        except OSError:
            self.close_connection = True
        finally:
            timer.cancel()

    def _cut(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _content_length(self) -> int:
        """The body's length, or -1 when it is not one plain decimal Content-Length (several,
        a sign, ``1_0``, or a Transfer-Encoding beside it: a request we could misframe)."""
        values = self.headers.get_all("Content-Length") or []
        if len(values) != 1 or "Transfer-Encoding" in self.headers:
            return -1
        value = values[0].strip()
        return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else -1

    def do_GET(self) -> None:
        page = self.server_owner.pages.get(self.path.partition("?")[0])
        if page is None:
            self._answer(404, "text/plain", b"not found")
        else:
            self._answer(200, "text/html; charset=utf-8", page)

    def do_POST(self) -> None:
        owner = self.server_owner
        path = self.path.partition("?")[0].rstrip("/")
        length = self._content_length()
        if path != f"/{owner.bucket}" or not 0 <= length <= MAX_BODY:
            self.close_connection = True
            self._answer(400, "application/xml", b"<Error><Code>InvalidRequest</Code>"
                         b"<Message>POST to /bucket with a Content-Length</Message></Error>")
            return
        pieces: list[bytes] = []
        verifier = PostUploadVerifier(owner.lookup, bucket=owner.bucket, now=owner.clock())
        remaining = length
        try:
            reader = MultipartPostReader(
                verifier, self.headers.get("Content-Type", ""), pieces.append
            )
            while remaining:
                chunk = self.rfile.read(min(_READ, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                reader.feed(chunk)
            verdict = reader.finish()
        except PostRefused as refused:
            owner.record(refused.verdict)
            self._drain(remaining)
            self._answer(refused.verdict.http_status, "application/xml",
                         s3_error_xml(refused.verdict))
            return
        body = b"".join(pieces)
        owner.record(verdict, verdict.key, body)
        self._success(verdict, body)

    def _drain(self, remaining: int) -> None:
        """Read and drop the rest of a refused upload, so the client reads the answer."""
        if remaining > MAX_DRAIN:
            self.close_connection = True
            return
        while remaining > 0:
            chunk = self.rfile.read(min(_READ, remaining))
            if not chunk:
                break
            remaining -= len(chunk)

    def _success(self, verdict: PostVerdict, body: bytes) -> None:
        owner = self.server_owner
        key = verdict.key or ""
        etag = f'"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"'
        location = f"{owner.url}/{quote(key)}"
        redirect = verdict.redirect
        if redirect is not None:
            sep = "&" if "?" in redirect else "?"
            target = (f"{redirect}{sep}bucket={quote(owner.bucket)}&key={quote(key)}"
                      f"&etag={quote(etag)}")
            self._answer(303, "text/plain", b"", {"Location": target, "ETag": etag})
        elif verdict.success_status == 201:
            xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse><Location>'
                   f"{escape(location)}</Location><Bucket>{escape(owner.bucket)}</Bucket>"
                   f"<Key>{escape(key)}</Key><ETag>{escape(etag)}</ETag></PostResponse>")
            self._answer(201, "application/xml", xml.encode(),
                         {"Location": location, "ETag": etag})
        else:
            self._answer(verdict.success_status, "text/plain", b"",
                         {"Location": location, "ETag": etag})

    def _answer(
        self, status: int, content_type: str, body: bytes, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 204:
            self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if status != 204:
            self.wfile.write(body)
