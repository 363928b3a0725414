"""The verifying middleware under real servers: a bare ASGI app under uvicorn (HTTPS with a
trustme CA for boto3's default aws-chunked uploads, and plain HTTP), Flask apps under waitress.

Clients are boto3, the AWS CLI and sigv4kit's adapters; refusals are read back by boto3 itself
(a ``ClientError`` code) or by botocore's protocol parsers. A request refused must never reach
the app; an aws-chunked body must reach it decoded; a forged last chunk must end the request
with AWS's answer and no complete body at the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import botocore.config
import pytest
import requests
from botocore import UNSIGNED
from botocore.exceptions import ClientError

from sigv4kit import S3_OPTIONS, S3_PRESIGN_OPTIONS, Credentials, Request, presign, sign_request
from sigv4kit.server import asgi, wsgi
from sigv4kit.streaming import sign_chunked
from tests.adapter_clients import KINDS, call, make_auth
from tests.test_server_errors import botocore_parse

CREDS = Credentials("AKIDMIDDLEWARE", "middleware/secret+KEY/0123456789abcdef")
OTHER = Credentials("AKIDMIDDLEWARE", "not/the/secret/0123456789abcdefghijk")
UNKNOWN = Credentials("AKIDNOBODYKNOWS", "whatever/0123456789abcdefghijklmnop")
LOOKUP = {CREDS.access_key_id: CREDS}.get
TIMEOUT = 20


class Seen:
    """What the apps saw: one (method, target, body, verdict) per request that reached them,
    and the disconnects (bodies cut off by the middleware)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, bytes, Any]] = []
        self.cut: list[str] = []
        self.lock = threading.Lock()

    def clear(self) -> None:
        with self.lock:
            self.calls.clear()
            self.cut.clear()


# -- the ASGI app and its servers -------------------------------------------------------------


def asgi_app(seen: Seen) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                with seen.lock:
                    seen.cut.append(scope["path"])
                raise ConnectionAbortedError("client went away")
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        verdict = scope["sigv4kit.verdict"]
        with seen.lock:
            seen.calls.append((scope["method"], scope["path"], bytes(body), verdict))
        answer = json.dumps({"akid": verdict.received.access_key_id, "valid": verdict.valid,
                             "size": len(body)}).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"),
                                (b"etag", b'"%s"' % hashlib.md5(body).hexdigest().encode())]})
        # boto3 reads a 200 answer to an S3 PUT as XML: an empty body, as S3 sends
        await send({"type": "http.response.body",
                    "body": b"" if scope["method"] == "PUT" else answer})

    return app


def _tls_files(tmp: str) -> tuple[str, str, str]:
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    key_file, cert_file, ca_file = (os.path.join(tmp, n) for n in ("k.pem", "c.pem", "ca.pem"))
    cert.private_key_pem.write_to_path(key_file)
    cert.cert_chain_pems[0].write_to_path(cert_file)
    for extra in cert.cert_chain_pems[1:]:
        extra.write_to_path(cert_file, append=True)
    ca.cert_pem.write_to_path(ca_file)
    return key_file, cert_file, ca_file


