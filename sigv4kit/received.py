"""Reading a received SigV4 or SigV4a signature: what the request claims, syntax-checked.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html

The signature (Authorization header, or X-Amz-* query parameters of a presigned URL) says which
headers were signed, for which scope and when. ``read_signature`` parses exactly that and no
more; the verifier (``sigv4kit.verify``) and the debugger (``sigv4kit.diagnose``) both start
here. Nothing is verified yet, and no input makes it raise anything but ``MalformedInputError``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal
from urllib.parse import unquote

from ._caches import cached
from .canonical import canonical_query_pairs
from .errors import SigningError
from .keys import ALGORITHM, ALGORITHM_V4A
from .model import Request, trusted
from .options import scope_name_problem
from .redact import redacted
from .signing import AUTH_QUERY_PARAMS
from .timestamps import format_amz_date, parse_amz_date, parse_http_date
from .url import SplitUrl, split_url
from .wire import MalformedInputError, check_limits

__all__ = ["Reason", "ReceivedSignature", "View", "malformed", "read", "read_signature", "view_of"]


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
    # aws-chunked bodies (sigv4kit.chunked); each message names the chunk and its byte offset
    CHUNK_SIGNATURE_MISMATCH = "chunk_signature_mismatch"
    TRAILER_SIGNATURE_MISMATCH = "trailer_signature_mismatch"
    CHECKSUM_MISMATCH = "checksum_mismatch"
    DECODED_LENGTH_MISMATCH = "decoded_length_mismatch"
    MALFORMED_CHUNK = "malformed_chunk"
    SIGV2 = "sigv2"
    """Signed with the retired Signature Version 2 (``Authorization: AWS AKID:sig`` or an
    ``AWSAccessKeyId=…&Signature=…`` link): recognised and named, not verified."""


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


class View:
    """The request as the canonical request needs it, computed once: lower-cased header groups
    in the order received, the query's canonical pairs and, picked out in the same pass, its
    X-Amz-* signing parameters decoded (``_auth_params``)."""

    __slots__ = ("_auth_problem", "auth", "groups", "pairs", "parts", "request")

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
        if parts.query:
            self.pairs, self.auth, self._auth_problem = _scan_query(parts.query)
        else:
            self.pairs, self.auth, self._auth_problem = [], {}, None


_ESCAPED_BYTE = r"%(?:[01][0-9A-F]|2[0-9A-CF]|3[A-F]|[46]0|5[B-E]|7[B-DF]|[89A-F][0-9A-F])"
_ENCODED = rf"[A-Za-z0-9_.~-]*+(?:{_ESCAPED_BYTE}[A-Za-z0-9_.~-]*+)*+"
_CANONICAL_PIECE = re.compile(rf"{_ENCODED}(?:={_ENCODED})?+").fullmatch
"""A ``name=value`` piece of unreserved characters and upper-case escapes of reserved bytes
only is exactly what the core's re-encoding would produce, so it can be split without
decoding. (Possessive quantifiers: no backtracking, whatever the input.)"""


def _scan_query(query: str) -> tuple[list[tuple[str, str]], dict[str, str], str | None]:
    """One pass over the query: its canonical pairs (``canonical.canonical_query_pairs`` with a
    fast path: pieces already in canonical form are split, not decoded and re-encoded), the
    X-Amz-* signing parameters among them decoded, and the first problem with those (given
    twice, not UTF-8 once decoded), which only a presigned request's reading raises
    (``_auth_params``)."""
    pairs: list[tuple[str, str]] = []
    append = pairs.append
    auth: dict[str, str] = {}
    problem = None
    for piece in query.split("&"):
        if len(piece) > 256:
            pair, decoded = _long_entry(piece)
        elif piece:  # an empty piece ('&&') carries nothing
            pair, decoded = _short_entry(piece)
        else:
            continue
        append(pair)
        if decoded is not None and problem is None:
            key = pair[0]
            if key in auth:
                problem = f"{key}: the query string carries it twice"
            elif decoded is _NOT_UTF8:
                problem = f"{key}: is not valid UTF-8 once percent-decoded"
            else:
                auth[key] = decoded
    return pairs, auth, problem


_NOT_UTF8 = "\0not UTF-8"
"""``_entry``'s mark for a signing parameter whose value does not decode (compared by identity)."""


