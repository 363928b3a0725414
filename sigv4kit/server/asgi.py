"""Verifying ASGI middleware: SigV4 and SigV4a, header-signed and presigned, aws-chunked too.

::

    app = SigV4Middleware(app, lookup, protocol="rest-xml", service="s3")
    # in the app: scope["sigv4kit.verdict"] is the valid VerifyResult (access key id, scope)

The request is verified as received: the target is ASGI's ``raw_path`` and ``query_string``
(the bytes on the request line; ``path`` is percent-decoded and would not be what was signed).
A server that gives no ``raw_path`` gets ``path`` re-encoded, which refuses requests whose
client encoded the path differently (``%2F``, ``+``, lower-case escapes): a false refusal, never
a false acceptance, since the app routes on the same decoded path.

The body contract:

* no ``X-Amz-Content-SHA256`` (Query and JSON services): the signature covers the body's
  hash, so the body is read first (capped at ``max_body``) and verified whole;
* a hex ``X-Amz-Content-SHA256``: the app receives the body as it arrives, and the last
  ``http.request`` message (``more_body=False``) only once the hash matched. On a mismatch the
  app receives ``http.disconnect`` instead and the client gets AWS's XAmzContentSHA256Mismatch
  (or, if the app already started its answer, the connection is aborted). So the app sees
  data before the verdict: with ``buffered=True`` it sees nothing until the whole body
  verified (memory: up to ``max_body``);
* aws-chunked (``STREAMING-…``): the app receives only decoded chunks whose signature checked
  (``sigv4kit.streaming.ChunkedVerifier``); a late failure (a forged last chunk, the trailer
  checksum, the decoded length) ends the body with ``http.disconnect`` and AWS's answer, as
  above. ``content-length`` in the app's scope is the decoded length;
* ``UNSIGNED-PAYLOAD`` or a presigned S3 URL: the body is not signed and flows as it is.

``Expect: 100-continue``: servers that answer it when the app first calls ``receive()`` (uvicorn,
hypercorn) answer it only for a request whose head verified: the middleware checks the head
(``verify_request(..., defer_body=True)``) and refuses without reading the body. A body
without ``X-Amz-Content-SHA256`` is the exception: its hash is part of the signature, so only
the date, the form and the key are checked before it is read.

``scope["sigv4kit.verdict"]`` holds the headers verdict when the app is called and the final
one once the body's last message was delivered. ``lookup(access_key_id)`` returns
``Credentials`` or None, directly or as an awaitable.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from ..chunked import MAX_CHUNK_SIZE
from ..errors import Error, SigningError
from ..model import Request
from ..rules import DEFAULT_MAX_SKEW
from ..verify import VerifyResult
from ._gate import (
    DEFAULT_MAX_BODY,
    VERDICT_KEY,
    Body,
    BodyCheck,
    BodyTooLarge,
    before_whole_body,
    body_kind,
    checked,
    head_request,
    plan,
    refuse,
    settings,
    too_large,
    verify_head,
    verify_whole,
)
from .errors import ErrorResponse, refusal

__all__ = ["VERDICT_KEY", "BodyRefused", "SigV4Middleware", "raw_target"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


DEFAULT_LOOKUP_TIMEOUT = 5.0
"""Seconds an awaitable ``lookup`` may take before the request is refused with a 503."""


class _Incomplete(Exception):
    pass


def _seconds(value: object, field: str) -> float:
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not 0 < value <= 3600):
        raise SigningError(f"{field}: must be a number of seconds in (0, 3600], got {value!r}",
                           field=field)
    return float(value)


def raw_target(scope: Scope) -> str:
    """The request target as received: ``raw_path`` (else ``path`` re-encoded) and
    ``query_string``."""
    raw = scope.get("raw_path")
    if raw is None:
        raw = quote(scope.get("root_path", "") + scope["path"], safe="/!$&'()*+,;=:@~").encode()
    query = scope.get("query_string") or b""
    target = raw + (b"?" + query if query else b"")
    return target.decode("utf-8", "surrogateescape")


def _headers(scope: Scope) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", ())]


def _host(scope: Scope, headers: list[tuple[str, str]]) -> str:
    for name, value in headers:
        if name.lower() == "host":
            return value
    server = scope.get("server")
    return f"{server[0]}:{server[1]}" if server else ""


def _may_have_body(headers: list[tuple[str, str]]) -> bool:
    for name, value in headers:
        lname = name.lower()
        if lname == "transfer-encoding" or (lname == "content-length" and value.strip() != "0"):
            return True
    return False


async def _answer(send: Send, answer: ErrorResponse) -> None:
    await send({
        "type": "http.response.start",
        "status": answer.status,
        "headers": [(n.encode("latin-1"), v.encode("latin-1")) for n, v in answer.headers],
    })
    await send({"type": "http.response.body", "body": answer.body, "more_body": False})


async def _read_all(receive: Receive, cap: int) -> bytes | None:
    """The whole body, or None when it goes past ``cap``; ``_Incomplete`` on a disconnect."""
    parts: list[bytes] = []
    total = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Incomplete
        data = message.get("body", b"")
        total += len(data)
        if total > cap:
            return None
        parts.append(data)
        if not message.get("more_body", False):
            return b"".join(parts)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives ``body`` once, then defers to the server's (for disconnects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _decoded_scope(scope: Scope, verdict: VerifyResult, kind: Body,
                   head: Request) -> Scope:
    new = dict(scope)
    new[VERDICT_KEY] = verdict
    if kind is Body.CHUNKED:
        decoded = head.header("x-amz-decoded-content-length")
        kept = [(k, v) for k, v in scope.get("headers", ()) if k.lower() != b"content-length"]
        if decoded is not None:
            kept.append((b"content-length", decoded.strip().encode("latin-1")))
        new["headers"] = kept
    return new


class SigV4Middleware:
    """``SigV4Middleware(app, lookup, *, protocol="rest-xml", service=None, region=None,
    max_skew=timedelta(minutes=15), max_body=64 MiB, buffered=False, explain=False,
    lookup_timeout=5.0)``.

    ``service`` / ``region``: a name or names the credential scope must carry (None: any).
    ``protocol``: how refusals are written (``rest-xml`` as S3, ``query`` as STS, ``ec2``,
    ``json`` as DynamoDB). ``explain``: SignatureDoesNotMatch answers carry the canonical
    request and string to sign (development only). ``lookup_timeout``: seconds an awaitable
    ``lookup`` may take; past it the request is refused with AWS's 503 (``ServiceUnavailable``,
    which SDKs retry) rather than holding the connection (a synchronous lookup cannot be
    interrupted: give it its own timeouts). Non-HTTP scopes pass through untouched.
    """

    def __init__(
        self,
        app: ASGIApp,
        lookup: Callable[[str], Any],
        *,
        protocol: str = "rest-xml",
        service: str | Iterable[str] | None = None,
        region: str | Iterable[str] | None = None,
        max_skew: timedelta = DEFAULT_MAX_SKEW,
        max_body: int = DEFAULT_MAX_BODY,
        buffered: bool = False,
        explain: bool = False,
        max_chunk_size: int = MAX_CHUNK_SIZE,
        lookup_timeout: float = DEFAULT_LOOKUP_TIMEOUT,
    ) -> None:
        self.app = app
        self.lookup = lookup
        self.lookup_timeout = _seconds(lookup_timeout, "lookup_timeout")
        self.settings = settings(
            protocol, service, region, max_skew, max_body, buffered, explain, max_chunk_size
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        opts = self.settings
        headers = _headers(scope)
        head = head_request(scope.get("method", "GET"), scope.get("scheme", "http"),
                            _host(scope, headers), raw_target(scope), headers)
        if isinstance(head, VerifyResult):
            await _answer(send, refuse(head, opts))
            return
        planned = plan(head, opts)
        if isinstance(planned, VerifyResult):
            await _answer(send, refuse(planned, opts))
            return
        found = self.lookup(planned.access_key_id)
        if inspect.isawaitable(found):
            try:
                async with asyncio.timeout(self.lookup_timeout):
                    found = await found
            except TimeoutError:  # a hanging key store must not hold the connection
                await _answer(send, refusal("unavailable", opts.protocol))
                return
        creds = checked(found)
        kind = body_kind(head, planned, _may_have_body(headers))
        try:
            if kind is Body.WHOLE:
                early = before_whole_body(head, creds, opts)
                if early is not None:  # refused before receive(): no 100 Continue
                    await _answer(send, refuse(early, opts))
                    return
                await self._whole(scope, receive, send, head, creds)
                return
            verdict = verify_head(head, creds, kind, opts)
            if not verdict.valid or creds is None:
                await _answer(send, refuse(verdict, opts))
                return
            if kind is Body.EMPTY:
                await self.app({**scope, VERDICT_KEY: verdict}, receive, send)
                return
            check = BodyCheck(verdict, head, creds, kind, opts)
            if opts.buffered:
                await self._buffered(scope, receive, send, head, kind, check)
            else:
                await self._streamed(_decoded_scope(scope, verdict, kind, head), receive, send,
                                     check)
        except _Incomplete:
            return  # the client went away: nobody to answer

    async def _whole(self, scope: Scope, receive: Receive, send: Send, head: Request,
                     creds: Any) -> None:
        opts = self.settings
        body = await _read_all(receive, opts.max_body)
        if body is None:
            await _answer(send, too_large(opts))
            return
        verdict = verify_whole(Request(head.method, head.url, list(head.headers), body), creds,
                               opts)
        if not verdict.valid:
            await _answer(send, refuse(verdict, opts))
            return
        await self.app({**scope, VERDICT_KEY: verdict}, _replay(body, receive), send)

    async def _buffered(self, scope: Scope, receive: Receive, send: Send, head: Request,
                        kind: Body, check: BodyCheck) -> None:
        opts = self.settings
        parts: list[bytes] = []
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise _Incomplete
                parts += check.feed(message.get("body", b""))
                if check.failed is not None or not message.get("more_body", False):
                    break
        except BodyTooLarge:
            await _answer(send, too_large(opts))
            return
        final = check.failed or check.finish()
        if not final.valid:
            await _answer(send, refuse(final, opts))
            return
        await self.app(_decoded_scope(scope, final, kind, head),
                       _replay(b"".join(parts), receive), send)

    async def _streamed(self, scope: Scope, receive: Receive, send: Send,
                        check: BodyCheck) -> None:
        opts = self.settings
        failure: ErrorResponse | None = None
        started = False
        done = False

        async def checked_receive() -> Message:
            nonlocal failure, done
            while True:
                if failure is not None or done:
                    return {"type": "http.disconnect"} if failure is not None else await receive()
                message = await receive()
                if message["type"] != "http.request":
                    return message
                more = bool(message.get("more_body", False))
                try:
                    out = check.feed(message.get("body", b""))
                except BodyTooLarge:
                    failure = too_large(opts)
                    continue
                if check.failed is not None:
                    failure = refuse(check.failed, opts)
                    continue
                if not more:
                    final = check.finish()
                    if not final.valid:
                        failure = refuse(final, opts)
                        continue
                    scope[VERDICT_KEY] = final
                    done = True
                    return {"type": "http.request", "body": b"".join(out), "more_body": False}
                if out:
                    return {"type": "http.request", "body": b"".join(out), "more_body": True}

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if failure is not None:
                return  # the request was refused: the app's answer is not the client's
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, checked_receive, guarded_send)
        except Exception:
            if failure is None:
                raise
        if failure is not None:
            if started:
                raise BodyRefused("body: refused after the app had started its answer")
            await _answer(send, failure)


class BodyRefused(Error):
    """Raised to the ASGI server when the body failed after the app began answering: the
    server then aborts the connection, so the client cannot take the answer as complete."""
