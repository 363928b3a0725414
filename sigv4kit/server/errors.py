"""A verdict turned into the answer AWS itself gives: status, headers and error body.

A client's SDK reads a refusal by its protocol's rules (botocore's ``parsers.py``): S3 (``rest-
xml``) an ``<Error>`` document, the Query services (``query``: STS, IAM, SQS …) an
``<ErrorResponse>``, EC2 (``ec2``) a ``<Response><Errors>``, the JSON services (``json``:
DynamoDB, Lambda …) a ``{"__type": …}`` object with ``x-amzn-ErrorType``. A server that answers
in its clients' protocol, with the code AWS uses for the same fault, gets the same
``ClientError`` code, retry and clock-skew behaviour from every SDK as AWS does.

The codes per reason are one table (``_CODES``): the fault classes are AWS's (an unknown key is
``InvalidAccessKeyId`` to S3, ``InvalidClientTokenId`` to STS, ``UnrecognizedClientException``
to DynamoDB). Messages are AWS's wording, never the secret, a token or a signature. With
``explain=True`` a signature mismatch also carries the canonical request and string to sign the
server computed (S3's ``<CanonicalRequest>``/``<StringToSign>`` and their ``*Bytes`` forms, the
Query and JSON services' "The Canonical String for this request should have been …"), which is
what ``sigv4kit diff --server-error`` reads; they may hold the client's own session token, so
turn it on for development servers only.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from email.utils import formatdate
from typing import Final, Literal
from xml.sax.saxutils import escape

from ..received import Reason
from ..verify import VerifyResult

__all__ = ["PROTOCOLS", "ErrorResponse", "Protocol", "error_response", "refusal"]

Protocol = Literal["rest-xml", "query", "ec2", "json"]
PROTOCOLS: Final = ("rest-xml", "query", "ec2", "json")


@dataclass(frozen=True)
class ErrorResponse:
    """One HTTP answer: ``status``, ``headers`` (name, value pairs) and ``body`` bytes; ``code``
    is the AWS error code the body carries."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    code: str


@dataclass(frozen=True)
class _Fault:
    status: int
    code: str
    message: str


_MISMATCH_TEXT: Final = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your key and signing method."
)
_QUERY_MISMATCH_TEXT: Final = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details."
)
_BAD_TOKEN: Final = "The security token included in the request is invalid."
_NO_AUTH: Final = "Request is missing Authentication Token"
_SCOPE: Final = "Credential should be scoped to a valid region or service."
_HASH: Final = "The provided 'x-amz-content-sha256' header does not match what was computed."
_SKEWED: Final = "The difference between the request time and the current time is too large."
_CHUNK: Final = "The chunk signature we calculated does not match the signature you provided."
_BAD_DIGEST: Final = "The checksum you specified did not match what we received."
_INCOMPLETE: Final = "The request body terminated unexpectedly"


def _f(status: int, code: str, message: str) -> _Fault:
    return _Fault(status, code, message)


