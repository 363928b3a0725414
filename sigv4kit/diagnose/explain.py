"""What a signed request or presigned URL claims, and what about it is likely to be refused.

Debugging a rejected signature usually needs no secret: most failures are visible in the request
itself (signed for the wrong region, expired, a header added after signing, a CopySnapshot
PresignedUrl signed for the destination instead of the source region). ``explain_request``
reads the signature as the verifier does (``sigv4kit.verify.read_signature``), rebuilds the
canonical request and string to sign the service will compute, and lists such problems as
structured warnings. ``render_text`` and ``to_dict`` present it with the session token and the
signature redacted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

from ..canonical import UNSIGNED_HEADERS, canonical_query_pairs
from ..checksums import ALGORITHMS, algorithm_of_header, multipart_checksum_problem
from ..chunked import read_layout
from ..errors import SigningError
from ..keys import ALGORITHM_V4A
from ..model import Request
from ..options import MAX_EXPIRES, STREAMING_PREFIX, body_sha256, is_s3, is_sha256_hex
from ..received import ReceivedSignature, read_signature
from ..redact import redact_for_display, redact_url, redacted
from ..rules import DEFAULT_MAX_SKEW, region_in, scope_problem, time_problem
from ..timestamps import format_iso, now_or, span, to_moment
from ..tokens import split_appended
from ..url import split_url
from ..verify import rebuild_canonical
from ..wire import MalformedInputError
from .hosts import host_region_and_service, serves_every_region
from .kinds import Seen, TokenKind, describe
from .service_rules import REPLAYED_CALLS
from .textdiff import visible

_ALSO_SIGNED_FOR = {"rds": frozenset({"rds-db"})}
"""Signing names a host's service legitimately differs by: RDS IAM auth tokens are signed for
``rds-db`` and name the database host (``….rds.amazonaws.com:5432``)."""

_SEVEN_DAYS = timedelta(seconds=MAX_EXPIRES)


@dataclass(frozen=True, slots=True)
class ExplainWarning:
    """One likely cause of rejection: a stable ``code`` for programs, a ``message`` for people."""

    code: str
    message: str


@dataclass(frozen=True, slots=True, repr=False)
class Explanation:
    """Everything a signed request tells about its signature, without the secret.

    Times are aware UTC datetimes. ``expires_at`` is X-Amz-Date + X-Amz-Expires for a presigned
    URL, and X-Amz-Date + 5 minutes (the clock skew AWS accepts) for a header-signed request.
    ``seconds_left`` is negative once that moment has passed. ``signature`` and
    ``session_token`` are kept verbatim for programs; ``render_text`` and ``to_dict`` redact them.

    An aws-chunked body (X-Amz-Content-SHA256 ``STREAMING-…``) is read without the secret:
    ``chunk_sizes`` (data bytes of each chunk, the final empty one included), ``trailers``
    (the trailer signature's value shown as ``***``) and ``payload`` (the STREAMING variant);
    framing, checksum and decoded length are checked, chunk signatures need the secret
    (``verify_request``). ``chunk_sizes`` is None when the body is not aws-chunked or absent.
    """

    method: str
    url: str
    host: str | None
    host_region: str | None
    host_service: str | None
    mode: str | None
    algorithm: str | None
    access_key_id: str | None
    credential_scope: str | None
    scope_date: str | None
    region: str | None
    region_set: tuple[str, ...] | None
    service: str | None
    signed_headers: tuple[str, ...]
    unsigned_headers: tuple[str, ...]
    issued: datetime | None
    expires_in: int | None
    expires_at: datetime | None
    now: datetime
    seconds_left: int | None
    signature: str | None
    session_token: str | None
    session_token_signed: bool | None
    canonical_request: str | None
    string_to_sign: str | None
    warnings: tuple[ExplainWarning, ...]
    body_length: int = 0
    payload: str | None = None
    chunk_sizes: tuple[int, ...] | None = None
    trailers: tuple[tuple[str, str], ...] = ()
    kind: TokenKind | None = None
    """The token kind (``diagnose.kinds``) the URL is, with its notes; None for others."""

    def __repr__(self) -> str:
        return (
            f"Explanation(method={self.method!r}, url={redact_url(self.url)!r}, "
            f"algorithm={self.algorithm!r}, credential_scope={self.credential_scope!r}, "
            f"warnings={[w.code for w in self.warnings]!r})"
        )


def _query_params(query: str) -> dict[str, str]:
    """First value of each query parameter, decoded (for reading CopySnapshot's parameters)."""
    params: dict[str, str] = {}
    for key, value in canonical_query_pairs(query):
        params.setdefault(unquote(key), unquote(value))
    return params


class _Builder:
    """Collects warnings while the explanation is assembled."""

    def __init__(self) -> None:
        self.warnings: list[ExplainWarning] = []

    def warn(self, code: str, message: str) -> None:
        self.warnings.append(ExplainWarning(code, message))


def explain_request(
    request: Request,
    *,
    now: datetime | str | None = None,
    normalize_path: bool | None = None,
    double_encode_path: bool | None = None,
    credentials_expire_at: datetime | None = None,
) -> Explanation:
    """Explain the signature ``request`` carries (header-signed, or a presigned URL parsed with
    ``sigv4kit.wire.parse_url_request``); no secret needed.

    ``credentials_expire_at`` (when the signing credentials are temporary) adds a warning if
    a presigned URL would outlive them: AWS rejects it from that moment, whatever its
    X-Amz-Expires says.

    The canonical request is rebuilt as ``verify_request`` would (path rules of the scope's
    service unless overridden). Problems in the request become warnings, never exceptions;
    only invalid arguments (a naive ``now``, a non-Request) raise ``SigningError``.
    """
    moment = now_or(now)
    if credentials_expire_at is not None:
        credentials_expire_at = to_moment(credentials_expire_at, "credentials_expire_at")
    out = _Builder()
    if not isinstance(request, Request):
        raise SigningError("request: must be a sigv4kit.Request", field="request")
    try:
        return _explain(
            request, moment, out, normalize_path, double_encode_path, credentials_expire_at
        )
    except Exception as exc:  # defensive: explaining must never fail on odd input
        message = str(exc) if isinstance(exc, SigningError) else type(exc).__name__
        out.warn(getattr(exc, "reason", "malformed"), f"request: could not be read ({message})")
        return _empty(request, moment, None, None, None, out)


def _empty(
    request: Request,
    moment: datetime,
    host: str | None,
    host_region: str | None,
    host_service: str | None,
    out: _Builder,
) -> Explanation:
    return Explanation(
        method=request.method,
        url=request.url,
        host=host,
        host_region=host_region,
        host_service=host_service,
        mode=None,
        algorithm=None,
        access_key_id=None,
        credential_scope=None,
        scope_date=None,
        region=None,
        region_set=None,
        service=None,
        signed_headers=(),
        unsigned_headers=(),
        issued=None,
        expires_in=None,
        expires_at=None,
        now=moment,
        seconds_left=None,
        signature=None,
        session_token=None,
        session_token_signed=None,
        canonical_request=None,
        string_to_sign=None,
        warnings=tuple(out.warnings),
    )


def _explain(
    request: Request,
    moment: datetime,
    out: _Builder,
    normalize_path: bool | None,
    double_encode_path: bool | None,
    credentials_expire_at: datetime | None = None,
) -> Explanation:
    signed_url, appended = split_appended(request.url)  # a token kind's unsigned additions
    if appended:
        request = Request(request.method, signed_url, request.headers, request.body)
    parts = split_url(request.url)
    host = request.header("host") or parts.host or None
    host_region, host_service = host_region_and_service(host) if host else (None, None)
    try:
        sig = read_signature(request)
    except MalformedInputError as exc:
        out.warn(exc.reason, str(exc))
        return _empty(request, moment, host, host_region, host_service, out)

    canonical: str | None = None
    to_sign: str | None = None
    try:
        canonical, to_sign = rebuild_canonical(
            request, sig, normalize_path=normalize_path, double_encode_path=double_encode_path
        )
    except MalformedInputError as exc:
        hint = ""
        if "'x-k8s-aws-id'" in str(exc):
            hint = "; an EKS token signs its cluster's name: give --header 'x-k8s-aws-id: CLUSTER'"
        out.warn(exc.reason, f"{exc}{hint}")

    validity = DEFAULT_MAX_SKEW if sig.expires is None else timedelta(seconds=sig.expires)
    try:
        expires_at = sig.issued + validity
    except OverflowError:  # X-Amz-Expires beyond year 9999: reported as too long below
        expires_at = datetime.max.replace(tzinfo=sig.issued.tzinfo)
    unsigned = _check_headers(request, sig, out)
    _check_s3_rules(request, sig, out)
    payload, chunk_sizes, trailers = _check_body(request, out)
    _check_multipart_checksum(request, parts.query, out)
    _check_scope(sig, host, host_region, host_service, out)
    _check_time(sig, moment, out)
    if (
        sig.mode == "query"
        and credentials_expire_at is not None
        and credentials_expire_at < expires_at
    ):
        out.warn(
            "outlives_credentials",
            f"the URL is valid until {format_iso(expires_at)} but the credentials that signed it "
            f"expire at {format_iso(credentials_expire_at)}: AWS rejects it from then on",
        )
    if sig.mode == "query":
        _check_replayed_call(_query_params(parts.query), sig, host_region, out)
    kind = describe(Seen(sig, parts.scheme, host or "", _query_params(parts.query),
                         frozenset(n.lower() for n, _ in request.headers), appended))
    if kind is not None:  # its rules added, what is its design no longer a warning
        out.warnings = [w for w in out.warnings if w.code not in kind.by_design]
        for code, message in kind.warnings:
            out.warn(code, message)

    return Explanation(
        method=request.method,
        url=request.url,
        host=host,
        host_region=host_region,
        host_service=host_service,
        mode=sig.mode,
        algorithm=sig.algorithm,
        access_key_id=sig.access_key_id,
        credential_scope=sig.credential_scope,
        scope_date=sig.scope_date,
        region=sig.region,
        region_set=sig.region_set,
        service=sig.service,
        signed_headers=sig.signed_headers,
        unsigned_headers=unsigned,
        issued=sig.issued,
        expires_in=sig.expires,
        expires_at=expires_at,
        now=moment,
        seconds_left=int((expires_at - moment).total_seconds()),
        signature=sig.signature,
        session_token=sig.session_token,
        session_token_signed=sig.session_token_signed,
        canonical_request=canonical,
        string_to_sign=to_sign,
        warnings=tuple(out.warnings),
        body_length=len(request.body),
        payload=payload,
        chunk_sizes=chunk_sizes,
        trailers=trailers,
        kind=kind,
    )


def _one(request: Request, name: str) -> str | None:
    """Header ``name`` (lower-case): its values joined with ',' as the canonical form does."""
    values = [v for n, v in request.headers if n.lower() == name]
    return ",".join(values) if values else None


def _check_body(
    request: Request, out: _Builder
) -> tuple[str | None, tuple[int, ...] | None, tuple[tuple[str, str], ...]]:
    """What the body holds, as far as no secret is needed: an aws-chunked body's chunks and
    trailer (framing, checksum and decoded length checked), or a plain body's SHA-256 against
    X-Amz-Content-SHA256. A request given without its body (an empty one) is not judged."""
    payload = _one(request, "x-amz-content-sha256")
    if payload is None or not request.body:
        return payload, None, ()
    payload = payload.strip()
    if is_sha256_hex(payload):
        if body_sha256(request.body) != payload:
            out.warn(
                "payload_hash_mismatch",
                f"X-Amz-Content-SHA256 is not the SHA-256 of the {len(request.body)}-byte body: "
                "the service refuses it (body altered or truncated?)",
            )
        return payload, None, ()
    if not payload.startswith(STREAMING_PREFIX):
        return payload, None, ()
    decoded = (_one(request, "x-amz-decoded-content-length") or "").strip()
    whole = decoded.isascii() and decoded.isdigit() and len(decoded) <= 18
    length = int(decoded) if whole else None
    layout = read_layout(
        request.body, payload, trailer_header=_one(request, "x-amz-trailer"),
        decoded_length=length,
    )
    if layout is None:
        out.warn(
            "malformed_chunk",
            f"X-Amz-Content-SHA256: {payload[:64]!r} is not an aws-chunked payload hash",
        )
        return payload, None, ()
    if layout.reason is not None:
        out.warn(layout.reason, layout.problem or layout.reason)
    return payload, layout.chunk_sizes, layout.trailers


def _check_multipart_checksum(request: Request, query: str, out: _Builder) -> None:
    """A multipart upload's ``x-amz-checksum-type`` (FULL_OBJECT or COMPOSITE) against the
    checksum algorithms its headers (CreateMultipartUpload's x-amz-checksum-algorithm,
    CompleteMultipartUpload's whole-object x-amz-checksum-*) and its parts (``<ChecksumX>``)
    name: S3 refuses the combinations it does not take."""
    names = {p.partition("=")[0] for p in query.split("&")}
    if request.method.upper() != "POST" or not names & {"uploads", "uploadId"}:
        return
    algorithms = {a for n, _ in request.headers if (a := algorithm_of_header(n)) is not None}
    named = _one(request, "x-amz-checksum-algorithm")
    if named is not None:
        algorithms.add(named.strip().lower())
    body = request.body[: 1 << 20].upper()
    algorithms |= {a for a in ALGORITHMS if b"<CHECKSUM%s>" % a.upper().encode() in body}
    problem = multipart_checksum_problem(_one(request, "x-amz-checksum-type"), algorithms)
    if problem is not None:
        out.warn("checksum_type_mismatch", problem)


UNSIGNED_BY_DESIGN: dict[str, str] = {
    "content-length": "set by the HTTP library after signing; the body's hash or the chunk "
    "signatures cover the body itself",
    "accept-encoding": "added by the HTTP library (urllib3: identity) after signing",
    "accept": "added by HTTP libraries after signing; it only shapes the answer",
    "user-agent": "rewritten by proxies; botocore and awscrt never sign it",
    "amz-sdk-invocation-id": "botocore's retry bookkeeping, added after signing",
    "amz-sdk-request": "botocore's retry bookkeeping (attempt=1; max=N), changes per attempt",
    "x-amz-trailer": "S3 reads it with the aws-chunked body; the trailer signature or the "
    "checksum covers what it names",
    "x-amz-decoded-content-length": "framing of an aws-chunked body, checked against the "
    "decoded length",
    "content-md5": "checked by S3 against the body it receives",
}
"""Headers real clients send without signing them, and why that is safe: explain lists them as
unsigned but never warns. The corpus (``vectors/captures``) shows boto3 and the AWS CLI leaving
Content-Length, Accept-Encoding, amz-sdk-invocation-id and amz-sdk-request unsigned, awscrt
Content-Length; the rest are what other SDKs and HTTP libraries add (User-Agent is never signed
at all: ``canonical.UNSIGNED_HEADERS``)."""


def _check_headers(request: Request, sig: ReceivedSignature, out: _Builder) -> tuple[str, ...]:
    """Headers sent but not signed. Only what will really fail is a warning: host unsigned, a
    SigV4a region set unsigned, any unsigned x-amz-* header on S3 (S3 refuses those, other
    services do not), and a session token sent unsigned. Everything else is listed in
    ``unsigned_headers`` for the reader, and ``UNSIGNED_BY_DESIGN`` says why SDKs do so."""
    if "host" not in sig.signed_headers:
        out.warn("host_not_signed", "SignedHeaders: host is not signed; AWS requires it")
    if (
        sig.mode == "header"
        and sig.region_set is not None
        and "x-amz-region-set" not in sig.signed_headers
    ):
        out.warn(
            "region_set_not_signed",
            "SignedHeaders: X-Amz-Region-Set is not signed; SigV4a requires it",
        )
    s3 = is_s3(sig.service)
    unsigned: list[str] = []
    for name, _ in request.headers:
        lname = name.lower()
        if lname in sig.signed_headers or lname in UNSIGNED_HEADERS or lname in unsigned:
            continue
        unsigned.append(lname)
        if lname == "x-amz-security-token":
            out.warn(
                "token_not_signed",
                "X-Amz-Security-Token is sent but not signed: fine for IoT-style signing, but "
                "most services expect it in SignedHeaders",
            )
        elif s3 and lname.startswith("x-amz-") and lname not in UNSIGNED_BY_DESIGN:
            out.warn(
                "header_not_signed",
                f"{name} is sent but not signed: S3 refuses a request with unsigned x-amz-* "
                "headers (AccessDenied: headers present which were not signed)",
            )
    return tuple(unsigned)


def _check_s3_rules(request: Request, sig: ReceivedSignature, out: _Builder) -> None:
    """An S3 request header-signed with the general rules (no X-Amz-Content-SHA256): S3
    refuses it, so the signer used another service's rules for an S3 signing name."""
    if sig.mode != "header" or not is_s3(sig.service):
        return
    if "x-amz-content-sha256" not in sig.signed_headers:
        out.warn(
            "non_s3_rules",
            f"signed for {sig.service!r} without X-Amz-Content-SHA256: S3 requires that header "
            "(signed), so this was signed with non-S3 rules; sign with S3's rules (sigv4kit's "
            f"default for service {sig.service!r}: content_sha256_header, path encoded once "
            "and not normalised)",
        )


def _check_scope(
    sig: ReceivedSignature,
    host: str | None,
    host_region: str | None,
    host_service: str | None,
    out: _Builder,
) -> None:
    problem = scope_problem(sig, None, None)  # the date rule; Region and service follow
    if problem is not None:
        out.warn("date_mismatch", f"{problem}: AWS refuses the signature")
    if host_region is not None and not (host is not None and serves_every_region(host)):
        if sig.region is not None and sig.region != host_region:
            out.warn(
                "region_mismatch",
                f"signed for region {sig.region} but sent to {host} ({host_region}): sign for "
                "the region of the endpoint that receives the request",
            )
        elif sig.region_set is not None and not any(
            region_in(host_region, r) for r in sig.region_set
        ):
            out.warn(
                "region_mismatch",
                f"X-Amz-Region-Set {','.join(sig.region_set)} does not include {host_region}, "
                f"the region of {host}",
            )
    if (
        host_service is not None
        and sig.service != host_service
        and sig.service not in _ALSO_SIGNED_FOR.get(host_service, ())
    ):
        out.warn(
            "service_mismatch",
            f"signed for service {sig.service!r} but {host} is {host_service!r}'s endpoint",
        )


def _check_time(sig: ReceivedSignature, moment: datetime, out: _Builder) -> None:
    """The verifier's time rule (``rules.time_problem``), and X-Amz-Expires' range."""
    if sig.expires is not None:
        if sig.expires > MAX_EXPIRES:
            out.warn(
                "expires_too_long",
                f"X-Amz-Expires is {sig.expires}s, over the 7-day ({MAX_EXPIRES}s) maximum: AWS "
                "refuses the URL",
            )
        elif sig.expires < 1:
            out.warn("expires_too_short", "X-Amz-Expires is 0: the URL is never valid")
    problem = time_problem(sig, moment, DEFAULT_MAX_SKEW)
    if problem is not None:
        out.warn(problem[0].value, problem[1])


def _check_replayed_call(
    params: dict[str, str], sig: ReceivedSignature, host_region: str | None, out: _Builder
) -> None:
    """A presigned call the service replays itself (``service_rules.REPLAYED_CALLS``) must be
    complete, scoped to its service, and signed for and addressed to its source Region."""
    rule = REPLAYED_CALLS.get(params.get("Action", ""))
    if rule is None or rule.outer_parameter in params:
        return
    what = f"{rule.action} {rule.outer_parameter}"
    for name in rule.required:
        if not params.get(name):
            out.warn(
                f"{rule.code}_missing_parameter",
                f"{what}: {name} is missing; {rule.service.upper()} refuses the call",
            )
    if sig.service != rule.service:
        out.warn(
            f"{rule.code}_service",
            f"{what}: signed for service {sig.service!r}, must be {rule.service!r}",
        )
    source = params.get(rule.source_region)
    if not source:
        return
    if sig.region is not None and sig.region != source:
        out.warn(
            f"{rule.code}_scope_region",
            f"{what}: signed for {sig.region} but {rule.source_region} is {source}; "
            "presign it for the source region",
        )
    if sig.region_set is not None and not any(region_in(source, r) for r in sig.region_set):
        out.warn(
            f"{rule.code}_scope_region",
            f"{what}: X-Amz-Region-Set {','.join(sig.region_set)} does not "
            f"include {rule.source_region} {source}",
        )
    if host_region is not None and host_region != source:
        out.warn(
            f"{rule.code}_host_region",
            f"{what}: addressed to an endpoint in {host_region} but "
            f"{rule.source_region} is {source}; use the source region's endpoint",
        )


def _safe_canonical(e: Explanation) -> str | None:
    if e.canonical_request is None:
        return None
    return redact_for_display(e.canonical_request, [e.session_token])


def to_dict(e: Explanation) -> dict[str, Any]:
    """A JSON-able dict of ``e`` (times as ISO 8601 UTC), token and signature redacted."""
    return {
        "method": e.method,
        "url": redact_url(e.url),
        "host": e.host,
        "host_region": e.host_region,
        "host_service": e.host_service,
        "mode": e.mode,
        "algorithm": e.algorithm,
        "access_key_id": e.access_key_id,
        "credential_scope": e.credential_scope,
        "scope": {
            "date": e.scope_date,
            "region": e.region,
            "region_set": None if e.region_set is None else list(e.region_set),
            "service": e.service,
        },
        "signed_headers": list(e.signed_headers),
        "unsigned_headers": list(e.unsigned_headers),
        "issued": None if e.issued is None else format_iso(e.issued),
        "expires_in": e.expires_in,
        "expires_at": None if e.expires_at is None else format_iso(e.expires_at),
        "now": format_iso(e.now),
        "seconds_left": e.seconds_left,
        "signature": None if e.signature is None else redacted(e.signature),
        "session_token": None if e.session_token is None else redacted(e.session_token),
        "session_token_signed": e.session_token_signed,
        "canonical_request": _safe_canonical(e),
        "string_to_sign": e.string_to_sign,
        "body_length": e.body_length,
        "payload": e.payload,
        "aws_chunked": None
        if e.chunk_sizes is None
        else {
            "chunks": len(e.chunk_sizes),
            "chunk_sizes": list(e.chunk_sizes),
            "decoded_length": sum(e.chunk_sizes),
            "trailers": [list(t) for t in e.trailers],
        },
        "warnings": [{"code": w.code, "message": w.message} for w in e.warnings],
        "kind": None if e.kind is None else
        {"name": e.kind.name, "title": e.kind.title, "notes": list(e.kind.notes)},
    }


def render_text(e: Explanation) -> str:
    """The explanation for a terminal: summary lines, warnings, then the rebuilt canonical
    request and string to sign (to diff against the signer's debug log); control, format and
    bidi characters from the input shown escaped (``textdiff.visible``)."""
    lines = [] if e.kind is None else [f"Token:           {e.kind.title}"]
    lines.append(f"Request:         {e.method} {redact_url(e.url)}")
    if e.algorithm is None:
        lines.append("Signature:       none that can be read")
    else:
        kind = "SigV4a" if e.algorithm == ALGORITHM_V4A else "SigV4"
        mode = "presigned URL" if e.mode == "query" else "Authorization header"
        lines += [
            f"Algorithm:       {e.algorithm} ({kind}, {mode})",
            f"Access key id:   {e.access_key_id}",
            f"Scope:           {e.credential_scope}",
            f"  date:          {e.scope_date}",
        ]
        if e.region_set is not None:
            lines.append(f"  region set:    {','.join(e.region_set)}")
        else:
            lines.append(f"  region:        {e.region}")
        lines += [
            f"  service:       {e.service}",
            f"Signed headers:  {';'.join(e.signed_headers)}",
        ]
        if e.unsigned_headers:
            lines.append(f"Unsigned:        {', '.join(e.unsigned_headers)}")
        if e.issued is not None and e.expires_at is not None and e.seconds_left is not None:
            validity = (
                f"X-Amz-Expires {e.expires_in}s" if e.mode == "query" else "5 minutes of clock skew"
            )
            left = timedelta(seconds=e.seconds_left)
            status = f"{span(left)} left" if e.seconds_left >= 0 else f"overdue by {span(left)}"
            lines += [
                f"Issued:          {format_iso(e.issued)}",
                f"Valid until:     {format_iso(e.expires_at)} ({validity})",
                f"Now:             {format_iso(e.now)} ({status})",
            ]
        if e.session_token is not None:
            signed = {True: "signed", False: "not signed", None: "signed unless appended later"}
            lines.append(
                f"Session token:   {redacted(e.session_token)}, {signed[e.session_token_signed]}"
            )
        lines.append(f"Signature:       {redacted(e.signature or '')}")
    if e.chunk_sizes is not None:
        lines.append(f"Body:            aws-chunked ({e.payload}), {_chunks_text(e.chunk_sizes)}")
        lines += [f"  trailer:       {name}: {value}" for name, value in e.trailers]
    if e.host is not None:
        where = ", ".join(
            f"{k} {v}" for k, v in (("region", e.host_region), ("service", e.host_service)) if v
        )
        lines.append(f"Host:            {e.host}" + (f" ({where})" if where else ""))
    lines.append("")
    if e.warnings:
        lines.append("Warnings:")
        lines += [f"  [{w.code}] {w.message}" for w in e.warnings]
    else:
        lines.append("Warnings:        none")
    if e.kind is not None and e.kind.notes:
        lines += ["Notes:", *[f"  {note}" for note in e.kind.notes]]
    canonical = _safe_canonical(e)
    if canonical is not None and e.string_to_sign is not None:
        lines += ["", "Canonical request:", *_indent(canonical), ""]
        lines += ["String to sign:", *_indent(e.string_to_sign)]
    # header and trailer values are the input's own text: a terminal must not act on them
    return "\n".join([visible(line) for line in "\n".join(lines).split("\n")]) + "\n"


def _chunks_text(sizes: tuple[int, ...]) -> str:
    """``3 chunks (65536, 1024, 0 bytes), 66560 bytes decoded``; long runs of one size merged."""
    runs: list[tuple[int, int]] = []
    for size in sizes:
        if runs and runs[-1][0] == size:
            runs[-1] = (size, runs[-1][1] + 1)
        else:
            runs.append((size, 1))
    shown = ", ".join(f"{size}" if n == 1 else f"{n} x {size}" for size, n in runs[:8])
    if len(runs) > 8:
        shown += ", …"
    return f"{len(sizes)} chunks ({shown} bytes), {sum(sizes)} bytes decoded"


def _indent(text: str) -> list[str]:
    return ["  " + line for line in text.split("\n")]
