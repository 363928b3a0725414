"""Checking a received SigV4 or SigV4a signature as an AWS front end would, and saying why not.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html

The request is read exactly as received: the signature (Authorization header, or X-Amz-* query
parameters of a presigned URL) says which headers were signed and for which scope; the canonical
request is rebuilt from those parts only and signed again with the looked-up secret (SigV4) or
checked against the derived public key (SigV4a). Every failure is a ``VerifyResult`` with a
short ``reason`` code and a message a person can act on; no input makes this module raise, and
no message quotes a secret, a session token or a signature.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from hashlib import sha256
from typing import Literal, TypeVar
from urllib.parse import unquote

from .canonical import (
    canonical_header_value,
    canonical_query_pairs,
    canonical_query_string,
    canonical_request,
    canonical_uri,
)
from .errors import SigningError
from .model import Credentials, HeadersLike, Request
from .redact import redacted
from .signing import (
    ALGORITHM,
    ALGORITHM_V4A,
    AUTH_QUERY_PARAMS,
    EMPTY_SHA256,
    MAX_EXPIRES,
    UNSIGNED_PAYLOAD,
    _cached_signing_key,
    amz_date,
    string_to_sign,
)
from .url import SplitUrl, split_url
from .wire import MalformedInputError, check_limits, parse_url

Lookup = Callable[[str], Credentials | None]
"""Maps an access key id to its credentials, or None when the key is unknown."""

S3_SERVICES = frozenset({"s3", "s3-object-lambda", "s3-outposts"})
"""Services whose canonical URI is the path encoded once and never normalised (S3's rules)."""

DEFAULT_MAX_SKEW = timedelta(minutes=5)
"""How far X-Amz-Date may be from the server's clock; AWS allows five minutes."""


class Reason(StrEnum):
    """Why a signature was accepted or refused; each value equals its short code string."""

    OK = "ok"
    MALFORMED = "malformed"
    NOT_SIGNED = "not_signed"
    UNSUPPORTED_ALGORITHM = "unsupported_algorithm"
    SCOPE_MISMATCH = "scope_mismatch"
    REQUIRED_HEADER_NOT_SIGNED = "required_header_not_signed"
    MISSING_SIGNED_HEADER = "missing_signed_header"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    UNKNOWN_ACCESS_KEY = "unknown_access_key"
    TOKEN_MISMATCH = "token_mismatch"
    SIGNATURE_MISMATCH = "signature_mismatch"
    PAYLOAD_HASH_MISMATCH = "payload_hash_mismatch"


@dataclass(frozen=True, repr=False)
class ReceivedSignature:
    """What a request's signature claims, parsed and syntax-checked but not yet verified.

    ``region`` is set for SigV4, ``region_set`` for SigV4a. ``expires`` (seconds) exists in
    query mode only and is not range-checked here, so the debugger can report a bad value.
    ``session_token_signed`` is known in header mode (SignedHeaders says); in query mode it is
    None, because only the secret can tell whether the token was signed or appended afterwards.
    """

    mode: Literal["header", "query"]
    algorithm: str
    access_key_id: str
    credential_scope: str
    scope_date: str
    region: str | None
    region_set: tuple[str, ...] | None
    service: str
    amz_date: str
    issued: datetime
    expires: int | None
    signed_headers: tuple[str, ...]
    signature: str
    session_token: str | None
    session_token_signed: bool | None

    def __repr__(self) -> str:
        token = None if self.session_token is None else redacted(self.session_token)
        return (
            f"ReceivedSignature(mode={self.mode!r}, algorithm={self.algorithm!r}, "
            f"access_key_id={self.access_key_id!r}, credential_scope={self.credential_scope!r}, "
            f"amz_date={self.amz_date!r}, expires={self.expires!r}, "
            f"signed_headers={self.signed_headers!r}, signature={redacted(self.signature)!r}, "
            f"session_token={token!r})"
        )


@dataclass(frozen=True, repr=False)
class VerifyResult:
    """The verdict on one request.

    ``canonical_request`` and ``string_to_sign`` are what the request, as received, hashes to;
    compare them with the signer's debug output to find the difference. They are set once
    verification got that far. The canonical request may contain the session token: redact it
    (``sigv4kit.redact.redact_text``) before printing it.
    """

    valid: bool
    reason: Reason
    message: str
    received: ReceivedSignature | None = None
    session_token_signed: bool | None = None
    canonical_request: str | None = None
    string_to_sign: str | None = None

    def __repr__(self) -> str:
        return (
            f"VerifyResult(valid={self.valid!r}, reason={self.reason.value!r}, "
            f"message={self.message!r})"
        )


_T = TypeVar("_T")


def _built(cls: type[_T], **fields: object) -> _T:
    """A frozen dataclass built from values this module produced, without the generated
    ``__init__`` (an ``object.__setattr__`` call per field): every field must be given. The
    keyword dictionary becomes the instance's, uncopied."""
    self = object.__new__(cls)
    object.__setattr__(self, "__dict__", fields)
    return self


class _View:
    """The request as the canonical request needs it, computed once: lower-cased header groups
    in the order received, and the query's canonical pairs."""

    __slots__ = ("groups", "pairs", "parts", "request")

    def __init__(self, request: Request, parts: SplitUrl) -> None:
        self.request = request
        self.parts = parts
        groups: dict[str, list[str]] = {}
        for name, value in request.headers:
            lname = name.lower()
            values = groups.get(lname)
            if values is None:
                groups[lname] = [value]
            else:
                values.append(value)
        self.groups = groups
        self.pairs = _canonical_pairs(parts.query) if parts.query else []


_ESCAPED_BYTE = r"%(?:[01][0-9A-F]|2[0-9A-CF]|3[A-F]|[46]0|5[B-E]|7[B-DF]|[89A-F][0-9A-F])"
_ENCODED = rf"[A-Za-z0-9_.~-]*+(?:{_ESCAPED_BYTE}[A-Za-z0-9_.~-]*+)*+"
_CANONICAL_PIECE = re.compile(rf"{_ENCODED}(?:={_ENCODED})?+").fullmatch
"""A ``name=value`` piece of unreserved characters and upper-case escapes of reserved bytes
only is exactly what the core's re-encoding would produce, so it can be split without
decoding. (Possessive quantifiers: no backtracking, whatever the input.)"""


def _canonical_pairs(query: str) -> list[tuple[str, str]]:
    """``canonical.canonical_query_pairs`` with a fast path: pieces already in canonical form
    (the usual case for a presigned URL) are split, not decoded and re-encoded."""
    pairs: list[tuple[str, str]] = []
    append = pairs.append
    for piece in query.split("&"):
        if len(piece) > 256:
            append(_canonical_long_pair(piece))
        elif piece:  # an empty piece ('&&') carries nothing
            append(_canonical_short_pair(piece))
    return pairs


def _canonical_pair(piece: str) -> tuple[str, str]:
    """The canonical pair of one non-empty ``name=value`` piece."""
    if _CANONICAL_PIECE(piece):
        key, _, value = piece.partition("=")
        return key, value
    return canonical_query_pairs(piece)[0]


_canonical_short_pair = lru_cache(maxsize=256)(_canonical_pair)
"""Most pieces recur from URL to URL (the action, the version, regions, the X-Amz-*
parameters of a credential's second): a cache hit costs a third of the regex match. Pieces
of up to 256 characters only, so the cache stays under 64 KiB of text."""
_canonical_long_pair = lru_cache(maxsize=16)(_canonical_pair)
"""Long pieces are session tokens, the same in every URL a credential signs."""


_AMZ_DATE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})Z")
_DATE = re.compile(r"[0-9]{8}")
_ACCESS_KEY = re.compile(r"[!-.0-~]{1,128}")  # printable ASCII without space or '/'
_SCOPE_PART = re.compile(r"[A-Za-z0-9._-]{1,64}")
_REGION_SET_ITEM = re.compile(r"[A-Za-z0-9._*-]{1,64}")
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9a-z]{1,256}")
_SIGV4A_SIGNATURE = re.compile(r"(?:[0-9a-f]{2}){8,80}")
_HEX_SHA256 = re.compile(r"[0-9a-f]{64}")
_LOWER_HEX = "0123456789abcdef"
_REQUIRED_QUERY_PARAMS = dict.fromkeys(
    (
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Signature",
    )
)
"""The X-Amz-* parameters every presigned URL carries, in the order they are reported."""
_AUTH_FIELDS = ("Credential", "SignedHeaders", "Signature")
_QUERY_SIGNALS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature")
_KNOWN_SCHEMES = frozenset({"AWS", "AWS3", "Basic", "Bearer", "Digest", "Negotiate", "OAuth"})


