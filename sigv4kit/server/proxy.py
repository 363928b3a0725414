"""``sigv4kit proxy``: a local HTTP proxy that signs requests for clients that cannot, or
verifies the virtual keys its clients hold and re-signs with the real ones.

Never an open proxy: it listens on 127.0.0.1 by default and forwards only to ``upstream`` and
the origins in ``allow_hosts``. A request is sent to an allowed origin when its ``Host``
header names one; any other ``Host`` (the proxy's own address and the upstream's aside) and
any absolute-form target (``GET http://elsewhere/``, a client using it as a forward proxy) is
refused with 403. Redirects from upstream are passed back, never followed.

Signing mode (no ``verify_keys``): each request is signed with the credential source (asked
before every request, so temporary credentials refresh) for ``service`` and ``region``.
Bodies stream without being held whole where the service allows it: S3 gets aws-chunked
signed chunks (``STREAMING-AWS4-HMAC-SHA256-PAYLOAD``, 64 KiB each, needs a Content-Length) or,
with ``unsigned_payload`` or a body of unknown length, ``UNSIGNED-PAYLOAD``; other services
sign the body's hash, so their bodies are read first, capped at ``max_body``.

Re-signing mode (``verify_keys``: access key id -> secret of the virtual credentials): each
request is verified as ``sigv4kit.server``'s middleware verifies it (refusals are AWS's
answers), then signed again with the real credentials for the proxy's ``service`` and
``region`` (given, or read from an upstream host of AWS's ``SERVICE.REGION.amazonaws.com``
form). The client's scope must name that service and Region: a scope for anything else is
refused as AWS refuses it (403 ``SignatureDoesNotMatch``; S3's 400
``AuthorizationHeaderMalformed`` for a Region), never signed, since a virtual key would
otherwise reach every service the real credentials can (STS GetSessionToken: real temporary
credentials). A body whose SHA-256 the client stated keeps that hash (the upstream checks it;
the proxy aborts the upload when it does not match); an aws-chunked upload with signed chunks
is re-signed chunk by chunk as it flows, each incoming chunk verified against the client's
chain and re-framed in the proxy's own 64 KiB chunks (sent with the Content-Length S3 needs,
computed from X-Amz-Decoded-Content-Length), trailer checksum carried, in memory bounded by one
chunk; unsigned-chunk uploads flow as they are, checked to the end.

Every request is one log line (logger ``sigv4kit.proxy``): method, upstream host, path (as
received, anything but printable ASCII escaped), status (`` cut`` when the upstream's answer
failed after it began reaching the client, e.g. ``502 cut``: the connection is then closed,
never answered twice), time and the access key id; never a query string, token or signature.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any, cast
from urllib.parse import urlsplit

from ..aws.credentials import CredentialSource, check_credential_source, current_credentials
from ..chunked import (
    SIGNED,
    VARIANTS,
    framed_length,
    trailer_algorithm,
)
from ..errors import Error, SigningError
from ..model import Credentials, Request, SignedRequest
from ..options import UNSIGNED_PAYLOAD, SigningOptions, is_s3
from ..received import Reason, ReceivedSignature
from ..rules import DEFAULT_MAX_SKEW
from ..signing import sign_request
from ..streaming import _ChunkSigner
from ..verify import VerifyResult, chunk_decoder
from ._bodies import CHUNK_SIZE, Refused, checked, frames, reframed, reframed_length
from ._gate import (
    DEFAULT_MAX_BODY,
    Body,
    BodyCheck,
    Settings,
    before_whole_body,
    body_kind,
    plan,
    refuse,
    settings,
    too_large,
    verify_head,
    verify_whole,
)
from ._relay import LogFormatter, end_to_end, forwarded_headers, loggable, without_query_auth
from .errors import ErrorResponse

__all__ = ["LogFormatter", "ProxyConfig", "ProxyError", "ProxyServer", "make_app", "protocol_of"]

log = logging.getLogger("sigv4kit.proxy")

MAX_FIELD_SIZE = 16 * 1024
MAX_LINE_SIZE = 8190
_NOT_SIGNED = frozenset({"user-agent", "accept-encoding", "x-amzn-trace-id", "content-length"})
"""Forwarded as received but left out of the proxy's signature (botocore leaves the first
three out too): aiohttp and intermediaries may rewrite them."""
_JSON_SERVICES = frozenset({
    "dynamodb", "lambda", "kinesis", "logs", "kms", "secretsmanager", "ssm", "states", "ecr",
    "ecs", "events", "firehose", "glue", "athena", "apigateway", "execute-api", "aoss", "es",
    "bedrock", "bedrock-runtime", "cognito-idp", "codebuild", "sagemaker",
})


class ProxyError(Error):
    """The proxy's configuration cannot work (a bad upstream URL, no credentials)."""


