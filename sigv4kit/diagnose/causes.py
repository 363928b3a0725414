"""The likely causes of a rejection, and the checks of the signature's scope, time and token.

Each check is a small function of one signature, ``check(compared, findings)``: it reads both
sides (``Compared``) and adds the causes it recognises to ``findings``. ``diff.CHECKS`` lists
them in the order they run (h11's READERS/WRITERS style); the checks of the request's structure
(path, query, headers, payload) are in ``request_causes``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from ..redact import redact_text, redacted
from ..timestamps import parse_amz_date, span
from .server_error import ServerReport, escape_lone_surrogates
from .textdiff import PartDiff
from .texts import (
    CanonicalText,
    StringToSignText,
    parse_sts,
    session_token,
    split_query,
    sts_from_canonical,
)

__all__ = [
    "RANK", "Cause", "Check", "Compared", "Confidence", "Findings", "RequestCheck", "check_code",
    "check_method", "check_scope", "check_signatures", "check_time", "check_token", "dedupe",
    "first_line", "masked",
]

Confidence = Literal["high", "medium", "low"]
RANK: dict[str, int] = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True)
class Cause:
    """One likely reason for the rejection.

    ``code`` is stable (tests and tools match on it); ``evidence`` quotes the lines that show
    it, with session tokens already redacted; ``confidence`` orders the list.
    """

    code: str
    title: str
    explanation: str
    evidence: tuple[str, ...] = ()
    confidence: Confidence = "high"


class Findings:
    """The causes found so far, and the secrets evidence must not show."""

    def __init__(self, secrets: Sequence[str]) -> None:
        self.causes: list[Cause] = []
        self.secrets: list[str | None] = list(secrets)

    def show(self, text: str) -> str:
        return redact_text(text, self.secrets)

    def add(
        self,
        code: str,
        title: str,
        explanation: str,
        evidence: Iterable[str] = (),
        confidence: Confidence = "high",
    ) -> None:
        self.causes.append(
            Cause(
                code=code,
                title=self.show(title),
                explanation=explanation,
                evidence=tuple(self.show(e) for e in evidence),
                confidence=confidence,
            )
        )

    def pair(self, ours: str | None, server: str | None) -> tuple[str, str]:
        def fmt(v: str | None) -> str:
            return "(absent)" if v is None else repr(v)

        return f"ours:   {fmt(ours)}", f"server: {fmt(server)}"


@dataclass
class Compared:
    """Both sides of one comparison, as the checks read them."""

    ours_c: CanonicalText
    server_c: CanonicalText | None
    ours_s: StringToSignText | None
    server_s: StringToSignText | None
    ours_sts_text: str
    report: ServerReport
    signature: str | None
    service: str | None
    canonical_part: PartDiff | None
    payload_differs: bool = False
    """Set by the payload check, read by the header check (which then leaves
    X-Amz-Content-SHA256 to it)."""


Check = Callable[[Compared, Findings], None]
"""A cause check: reads both sides, adds what it recognises."""
RequestCheck = Callable[[CanonicalText, CanonicalText, Compared, Findings], None]
"""A check of the request's structure, where both canonical requests are known."""


def check_method(ours: CanonicalText, server: CanonicalText, c: Compared, out: Findings) -> None:
    if ours.method is None or server.method is None or ours.method == server.method:
        return
    if ours.method.upper() == server.method:
        out.add(
            "method_mismatch",
            "HTTP method not upper-cased in your canonical request",
            "The canonical request starts with the method in upper case.",
            out.pair(ours.method, server.method),
        )
        return
    out.add(
        "method_mismatch",
        f"Signed for {ours.method}, sent as {server.method}",
        "A signature covers the HTTP method: a URL presigned for GET cannot be used to PUT or "
        "HEAD. HTTP clients also turn POST into GET when following a 301/302/303 redirect. "
        "Sign with the method you send.",
        out.pair(ours.method, server.method),
    )


