"""Attack review of ``sigv4kit.server`` and ``sigv4kit proxy``: what a hostile client, a hostile
upstream or a careless operator can make them do.

Every case here was broken once: a cut upstream answer followed by a second answer on the same
connection (a response desync), client text reaching the operator's terminal through the log
line, the client's own query signature forwarded in signing mode, a keys file others can write
steering the re-signing proxy, configuration errors surfacing as a 500 per request, and a NUL in
a target a WSGI server passes on turning into a 500 instead of AWS's 400.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from sigv4kit import Credentials
from sigv4kit.server.proxy import ProxyConfig, ProxyServer
from sigv4kit.testing.faulty_server import FaultyServer, Ok, SlowBody, Truncated
from sigv4kit.testing.verifying_server import VerifyingServer

REAL = Credentials("AKIDREALBEHINDPROXY", "real/secret/only+the/proxy/holds01234")


def exchange(port: int, data: bytes, seconds: float = 10) -> bytes:
    """Everything the server sends back for ``data`` until it closes (or ``seconds`` pass)."""
    out = b""
    with socket.create_connection(("127.0.0.1", port), timeout=seconds) as sock:
        sock.sendall(data)
        deadline = time.monotonic() + seconds
        with contextlib.suppress(OSError):
            while time.monotonic() < deadline and (piece := sock.recv(65536)):
                out += piece
    return out


def get(proxy: ProxyServer, target: bytes, *headers: bytes) -> bytes:
    head = [b"GET " + target + b" HTTP/1.1", b"Host: 127.0.0.1:%d" % proxy.port, *headers,
            b"Connection: close", b"", b""]
    return exchange(proxy.port, b"\r\n".join(head))


@contextlib.contextmanager
def proxy_log() -> Iterator[io.StringIO]:
    text = io.StringIO()
    handler = logging.StreamHandler(text)
    logger = logging.getLogger("sigv4kit.proxy")
    old = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield text
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)


def signing(upstream: str, **kw: Any) -> ProxyServer:
    return ProxyServer(ProxyConfig(upstream=upstream, credentials=REAL, service="sts",
                                   region="us-east-1", **kw))


# -- the proxy against a hostile upstream ----------------------------------------------------


def test_cut_upstream_answer_is_never_followed_by_a_second_answer() -> None:
    """An upstream that dies (or stalls past the deadline) in the middle of its body: its
    status and headers already went to the client, so the proxy must close the connection,
    not write a 502/504 that the client would read as the rest of the first body."""
    script = [Truncated(b"abc", 100), SlowBody(b"x" * 50, 4, sent_first=10)]
    with FaultyServer(script) as up, proxy_log() as log, signing(up.url, timeout=1) as proxy:
        cut = get(proxy, b"/")
        stalled = get(proxy, b"/")
    for reply in (cut, stalled):
        assert reply.startswith(b"HTTP/1.1 200 ") and reply.count(b"HTTP/1.1 ") == 1, reply
    assert cut.endswith(b"\r\n\r\nabc"), cut
    assert stalled.endswith(b"\r\n\r\n" + b"x" * 10), stalled
    lines = log.getvalue().splitlines()
    assert [line.split()[3:5] for line in lines] == [["502", "cut"], ["504", "cut"]], lines


# -- the log line ------------------------------------------------------------------------------


def test_log_line_escapes_what_the_client_sent() -> None:
    """The path as received (percent-encoded: aiohttp refuses raw bytes outside ASCII), never
    decoded into ESC, CR/LF or a bidi override on the operator's terminal."""
    with FaultyServer([Ok("fine")] * 3) as up, proxy_log() as log, signing(up.url) as proxy:
        get(proxy, b"/a%1b[31mred%e2%80%ae%c2%9b")
        get(proxy, b"/b%0d%0aGET%20forged%20line")
        get(proxy, b"/c?X-Amz-Signature=" + b"5" * 64 + b"&X-Amz-Security-Token=TOKEN")
    text = log.getvalue()
    assert len(text.splitlines()) == 3, text
    assert not any(ch in text for ch in "\x1b\u202e\u009b\r"), repr(text)
    assert "/a%1b[31mred%e2%80%ae%c2%9b 200 " in text, text
    assert "5" * 64 not in text and "TOKEN" not in text