class _UpstreamFailed(Error):
    """The upstream connection failed (the message names aiohttp's exception)."""


def protocol_of(service: str) -> str:
    """The error protocol a service's clients read: S3's XML, EC2's, JSON, else Query's."""
    if is_s3(service):
        return "rest-xml"
    if service == "ec2":
        return "ec2"
    return "json" if service in _JSON_SERVICES else "query"


@dataclass(frozen=True)
class _Origin:
    scheme: str
    netloc: str

    @property
    def base(self) -> str:
        return f"{self.scheme}://{self.netloc}"


def _origin(url: str, field_name: str) -> _Origin:
    if "://" not in url:
        url = "https://" + url
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a port that is not a number in 0..65535
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or (
        parts.username is not None or parts.path not in ("", "/") or parts.query
        or parts.fragment or parts.netloc.endswith(":")
    ):
        raise ProxyError(f"{field_name}: must be http(s)://host[:port] with no path, got {url!r}")
    default = 443 if parts.scheme == "https" else 80
    netloc = parts.netloc.lower()
    if port == default:
        netloc = netloc.rsplit(":", 1)[0]
    return _Origin(parts.scheme, netloc)


@dataclass(frozen=True)
class ProxyConfig:
    """What ``sigv4kit proxy`` is told. ``credentials``: the real credentials' source (fixed,
    a provider, or botocore's). ``service`` / ``region``: the scope to sign for, and in
    re-signing mode the only scope a client may name (inferred from an upstream host of AWS's
    form when not given). ``verify_keys``: virtual access key id -> secret."""

    upstream: str
    credentials: CredentialSource
    service: str | None = None
    region: str | None = None
    allow_hosts: tuple[str, ...] = ()
    sign_host: str | None = None
    unsigned_payload: bool = False
    strip: tuple[str, ...] = ()
    verify_keys: Mapping[str, str] | None = field(default=None, repr=False)  # secrets
    timeout: float = 60.0
    max_body: int = DEFAULT_MAX_BODY
    ca_file: str | None = None
    max_skew_seconds: float = DEFAULT_MAX_SKEW.total_seconds()
    _origins: tuple[_Origin, ...] = field(default=(), repr=False)
    _tls: ssl.SSLContext = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_credential_source(self.credentials)
        origins = (_origin(self.upstream, "upstream"),
                   *[_origin(h, "allow_host") for h in self.allow_hosts])
        object.__setattr__(self, "_origins", origins)
        if self.verify_keys is not None:
            service, region = _upstream_scope(origins[0].netloc)
            object.__setattr__(self, "service", self.service or service)
            object.__setattr__(self, "region", self.region or region)
        if not self.service or not self.region:
            raise ProxyError("service and region: needed to sign (re-signing infers them only "
                             "from an upstream host of the form SERVICE.REGION.amazonaws.com)")
        if not 0 < self.timeout <= 3600:
            raise ProxyError("timeout: must be between 0 and 3600 seconds")
        object.__setattr__(self, "_tls", _tls_context(self.ca_file))

    @property
    def upstream_origin(self) -> _Origin:
        return self._origins[0]

    def origin_for(self, host: str | None, own: set[str]) -> _Origin | None:
        """Where a request with ``Host: host`` goes: the upstream (its own host, the
        proxy's address, or no Host at all), an allowed origin it names, else nowhere."""
        name = (host or "").strip().lower()
        if not name or name in own:
            return self._origins[0]
        for origin in self._origins:
            if name == origin.netloc:
                return origin
        return None


_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
_AWS_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn")


