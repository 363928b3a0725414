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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ._other_rules import alternatives, hint_text
from .canonical import (
    CanonicalRequest,
    canonical_header_value,
    canonical_query_string,
    canonical_uri,
)
from .checksums import checksum_headers, new_checksum
from .chunked import (
    MAX_CHUNK_SIZE,
    VARIANTS,
    Checker,
    ChunkDecoder,
    ChunkError,
    equal_ascii,
    hmac_checker,
    trailer_algorithm,
)
from .errors import SigningError
from .keys import ALGORITHM, cached_signing_key, string_to_sign
from .model import Credentials, HeadersLike, Request, trusted
from .options import (
    MAX_EXPIRES,
    STREAMING_PREFIX,
    UNSIGNED_PAYLOAD,
    body_sha256,
    is_sha256_hex,
    path_rules,
    service_defaults,
)
from .received import (
    Reason,
    ReceivedSignature,
    View,
    malformed,
    read,
    read_signature,
    view_of,
)
from .redact import excerpt
from .rules import DEFAULT_MAX_SKEW, scope_problem, time_problem, token_problem
from .timestamps import now_or
from .url import SplitUrl
from .wire import MalformedInputError, parse_url

__all__ = [
    "DEFAULT_MAX_SKEW",
    "Lookup",
    "Reason",
    "ReceivedSignature",
    "VerifyResult",
    "read_signature",
    "rebuild_canonical",
    "verify_presigned_url",
    "verify_request",
]

Lookup = Callable[[str], Credentials | None]
"""Maps an access key id to its credentials, or None when the key is unknown."""


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
    decoded_body: bytes | None = None
    """The object bytes of an aws-chunked body verified whole (None otherwise): what a server
    stores, never the framed body."""

    def __repr__(self) -> str:
        return (
            f"VerifyResult(valid={self.valid!r}, reason={self.reason.value!r}, "
            f"message={self.message!r})"
        )


def _payload_hash(view: View, sig: ReceivedSignature) -> str:
    """Header mode: X-Amz-Content-SHA256 when sent, else the body's hash. Query mode: S3 signs
    no payload (the URL's holder picks it); other services as in header mode."""
    if sig.mode == "query":
        preset = service_defaults(sig.service, presign=True).get("payload_hash")
        if preset is not None:
            return preset
    sent = view.groups.get("x-amz-content-sha256")
    if sent is not None:
        return ",".join(sent)
    return body_sha256(view.request.body)


def _canonical_headers(view: View, sig: ReceivedSignature) -> str:
    lines = []
    for name in sig.signed_headers:
        values = view.groups.get(name)
        if values is None:
            if name != "host" or not view.parts.host:
                raise malformed(
                    f"SignedHeaders: lists {excerpt(name)} but the request has no such header",
                    Reason.MISSING_SIGNED_HEADER,
                )
            # split_url's Host value holds no whitespace: it is its own canonical form.
            lines.append(f"host:{view.parts.host}\n")
            continue
        if len(values) == 1:
            lines.append(f"{name}:{canonical_header_value(values[0])}\n")
        else:
            lines.append(f"{name}:{','.join([canonical_header_value(v) for v in values])}\n")
    return "".join(lines)


_SIGNATURE = ("X-Amz-Signature",)
_NOT_SIGNED = ("X-Amz-Signature", "X-Amz-Security-Token")
_canonical_request = CanonicalRequest.of