# -- what the proxy forwards ---------------------------------------------------------------------


def test_signing_mode_forwards_no_client_signature_and_no_connection_named_header() -> None:
    """In signing mode the client's own Authorization, token and presigned query parameters
    never reach the upstream (only the proxy's signature does), nor does a header the client
    named in ``Connection`` (hop-by-hop by RFC 9110 7.6.1)."""
    with FaultyServer([Ok("fine")]) as up, signing(up.url) as proxy:
        reply = get(proxy, b"/?Action=GetCallerIdentity&X-Amz-Signature=" + b"5" * 64
                    + b"&x-amz-security-token=CLIENTTOKEN&X-Amz-Credential=AKIDCLIENT%2Fx",
                    b"Authorization: AWS4-HMAC-SHA256 Credential=AKIDCLIENT/x",
                    b"X-Amz-Security-Token: CLIENTTOKEN2", b"Connection: X-Hop, close",
                    b"X-Hop: hop-by-hop", b"X-Amz-Meta-Kept: yes")
        seen = up.requests
    assert reply.startswith(b"HTTP/1.1 200 "), reply
    (request,) = seen
    sent = request.path + repr(request.headers)
    for leaked in ("5" * 64, "CLIENTTOKEN", "AKIDCLIENT", "X-Hop", "hop-by-hop"):
        assert leaked not in sent, (leaked, sent)
    assert request.path == "/?Action=GetCallerIdentity"
    assert request.header("X-Amz-Meta-Kept") == "yes"
    assert REAL.access_key_id in (request.header("Authorization") or "")


# -- the CLI's configuration -------------------------------------------------------------------


def run_proxy_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                  *args: str) -> tuple[int, str]:
    """``sigv4kit proxy ARGS`` in-process; where it would start serving it returns at once
    (exit 0), so a case it wrongly accepts fails instead of hanging."""
    import sigv4kit.cli.proxy
    from sigv4kit.cli import _run

    async def no_serving(_server: Any) -> None:
        return None

    monkeypatch.setattr(sigv4kit.cli.proxy, "_serve", no_serving)

    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDCLIPROXY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "cli/proxy/secret/0123456789abcdefghij")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    code = _run(["proxy", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize(("args", "message"), [
    (["--upstream", "https://h:99999"], "upstream: must be http(s)://host[:port]"),
    (["--upstream", "https://h:port"], "upstream: must be http(s)://host[:port]"),
    (["--upstream", "https://[::1"], "upstream: must be http(s)://host[:port]"),
    (["--upstream", "https://h:"], "upstream: must be http(s)://host[:port]"),
    (["--upstream", "https://h", "--allow-host", "https://x:70000"], "allow_host: must be"),
    (["--upstream", "https://h", "--ca-bundle", os.devnull], "ca_file: cannot load CA"),
    (["--upstream", "https://h", "--ca-bundle", "/nonexistent/ca.pem"], "ca_file: cannot load"),
])
def test_cli_bad_configuration_is_one_line_and_exit_2(
        args: list[str], message: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Not "internal error (ValueError)", nor a CA bundle that fails every request with 500."""
    code, text = run_proxy_cli(capsys, monkeypatch, *args, "--name", "s3", "--region", "r")
    assert code == 2, text
    assert message in text and len(text.strip().splitlines()) == 1, text


@pytest.mark.parametrize(("kind", "message"), [
    ("fifo", "is not a regular file"),
    ("device", "is not a regular file"),
    ("world-writable", "is writable by other users"),
    ("group-writable", "is writable by other users"),
    ("world-readable", "is readable by every user"),
])
def test_cli_refuses_a_keys_file_others_can_steer_or_read(
        kind: str, message: str, tmp_path: Any, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Whoever can write the virtual keys file adds a key of their own and uses the real
    credentials through the proxy; whoever can read it impersonates every client. A FIFO
    must not hang the start (nor /dev/zero be read)."""
    path = str(tmp_path / "keys.json")
    if kind == "fifo":
        os.mkfifo(path)
        unblock = threading.Timer(5, _open_for_writing, (path,))  # a hang fails, bounded
        unblock.daemon = True
        unblock.start()
    elif kind == "device":
        path = "/dev/zero"
    else:
        with open(path, "w") as f:
            json.dump({"AKIDVIRTUAL": "virtual/secret/0123456789"}, f)
        os.chmod(path, {"world-writable": 0o666, "group-writable": 0o620,
                        "world-readable": 0o644}[kind])
    started = time.monotonic()
    code, text = run_proxy_cli(capsys, monkeypatch, "--upstream", "https://h",
                               "--verify-keys", path)
    assert time.monotonic() - started < 4
    assert code == 2, text
    assert f"--verify-keys: {path!r} {message}" in text and len(text.strip().splitlines()) == 1


def _open_for_writing(path: str) -> None:
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


def test_cli_reads_a_keys_file_only_its_owner_can_touch(tmp_path: Any) -> None:
    from sigv4kit.cli.proxy import _verify_keys

    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"AKIDVIRTUAL": "virtual/secret/0123456789"}))
    path.chmod(0o600)
    assert _verify_keys(str(path)) == {"AKIDVIRTUAL": "virtual/secret/0123456789"}
    path.chmod(0o640)  # the owner's group may read it (a service group), not write it
    assert _verify_keys(str(path))