def check_scope(c: Compared, out: Findings) -> None:
    """The credential scopes: algorithm, region, service, date, terminator."""
    ours, server, ours_c, server_c = c.ours_s, c.server_s, c.ours_c, c.server_c
    if ours is None or server is None:
        ours, server = sts_from_canonical(ours_c), sts_from_canonical(server_c)
        if ours is None or server is None:
            return
    if ours.algorithm != server.algorithm:
        out.add(
            "algorithm_mismatch",
            f"Signed with {ours.algorithm}, the server used {server.algorithm}",
            "AWS4-HMAC-SHA256 is SigV4 (one region); AWS4-ECDSA-P256-SHA256 is SigV4a (a "
            "region set, an ECDSA key). Sign with the algorithm the request declares.",
            out.pair(ours.algorithm, server.algorithm),
        )
    if ours.scope == server.scope:
        return
    a, b = ours.scope, server.scope
    if len(a) != len(b) or len(a) not in (3, 4):
        out.add(
            "scope_mismatch",
            "The credential scopes differ in shape",
            "A SigV4 scope is date/region/service/aws4_request; a SigV4a scope leaves the region "
            "out (date/service/aws4_request).",
            out.pair("/".join(a), "/".join(b)),
        )
        return
    evidence = out.pair("/".join(a), "/".join(b))
    if len(a) == 4 and a[1] != b[1]:
        out.add(
            "region_mismatch",
            f"Signed for region {a[1]}, the server is in {b[1]}",
            "The credential scope names the region whose key signs the request, and the server "
            "derives its key for its own region. Sign for the region of the endpoint you send "
            "to: for EC2 CopySnapshot's PresignedUrl that is the source region; the global "
            "endpoints of IAM and STS sign for us-east-1.",
            evidence,
        )
    if a[-2] != b[-2]:
        out.add(
            "service_mismatch",
            f"Signed for service {a[-2]!r}, the server is {b[-2]!r}",
            "The scope must carry the service's signing name, which is not always the endpoint's "
            "first label (SES answers at email.<region> and signs as 'ses'; API Gateway "
            "invocations sign as 'execute-api'; OpenSearch as 'es').",
            evidence,
        )
    if a[0] != b[0]:
        ours_date = ours.amzdate[:8]
        mismatch = a[0] != ours_date
        out.add(
            "date_mismatch",
            f"Scope date {a[0]}, the server's is {b[0]}",
            (
                f"Your scope date {a[0]} is not the date of your X-Amz-Date ({ours_date}): the "
                "date, key or scope was computed at another moment (a signing key or scope "
                "cached across midnight UTC). Derive all three from one timestamp."
                if mismatch
                else "The scope's date must be the day of X-Amz-Date (UTC); the request's date "
                "was changed after signing, or signed with another clock."
            ),
            evidence,
        )
    if a[-1] != b[-1]:
        out.add(
            "scope_mismatch",
            "The scope terminator differs",
            "A credential scope ends with 'aws4_request'.",
            evidence,
        )


def check_time(c: Compared, out: Findings) -> None:
    """The request times (X-Amz-Date) each side used."""
    ours, server, ours_c, server_c = c.ours_s, c.server_s, c.ours_c, c.server_c
    pairs: list[tuple[str | None, str | None]] = []
    if ours is not None and server is not None:
        pairs.append((ours.amzdate, server.amzdate))
    if ours_c is not None and server_c is not None:
        pairs.append((ours_c.header("x-amz-date"), server_c.header("x-amz-date")))
        pairs.append((ours_c.param("X-Amz-Date"), server_c.param("X-Amz-Date")))
    for a, b in pairs:
        if a is None or b is None or a == b:
            continue
        ta, tb = parse_amz_date(a), parse_amz_date(b)
        if ta is None or tb is None:
            title = f"The request time differs: you signed {a!r}, the server read {b!r}"
            skew = ""
        else:
            delta = int((tb - ta).total_seconds())
            side = "later" if delta > 0 else "earlier"
            title = f"The server read a request time {span(delta)} {side} than you signed"
            skew = (
                " It is also more than 5 minutes from your signing time; servers refuse "
                "requests that far from their clock (RequestTimeTooSkewed)."
                if abs(delta) > 300
                else ""
            )
        out.add(
            "clock_skew",
            title,
            "X-Amz-Date (line 2 of the string to sign) is what the server signs with. It changed "
            "between signing and sending: a retry re-stamped the date without signing again, "
            "the date header and the signature came from two different clocks or calls, or a "
            "proxy rewrote it. Sign right before sending and sign again on every retry." + skew,
            out.pair(a, b),
        )
        return


