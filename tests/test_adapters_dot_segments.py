"""S3 keys with '.' and '..' segments ("a/../b", "./x") go out verbatim through every adapter
and verify: the raw request target a loopback capture server records is the key as written.

requests, httpx and aiohttp remove dot segments from a URL as they parse it, before any auth
sees it, so the caller writes those dots percent-encoded (``a/%2E%2E/b``; requests and httpx
keep that) or, with aiohttp, gives ``yarl.URL(url, encoded=True)``. The adapter then sends
the segments as '.'/'..' (as botocore sends S3 keys) and signs that: httpx, which would
remove them again, gets the signed target through httpcore's ``target`` extension.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from yarl import URL

from sigv4kit import Credentials
from sigv4kit.integrations.httpx import SigV4Auth as HttpxAuth
from sigv4kit.received import Reason
from sigv4kit.testing.capture import CaptureServer
from sigv4kit.testing.redirecting import OriginServer

from .adapter_clients import KINDS, call, make_auth

CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "TOKEN")
KEYS = ["a/../b", "./x", "a/./b/..", "../../etc/x", "a/.../b", "a/..b/c."]


def _lookup(key: str) -> Credentials | None:
    return CREDS if key == CREDS.access_key_id else None


def _dots_encoded(key: str) -> str:
    """The key as a path the libraries keep: each all-dots segment percent-encoded."""
    return "/".join(seg.replace(".", "%2E") if seg and not seg.strip(".") else seg
                    for seg in key.split("/"))


@pytest.fixture(scope="module")
def capture() -> Iterator[CaptureServer]:
    with CaptureServer(lookup=_lookup) as server:
        yield server


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("kind", KINDS)
def test_dot_segments_are_sent_verbatim_and_verify(capture: CaptureServer, kind: str,
                                                   key: str) -> None:
    url: object = f"{capture.url}/bucket/{_dots_encoded(key)}"
    if kind == "aiohttp":
        url = URL(f"{capture.url}/bucket/{key}", encoded=True)
    answer = call(kind, make_auth(kind, CREDS, "us-east-1", "s3"), "PUT", url,  # type: ignore[arg-type]
                  body=key.encode())
    captured = capture.requests[-1]
    assert captured.target == f"/bucket/{key}"
    assert captured.verdict is not None and captured.verdict.reason is Reason.OK
    assert answer.status == 200 and captured.body == key.encode()


@pytest.mark.parametrize("is_async", [False, True], ids=["httpx", "httpx-async"])
def test_a_redirect_does_not_inherit_the_verbatim_target(is_async: bool) -> None:
    """httpx copies a request's extensions into the redirect it builds: the target sent
    verbatim is the first request's only, the redirect goes where its Location says (and,
    its first signature refused there, is signed for it and sent once more)."""
    auth = HttpxAuth(CREDS, "us-east-1", "s3")
    with OriginServer(lookup=_lookup) as server:
        server.redirect("/bucket/a/../b", "/bucket/moved", 307)
        url = server.url + "/bucket/a/%2E%2E/b"
        if is_async:
            async def send() -> int:
                async with httpx.AsyncClient(auth=auth, follow_redirects=True) as client:
                    return (await client.put(url, content=b"x")).status_code
            status = asyncio.run(send())
        else:
            with httpx.Client(auth=auth, follow_redirects=True) as client:
                status = client.put(url, content=b"x").status_code
        assert status == 200
        assert [hit.target for hit in server.requests] == [
            "/bucket/a/../b", "/bucket/moved", "/bucket/moved"]
        assert [hit.verdict.reason for hit in server.requests if hit.verdict] == [
            Reason.OK, Reason.SIGNATURE_MISMATCH, Reason.OK]
