"""Read the error text a server sends when it rejects a signature.

A server that refuses a signature often says which canonical request and string to sign it
expected, but every service family wraps them differently: S3 returns an ``<Error>`` document
with ``<CanonicalRequest>``, ``<StringToSign>`` and their ``*Bytes`` hex forms; the Query
services (``<ErrorResponse>``) and the JSON services quote both in the message ("The Canonical
String for this request should have been '…'"); EC2 (``<Response><Errors>``) says only
``AuthFailure``; and users paste raw HTTP responses or botocore ``ClientError`` text from logs.
``parse_server_error`` reads all of them into one ``ServerReport``, for ``diagnose`` to compare
with what we signed.

The text is untrusted: it is capped at ``MAX_INPUT_BYTES``, XML goes through defusedxml with
DTDs and entities refused and nesting capped at ``MAX_XML_DEPTH``, and every failure is a
``DiagnoseError`` whose message never quotes the input. Pure: no network, no clock, no HTTP
library.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

from ..errors import Error
from ..redact import redacted
from ..wire import MAX_INPUT_BYTES
from ..xmldoc import XmlError, child, child_text, parse_xml

__all__ = [
    "MAX_INPUT_BYTES",
    "MAX_XML_DEPTH",
    "DiagnoseError",
    "ServerReport",
    "parse_server_error",
]


MAX_XML_DEPTH = 32
"""AWS error documents nest three deep; deeper XML is hostile or not an error document."""

_CANONICAL_INTRO = "The Canonical String for this request should have been"
_STS_INTRO = "The String-to-Sign should have been"
_MISMATCH_PHRASE = "does not match the signature you provided"

_HEX = re.compile(r"[0-9A-Fa-f]*")
_WS = re.compile(r"\s+")
_CLIENT_ERROR = re.compile(r"\(([A-Za-z][A-Za-z0-9._-]{0,127})\) when calling the ")
_KNOWN_CODES = (
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "InvalidSignature",
    "AuthFailure",
    "RequestTimeTooSkewed",
    "RequestExpired",
    "SignatureExpired",
    "InvalidClientTokenId",
    "InvalidAccessKeyId",
    "UnrecognizedClientException",
    "ExpiredTokenException",
    "ExpiredToken",
    "IncompleteSignature",
    "AuthorizationHeaderMalformed",
    "AuthorizationQueryParametersError",
)
_CODE_IN_TEXT = re.compile(r"\b(" + "|".join(_KNOWN_CODES) + r")\b")
_REQUEST_ID_HEADERS = ("x-amzn-requestid", "x-amz-request-id", "x-amzn-request-id")


class DiagnoseError(Error, ValueError):
    """Server error text that cannot be read as an AWS error response.

    The only exception ``parse_server_error`` and ``diagnose.diff_report`` raise. The message
    says what was wrong with the input (too large, not UTF-8, malformed XML or JSON, a forbidden
    XML feature, nothing recognisable) and never quotes it: the text may hold a session token.
    """


@dataclass(frozen=True, repr=False)
class ServerReport:
    """What the server said when it rejected the signature.

    ``canonical_request`` and ``string_to_sign`` are the server's own, exactly as it reported
    them (from the ``*Bytes`` hex forms when S3 sends them, since XML text loses carriage
    returns); None when the server did not say (EC2 never does). ``format`` names the envelope
    (``s3-xml``, ``query-xml``, ``ec2-xml``, ``json``, ``text``); ``notes`` records what was
    repaired or lost while reading it.
    """

    canonical_request: str | None
    string_to_sign: str | None
    code: str | None
    message: str | None
    access_key_id: str | None = None
    request_id: str | None = None
    signature_provided: str | None = None
    format: str = "text"
    notes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        def size(text: str | None) -> str:
            return "None" if text is None else f"<{len(text)} chars>"

        signature = None if self.signature_provided is None else redacted(self.signature_provided)
        return (
            f"ServerReport(format={self.format!r}, code={self.code!r}, "
            f"request_id={self.request_id!r}, access_key_id={self.access_key_id!r}, "
            f"canonical_request={size(self.canonical_request)}, "
            f"string_to_sign={size(self.string_to_sign)}, signature_provided={signature!r})"
        )


def escape_lone_surrogates(text: str) -> str:
    """Lone surrogates (from JSON ``\\ud800`` escapes) cannot be encoded; show them escaped
    instead of failing later in quote() or hashing."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _as_text(data: object) -> str:
    if isinstance(data, bytearray | memoryview):
        data = bytes(data)
    if isinstance(data, bytes):
        if len(data) > MAX_INPUT_BYTES:
            raise DiagnoseError(
                f"server error text: {len(data)} bytes is more than the {MAX_INPUT_BYTES} "
                "an error response can be"
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DiagnoseError(
                f"server error text: not UTF-8 (invalid byte at offset {exc.start})"
            ) from None
    elif isinstance(data, str):
        if len(data) > MAX_INPUT_BYTES:
            raise DiagnoseError(
                f"server error text: more than the {MAX_INPUT_BYTES} bytes an error response can be"
            )
        try:
            size = len(data.encode("utf-8"))
        except UnicodeEncodeError:
            raise DiagnoseError(
                "server error text: contains lone surrogates (not text a server sent)"
            ) from None
        if size > MAX_INPUT_BYTES:
            raise DiagnoseError(
                f"server error text: {size} bytes is more than the {MAX_INPUT_BYTES} an error "
                "response can be"
            )
        text = data
    else:
        raise DiagnoseError(f"server error text: must be str or bytes, not {type(data).__name__}")
    return text.lstrip("\ufeff")


def _hex_text(value: str | None) -> str | None:
    """S3's ``*Bytes`` form: space-separated hex bytes (whitespace anywhere is tolerated, as
    copies from logs wrap lines mid-byte). None when it is not valid hex."""
    if value is None:
        return None
    digits = _WS.sub("", value)
    if not digits or len(digits) % 2 or not _HEX.fullmatch(digits):
        return None
    return bytes.fromhex(digits).decode("utf-8", "backslashreplace")


def _quoted(segment: str, *, last: bool) -> str | None:
    """The text between the opening quote that follows an intro and its closing quote.

    A canonical request may itself hold ``'`` (in a header value), so it ends at the *last*
    quote before the string-to-sign intro; a string to sign never does, so it ends at the first.
    """
    body = segment.lstrip(" \t\r\n")
    if not body.startswith("'"):
        return None
    body = body[1:]
    end = body.rfind("'") if last else body.find("'")
    return None if end < 0 else body[:end]


def _message_parts(message: str) -> tuple[str | None, str | None, list[str]]:
    """The canonical request and string to sign quoted in a Query/JSON service's message."""
    notes: list[str] = []
    canonical = sts = None
    ci = message.find(_CANONICAL_INTRO)
    si = message.find(_STS_INTRO, max(ci, 0))
    if ci >= 0:
        end = si if si >= 0 else len(message)
        canonical = _quoted(message[ci + len(_CANONICAL_INTRO) : end], last=True)
    if si >= 0:
        sts = _quoted(message[si + len(_STS_INTRO) :], last=False)
    if canonical is not None:
        canonical = canonical.replace("\r\n", "\n")
        if "\n" not in canonical and " " in canonical:
            notes.append(
                "the server's canonical request has no line breaks: it was copied from a view "
                "that folds whitespace, so its lines cannot be told apart; paste the raw "
                "response body instead"
            )
    if sts is not None:
        sts = sts.replace("\r\n", "\n")
        words = sts.split()
        if "\n" not in sts and len(words) == 4:
            sts = "\n".join(words)
            notes.append("the server's string to sign had lost its line breaks; restored")
    return canonical, sts, notes


def _parse_xml(text: str) -> Element:
    """The hardened reader (``sigv4kit.xmldoc``); the text was checked as UTF-8 already."""
    try:
        return parse_xml(text.encode("utf-8"), max_depth=MAX_XML_DEPTH, max_bytes=MAX_INPUT_BYTES)
    except XmlError as exc:
        hint = "; AWS error responses have no DTD or entities" if exc.kind == "hostile" else ""
        raise DiagnoseError(f"server error text: {exc}{hint}") from None


def _error_element(root: Element) -> tuple[Element, str] | None:
    """The ``<Error>`` of S3 (the root), of Query services (``<ErrorResponse><Error>``) or of
    EC2 (``<Response><Errors><Error>``)."""
    if root.tag == "Error":
        return root, "s3-xml"
    found = child(root, "Error")
    if found is not None:
        return found, "query-xml"
    errors = child(root, "Errors")
    if errors is not None:
        found = child(errors, "Error")
        if found is not None:
            return found, "ec2-xml"
    return None


def _from_xml(text: str) -> ServerReport:
    root = _parse_xml(text)
    located = _error_element(root)
    if located is None:
        raise DiagnoseError(
            f"server error text: XML root <{root.tag[:40]}> is not an AWS error document "
            "(<Error>, <ErrorResponse> or <Response><Errors>)"
        )
    error, fmt = located
    notes: list[str] = []
    message = child_text(error, "Message")
    canonical = _hex_text(child_text(error, "CanonicalRequestBytes"))
    sts = _hex_text(child_text(error, "StringToSignBytes"))
    for tag, value in (("CanonicalRequestBytes", canonical), ("StringToSignBytes", sts)):
        if value is None and child_text(error, tag):
            notes.append(f"<{tag}> is not hex bytes; used the text form")
    if canonical is None:
        canonical = child_text(error, "CanonicalRequest")
        if canonical is not None:
            notes.append(
                "the server's canonical request comes from XML text (no <CanonicalRequestBytes>)"
                ": carriage returns and some whitespace may have been normalised"
            )
    if sts is None:
        sts = child_text(error, "StringToSign")
    if (canonical is None or sts is None) and message:
        from_message = _message_parts(message)
        canonical = canonical if canonical is not None else from_message[0]
        sts = sts if sts is not None else from_message[1]
        notes += from_message[2]
    return ServerReport(
        canonical_request=canonical,
        string_to_sign=sts,
        code=child_text(error, "Code"),
        message=message,
        access_key_id=child_text(error, "AWSAccessKeyId"),
        request_id=child_text(error, "RequestId", "RequestID")
        or child_text(root, "RequestId", "RequestID"),
        signature_provided=child_text(error, "SignatureProvided"),
        format=fmt,
        notes=tuple(notes),
    )


def _json_str(doc: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = doc.get(key)
        if isinstance(value, str):
            return escape_lone_surrogates(value)
    return None


def _error_code(raw: str | None) -> str | None:
    """``com.amazon.coral.service#InvalidSignatureException`` and
    ``InvalidSignatureException:http://internal…`` both name ``InvalidSignatureException``."""
    if raw is None:
        return None
    return raw.rpartition("#")[2].partition(":")[0].strip() or None


def _from_json(text: str) -> ServerReport:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        raise DiagnoseError(f"server error text: not valid JSON ({reason})") from None
    if not isinstance(doc, dict):
        raise DiagnoseError("server error text: JSON is not an object, so not an AWS error")
    top: Mapping[str, Any] = doc
    error: Mapping[str, Any] = doc
    nested = doc.get("Error")
    errors = doc.get("errors")
    if isinstance(nested, dict):
        error = nested
    elif isinstance(errors, list) and errors and isinstance(errors[0], dict):
        error = errors[0]
    code = _error_code(
        _json_str(error, "__type", "code", "Code", "errorType")
        or _json_str(top, "__type", "code", "Code")
    )
    message = _json_str(error, "message", "Message", "errorMessage") or _json_str(
        top, "message", "Message", "detailedMessage"
    )
    if code is None and message is None:
        raise DiagnoseError(
            "server error text: JSON has no error code or message (__type, code, message)"
        )
    canonical, sts, notes = _message_parts(message or "")
    return ServerReport(
        canonical_request=canonical,
        string_to_sign=sts,
        code=code,
        message=message,
        request_id=_json_str(top, "RequestId", "requestId", "RequestID")
        or _json_str(error, "RequestId", "requestId"),
        format="json",
        notes=tuple(notes),
    )


def _tag_in_text(text: str, tag: str) -> str | None:
    """An S3 error element found in surrounding log text, without parsing it as XML."""
    start = text.find(f"<{tag}>")
    if start < 0:
        return None
    start += len(tag) + 2
    end = text.find(f"</{tag}>", start)
    if end < 0:
        return None
    value = text[start:end]
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'")):
        value = value.replace(entity, char)
    return value.replace("&amp;", "&")


def _from_text(text: str) -> ServerReport:
    canonical, sts, notes = _message_parts(text)
    if canonical is None:
        canonical = _hex_text(_tag_in_text(text, "CanonicalRequestBytes")) or _tag_in_text(
            text, "CanonicalRequest"
        )
    if sts is None:
        sts = _hex_text(_tag_in_text(text, "StringToSignBytes")) or _tag_in_text(
            text, "StringToSign"
        )
    found = _CLIENT_ERROR.search(text) or _CODE_IN_TEXT.search(text)
    code = found.group(1) if found else None
    if code is None and canonical is None and sts is None and _MISMATCH_PHRASE not in text:
        raise DiagnoseError(
            "server error text: no AWS error found (no error code, canonical request or "
            "string to sign)"
        )
    return ServerReport(
        canonical_request=canonical,
        string_to_sign=sts,
        code=code,
        message=text.strip(),
        access_key_id=_tag_in_text(text, "AWSAccessKeyId"),
        request_id=_tag_in_text(text, "RequestId"),
        signature_provided=_tag_in_text(text, "SignatureProvided"),
        format="text",
        notes=tuple(notes),
    )


def _split_http(text: str) -> tuple[str, dict[str, str]]:
    """A pasted raw HTTP response: its body, and its headers (lower-cased names)."""
    head, sep, body = text.partition("\r\n\r\n")
    if not sep:
        head, sep, body = text.partition("\n\n")
    headers: dict[str, str] = {}
    for line in head.splitlines()[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return body.strip(), headers


def parse_server_error(text: str | bytes) -> ServerReport:
    """Read the error a server returned for a rejected signature.

    Accepts S3's ``<Error>`` document, a Query service's ``<ErrorResponse>``, EC2's
    ``<Response><Errors>``, a JSON error (``__type``/``code`` and ``message``/``Message``), a
    raw HTTP response (status line and headers, then one of those), or plain text such as a
    botocore ``ClientError`` message. The input is untrusted: it is capped at 1 MiB, XML goes
    through defusedxml with DTDs and entities refused, and any failure is a ``DiagnoseError``.
    """
    body = _as_text(text).strip()
    headers: dict[str, str] = {}
    if body.startswith("HTTP/"):
        body, headers = _split_http(body)
        if not body:
            raise DiagnoseError("server error text: an HTTP response without a body")
    if body.startswith("<"):
        report = _from_xml(body)
    elif body.startswith(("{", "[")):
        report = _from_json(body)
    else:
        report = _from_text(body)
    if headers:
        request_id = report.request_id or next(
            (headers[h] for h in _REQUEST_ID_HEADERS if h in headers), None
        )
        code = report.code or _error_code(headers.get("x-amzn-errortype"))
        report = ServerReport(
            canonical_request=report.canonical_request,
            string_to_sign=report.string_to_sign,
            code=code,
            message=report.message,
            access_key_id=report.access_key_id,
            request_id=request_id,
            signature_provided=report.signature_provided,
            format=report.format,
            notes=report.notes,
        )
    return report