class _Rebuilt:
    """The verifier's side of the spec over a request exactly as received: the canonical
    request (task 1) and string to sign (task 2) its signature claims; tasks 3 and 4 need the
    secret (``_signature_matches``). The checks that do compare ``to_sign``, and rebuild under
    other rules (``under``) when it does not match.

    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
    """

    __slots__ = ("canonical", "double", "normalize", "sig", "to_sign", "view")

    def __init__(self, view: View, sig: ReceivedSignature, normalize: bool, double: bool) -> None:
        self.view, self.sig, self.normalize, self.double = view, sig, normalize, double
        # Task 1 (#create-canonical-request): the parts the signature names, as received.
        headers_block = _canonical_headers(view, sig)
        payload_hash = _payload_hash(view, sig)
        if sig.mode == "query":  # all but the signature (and a token appended unsigned)
            drop = _NOT_SIGNED if sig.session_token_signed is False else _SIGNATURE
            query = canonical_query_string([p for p in view.pairs if p[0] not in drop])
        else:
            query = canonical_query_string(view.pairs)
        self.canonical = _canonical_request(
            view.request.method.upper(),
            canonical_uri(view.parts.path, normalize_path=normalize, double_encode_path=double),
            query,
            headers_block,
            ";".join(sig.signed_headers),
            payload_hash,
        )
        # Task 2 (#create-string-to-sign).
        self.to_sign = string_to_sign(
            sig.algorithm, sig.amz_date, sig.credential_scope, self.canonical
        )

    def under(self, canonical: CanonicalRequest) -> _Rebuilt:
        """The same claim over another canonical request (another rule tried)."""
        other = object.__new__(_Rebuilt)
        other.view, other.sig, other.normalize, other.double = (
            self.view, self.sig, self.normalize, self.double)
        other.canonical = canonical
        sig = self.sig
        other.to_sign = string_to_sign(sig.algorithm, sig.amz_date, sig.credential_scope, canonical)
        return other

    @property
    def texts(self) -> tuple[str, str]:
        return self.canonical.text, self.to_sign


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
    normalize, double = path_rules(received.service, normalize_path, double_encode_path)
    return _Rebuilt(view_of(request), received, normalize, double).texts


def _signature_matches(sig: ReceivedSignature, creds: Credentials, to_sign: str) -> bool:
    if sig.algorithm == ALGORITHM:
        assert sig.region is not None
        key = cached_signing_key(
            creds.secret_access_key, sig.scope_date, sig.region, sig.service
        )
        return hmac.compare_digest(key.hex_signature(to_sign), sig.signature)
    from . import sigv4a

    return sigv4a.verify_signature(sigv4a.public_key(creds), to_sign, sig.signature)


def _fail(
    reason: Reason,
    message: str,
    sig: ReceivedSignature | None = None,
    texts: tuple[str, str] | None = None,
    token_signed: bool | None = None,
) -> VerifyResult:
    return trusted(
        VerifyResult,
        {
            "valid": False,
            "reason": reason,
            "message": message,
            "received": sig,
            "session_token_signed": token_signed,
            "canonical_request": None if texts is None else texts[0],
            "string_to_sign": None if texts is None else texts[1],
            "decoded_body": None,
        },
    )


def check_lookup(lookup: object) -> Lookup:
    """``lookup`` when it can be called, else SigningError naming it (e.g. None passed where a
    lookup belongs)."""
    if not callable(lookup):
        raise SigningError(
            f"lookup: must be a function from an access key id to Credentials or None, got "
            f"{type(lookup).__name__}",
            field="lookup",
        )
    return lookup


def looked_up(lookup: Lookup, access_key_id: str) -> Credentials | None:
    """What ``lookup`` gives for ``access_key_id``; SigningError (naming lookup, never the
    value: it may be a secret) when that is neither Credentials nor None."""
    creds = lookup(access_key_id)
    if creds is not None and not isinstance(creds, Credentials):
        raise SigningError(
            f"lookup: returned {type(creds).__name__} for an access key id; it must return "
            "sigv4kit.Credentials or None",
            field="lookup",
        )
    return creds


class _Options:
    __slots__ = (
        "defer_body", "double_encode_path", "max_skew", "normalize_path", "now", "region",
        "service",
    )

    def __init__(
        self,
        now: datetime | str | None,
        service: str | None,
        region: str | None,
        max_skew: timedelta,
        normalize_path: bool | None,
        double_encode_path: bool | None,
        defer_body: bool = False,
    ) -> None:
        if max_skew is not DEFAULT_MAX_SKEW and (
            not isinstance(max_skew, timedelta) or max_skew < timedelta(0)
        ):
            raise SigningError("max_skew: must be a non-negative timedelta", field="max_skew")
        if service is not None or region is not None:
            for name, value in (("service", service), ("region", region)):
                if value is not None and not isinstance(value, str):
                    raise SigningError(f"{name}: must be a string or None", field=name)
        self.now = now_or(now)
        self.service = service
        self.region = region
        self.max_skew = max_skew
        self.normalize_path = normalize_path
        self.double_encode_path = double_encode_path
        self.defer_body = defer_body is True


