"""One origin rule for every adapter: a request signed for one origin (scheme, host, port) is
never sent, nor signed again, for another. A redirect to another origin raises
``RedirectRefused`` before anything reaches it (the token, the signature and the body stay
home); a redirect to the same origin is followed and the request that lands verifies.

Real loopback servers (``sigv4kit.testing.redirecting.OriginServer``), HTTPS with a trustme
certificate, a downgrade to plain HTTP on the same host and port recorded by the same server.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import aiohttp
import httpx
import pytest
import requests

from sigv4kit import Credentials, Error
from sigv4kit.integrations._common import RedirectRefused, check_redirect, origin
from sigv4kit.integrations.aiohttp import SigV4Middleware
from sigv4kit.integrations.httpx import SigV4Auth as HttpxAuth
from sigv4kit.integrations.requests import SigV4Auth as RequestsAuth
from sigv4kit.received import Reason
from sigv4kit.testing.redirecting import OriginServer

CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "TOKEN-7f3a/+=")
BODY = b"the-body-only-the-origin-may-see"
TIMEOUT = 20
KINDS = ("requests", "httpx", "httpx-async", "aiohttp")
FOLLOWING = (*KINDS, "httpx-nofollow", "httpx-async-nofollow")


def _lookup(key: str) -> Credentials | None:
    return CREDS if key == CREDS.access_key_id else None


def _auth(kind: str, service: str = "s3") -> Any:
    if kind == "requests":
        return RequestsAuth(CREDS, "us-east-1", service)
    if kind.startswith("httpx"):
        return HttpxAuth(CREDS, "us-east-1", service)
    return SigV4Middleware(CREDS, "us-east-1", service)


def send(kind: str, method: str, url: str, *, body: bytes | None = BODY,
         ca_file: str | None = None, service: str = "s3") -> tuple[int, bytes]:
    """One request through the ``kind`` adapter, following redirects the library's way
    (``-nofollow``: httpx's default, not following)."""
    auth = _auth(kind, service)
    context = ssl.create_default_context(cafile=ca_file) if ca_file else None
    if kind == "requests":
        r = requests.request(method, url, data=body, auth=auth, timeout=TIMEOUT,
                             verify=ca_file or True)
        return r.status_code, r.content
    follow = not kind.endswith("-nofollow")
    if kind.startswith("httpx") and "async" not in kind:
        with httpx.Client(auth=auth, timeout=TIMEOUT, verify=context or True,
                          follow_redirects=follow) as client:
            h = client.request(method, url, content=body)
            return h.status_code, h.content
    return asyncio.run(_async_send(kind, auth, method, url, body, context, follow))


async def _async_send(kind: str, auth: Any, method: str, url: str, body: bytes | None,
                      context: ssl.SSLContext | None, follow: bool) -> tuple[int, bytes]:
    if kind.startswith("httpx"):
        async with httpx.AsyncClient(auth=auth, timeout=TIMEOUT, verify=context or True,
                                     follow_redirects=follow) as client:
            h = await client.request(method, url, content=body)
            return h.status_code, h.content
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    async with (aiohttp.ClientSession(middlewares=(auth,), timeout=timeout) as session,
                session.request(method, url, data=body, ssl=context or True) as a):
        return a.status, await a.read()


def _leaked(hits: list[Any]) -> list[str]:
    """What of the signed request reached a server that must not see it."""
    found = []
    for hit in hits:
        names = {name.lower() for name, _ in hit.headers}
        found += sorted(n for n in names if n == "authorization" or n.startswith("x-amz-"))
        if CREDS.session_token and CREDS.session_token in repr(hit.headers):
            found.append("session token")
        if BODY in hit.body:
            found.append("body")
        found.append(f"a request ({hit.method} {hit.target})")
    return found


@pytest.mark.parametrize("status", [302, 307, 308])
@pytest.mark.parametrize("kind", FOLLOWING)
def test_redirect_to_another_host_is_refused(kind: str, status: int) -> None:
    with OriginServer(host="127.0.0.2") as other, OriginServer() as origin_server:
        origin_server.redirect("/x", other.url + "/landed", status)
        with pytest.raises(RedirectRefused) as refused:
            send(kind, "PUT", origin_server.url + "/x")
        assert _leaked(other.requests) == []
        assert isinstance(refused.value, Error)
        assert "127.0.0.2" in str(refused.value) and "another origin" in str(refused.value)
        assert [hit.target for hit in origin_server.requests] == ["/x"]


@pytest.mark.parametrize("kind", FOLLOWING)
def test_https_downgrade_to_http_on_the_same_host_and_port_is_refused(kind: str) -> None:
    """requests compared only the Host value: it sent the token in clear text here."""
    with OriginServer(tls=True) as server:
        server.redirect("/x", server.plain_url + "/landed", 307)
        with pytest.raises(RedirectRefused):
            send(kind, "PUT", server.url + "/x", ca_file=server.ca_file)
        assert [(hit.scheme, hit.target) for hit in server.requests] == [("https", "/x")]


@pytest.mark.parametrize("kind", KINDS)
def test_another_port_is_another_origin(kind: str) -> None:
    with OriginServer() as other, OriginServer() as origin_server:
        origin_server.redirect("/x", f"http://127.0.0.1:{other.port}/landed", 303)
        with pytest.raises(RedirectRefused):
            send(kind, "POST", origin_server.url + "/x")
        assert _leaked(other.requests) == []


@pytest.mark.parametrize(
    ("status", "method", "landed_method", "landed_body"),
    [(307, "PUT", "PUT", BODY), (308, "PUT", "PUT", BODY), (303, "POST", "GET", b""),
     (302, "GET", "GET", b"")],
)
@pytest.mark.parametrize("kind", KINDS)
def test_same_origin_redirect_is_followed_and_verifies(
    kind: str, status: int, method: str, landed_method: str, landed_body: bytes
) -> None:
    with OriginServer(tls=True, lookup=_lookup) as server:
        server.redirect("/x", "/y/a%20b?k=v w", status)
        answer = send(kind, method, server.url + "/x", ca_file=server.ca_file,
                      body=BODY if method != "GET" else None)
        assert answer == (200, b"ok")
        first, *_, last = server.requests
        assert first.verdict is not None and first.verdict.reason is Reason.OK
        assert last.verdict is not None and last.verdict.reason is Reason.OK, last.verdict
        assert (last.method, last.target.partition("?")[0], last.body) == (
            landed_method, "/y/a%20b", landed_body)
        assert all(hit.scheme == "https" for hit in server.requests)


def test_a_callers_trace_still_sees_httpx_events() -> None:
    seen: list[str] = []
    with OriginServer() as server, httpx.Client(auth=_auth("httpx")) as client:
        client.get(server.url + "/x", extensions={"trace": lambda name, info: seen.append(name)})
    assert "http11.send_request_headers.started" in seen


@pytest.mark.parametrize(
    ("url", "same"),
    [("https://H.example:443/a", True), ("https://h.example/b?c", True),
     ("https://h.example:0443", True), ("http://h.example/", False),
     ("http://h.example:443/", False), ("https://h.example:8443/", False),
     ("https://other.example/", False), ("ftp://h.example/", False), ("/relative", False)],
)
def test_origin_normalises_default_ports_and_case(url: str, same: bool) -> None:
    assert (origin(url) == origin("https://h.example/")) is same
    assert origin("http://h.example:80/x") == origin("http://H.EXAMPLE")


@pytest.mark.parametrize(
    ("location", "refused"),
    [("/other/path", False), ("other", False), ("https://h.example:443/z", False),
     ("//evil.example/x", True), ("http://h.example/x", True), ("file:///etc/passwd", True),
     ("https://h.example:444/", True), ("http://[::1/", True)],
)
def test_check_redirect(location: str, refused: bool) -> None:
    if refused:
        with pytest.raises(RedirectRefused):
            check_redirect("https://h.example/a/b", 307, location)
    else:
        check_redirect("https://h.example/a/b", 307, location)
    check_redirect("https://h.example/a/b", 200, location)  # not a redirect: never refused


def test_the_message_is_bounded_and_redacts_credentials() -> None:
    location = ("https://evil.example/?X-Amz-Security-Token=LEAKED-TOKEN&X-Amz-Signature="
                + "f" * 64 + "&pad=" + "p" * 100_000)
    with pytest.raises(RedirectRefused) as refused:
        check_redirect("https://h.example/", 302, location)
    text = str(refused.value)
    assert len(text) < 600 and "LEAKED-TOKEN" not in text and "f" * 64 not in text
    assert text.startswith("redirect: https://h.example answered HTTP 302")


@pytest.mark.parametrize(
    ("scheme", "host", "port", "target", "expected"),
    [(b"http", b"::1", 8080, b"/x", ("http", "[::1]:8080")),
     (b"https", b"xn--e1afmkfd.xn--p1ai", None, b"/", ("https", "xn--e1afmkfd.xn--p1ai")),
     (b"http", b"proxy.internal", 3128, b"http://Example.com:80/a?b", ("http", "example.com")),
     (b"https", b"h.example", 443, b"/", ("https", "h.example"))],
)
def test_where_httpcore_sends(scheme: bytes, host: bytes, port: int | None, target: bytes,
                              expected: tuple[str, str]) -> None:
    """The origin the httpx guard compares: through a forward proxy, the absolute target's."""
    import httpcore

    from sigv4kit.integrations.httpx import _wire_url

    request = httpcore.Request(b"GET", httpcore.URL(scheme=scheme, host=host, port=port,
                                                    target=target))
    assert origin(_wire_url(request)) == expected
