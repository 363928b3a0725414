"""The server side's costs: the verifying ASGI middleware's added latency under uvicorn, and the
signing proxy's added latency and throughput against a direct loopback call.

    .venv/bin/python benchmarks/server.py [--requests 2000] [--mib 32]

Middleware: a bare ASGI app under uvicorn (h11, one worker), a small signed GET repeated on
one keep-alive connection (the same signed headers: the verifier's work is the same each
time), with and without ``sigv4kit.server.asgi.SigV4Middleware``; the added share is
(with - without) / without of the median round trip. Proxy: the same GET and a PUT of ``--mib``
MiB to the verifying capture server, direct (signed by the client) and through
``sigv4kit proxy`` in signing mode (signed by the proxy, aws-chunked).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sigv4kit import S3_OPTIONS, Credentials, Request, sign_request
from sigv4kit.integrations.requests import SigV4Auth
from sigv4kit.server.asgi import SigV4Middleware
from sigv4kit.server.proxy import ProxyConfig, ProxyServer
from sigv4kit.testing.verifying_server import VerifyingServer

CREDS = Credentials("AKIDBENCHSERVER", "bench/secret/key/0123456789abcdefghijklmn")


async def plain_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if not message.get("more_body", False):
            break
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


@contextmanager
def uvicorn_running(app: Any) -> Iterator[str]:
    import uvicorn

    sock = socket.create_server(("127.0.0.1", 0))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited: no delayed-ACK stall
    server = uvicorn.Server(uvicorn.Config(app, log_level="error", lifespan="off",
                                           access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def round_trips(url: str, headers: dict[str, str], count: int) -> list[float]:
    times = []
    with requests.Session() as session:
        for _ in range(count):
            start = time.perf_counter()
            answer = session.get(url, headers=headers, timeout=10)
            times.append(time.perf_counter() - start)
            assert answer.status_code == 200, answer.text[:200]
    return times


def middleware(count: int) -> None:
    path = "/bucket/key?list-type=2&prefix=a"
    results = {}
    for name, app in (("bare app", plain_app),
                      ("with SigV4Middleware", SigV4Middleware(plain_app, {
                          CREDS.access_key_id: CREDS}.get, service="s3"))):
        with uvicorn_running(app) as base:
            signed = sign_request(Request("GET", base + path), CREDS, region="us-east-1",
                                  service="s3", **S3_OPTIONS).request
            headers = {k: v for k, v in signed.headers if k.lower() != "host"}
            round_trips(base + path, headers, 200)  # warm-up
            results[name] = statistics.median(round_trips(base + path, headers, count))
    bare, wrapped = results["bare app"], results["with SigV4Middleware"]
    print(f"middleware: median round trip {bare * 1e6:.0f} us bare, {wrapped * 1e6:.0f} us "
          f"verified: +{(wrapped - bare) * 1e6:.0f} us, {100 * (wrapped - bare) / bare:.1f} %")


def proxy(count: int, mib: int) -> None:
    with VerifyingServer(CREDS) as upstream, ProxyServer(ProxyConfig(
            upstream=upstream.url, credentials=CREDS, service="s3",
            region="us-east-1")) as px:
        auth = SigV4Auth(CREDS, "us-east-1", "s3")
        with requests.Session() as session:
            for label, url, use in (("direct", upstream.url, auth), ("proxy", px.url, None)):
                times = []
                for _ in range(count):
                    start = time.perf_counter()
                    answer = session.get(url + "/b/k", auth=use, timeout=10)
                    times.append(time.perf_counter() - start)
                    assert answer.status_code == 200, answer.text[:200]
                print(f"proxy GET {label}: median {statistics.median(times) * 1e6:.0f} us")
            data = os.urandom(1 << 20) * mib
            for label, url, use in (("direct", upstream.url, auth), ("proxy", px.url, None)):
                start = time.perf_counter()
                answer = session.put(url + "/b/big", data=data, auth=use, timeout=120)
                elapsed = time.perf_counter() - start
                assert answer.status_code == 200 and upstream.requests[-1].reason == "ok"
                print(f"proxy PUT {mib} MiB {label}: {elapsed:.2f} s, {mib / elapsed:.0f} MiB/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--mib", type=int, default=16)
    args = parser.parse_args()
    middleware(args.requests)
    proxy(min(args.requests, 500), min(args.mib, 15))


if __name__ == "__main__":
    main()
