"""Both sides of a diff from captures, not from a server's error document.

moto, EC2 and most S3-compatible servers give no canonical request in their error, so
``diff --server-error`` cannot locate a difference there. A raw request as the server (or a
proxy) received it can: ``received_report`` rebuilds the canonical request and string to
sign the receiver computes from it, as a ``ServerReport`` for ``diff_report``. The other
side is what the client meant: ``read_sent`` takes a raw request (its canonical request
rebuilt the same way) or the client's own debug log of its canonical request (botocore's
``CanonicalRequest:`` / ``StringToSign:``, sigv4kit's ``… canonical request:``, the Go and
Java SDKs' forms, or the bare text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from hashlib import sha256

from ..model import Request
from ..received import read_signature
from ..verify import rebuild_canonical
from ..wire import MalformedInputError, parse_raw_request
from .server_error import DiagnoseError, ServerReport

__all__ = ["SentText", "read_sent", "received_report", "scheme_of", "string_to_sign_for"]

_REQUEST_LINE = re.compile(rb"\s*[A-Za-z]{1,20} \S+ HTTP/\d(?:\.\d)?\r?\n")
_CANONICAL_MARK = re.compile(
    r"(?:CanonicalRequest:|canonical request:|Canonical Request:|\[ CANONICAL STRING[ ]*\]-*)"
    r"[ \t]*['\"]*",
    re.IGNORECASE,
)
_STS_MARK = re.compile(
    r"(?:StringToSign:|string to sign:|String to sign:|\[ STRING TO SIGN[ ]*\]-*)"
    r"[ \t]*['\"]*",
    re.IGNORECASE,
)
_ALGORITHM = re.compile(r"AWS4-(?:HMAC-SHA256|ECDSA-P256-SHA256)")
_HASH = re.compile(r"[0-9a-f]{64}")
_PAYLOAD = re.compile(r"[0-9a-f]{64}|UNSIGNED-PAYLOAD|STREAMING-[A-Z0-9-]{1,64}")


@dataclass(frozen=True)
class SentText:
    """The client's side: its canonical request, its string to sign when known, the
    signature it sent when known, and where they came from (for the notes)."""

    canonical_request: str
    string_to_sign: str | None
    signature: str | None
    source: str


def scheme_of(request: Request, scheme: str | None) -> Request:
    """``request`` with the scheme a capture was received over: a raw request's origin-form
    target carries none (it is read as https); ``scheme`` says, else a Host on port 80 or
    ``X-Forwarded-Proto: http`` does."""
    url = request.url
    if not url.startswith("https://"):
        return request
    host = request.header("host") or ""
    forwarded = (request.header("x-forwarded-proto") or "").strip().lower()
    if scheme == "http" or (scheme is None and (host.endswith(":80") or forwarded == "http")):
        return Request(request.method, "http://" + url[len("https://") :], request.headers,
                       request.body)
    return request


def _rebuilt(request: Request) -> tuple[str, str, str]:
    try:
        sig = read_signature(request)
        canonical, to_sign = rebuild_canonical(request, sig)
    except MalformedInputError as exc:
        raise DiagnoseError(f"the request carries no signature that can be read: {exc}") from None
    return canonical, to_sign, sig.signature


def received_report(request: Request) -> ServerReport:
    """What a receiver computes from ``request`` as received (S3's rules for S3's signing
    names), in the form a server's error document gives it."""
    canonical, to_sign, signature = _rebuilt(request)
    sig = read_signature(request)
    return ServerReport(
        canonical_request=canonical,
        string_to_sign=to_sign,
        code=None,
        message="rebuilt from the request as received (--received)",
        access_key_id=sig.access_key_id,
        signature_provided=signature,
        format="received-request",
    )


def _canonical_from(lines: list[str]) -> str | None:
    """The canonical request at the start of ``lines``, by its shape: method, path, query,
    header lines up to a blank one, signed headers, payload hash."""
    if len(lines) < 6:
        return None
    try:
        blank = lines.index("", 3)
    except ValueError:
        return None
    if blank + 2 >= len(lines):
        return None
    payload = lines[blank + 2].strip().strip("'\"")
    if not _PAYLOAD.fullmatch(payload):
        return None
    return "\n".join([*lines[: blank + 2], payload])


def _sts_from(lines: list[str], at: int = 0) -> str | None:
    """The string to sign starting at ``lines[at]``, by its shape: algorithm, date, scope,
    hash. Indexed rather than sliced, so a scan over every line of a log stays linear."""
    if len(lines) < at + 4 or not _ALGORITHM.fullmatch(lines[at].strip()):
        return None
    last = lines[at + 3].strip().strip("'\"")
    if not _HASH.fullmatch(last):
        return None
    return "\n".join([lines[at].strip(), lines[at + 1].strip(), lines[at + 2].strip(), last])


def _after(mark: re.Pattern[str], text: str) -> list[str] | None:
    found = mark.search(text)
    if found is None:
        return None
    rest = text[found.end() :]
    if rest.startswith("\n"):
        rest = rest[1:]
    return rest.split("\n")


def _from_log(text: str) -> SentText:
    text = text.replace("\r\n", "\n")
    lines = _after(_CANONICAL_MARK, text)
    canonical = _canonical_from(lines) if lines is not None else _canonical_from(text.split("\n"))
    if canonical is None and "botocore" in text:
        raise DiagnoseError(
            "--sent: this botocore / AWS CLI log holds no canonical request: with awscrt "
            "installed botocore signs with the CRT, which logs none. Capture the request as "
            "sent (raw HTTP, e.g. 'sigv4kit proxy' or the capture server) and pass that"
        )
    if canonical is None:
        raise DiagnoseError(
            "--sent: neither a raw HTTP request nor a canonical request (a debug log with "
            "'CanonicalRequest:' or the bare text: method, path, query, headers, a blank "
            "line, signed headers, payload hash)"
        )
    sts_lines = _after(_STS_MARK, text)
    to_sign = _sts_from(sts_lines) if sts_lines is not None else None
    if to_sign is None:
        every = text.split("\n")
        to_sign = next((t for i in range(len(every)) if (t := _sts_from(every, i))), None)
    return SentText(canonical, to_sign, None, "the client's canonical-request log")


def read_sent(data: bytes, scheme: str | None = None) -> SentText:
    """The client's side from ``data``: a raw request (signed: its canonical request rebuilt)
    or a debug log of its canonical request and string to sign."""
    if _REQUEST_LINE.match(data):
        try:
            request = scheme_of(parse_raw_request(data), scheme)
        except MalformedInputError as exc:
            raise DiagnoseError(f"--sent: {exc}") from None
        canonical, to_sign, signature = _rebuilt(request)
        return SentText(canonical, to_sign, signature, "the request as sent")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DiagnoseError("--sent: a log must be UTF-8 text") from None
    return _from_log(text)


def string_to_sign_for(canonical: str, like: str) -> str:
    """A string to sign for ``canonical`` with the algorithm, date and scope of ``like``:
    for a log that shows only the canonical request."""
    head = like.split("\n")[:3]
    return "\n".join([*head, sha256(canonical.encode("utf-8")).hexdigest()])