@contextlib.contextmanager
def uvicorn_running(app: Any, *, tls: bool) -> Iterator[tuple[str, str | None]]:
    """(base URL, CA file) of ``app`` served by uvicorn on 127.0.0.1 in a thread."""
    import uvicorn

    with tempfile.TemporaryDirectory(prefix="sigv4kit-uvicorn-") as tmp:
        files = _tls_files(tmp) if tls else None
        sock = socket.create_server(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            app, log_level=os.environ.get("UVLOG", "error"), lifespan="off", timeout_keep_alive=2,
            ssl_keyfile=files[0] if files else None, ssl_certfile=files[1] if files else None,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
            time.sleep(0.02)
        try:
            yield f"{'https' if tls else 'http'}://127.0.0.1:{port}", files[2] if files else None
        finally:
            server.should_exit = True
            thread.join(10)
            sock.close()


@pytest.fixture(scope="module")
def asgi_seen() -> Seen:
    return Seen()


@pytest.fixture(scope="module")
def asgi_tls(asgi_seen: Seen) -> Iterator[tuple[str, str | None]]:
    app = asgi.SigV4Middleware(asgi_app(asgi_seen), LOOKUP, protocol="rest-xml",
                               service="s3", region="us-east-1")
    with uvicorn_running(app, tls=True) as where:
        yield where


async def _async_lookup(akid: str) -> Credentials | None:
    await asyncio.sleep(0)
    return LOOKUP(akid)


@pytest.fixture(scope="module")
def asgi_http(asgi_seen: Seen) -> Iterator[str]:
    """Plain HTTP, an async lookup, a 1 MiB cap on the body."""
    app = asgi.SigV4Middleware(asgi_app(asgi_seen), _async_lookup, protocol="rest-xml",
                               max_body=1024 * 1024)
    with uvicorn_running(app, tls=False) as (url, _):
        yield url


@pytest.fixture(scope="module")
def asgi_buffered(asgi_seen: Seen) -> Iterator[str]:
    app = asgi.SigV4Middleware(asgi_app(asgi_seen), LOOKUP, protocol="rest-xml",
                               buffered=True, max_body=64 * 1024)
    with uvicorn_running(app, tls=False) as (url, _):
        yield url


# -- the Flask apps under waitress ------------------------------------------------------------


def flask_sts(seen: Seen) -> Any:
    from flask import Flask, request

    app = Flask("sts")

    @app.post("/")
    def get_caller_identity() -> Any:
        verdict = request.environ["sigv4kit.verdict"]
        body = request.get_data()
        with seen.lock:
            seen.calls.append(("POST", "/", body, verdict))
        akid = verdict.received.access_key_id
        xml = ('<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
               f"<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/{akid}</Arn>"
               f"<UserId>{akid}</UserId><Account>123456789012</Account>"
               "</GetCallerIdentityResult><ResponseMetadata><RequestId>r-1</RequestId>"
               "</ResponseMetadata></GetCallerIdentityResponse>")
        return xml, 200, {"Content-Type": "text/xml"}

    return app


def flask_s3(seen: Seen) -> Any:
    from flask import Flask, request

    app = Flask("s3")

    @app.route("/<path:key>", methods=["GET", "PUT"])
    def obj(key: str) -> Any:
        verdict = request.environ["sigv4kit.verdict"]
        try:
            body = request.get_data()
        except wsgi.BodyRejected:
            with seen.lock:
                seen.cut.append("/" + key)
            raise
        with seen.lock:
            seen.calls.append((request.method, "/" + key, body, request.environ[
                "sigv4kit.verdict"]))
        if request.method == "PUT":
            return ""
        return {"akid": verdict.received.access_key_id, "size": len(body)}

    return app


@contextlib.contextmanager
def waitress_running(app: Any) -> Iterator[str]:
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=4, channel_timeout=10)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(5)


@pytest.fixture(scope="module")
def wsgi_seen() -> Seen:
    return Seen()


@pytest.fixture(scope="module")
def sts_server(wsgi_seen: Seen) -> Iterator[str]:
    app = flask_sts(wsgi_seen)
    app.wsgi_app = wsgi.SigV4Middleware(app.wsgi_app, LOOKUP, protocol="query",  # type: ignore[method-assign]
                                        service="sts")
    with waitress_running(app) as url:
        yield url


@pytest.fixture(scope="module")
def s3_wsgi(wsgi_seen: Seen) -> Iterator[str]:
    app = flask_s3(wsgi_seen)
    app.wsgi_app = wsgi.SigV4Middleware(app.wsgi_app, LOOKUP, protocol="rest-xml")  # type: ignore[method-assign]
    with waitress_running(app) as url:
        yield url


# -- clients ----------------------------------------------------------------------------------