# -- the middleware against what a server passes on ---------------------------------------------


MW_CREDS = Credentials("AKIDMIDDLEWARE", "middleware/secret+KEY/0123456789abcdef")
SIGNED_LOOKING = (b"Authorization: AWS4-HMAC-SHA256 Credential=AKIDMIDDLEWARE/20260101/us-east-1/"
                  b"s3/aws4_request, SignedHeaders=host, Signature=" + b"0" * 64)


def _never_called(environ: Any, start_response: Any) -> Any:
    raise AssertionError("the app must not see a request the middleware refused")


def test_wsgi_nul_in_target_is_awss_400_not_a_500() -> None:
    """waitress hands a raw NUL in the request target to the app; a Request refuses it, and
    that must be the client's 400 in S3's words, not an exception (500, traceback logged)."""
    from sigv4kit.server import wsgi
    from tests.test_server_middleware import waitress_running

    app = wsgi.SigV4Middleware(_never_called, {MW_CREDS.access_key_id: MW_CREDS}.get)
    with waitress_running(app) as url:
        port = int(url.rsplit(":", 1)[1])
        reply = exchange(port, b"GET /b/\x00k HTTP/1.1\r\nHost: h\r\n" + SIGNED_LOOKING
                         + b"\r\nConnection: close\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 400 "), reply[:200]
    assert b"<Code>AuthorizationHeaderMalformed</Code>" in reply


def test_asgi_nul_in_target_or_header_is_awss_400_not_an_exception() -> None:
    import asyncio

    from sigv4kit.server import asgi

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the app must not see a request the middleware refused")

    middleware = asgi.SigV4Middleware(app, {MW_CREDS.access_key_id: MW_CREDS}.get,
                                      protocol="json")
    auth = SIGNED_LOOKING.split(b": ", 1)[1]
    for raw_path, headers in ((b"/b/\x00k", [(b"host", b"h"), (b"authorization", auth)]),
                              (b"/b/k", [(b"host", b"h"), (b"x-a", b"a\x00b"),
                                         (b"authorization", auth)])):
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any], sent: list[dict[str, Any]] = sent) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "GET", "scheme": "http", "path": "/b/k",
                 "raw_path": raw_path, "query_string": b"", "headers": headers}
        asyncio.run(middleware(scope, receive, send))
        assert sent[0]["status"] == 400
        assert json.loads(sent[1]["body"])["__type"] == "IncompleteSignatureException"