def check_token(ours: CanonicalText, server: CanonicalText, c: Compared, out: Findings) -> None:
    a, b = session_token(ours), session_token(server)
    if a == b:
        return
    where = "X-Amz-Security-Token"
    if a and not b:
        out.add(
            "token_missing",
            "You signed a session token the server did not receive",
            f"Your canonical request includes {where} (temporary credentials) but the request "
            "the server got has none: the header or query parameter was dropped after signing "
            "(a URL shortened or re-built without it, a header filtered by a proxy or by code "
            "that copies only some headers). Send exactly the signed request.",
            out.pair(a, b),
        )
    elif b and not a:
        out.add(
            "token_unexpected",
            "The request carries a session token you did not sign",
            f"The server's canonical request includes {where} but yours does not: it was added "
            "after signing (presigning with sign_session_token=False appends it to the URL, "
            "which only IoT accepts) or you signed with long-term keys and another layer added "
            "temporary credentials' token. Sign with the credentials whose token is sent.",
            out.pair(a, b),
        )
    else:
        out.add(
            "token_mismatch",
            "The session token you signed is not the one sent",
            "Two different session tokens: the credentials were refreshed between signing and "
            "sending, or the token came from another profile than the keys. Sign with one "
            "snapshot of the credentials.",
            out.pair(a, b),
        )


_CODE_HINTS: dict[str, tuple[str, str, str]] = {
    "RequestTimeTooSkewed": (
        "clock_skew",
        "The server says the request time is too far from its clock",
        "The time in X-Amz-Date is more than 5 minutes from the server's: the clock of the "
        "signing machine is wrong (containers and VMs after suspend drift; use NTP) or the "
        "request was held before sending.",
    ),
    "RequestExpired": (
        "expired",
        "The server says the request has expired",
        "The signed request is older than it may be: a presigned URL past its X-Amz-Expires, "
        "or a request signed more than 5 minutes before the server's clock (check the clock "
        "of the signing machine).",
    ),
    "SignatureExpired": (
        "expired",
        "The server says the signature has expired",
        "The signed request is older than it may be (X-Amz-Expires, or 5 minutes of skew).",
    ),
    "InvalidClientTokenId": (
        "unknown_access_key",
        "The server does not know the access key or session token",
        "The access key ID does not exist in this partition, was deleted, or belongs to "
        "temporary credentials whose session token was not sent; tokens from the global STS "
        "endpoint are not valid in opt-in regions.",
    ),
    "ExpiredToken": (
        "token_expired",
        "The session token has expired",
        "Temporary credentials expire; refresh them and sign again.",
    ),
    "IncompleteSignature": (
        "malformed",
        "The server could not read the signature",
        "The Authorization header or X-Amz-* query parameters are malformed or incomplete "
        "(a missing Credential, SignedHeaders or Signature, a wrong separator).",
    ),
    "AuthFailure": (
        "server_gave_no_canonical",
        "EC2 refused the credentials or the signature without saying why",
        "EC2 reports every signature failure as AuthFailure and never returns its canonical "
        "request. Check the request offline: `sigv4kit explain` reads what was signed (region, "
        "scope, time, signed headers) and `sigv4kit verify` recomputes the signature with your "
        "key.",
    ),
}
_CODE_HINTS["InvalidAccessKeyId"] = _CODE_HINTS["InvalidClientTokenId"]
_CODE_HINTS["UnrecognizedClientException"] = _CODE_HINTS["InvalidClientTokenId"]
_CODE_HINTS["ExpiredTokenException"] = _CODE_HINTS["ExpiredToken"]
_CODE_HINTS["AuthorizationHeaderMalformed"] = _CODE_HINTS["IncompleteSignature"]
_CODE_HINTS["AuthorizationQueryParametersError"] = _CODE_HINTS["IncompleteSignature"]