def _entry(piece: str) -> tuple[tuple[str, str], str | None]:
    """The canonical pair of one non-empty ``name=value`` piece and, for an X-Amz-* signing
    parameter (``AUTH_QUERY_PARAMS``), its value decoded (else None)."""
    if _CANONICAL_PIECE(piece):
        key, _, value = piece.partition("=")
        pair = (key, value)
    else:
        pair = canonical_query_pairs(piece)[0]
        key, value = pair
    if key not in AUTH_QUERY_PARAMS:
        return pair, None
    try:
        return pair, _decode(value)
    except UnicodeDecodeError:
        return pair, _NOT_UTF8


_short_entry = cached(
    256, name="_short_entry", keys="query piece ≤ 256 chars",
    reason="a URL's pieces recur from URL to URL",
)(_entry)
"""Most pieces recur from URL to URL (the action, the version, regions, the X-Amz-*
parameters of a credential's second): a cache hit costs a fraction of the regex match and the
decoding. Pieces of up to 256 characters only, so the cache stays under 64 KiB of text."""
_long_entry = cached(
    16, name="_long_entry", keys="query piece > 256 chars",
    reason="a session token, in every URL a credential signs",
)(_entry)
"""Long pieces are session tokens, the same in every URL a credential signs."""


_DATE = re.compile(r"[0-9]{8}")
_ACCESS_KEY = re.compile(r"[!-.0-~]{1,128}")  # printable ASCII without space or '/'
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9a-z]{1,256}")
_SIGV4A_SIGNATURE = re.compile(r"(?:[0-9a-f]{2}){8,80}")
_SIGV4_SIGNATURE = re.compile(r"[0-9a-f]{64}").fullmatch  # a regex beats str.strip 2:1 here
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
_SIGV2_QUERY = frozenset({"AWSAccessKeyId", "Signature"})
"""Query parameters of a SigV2 link (S3's with Expires, the Query APIs' with SignatureVersion)."""
_SIGV2_FIX = (
    "sigv4kit verifies SigV4 only, and S3 refuses SigV2 for buckets created since June 2020 "
    "and in Regions launched since 2014: sign with SigV4, e.g. boto3/botocore "
    "Config(signature_version=\"s3v4\") for S3"
)


def malformed(message: str, reason: Reason = Reason.MALFORMED) -> MalformedInputError:
    return MalformedInputError(message, field=message.partition(":")[0], reason=reason.value)


def _unsupported(name: str) -> MalformedInputError:
    shown = repr(name) if name in _KNOWN_SCHEMES or name.startswith("AWS4-") else "a scheme"
    if len(shown) > 48:
        shown = "a scheme"
    return malformed(
        f"algorithm: {shown} is not supported; only {ALGORITHM} (SigV4) and {ALGORITHM_V4A} "
        "(SigV4a) can be verified",
        Reason.UNSUPPORTED_ALGORITHM,
    )


def _parse_issued(value: str, source: str) -> datetime:
    issued = parse_amz_date(value)
    if issued is None:
        raise malformed(f"{source}: must be a real time in the form 20150830T123600Z")
    return issued


def _one_header(view: View, lname: str, display: str) -> str | None:
    values = view.groups.get(lname)
    if values is None:
        return None
    if len(values) > 1:
        raise malformed(f"{display}: the request carries {len(values)} of them; exactly one")
    return values[0]


@cached(64, keys="(Credential value, algorithm, source)", reason="a key signs one scope all day")
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
        raise malformed(f"{source}: must have the form {shape}")
    akid, date = parts[0], parts[1]
    if not _ACCESS_KEY.fullmatch(akid):
        raise malformed(f"{source}: the access key id is not 1-128 printable ASCII characters")
    if not _DATE.fullmatch(date):
        raise malformed(f"{source}: the scope date must be YYYYMMDD ({shape})")
    for kind, piece in zip(
        ("region", "service") if sigv4 else ("service",), parts[2:-1], strict=True
    ):
        problem = scope_name_problem(kind, piece)
        if problem is not None:
            raise malformed(f"{source}: the {kind} {problem}")
    region = parts[2] if sigv4 else None
    return akid, date, region, parts[-2]


@cached(64, keys="(SignedHeaders value, source)", reason="a client signs one header list")
def _parse_signed_headers(value: str, source: str) -> tuple[str, ...]:
    names = tuple(value.split(";"))
    for name in names:
        if not _HEADER_NAME.fullmatch(name):
            raise malformed(
                f"{source}: must be lower-case header names separated by ';' (no spaces)"
            )
    if len(set(names)) != len(names):
        raise malformed(f"{source}: lists a header twice")
    return names


def _parse_region_set(value: str, source: str) -> tuple[str, ...]:
    regions = tuple(r.strip() for r in value.split(","))
    for region in regions:
        problem = scope_name_problem("region set", region)
        if problem is not None:
            raise malformed(f"{source}: must be regions separated by ',' (or '*'): {problem}")
    return regions