def _malformed(message: str, reason: Reason = Reason.MALFORMED) -> MalformedInputError:
    return MalformedInputError(message, field=message.partition(":")[0], reason=reason.value)


def _unsupported(name: str) -> MalformedInputError:
    shown = repr(name) if name in _KNOWN_SCHEMES or name.startswith("AWS4-") else "a scheme"
    if len(shown) > 48:
        shown = "a scheme"
    return _malformed(
        f"algorithm: {shown} is not supported; only {ALGORITHM} (SigV4) and {ALGORITHM_V4A} "
        "(SigV4a) can be verified",
        Reason.UNSUPPORTED_ALGORITHM,
    )


def _parse_issued(value: str, source: str) -> datetime:
    issued = _issued(value) if len(value) == 16 else None
    if issued is None:
        raise _malformed(f"{source}: must be a real time in the form 20150830T123600Z")
    return issued


@lru_cache(maxsize=64)
def _issued(value: str) -> datetime | None:
    # Many URLs share an X-Amz-Date (signed in the same second), and `now` is often a string.
    m = _AMZ_DATE.fullmatch(value)
    if m:
        year, month, day, hour, minute, second = map(int, m.groups())
        try:
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except ValueError:
            pass
    return None


def _one_header(view: _View, lname: str, display: str) -> str | None:
    values = view.groups.get(lname)
    if values is None:
        return None
    if len(values) > 1:
        raise _malformed(f"{display}: the request carries {len(values)} of them; exactly one")
    return values[0]