def _upstream_scope(netloc: str) -> tuple[str | None, str | None]:
    """The service and Region an AWS endpoint host names (``sts.eu-west-1.amazonaws.com``,
    ``bucket.s3.us-east-1.amazonaws.com``; ``s3.amazonaws.com`` and ``sts.amazonaws.com``
    sign for us-east-1), or None for what the host does not say: a host that is not AWS's,
    or whose first label is not the signing name, must be configured."""
    host = "" if netloc.startswith("[") else netloc.partition(":")[0]  # IPv6: never AWS's
    suffix = next((s for s in _AWS_SUFFIXES if host.endswith(s)), None)
    if suffix is None:
        return None, None
    labels = host[: -len(suffix)].split(".")
    if len(labels) >= 2 and _REGION.fullmatch(labels[-1]) and labels[-2]:
        return labels[-2], labels[-1]
    if labels[-1] in ("s3", "sts") and suffix == ".amazonaws.com":
        return labels[-1], "us-east-1"
    return None, None


class _Signing:
    """One outgoing request: its URL, the headers it is signed with and the unsigned ones."""

    def __init__(self, method: str, url: str, host: str, headers: list[tuple[str, str]]):
        self.method = method
        self.url = url
        self.host = host
        self.signed_part = [(n, v) for n, v in headers if n.lower() not in _NOT_SIGNED]
        self.unsigned_part = [(n, v) for n, v in headers if n.lower() in _NOT_SIGNED
                              and n.lower() != "content-length"]

    def sign(self, creds: Credentials, service: str, region: str, body: bytes = b"",
             **options: Any) -> SignedRequest:
        # S3's defaults come from sign_request itself (options.service_defaults), the one rule
        opts = cast(SigningOptions, options)
        request = Request(self.method, self.url, [("Host", self.host), *self.signed_part], body)
        return sign_request(request, creds, region=region, service=service, **opts)

    def headers(self, signed: SignedRequest, length: int | None) -> list[tuple[str, str]]:
        out = [*signed.request.headers, *self.unsigned_part]
        if length is not None:
            out.append(("Content-Length", str(length)))
        return out


