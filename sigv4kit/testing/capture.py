"""A loopback HTTP(S) server that records each request exactly as it came off the wire.

Real clients (boto3, the AWS CLI) are the only honest source of what servers must verify, so
tests point them here::

    with CaptureServer(tls=True) as srv:              # a trustme certificate for 127.0.0.1
        s3 = boto3.client("s3", endpoint_url=srv.url, verify=srv.ca_file, ...)
        s3.put_object(Bucket="b", Key="k", Body=data)
    captured = srv.requests[0]
    captured.head, captured.raw_body               # bytes as received: headers in order,
                                                  # body with its HTTP chunked framing
    verify_request(captured.to_request(), lookup)  # the HTTP framing removed, nothing else

Every request gets ``200 OK`` with an ETag (the MD5 of the decoded body, as S3 answers
PutObject and UploadPart) and an empty body, but CreateMultipartUpload (``POST ?uploads``),
answered with an UploadId so a multipart upload goes on. Given a ``lookup``, the server
verifies as S3 would, the way a server should (``verify_request(head, defer_body=True)``, then
the body through ``ChunkedVerifier`` as it arrives): a bad seed is refused before the body is
read (no ``100 Continue``), a bad body with an S3 error, and ``CapturedRequest.verdict`` says
why. Every checksum botocore sends (``sigv4kit.checksums.ALGORITHMS``) is checked, in an
aws-chunked trailer or as a header.

Bounded so no test can hang: heads of at most 64 KiB, bodies of at most ``max_body`` bytes
(HTTP chunked framing and trailer included), a socket timeout per read and a total one per
request (``request_timeout``), framing read by the rules of ``sigv4kit.wire`` (anything else
closes the connection unrecorded), and closing the server shuts every connection down. ``Expect:
100-continue`` is answered before the body is read.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from ..model import Credentials, Request
from ..received import Reason
from ..streaming import ChunkedVerifier
from ..verify import Lookup, VerifyResult, verify_request
from ..wire import ChunkedBodyReader, MalformedInputError, decode_http_chunked
from ._listener import RawListener

__all__ = ["CaptureServer", "CapturedRequest", "CorpusCase", "load_corpus"]

MAX_HEAD = 64 * 1024
_S3_ERRORS = {
    Reason.SIGNATURE_MISMATCH: (403, "SignatureDoesNotMatch"),
    Reason.CHUNK_SIGNATURE_MISMATCH: (403, "SignatureDoesNotMatch"),
    Reason.TRAILER_SIGNATURE_MISMATCH: (403, "SignatureDoesNotMatch"),
    Reason.PAYLOAD_HASH_MISMATCH: (400, "XAmzContentSHA256Mismatch"),
    Reason.CHECKSUM_MISMATCH: (400, "BadDigest"),
    Reason.DECODED_LENGTH_MISMATCH: (400, "IncompleteBody"),
    Reason.MALFORMED_CHUNK: (400, "IncompleteBody"),
    Reason.UNKNOWN_ACCESS_KEY: (403, "InvalidAccessKeyId"),
    Reason.EXPIRED: (403, "RequestTimeTooSkewed"),
    Reason.NOT_YET_VALID: (403, "RequestTimeTooSkewed"),
}
"""The S3 error a verdict's reason answers with (others: 403 AccessDenied)."""
READ_TIMEOUT = 10.0
REQUEST_TIMEOUT = 120.0
"""Longest a request (head and body, or a keep-alive connection's wait for the next one) may
take: a client trickling a byte per ``READ_TIMEOUT`` is cut off then."""


