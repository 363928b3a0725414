"""Tasks 2-4 of SigV4 and the two ways to attach a signature: headers and query string.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html

``sign_request`` returns a new request carrying X-Amz-Date, Authorization and friends;
``presign`` returns a URL carrying the X-Amz-* query parameters. Neither touches the caller's
request, the network, the disk or (when a timestamp is given) the clock.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from hashlib import sha256
from typing import Literal, TypedDict, Unpack

from .canonical import (
    UNSIGNED_HEADERS,
    canonical_headers,
    canonical_query_pairs,
    canonical_query_string,
    canonical_request,
    canonical_uri,
    uri_encode,
)
from .errors import SigningError
from .model import Credentials, PresignedRequest, Request, SignedRequest
from .redact import redact_text
from .url import split_url

logger = logging.getLogger("sigv4kit.signing")

ALGORITHM = "AWS4-HMAC-SHA256"
ALGORITHM_V4A = "AWS4-ECDSA-P256-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_SHA256 = sha256(b"").hexdigest()
MAX_EXPIRES = 604800
"""Seven days: the longest validity SigV4 allows a presigned URL."""

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

_REPLACED_HEADERS = frozenset(
    {"authorization", "x-amz-date", "x-amz-security-token", "x-amz-region-set"}
)
_REPLACED_WITH_SHA256 = _REPLACED_HEADERS | {"x-amz-content-sha256"}
_AMZ_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z")
_PAYLOAD_HASH = re.compile(r"[0-9a-f]{64}|UNSIGNED-PAYLOAD|STREAMING-[A-Z0-9-]+")
_SCOPE_PART = re.compile(r"[A-Za-z0-9*._-]+")

Algorithm = Literal["sigv4", "sigv4a"]
RegionSet = str | Sequence[str]


class SigningOptions(TypedDict, total=False):
    """The keyword options of ``sign_request``, ``presign`` and ``Signer``; defaults suit every
    service but S3."""

    normalize_path: bool
    double_encode_path: bool
    payload_hash: str | None
    content_sha256_header: bool
    sign_session_token: bool


S3_OPTIONS: SigningOptions = {
    "normalize_path": False,
    "double_encode_path": False,
    "content_sha256_header": True,
}
"""Header signing as S3 wants it: the path encoded once and never normalised, and the payload
hash sent and signed as X-Amz-Content-SHA256."""

S3_PRESIGN_OPTIONS: SigningOptions = {
    "normalize_path": False,
    "double_encode_path": False,
    "payload_hash": UNSIGNED_PAYLOAD,
}
"""Presigning as S3 wants it: the URL's holder chooses the body, so it is not signed."""


@dataclass(frozen=True, slots=True)
class _Options:
    normalize_path: bool = True
    double_encode_path: bool = True
    payload_hash: str | None = None
    content_sha256_header: bool = False
    sign_session_token: bool = True

    @classmethod
    def of(cls, options: SigningOptions) -> _Options:
        unknown = set(options) - set(SigningOptions.__annotations__)
        if unknown:
            raise SigningError(
                f"options: unknown option(s) {', '.join(sorted(unknown))}", field="options"
            )
        opts = cls(**options)
        ph = opts.payload_hash
        if ph is not None and (not isinstance(ph, str) or not _PAYLOAD_HASH.fullmatch(ph)):
            raise SigningError(
                "payload_hash: must be None, UNSIGNED-PAYLOAD, a STREAMING-… value or a "
                "lower-case hex SHA-256 digest",
                field="payload_hash",
            )
        return opts