@lru_cache(maxsize=64)
def _parse_credential(value: str, algorithm: str, source: str) -> tuple[str, str, str | None, str]:
    """``AKID/date/region/service/aws4_request`` (SigV4) or ``AKID/date/service/aws4_request``
    (SigV4a: the regions are in X-Amz-Region-Set instead). Cached, like the signed-header
    list: a key signs for the same scope all day."""
    parts = value.split("/")
    sigv4 = algorithm == ALGORITHM
    shape = (
        "AKID/YYYYMMDD/region/service/aws4_request"
        if sigv4
        else "AKID/YYYYMMDD/service/aws4_request"
    )
    if len(parts) != (5 if sigv4 else 4) or parts[-1] != "aws4_request":
        raise _malformed(f"{source}: must have the form {shape}")
    akid, date = parts[0], parts[1]
    if not _ACCESS_KEY.fullmatch(akid):
        raise _malformed(f"{source}: the access key id is not 1-128 printable ASCII characters")
    if not _DATE.fullmatch(date):
        raise _malformed(f"{source}: the scope date must be YYYYMMDD ({shape})")
    for piece in parts[2:-1]:
        if not _SCOPE_PART.fullmatch(piece):
            raise _malformed(
                f"{source}: region and service may hold only letters, digits, '.', '_' and '-'"
            )
    region = parts[2] if sigv4 else None
    return akid, date, region, parts[-2]


@lru_cache(maxsize=64)
def _parse_signed_headers(value: str, source: str) -> tuple[str, ...]:
    names = tuple(value.split(";"))
    for name in names:
        if not _HEADER_NAME.fullmatch(name):
            raise _malformed(
                f"{source}: must be lower-case header names separated by ';' (no spaces)"
            )
    if len(set(names)) != len(names):
        raise _malformed(f"{source}: lists a header twice")
    return names


def _parse_region_set(value: str, source: str) -> tuple[str, ...]:
    regions = tuple(r.strip() for r in value.split(","))
    if not all(_REGION_SET_ITEM.fullmatch(r) for r in regions):
        raise _malformed(f"{source}: must be regions separated by ',' (or '*')")
    return regions


def _check_signature_syntax(value: str, algorithm: str, source: str) -> str:
    if algorithm == ALGORITHM:
        if len(value) != 64 or value.strip(_LOWER_HEX):  # 64 lower-case hex digits
            raise _malformed(f"{source}: a SigV4 signature is 64 lower-case hex digits")
    elif not _SIGV4A_SIGNATURE.fullmatch(value):
        raise _malformed(f"{source}: a SigV4a signature is a hex DER-encoded ECDSA signature")
    return value


def _read_header_mode(view: _View, authorization: list[str]) -> ReceivedSignature:
    if len(authorization) > 1:
        raise _malformed(f"Authorization: the request carries {len(authorization)} of them")
    scheme, _, params = authorization[0].strip().partition(" ")
    if scheme not in (ALGORITHM, ALGORITHM_V4A):
        raise _unsupported(scheme)
    fields: dict[str, str] = {}
    for item in params.split(","):
        key, eq, value = item.strip().partition("=")
        if not eq or key not in _AUTH_FIELDS:
            raise _malformed(
                "Authorization: expected 'Credential=…, SignedHeaders=…, Signature=…' after the "
                "algorithm"
            )
        if key in fields:
            raise _malformed(f"Authorization: {key} is given twice")
        fields[key] = value.strip()
    missing = [k for k in _AUTH_FIELDS if k not in fields]
    if missing:
        raise _malformed(f"Authorization: {', '.join(missing)} missing")
    akid, date, region, service = _parse_credential(
        fields["Credential"], scheme, "Authorization Credential"
    )
    signed = _parse_signed_headers(fields["SignedHeaders"], "Authorization SignedHeaders")
    signature = _check_signature_syntax(fields["Signature"], scheme, "Authorization Signature")
    date_value = _one_header(view, "x-amz-date", "X-Amz-Date")
    if date_value is None:
        raise _malformed("X-Amz-Date: header missing; SigV4 header signing needs it")
    date_value = date_value.strip()
    issued = _parse_issued(date_value, "X-Amz-Date")
    region_set = None
    if scheme == ALGORITHM_V4A:
        set_value = _one_header(view, "x-amz-region-set", "X-Amz-Region-Set")
        if set_value is None:
            raise _malformed("X-Amz-Region-Set: header missing; SigV4a needs it")
        region_set = _parse_region_set(set_value, "X-Amz-Region-Set")
    token = _one_header(view, "x-amz-security-token", "X-Amz-Security-Token")
    token = None if token is None else token.strip(" \t")
    return _built(
        ReceivedSignature,
        mode="header",
        algorithm=scheme,
        access_key_id=akid,
        credential_scope=fields["Credential"][len(akid) + 1 :],
        scope_date=date,
        region=region,
        region_set=region_set,
        service=service,
        amz_date=date_value,
        issued=issued,
        expires=None,
        signed_headers=signed,
        signature=signature,
        session_token=token,
        session_token_signed=None if token is None else "x-amz-security-token" in signed,
    )


