"""Tasks 2-4 of SigV4 and the two ways to attach a signature: headers and query string.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html

``sign_request`` returns a new request carrying X-Amz-Date, Authorization and friends;
``presign`` returns a URL carrying the X-Amz-* query parameters. Neither touches the caller's
request, the network, the disk or (when a timestamp is given) the clock.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_left
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Unpack

from ._caches import Memo, cached, secret_fingerprint
from .canonical import (
    UNSIGNED_HEADERS,
    CanonicalRequest,
    canonical_headers,
    canonical_query_pairs,
    canonical_query_string,
    canonical_uri,
    encoded_query,
    uri_encode,
    uri_encode_bytes,
)
from .errors import SigningError
from .keys import ALGORITHM, ALGORITHM_V4A, cached_signing_key, string_to_sign
from .model import Credentials, PresignedRequest, Request, SignedRequest, trusted
from .options import (
    EMPTY_SHA256,
    Algorithm,
    Options,
    RegionSet,
    SigningOptions,
    body_sha256,
    check_expires,
    check_scope_name,
    is_payload_hash,
    region_set_value,
    resolve,
    scope_name_problem,
)
from .redact import redact_canonical_headers, redact_credentials
from .timestamps import amz_date
from .url import split_url

__all__ = [
    "AUTH_QUERY_PARAMS", "Signer", "presign", "presign_get_query", "sign_request", "wire_form",
]

AUTH_QUERY_PARAMS = frozenset(
    {
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Security-Token",
        "X-Amz-Region-Set",
        "X-Amz-Signature",
    }
)
"""Query parameters that presigning owns; an existing one is replaced, never duplicated."""

_canonical_request = CanonicalRequest.of
"""Task 1's value from its parts (bound once: the signers call it on every signature)."""

_REPLACED_HEADERS = frozenset(
    {"authorization", "x-amz-date", "x-amz-security-token", "x-amz-region-set"}
)
_REPLACED_WITH_SHA256 = _REPLACED_HEADERS | {"x-amz-content-sha256"}


@cached(64, keys="credential or token", reason="the same in every URL of a credential's day")
def _encoded_credential_value(value: str) -> str:
    """The X-Amz-Credential or X-Amz-Security-Token value, percent-encoded; both are the same
    for every URL a credential signs in a day, and a session token is ~1000 characters."""
    return uri_encode(value)


class _Plan:
    """What one signing needs, resolved from the inputs once: scope, algorithm, signer."""

    __slots__ = ("algorithm", "amzdate", "credential", "credentials", "region_set", "scope", "sign")

    def __init__(
        self,
        credentials: Credentials,
        region: RegionSet,
        service: str,
        timestamp: str | datetime | None,
        algorithm: Algorithm,
    ) -> None:
        if not isinstance(credentials, Credentials):
            raise SigningError("credentials: must be a sigv4kit.Credentials", field="credentials")
        check_scope_name("service", "service", service)
        self.credentials = credentials
        self.amzdate = amzdate = amz_date(timestamp)
        date = amzdate[:8]
        if algorithm == "sigv4":
            if not isinstance(region, str):
                raise SigningError(
                    "region: SigV4 signs for one region (a region set needs algorithm='sigv4a')",
                    field="region",
                )
            check_scope_name("region", "region", region)
            self.algorithm = ALGORITHM
            self.scope = f"{date}/{region}/{service}/aws4_request"
            self.region_set: str | None = None
            key = cached_signing_key(credentials.secret_access_key, date, region, service)
            self.sign: Callable[[str], str] = key.hex_signature
        elif algorithm == "sigv4a":
            from . import sigv4a

            self.algorithm = ALGORITHM_V4A
            self.scope = f"{date}/{service}/aws4_request"
            self.region_set = region_set_value(region)
            self.sign = lambda to_sign: sigv4a.sign_string(credentials, to_sign)
        else:
            raise SigningError(
                f"algorithm: {algorithm!r} is not 'sigv4' or 'sigv4a'", field="algorithm"
            )
        self.credential = f"{credentials.access_key_id}/{self.scope}"
        """The Credential value (X-Amz-Credential, Authorization's ``Credential=``)."""


