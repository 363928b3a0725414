"""A loopback stand-in for AWS, so that the documentation's code blocks run as written.

The blocks name real hosts (``https://my-bucket.s3.us-east-1.amazonaws.com/…``,
``ec2.us-west-2.amazonaws.com``). A ``sitecustomize`` module, put first on the path of the
process that runs a block, answers every name lookup with 127.0.0.1 and the port of this
world (443 and 8443 to its HTTPS port, 80 to its HTTP port), and adds the world's
certificate authority (trustme) to what requests, httpx and aiohttp trust. Nothing leaves the
machine, and no code in a block is changed.

The world checks every request's signature with ``sigv4kit.verify`` against the
documentation's credentials (a block that signs wrongly fails), then answers: EC2 hosts with
the EC2 Query actions the documentation calls (every snapshot exists and is completed), every
other host as a small object store (a PUT stores, a GET returns it, anything else 200).
"""

from __future__ import annotations

import itertools
import ssl
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

import trustme

from sigv4kit import Credentials, Request, verify_request

CREDENTIALS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
MAX_BODY = 64 * 1024 * 1024
_EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
_REGIONS = ("us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1",
            "ap-southeast-2", "ap-northeast-1")
# Names the blocks use; the certificate lists them (a wildcard covers one label only).
HOSTS = (
    "*.amazonaws.com", "*.s3.amazonaws.com", "*.execute-api.us-east-1.amazonaws.com",
    *(f"*.{r}.amazonaws.com" for r in _REGIONS),
    *(f"*.s3.{r}.amazonaws.com" for r in _REGIONS),
    "localhost",
)

SITECUSTOMIZE = '''\
"""The documentation tests' resolver (tests/docs_world.py): every host is this machine."""
import os
import socket

_PORTS = {443: int(os.environ["DOCS_WORLD_HTTPS"]), 8443: int(os.environ["DOCS_WORLD_HTTPS"]),
          80: int(os.environ["DOCS_WORLD_HTTP"])}
_getaddrinfo = socket.getaddrinfo


def _world_getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    name = host.decode() if isinstance(host, bytes) else (host or "")
    if name in ("", "localhost") or name[:1].isdigit() or ":" in name:
        return _getaddrinfo(host, port, family, type, proto, flags)
    number = int(port) if port not in (None, "") else 443
    return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "",
             ("127.0.0.1", _PORTS.get(number, number)))]


_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _world_address(address):
    # anyio (httpx's async side) keeps the port it was given and connects to the address
    # alone, so the port is also mapped here.
    if isinstance(address, tuple) and address[:1] == ("127.0.0.1",) and address[1] in _PORTS:
        return ("127.0.0.1", _PORTS[address[1]])
    return address


socket.getaddrinfo = _world_getaddrinfo
socket.socket.connect = lambda self, address: _connect(self, _world_address(address))
socket.socket.connect_ex = lambda self, address: _connect_ex(self, _world_address(address))
try:
    import certifi
    certifi.where = lambda: os.environ["DOCS_WORLD_CA"]
except ImportError:
    pass
'''


@dataclass
class World:
    https_port: int = 0
    http_port: int = 0
    ca_file: Path = Path()
    site_dir: Path = Path()
    refused: list[str] = field(default_factory=list)
    objects: dict[str, bytes] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        """What a block's process needs: the resolver, the CA, the credentials."""
        return {
            "DOCS_WORLD_HTTPS": str(self.https_port),
            "DOCS_WORLD_HTTP": str(self.http_port),
            "DOCS_WORLD_CA": str(self.ca_file),
            "SSL_CERT_FILE": str(self.ca_file),
            "REQUESTS_CA_BUNDLE": str(self.ca_file),
            "AWS_CA_BUNDLE": str(self.ca_file),
            "AWS_ACCESS_KEY_ID": CREDENTIALS.access_key_id,
            "AWS_SECRET_ACCESS_KEY": CREDENTIALS.secret_access_key,
            "AWS_DEFAULT_REGION": "us-east-1",
        }


_ids = itertools.count(0x1000)