def _decode(value: str) -> str:
    """Percent-decode a canonical query value. The escapes presigned URLs carry ('/' in the
    credential, ';' between signed headers, '+', '/' and '=' of a base64 session token) are
    replaced directly, as that is most of the work; anything else goes to ``unquote``. No
    replacement yields a '%', so a '%' left over means another escape."""
    if "%" not in value:
        return value
    if len(value) > 256:
        return _decode_long(value)
    return _decode_escapes(value)


def _decode_escapes(value: str) -> str:
    simple = (
        value.replace("%2F", "/").replace("%3B", ";").replace("%2B", "+").replace("%3D", "=")
    )
    return simple if "%" not in simple else unquote(value, errors="strict")


_decode_long = lru_cache(maxsize=16)(_decode_escapes)
"""Long values are session tokens, the same in every URL a credential signs."""


def _auth_params(view: _View) -> dict[str, str]:
    """The X-Amz-* signing parameters in the query, decoded; each may appear once only."""
    auth: dict[str, str] = {}
    for key, value in view.pairs:
        if key in AUTH_QUERY_PARAMS:
            if key in auth:
                raise _malformed(f"{key}: the query string carries it twice")
            if "%" in value:
                try:
                    value = _decode(value)
                except UnicodeDecodeError:
                    raise _malformed(f"{key}: is not valid UTF-8 once percent-decoded") from None
            auth[key] = value
    return auth


def _read_query_mode(view: _View, auth: dict[str, str]) -> ReceivedSignature:
    if not auth.keys() >= _REQUIRED_QUERY_PARAMS.keys():
        missing = next(key for key in _REQUIRED_QUERY_PARAMS if key not in auth)
        raise _malformed(f"{missing}: query parameter missing from the presigned URL")
    algorithm = auth["X-Amz-Algorithm"]
    if algorithm not in (ALGORITHM, ALGORITHM_V4A):
        raise _unsupported(algorithm)
    akid, date, region, service = _parse_credential(
        auth["X-Amz-Credential"], algorithm, "X-Amz-Credential"
    )
    expires = auth["X-Amz-Expires"]
    if not (expires.isascii() and expires.isdigit() and len(expires) <= 12):
        raise _malformed("X-Amz-Expires: must be a whole number of seconds")
    region_set = None
    if algorithm == ALGORITHM_V4A:
        if "X-Amz-Region-Set" not in auth:
            raise _malformed("X-Amz-Region-Set: query parameter missing; SigV4a needs it")
        region_set = _parse_region_set(auth["X-Amz-Region-Set"], "X-Amz-Region-Set")
    signed = _parse_signed_headers(auth["X-Amz-SignedHeaders"], "X-Amz-SignedHeaders")
    token = auth.get("X-Amz-Security-Token")
    token_signed = None  # in the query: signed, or appended afterwards? Only the secret tells.
    if token is None:
        token = _one_header(view, "x-amz-security-token", "X-Amz-Security-Token")
        if token is not None:
            token, token_signed = token.strip(" \t"), "x-amz-security-token" in signed
    return _built(
        ReceivedSignature,
        mode="query",
        algorithm=algorithm,
        access_key_id=akid,
        credential_scope=auth["X-Amz-Credential"][len(akid) + 1 :],
        scope_date=date,
        region=region,
        region_set=region_set,
        service=service,
        amz_date=auth["X-Amz-Date"],
        issued=_parse_issued(auth["X-Amz-Date"], "X-Amz-Date"),
        expires=int(expires),
        signed_headers=signed,
        signature=_check_signature_syntax(auth["X-Amz-Signature"], algorithm, "X-Amz-Signature"),
        session_token=token,
        session_token_signed=token_signed,
    )