@dataclass(frozen=True)
class CapturedRequest:
    """One request as received: the head (request line and header lines, verbatim) and the
    body bytes exactly as sent (HTTP chunked framing included)."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    head: bytes
    raw_body: bytes
    scheme: str
    verdict: VerifyResult | None = None
    """The verifying server's verdict (None without a ``lookup``)."""

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (any case), or None."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    @property
    def body(self) -> bytes:
        """The message body with HTTP's own Transfer-Encoding: chunked framing removed (an
        aws-chunked body stays framed: that is what the signature covers)."""
        if (self.header("transfer-encoding") or "").strip().lower() == "chunked":
            return decode_http_chunked(self.raw_body)
        return self.raw_body

    def to_request(self) -> Request:
        """The request as ``sigv4kit.Request`` (absolute URL from the Host header)."""
        host = self.header("host") or "127.0.0.1"
        return Request(self.method, f"{self.scheme}://{host}{self.target}", self.headers,
                       self.body)


class _Problem(Exception):
    pass


class CaptureServer(RawListener):
    """Records requests on 127.0.0.1 (``tls=True``: HTTPS with a fresh trustme CA)."""

    def __init__(
        self,
        *,
        tls: bool = False,
        max_body: int = 128 * 1024 * 1024,
        lookup: Lookup | None = None,
        request_timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        self.request_timeout = request_timeout
        self.lookup = lookup
        self.max_body = max_body
        self.requests: list[CapturedRequest] = []
        super().__init__("127.0.0.1", tls=tls, name="capture-server",
                         cert_names=("127.0.0.1", "localhost"), accept_timeout=0.2)

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def _connection(self, raw: socket.socket) -> None:
        raw.settimeout(READ_TIMEOUT)
        conn = raw
        with self._lock:
            self._conns.add(raw)
        try:
            if self._context is not None:
                conn = self._context.wrap_socket(raw, server_side=True)
            reader = _Reader(conn)
            while not self._stop.is_set():
                if not self._one(conn, reader):
                    return
        except (OSError, ssl.SSLError, _Problem):
            return
        finally:
            with self._lock:
                self._conns.discard(raw)
            with contextlib.suppress(OSError):
                conn.close()

    def _one(self, conn: socket.socket, reader: _Reader) -> bool:
        reader.deadline = time.monotonic() + self.request_timeout
        head = reader.until(b"\r\n\r\n", MAX_HEAD)
        if head is None:
            return False
        lines = head[:-4].decode("latin-1").split("\r\n")
        method, target, _ = [*lines[0].split(" ", 2), "", ""][:3]
        headers = tuple(
            (name, value.strip(" \t"))
            for name, _, value in (line.partition(":") for line in lines[1:])
        )
        fields = {n.lower(): v for n, v in headers}
        scheme = "https" if self.tls else "http"
        verdict, body_check = self._check_head(method, target, headers, scheme)
        if verdict is not None and not verdict.valid:  # refused before the body is sent
            self._record(CapturedRequest(method, target, headers, head, b"", scheme, verdict))
            self._error(conn, verdict)
            return False
        if fields.get("expect", "").lower() == "100-continue":
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if fields.get("transfer-encoding", "").lower() == "chunked":
            raw_body = self._chunked(reader, body_check)
        else:
            length = _content_length(fields)
            if length > self.max_body:
                raise _Problem("body too large")
            raw_body = reader.exactly(length)
            if body_check is not None:
                body_check.feed(raw_body)
        if verdict is not None:
            verdict = self._final(method, target, headers, scheme, raw_body, body_check)
        captured = CapturedRequest(method, target, headers, head, raw_body, scheme, verdict)
        if verdict is not None and not verdict.valid:
            self._record(captured)
            self._error(conn, verdict)
            return False
        self._record(captured)
        self._answer(conn, captured)
        return fields.get("connection", "").lower() != "close"

    def _record(self, captured: CapturedRequest) -> None:
        with self._lock:
            self.requests.append(captured)

    def _check_head(
        self, method: str, target: str, headers: tuple[tuple[str, str], ...], scheme: str
    ) -> tuple[VerifyResult | None, ChunkedVerifier | None]:
        """The headers verdict, and the body verifier when the body is aws-chunked."""
        if self.lookup is None:
            return None, None
        host = next((v for n, v in headers if n.lower() == "host"), "127.0.0.1")
        request = Request(method, f"{scheme}://{host}{target}", headers)
        verdict = verify_request(request, self.lookup, defer_body=True)
        streaming = (dict((n.lower(), v) for n, v in headers).get("x-amz-content-sha256", "")
                     .startswith("STREAMING-"))
        if not verdict.valid or not streaming:
            return verdict, None
        return verdict, ChunkedVerifier(verdict, request, self.lookup)

    def _final(
        self,
        method: str,
        target: str,
        headers: tuple[tuple[str, str], ...],
        scheme: str,
        raw_body: bytes,
        body_check: ChunkedVerifier | None,
    ) -> VerifyResult:
        if body_check is not None:
            return body_check.finish()
        assert self.lookup is not None
        captured = CapturedRequest(method, target, headers, b"", raw_body, scheme)
        return verify_request(captured.to_request(), self.lookup)

    def _error(self, conn: socket.socket, verdict: VerifyResult) -> None:
        status, code = _S3_ERRORS.get(verdict.reason, (403, "AccessDenied"))
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{escape(verdict.message)}</Message></Error>"
        ).encode()
        conn.sendall(
            b"HTTP/1.1 %d %s\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n"
            b"Connection: close\r\n\r\n%s" % (status, code.encode(), len(body), body)
        )

    def _chunked(self, reader: _Reader, body_check: ChunkedVerifier | None = None) -> bytes:
        """The raw bytes of an HTTP chunked body, up to and including its last empty line,
        framed by ``wire.ChunkedBodyReader`` (the rules ``CapturedRequest.body`` decodes
        with), each piece verified as it arrives; at most ``max_body`` framed bytes."""
        decoder = ChunkedBodyReader()
        out = bytearray()
        while not decoder.done:
            data = reader.some()
            if not data:
                raise _Problem("connection closed in a chunked body")
            before = decoder.offset
            try:
                pieces = decoder.feed(data)
            except MalformedInputError as exc:
                raise _Problem(str(exc)) from None
            used = decoder.offset - before
            reader.unread(data[used:])  # the next request's bytes, when pipelined
            out += data[:used]
            if len(out) > self.max_body:
                raise _Problem("body too large")
            if body_check is not None:
                for piece in pieces:
                    body_check.feed(piece)
        return bytes(out)

    def _answer(self, conn: socket.socket, captured: CapturedRequest) -> None:
        etag = hashlib.md5(captured.body, usedforsecurity=False).hexdigest()
        body = _initiate_multipart_answer(captured)
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nx-amz-request-id: CAPTURE\r\nETag: \"%s\"\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (etag.encode(), len(body), body)
        )