def _verify(
    request: Request, parts: SplitUrl | None, lookup: Lookup, opts: _Options
) -> VerifyResult:
    """Parse, rebuild and check; only ``lookup`` may raise (it is the caller's code)."""
    sig: ReceivedSignature | None = None
    try:
        request, parts = _signed_part(request, parts)
        view = view_of(request, parts)
        sig = read(view)
        if sig.expires is not None and not 1 <= sig.expires <= MAX_EXPIRES:
            raise malformed(
                f"X-Amz-Expires: must be between 1 and {MAX_EXPIRES} seconds (7 days), got "
                f"{sig.expires}"
            )
        problem = scope_problem(sig, opts.service, opts.region)
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
        normalize, double = path_rules(sig.service, opts.normalize_path, opts.double_encode_path)
        rebuilt = _Rebuilt(view, sig, normalize, double)
        timing = time_problem(sig, opts.now, opts.max_skew)
        if timing is not None:
            return _fail(timing[0], timing[1], sig, rebuilt.texts)
    except MalformedInputError as exc:
        return _fail(Reason(exc.reason), str(exc), sig)
    except SigningError as exc:  # the core's own checks (e.g. a lone surrogate in the path)
        return _fail(Reason.MALFORMED, str(exc), sig)
    except Exception as exc:  # defensive: no input may make verification raise
        return _fail(Reason.MALFORMED, f"request: could not be read ({type(exc).__name__})", sig)

    creds = looked_up(lookup, sig.access_key_id)

    try:
        result = _check(rebuilt, creds, opts.defer_body)
        payload = rebuilt.canonical.payload_hash
        if result.valid and payload.startswith(STREAMING_PREFIX) and creds is not None:
            return _check_streaming(view, sig, creds, result, payload, opts.defer_body)
        return result
    except Exception as exc:  # defensive, as above
        return _fail(
            Reason.MALFORMED, f"request: could not be verified ({type(exc).__name__})", sig,
            rebuilt.texts,
        )


def _signed_part(request: Request, parts: SplitUrl | None) -> tuple[Request, SplitUrl | None]:
    """``request`` without what a token kind appends after the signature unsigned by design
    (``tokens.APPENDED_UNSIGNED``: MSK's User-Agent, a Bedrock key's Version)."""
    url = request.url
    at = url.find("&X-Amz-Signature=")
    if at < 0 or url.find("&", at + 1) < 0:
        return request, parts
    from .tokens import split_appended

    signed, appended = split_appended(url)
    if not appended:
        return request, parts
    return Request(request.method, signed, request.headers, request.body), None