def _new_id(prefix: str) -> str:
    return f"{prefix}-{next(_ids):017x}"


def _ec2_answer(action: str, params: dict[str, str]) -> bytes:
    request_id = "<requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>"
    if action in ("CopySnapshot", "CreateSnapshot"):
        snap = _new_id("snap")
        inner = f"<snapshotId>{snap}</snapshotId>"
        if action == "CreateSnapshot":
            inner += (f"<volumeId>{escape(params.get('VolumeId', ''))}</volumeId>"
                      "<status>pending</status><startTime>2026-12-07T06:06:12.000Z</startTime>"
                      "<progress></progress><ownerId>123456789012</ownerId>"
                      "<volumeSize>8</volumeSize><description></description>")
    elif action == "DescribeSnapshots":
        ids = [v for k, v in params.items() if k.startswith("SnapshotId.")] or [_new_id("snap")]
        items = "".join(
            f"<item><snapshotId>{escape(i)}</snapshotId><volumeId>vol-0123456789abcdef0"
            "</volumeId><status>completed</status><startTime>2026-12-07T06:06:12.000Z"
            "</startTime><progress>100%</progress><ownerId>123456789012</ownerId>"
            "<volumeSize>8</volumeSize><description>nightly copy</description></item>"
            for i in ids)
        inner = f"<snapshotSet>{items}</snapshotSet>"
    else:
        inner = "<return>true</return>"
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<{action}Response xmlns="{_EC2_NS}">'
            f"{request_id}{inner}</{action}Response>").encode()


def _handler(world: World, scheme: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 10

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _body(self) -> bytes:
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                parts = []
                while True:
                    size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline(1024).strip():
                            pass
                        return b"".join(parts)
                    parts.append(self.rfile.read(size))
                    self.rfile.readline(16)
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(min(length, MAX_BODY))

        def _handle(self) -> None:
            body = self._body()
            host = self.headers.get("Host", "")
            request = Request(self.command, f"{scheme}://{host}{self.path}",
                              list(self.headers.items()), body)
            verdict = verify_request(
                request, lambda akid: CREDENTIALS if akid == CREDENTIALS.access_key_id else None)
            if not verdict.valid:
                world.refused.append(f"{self.command} {host}{self.path[:80]}: {verdict.reason}")
                self._answer(403, "application/xml",
                             b"<Error><Code>SignatureDoesNotMatch</Code></Error>")
                return
            path = self.path.partition("?")[0]
            if host.startswith("ec2."):
                params = dict(parse_qsl(body.decode() or self.path.partition("?")[2]))
                self._answer(200, "text/xml", _ec2_answer(params.get("Action", ""), params))
            elif self.command == "PUT":
                world.objects[host + path] = verdict.decoded_body or body
                self._answer(200, "application/xml", b"")
            elif self.command == "GET" and host + path in world.objects:
                self._answer(200, "application/octet-stream", world.objects[host + path])
            else:
                self._answer(200, "application/xml", b"<ok/>")

        def _answer(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

    return Handler


def _serve(server: ThreadingHTTPServer) -> None:
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()


@contextmanager
def world_running() -> Iterator[World]:
    """The world's two servers and the files a block's process needs, for the ``with``."""
    with tempfile.TemporaryDirectory(prefix="docs-world-") as tmp:
        world = World(site_dir=Path(tmp) / "site", ca_file=Path(tmp) / "ca.pem")
        ca = trustme.CA()
        ca.cert_pem.write_to_path(str(world.ca_file))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(*HOSTS).configure_cert(context)
        https = ThreadingHTTPServer(("127.0.0.1", 0), _handler(world, "https"))
        https.socket = context.wrap_socket(https.socket, server_side=True)
        http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(world, "http"))
        world.https_port, world.http_port = https.server_address[1], http.server_address[1]
        world.site_dir.mkdir()
        (world.site_dir / "sitecustomize.py").write_text(SITECUSTOMIZE)
        _serve(https)
        _serve(http)
        try:
            yield world
        finally:
            for server in (https, http):
                server.shutdown()
                server.server_close()