# reason -> (rest-xml, query, ec2, json); "time" reasons are resolved by the signature's mode.
_CODES: Final[dict[Reason, tuple[_Fault, _Fault, _Fault, _Fault]]] = {
    Reason.SIGNATURE_MISMATCH: (
        _f(403, "SignatureDoesNotMatch", _MISMATCH_TEXT),
        _f(403, "SignatureDoesNotMatch", _QUERY_MISMATCH_TEXT),
        _f(401, "AuthFailure", "AWS was not able to validate the provided access credentials"),
        _f(400, "InvalidSignatureException", _QUERY_MISMATCH_TEXT),
    ),
    Reason.MISSING_SIGNED_HEADER: (
        _f(403, "SignatureDoesNotMatch", _MISMATCH_TEXT),
        _f(403, "SignatureDoesNotMatch", _QUERY_MISMATCH_TEXT),
        _f(401, "AuthFailure", "AWS was not able to validate the provided access credentials"),
        _f(400, "InvalidSignatureException", _QUERY_MISMATCH_TEXT),
    ),
    Reason.REQUIRED_HEADER_NOT_SIGNED: (
        _f(403, "AccessDenied", "There were headers present in the request which were not "
           "signed"),
        _f(403, "SignatureDoesNotMatch", "'Host' or ':authority' must be a 'SignedHeader' in "
           "the AWS Authorization."),
        _f(401, "AuthFailure", "AWS was not able to validate the provided access credentials"),
        _f(400, "InvalidSignatureException", "'Host' or ':authority' must be a 'SignedHeader' "
           "in the AWS Authorization."),
    ),
    Reason.UNKNOWN_ACCESS_KEY: (
        _f(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in "
           "our records."),
        _f(403, "InvalidClientTokenId", _BAD_TOKEN),
        _f(401, "AuthFailure", "AWS was not able to validate the provided access credentials"),
        _f(400, "UnrecognizedClientException", _BAD_TOKEN),
    ),
    Reason.TOKEN_MISMATCH: (
        _f(400, "InvalidToken", "The provided token is malformed or otherwise invalid."),
        _f(403, "InvalidClientTokenId", _BAD_TOKEN),
        _f(401, "AuthFailure", "AWS was not able to validate the provided access credentials"),
        _f(400, "UnrecognizedClientException", _BAD_TOKEN),
    ),
    Reason.NOT_SIGNED: (
        _f(403, "AccessDenied", "Access Denied"),
        _f(403, "MissingAuthenticationToken", _NO_AUTH),
        _f(401, "AuthFailure", "AWS was not able to validate the provided access credentials"),
        _f(400, "MissingAuthenticationTokenException", _NO_AUTH),
    ),
    Reason.MALFORMED: (
        _f(400, "AuthorizationHeaderMalformed", "The authorization header is malformed."),
        _f(400, "IncompleteSignature", "The request signature does not conform to AWS "
           "standards."),
        _f(400, "IncompleteSignature", "The request signature does not conform to AWS "
           "standards."),
        _f(400, "IncompleteSignatureException", "The request signature does not conform to "
           "AWS standards."),
    ),
    Reason.UNSUPPORTED_ALGORITHM: (
        _f(400, "AuthorizationHeaderMalformed", "Unsupported Authorization Type"),
        _f(400, "IncompleteSignature", "Unsupported Authorization Type"),
        _f(400, "IncompleteSignature", "Unsupported Authorization Type"),
        _f(400, "IncompleteSignatureException", "Unsupported Authorization Type"),
    ),
    Reason.SIGV2: (
        _f(400, "InvalidRequest", "The authorization mechanism you have provided is not "
           "supported. Please use AWS4-HMAC-SHA256."),
        _f(400, "IncompleteSignature", "Signature Version 2 is not supported."),
        _f(400, "IncompleteSignature", "Signature Version 2 is not supported."),
        _f(400, "IncompleteSignatureException", "Signature Version 2 is not supported."),
    ),
    Reason.SCOPE_MISMATCH: (
        _f(400, "AuthorizationHeaderMalformed", "The authorization header is malformed; the "
           "credential scope names a region or service this server does not serve."),
        _f(403, "SignatureDoesNotMatch", _SCOPE),
        _f(401, "AuthFailure", _SCOPE),
        _f(400, "InvalidSignatureException", _SCOPE),
    ),
    Reason.PAYLOAD_HASH_MISMATCH: (
        _f(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does "
           "not match what was computed."),
        _f(403, "SignatureDoesNotMatch", _HASH),
        _f(401, "AuthFailure", _HASH),
        _f(400, "InvalidSignatureException", _HASH),
    ),
    Reason.CHUNK_SIGNATURE_MISMATCH: (
        _f(403, "SignatureDoesNotMatch", _CHUNK),
        _f(403, "SignatureDoesNotMatch", _CHUNK),
        _f(401, "AuthFailure", _CHUNK),
        _f(400, "InvalidSignatureException", _CHUNK),
    ),
    Reason.TRAILER_SIGNATURE_MISMATCH: (
        _f(403, "SignatureDoesNotMatch", _CHUNK),
        _f(403, "SignatureDoesNotMatch", _CHUNK),
        _f(401, "AuthFailure", _CHUNK),
        _f(400, "InvalidSignatureException", _CHUNK),
    ),
    Reason.CHECKSUM_MISMATCH: (
        _f(400, "BadDigest", _BAD_DIGEST),
        _f(400, "BadDigest", _BAD_DIGEST),
        _f(400, "BadDigest", _BAD_DIGEST),
        _f(400, "BadDigest", _BAD_DIGEST),
    ),
    Reason.DECODED_LENGTH_MISMATCH: (
        _f(400, "IncompleteBody", "You did not provide the number of bytes specified by the "
           "Content-Length HTTP header"),
        _f(400, "IncompleteBody", _INCOMPLETE),
        _f(400, "IncompleteBody", _INCOMPLETE),
        _f(400, "IncompleteBody", _INCOMPLETE),
    ),
    Reason.MALFORMED_CHUNK: (
        _f(400, "IncompleteBody", _INCOMPLETE),
        _f(400, "IncompleteBody", _INCOMPLETE),
        _f(400, "IncompleteBody", _INCOMPLETE),
        _f(400, "IncompleteBody", _INCOMPLETE),
    ),
}

