"""Attack review of the HTTP adapters (requests, httpx, aiohttp) and the origin rule they share
with the transport: each test is a finding that failed on the code before its fix."""

from __future__ import annotations

import asyncio
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

import httpx
import pytest

import sigv4kit.errors
import sigv4kit.integrations._common as common
import sigv4kit.transport
import sigv4kit.transport.exchange as exchange
import sigv4kit.url
from sigv4kit import Credentials, Request, sign_request
from sigv4kit.aws.clock_skew import MAX_ERROR_BODY, ClockSkew
from sigv4kit.errors import RedirectRefused
from sigv4kit.integrations.httpx import SigV4Auth as HttpxAuth
from sigv4kit.testing.faulty_server import Action, FaultyServer, Ok
from sigv4kit.testing.hostile import EndlessSkewError
from sigv4kit.timestamps import EARLIEST, LATEST

from .adapter_clients import KINDS, call, make_auth

Start = Callable[[Iterable[Action]], FaultyServer]

# -- the origin rule, defined once -------------------------------------------------------------


def test_one_redirect_refused_and_one_origin_rule_for_transport_and_adapters() -> None:
    """The transport and the adapters raised two different RedirectRefused classes and kept
    two origin comparisons (urlsplit's and split_url's): one is in the core now, re-exported."""
    core = sigv4kit.errors.RedirectRefused
    assert sigv4kit.transport.RedirectRefused is core
    assert common.RedirectRefused is core
    assert common.check_redirect is sigv4kit.url.check_redirect
    assert common.origin is sigv4kit.url.origin
    assert exchange.check_redirect is sigv4kit.url.check_redirect
    assert not hasattr(exchange, "_origin")


@pytest.mark.parametrize(
    ("location", "refused"),
    [("/same", False), ("https://H.example:443/x", False), ("http://h.example/x", True),
     ("//127.0.0.2/x", True), ("https://h.example:8443/", True), ("https://u@other/", True),
     ("http://[::1/", True), ("\t//evil.example/", True), ("x" * 100_000, False)],
)
def test_the_transport_refuses_what_the_adapters_refuse(location: str, refused: bool) -> None:
    class _Answer:
        url = "https://h.example/a"
        status = 307

        def header(self, name: str) -> str | None:
            return location if name == "location" else None

    answer = _Answer()
    if refused:
        with pytest.raises(sigv4kit.errors.RedirectRefused) as info:
            exchange.Response.refuse_foreign_redirect(answer)  # type: ignore[arg-type]
        assert info.value.status == 307 and len(str(info.value)) < 600
        with pytest.raises(common.RedirectRefused):
            common.check_redirect(answer.url, 307, location)
    else:
        exchange.Response.refuse_foreign_redirect(answer)  # type: ignore[arg-type]
        common.check_redirect(answer.url, 307, location)


# -- the clock-skew correction and a hostile Date -----------------------------------------------

CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "TOKEN-7f3a")
SEVENTY_YEARS = 70 * 365.25 * 86400


@pytest.mark.parametrize("kind", KINDS)
def test_a_skew_error_dated_before_1970_does_not_break_every_later_request(
    faulty_server: Start, kind: str
) -> None:
    """A server answering a clock error with a Date in 1956 was believed: every later request
    through that adapter raised SigningError (a time X-Amz-Date cannot carry) for good."""
    hostile = EndlessSkewError(offset=-SEVENTY_YEARS, limit=256, chunked=False)
    server = faulty_server([hostile, Ok("<a/>"), Ok("<b/>")])
    auth = make_auth(kind, CREDS, "us-east-1", "s3")
    assert call(kind, auth, "GET", server.url + "/k").status == 403  # no re-sign: no clock
    answer = call(kind, auth, "GET", server.url + "/k")
    assert (answer.status, answer.body) == (200, b"<a/>")


@pytest.mark.parametrize(
    "date", ["Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 01 Jan 0100 00:00:00 GMT",
             "Thu, 31 Dec 1969 23:59:59 GMT"])
def test_signing_time_never_leaves_the_signable_range(date: str) -> None:
    """A Date at the very end of time was learnt; a few seconds later ``signing_time`` raised
    ValueError (year 10000) out of every adapter's auth hook."""
    skew = ClockSkew()
    now = time.time()
    skew.clock = lambda: now
    skew.after_response("h", 403, date, lambda: "RequestTimeTooSkewed")
    skew.clock = lambda: now + 10
    moment = skew.signing_time("h")
    assert moment is None or EARLIEST <= moment <= LATEST
    sign_request(Request("GET", "https://h/"), CREDS, region="us-east-1", service="s3",
                 timestamp=moment)


# -- httpx through a transport that ignores httpcore's trace ------------------------------------


