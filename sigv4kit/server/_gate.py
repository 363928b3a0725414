"""What the ASGI and WSGI middleware share: the request read as received, the headers verdict,
and the body checked as it flows.

The frameworks differ only in how bytes arrive (awaited messages, a file) and how the lookup is
called (awaited or not); every rule is here once. The steps, for one request:

1. ``head_request``: the method, the raw target as received and the headers, without a body.
2. ``plan``: read the signature (a request without one, or with a malformed one, gets its
   verdict at once) and say which credentials to look up.
3. ``decide``: with the looked-up credentials, verify the headers and say what the body needs:
   ``EMPTY`` (nothing to read), ``WHOLE`` (no ``X-Amz-Content-SHA256``: the signature covers the
   body's own hash, so the body is read, capped, and verified whole), ``HASH`` (a hex payload
   hash, checked at the end), ``CHUNKED`` (aws-chunked: each chunk checked as it arrives) or
   ``UNSIGNED`` (``UNSIGNED-PAYLOAD``, or a presigned S3 URL: the body is not signed).
4. ``BodyCheck``: framed bytes in, bytes the app may see out; ``finish()`` is the final verdict.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from hashlib import sha256

from ..chunked import MAX_CHUNK_SIZE
from ..errors import Error, SigningError
from ..model import Credentials, Request
from ..options import STREAMING_PREFIX, UNSIGNED_PAYLOAD, is_s3, is_sha256_hex
from ..received import Reason, ReceivedSignature, read_signature
from ..streaming import ChunkedVerifier
from ..verify import VerifyResult, streaming_verdict, verify_request
from ..wire import MalformedInputError
from .errors import PROTOCOLS, ErrorResponse, error_response, refusal

__all__: list[str] = []

VERDICT_KEY = "sigv4kit.verdict"
DEFAULT_MAX_BODY = 64 * 1024 * 1024
"""Largest body accepted by default (64 MiB): what is buffered (``WHOLE`` bodies, buffered
mode) is at most this; a streamed body over it is cut off and refused."""


class BodyTooLarge(Error):
    """The body goes past the middleware's ``max_body``."""


class Body(Enum):
    EMPTY = "empty"
    WHOLE = "whole"
    HASH = "hash"
    CHUNKED = "chunked"
    UNSIGNED = "unsigned"


@dataclass(frozen=True)
class Settings:
    """The middleware's options, checked once when it is built."""

    protocol: str
    services: frozenset[str] | None
    regions: frozenset[str] | None
    max_skew: timedelta
    max_body: int
    buffered: bool
    explain: bool
    max_chunk_size: int


def settings(
    protocol: str,
    service: str | Iterable[str] | None,
    region: str | Iterable[str] | None,
    max_skew: timedelta,
    max_body: int,
    buffered: bool,
    explain: bool,
    max_chunk_size: int = MAX_CHUNK_SIZE,
) -> Settings:
    if protocol not in PROTOCOLS:
        raise SigningError(
            f"protocol: must be one of {', '.join(PROTOCOLS)}, got {protocol!r}", field="protocol"
        )
    if isinstance(max_body, bool) or not isinstance(max_body, int) or max_body < 0:
        raise SigningError("max_body: must be a non-negative number of bytes", field="max_body")
    if not isinstance(max_skew, timedelta) or max_skew < timedelta(0):
        raise SigningError("max_skew: must be a non-negative timedelta", field="max_skew")
    return Settings(
        protocol, _names(service, "service"), _names(region, "region"), max_skew, max_body,
        buffered is True, explain is True, max_chunk_size,
    )


def _names(value: str | Iterable[str] | None, field: str) -> frozenset[str] | None:
    if value is None:
        return None
    names = frozenset([value] if isinstance(value, str) else value)
    if not names or not all(isinstance(n, str) and n for n in names):
        raise SigningError(f"{field}: must be a name or a non-empty list of names", field=field)
    return names


def head_request(
    method: str, scheme: str, host: str, target: str, headers: list[tuple[str, str]]
) -> Request | VerifyResult:
    """The request as received, its target verbatim (a Request keeps it as given), or the
    refusal of one no request can be built from: a server may pass on what a Request refuses
    (waitress: a NUL in the target), which is the client's fault (400), not the app's (500)."""
    try:
        return Request(method, f"{scheme}://{host or 'localhost'}{target}", headers, b"")
    except SigningError as exc:
        return _failed(Reason.MALFORMED, f"the request cannot be read: {exc}", None)


def _failed(reason: Reason, message: str, sig: ReceivedSignature | None) -> VerifyResult:
    return VerifyResult(valid=False, reason=reason, message=message, received=sig)