def check_code(c: Compared, out: Findings) -> None:
    """What the server's error code alone says."""
    report = c.report
    hint = _CODE_HINTS.get(report.code or "")
    if hint is None:
        return
    code, title, explanation = hint
    evidence = [f"server: {report.code}: {first_line(report.message or '')}"]
    out.add(code, title, explanation, evidence, confidence="medium")


def first_line(text: str, limit: int = 200) -> str:
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= limit else line[: limit - 1] + "…"


def masked(c: CanonicalText) -> tuple[str, ...]:
    """The canonical request's lines with the request time and credential masked: their
    differences are the time and scope checks' to explain, not the canonical request's."""
    lines = list(c.lines)
    if len(lines) > 2:
        lines[2] = "&".join(
            k + "=*" if k in ("X-Amz-Date", "X-Amz-Credential") else f"{k}={v}"
            for k, v in split_query(lines[2])
        )
    return tuple("x-amz-date:*" if line.startswith("x-amz-date:") else line for line in lines)


def dedupe(causes: Iterable[Cause]) -> list[Cause]:
    seen: set[tuple[str, str]] = set()
    kept = []
    for cause in causes:
        key = (cause.code, cause.title)
        if key not in seen:
            seen.add(key)
            kept.append(cause)
    return kept


def check_signatures(c: Compared, out: Findings) -> None:
    ours_c, server_c, ours_sts = c.ours_c, c.server_c, c.ours_sts_text
    report, signature = c.report, c.signature
    """The string-to-sign level: the hash line, and what is left when nothing else differs."""
    server_sts = report.string_to_sign
    if server_sts is None or (server_c is not None and server_c.text != ours_c.text):
        return
    if server_sts != ours_sts:
        ours_s, server_s = parse_sts(ours_sts), parse_sts(escape_lone_surrogates(server_sts))
        if ours_s is None or server_s is None:
            return
        head = (ours_s.algorithm, ours_s.amzdate, ours_s.scope)
        if head != (server_s.algorithm, server_s.amzdate, server_s.scope):
            return
        evidence = out.pair(ours_s.digest, server_s.digest)
        if server_c is None:
            out.add(
                "canonical_request_mismatch",
                "The canonical requests differ, but the server did not show its own",
                "Line 4 of the strings to sign (the hash of the canonical request) differs, so "
                "the server built another canonical request; it reported only the string to "
                "sign. Check the request offline with `sigv4kit explain`.",
                evidence,
                confidence="medium",
            )
        else:
            out.add(
                "server_hashed_differently",
                "Same canonical request, different hash",
                "The canonical requests are identical, yet line 4 of the strings to sign "
                "differs: the server hashed other bytes than it reported (characters lost in "
                "the report, e.g. carriage returns in XML text: use the *Bytes forms; non-ASCII "
                "text hashed in another encoding). This should not happen with a well-formed "
                "request.",
                evidence,
            )
        return
    provided = report.signature_provided
    if signature is not None and provided and signature != provided:
        out.add(
            "signature_not_sent",
            "The request carried another signature than the one you computed",
            "The server received a signature you did not compute for this request: another "
            "layer signed it again (two signers, a retry) or the Authorization header or "
            "X-Amz-Signature was replaced.",
            out.pair(redacted(signature), redacted(provided)),
        )
        return
    akid = f" for access key {report.access_key_id}" if report.access_key_id else ""
    out.add(
        "wrong_secret_key",
        "Everything matches: the secret key is wrong",
        "The server built exactly the canonical request and string to sign you did, so the "
        "signatures differ only because the signing keys do: the secret access key is not the "
        f"one the server holds{akid} (copied with a space or newline, from another profile, "
        "rotated, or paired with another access key ID). Less often, the key was derived for "
        "another date than the scope's (a signing key cached across midnight UTC).",
    )