def _mock_redirecting(seen: list[httpx.Request], location: str) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/x":
            return httpx.Response(307, headers={"Location": location})
        return httpx.Response(200, text="ok")

    return httpx.MockTransport(handler)


@pytest.mark.parametrize("location", ["https://b.example/landed", "http://a.example/landed"])
def test_httpx_custom_transport_foreign_redirect_is_refused(location: str) -> None:
    """With a transport that never runs the ``trace`` extension (MockTransport, WSGI/ASGI or
    third-party transports) httpx followed a redirect to another origin with the session token
    and X-Amz-* headers, and the adapter handed back the foreign origin's 200 as the answer."""
    seen: list[httpx.Request] = []
    auth = HttpxAuth(CREDS, "us-east-1", "s3")
    with httpx.Client(auth=auth, transport=_mock_redirecting(seen, location),
                      follow_redirects=True) as client, \
            pytest.raises(RedirectRefused) as refused:
        client.put("https://a.example/x", content=b"body")
    assert "another origin" in str(refused.value) and "TOKEN" not in str(refused.value)
    assert isinstance(refused.value.response, httpx.Response)


def test_httpx_custom_transport_same_origin_redirect_still_answers() -> None:
    seen: list[httpx.Request] = []
    auth = HttpxAuth(CREDS, "us-east-1", "s3")
    with httpx.Client(auth=auth, transport=_mock_redirecting(seen, "/landed"),
                      follow_redirects=True) as client:
        assert client.get("https://a.example/x").text == "ok"
    assert [str(r.url) for r in seen] == ["https://a.example/x", "https://a.example/landed"]


def test_httpx_async_custom_transport_foreign_redirect_is_refused() -> None:
    seen: list[httpx.Request] = []

    async def go() -> None:
        async with httpx.AsyncClient(auth=HttpxAuth(CREDS, "us-east-1", "s3"),
                                     transport=_mock_redirecting(seen, "https://b.example/"),
                                     follow_redirects=True) as client:
            await client.get("https://a.example/x")

    with pytest.raises(RedirectRefused):
        asyncio.run(go())


# -- the clock-skew check's own read of an error body: bounded decoded too ----------------------


def _skew_bomb(decoded_size: int, layers: int) -> bytes:
    """S3's clock error followed by ``decoded_size`` zero bytes, gzip ``layers`` times over."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [packer.compress(b"<Error><Code>RequestTimeTooSkewed</Code><Pad>")]
    block = bytes(1 << 20)
    for start in range(0, decoded_size, len(block)):
        parts.append(packer.compress(block[: decoded_size - start]))
    data = b"".join(parts) + packer.flush()
    for _ in range(layers - 1):
        outer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        data = outer.compress(data) + outer.flush()
    return data


@dataclass(frozen=True)
class SkewBomb:
    """HTTP 403 dated an hour off, ``Content-Encoding: gzip`` (``layers`` times), its declared
    length well under ``MAX_ERROR_BODY``: what the clock-skew check reads on its own."""

    body: bytes
    layers: int

    def perform(self, ctx: Any) -> None:
        ctx.close_after()
        date = formatdate(time.time() - 3600, usegmt=True)
        coding = ", ".join(["gzip"] * self.layers)
        ctx.send(f"HTTP/1.1 403 Forbidden\r\nDate: {date}\r\nContent-Encoding: {coding}\r\n"
                 f"Content-Type: application/xml\r\nContent-Length: {len(self.body)}\r\n"
                 "Connection: close\r\n\r\n".encode("ascii") + self.body)


@pytest.mark.parametrize(("decoded", "layers"), [(40 << 20, 1), (200 << 20, 2)])
@pytest.mark.parametrize("kind", ["requests", "httpx", "httpx-async"])
def test_a_gzip_bomb_error_body_is_decoded_to_a_bound(faulty_server: Start, kind: str,
                                                      decoded: int, layers: int) -> None:
    """A 40 KB gzip (or 1 KB double-gzip) clock error inflated to 40 MB (200 MB) in the
    adapter's own read: requests decoded the whole declared-length body, httpx a whole network
    read at once. Now read raw and decoded in bounded steps; the skew is still recognised."""
    body = _skew_bomb(decoded, layers)
    assert len(body) < MAX_ERROR_BODY
    server = faulty_server([SkewBomb(body, layers), Ok("<ok/>")])
    auth = make_auth(kind, CREDS, "us-east-1", "s3")
    tracemalloc.start()
    try:
        answer = call(kind, auth, "GET", server.url + "/k")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (answer.status, answer.body) == (200, b"<ok/>")  # re-signed with the server's time
    assert peak < 16 << 20, peak