def _plan(
    credentials: Credentials,
    region: RegionSet,
    service: str,
    timestamp: str | datetime | None,
    algorithm: Algorithm,
) -> _Plan:
    """``_Plan(...)``, shared by every SigV4 signing for the same credentials and scope within
    the same second. Only inputs already known good take the shared path, so a bad one is
    reported exactly as ``_Plan`` reports it."""
    if (
        algorithm == "sigv4"
        and type(service) is str
        and type(region) is str
        and scope_name_problem("service", service) is None
        and isinstance(credentials, Credentials)
    ):
        return _shared_plan(credentials, region, service, amz_date(timestamp))
    return _Plan(credentials, region, service, timestamp, algorithm)


_SHARED_PLANS: Memo[tuple[str, int, str | None, str, str, str], _Plan] = Memo(
    64,
    name="sigv4kit.signing._shared_plan",
    keys="(key id, secret's fingerprint, token, scope, second)",
    reason="a burst signs with one plan per credential, scope and second",
)


def _shared_plan(credentials: Credentials, region: str, service: str, amzdate: str) -> _Plan:
    """The plan, keyed (and kept) without the secret: it holds the derived signing key and a
    copy of the credentials whose secret is a placeholder."""
    key = (credentials.access_key_id, secret_fingerprint(credentials.secret_access_key),
           credentials.session_token, region, service, amzdate)
    plan = _SHARED_PLANS.get(key)
    if plan is None:
        plan = _Plan(credentials, region, service, amzdate, "sigv4")
        plan.credentials = Credentials(credentials.access_key_id, "(not kept)",
                                       credentials.session_token)
        _SHARED_PLANS.put(key, plan)
    return plan


def _payload_hash(opts: Options, request: Request, stated: str | None) -> str:
    """The payload hash to sign: the option, else the X-Amz-Content-SHA256 the request itself
    states (``stated``: the server hashes with that value; with ``content_sha256_header`` we
    replace the header instead), else the SHA-256 of the body."""
    if opts.payload_hash is not None:
        return opts.payload_hash
    if stated is not None and (not opts.content_sha256_header or opts.stated_sha256):
        if not is_payload_hash(stated):
            raise SigningError(
                "headers: X-Amz-Content-SHA256 must be a lower-case hex SHA-256 digest, "
                "UNSIGNED-PAYLOAD or a STREAMING-… value",
                field="headers",
            )
        return stated
    return body_sha256(request.body)


_logger: Any = None


def _debug_logger() -> Any:
    """The ``sigv4kit.signing`` logger if it would emit DEBUG records, else None.

    ``logging`` is not imported for it: until the program imports ``logging`` nothing can
    have asked for these records, and the CLI and most callers never do.
    """
    global _logger
    if _logger is None:
        logging = sys.modules.get("logging")
        if logging is None:
            return None
        _logger = logging.getLogger("sigv4kit.signing")
    return _logger if _logger.isEnabledFor(10) else None  # 10: logging.DEBUG


def __getattr__(name: str) -> Any:
    if name == "logger":  # the module logger, as a module attribute, for those who look for it
        import logging

        return logging.getLogger("sigv4kit.signing")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _not_unicode() -> SigningError:
    return SigningError("request: contains text that is not valid Unicode", field="request")


