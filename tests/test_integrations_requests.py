"""The requests plugin, against a local server that checks every signature with
``sigv4kit.verify`` (and against moto's server, which checks with botocore)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from sigv4kit import S3_OPTIONS, UNSIGNED_PAYLOAD, Credentials, Request, SigningError
from sigv4kit.integrations.requests import SigV4Auth
from sigv4kit.verify import verify_request

from .servers import MotoServer

CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "TOKEN/+=")


class _Verifying(BaseHTTPRequestHandler):
    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        host = self.headers["Host"]
        request = Request(self.command, f"http://{host}{self.path}",
                          list(self.headers.items()), body)
        result = verify_request(request, lambda k: CREDS if k == CREDS.access_key_id else None)
        status = 200 if result.valid else 403
        payload = f"{result.reason}: {result.message}".encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _handle

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def verifying_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Verifying)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/", {}),
        ("GET", "/a b/ü/../c", {"params": {"q": "x y+z", "list": ["1", "2"], "e": ""}}),
        ("POST", "/form", {"data": {"Action": "DescribeRegions", "Version": "2016-11-15"}}),
        ("PUT", "/json", {"json": {"k": "v", "n": [1, 2]}}),
        ("PUT", "/bytes", {"data": b"\x00\xffbinary", "headers": {"Content-Type": "x/y"}}),
        ("DELETE", "/thing", {"headers": {"X-Custom": "spaced   \t value"}}),
    ],
)
def test_server_verifies_what_requests_sends(
    verifying_server: str, method: str, path: str, kwargs: dict[str, object]
) -> None:
    with requests.Session() as session:
        session.auth = SigV4Auth(CREDS, "us-east-1", "execute-api")
        response = session.request(method, verifying_server + path, timeout=10, **kwargs)
        assert response.status_code == 200, response.text
        again = session.request(method, verifying_server + path, timeout=10, **kwargs)
        assert again.status_code == 200, again.text


def test_tampering_after_signing_is_caught(verifying_server: str) -> None:
    auth = SigV4Auth(CREDS, "us-east-1", "execute-api")
    prepared = requests.Request("POST", verifying_server + "/x", data=b"one").prepare()
    auth(prepared)
    prepared.body = b"two"
    with requests.Session() as session:
        response = session.send(prepared, timeout=10)
    assert response.status_code == 403
    assert response.text.startswith("signature_mismatch")


def test_callable_credentials_and_streamed_body(verifying_server: str) -> None:
    calls = []

    def fresh() -> Credentials:
        calls.append(1)
        return CREDS

    response = requests.get(verifying_server + "/", auth=SigV4Auth(fresh, "us-east-1", "s3"),
                            timeout=10)
    assert response.status_code == 200 and calls == [1]
    with pytest.raises(SigningError, match="body"):
        requests.put(verifying_server + "/", data=iter([b"a", b"b"]),
                     auth=SigV4Auth(CREDS, "us-east-1", "execute-api"), timeout=10)
    for auth in (SigV4Auth(CREDS, "us-east-1", "s3"),
                 SigV4Auth(CREDS, "us-east-1", "s3", payload_hash=UNSIGNED_PAYLOAD,
                           **S3_OPTIONS)):
        streamed = requests.put(verifying_server + "/", data=iter([b"a", b"b"]), timeout=10,
                                auth=auth)
        assert streamed.status_code == 200, streamed.text
        assert streamed.request.headers["X-Amz-Content-SHA256"] == UNSIGNED_PAYLOAD


def test_sigv4a_through_requests(verifying_server: str) -> None:
    auth = SigV4Auth(CREDS, ["us-east-1", "us-west-2"], "execute-api", algorithm="sigv4a")
    response = requests.get(verifying_server + "/v4a?x=1", auth=auth, timeout=10)
    assert response.status_code == 200, response.text


def test_against_moto_server(moto_server: MotoServer) -> None:
    url = moto_server.endpoint_url + "/"
    form = {"Action": "DescribeRegions", "Version": "2016-11-15"}
    auth = SigV4Auth(moto_server.credentials, "us-west-2", "ec2")
    response = requests.post(url, auth=auth, data=form, timeout=30)
    assert response.status_code == 200, response.text
    wrong = Credentials(moto_server.access_key_id, "wrong-secret-0123456789")
    denied = requests.post(url, auth=SigV4Auth(wrong, "us-west-2", "ec2"), data=form, timeout=30)
    assert denied.status_code == 401 and "AuthFailure" in denied.text


# Redirects (another origin refused, the same origin followed): tests/test_adapters_redirects.py