def test_cli_log_is_one_line_per_event_even_for_malformed_requests() -> None:
    """aiohttp logs a traceback for every malformed request; on the CLI's standard error each
    is one line with the bad bytes escaped, so a client cannot flood it nor drive the
    terminal."""
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="AKIDCLIPROXY", AWS_SECRET_ACCESS_KEY="cli/proxy/secret/01234",
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               AWS_EC2_METADATA_DISABLED="true", PYTHONPATH=root)
    with FaultyServer([Ok("fine")]) as up:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sigv4kit", "proxy", "--listen", "127.0.0.1:0",
             "--upstream", up.url, "--name", "sts", "--region", "us-east-1"],
            stderr=subprocess.PIPE, text=True, env=env, cwd=root)
        try:
            assert proc.stderr is not None
            first = proc.stderr.readline()
            port = int(first.rsplit(":", 1)[1])
            host = b"Host: 127.0.0.1:%d\r\n" % port
            for bad in (b"GET / HTTP/1.1\r\n" + host + b"Host: x\x1b[2J\r\n\r\n",
                        b"POST / HTTP/1.1\r\n" + host + b"Content-Length: 1\r\n"
                        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                        b"GET /\x1b[31m HTTP/1.1\r\n" + host + b"\r\n"):
                assert exchange(port, bad).startswith(b"HTTP/1.")
            assert exchange(port, b"GET / HTTP/1.1\r\n" + host + b"Connection: close\r\n\r\n"
                            ).startswith(b"HTTP/1.1 200 ")
        finally:
            proc.terminate()
            _, err = proc.communicate(timeout=10)
    lines = err.splitlines()
    assert "Traceback" not in err and "\x1b" not in err, err
    assert sum("Error handling request" in line for line in lines) == 3, err
    assert sum(" / 200 " in line for line in lines) == 1, err


# -- the object asked for is the object reached ----------------------------------------------------


def test_proxy_sends_the_target_as_signed_dot_segments_and_escapes_kept() -> None:
    """S3 keys may hold ``..`` segments and escapes of any case: aiohttp's client re-quoted
    the target and dropped dot segments, so a signing proxy wrote ``/b/x`` for ``/b/dot/../x``
    (another object) and a re-signing proxy sent a request whose signature did not match."""
    import boto3
    import botocore.config

    from sigv4kit.testing.verifying_server import VerifyingServer

    virtual = Credentials("AKIDVIRTUALCLIENT", "virtual/secret/held+by/the/client0123")
    with VerifyingServer(REAL) as up:
        config = ProxyConfig(upstream=up.url, credentials=REAL, service="s3",
                             region="us-east-1")
        with ProxyServer(config) as proxy:
            for target in (b"/b/dot/../x", b"/b/%7etilde", b"/b/a%2fb"):
                reply = exchange(proxy.port, b"PUT " + target + b" HTTP/1.1\r\nHost: 127.0.0.1:%d"
                                 b"\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"
                                 % proxy.port)
                assert reply.startswith(b"HTTP/1.1 200 "), reply
                assert (up.requests[-1].target, up.requests[-1].reason) == (target.decode(),
                                                                            "ok")
        config = ProxyConfig(upstream=up.url, credentials=REAL, service="s3",
                             region="us-east-1",
                             verify_keys={virtual.access_key_id: virtual.secret_access_key})
        with ProxyServer(config) as proxy:
            s3 = boto3.session.Session().client(
                "s3", region_name="us-east-1", endpoint_url=proxy.url,
                aws_access_key_id=virtual.access_key_id,
                aws_secret_access_key=virtual.secret_access_key,
                config=botocore.config.Config(s3={"addressing_style": "path"},
                                              retries={"max_attempts": 1}))
            for key, target in (("dot/../x", "/b/dot/../x"), ("x~!'()*", "/b/x~%21%27%28%29%2A")):
                with contextlib.suppress(Exception):  # the server's JSON answer is not S3's
                    s3.put_object(Bucket="b", Key=key, Body=b"hi")
                seen = up.requests[-1]
                assert (seen.target, seen.reason) == (target, "ok"), seen.message