_EXPIRED_PRESIGNED: Final = _f(403, "AccessDenied", "Request has expired")
_NOT_YET_PRESIGNED: Final = _f(403, "AccessDenied", "Request is not yet valid")
_TIME: Final = (
    _f(403, "RequestTimeTooSkewed", _SKEWED),
    _f(400, "RequestExpired", "Request has expired."),
    _f(400, "RequestExpired", "Request has expired."),
    _f(400, "InvalidSignatureException", "Signature expired: the request time is outside "
       "the allowed window."),
)
_TIME_REASONS: Final = frozenset({Reason.EXPIRED, Reason.NOT_YET_VALID})

_OTHER: Final[dict[str, tuple[_Fault, _Fault, _Fault, _Fault]]] = {
    "too_large": (
        _f(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"),
        _f(413, "RequestEntityTooLarge", "Request body is too large"),
        _f(413, "RequestEntityTooLarge", "Request body is too large"),
        _f(413, "RequestEntityTooLargeException", "Request body is too large"),
    ),
    "incomplete": (
        _f(400, "IncompleteBody", _INCOMPLETE),
        _f(400, "IncompleteBody", _INCOMPLETE),
        _f(400, "IncompleteBody", _INCOMPLETE),
        _f(400, "IncompleteBody", _INCOMPLETE),
    ),
    "unavailable": (
        _f(503, "ServiceUnavailable", "Service is unable to handle request."),
        _f(503, "ServiceUnavailable", "Service is unable to handle request."),
        _f(503, "Unavailable", "The server is overloaded and can't handle the request."),
        _f(503, "ServiceUnavailableException", "Service is unable to handle request."),
    ),
}
"""Refusals that are not a signature verdict (the middleware's own limits; ``unavailable``:
the credentials lookup did not answer in time, a 503 clients retry)."""


def _column(protocol: str) -> int:
    try:
        return PROTOCOLS.index(protocol)
    except ValueError:
        from ..errors import SigningError

        raise SigningError(
            f"protocol: must be one of {', '.join(PROTOCOLS)}, got {protocol!r}", field="protocol"
        ) from None


def _fault(verdict: VerifyResult, column: int) -> _Fault:
    reason = Reason(verdict.reason)
    if reason in _TIME_REASONS:
        presigned = verdict.received is not None and verdict.received.mode == "query"
        if presigned and column == 0:
            return _EXPIRED_PRESIGNED if reason is Reason.EXPIRED else _NOT_YET_PRESIGNED
        return _TIME[column]
    if (
        reason is Reason.MALFORMED
        and column == 0
        and verdict.received is not None
        and verdict.received.mode == "query"
    ):
        return _f(400, "AuthorizationQueryParametersError",
                      "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                      "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
                      "and X-Amz-Expires parameters.")
    row = _CODES.get(reason)
    if row is None:  # Reason.OK or a reason added later: never answer a refusal with 200
        return _CODES[Reason.SIGNATURE_MISMATCH][column]
    return row[column]


def _xml_text(text: str) -> str:
    """XML 1.0 cannot carry control characters other than tab, LF and CR: drop them (the
    ``*Bytes`` forms keep the exact text)."""
    cleaned = "".join(ch for ch in text if ch >= " " or ch in "\t\n\r")
    return escape(cleaned, {"\r": "&#13;"})


def _hex_bytes(text: str) -> str:
    return " ".join(f"{b:02x}" for b in text.encode("utf-8", "backslashreplace"))


def _explained(verdict: VerifyResult) -> tuple[str, str] | None:
    if verdict.canonical_request is None or verdict.string_to_sign is None:
        return None
    return verdict.canonical_request, verdict.string_to_sign


def _query_explanation(texts: tuple[str, str]) -> str:
    return (
        f"\n\nThe Canonical String for this request should have been\n'{texts[0]}'\n\n"
        f"The String-to-Sign should have been\n'{texts[1]}'\n"
    )


def _s3_body(fault: _Fault, verdict: VerifyResult | None, request_id: str, host_id: str,
             explain: bool) -> bytes:
    parts = [f"<Code>{fault.code}</Code><Message>{_xml_text(fault.message)}</Message>"]
    received = None if verdict is None else verdict.received
    if received is not None and fault.code in {"InvalidAccessKeyId", "SignatureDoesNotMatch"}:
        parts.append(f"<AWSAccessKeyId>{_xml_text(received.access_key_id)}</AWSAccessKeyId>")
    texts = None if verdict is None or not explain else _explained(verdict)
    if texts is not None and fault.code == "SignatureDoesNotMatch":
        parts.append(
            f"<StringToSign>{_xml_text(texts[1])}</StringToSign>"
            f"<StringToSignBytes>{_hex_bytes(texts[1])}</StringToSignBytes>"
            f"<CanonicalRequest>{_xml_text(texts[0])}</CanonicalRequest>"
            f"<CanonicalRequestBytes>{_hex_bytes(texts[0])}</CanonicalRequestBytes>"
        )
    parts.append(f"<RequestId>{request_id}</RequestId><HostId>{host_id}</HostId>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error>' + "".join(parts)
            + "</Error>").encode("utf-8")


def _answer(fault: _Fault, column: int, verdict: VerifyResult | None, explain: bool,
            request_id: str | None) -> ErrorResponse:
    date = formatdate(usegmt=True)
    message = fault.message
    texts = None if verdict is None or not explain else _explained(verdict)
    mismatch = verdict is not None and Reason(verdict.reason) is Reason.SIGNATURE_MISMATCH
    if column == 0:
        rid = request_id or secrets.token_hex(8).upper()
        host_id = secrets.token_urlsafe(48)
        body = _s3_body(fault, verdict, rid, host_id, explain)
        headers = [("Content-Type", "application/xml"), ("x-amz-request-id", rid),
                   ("x-amz-id-2", host_id)]
    elif column in (1, 2):
        rid = request_id or str(uuid.uuid4())
        if texts is not None and mismatch:
            message += _query_explanation(texts)
        error = f"<Code>{fault.code}</Code><Message>{_xml_text(message)}</Message>"
        if column == 1:
            kind = "Sender" if fault.status < 500 else "Receiver"
            text = (f'<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error>'
                    f"<Type>{kind}</Type>{error}</Error><RequestId>{rid}</RequestId>"
                    "</ErrorResponse>")
        else:
            text = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>{error}'
                    f"</Error></Errors><RequestID>{rid}</RequestID></Response>")
        body = text.encode("utf-8")
        headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", rid)]
    else:
        rid = request_id or str(uuid.uuid4())
        if texts is not None and mismatch:
            message += _query_explanation(texts)
        body = json.dumps({"__type": fault.code, "message": message}).encode("utf-8")
        headers = [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-RequestId", rid),
                   ("x-amzn-ErrorType", fault.code)]
    headers += [("Date", date), ("Content-Length", str(len(body)))]
    return ErrorResponse(fault.status, tuple(headers), body, fault.code)