def _check(rebuilt: _Rebuilt, creds: Credentials | None, defer_body: bool) -> VerifyResult:
    """Steps that need the secret: who signed, with which token, and the signature itself."""
    view, sig, canonical, to_sign = rebuilt.view, rebuilt.sig, rebuilt.canonical, rebuilt.to_sign
    texts = (canonical.text, to_sign)
    token_signed = sig.session_token_signed
    if creds is None:
        return _fail(
            Reason.UNKNOWN_ACCESS_KEY,
            f"access key {sig.access_key_id!r} is not known",
            sig,
            texts,
        )
    problem = token_problem(sig, creds)
    if problem is not None:
        return _fail(Reason.TOKEN_MISMATCH, problem, sig, texts, token_signed)
    unknown_token = sig.session_token is not None and token_signed is None
    if _signature_matches(sig, creds, to_sign):
        if unknown_token:
            token_signed = True
    elif unknown_token:
        # A token appended after signing (IoT and some SDKs do): the signature covers the rest.
        query = canonical_query_string([p for p in view.pairs if p[0] not in _NOT_SIGNED])
        unsigned = rebuilt.under(canonical.replace(query=query))
        if not _signature_matches(sig, creds, unsigned.to_sign):
            return _mismatch(rebuilt, creds)
        texts, token_signed = unsigned.texts, False
    else:
        return _mismatch(rebuilt, creds)
    sent = view.groups.get("x-amz-content-sha256")
    deferred = ""
    if defer_body and sent is not None and len(sent) == 1 and is_sha256_hex(sent[0]):
        deferred = "; body not verified yet: its SHA-256 must equal X-Amz-Content-SHA256"
    elif sent is not None and len(sent) == 1 and is_sha256_hex(sent[0]):
        actual = body_sha256(view.request.body)
        if actual != sent[0]:
            return _fail(
                Reason.PAYLOAD_HASH_MISMATCH,
                f"the signature is valid but X-Amz-Content-SHA256 is not the SHA-256 of the "
                f"{len(view.request.body)}-byte body received (body altered or truncated?)",
                sig,
                texts,
                token_signed,
            )
    if not defer_body and not canonical.payload_hash.startswith(STREAMING_PREFIX):
        problem = _checksum_header_problem(view)
        if problem is not None:
            return _fail(Reason.CHECKSUM_MISMATCH, problem, sig, texts, token_signed)
    return trusted(
        VerifyResult,
        {
            "valid": True,
            "reason": Reason.OK,
            "message": f"valid {sig.algorithm} signature by {sig.access_key_id}{deferred}",
            "received": sig,
            "session_token_signed": token_signed,
            "canonical_request": texts[0],
            "string_to_sign": texts[1],
            "decoded_body": None,
        },
    )


def _checksum_header_problem(view: View) -> str | None:
    """A plain upload's ``x-amz-checksum-<algorithm>`` header checked against its body, as S3
    does (BadDigest); None when it matches or there is none. Only for PUT (PutObject,
    UploadPart, and the bucket configurations botocore checksums): a POST such as
    CompleteMultipartUpload carries the whole object's checksum, not its XML body's."""
    if view.request.method.upper() != "PUT":
        return None
    body = view.request.body
    try:
        found = checksum_headers(view.groups)
    except ValueError as exc:
        return f"the signature is valid but {exc}"
    for name, algorithm, value in found:
        try:
            checksum = new_checksum(algorithm)
        except SigningError as exc:  # its library is not installed (xxhash)
            return f"{name}: cannot be checked: {exc}"
        checksum.update(body)
        if not equal_ascii(checksum.base64(), value.strip()):
            return (
                f"the signature is valid but {name} is not the {algorithm} of the "
                f"{len(body)}-byte body received (body altered or truncated?)"
            )
    return None


def _decoded_length(view: View) -> int | None:
    value = view.groups.get("x-amz-decoded-content-length")
    if value is None:
        return None
    text = ",".join(value).strip()
    if len(value) > 1 or not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise malformed(
            "X-Amz-Decoded-Content-Length: must be one whole number of bytes",
            Reason.MALFORMED_CHUNK,
        )
    return int(text)


def _chunk_checker(sig: ReceivedSignature, creds: Credentials) -> Checker:
    if sig.algorithm == ALGORITHM:
        assert sig.region is not None
        key = cached_signing_key(creds.secret_access_key, sig.scope_date, sig.region, sig.service)
        return hmac_checker(key.hex_signature)
    from . import sigv4a

    public = sigv4a.public_key(creds)
    return lambda to_sign, signature: sigv4a.verify_signature(public, to_sign, signature)