def test_resigning_streams_hashed_bodies_past_max_body_and_refuses_a_tampered_one() -> None:
    """``max_body`` caps bodies read whole; a body with its SHA-256 stated streams (a large
    S3 upload was cut off and answered "502 upstream failed"). Tampered, it never completes
    upstream: the last piece is held back and the client gets AWS's mismatch answer."""
    import hashlib
    import os

    import requests

    from sigv4kit import S3_OPTIONS, Request, sign_request
    from sigv4kit.testing.verifying_server import VerifyingServer

    virtual = Credentials("AKIDVIRTUALCLIENT", "virtual/secret/held+by/the/client0123")
    data = os.urandom(5000)
    with VerifyingServer(REAL) as up:
        config = ProxyConfig(upstream=up.url, credentials=REAL, max_body=1000, service="s3",
                             region="us-east-1",
                             verify_keys={virtual.access_key_id: virtual.secret_access_key})
        with ProxyServer(config) as proxy:
            cases = [("hashed", None, data), ("unsigned", "UNSIGNED-PAYLOAD", data),
                     ("tampered", None, data[:-1] + b"!")]
            for key, payload, sent in cases:
                options: dict[str, Any] = {"content_sha256_header": True}
                if payload:
                    options["payload_hash"] = payload
                signed = sign_request(Request("PUT", f"{proxy.url}/b/{key}", [], data), virtual,
                                      region="us-east-1", service="s3",
                                      **{**S3_OPTIONS, **options})
                answer = requests.put(signed.request.url, data=sent, timeout=20,
                                      headers=dict(signed.request.headers))
                if key == "tampered":
                    assert answer.status_code == 400, answer.text
                    assert "<Code>XAmzContentSHA256Mismatch</Code>" in answer.text
                else:
                    assert answer.status_code == 200, answer.text
                    assert up.objects[f"/b/{key}"] == data
                    assert hashlib.sha256(up.requests[-1].body).digest() == hashlib.sha256(
                        data).digest()
    assert "/b/tampered" not in up.objects
    assert all(r.reason != "ok" for r in up.requests if r.target == "/b/tampered")