def _read(view: _View) -> ReceivedSignature:
    hosts = view.groups.get("host")
    if hosts is not None and len(hosts) > 1:
        differ = "conflicting" if len(set(hosts)) > 1 else "repeated"
        raise _malformed(f"Host: {len(hosts)} {differ} Host headers; a request carries one")
    authorization = view.groups.get("authorization")
    if authorization is not None:
        if any(k in _QUERY_SIGNALS for k, _ in view.pairs):
            raise _malformed(
                "Authorization: the request is signed twice (Authorization header and X-Amz-* "
                "query parameters); use one"
            )
        return _read_header_mode(view, authorization)
    auth = _auth_params(view)
    if not auth.keys().isdisjoint(_QUERY_SIGNALS):
        return _read_query_mode(view, auth)
    raise _malformed(
        "request: carries no SigV4 signature (no Authorization header, no X-Amz-Signature "
        "query parameter)",
        Reason.NOT_SIGNED,
    )


def _view_of(request: Request, parts: SplitUrl | None = None) -> _View:
    if not isinstance(request, Request):
        raise _malformed("request: must be a sigv4kit.Request")
    if parts is None:
        try:
            parts = split_url(request.url)
        except SigningError as exc:
            raise _malformed(str(exc)) from None
        check_limits(request.headers, parts.query)
    return _View(request, parts)


def read_signature(request: Request) -> ReceivedSignature:
    """The signature ``request`` carries, syntax-checked; raises ``MalformedInputError`` (with
    ``reason``) when there is none or it cannot be read. The debugger's entry point."""
    return _read(_view_of(request))


def _path_rules(
    service: str, normalize_path: bool | None, double_encode_path: bool | None
) -> tuple[bool, bool]:
    s3 = service in S3_SERVICES
    return (
        (not s3) if normalize_path is None else normalize_path,
        (not s3) if double_encode_path is None else double_encode_path,
    )


def _payload_hash(view: _View, sig: ReceivedSignature) -> str:
    """Header mode: X-Amz-Content-SHA256 when sent, else the body's hash. Query mode: S3 signs
    no payload (the URL's holder picks it); other services as in header mode."""
    if sig.mode == "query" and sig.service in S3_SERVICES:
        return UNSIGNED_PAYLOAD
    sent = view.groups.get("x-amz-content-sha256")
    if sent is not None:
        return ",".join(sent)
    body = view.request.body
    return sha256(body).hexdigest() if body else EMPTY_SHA256


def _canonical_headers(view: _View, sig: ReceivedSignature) -> str:
    lines = []
    for name in sig.signed_headers:
        values = view.groups.get(name)
        if values is None:
            if name == "host" and view.parts.host:
                values = [view.parts.host]
            else:
                raise _malformed(
                    f"SignedHeaders: lists {name!r} but the request has no such header",
                    Reason.MISSING_SIGNED_HEADER,
                )
        if len(values) == 1:
            lines.append(f"{name}:{canonical_header_value(values[0])}\n")
        else:
            lines.append(f"{name}:{','.join([canonical_header_value(v) for v in values])}\n")
    return "".join(lines)


def _rebuild(
    view: _View,
    sig: ReceivedSignature,
    headers_block: str,
    payload_hash: str,
    normalize_path: bool,
    double_encode_path: bool,
    token_signed: bool,
) -> tuple[str, str]:
    """Tasks 1 and 2 of SigV4 over the request as received."""
    if sig.mode == "query":
        drop = ("X-Amz-Signature",) if token_signed else ("X-Amz-Signature", "X-Amz-Security-Token")
        pairs = [p for p in view.pairs if p[0] not in drop]
    else:
        pairs = view.pairs
    creq = canonical_request(
        view.request.method.upper(),
        canonical_uri(
            view.parts.path, normalize_path=normalize_path, double_encode_path=double_encode_path
        ),
        canonical_query_string(pairs),
        headers_block,
        ";".join(sig.signed_headers),
        payload_hash,
    )
    return creq, string_to_sign(sig.algorithm, sig.amz_date, sig.credential_scope, creq)


def rebuild_canonical(
    request: Request,
    received: ReceivedSignature,
    *,
    normalize_path: bool | None = None,
    double_encode_path: bool | None = None,
) -> tuple[str, str]:
    """The canonical request and string to sign ``request`` hashes to under ``received``.

    Path rules default to the scope's service (S3's or everybody else's). Raises
    ``MalformedInputError`` (reason ``missing_signed_header``) when a signed header is absent.
    """
    view = _view_of(request)
    normalize, double = _path_rules(received.service, normalize_path, double_encode_path)
    return _rebuild(
        view,
        received,
        _canonical_headers(view, received),
        _payload_hash(view, received),
        normalize,
        double,
        token_signed=received.session_token_signed is not False,
    )