def boto(service: str, url: str, creds: Credentials | None = CREDS, ca: str | None = None,
         **config: Any) -> Any:
    keys: dict[str, Any] = {}
    if creds is not None:
        keys = {"aws_access_key_id": creds.access_key_id,
                "aws_secret_access_key": creds.secret_access_key}
    return boto3.session.Session().client(
        service, region_name="us-east-1", endpoint_url=url, verify=ca, **keys,
        config=botocore.config.Config(
            s3={"addressing_style": "path"}, retries={"max_attempts": 1}, connect_timeout=5,
            read_timeout=TIMEOUT, signature_version=UNSIGNED if creds is None else None,
            **config),
    )


def code_of(call_: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as info:
        call_()
    return str(info.value.response["Error"]["Code"])


def parsed_code(answer: requests.Response, protocol: str = "rest-xml") -> str:
    parsed = botocore_parse(protocol, answer.status_code, tuple(answer.headers.items()),
                            answer.content)
    return str(parsed["Error"]["Code"])


def chunked_put(url: str, data: bytes, *, forge_last: bool = False,
                trailer: str | None = "crc32") -> requests.Response:
    """sign_chunked's signed-chunk upload of ``data``, sent by requests (a forged last chunk:
    its last data byte changed, its signature kept)."""
    up = sign_chunked(Request("PUT", url), CREDS, region="us-east-1", service="s3",
                      payload=data, chunk_size=8192, trailer=trailer)
    body = up.body.read_all()
    if forge_last:
        tail = body.rindex(b"\r\n0;chunk-signature=")
        body = body[: tail - 1] + bytes([body[tail - 1] ^ 1]) + body[tail:]
    return requests.put(url, data=body, headers=dict(up.request.headers), timeout=TIMEOUT)


def _aws_cli(*args: str, ca: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": CREDS.access_key_id,
           "AWS_SECRET_ACCESS_KEY": CREDS.secret_access_key, "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    if ca is not None:
        env["AWS_CA_BUNDLE"] = ca
    return subprocess.run(["aws", *args], capture_output=True, text=True, env=env, timeout=60,
                          check=False)


# -- ASGI -------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [11, 1024 * 1024 + 3])
def test_asgi_boto3_default_upload_arrives_decoded(asgi_tls: tuple[str, str], asgi_seen: Seen,
                                                   size: int) -> None:
    url, ca = asgi_tls
    data = os.urandom(size)
    asgi_seen.clear()
    boto("s3", url, ca=ca).put_object(Bucket="bucket", Key="dir/an object.bin", Body=data)
    (method, path, body, verdict), = asgi_seen.calls
    assert (method, path, body) == ("PUT", "/bucket/dir/an object.bin", data)
    assert verdict.valid and verdict.received.access_key_id == CREDS.access_key_id
    assert "aws-chunked body" in verdict.message  # boto3 sent STREAMING-…-TRAILER


def test_asgi_refusals_are_awss_answers(asgi_tls: tuple[str, str], asgi_seen: Seen) -> None:
    url, ca = asgi_tls
    asgi_seen.clear()
    put = {"Bucket": "bucket", "Key": "k", "Body": b"data"}
    assert code_of(lambda: boto("s3", url, OTHER, ca).put_object(**put)) == (
        "SignatureDoesNotMatch")
    assert code_of(lambda: boto("s3", url, UNKNOWN, ca).get_object(Bucket="b", Key="k")) == (
        "InvalidAccessKeyId")
    assert code_of(lambda: boto("s3", url, None, ca).get_object(Bucket="b", Key="k")) == (
        "AccessDenied")
    assert code_of(lambda: boto("s3", url, CREDS, ca, region_name="eu-west-1").get_object(
        Bucket="b", Key="k")) == "AuthorizationHeaderMalformed"
    old = datetime.now(UTC) - timedelta(hours=1)
    link = presign(Request("GET", url + "/b/k"), CREDS, region="us-east-1", service="s3",
                   expires=60, timestamp=old, **S3_PRESIGN_OPTIONS).url
    answer = requests.get(link, verify=ca, timeout=TIMEOUT)
    assert (answer.status_code, parsed_code(answer)) == (403, "AccessDenied")
    stale = sign_request(Request("GET", url + "/b/k"), CREDS, region="us-east-1", service="s3",
                         timestamp=old, **S3_OPTIONS).request
    answer = requests.get(url + "/b/k", headers=dict(stale.headers), verify=ca, timeout=TIMEOUT)
    assert parsed_code(answer) == "RequestTimeTooSkewed"
    assert asgi_seen.calls == []
    fresh = presign(Request("GET", url + "/b/a%2Fb"), CREDS, region="us-east-1", service="s3",
                    expires=60, **S3_PRESIGN_OPTIONS).url
    assert requests.get(fresh, verify=ca, timeout=TIMEOUT).status_code == 200
    assert asgi_seen.calls[-1][1] == "/b/a/b"  # the app routes on the decoded path


@pytest.mark.parametrize("kind", KINDS)
def test_asgi_adapters_reach_the_app(asgi_http: str, asgi_seen: Seen, kind: str) -> None:
    asgi_seen.clear()
    auth = make_auth(kind, CREDS, "us-east-1", "s3")
    answer = call(kind, auth, "PUT", asgi_http + "/bucket/key with space", body=b"payload")
    assert answer.status == 200, answer.body
    assert asgi_seen.calls[-1][2] == b"payload"
    assert asgi_seen.calls[-1][3].received.access_key_id == CREDS.access_key_id


def test_asgi_chunked_upload_and_forged_last_chunk(asgi_http: str, asgi_seen: Seen) -> None:
    data = os.urandom(3 * 8192 + 100)
    asgi_seen.clear()
    assert chunked_put(asgi_http + "/b/ok", data).status_code == 200
    assert asgi_seen.calls[-1][2] == data and asgi_seen.calls[-1][3].valid
    asgi_seen.clear()
    answer = chunked_put(asgi_http + "/b/forged", data, forge_last=True)
    assert (answer.status_code, parsed_code(answer)) == (403, "SignatureDoesNotMatch")
    assert asgi_seen.calls == [] and asgi_seen.cut == ["/b/forged"]


def test_asgi_payload_hash_checked_at_the_end(asgi_http: str, asgi_seen: Seen) -> None:
    asgi_seen.clear()
    other = hashlib.sha256(b"what was signed").hexdigest()
    signed = sign_request(Request("PUT", asgi_http + "/b/k"), CREDS, region="us-east-1",
                          service="s3", payload_hash=other, content_sha256_header=True).request
    answer = requests.put(asgi_http + "/b/k", data=b"what was sent", headers=dict(signed.headers),
                          timeout=TIMEOUT)
    assert parsed_code(answer) == "XAmzContentSHA256Mismatch"
    assert asgi_seen.calls == [] and asgi_seen.cut == ["/b/k"]
    too_big = os.urandom(1024 * 1024 + 1)
    answer = requests.put(asgi_http + "/b/big", data=too_big, timeout=TIMEOUT,
                          auth=make_auth("requests", CREDS, "us-east-1", "s3"))
    assert parsed_code(answer) == "EntityTooLarge"


def test_asgi_buffered_mode_calls_the_app_only_after_the_verdict(asgi_buffered: str,
                                                                 asgi_seen: Seen) -> None:
    data = os.urandom(20000)
    asgi_seen.clear()
    assert chunked_put(asgi_buffered + "/b/ok", data).status_code == 200
    assert asgi_seen.calls[-1][2] == data
    asgi_seen.clear()
    answer = chunked_put(asgi_buffered + "/b/forged", data, forge_last=True)
    assert parsed_code(answer) == "SignatureDoesNotMatch"
    assert asgi_seen.calls == [] and asgi_seen.cut == []  # never called at all
    answer = chunked_put(asgi_buffered + "/b/big", os.urandom(70000))
    assert parsed_code(answer) == "EntityTooLarge" and asgi_seen.calls == []


def test_aws_cli_through_asgi(asgi_tls: tuple[str, str], asgi_seen: Seen) -> None:
    url, ca = asgi_tls
    asgi_seen.clear()
    with tempfile.NamedTemporaryFile() as f:
        f.write(b"from the aws cli\n" * 1000)
        f.flush()
        done = _aws_cli("s3api", "put-object", "--endpoint-url", url, "--bucket", "b", "--key",
                        "cli.txt", "--body", f.name, ca=ca)
    assert done.returncode == 0, done.stderr
    assert asgi_seen.calls[-1][2] == b"from the aws cli\n" * 1000


# -- WSGI -------------------------------------------------------------------------------------


def test_wsgi_sts_boto3(sts_server: str, wsgi_seen: Seen) -> None:
    wsgi_seen.clear()
    identity = boto("sts", sts_server).get_caller_identity()
    assert identity["Arn"].endswith("/" + CREDS.access_key_id)
    assert wsgi_seen.calls[-1][2] == b"Action=GetCallerIdentity&Version=2011-06-15"
    wsgi_seen.clear()
    sts = lambda creds: boto("sts", sts_server, creds)  # noqa: E731
    assert code_of(sts(OTHER).get_caller_identity) == "SignatureDoesNotMatch"
    assert code_of(sts(UNKNOWN).get_caller_identity) == "InvalidClientTokenId"
    assert code_of(sts(None).get_caller_identity) == "MissingAuthenticationToken"
    assert wsgi_seen.calls == []


def test_wsgi_sts_aws_cli(sts_server: str) -> None:
    done = _aws_cli("sts", "get-caller-identity", "--endpoint-url", sts_server)
    assert done.returncode == 0, done.stderr
    assert CREDS.access_key_id in json.loads(done.stdout)["Arn"]


def test_wsgi_s3_bodies(s3_wsgi: str, wsgi_seen: Seen) -> None:
    wsgi_seen.clear()
    data = os.urandom(200_000)
    boto("s3", s3_wsgi).put_object(Bucket="b", Key="plain", Body=data)  # signed SHA-256 (HTTP)
    assert wsgi_seen.calls[-1][2] == data
    assert chunked_put(s3_wsgi + "/b/chunked", data).status_code == 200
    assert wsgi_seen.calls[-1][2] == data and wsgi_seen.calls[-1][3].valid
    wsgi_seen.clear()
    answer = chunked_put(s3_wsgi + "/b/forged", data, forge_last=True)
    assert (answer.status_code, parsed_code(answer)) == (403, "SignatureDoesNotMatch")
    other = hashlib.sha256(b"signed").hexdigest()
    signed = sign_request(Request("PUT", s3_wsgi + "/b/k"), CREDS, region="us-east-1",
                          service="s3", payload_hash=other, content_sha256_header=True).request
    answer = requests.put(s3_wsgi + "/b/k", data=b"sent", headers=dict(signed.headers),
                          timeout=TIMEOUT)
    assert parsed_code(answer) == "XAmzContentSHA256Mismatch"
    assert wsgi_seen.calls == [] and wsgi_seen.cut == ["/b/forged", "/b/k"]


@pytest.mark.parametrize("kind", ["requests", "httpx"])
def test_wsgi_adapters_and_raw_target(s3_wsgi: str, wsgi_seen: Seen, kind: str) -> None:
    wsgi_seen.clear()
    auth = make_auth(kind, CREDS, "us-east-1", "s3")
    answer = call(kind, auth, "GET", s3_wsgi + "/b/a%2Fb c+d", params={"x": "1 2"})
    assert answer.status == 200, answer.body
    assert json.loads(answer.body)["akid"] == CREDS.access_key_id


def test_wsgi_raw_target_fallback() -> None:
    environ = {"PATH_INFO": "/a b/\u00e9".encode().decode("latin-1"), "QUERY_STRING": "x=1"}
    assert wsgi.raw_target(environ) == "/a%20b/%C3%A9?x=1"
    assert wsgi.raw_target({**environ, "REQUEST_URI": "/a%20b/%c3%a9?x=1"}) == (
        "/a%20b/%c3%a9?x=1")
    assert wsgi.raw_target({"RAW_URI": "http://h:1/p?q"}) == "/p?q"