def plan(head: Request, opts: Settings) -> ReceivedSignature | VerifyResult:
    """The signature to look up credentials for, or the refusal when there is none to read or
    its scope is not one this server serves."""
    try:
        sig = read_signature(head)
    except MalformedInputError:
        # the verifier's own verdict for it (not signed, malformed, SigV2 …): it fails before
        # any lookup
        return verify_request(head, lambda _akid: None, max_skew=opts.max_skew)
    if opts.services is not None and sig.service not in opts.services:
        return _failed(Reason.SCOPE_MISMATCH,
                       f"credential scope: service {sig.service!r} is not served here", sig)
    if opts.regions is not None:
        regions = (sig.region,) if sig.region is not None else sig.region_set or ()
        if not any(r in opts.regions or r == "*" for r in regions):
            return _failed(Reason.SCOPE_MISMATCH,
                           "credential scope: the region is not served here", sig)
    return sig


def body_kind(head: Request, sig: ReceivedSignature, may_have_body: bool) -> Body:
    """What the body needs, from the payload hash the signature covers."""
    if sig.mode == "query" and is_s3(sig.service):
        return Body.UNSIGNED
    sent = head.header("x-amz-content-sha256")
    if sent is None:
        return Body.WHOLE if may_have_body else Body.EMPTY
    sent = sent.strip()
    if sent == UNSIGNED_PAYLOAD:
        return Body.UNSIGNED
    if sent.startswith(STREAMING_PREFIX):
        return Body.CHUNKED
    if is_sha256_hex(sent):
        return Body.HASH
    return Body.WHOLE  # the verifier names what is wrong with the value


def checked(credentials: object) -> Credentials | None:
    if credentials is not None and not isinstance(credentials, Credentials):
        raise TypeError(f"lookup returned {type(credentials).__name__}, not Credentials or None")
    return credentials


def verify_head(
    head: Request, creds: Credentials | None, kind: Body, opts: Settings
) -> VerifyResult:
    """The headers verdict (deferring the body for HASH and CHUNKED)."""
    return verify_request(
        head, lambda _akid: creds, max_skew=opts.max_skew,
        defer_body=kind in (Body.HASH, Body.CHUNKED),
    )


def before_whole_body(head: Request, creds: Credentials | None,
                      opts: Settings) -> VerifyResult | None:
    """The refusal of a ``WHOLE`` body's request that its head alone proves (a date out of
    range, a malformed header, an unknown key), or None: the signature itself covers the
    body's hash, so it cannot be checked before the body is read. Asked before the body is
    read, so ``Expect: 100-continue`` is not answered for a request refused anyway."""
    early = verify_request(head, lambda _akid: None, max_skew=opts.max_skew, defer_body=True)
    if early.reason is Reason.UNKNOWN_ACCESS_KEY and creds is not None:
        return None
    return early


def verify_whole(request: Request, creds: Credentials | None, opts: Settings) -> VerifyResult:
    return verify_request(request, lambda _akid: creds, max_skew=opts.max_skew)


class BodyCheck:
    """The body of a request whose headers verified: ``feed`` framed bytes, get what the app
    may see; ``finish`` gives the final verdict. A failure is remembered: later ``feed`` calls
    return nothing and ``finish`` returns it. Exceeding ``max_body`` raises ``BodyTooLarge``."""

    def __init__(
        self, verdict: VerifyResult, head: Request, creds: Credentials, kind: Body,
        opts: Settings,
    ) -> None:
        self.verdict = verdict
        self._kind = kind
        self._max = opts.max_body
        self._seen = 0
        self._hash = sha256() if kind is Body.HASH else None
        self._expected = (head.header("x-amz-content-sha256") or "").strip()
        self._chunked = (
            ChunkedVerifier(verdict, head, lambda _akid: creds, max_chunk_size=opts.max_chunk_size)
            if kind is Body.CHUNKED else None
        )
        self.failed: VerifyResult | None = None

    def feed(self, data: bytes) -> list[bytes]:
        self._seen += len(data)
        if self._chunked is not None:
            out = self._chunked.feed(data)
            if self._chunked.decoded > self._max:
                raise BodyTooLarge(f"body: more than max_body ({self._max} bytes)")
            self.failed = self._chunked.failed
            return out
        if self._seen > self._max:
            raise BodyTooLarge(f"body: more than max_body ({self._max} bytes)")
        if self._hash is not None:
            self._hash.update(data)
        return [data] if data else []

    def finish(self) -> VerifyResult:
        if self._chunked is not None:
            final = self._chunked.finish()
            self.failed = None if final.valid else final
            return final
        if self._hash is not None and not hmac.compare_digest(
            self._hash.hexdigest(), self._expected
        ):
            self.failed = streaming_verdict(
                self.verdict, Reason.PAYLOAD_HASH_MISMATCH,
                f"the signature is valid but X-Amz-Content-SHA256 is not the SHA-256 of the "
                f"{self._seen}-byte body received (body altered or truncated?)",
            )
            return self.failed
        if self._hash is not None:
            return streaming_verdict(
                self.verdict, Reason.OK,
                self.verdict.message.split(";")[0] + f" and {self._seen}-byte body",
            )
        return self.verdict


def refuse(verdict: VerifyResult, opts: Settings) -> ErrorResponse:
    return error_response(verdict, opts.protocol, explain=opts.explain)


def too_large(opts: Settings) -> ErrorResponse:
    return refusal("too_large", opts.protocol)