def _signature_matches(sig: ReceivedSignature, creds: Credentials, to_sign: str) -> bool:
    if sig.algorithm == ALGORITHM:
        assert sig.region is not None
        key = _cached_signing_key(
            creds.secret_access_key, sig.scope_date, sig.region, sig.service
        )
        return hmac.compare_digest(key.hex_signature(to_sign), sig.signature)
    from . import sigv4a

    return sigv4a.verify_signature(sigv4a.public_key(creds), to_sign, sig.signature)


def _now(now: datetime | str | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if isinstance(now, datetime):
        if now.tzinfo is None or now.utcoffset() is None:
            raise SigningError("now: a naive datetime is ambiguous; give an aware one", field="now")
        return now.astimezone(UTC)
    if isinstance(now, str) and _AMZ_DATE.fullmatch(now):
        return _parse_issued(now, "now")
    return _parse_issued(amz_date(now), "now")


def _fmt(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _span(delta: timedelta) -> str:
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{days}d"] if days else []
    if days or hours:
        parts.append(f"{hours}h")
    if days or hours or minutes:
        parts.append(f"{minutes}m")
    parts.append(f"{seconds}s")
    return " ".join(parts)


def _time_problem(
    sig: ReceivedSignature, now: datetime, max_skew: timedelta
) -> tuple[Reason, str] | None:
    ahead = sig.issued - now
    if ahead > max_skew:
        return Reason.NOT_YET_VALID, (
            f"X-Amz-Date {_fmt(sig.issued)} is {_span(ahead)} ahead of now ({_fmt(now)}), more "
            f"than the allowed clock skew of {_span(max_skew)}: check the signer's clock"
        )
    if sig.expires is not None:
        end = sig.issued + timedelta(seconds=sig.expires)
        if now > end:
            return Reason.EXPIRED, (
                f"the presigned URL expired at {_fmt(end)} ({sig.expires}s after X-Amz-Date), "
                f"{_span(now - end)} ago"
            )
    elif -ahead > max_skew:
        return Reason.EXPIRED, (
            f"X-Amz-Date {_fmt(sig.issued)} is {_span(ahead)} before now ({_fmt(now)}), more than "
            f"the allowed clock skew of {_span(max_skew)}: a header-signed request must be sent "
            "right away (or the signer's clock is wrong)"
        )
    return None


def _scope_problem(sig: ReceivedSignature, service: str | None, region: str | None) -> str | None:
    if sig.scope_date != sig.amz_date[:8]:
        return (
            f"the credential scope date {sig.scope_date} is not the date of X-Amz-Date "
            f"{sig.amz_date}"
        )
    if service is not None and sig.service != service:
        return f"signed for service {sig.service!r}, but this is {service!r}"
    if region is not None:
        if sig.region_set is None:
            if sig.region != region:
                return f"signed for region {sig.region!r}, but this is {region!r}"
        elif not any(_region_in(region, pattern) for pattern in sig.region_set):
            return (
                f"X-Amz-Region-Set {','.join(sig.region_set)!r} does not include region {region!r}"
            )
    return None


def _region_in(region: str, pattern: str) -> bool:
    """SigV4a region set entries are region names or wildcards (``*``, ``us-*``)."""
    if pattern.endswith("*"):
        return region.startswith(pattern[:-1])
    return region == pattern


def _token_problem(sig: ReceivedSignature, creds: Credentials) -> str | None:
    sent, known = sig.session_token, creds.session_token
    if sent is None:
        if known is not None:
            return (
                f"the credentials of {sig.access_key_id} are temporary: the request must carry "
                "their X-Amz-Security-Token"
            )
        return None
    if known is None:
        return (
            f"the request carries X-Amz-Security-Token but the credentials of "
            f"{sig.access_key_id} have no session token"
        )
    if not hmac.compare_digest(sent.encode("utf-8", "surrogatepass"), known.encode("utf-8")):
        return (
            f"X-Amz-Security-Token is not the session token of {sig.access_key_id} "
            f"(received {len(sent)} characters, expected {len(known)})"
        )
    return None


def _fail(
    reason: Reason,
    message: str,
    sig: ReceivedSignature | None = None,
    texts: tuple[str, str] | None = None,
    token_signed: bool | None = None,
) -> VerifyResult:
    return _built(
        VerifyResult,
        valid=False,
        reason=reason,
        message=message,
        received=sig,
        session_token_signed=token_signed,
        canonical_request=None if texts is None else texts[0],
        string_to_sign=None if texts is None else texts[1],
    )


class _Options:
    __slots__ = ("double_encode_path", "max_skew", "normalize_path", "now", "region", "service")

    def __init__(
        self,
        now: datetime | str | None,
        service: str | None,
        region: str | None,
        max_skew: timedelta,
        normalize_path: bool | None,
        double_encode_path: bool | None,
    ) -> None:
        if not isinstance(max_skew, timedelta) or max_skew < timedelta(0):
            raise SigningError("max_skew: must be a non-negative timedelta", field="max_skew")
        for name, value in (("service", service), ("region", region)):
            if value is not None and not isinstance(value, str):
                raise SigningError(f"{name}: must be a string or None", field=name)
        self.now = _now(now)
        self.service = service
        self.region = region
        self.max_skew = max_skew
        self.normalize_path = normalize_path
        self.double_encode_path = double_encode_path


def _verify(
    request: Request, parts: SplitUrl | None, lookup: Lookup, opts: _Options
) -> VerifyResult:
    """Parse, rebuild and check; only ``lookup`` may raise (it is the caller's code)."""
    sig: ReceivedSignature | None = None
    try:
        view = _view_of(request, parts)
        sig = _read(view)
        if sig.expires is not None and not 1 <= sig.expires <= MAX_EXPIRES:
            raise _malformed(
                f"X-Amz-Expires: must be between 1 and {MAX_EXPIRES} seconds (7 days), got "
                f"{sig.expires}"
            )
        problem = _scope_problem(sig, opts.service, opts.region)
        if problem is not None:
            return _fail(Reason.SCOPE_MISMATCH, problem, sig)
        if "host" not in sig.signed_headers:
            return _fail(
                Reason.REQUIRED_HEADER_NOT_SIGNED, "SignedHeaders: host must be signed", sig
            )
        if (
            sig.mode == "header"
            and sig.region_set is not None
            and "x-amz-region-set" not in sig.signed_headers
        ):
            return _fail(
                Reason.REQUIRED_HEADER_NOT_SIGNED,
                "SignedHeaders: X-Amz-Region-Set must be signed (it says where the SigV4a "
                "signature is valid)",
                sig,
            )
        headers_block = _canonical_headers(view, sig)
        payload = _payload_hash(view, sig)
        normalize, double = _path_rules(sig.service, opts.normalize_path, opts.double_encode_path)
        token_signed = sig.session_token_signed is not False
        texts = _rebuild(view, sig, headers_block, payload, normalize, double, token_signed)
        timing = _time_problem(sig, opts.now, opts.max_skew)
        if timing is not None:
            return _fail(timing[0], timing[1], sig, texts)
    except MalformedInputError as exc:
        return _fail(Reason(exc.reason), str(exc), sig)
    except SigningError as exc:  # the core's own checks (e.g. a lone surrogate in the path)
        return _fail(Reason.MALFORMED, str(exc), sig)
    except Exception as exc:  # defensive: no input may make verification raise
        return _fail(Reason.MALFORMED, f"request: could not be read ({type(exc).__name__})", sig)

    creds = lookup(sig.access_key_id)
    if creds is not None and not isinstance(creds, Credentials):
        raise TypeError(f"lookup returned {type(creds).__name__}, not Credentials or None")

    try:
        return _check(view, sig, creds, texts, headers_block, payload, normalize, double)
    except Exception as exc:  # defensive, as above
        return _fail(
            Reason.MALFORMED, f"request: could not be verified ({type(exc).__name__})", sig, texts
        )


def _check(
    view: _View,
    sig: ReceivedSignature,
    creds: Credentials | None,
    texts: tuple[str, str],
    headers_block: str,
    payload: str,
    normalize: bool,
    double: bool,
) -> VerifyResult:
    """Steps that need the secret: who signed, with which token, and the signature itself."""
    token_signed = sig.session_token_signed
    if creds is None:
        return _fail(
            Reason.UNKNOWN_ACCESS_KEY,
            f"access key {sig.access_key_id!r} is not known",
            sig,
            texts,
        )
    problem = _token_problem(sig, creds)
    if problem is not None:
        return _fail(Reason.TOKEN_MISMATCH, problem, sig, texts, token_signed)
    unknown_token = sig.session_token is not None and token_signed is None
    if _signature_matches(sig, creds, texts[1]):
        if unknown_token:
            token_signed = True
    elif unknown_token:
        # A token appended after signing (IoT and some SDKs do): the signature covers the rest.
        unsigned = _rebuild(view, sig, headers_block, payload, normalize, double, False)
        if not _signature_matches(sig, creds, unsigned[1]):
            return _mismatch(view, sig, creds, texts, headers_block, payload, normalize, double)
        texts, token_signed = unsigned, False
    else:
        return _mismatch(view, sig, creds, texts, headers_block, payload, normalize, double)
    sent = view.groups.get("x-amz-content-sha256")
    if sent is not None and len(sent) == 1 and _HEX_SHA256.fullmatch(sent[0]):
        actual = sha256(view.request.body).hexdigest()
        if actual != sent[0]:
            return _fail(
                Reason.PAYLOAD_HASH_MISMATCH,
                f"the signature is valid but X-Amz-Content-SHA256 is not the SHA-256 of the "
                f"{len(view.request.body)}-byte body received (body altered or truncated?)",
                sig,
                texts,
                token_signed,
            )
    return _built(
        VerifyResult,
        valid=True,
        reason=Reason.OK,
        message=f"valid {sig.algorithm} signature by {sig.access_key_id}",
        received=sig,
        session_token_signed=token_signed,
        canonical_request=texts[0],
        string_to_sign=texts[1],
    )


def _mismatch(
    view: _View,
    sig: ReceivedSignature,
    creds: Credentials,
    texts: tuple[str, str],
    headers_block: str,
    payload: str,
    normalize: bool,
    double: bool,
) -> VerifyResult:
    """A signature mismatch, with a hint when the request verifies under other path rules (the
    commonest cause: S3's rules used for another service, or the other way round)."""
    message = (
        "the signature does not match the request as received: compare canonical_request and "
        "string_to_sign with the signer's"
    )
    token_signed = sig.session_token_signed is not False
    path = view.parts.path
    tried = {canonical_uri(path, normalize_path=normalize, double_encode_path=double)}
    for alt_normalize, alt_double in (
        (not normalize, double),
        (normalize, not double),
        (not normalize, not double),
    ):
        uri = canonical_uri(path, normalize_path=alt_normalize, double_encode_path=alt_double)
        if uri in tried:
            continue
        tried.add(uri)
        alt = _rebuild(view, sig, headers_block, payload, alt_normalize, alt_double, token_signed)
        if _signature_matches(sig, creds, alt[1]):
            options = [
                f"{name}={value}"
                for name, value, used in (
                    ("normalize_path", alt_normalize, normalize),
                    ("double_encode_path", alt_double, double),
                )
                if value != used
            ]
            message = (
                f"the signature does not match with the path rules of service {sig.service!r}, "
                f"but does with {' and '.join(options)}: signer and service disagree on how "
                "to canonicalise the path (S3 neither normalises nor double-encodes it, every "
                "other service does both)"
            )
            break
    return _fail(Reason.SIGNATURE_MISMATCH, message, sig, texts, sig.session_token_signed)


def verify_request(
    request: Request,
    lookup: Lookup,
    *,
    now: datetime | str | None = None,
    service: str | None = None,
    region: str | None = None,
    max_skew: timedelta = DEFAULT_MAX_SKEW,
    normalize_path: bool | None = None,
    double_encode_path: bool | None = None,
) -> VerifyResult:
    """Verify a header-signed request or a presigned one (the mode is read from the request).

    ``lookup`` maps the access key id to credentials (None when unknown); it is the only thing
    that may raise. ``service`` / ``region``, when given, must be what the signature is scoped
    to (a SigV4a region set must include ``region`` or be ``*``). ``now`` (aware datetime or
    ``20150830T123600Z``) defaults to the clock. Path rules follow the scope's service unless
    ``normalize_path`` / ``double_encode_path`` say otherwise. Invalid arguments other than the
    request raise ``SigningError``; the request itself never makes this raise.
    """
    opts = _Options(now, service, region, max_skew, normalize_path, double_encode_path)
    return _verify(request, None, lookup, opts)


def verify_presigned_url(
    url: str,
    lookup: Lookup,
    *,
    method: str = "GET",
    headers: HeadersLike = (),
    body: bytes | str = b"",
    now: datetime | str | None = None,
    service: str | None = None,
    region: str | None = None,
    max_skew: timedelta = DEFAULT_MAX_SKEW,
    normalize_path: bool | None = None,
    double_encode_path: bool | None = None,
) -> VerifyResult:
    """Verify a presigned URL as if it were sent with ``method``, ``headers`` and ``body``.

    Same checks as ``verify_request``; a URL without X-Amz-* signature parameters is refused
    (``not_signed``) rather than looked for in ``headers``.
    """
    opts = _Options(now, service, region, max_skew, normalize_path, double_encode_path)
    try:
        request, parts = parse_url(url, method, headers, body)
    except MalformedInputError as exc:
        return _fail(Reason(exc.reason), str(exc))
    except Exception as exc:  # defensive: no input may make verification raise
        return _fail(Reason.MALFORMED, f"url: could not be read ({type(exc).__name__})")
    if request.header("authorization") is not None:
        return _fail(
            Reason.MALFORMED,
            "headers: a presigned URL is verified without an Authorization header",
        )
    return _verify(request, parts, lookup, opts)