class _Handler:
    def __init__(self, config: ProxyConfig) -> None:
        self.config = config
        self.strip = {h.lower() for h in config.strip}
        self.own: set[str] = set()
        self.keys = dict(config.verify_keys or {})
        self.session: Any = None

    def lookup(self, akid: str) -> Credentials | None:
        secret = self.keys.get(akid)
        return None if secret is None else Credentials(akid, secret)

    async def __call__(self, request: Any) -> Any:
        from aiohttp import web

        started = time.monotonic()
        status = 0
        akid = "-"
        host = "-"
        try:
            if request.method == "GET" and request.raw_path == "/health":
                status = 200
                return web.Response(text="ok\n")
            target = request.raw_path
            origin = self.config.origin_for(request.headers.get("Host"), self.own)
            if not target.startswith("/") or origin is None:
                status = 403
                return web.Response(status=403, text="sigv4kit proxy: forwards only to its "
                                    "upstream and --allow-host origins\n")
            host = origin.netloc
            async with asyncio.timeout(self.config.timeout):
                if self.keys:
                    response, akid = await self._resign(request, origin, target)
                else:
                    response, akid = await self._sign(request, origin, target)
            status = response.status
            return response
        except Refused as exc:
            status = exc.answer.status
            return _unless_started(request, _answer(exc.answer))
        except TimeoutError:
            status = 504
            return _unless_started(request, web.Response(
                status=504, text="sigv4kit proxy: upstream deadline exceeded\n"))
        except _UpstreamFailed as exc:
            status = 502
            return _unless_started(request, web.Response(
                status=502, text=f"sigv4kit proxy: upstream failed ({exc})\n"))
        except SigningError as exc:
            status = 502
            return _unless_started(request, web.Response(status=502,
                                                         text=f"sigv4kit proxy: {exc}\n"))
        finally:
            path = loggable(request.raw_path.partition("?")[0][:200])
            cut = " cut" if request.get(_CUT) else ""
            log.info("%s %s %s %d%s %.3fs %s", request.method, host, path, status, cut,
                     time.monotonic() - started, akid)

    # -- signing mode ---------------------------------------------------------------------

    async def _sign(self, request: Any, origin: _Origin, target: str) -> tuple[Any, str]:
        cfg = self.config
        assert cfg.service is not None and cfg.region is not None
        service, region = cfg.service, cfg.region
        creds = current_credentials(cfg.credentials)
        await _continue(request)
        out = _Signing(request.method, origin.base + without_query_auth(target),
                       cfg.sign_host or origin.netloc,
                       forwarded_headers(request.headers.items(), self.strip))
        length = request.content_length
        has_body = bool(length) or "chunked" in request.headers.get("Transfer-Encoding", "")
        s3 = is_s3(service)
        body: Any
        if not has_body:
            signed = out.sign(creds, service, region)
            body, sent_length = None, None
        elif cfg.unsigned_payload or (s3 and length is None):
            signed = out.sign(creds, service, region, payload_hash=UNSIGNED_PAYLOAD,
                              content_sha256_header=True)
            body, sent_length = request.content.iter_chunked(CHUNK_SIZE), length
        elif s3:
            signed, body, sent_length = self._aws_chunked(out, creds, service, region, request)
        else:
            data = await _read_capped(request, cfg.max_body)
            if data is None:
                raise Refused(too_large(_settings(protocol_of(service), cfg)))
            signed = out.sign(creds, service, region, body=data)
            body, sent_length = data, len(data)
        return await self._forward(request, signed, out.headers(signed, sent_length), body), (
            creds.access_key_id)

    def _aws_chunked(self, out: _Signing, creds: Credentials, service: str, region: str,
                     request: Any) -> tuple[SignedRequest, Any, int]:
        decoded = int(request.content_length)
        encodings = [e.strip() for n, v in out.signed_part if n.lower() == "content-encoding"
                     for e in v.split(",") if e.strip()]
        out.signed_part = [(n, v) for n, v in out.signed_part if n.lower() not in (
            "content-encoding", "x-amz-decoded-content-length")]
        out.signed_part += [("Content-Encoding", ",".join([*encodings, "aws-chunked"])),
                            ("X-Amz-Decoded-Content-Length", str(decoded))]
        signed = out.sign(creds, service, region, payload_hash=SIGNED,
                          content_sha256_header=True)
        framed = framed_length(decoded, CHUNK_SIZE, VARIANTS[SIGNED], None, 0)
        chain = _ChunkSigner(signed, creds)
        return signed, frames(request.content.iter_chunked(CHUNK_SIZE), chain), framed

    # -- re-signing mode ------------------------------------------------------------------

    async def _resign(self, request: Any, origin: _Origin, target: str) -> tuple[Any, str]:
        cfg = self.config
        headers = list(request.headers.items())
        from ._gate import head_request

        head = head_request(request.method, request.scheme, request.headers.get("Host", ""),
                            target, headers)
        assert cfg.service is not None and cfg.region is not None
        opts = _settings(protocol_of(cfg.service), cfg, scoped=True)
        if isinstance(head, VerifyResult):
            raise Refused(refuse(head, opts))
        planned = plan(head, opts)  # a scope for another service or Region: refused here
        if isinstance(planned, VerifyResult):
            # in the protocol of the service the client named, which its SDK reads
            named = planned.received.service if planned.received else cfg.service
            raise Refused(refuse(planned, replace(opts, protocol=protocol_of(named))))
        sig: ReceivedSignature = planned
        virtual = self.lookup(sig.access_key_id)
        length = request.content_length
        has_body = bool(length) or "chunked" in request.headers.get("Transfer-Encoding", "")
        kind = body_kind(head, sig, has_body)
        whole = b""
        if kind is Body.WHOLE:
            early = before_whole_body(head, virtual, opts)
            if early is not None:
                raise Refused(refuse(early, opts))
            await _continue(request)
            data = await _read_capped(request, cfg.max_body)
            if data is None:
                raise Refused(too_large(opts))
            whole = data
            verdict = verify_whole(Request(head.method, head.url, headers, data), virtual, opts)
        else:
            verdict = verify_head(head, virtual, kind, opts)
        if not verdict.valid or virtual is None:
            raise Refused(refuse(verdict, opts))
        if sig.region is None:  # SigV4a: the proxy signs SigV4 for one Region only
            raise Refused(refuse(VerifyResult(False, Reason.UNSUPPORTED_ALGORITHM,
                                               "SigV4a is not re-signed", sig), opts))
        await _continue(request)  # the head verified: now the client may send the body
        service, region = cfg.service, cfg.region
        real = current_credentials(cfg.credentials)
        forwarded = forwarded_headers(headers, self.strip)
        out = _Signing(request.method, origin.base + without_query_auth(target),
                       cfg.sign_host or origin.netloc, forwarded)
        body: Any
        if kind is Body.EMPTY:
            signed, body, sent = out.sign(real, service, region), None, None
        elif kind is Body.WHOLE:
            signed, body, sent = out.sign(real, service, region, body=whole), whole, len(whole)
        elif kind in (Body.HASH, Body.UNSIGNED):
            stated = (head.header("x-amz-content-sha256") or "").strip()
            payload = stated if kind is Body.HASH else UNSIGNED_PAYLOAD
            signed = out.sign(real, service, region, payload_hash=payload,
                              content_sha256_header=True)
            # streamed, never held: max_body caps what is read whole only (the upstream caps
            # what it stores), so an S3 upload over 64 MiB is not cut off
            check = BodyCheck(verdict, head, virtual, kind, replace(opts, max_body=sys.maxsize))
            body = checked(request.content.iter_chunked(CHUNK_SIZE), check, verdict,
                            opts.protocol)
            sent = length
        else:
            signed, body, sent = self._rechunk(out, head, sig, virtual, real, verdict, opts,
                                               request)
        return await self._forward(request, signed, out.headers(signed, sent), body), (
            sig.access_key_id)

    def _rechunk(self, out: _Signing, head: Request, sig: ReceivedSignature, virtual: Credentials,
                 real: Credentials, verdict: VerifyResult, opts: Settings,
                 request: Any) -> tuple[SignedRequest, Any, int | None]:
        decoder = chunk_decoder(head, sig, virtual, max_chunk_size=opts.max_chunk_size)
        variant = decoder.variant
        service, region = self.config.service, self.config.region
        assert service is not None and region is not None
        signed = out.sign(real, service, region, payload_hash=variant.payload_hash,
                          content_sha256_header=True)
        source = request.content.iter_chunked(CHUNK_SIZE)
        if not variant.signed:  # unsigned chunks: the bytes pass as they are, checked
            return signed, checked(source, decoder, verdict, opts.protocol), (
                request.content_length)
        trailer = trailer_algorithm(head.header("x-amz-trailer")) if variant.trailer else None
        chain = _ChunkSigner(signed, real)
        return signed, reframed(source, decoder, chain, trailer, verdict, opts.protocol), (
            reframed_length(head, variant, trailer))

    # -- both -----------------------------------------------------------------------------

    async def _forward(self, request: Any, signed: SignedRequest,
                       headers: list[tuple[str, str]], body: Any) -> Any:
        from aiohttp import ClientError, web

        if self.session is None:
            self.session = _session(self.config)
        from yarl import URL

        # as signed: yarl would otherwise re-quote the target and drop its dot segments
        # (``/b/a/../k`` sent as ``/b/k``), another object than the one asked for and signed
        url = URL(signed.request.url, encoded=True)
        sent_headers = [(n, v) for n, v in headers]
        try:
            async with self.session.request(
                request.method, url, headers=_multi(sent_headers), data=body,
                allow_redirects=False, auto_decompress=False,
                skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
            ) as upstream:
                answer = web.StreamResponse(status=upstream.status, reason=upstream.reason)
                for name, value in end_to_end(upstream.headers.items()):
                    answer.headers.add(name, value)
                request[_STARTED] = answer
                await answer.prepare(request)
                async for piece in upstream.content.iter_chunked(CHUNK_SIZE):
                    await answer.write(piece)
                await answer.write_eof()
                return answer
        except Refused:
            raise
        except ClientError as exc:
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, Refused):
                raise cause from None
            raise _UpstreamFailed(type(exc).__name__) from None