UPLOAD_ID = "capture-upload-1"
"""The UploadId every CreateMultipartUpload (``POST ?uploads``) is answered with."""


def _initiate_multipart_answer(captured: CapturedRequest) -> bytes:
    """S3's InitiateMultipartUploadResult for ``POST /bucket/key?uploads`` (so a client's
    multipart upload goes on to its parts), else an empty body."""
    path, _, query = captured.target.partition("?")
    if captured.method != "POST" or "uploads" not in query.split("&"):
        return b""
    bucket, _, key = path.lstrip("/").partition("/")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<InitiateMultipartUploadResult>'
        f"<Bucket>{escape(bucket)}</Bucket><Key>{escape(key)}</Key>"
        f"<UploadId>{UPLOAD_ID}</UploadId></InitiateMultipartUploadResult>"
    ).encode()


def _content_length(fields: dict[str, str]) -> int:
    """The body's length: a whole number (RFC 9110 section 8.6), or none at all with
    ``Transfer-Encoding`` other than chunked (not read: the connection is closed)."""
    if fields.get("transfer-encoding", "").strip().lower() not in ("", "identity"):
        raise _Problem("a transfer coding other than chunked")
    text = fields.get("content-length", "0").strip() or "0"
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise _Problem("Content-Length is not a whole number of bytes")
    return int(text)