def _decoder(
    view: View, sig: ReceivedSignature, creds: Credentials, max_chunk_size: int
) -> ChunkDecoder:
    sent = view.groups.get("x-amz-content-sha256") or []
    variant = VARIANTS.get(sent[0]) if len(sent) == 1 else None
    if variant is None:
        raise malformed(
            f"X-Amz-Content-SHA256: {(sent or [''])[0][:64]!r} is not an aws-chunked payload "
            "hash sigv4kit can verify",
            Reason.MALFORMED_CHUNK,
        )
    if variant.signed and variant.algorithm != sig.algorithm:
        raise malformed(
            f"X-Amz-Content-SHA256: {variant.payload_hash} does not go with a "
            f"{sig.algorithm} signature",
            Reason.MALFORMED_CHUNK,
        )
    trailer_values = view.groups.get("x-amz-trailer")
    try:
        trailer = trailer_algorithm(None if trailer_values is None else ",".join(trailer_values))
    except ValueError as exc:
        raise malformed(str(exc), Reason.MALFORMED_CHUNK) from None
    if variant.trailer != (trailer is not None):
        need = "needs it (it names the checksum sent after the last chunk)"
        raise malformed(
            f"X-Amz-Trailer: {variant.payload_hash} "
            + (need if variant.trailer else "carries no trailer"),
            Reason.MALFORMED_CHUNK,
        )
    checksum_header = None
    if not variant.trailer:
        try:
            for _, algorithm, value in checksum_headers(view.groups):
                checksum_header = (algorithm, value)
        except ValueError as exc:
            raise malformed(str(exc), Reason.CHECKSUM_MISMATCH) from None
    try:
        return ChunkDecoder(
            variant,
            seed=sig.signature,
            amzdate=sig.amz_date,
            scope=sig.credential_scope,
            check=_chunk_checker(sig, creds) if variant.signed else None,
            decoded_length=_decoded_length(view),
            trailer=trailer,
            checksum_header=checksum_header,
            max_chunk_size=max_chunk_size,
        )
    except SigningError as exc:  # a checksum whose library is not installed (xxhash)
        raise malformed(
            f"aws-chunked body: cannot be checked: {exc}", Reason.MALFORMED_CHUNK
        ) from None


def chunk_decoder(
    request: Request,
    received: ReceivedSignature,
    credentials: Credentials,
    *,
    max_chunk_size: int = MAX_CHUNK_SIZE,
) -> ChunkDecoder:
    """The aws-chunked decoder for ``request``'s headers under its (already verified) seed
    signature; raises ``MalformedInputError`` when the headers do not describe a body it can
    check (unknown STREAMING value, X-Amz-Trailer missing or unexpected)."""
    return _decoder(view_of(request), received, credentials, max_chunk_size)


def streaming_verdict(
    headers: VerifyResult, reason: Reason, message: str, body: bytes | None = None
) -> VerifyResult:
    """The verdict on a whole streaming request from its headers verdict and the body's."""
    return trusted(
        VerifyResult,
        {
            "valid": reason is Reason.OK,
            "reason": reason,
            "message": message,
            "received": headers.received,
            "session_token_signed": headers.session_token_signed,
            "canonical_request": headers.canonical_request,
            "string_to_sign": headers.string_to_sign,
            "decoded_body": body,
        },
    )


def _check_streaming(
    view: View,
    sig: ReceivedSignature,
    creds: Credentials,
    headers: VerifyResult,
    payload: str,
    defer: bool,
) -> VerifyResult:
    """An aws-chunked body checked whole: every chunk signature chained from the seed, the
    framing, the trailer, the checksum and the decoded length."""
    try:
        decoder = _decoder(view, sig, creds, MAX_CHUNK_SIZE)
    except MalformedInputError as exc:
        return streaming_verdict(headers, Reason(exc.reason), str(exc))
    if defer:
        return streaming_verdict(
            headers,
            Reason.OK,
            f"{headers.message}; aws-chunked body ({payload}) not verified yet: feed it to "
            "sigv4kit.streaming.ChunkedVerifier",
        )
    try:
        pieces = decoder.feed(view.request.body)
        decoder.finish()
    except ChunkError as exc:
        return streaming_verdict(headers, Reason(exc.reason), str(exc))
    return streaming_verdict(
        headers,
        Reason.OK,
        f"{headers.message} and aws-chunked body ({decoder.chunks} chunks, {decoder.decoded} "
        "bytes)",
        b"".join(pieces),
    )