def error_response(
    verdict: VerifyResult,
    protocol: Protocol | str,
    *,
    explain: bool = False,
    request_id: str | None = None,
) -> ErrorResponse:
    """AWS's answer, in ``protocol`` (``rest-xml``, ``query``, ``ec2`` or ``json``), to a
    request refused with ``verdict``.

    ``explain=True`` adds the canonical request and string to sign to a SignatureDoesNotMatch
    (for ``sigv4kit diff --server-error``; they may quote the client's session token).
    ``request_id`` defaults to a fresh random one (S3's 16 hex digits, a UUID elsewhere). An
    unknown protocol raises ``SigningError``; a valid verdict is answered as a mismatch, never
    as a success.
    """
    column = _column(protocol)
    return _answer(_fault(verdict, column), column, verdict, explain, request_id)


def refusal(
    kind: Literal["too_large", "incomplete", "unavailable"],
    protocol: Protocol | str,
    *,
    request_id: str | None = None,
) -> ErrorResponse:
    """AWS's answer to a refusal that is not about the signature: a body over the size cap
    (``too_large``), one that ended before its Content-Length (``incomplete``), or a server
    that cannot decide in time (``unavailable``: 503, which SDKs retry)."""
    column = _column(protocol)
    return _answer(_OTHER[kind][column], column, None, False, request_id)
