"""The no-secret-in-caches property (tests/test_secret_caches.py) over the paths it did not
cover: the three HTTP adapters sending to the WSGI verifying middleware over real loopback
HTTP, the presigned tokens (RDS, DSQL, EKS, ElastiCache, MemoryDB, MSK, Bedrock, WebSocket) and
S3 POST policies, built and verified. Without ``clear_caches()`` the secret must be gone once
the credentials are dropped; after it, the session token too."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import aiohttp
import httpx
import requests

import sigv4kit
from sigv4kit import Credentials
from sigv4kit import tokens as t
from sigv4kit.integrations.aiohttp import SigV4Middleware as AiohttpMiddleware
from sigv4kit.integrations.httpx import SigV4Auth as HttpxAuth
from sigv4kit.integrations.requests import SigV4Auth as RequestsAuth
from sigv4kit.post_policy import presigned_post, verify_post
from sigv4kit.server import wsgi

from .test_secret_caches import Needle, _holders

NOW = "20240102T030405Z"
AKID = "AKIDSECRETCACHES0002"


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def _verifying_server(creds: Credentials) -> Iterator[str]:
    """wsgiref serving the verifying middleware around an app that answers 200 "ok"."""

    def app(environ: dict[str, Any], start: Any) -> Iterable[bytes]:
        environ["wsgi.input"].read()
        start("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    lookup = {creds.access_key_id: creds}.get
    server: WSGIServer = make_server("127.0.0.1", 0, wsgi.SigV4Middleware(app, lookup),
                                     handler_class=_Quiet)
    server.timeout = 0.2
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _adapters(secret: Needle, token: Needle) -> None:
    creds = Credentials(AKID, secret.whole(), token.whole())
    with _verifying_server(creds) as url:
        r = requests.put(url + "/b/k?x=a b", data=b"body", timeout=10,
                         auth=RequestsAuth(creds, "us-east-1", "s3"))
        assert r.status_code == 200, r.text
        with httpx.Client(auth=HttpxAuth(creds, "us-east-1", "s3"), timeout=10) as client:
            h = client.put(url + "/b/k", content=b"body")
            assert h.status_code == 200, h.text

        async def aio() -> None:
            async with (aiohttp.ClientSession(
                    middlewares=(AiohttpMiddleware(creds, "us-east-1", "s3"),)) as session,
                    session.put(url + "/b/k", data=b"body") as a):
                assert a.status == 200, await a.text()

        asyncio.run(aio())


def _tokens(secret: Needle, token: Needle) -> None:
    creds = Credentials(AKID, secret.whole(), token.whole())
    t.rds_auth_token(creds, hostname="db.example.com", port=5432, username="u",
                     region="us-east-1", timestamp=NOW)
    t.dsql_auth_token(creds, hostname="c.dsql.us-east-1.on.aws", region="us-east-1",
                      timestamp=NOW)
    t.eks_token(creds, cluster_name="c", region="us-east-1", timestamp=NOW)
    t.elasticache_auth_token(creds, cache_name="c", user_id="u", region="us-east-1",
                             timestamp=NOW)
    t.memorydb_auth_token(creds, cluster_name="c", user_id="u", region="us-east-1",
                          timestamp=NOW)
    t.msk_auth_token(creds, region="us-east-1", timestamp=NOW)
    t.bedrock_api_key(creds, region="us-east-1", timestamp=NOW)
    t.websocket_url(creds, "wss://example.com/socket", region="us-east-1",
                    service="execute-api", timestamp=NOW)


def _post_policy(secret: Needle, token: Needle) -> None:
    creds = Credentials(AKID, secret.whole(), token.whole())
    post = presigned_post(creds, bucket="bucket", key="k/${filename}", region="us-east-1",
                          timestamp=NOW)
    verdict = verify_post({**post.fields, "key": "k/a.txt"}, {AKID: creds}.get,
                          bucket="bucket", file_size=3, now=NOW)
    assert verdict.valid, verdict


def test_adapters_middleware_tokens_and_post_policies_keep_no_secret() -> None:
    """One search for all three paths (each search walks every object: seconds)."""
    secret, token = Needle(), Needle()
    for use in (_adapters, _tokens, _post_policy):
        use(secret, token)
    assert _holders(secret) == []
    assert _holders(token), "the token is cached while in use: the search must find it"
    sigv4kit.clear_caches()
    assert _holders(secret, token) == []