def _check_signature_syntax(value: str, algorithm: str, source: str) -> str:
    if algorithm == ALGORITHM:
        if len(value) != 64 or not _SIGV4_SIGNATURE(value):
            raise malformed(f"{source}: a SigV4 signature is 64 lower-case hex digits")
    elif not _SIGV4A_SIGNATURE.fullmatch(value):
        raise malformed(f"{source}: a SigV4a signature is a hex DER-encoded ECDSA signature")
    return value


def _sigv2(form: str) -> MalformedInputError:
    """The one refusal of both SigV2 forms; the signature itself is never quoted."""
    return malformed(f"{form}: signed with AWS Signature Version 2; {_SIGV2_FIX}", Reason.SIGV2)


def _signing_time(view: View) -> tuple[str, datetime]:
    """Header mode's signing time: X-Amz-Date, or else the Date header (the SigV4 spec allows
    either). A Date value is RFC 7231's IMF-fixdate; the string to sign and the chunk
    signatures then use the same moment in X-Amz-Date's basic ISO 8601 form, while the
    canonical headers keep the Date value as sent (it is an ordinary signed header)."""
    date_value = _one_header(view, "x-amz-date", "X-Amz-Date")
    if date_value is not None:
        date_value = date_value.strip()
        return date_value, _parse_issued(date_value, "X-Amz-Date")
    http_date = _one_header(view, "date", "Date")
    if http_date is None:
        raise malformed(
            "X-Amz-Date: header missing (and no Date header); SigV4 header signing needs one"
        )
    moment = parse_http_date(http_date)
    if moment is None:
        raise malformed(
            "Date: must be an HTTP date such as 'Sun, 30 Aug 2015 12:36:00 GMT' (RFC 7231 "
            "IMF-fixdate) when X-Amz-Date is absent"
        )
    return format_amz_date(moment), moment


def _read_header_mode(view: View, authorization: list[str]) -> ReceivedSignature:
    if len(authorization) > 1:
        raise malformed(f"Authorization: the request carries {len(authorization)} of them")
    scheme, _, params = authorization[0].strip().partition(" ")
    if scheme == "AWS" and ":" in params:
        raise _sigv2("Authorization")
    if scheme not in (ALGORITHM, ALGORITHM_V4A):
        raise _unsupported(scheme)
    fields: dict[str, str] = {}
    for item in params.split(","):
        key, eq, value = item.strip().partition("=")
        if not eq or key not in _AUTH_FIELDS:
            raise malformed(
                "Authorization: expected 'Credential=…, SignedHeaders=…, Signature=…' after the "
                "algorithm"
            )
        if key in fields:
            raise malformed(f"Authorization: {key} is given twice")
        fields[key] = value.strip()
    missing = [k for k in _AUTH_FIELDS if k not in fields]
    if missing:
        raise malformed(f"Authorization: {', '.join(missing)} missing")
    akid, date, region, service = _parse_credential(
        fields["Credential"], scheme, "Authorization Credential"
    )
    signed = _parse_signed_headers(fields["SignedHeaders"], "Authorization SignedHeaders")
    signature = _check_signature_syntax(fields["Signature"], scheme, "Authorization Signature")
    date_value, issued = _signing_time(view)
    region_set = None
    if scheme == ALGORITHM_V4A:
        set_value = _one_header(view, "x-amz-region-set", "X-Amz-Region-Set")
        if set_value is None:
            raise malformed("X-Amz-Region-Set: header missing; SigV4a needs it")
        region_set = _parse_region_set(set_value, "X-Amz-Region-Set")
    token = _one_header(view, "x-amz-security-token", "X-Amz-Security-Token")
    token = None if token is None else token.strip(" \t")
    return trusted(
        ReceivedSignature,
        {
            "mode": "header",
            "algorithm": scheme,
            "access_key_id": akid,
            "credential_scope": fields["Credential"][len(akid) + 1 :],
            "scope_date": date,
            "region": region,
            "region_set": region_set,
            "service": service,
            "amz_date": date_value,
            "issued": issued,
            "expires": None,
            "signed_headers": signed,
            "signature": signature,
            "session_token": token,
            "session_token_signed": None if token is None else "x-amz-security-token" in signed,
        },
    )


def _decode(value: str) -> str:
    """Percent-decode a canonical query value. The escapes presigned URLs carry ('/' in the
    credential, ';' between signed headers, '+', '/' and '=' of a base64 session token) are
    replaced directly, as that is most of the work; anything else goes to ``unquote``. No
    replacement yields a '%', so a '%' left over means another escape."""
    if "%" not in value:
        return value
    simple = value.replace("%2F", "/").replace("%3B", ";").replace("%2B", "+").replace("%3D", "=")
    return simple if "%" not in simple else unquote(value, errors="strict")