def _signature(kind: str, plan: _Plan, canonical: CanonicalRequest) -> tuple[str, str]:
    """Tasks 2 to 4 over task 1's value, the same in every mode: the string to sign
    (#create-string-to-sign) and its signature (#calculate-signature) under the plan's
    signing key (task 3, #derive-signing-key: derived once a day, ``keys.cached_signing_key``),
    logged at DEBUG with the canonical request."""
    try:
        to_sign = string_to_sign(plan.algorithm, plan.amzdate, plan.scope, canonical)
    except UnicodeEncodeError:
        raise _not_unicode() from None
    sig = plan.sign(to_sign)
    logger = _debug_logger()
    if logger is not None:
        logger.debug(
            "%s canonical request:\n%s\n%s string to sign:\n%s",
            kind,
            redact_canonical_headers(redact_credentials(canonical.text, plan.credentials)),
            kind,
            to_sign,
        )
    return to_sign, sig


def _request_headers(
    request: Request, opts: Options
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], bool, str | None]:
    """One pass over the request's headers: those kept (all but the ones signing sets, which
    are replaced, never duplicated), those of them signed, whether Host is among them, and
    the X-Amz-Content-SHA256 value the request states (repeated values joined with ',')."""
    drop = _REPLACED_WITH_SHA256 if opts.content_sha256_header else _REPLACED_HEADERS
    kept = []
    signed = []
    has_host = False
    stated = None
    for name, value in request.headers:
        lname = name.lower()
        if lname not in drop:
            kept.append((name, value))
            if lname not in UNSIGNED_HEADERS:
                signed.append((name, value))
                if lname == "host":
                    has_host = True
                elif lname == "x-amz-content-sha256":
                    stated = value if stated is None else f"{stated},{value}"
        elif lname == "x-amz-content-sha256":  # replaced: kept only as the hash it states
            stated = value if stated is None else f"{stated},{value}"
    return kept, signed, has_host, stated