def _mismatch(rebuilt: _Rebuilt, creds: Credentials) -> VerifyResult:
    """A signature mismatch, with a hint when the request verifies under the other rule set
    (the commonest cause: S3's rules used for another service, or the other way round)."""
    message = (
        "the signature does not match the request as received: compare canonical_request and "
        "string_to_sign with the signer's"
    )
    hint = _other_rules_hint(rebuilt, creds)
    if hint is not None:
        message = hint
    sig = rebuilt.sig
    return _fail(Reason.SIGNATURE_MISMATCH, message, sig, rebuilt.texts, sig.session_token_signed)


def _other_rules_hint(rebuilt: _Rebuilt, creds: Credentials) -> str | None:
    """Which other path (and, presigned, payload) rules the signature verifies under, said as
    the options that would sign it so, or None. S3 presigns UNSIGNED-PAYLOAD, every other
    service the SHA-256 of the body."""
    view, sig, canonical = rebuilt.view, rebuilt.sig, rebuilt.canonical
    payload = canonical.payload_hash
    other_payload = None
    if sig.mode == "query":
        other_payload = (UNSIGNED_PAYLOAD if payload != UNSIGNED_PAYLOAD
                         else body_sha256(view.request.body))
    used = (rebuilt.normalize, rebuilt.double, payload)
    for rules in alternatives(view.parts.path, used, other_payload):
        uri = canonical_uri(view.parts.path, normalize_path=rules[0], double_encode_path=rules[1])
        alt = rebuilt.under(canonical.replace(uri=uri, payload_hash=rules[2]))
        if _signature_matches(sig, creds, alt.to_sign):
            return hint_text(sig.service, used, rules)
    return None


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
    defer_body: bool = False,
) -> VerifyResult:
    """Verify a header-signed request or a presigned one (the mode is read from the request).

    ``lookup`` maps the access key id to credentials (None when unknown); what it raises
    passes through. ``service`` / ``region``, when given, must be what the signature is scoped
    to (a SigV4a region set must include ``region`` or be ``*``). ``now`` (aware datetime or
    ``20150830T123600Z``) defaults to the clock. Path rules follow the scope's service unless
    ``normalize_path`` / ``double_encode_path`` say otherwise. Invalid arguments other than the
    request raise ``SigningError`` (field named): so does a ``lookup`` that is not callable or
    returns something other than ``Credentials`` or None (a caller's bug, not a verdict on the
    request); the request itself never makes this raise.

    An aws-chunked body (X-Amz-Content-SHA256 ``STREAMING-…``) is checked whole: chunk
    signatures, framing, trailer, checksum and X-Amz-Decoded-Content-Length; the object bytes
    are then ``decoded_body``. ``defer_body=True`` checks the headers only (the body is not
    there yet): an aws-chunked body is then checked by ``sigv4kit.streaming.ChunkedVerifier``
    as it arrives; a body whose SHA-256 X-Amz-Content-SHA256 states is the caller's to hash
    (or ``verify_request`` it once whole). Without X-Amz-Content-SHA256 the signature covers
    the body's own hash, so it cannot be deferred.
    """
    opts = _Options(
        now, service, region, max_skew, normalize_path, double_encode_path, defer_body
    )
    return _verify(request, None, check_lookup(lookup), opts)


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

    Same checks and errors as ``verify_request``; a URL without X-Amz-* signature parameters
    is refused (``not_signed``) rather than looked for in ``headers``.
    """
    opts = _Options(now, service, region, max_skew, normalize_path, double_encode_path)
    lookup = check_lookup(lookup)
    try:
        request, parts = parse_url(url, method, headers, body)
    except MalformedInputError as exc:
        return _fail(Reason(exc.reason), str(exc))
    except Exception as exc:  # defensive: no input may make verification raise
        return _fail(Reason.MALFORMED, f"url: could not be read ({type(exc).__name__})")
    if request.headers and request.header("authorization") is not None:
        return _fail(
            Reason.MALFORMED,
            "headers: a presigned URL is verified without an Authorization header",
        )
    return _verify(request, parts, lookup, opts)