def _auth_params(view: View) -> dict[str, str]:
    """The X-Amz-* signing parameters in the query, decoded; each may appear once only."""
    if view._auth_problem is not None:
        raise malformed(view._auth_problem)
    return view.auth


def _read_query_mode(view: View, auth: dict[str, str]) -> ReceivedSignature:
    get = auth.get
    algorithm = get("X-Amz-Algorithm")
    credential = get("X-Amz-Credential")
    date_value = get("X-Amz-Date")
    expires = get("X-Amz-Expires")
    signed_value = get("X-Amz-SignedHeaders")
    signature = get("X-Amz-Signature")
    if (
        algorithm is None
        or credential is None
        or date_value is None
        or expires is None
        or signed_value is None
        or signature is None
    ):
        missing = next(key for key in _REQUIRED_QUERY_PARAMS if key not in auth)
        raise malformed(f"{missing}: query parameter missing from the presigned URL")
    if algorithm not in (ALGORITHM, ALGORITHM_V4A):
        raise _unsupported(algorithm)
    akid, date, region, service = _parse_credential(credential, algorithm, "X-Amz-Credential")
    if not (expires.isascii() and expires.isdigit() and len(expires) <= 12):
        raise malformed("X-Amz-Expires: must be a whole number of seconds")
    region_set = None
    if algorithm == ALGORITHM_V4A:
        if "X-Amz-Region-Set" not in auth:
            raise malformed("X-Amz-Region-Set: query parameter missing; SigV4a needs it")
        region_set = _parse_region_set(auth["X-Amz-Region-Set"], "X-Amz-Region-Set")
    signed = _parse_signed_headers(signed_value, "X-Amz-SignedHeaders")
    token = get("X-Amz-Security-Token")
    token_signed = None  # in the query: signed, or appended afterwards? Only the secret tells.
    if token is None and view.groups:
        token = _one_header(view, "x-amz-security-token", "X-Amz-Security-Token")
        if token is not None:
            token, token_signed = token.strip(" \t"), "x-amz-security-token" in signed
    issued = parse_amz_date(date_value)
    if issued is None:
        raise malformed("X-Amz-Date: must be a real time in the form 20150830T123600Z")
    return trusted(
        ReceivedSignature,
        {
            "mode": "query",
            "algorithm": algorithm,
            "access_key_id": akid,
            "credential_scope": credential[len(akid) + 1 :],
            "scope_date": date,
            "region": region,
            "region_set": region_set,
            "service": service,
            "amz_date": date_value,
            "issued": issued,
            "expires": int(expires),
            "signed_headers": signed,
            "signature": _check_signature_syntax(signature, algorithm, "X-Amz-Signature"),
            "session_token": token,
            "session_token_signed": token_signed,
        },
    )


def read(view: View) -> ReceivedSignature:
    hosts = view.groups.get("host")
    if hosts is not None and len(hosts) > 1:
        differ = "conflicting" if len(set(hosts)) > 1 else "repeated"
        raise malformed(f"Host: {len(hosts)} {differ} Host headers; a request carries one")
    authorization = view.groups.get("authorization")
    if authorization is not None:
        if any(k in _QUERY_SIGNALS for k, _ in view.pairs):
            raise malformed(
                "Authorization: the request is signed twice (Authorization header and X-Amz-* "
                "query parameters); use one"
            )
        return _read_header_mode(view, authorization)
    auth = _auth_params(view)
    if not auth.keys().isdisjoint(_QUERY_SIGNALS):
        return _read_query_mode(view, auth)
    if {key for key, _ in view.pairs} >= _SIGV2_QUERY:
        raise _sigv2("url")
    raise malformed(
        "request: carries no SigV4 signature (no Authorization header, no X-Amz-Signature "
        "query parameter)",
        Reason.NOT_SIGNED,
    )


def view_of(request: Request, parts: SplitUrl | None = None) -> View:
    if not isinstance(request, Request):
        raise malformed("request: must be a sigv4kit.Request")
    if parts is None:
        try:
            parts = split_url(request.url)
        except SigningError as exc:
            raise malformed(str(exc)) from None
        check_limits(request.headers, parts.query)
    return View(request, parts)


def read_signature(request: Request) -> ReceivedSignature:
    """The signature ``request`` carries, syntax-checked; raises ``MalformedInputError`` (with
    ``reason``) when there is none or it cannot be read. The debugger's entry point."""
    return read(view_of(request))