def _headers_to_sign(
    signed: list[tuple[str, str]], has_host: bool, host: str, added: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    if not has_host:
        if not host:
            raise SigningError(
                "url: a request target without scheme and host needs a Host header", field="url"
            )
        signed.append(("host", host))
    return signed + added


_canonical_headers = cached(
    16, name="_canonical_headers", keys="header pairs (with token, X-Amz-Date)",
    reason="a client signs the same headers within a second",
)(canonical_headers)
"""The headers a client signs are the same request after request (its Content-Type, the
host, the session token) but for X-Amz-Date, which changes once a second: their canonical
block is built once per second, not per request."""


def _canonical_uri(path: str, opts: Options) -> str:
    return canonical_uri(
        path, normalize_path=opts.normalize_path, double_encode_path=opts.double_encode_path
    )


def _sign(request: Request, plan: _Plan, opts: Options) -> SignedRequest:
    """Header signing, in the spec's order; the request returned is a new one.

    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
    """
    if not isinstance(request, Request):
        raise SigningError("request: must be a sigv4kit.Request", field="request")
    # Task 1 (#create-canonical-request), with the headers signing adds.
    canonical, kept, added = _header_canonical_request(request, plan, opts)
    # Tasks 2-4.
    to_sign, sig = _signature("header", plan, canonical)
    # Add the signature to the request (#add-signature-to-request).
    token = plan.credentials.session_token
    if token is not None and not opts.sign_session_token:
        added.append(("X-Amz-Security-Token", token))
    added.append(("Authorization", (
        f"{plan.algorithm} Credential={plan.credential}, "
        f"SignedHeaders={canonical.signed_headers}, Signature={sig}"
    )))
    kept += added
    return trusted(SignedRequest, {
        "request": trusted(Request, {
            "method": request.method, "url": request.url, "headers": tuple(kept),
            "body": request.body,
        }),
        "canonical_request": canonical.text,
        "string_to_sign": to_sign,
        "signature": sig,
        "algorithm": plan.algorithm,
        "credential_scope": plan.scope,
        "signed_headers": canonical.signed_headers,
        "timestamp": plan.amzdate,
        "added_headers": tuple(added),
    })


def _header_canonical_request(
    request: Request, plan: _Plan, opts: Options
) -> tuple[CanonicalRequest, list[tuple[str, str]], list[tuple[str, str]]]:
    """Task 1 in header mode, and the headers the signed request keeps and those signing adds
    so far (X-Amz-Date, the token, X-Amz-Region-Set, X-Amz-Content-SHA256 as they apply)."""
    parts = split_url(request.url)
    kept, signed_headers, has_host, stated = _request_headers(request, opts)
    payload = _payload_hash(opts, request, stated)
    added = [("X-Amz-Date", plan.amzdate)]
    if plan.region_set is not None:
        added.append(("X-Amz-Region-Set", plan.region_set))
    token = plan.credentials.session_token
    if token is not None and opts.sign_session_token:
        added.append(("X-Amz-Security-Token", token))
    if opts.content_sha256_header:
        added.append(("X-Amz-Content-SHA256", payload))
    to_sign = _headers_to_sign(signed_headers, has_host, parts.host, added)
    try:
        block, signed = _canonical_headers(tuple(to_sign))
        query = canonical_query_string(canonical_query_pairs(parts.query)) if parts.query else ""
        uri = _canonical_uri(parts.path, opts)
    except UnicodeEncodeError:
        raise _not_unicode() from None
    canonical = _canonical_request(request.method.upper(), uri, query, block, signed, payload)
    return canonical, kept, added


_SENDABLE = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*")
"""Text a URL's path or query may carry as it is (RFC 3986 ``pchar``, '/' and '?', escapes)."""
_UNSENDABLE = re.compile(r"%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]+")


def wire_form(text: str) -> str:
    """``text`` (a URL's path or query) as it goes on the wire: each character a URL cannot
    carry raw (space, non-ASCII, ``"<>\\^`{|}``, a '%' that starts no escape) percent-encoded
    as UTF-8 with upper-case hex, everything else, escapes included, kept byte for byte. It is
    what curl, a browser and ``requests`` send for it, so it is what a presigned URL must hold
    and what is signed."""
    if _SENDABLE.fullmatch(text):
        return text
    try:
        return _UNSENDABLE.sub(lambda m: uri_encode_bytes(m.group().encode("utf-8")), text)
    except UnicodeEncodeError:
        raise _not_unicode() from None


def _wire_path(path: str, opts: Options) -> str:
    """The path of a presigned URL: ``wire_form``, and under S3's path rules (encoded once)
    each '+' as ``%2B``. S3 reads a raw '+' in a path as a space, so ``/a+b`` would fetch
    ``a b`` and fail its signature; ``%2B`` names the key ``a+b`` signed (the canonical URI
    is the same, so the signature is too), as botocore's URL does."""
    wire = wire_form(path)
    return wire if opts.double_encode_path or "+" not in wire else wire.replace("+", "%2B")


class _QueryTarget:
    """What a presigned URL carries ahead of its X-Amz-* parameters, and the parts of the
    canonical request that do not depend on them: ``base`` and ``query`` as sent (wire form,
    without the X-Amz-* parameters presigning sets), ``pairs`` the canonical pairs of
    ``query``, ``headers`` those the sender must send (the signed ones but Host). A slotted
    class, not a NamedTuple: made and read once per URL, and slot reads are the cheapest."""

    __slots__ = ("base", "block", "headers", "method", "pairs", "payload", "query", "signed", "uri")

    def __init__(
        self,
        method: str,
        base: str,
        query: str,
        pairs: list[tuple[str, str]],
        headers: tuple[tuple[str, str], ...],
        block: str,
        signed: str,
        uri: str,
        payload: str,
    ) -> None:
        self.method = method
        self.base = base
        self.query = query
        self.pairs = pairs
        self.headers = headers
        self.block = block
        self.signed = signed
        self.uri = uri
        self.payload = payload


def _presign(request: Request, plan: _Plan, opts: Options, expires: int) -> PresignedRequest:
    if not isinstance(request, Request):
        raise SigningError("request: must be a sigv4kit.Request", field="request")
    expires = check_expires(expires)
    return _presigned(_query_target(request, opts), plan, expires, opts.sign_session_token)


def _query_target(request: Request, opts: Options) -> _QueryTarget:
    """The target of ``request``: its URL in wire form (what is sent is what is signed)."""
    url = request.url.partition("#")[0]
    parts = split_url(url)
    base, _, _ = url.partition("?")
    wire_path = _wire_path(parts.path, opts)
    wire_query = wire_form(parts.query) if parts.query else ""
    if wire_path != parts.path:
        base = base[: len(base) - len(parts.path)] + wire_path
        parts = parts._replace(path=wire_path)
    if wire_query != parts.query:
        parts = parts._replace(query=wire_query)
    _, signed_headers, has_host, stated = _request_headers(request, opts)
    payload = _payload_hash(opts, request, stated)
    added = [("X-Amz-Content-SHA256", payload)] if opts.content_sha256_header else []
    to_sign = _headers_to_sign(signed_headers, has_host, parts.host, added)
    query = _without_auth_params(parts.query) if parts.query else ""
    try:
        pairs = canonical_query_pairs(query) if query else []
        block, signed = _canonical_headers(tuple(to_sign))
        uri = _canonical_uri(parts.path, opts)
    except UnicodeEncodeError:
        raise _not_unicode() from None
    headers = tuple([(n, v) for n, v in to_sign if n.lower() != "host"])
    return _QueryTarget(
        request.method, base, query, pairs, headers, block, signed, uri, payload
    )


def _presigned(
    target: _QueryTarget, plan: _Plan, expires: int, sign_token: bool
) -> PresignedRequest:
    """Query presigning, in the spec's order: the signature goes into the URL's query.

    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
    https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
    """
    # Task 1 (#create-canonical-request): the X-Amz-* parameters but the signature are signed,
    # sorted into the request's own query.
    method, signed = target.method, target.signed
    try:
        auth_query, auth_canonical, auth = _auth_params(
            plan.algorithm, plan.credential, plan.amzdate, signed, expires,
            plan.credentials.session_token, sign_token, plan.region_set,
        )
        query = _canonical_query_with_auth(target.pairs, auth, auth_canonical)
    except UnicodeEncodeError:
        raise _not_unicode() from None
    canonical = _canonical_request(
        method.upper(), target.uri, query, target.block, signed, target.payload
    )
    # Tasks 2-4.
    to_sign, sig = _signature("query", plan, canonical)
    # Add the signature to the request (#add-signature-to-request): X-Amz-Signature, last.
    if target.query:
        url = f"{target.base}?{target.query}&{auth_query}&X-Amz-Signature={sig}"
    else:
        url = f"{target.base}?{auth_query}&X-Amz-Signature={sig}"
    return trusted(PresignedRequest, {
        "url": url,
        "method": method,
        "headers": target.headers,
        "canonical_request": canonical.text,
        "string_to_sign": to_sign,
        "signature": sig,
        "algorithm": plan.algorithm,
        "credential_scope": plan.scope,
        "signed_headers": signed,
        "timestamp": plan.amzdate,
        "expires": expires,
    })


def _without_auth_params(query: str) -> str:
    """The query minus the X-Amz-* parameters presigning sets (they are replaced, never
    duplicated) and minus empty pieces."""
    pieces = query.split("&") if query else []
    if "X-Amz-" in query or "" in pieces:
        pieces = [p for p in pieces if p and p.partition("=")[0] not in AUTH_QUERY_PARAMS]
        query = "&".join(pieces)
    return query


_FIRST_AUTH_PAIR = ("X-Amz-Algorithm",)
_LAST_AUTH_NAME = "X-Amz-SignedHeaders"
"""The signed X-Amz-* parameters sort together, from X-Amz-Algorithm to X-Amz-SignedHeaders."""


def _canonical_query_with_auth(
    pairs: list[tuple[str, str]], auth: tuple[tuple[str, str], ...], auth_canonical: str
) -> str:
    """``canonical_query_string`` of ``pairs`` plus the signed X-Amz-* parameters ``auth``, whose
    canonical text (``auth_canonical``) is built once per scope and second: unless a pair of
    the request sorts among them (such as X-Amz-Content-Sha256), it goes in one piece where
    they sort."""
    if not pairs:
        return auth_canonical
    ordered = sorted(pairs)
    at = bisect_left(ordered, _FIRST_AUTH_PAIR)
    if at < len(ordered) and ordered[at][0] <= _LAST_AUTH_NAME:
        return canonical_query_string([*pairs, *auth])
    pieces = [f"{k}={v}" for k, v in ordered]
    pieces.insert(at, auth_canonical)
    return "&".join(pieces)


@cached(64, keys="(algorithm, credential, second, token, …)", reason="one per scope and second")
def _auth_params(
    algorithm: str,
    credential: str,
    amzdate: str,
    signed_headers: str,
    expires: int,
    token: str | None,
    sign_token: bool,
    region_set: str | None,
) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """The X-Amz-* parameters of a presigned URL but the signature: all of them as query text in
    the order they are sent, and those signed as canonical query text (sorted) and as pairs.

    They are the same for every URL a credential signs for one scope within one second, so
    a burst of presigning builds them once.
    """
    signed = [
        ("X-Amz-Algorithm", algorithm),
        ("X-Amz-Credential", _encoded_credential_value(credential)),
        ("X-Amz-Date", amzdate),
        ("X-Amz-SignedHeaders", uri_encode(signed_headers)),
        ("X-Amz-Expires", f"{expires}"),
    ]
    if token is not None and sign_token:
        signed.append(("X-Amz-Security-Token", _encoded_credential_value(token)))
    if region_set is not None:
        signed.append(("X-Amz-Region-Set", uri_encode(region_set)))
    sent = list(signed)
    if token is not None and not sign_token:
        sent.append(("X-Amz-Security-Token", _encoded_credential_value(token)))
    return "&".join([f"{k}={v}" for k, v in sent]), canonical_query_string(signed), tuple(signed)


def presign_get_query(
    base_url: str,
    pairs: Iterable[tuple[str, str]],
    credentials: Credentials,
    *,
    region: str,
    service: str,
    expires: int = 3600,
    timestamp: str | datetime | None = None,
    encoded: bool = False,
) -> PresignedRequest:
    """``presign(Request("GET", f"{base_url}?{query}"), …)`` for the query of the unencoded
    ``pairs`` (each name and value is ``uri_encode``d; with ``encoded=True`` they already are,
    as the caller vouches); the same result, without joining the query only to split it again.

    ``base_url`` is ``scheme://host/path`` without query or fragment. For callers that build
    the query themselves, such as the CopySnapshot PresignedUrl.
    """
    plan = _plan(credentials, region, service, timestamp, "sigv4")
    expires = check_expires(expires)
    opts = resolve(service, {}, presign=True)
    block, signed, uri = _query_base(base_url, opts)
    if encoded:
        canonical_pairs = pairs if isinstance(pairs, list) else list(pairs)
        query = "&".join([f"{k}={v}" for k, v in canonical_pairs])
    else:
        query, canonical_pairs = encoded_query(pairs)
    if "X-Amz-" in query:  # parameters presigning sets itself: dropped, as `presign` does
        query = _without_auth_params(query)
        canonical_pairs = canonical_query_pairs(query)
    target = _QueryTarget(
        "GET", base_url, query, canonical_pairs, (), block, signed, uri,
        opts.payload_hash or EMPTY_SHA256,
    )
    return _presigned(target, plan, expires, True)


@cached(64, keys="base URL, options", reason="a presigner signs for few base URLs")
def _query_base(base_url: str, opts: Options) -> tuple[str, str, str]:
    """A base URL checked as ``Request`` and ``presign`` check a URL, and the parts of its
    canonical request that depend on it alone: the header block (Host alone), the signed
    headers and the canonical URI, made once per URL (``_query_target``'s, precomputed)."""
    if not base_url or "?" in base_url or "#" in base_url:
        raise SigningError(
            "url: must be scheme://host/path, without query or fragment", field="url"
        )
    Request("GET", base_url)
    parts = split_url(base_url)
    if not parts.host:
        raise SigningError(
            "url: a request target without scheme and host needs a Host header", field="url"
        )
    block, signed = canonical_headers([("host", parts.host)])
    return block, signed, _canonical_uri(parts.path, opts)


def sign_request(
    request: Request,
    credentials: Credentials,
    *,
    region: RegionSet,
    service: str,
    timestamp: str | datetime | None = None,
    algorithm: Algorithm = "sigv4",
    **options: Unpack[SigningOptions],
) -> SignedRequest:
    """Sign ``request`` with an Authorization header; returns the new request and the canonical
    request, string to sign and signature that produced it."""
    plan = _plan(credentials, region, service, timestamp, algorithm)
    return _sign(request, plan, resolve(service, options, presign=False))


def presign(
    request: Request,
    credentials: Credentials,
    *,
    region: RegionSet,
    service: str,
    expires: int = 3600,
    timestamp: str | datetime | None = None,
    algorithm: Algorithm = "sigv4",
    **options: Unpack[SigningOptions],
) -> PresignedRequest:
    """Sign ``request`` into its URL's query string, valid for ``expires`` seconds (1..604800).

    The URL returned is pasteable: what its path or query holds that no client sends raw (a
    space, UTF-8, a stray '%') is percent-encoded (``wire_form``), and that form is what is
    signed, for every service, so curl, a browser or ``requests`` send the bytes signed."""
    plan = _plan(credentials, region, service, timestamp, algorithm)
    return _presign(request, plan, resolve(service, options, presign=True), expires)


class Signer:
    """Credentials, scope and options held once for many requests.

    Signing keys are derived once per day and kept in a bounded cache; ``Signer.for_s3`` gives
    S3's rules for both header signing and presigning.
    """

    __slots__ = ("_presign_opts", "_sign_opts", "algorithm", "credentials", "region", "service")

    def __init__(
        self,
        credentials: Credentials,
        *,
        region: RegionSet,
        service: str,
        algorithm: Algorithm = "sigv4",
        **options: Unpack[SigningOptions],
    ) -> None:
        _Plan(credentials, region, service, "20150830T123600Z", algorithm)
        self.credentials = credentials
        self.region = region
        self.service = service
        self.algorithm: Algorithm = algorithm
        self._sign_opts = resolve(service, options, presign=False)
        self._presign_opts = resolve(service, options, presign=True)

    @classmethod
    def for_s3(
        cls, credentials: Credentials, *, region: RegionSet, algorithm: Algorithm = "sigv4"
    ) -> Signer:
        """A signer for S3: ``S3_OPTIONS`` for headers, ``S3_PRESIGN_OPTIONS`` for URLs (what
        ``service="s3"`` gets by default; kept as the name says what it is for)."""
        return cls(credentials, region=region, service="s3", algorithm=algorithm)

    def _plan(self, timestamp: str | datetime | None) -> _Plan:
        return _plan(self.credentials, self.region, self.service, timestamp, self.algorithm)

    def sign(self, request: Request, timestamp: str | datetime | None = None) -> SignedRequest:
        """Header-sign ``request``; see ``sign_request``."""
        return _sign(request, self._plan(timestamp), self._sign_opts)

    def presign(
        self, request: Request, expires: int = 3600, timestamp: str | datetime | None = None
    ) -> PresignedRequest:
        """Query-sign ``request``; see ``presign``."""
        return _presign(request, self._plan(timestamp), self._presign_opts, expires)

    def __repr__(self) -> str:
        return (
            f"Signer(credentials={self.credentials!r}, region={self.region!r}, "
            f"service={self.service!r}, algorithm={self.algorithm!r})"
        )