_STARTED = "sigv4kit.proxy.started"
"""The request's key for the answer once its head went to the client."""
_CUT = "sigv4kit.proxy.cut"


def _unless_started(request: Any, error: Any) -> Any:
    """``error``, unless the upstream's answer already began reaching the client: its status
    and headers are sent, so a second answer would be read as the first one's body (a
    desync). The connection is closed instead, so the client sees the answer cut short."""
    started = request.get(_STARTED)
    if started is None:
        return error
    if request.transport is not None:
        request.transport.close()
    request[_CUT] = True
    return started


async def _hold_continue(request: Any) -> Any:
    """aiohttp's expect handler: ``100 Continue`` is not sent when the head arrives (aiohttp's
    default) but by ``_continue``, once the proxy means to read the body: in re-signing mode
    after the client's head verified, so a refused client is answered before it sends."""
    from aiohttp import web

    if request.headers.get("Expect", "").strip().lower() != "100-continue":
        return web.Response(status=417, text="sigv4kit proxy: only Expect: 100-continue\n")
    return None


async def _continue(request: Any) -> None:
    """Send ``100 Continue`` when the client waits for it (once, before its body is read)."""
    from aiohttp import HttpVersion11

    if (request.version == HttpVersion11 and not request.get(_CONTINUED)
            and request.headers.get("Expect", "").strip().lower() == "100-continue"):
        request[_CONTINUED] = True
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        request.writer.output_size = 0  # as aiohttp's own handler: the answer has not begun