def amz_date(timestamp: str | datetime | None = None) -> str:
    """The X-Amz-Date value (``20150830T123600Z``) for ``timestamp``: that basic ISO 8601 form,
    an extended ISO 8601 string with offset, or an aware datetime; None reads the clock."""
    if timestamp is None:
        return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if isinstance(timestamp, str):
        m = _AMZ_DATE.fullmatch(timestamp)
        if m:
            year, month, day, hour, minute, second = map(int, m.groups())
            try:
                datetime(year, month, day, hour, minute, second)
            except ValueError:
                raise SigningError(
                    f"timestamp: {timestamp!r} is not a real date and time", field="timestamp"
                ) from None
            return timestamp
        try:
            timestamp = datetime.fromisoformat(timestamp)
        except ValueError:
            raise SigningError(
                f"timestamp: {timestamp!r} is not ISO 8601 (e.g. 20150830T123600Z or "
                "2015-08-30T12:36:00Z)",
                field="timestamp",
            ) from None
    if not isinstance(timestamp, datetime):
        raise SigningError("timestamp: must be a string or a datetime", field="timestamp")
    if timestamp.tzinfo is None or timestamp.utcoffset() is None:
        raise SigningError(
            "timestamp: a naive datetime is ambiguous; give an aware one (e.g. tzinfo=UTC)",
            field="timestamp",
        )
    return timestamp.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _scope_part(name: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise SigningError(f"{name}: must be a non-empty string", field=name)
    if not _SCOPE_PART.fullmatch(value):
        raise SigningError(
            f"{name}: {value!r} may hold only letters, digits, '-', '_' and '.' (it is part "
            "of the credential scope, separated by '/')",
            field=name,
        )
    return value


def region_set_value(region: RegionSet) -> str:
    """The X-Amz-Region-Set value of a SigV4a region set: one region, ``*``, or a list."""
    regions = [region] if isinstance(region, str) else list(region)
    if not regions:
        raise SigningError("region: the SigV4a region set is empty", field="region")
    return ",".join(_scope_part("region", r) for r in regions)


def signing_key(secret_access_key: str, date: str, region: str, service: str) -> bytes:
    """Task 3: kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
    "aws4_request")."""
    key = hmac.digest(("AWS4" + secret_access_key).encode("utf-8"), date.encode(), "sha256")
    key = hmac.digest(key, region.encode(), "sha256")
    key = hmac.digest(key, service.encode(), "sha256")
    return hmac.digest(key, b"aws4_request", "sha256")


_cached_signing_key = lru_cache(maxsize=64)(signing_key)
"""Keys change once a day per (secret, region, service): deriving them once saves 4 HMACs a
request. Bounded, and never listed or printed."""


def string_to_sign(algorithm: str, amzdate: str, scope: str, canonical: str) -> str:
    """Task 2: algorithm, request time, credential scope and the hash of the canonical request."""
    digest = sha256(canonical.encode("utf-8")).hexdigest()
    return f"{algorithm}\n{amzdate}\n{scope}\n{digest}"


def signature(key: bytes, to_sign: str) -> str:
    """Task 4: the hex HMAC-SHA256 of the string to sign under the signing key."""
    return hmac.digest(key, to_sign.encode("utf-8"), "sha256").hex()


class _Plan:
    """What one signing needs, resolved from the inputs once: scope, algorithm, signer."""

    __slots__ = ("algorithm", "amzdate", "credentials", "region_set", "scope", "sign")

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
        _scope_part("service", service)
        self.credentials = credentials
        self.amzdate = amzdate = amz_date(timestamp)
        date = amzdate[:8]
        if algorithm == "sigv4":
            if not isinstance(region, str):
                raise SigningError(
                    "region: SigV4 signs for one region (a region set needs algorithm='sigv4a')",
                    field="region",
                )
            _scope_part("region", region)
            self.algorithm = ALGORITHM
            self.scope = f"{date}/{region}/{service}/aws4_request"
            self.region_set: str | None = None
            key = _cached_signing_key(credentials.secret_access_key, date, region, service)
            self.sign: Callable[[str], str] = lambda to_sign: signature(key, to_sign)
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


def _payload_hash(opts: _Options, request: Request) -> str:
    """The payload hash to sign: the option, else the X-Amz-Content-SHA256 the request itself
    states (the server hashes with that value; with ``content_sha256_header`` we replace the
    header instead), else the SHA-256 of the body."""
    if opts.payload_hash is not None:
        return opts.payload_hash
    if not opts.content_sha256_header:
        stated = request.header("x-amz-content-sha256")
        if stated is not None:
            if not _PAYLOAD_HASH.fullmatch(stated):
                raise SigningError(
                    "headers: X-Amz-Content-SHA256 must be a lower-case hex SHA-256 digest, "
                    "UNSIGNED-PAYLOAD or a STREAMING-… value",
                    field="headers",
                )
            return stated
    return sha256(request.body).hexdigest() if request.body else EMPTY_SHA256


def _log(kind: str, plan: _Plan, canonical: str, to_sign: str) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        secrets = [plan.credentials.secret_access_key, plan.credentials.session_token]
        logger.debug(
            "%s canonical request:\n%s\n%s string to sign:\n%s",
            kind,
            redact_text(canonical, secrets),
            kind,
            to_sign,
        )


def _kept_headers(request: Request, opts: _Options) -> list[tuple[str, str]]:
    """The request's headers minus those signing sets itself (replaced, never duplicated)."""
    drop = _REPLACED_WITH_SHA256 if opts.content_sha256_header else _REPLACED_HEADERS
    return [(n, v) for n, v in request.headers if n.lower() not in drop]


def _headers_to_sign(
    headers: Iterable[tuple[str, str]], host: str, added: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    to_sign = [(n, v) for n, v in headers if n.lower() not in UNSIGNED_HEADERS]
    if not any(n.lower() == "host" for n, _ in to_sign):
        if not host:
            raise SigningError(
                "url: a request target without scheme and host needs a Host header", field="url"
            )
        to_sign.append(("host", host))
    return to_sign + added


def _sign(request: Request, plan: _Plan, opts: _Options) -> SignedRequest:
    if not isinstance(request, Request):
        raise SigningError("request: must be a sigv4kit.Request", field="request")
    parts = split_url(request.url)
    payload = _payload_hash(opts, request)
    kept = _kept_headers(request, opts)
    added = [("X-Amz-Date", plan.amzdate)]
    if plan.region_set is not None:
        added.append(("X-Amz-Region-Set", plan.region_set))
    token = plan.credentials.session_token
    if token is not None and opts.sign_session_token:
        added.append(("X-Amz-Security-Token", token))
    if opts.content_sha256_header:
        added.append(("X-Amz-Content-SHA256", payload))
    to_sign = _headers_to_sign(kept, parts.host, added)
    try:
        block, signed = canonical_headers(to_sign)
        canonical = canonical_request(
            request.method.upper(),
            canonical_uri(
                parts.path,
                normalize_path=opts.normalize_path,
                double_encode_path=opts.double_encode_path,
            ),
            canonical_query_string(canonical_query_pairs(parts.query)),
            block,
            signed,
            payload,
        )
        to_sign_str = string_to_sign(plan.algorithm, plan.amzdate, plan.scope, canonical)
    except UnicodeEncodeError:
        raise SigningError(
            "request: contains text that is not valid Unicode", field="request"
        ) from None
    sig = plan.sign(to_sign_str)
    _log("header", plan, canonical, to_sign_str)
    auth = (
        f"{plan.algorithm} Credential={plan.credentials.access_key_id}/{plan.scope}, "
        f"SignedHeaders={signed}, Signature={sig}"
    )
    headers = kept + added
    if token is not None and not opts.sign_session_token:
        headers.append(("X-Amz-Security-Token", token))
    headers.append(("Authorization", auth))
    signed_request = Request._trusted(request.method, request.url, tuple(headers), request.body)
    return SignedRequest(
        request=signed_request,
        canonical_request=canonical,
        string_to_sign=to_sign_str,
        signature=sig,
        algorithm=plan.algorithm,
        credential_scope=plan.scope,
        signed_headers=signed,
        timestamp=plan.amzdate,
    )


def _check_expires(expires: object) -> int:
    if isinstance(expires, bool) or not isinstance(expires, int):
        raise SigningError(
            f"expires: must be a whole number of seconds, got {expires!r}", field="expires"
        )
    if not 1 <= expires <= MAX_EXPIRES:
        raise SigningError(
            f"expires: must be between 1 and {MAX_EXPIRES} seconds (7 days), got {expires}",
            field="expires",
        )
    return expires


def _presign(request: Request, plan: _Plan, opts: _Options, expires: int) -> PresignedRequest:
    if not isinstance(request, Request):
        raise SigningError("request: must be a sigv4kit.Request", field="request")
    expires = _check_expires(expires)
    parts = split_url(request.url)
    payload = _payload_hash(opts, request)
    kept = _kept_headers(request, opts)
    added = [("X-Amz-Content-SHA256", payload)] if opts.content_sha256_header else []
    to_sign = _headers_to_sign(kept, parts.host, added)
    base = request.url.partition("#")[0].partition("?")[0]
    pieces = [
        p for p in parts.query.split("&") if p and p.partition("=")[0] not in AUTH_QUERY_PARAMS
    ]
    try:
        block, signed = canonical_headers(to_sign)
        token = plan.credentials.session_token
        auth = [
            f"X-Amz-Algorithm={plan.algorithm}",
            f"X-Amz-Credential={uri_encode(plan.credentials.access_key_id + '/' + plan.scope)}",
            f"X-Amz-Date={plan.amzdate}",
            f"X-Amz-SignedHeaders={uri_encode(signed)}",
            f"X-Amz-Expires={expires}",
        ]
        if token is not None and opts.sign_session_token:
            auth.append(f"X-Amz-Security-Token={uri_encode(token)}")
        if plan.region_set is not None:
            auth.append(f"X-Amz-Region-Set={uri_encode(plan.region_set)}")
        pairs = canonical_query_pairs("&".join(pieces))
        pairs.extend(tuple(a.split("=", 1)) for a in auth)  # type: ignore[misc]
        canonical = canonical_request(
            request.method.upper(),
            canonical_uri(
                parts.path,
                normalize_path=opts.normalize_path,
                double_encode_path=opts.double_encode_path,
            ),
            canonical_query_string(pairs),
            block,
            signed,
            payload,
        )
        to_sign_str = string_to_sign(plan.algorithm, plan.amzdate, plan.scope, canonical)
    except UnicodeEncodeError:
        raise SigningError(
            "request: contains text that is not valid Unicode", field="request"
        ) from None
    sig = plan.sign(to_sign_str)
    _log("query", plan, canonical, to_sign_str)
    if token is not None and not opts.sign_session_token:
        auth.append(f"X-Amz-Security-Token={uri_encode(token)}")
    auth.append(f"X-Amz-Signature={sig}")
    url = f"{base}?{'&'.join(pieces + auth)}"
    return PresignedRequest(
        url=url,
        method=request.method,
        headers=tuple((n, v) for n, v in to_sign if n.lower() != "host"),
        canonical_request=canonical,
        string_to_sign=to_sign_str,
        signature=sig,
        algorithm=plan.algorithm,
        credential_scope=plan.scope,
        signed_headers=signed,
        timestamp=plan.amzdate,
        expires=expires,
    )


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
    plan = _Plan(credentials, region, service, timestamp, algorithm)
    return _sign(request, plan, _Options.of(options))


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
    """Sign ``request`` into its URL's query string, valid for ``expires`` seconds (1..604800)."""
    plan = _Plan(credentials, region, service, timestamp, algorithm)
    return _presign(request, plan, _Options.of(options), expires)


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
        self._sign_opts = self._presign_opts = _Options.of(options)

    @classmethod
    def for_s3(
        cls, credentials: Credentials, *, region: RegionSet, algorithm: Algorithm = "sigv4"
    ) -> Signer:
        """A signer for S3: ``S3_OPTIONS`` for headers, ``S3_PRESIGN_OPTIONS`` for URLs."""
        signer = cls(credentials, region=region, service="s3", algorithm=algorithm, **S3_OPTIONS)
        signer._presign_opts = _Options.of(S3_PRESIGN_OPTIONS)
        return signer

    def _plan(self, timestamp: str | datetime | None) -> _Plan:
        return _Plan(self.credentials, self.region, self.service, timestamp, self.algorithm)

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