def test_a_client_trickling_its_request_head_is_cut_at_the_deadline() -> None:
    """Slowloris: the per-request deadline starts once the head is read, so a head sent a
    byte at a time held a connection for aiohttp's hour-long keep-alive default."""
    with signing("http://127.0.0.1:9", timeout=1) as proxy, socket.create_connection(
            ("127.0.0.1", proxy.port), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nX-Slow: ")
        started = time.monotonic()
        closed = False
        while not closed and time.monotonic() - started < 6:
            try:
                sock.sendall(b"z")
                time.sleep(0.2)
            except OSError:
                closed = True
        assert closed, "the proxy still reads a head trickled for 6 s (deadline 1 s)"
        assert time.monotonic() - started < 4


def test_upstream_redirects_are_passed_back_never_followed() -> None:
    """An upstream redirecting elsewhere (another host, or https downgraded to http): the
    signed request, its Authorization and body never reach the other origin; the client gets
    the redirect as it is, without the headers the upstream named hop-by-hop."""
    from sigv4kit.testing.faulty_server import Respond
    from sigv4kit.testing.hostile import Redirect

    hop = Respond(200, b"ok", (("Connection", "X-Upstream-Hop"), ("X-Upstream-Hop", "1"),
                               ("X-Kept", "2")))
    with FaultyServer(host="127.0.0.2") as elsewhere, FaultyServer(
            [Redirect(elsewhere.url + "/stolen"), Redirect(elsewhere.url + "/x", 302), hop]
    ) as up, signing(up.url) as proxy:
        first = exchange(proxy.port, b"PUT / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Length: 4"
                         b"\r\nConnection: close\r\n\r\nbody" % proxy.port)
        second = get(proxy, b"/")
        third = get(proxy, b"/")
        assert elsewhere.requests == []
    for reply, status in ((first, b"307"), (second, b"302")):
        assert reply.startswith(b"HTTP/1.1 " + status), reply
        assert b"\r\nLocation: " + elsewhere.url.encode() in reply
    assert b"X-Kept: 2" in third and b"X-Upstream-Hop" not in third, third


# -- a real outside client through the re-signing proxy ------------------------------------------


@pytest.mark.slow
def test_aws_cli_with_virtual_keys_through_the_resigning_proxy(moto_server: Any,
                                                               tmp_path: Any) -> None:
    """The AWS CLI v1 holding only virtual keys: an S3 upload and download (with an awkward
    key) reach moto signed with the real key; STS through the S3 proxy and a wrong virtual
    secret are refused with AWS's answer, which the CLI itself reads."""
    import subprocess
    import sys

    virtual = Credentials("AKIDVIRTUALCLIENT", "virtual/secret/held+by/the/client0123")
    moto_server.botocore_client("s3").create_bucket(Bucket="cli-resigned")
    upload, download = tmp_path / "up.bin", tmp_path / "down.bin"
    upload.write_bytes(os.urandom(300_000))
    aws = os.path.join(os.path.dirname(sys.executable), "aws")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=os.devnull,
               AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true",
               AWS_ACCESS_KEY_ID=virtual.access_key_id)
    config = ProxyConfig(upstream=moto_server.endpoint_url, credentials=moto_server.credentials,
                         service="s3", region="us-east-1",
                         verify_keys={virtual.access_key_id: virtual.secret_access_key})

    def run(secret: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([aws, *args, "--endpoint-url", proxy.url],
                              env={**env, "AWS_SECRET_ACCESS_KEY": secret}, text=True,
                              capture_output=True, timeout=60, check=False)

    with ProxyServer(config) as proxy:
        identity = run(virtual.secret_access_key, "sts", "get-caller-identity")
        put = run(virtual.secret_access_key, "s3", "cp", str(upload),
                  "s3://cli-resigned/a b+c/../d~e")
        get_back = run(virtual.secret_access_key, "s3", "cp", "s3://cli-resigned/a b+c/../d~e",
                       str(download))
        wrong = run("not/the/virtual/secret/0123456789ab", "s3", "ls", "s3://cli-resigned")
    assert identity.returncode != 0 and "SignatureDoesNotMatch" in identity.stderr, identity
    assert "arn:aws:iam::" not in identity.stdout
    assert put.returncode == 0 and get_back.returncode == 0, (put, get_back)
    assert download.read_bytes() == upload.read_bytes()
    assert wrong.returncode != 0 and "SignatureDoesNotMatch" in wrong.stderr, wrong
    assert virtual.secret_access_key not in wrong.stderr + wrong.stdout


def test_proxy_config_repr_quotes_no_secret() -> None:
    """Configs get logged and shown in tracebacks: the virtual secrets (each one lets its
    holder use the real credentials) must not be in the repr, nor the real secret or token."""
    config = ProxyConfig(upstream="https://h", credentials=Credentials(
        "AKIDREAL", "REAL/secret/0123456789abcdef", "REALTOKEN" * 4), service="s3",
        region="us-east-1", verify_keys={"AKIDVIRTUAL": "VIRTUAL/secret/0123456789"})
    for text in (repr(config), str(config)):
        for secret in ("REAL/secret", "REALTOKENREALTOKEN", "VIRTUAL/secret"):
            assert secret not in text, text


def test_resigning_refuses_a_scope_for_another_service_or_region(moto_server: Any) -> None:
    """A virtual key holder must not have the proxy sign, with the real credentials, a service
    or Region it does not serve: STS GetSessionToken through an S3 proxy would hand out real
    temporary credentials. Refused as AWS refuses a wrong scope, and never sent upstream."""
    import boto3
    import botocore.config
    from botocore.exceptions import ClientError

    virtual = Credentials("AKIDVIRTUALCLIENT", "virtual/secret/held+by/the/client0123")
    config = ProxyConfig(upstream=moto_server.endpoint_url, credentials=moto_server.credentials,
                         service="s3", region="us-east-1",
                         verify_keys={virtual.access_key_id: virtual.secret_access_key})

    def client(service: str, region: str = "us-east-1") -> Any:
        return boto3.session.Session().client(
            service, region_name=region, endpoint_url=proxy.url,
            aws_access_key_id=virtual.access_key_id,
            aws_secret_access_key=virtual.secret_access_key,
            config=botocore.config.Config(retries={"max_attempts": 1},
                                          s3={"addressing_style": "path"}))

    with ProxyServer(config) as proxy:
        assert "Buckets" in client("s3").list_buckets()  # the service it serves passes
        with pytest.raises(ClientError) as info:
            client("sts").get_session_token()
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert info.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
        assert "Credentials" not in info.value.response
        with pytest.raises(ClientError) as info:
            client("s3", "eu-west-1").list_buckets()
        assert info.value.response["Error"]["Code"] == "AuthorizationHeaderMalformed"  # as S3


def test_resigning_scope_comes_from_the_options_or_an_aws_upstream_host() -> None:
    from sigv4kit.server.proxy import ProxyError

    keys = {"AKIDVIRTUAL": "VIRTUAL/secret/0123456789"}
    for upstream, scope in (("https://sts.eu-west-1.amazonaws.com", ("sts", "eu-west-1")),
                            ("https://b.s3.us-west-2.amazonaws.com:443", ("s3", "us-west-2")),
                            ("https://s3.amazonaws.com", ("s3", "us-east-1")),
                            ("https://ec2.cn-north-1.amazonaws.com.cn", ("ec2", "cn-north-1"))):
        config = ProxyConfig(upstream=upstream, credentials=REAL, verify_keys=keys)
        assert (config.service, config.region) == scope
    config = ProxyConfig(upstream="https://sts.eu-west-1.amazonaws.com", credentials=REAL,
                         service="sts", region="eu-central-1", verify_keys=keys)
    assert (config.service, config.region) == ("sts", "eu-central-1")  # given wins
    for upstream in ("http://127.0.0.1:9000", "https://example.com", "https://[::1]:443"):
        with pytest.raises(ProxyError, match="service and region"):
            ProxyConfig(upstream=upstream, credentials=REAL, verify_keys=keys)


def test_server_layer_takes_s3s_rules_from_the_one_place() -> None:
    """Which services get S3's rules is decided once (``sigv4kit.options.service_defaults`` /
    ``is_s3``); the server layer asks there instead of keeping its own copy of the rule."""
    import ast
    import pathlib

    import sigv4kit.server

    own = ("S3_SERVICES", "S3_OPTIONS", "S3_PRESIGN_OPTIONS")
    root = pathlib.Path(sigv4kit.server.__file__).parent
    for path in [*root.glob("*.py"), root.parent / "cli" / "proxy.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                  for a in n.names}
        assert not names & set(own), f"{path.name} decides S3's rules itself: {names & set(own)}"


def _expect_head(url: str, creds: Credentials, body: bytes, **options: Any) -> bytes:
    """The head of a PUT of ``body`` signed with ``creds``, waiting for 100 Continue."""
    from sigv4kit import Request, sign_request

    signed = sign_request(Request("PUT", url, [("Expect", "100-continue")], body), creds,
                          region="us-east-1", service="s3", **options).request
    host = url.split("//", 1)[1].split("/", 1)[0]
    target = "/" + url.split("//", 1)[1].split("/", 1)[1]
    lines = [f"PUT {target} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}",
             *[f"{n}: {v}" for n, v in signed.headers if n.lower() != "host"], "", ""]
    return "\r\n".join(lines).encode()


def _first_answer(port: int, head: bytes, body: bytes | None = None) -> bytes:
    """What the server says to ``head`` alone within 5 s (then, given ``body`` and a 100
    Continue, everything until it closes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head)
        first = b""
        with contextlib.suppress(OSError):
            while b"\r\n\r\n" not in first and (piece := sock.recv(65536)):
                first += piece
        if body is None or not first.startswith(b"HTTP/1.1 100"):
            return first
        sock.sendall(body)
        rest = b""
        with contextlib.suppress(OSError):
            while b"\r\n\r\n" not in rest.split(b"HTTP/1.1 100 Continue\r\n\r\n")[-1] and (
                    piece := sock.recv(65536)):
                rest += piece
        return first + rest


def test_expect_continue_is_answered_only_after_the_head_verified() -> None:
    """A client waiting for ``100 Continue`` whose signature fails is refused before it
    sends its body (aiohttp answered 100 Continue as soon as the head arrived)."""
    virtual = Credentials("AKIDVIRTUALCLIENT", "virtual/secret/held+by/the/client0123")
    wrong = Credentials(virtual.access_key_id, "not/the/virtual/secret/0123456789ab")
    unknown = Credentials("AKIDNOBODYKNOWS", "virtual/secret/held+by/the/client0123")
    body = os.urandom(100_000)
    with VerifyingServer(REAL) as up:
        config = ProxyConfig(upstream=up.url, credentials=REAL, service="s3",
                             region="us-east-1",
                             verify_keys={virtual.access_key_id: virtual.secret_access_key})
        with ProxyServer(config) as proxy:
            url = proxy.url + "/b/expect"
            bad = _first_answer(proxy.port, _expect_head(url, wrong, body))
            assert bad.startswith(b"HTTP/1.1 403 "), bad[:200]
            # no X-Amz-Content-SHA256: the signature needs the body, the key does not
            nobody = _first_answer(proxy.port, _expect_head(
                url, unknown, body, content_sha256_header=False))
            assert nobody.startswith(b"HTTP/1.1 403 "), nobody[:200]
            good = _first_answer(proxy.port, _expect_head(url, virtual, body), body)
            assert good.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 "), good[:300]
            assert up.objects["/b/expect"] == body
    assert len([r for r in up.requests if r.target == "/b/expect"]) == 1


def test_asgi_middleware_refuses_before_uvicorn_sends_100_continue() -> None:
    """uvicorn sends ``100 Continue`` on the app's first ``receive()``: the middleware
    refuses a failing head before that, a body whose signature covers its hash too when its
    key is unknown (it read that body first, so uvicorn had said 100 Continue)."""
    from sigv4kit.server import asgi
    from tests.test_server_middleware import uvicorn_running

    virtual = Credentials("AKIDVIRTUALCLIENT", "virtual/secret/held+by/the/client0123")
    wrong = Credentials(virtual.access_key_id, "not/the/virtual/secret/0123456789ab")
    unknown = Credentials("AKIDNOBODYKNOWS", "virtual/secret/held+by/the/client0123")

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    guarded = asgi.SigV4Middleware(app, {virtual.access_key_id: virtual}.get,
                                   protocol="rest-xml")
    body = os.urandom(50_000)
    with uvicorn_running(guarded, tls=False) as (base, _):
        port = int(base.rsplit(":", 1)[1])
        url = base + "/b/expect"
        for creds, options in ((wrong, {}), (unknown, {"content_sha256_header": False})):
            refused = _first_answer(port, _expect_head(url, creds, body, **options))
            assert refused.startswith(b"HTTP/1.1 403 "), refused[:200]
        good = _first_answer(port, _expect_head(url, virtual, body), body)
        assert good.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 "), good[:300]


def test_asgi_hanging_async_lookup_is_refused_with_a_503_in_time() -> None:
    """A key store that never answers must not hold the connection: past ``lookup_timeout``
    the client gets AWS's 503 (which SDKs retry), as the protocol writes it."""
    import asyncio

    import requests

    from sigv4kit import Request, sign_request
    from sigv4kit.errors import SigningError
    from sigv4kit.server import asgi
    from tests.test_server_middleware import uvicorn_running

    async def hanging(_akid: str) -> Credentials | None:
        await asyncio.Event().wait()
        return None

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        raise AssertionError("the app must not run")

    for protocol, code in (("rest-xml", b"<Code>ServiceUnavailable</Code>"),
                           ("json", b"ServiceUnavailableException")):
        guarded = asgi.SigV4Middleware(app, hanging, protocol=protocol, lookup_timeout=0.3)
        with uvicorn_running(guarded, tls=False) as (base, _):
            signed = sign_request(Request("GET", base + "/b/k"), REAL, region="us-east-1",
                                  service="s3").request
            started = time.monotonic()
            answer = requests.get(signed.url, headers=dict(signed.headers), timeout=10)
            assert answer.status_code == 503 and code in answer.content, answer.content
            assert time.monotonic() - started < 5
    for bad in (0, -1, float("nan"), True, "5"):
        with pytest.raises(SigningError, match="lookup_timeout"):
            asgi.SigV4Middleware(app, hanging, lookup_timeout=bad)  # type: ignore[arg-type]