class _Reader:
    """Buffered reads from a socket, bounded in size and, per request, in total time (a
    client that trickles a byte per read timeout is cut off at ``deadline``)."""

    def __init__(self, conn: socket.socket) -> None:
        self._conn = conn
        self._buf = bytearray()
        self.deadline = time.monotonic() + READ_TIMEOUT

    def _more(self) -> bool:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise _Problem("the request took longer than the server's request timeout")
        self._conn.settimeout(min(READ_TIMEOUT, left))
        data = self._conn.recv(256 * 1024)
        if not data:
            return False
        self._buf += data
        return True

    def until(self, marker: bytes, limit: int) -> bytes | None:
        start = 0
        while True:
            end = self._buf.find(marker, start)
            if end >= 0:
                out = bytes(self._buf[: end + len(marker)])
                del self._buf[: end + len(marker)]
                return out
            if len(self._buf) > limit:
                raise _Problem("line too long")
            start = max(0, len(self._buf) - len(marker))
            if not self._more():
                return None

    def some(self) -> bytes:
        """What is buffered, or the next read (b"" once the peer has closed)."""
        if not self._buf and not self._more():
            return b""
        out = bytes(self._buf)
        self._buf.clear()
        return out

    def unread(self, data: bytes) -> None:
        """Put back bytes ``some`` gave that belong to what is read next."""
        self._buf[:0] = data

    def exactly(self, size: int) -> bytes:
        while len(self._buf) < size:
            if not self._more():
                raise _Problem("connection closed in a body")
        out = bytes(self._buf[:size])
        del self._buf[:size]
        return out


@dataclass(frozen=True, repr=False)
class CorpusCase:
    """One capture of ``vectors/captures/*.json`` (written by ``vectors/capture.py``): the
    request as received, the fake credentials that signed it and the moment it was signed."""

    client: str
    version: str
    name: str
    kind: str
    """``header``, ``presigned``, ``streaming`` (aws-chunked body) or ``sigv2``."""
    service: str
    captured: CapturedRequest
    credentials: Credentials
    signed_at: str
    """X-Amz-Date form; verify and explain with ``now=signed_at``."""
    decoded: bytes | None
    """The object an aws-chunked body carries (None for other kinds)."""

    @property
    def request(self) -> Request:
        return self.captured.to_request()

    def lookup(self, access_key_id: str) -> Credentials | None:
        """A ``verify_request`` lookup that knows this case's key only."""
        return self.credentials if access_key_id == self.credentials.access_key_id else None

    def raw_http(self) -> bytes:
        """The request as HTTP/1.1 text, exactly as it came off the wire."""
        return self.captured.head + self.captured.raw_body

    def __repr__(self) -> str:
        return f"CorpusCase({self.client!r}, {self.name!r}, kind={self.kind!r})"


def load_corpus(path: str | Path) -> list[CorpusCase]:
    """The cases of one capture file (a ``vectors/captures/<client>-<service>.json``); a file
    that is not one raises ``MalformedInputError`` naming what is missing."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return [_case(data, case) for case in data["cases"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedInputError(
            f"corpus: {Path(path).name} is not a capture file ({type(exc).__name__}: {exc})",
            field="corpus",
        ) from None


def _case(data: dict[str, Any], case: dict[str, Any]) -> CorpusCase:
    headers = tuple((str(n), str(v)) for n, v in case["headers"])
    method, target = str(case["method"]), str(case["target"])
    head = (f"{method} {target} HTTP/1.1\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers)
            + "\r\n").encode("latin-1")
    raw_body = base64.b64decode(str(case["body_base64"]), validate=True)
    creds = case["credentials"]
    decoded = case.get("decoded_base64")
    return CorpusCase(
        client=str(data["client"]),
        version=str(data["version"]),
        name=str(case["name"]),
        kind=str(case["kind"]),
        service=str(case["service"]),
        captured=CapturedRequest(method, target, headers, head, raw_body, str(case["scheme"])),
        credentials=Credentials(
            creds["access_key_id"], creds["secret_access_key"], creds["session_token"]
        ),
        signed_at=str(case["signed_at"]),
        decoded=None if decoded is None else base64.b64decode(str(decoded), validate=True),
    )