_CONTINUED = "sigv4kit.proxy.continued"


def _multi(headers: list[tuple[str, str]]) -> Any:
    from multidict import CIMultiDict

    return CIMultiDict(headers)


def _settings(protocol: str, cfg: ProxyConfig, *, scoped: bool = False) -> Settings:
    """The gate's settings; ``scoped``: only the proxy's own service and Region pass."""
    from datetime import timedelta

    return settings(protocol, cfg.service if scoped else None, cfg.region if scoped else None,
                    timedelta(seconds=cfg.max_skew_seconds), cfg.max_body, False, False)


def _answer(answer: ErrorResponse) -> Any:
    from aiohttp import web

    headers = [(n, v) for n, v in answer.headers if n.lower() != "content-length"]
    return web.Response(status=answer.status, body=answer.body, headers=_multi(headers))


async def _read_capped(request: Any, cap: int) -> bytes | None:
    parts: list[bytes] = []
    total = 0
    async for piece in request.content.iter_chunked(CHUNK_SIZE):
        total += len(piece)
        if total > cap:
            return None
        parts.append(piece)
    return b"".join(parts)


def _tls_context(ca_file: str | None) -> ssl.SSLContext:
    """The upstream's TLS context, built with the configuration so a bad ``ca_file`` is one
    error at start, not a failure on every request."""
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or "no CA in it"
        raise ProxyError(f"ca_file: cannot load CA certificates from {ca_file!r} "
                         f"({reason})") from None


def _session(config: ProxyConfig) -> Any:
    import aiohttp

    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=config.timeout, sock_connect=10),
        connector=aiohttp.TCPConnector(ssl=config._tls, limit=64),
        max_line_size=MAX_LINE_SIZE, max_field_size=MAX_FIELD_SIZE,
        auto_decompress=False,
    )


def make_app(config: ProxyConfig) -> Any:
    """The aiohttp application of the proxy (the handler takes every method and path)."""
    return _build(config)[0]


def _build(config: ProxyConfig) -> tuple[Any, _Handler]:
    from aiohttp import web

    handler = _Handler(config)
    app = web.Application()

    async def handle(request: web.Request) -> web.StreamResponse:
        response: web.StreamResponse = await handler(request)
        return response

    app.router.add_route("*", r"/{tail:[\s\S]*}", handle,  # newlines too (S3 keys)
                         expect_handler=_hold_continue)

    async def close(_app: Any) -> None:
        if handler.session is not None:
            await handler.session.close()

    app.on_cleanup.append(close)
    return app, handler


class ProxyServer:
    """``with ProxyServer(config, host="127.0.0.1", port=0) as proxy: proxy.url`` — the proxy
    on its own event loop in a daemon thread (for tests, benchmarks and embedding); the CLI
    runs the same app in the foreground."""

    def __init__(self, config: ProxyConfig, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config
        self.host = host
        self.port = port
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: Any = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    async def start_async(self) -> Any:
        """Start on the running loop; returns the aiohttp runner (``await runner.cleanup()``)."""
        from aiohttp import web

        app, handler = _build(self.config)
        # keepalive_timeout also bounds a client trickling its request head (aiohttp's
        # default, an hour, let a slowloris hold each connection that long)
        runner = web.AppRunner(app, access_log=None, max_line_size=MAX_LINE_SIZE,
                               max_field_size=MAX_FIELD_SIZE, max_headers=128,
                               keepalive_timeout=self.config.timeout)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self.port = runner.addresses[0][1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        handler.own = {f"{host}:{self.port}".lower(), f"localhost:{self.port}",
                       f"127.0.0.1:{self.port}"}
        self.url = f"http://{host}:{self.port}"
        return runner

    def start(self) -> ProxyServer:
        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                self._runner = loop.run_until_complete(self.start_async())
            except BaseException as exc:  # reported to the starting thread
                self._error = exc
                self._ready.set()
                return
            self._ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, name="sigv4kit-proxy", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise ProxyError(f"listen: could not start ({self._error})")
        return self

    def close(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop = None

    def __enter__(self) -> ProxyServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
