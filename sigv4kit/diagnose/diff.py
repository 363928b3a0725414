"""Why was my signature rejected? Compare our canonical request with the server's.

A signature is an HMAC, so it can only say *that* the inputs differ; the two canonical
requests say *where*. Given what we signed and what the server reported it computed (a
``ServerReport``, read by ``server_error.parse_server_error``), this module

* compares them line by line (``diff_report``) and names the likely causes from the
  *structure* of the two canonical requests (method, path, query, headers, signed headers,
  payload hash) and strings to sign (time, scope), most likely first,
* presents the result (``render_text``, ``to_dict``) with session tokens and signatures shown
  only as their first four characters and length.

``parse_server_error``, ``ServerReport``, ``DiagnoseError`` and ``MAX_INPUT_BYTES`` are
re-exported from ``server_error``, so one import serves the whole workflow.

It is pure: no network, no clock, no HTTP library.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-troubleshooting.html
"""

from __future__ import annotations

import difflib
import re
import textwrap
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any, Literal
from urllib.parse import quote, unquote

from ..canonical import remove_dot_segments
from ..options import EMPTY_SHA256, UNSIGNED_PAYLOAD
from ..redact import redact_text, redacted
from ..timestamps import parse_amz_date, span
from .server_error import (
    MAX_INPUT_BYTES,
    DiagnoseError,
    ServerReport,
    escape_lone_surrogates,
    parse_server_error,
)

__all__ = [
    "MAX_INPUT_BYTES",
    "Cause",
    "DiagnoseError",
    "Diagnosis",
    "FirstDifference",
    "PartDiff",
    "ServerReport",
    "diff_report",
    "parse_server_error",
    "render_text",
    "to_dict",
]

MAX_DIFF_LINES = 2000
"""difflib is quadratic in lines: beyond this the line diff covers the first lines only (a real
canonical request has a few dozen)."""

Confidence = Literal["high", "medium", "low"]
_RANK: dict[str, int] = {"high": 0, "medium": 1, "low": 2}

_HEX64 = re.compile(r"[0-9a-f]{64}")

# Characters a terminal would act on or hide (controls, bidi overrides, zero-width marks):
# server text is untrusted, so they are shown escaped.
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f"
    "\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]"
)
_ESCAPES = {"\t": "\\t", "\r": "\\r", "\n": "\\n"}

_AUTH_PARAMS_CLAIMED = frozenset(
    {"X-Amz-Date", "X-Amz-Credential", "X-Amz-Security-Token", "X-Amz-Signature"}
)
"""Query parameters whose differences the time, scope and token checks explain."""

_HEADERS_CLAIMED = frozenset({"x-amz-date", "x-amz-security-token", "x-amz-content-sha256"})
"""Headers whose differences the time, token and payload checks explain."""

_PATH_OK = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~/%")


# --------------------------------------------------------------------------- values


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


@dataclass(frozen=True)
class FirstDifference:
    """Where two texts first differ: 1-based ``line`` and ``column`` (in the raw text), the
    part of the format that line is (``component``), both lines as displayed (redacted, control
    characters escaped; None where one text has no such line) and a ``caret`` line whose ``^``
    sits under the first differing displayed character."""

    line: int
    column: int
    component: str
    ours: str | None
    server: str | None
    caret: str


@dataclass(frozen=True)
class PartDiff:
    """Our text against the server's for one part (canonical request or string to sign).

    ``diff`` is a unified line diff (``ours`` → ``server``) with known session tokens redacted;
    the raw texts are kept (out of the repr) so ``render_text`` can redact more on request.
    """

    name: str
    identical: bool
    diff: tuple[str, ...]
    first_difference: FirstDifference | None
    ours: str = field(repr=False)
    server: str = field(repr=False)


@dataclass(frozen=True)
class Diagnosis:
    """The comparison of what we signed with what the server computed.

    ``canonical_request`` / ``string_to_sign`` are None when the server did not report that
    part. ``causes`` are ordered most likely first. ``sensitive`` holds the session tokens
    found in either canonical request, which every presentation redacts.
    """

    report: ServerReport
    canonical_request: PartDiff | None
    string_to_sign: PartDiff | None
    causes: tuple[Cause, ...]
    notes: tuple[str, ...] = ()
    sensitive: tuple[str, ...] = field(default=(), repr=False)

    @property
    def identical(self) -> bool:
        """Both parts reported and byte-for-byte equal to ours: only the key can differ."""
        parts = (self.canonical_request, self.string_to_sign)
        return all(p is not None and p.identical for p in parts)


# --------------------------------------------------------------------------- structure


@dataclass(frozen=True)
class _Canonical:
    """A canonical request split into its six parts, as far as its shape allows."""

    text: str
    lines: tuple[str, ...]
    structured: bool
    method: str | None
    path: str | None
    query: tuple[tuple[str, str], ...] | None
    headers: tuple[tuple[str, str], ...]
    signed: tuple[str, ...]
    payload: str | None
    blank: int

    def header(self, name: str) -> str | None:
        values = [v for n, v in self.headers if n.lower() == name]
        return ",".join(values) if values else None

    def param(self, name: str) -> str | None:
        if self.query is None:
            return None
        values = [v for k, v in self.query if k == name]
        return values[0] if values else None

    def component(self, index: int) -> str:
        """What line ``index`` (0-based) of this canonical request is."""
        names = {0: "HTTP method", 1: "canonical URI (path)", 2: "canonical query string"}
        if index in names:
            return names[index]
        if not self.structured:
            return "canonical headers (the request's structure is not recognisable)"
        if index < self.blank:
            name = self.lines[index].partition(":")[0]
            return f"canonical header {name}"
        return {
            self.blank: "blank line ending the canonical headers",
            self.blank + 1: "signed headers",
            self.blank + 2: "payload hash",
        }.get(index, "past the end")


def _split_query(line: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for piece in line.split("&"):
        if piece:
            key, _, value = piece.partition("=")
            pairs.append((key, value))
    return tuple(pairs)


def _parse_canonical(text: str) -> _Canonical:
    """Method, URI and query are lines 1-3; headers run to the first blank line after them;
    signed headers and payload hash are the two lines after it. Anything else is not
    structured, and only line-level comparison applies."""
    lines = tuple(text.split("\n"))
    try:
        blank = lines.index("", 3)
    except ValueError:
        blank = -1
    structured = (
        blank >= 3 and len(lines) == blank + 3 and all(":" in line for line in lines[3:blank])
    )
    headers: tuple[tuple[str, str], ...] = ()
    signed: tuple[str, ...] = ()
    payload = None
    if structured:
        headers = tuple((n, v) for n, _, v in (line.partition(":") for line in lines[3:blank]))
        signed = tuple(lines[blank + 1].split(";")) if lines[blank + 1] else ()
        payload = lines[blank + 2]
    return _Canonical(
        text=text,
        lines=lines,
        structured=structured,
        method=lines[0] if len(lines) > 1 else None,
        path=lines[1] if len(lines) > 2 else None,
        query=_split_query(lines[2]) if len(lines) > 3 else None,
        headers=headers,
        signed=signed,
        payload=payload,
        blank=blank,
    )


@dataclass(frozen=True)
class _StringToSign:
    algorithm: str
    amzdate: str
    scope: tuple[str, ...]
    digest: str


_STS_COMPONENTS = ("algorithm", "request date (X-Amz-Date)", "credential scope", "canonical hash")


def _sts_component(index: int) -> str:
    return _STS_COMPONENTS[index] if index < len(_STS_COMPONENTS) else "past the end"


def _parse_sts(text: str | None) -> _StringToSign | None:
    if text is None:
        return None
    lines = text.split("\n")
    if len(lines) != 4:
        return None
    return _StringToSign(lines[0], lines[1], tuple(lines[2].split("/")), lines[3])


def _service_of(sts: _StringToSign | None) -> str | None:
    if sts is None or len(sts.scope) < 3:
        return None
    return sts.scope[-2]


def _quote_path(path: str) -> str:
    return quote(path.encode("utf-8", "surrogatepass"), safe="/~")


def _host_port(host: str) -> tuple[str, str | None]:
    if host.startswith("["):
        end = host.find("]")
        if end > 0 and host[end + 1 : end + 2] == ":" and host[end + 2 :].isdigit():
            return host[: end + 1], host[end + 2 :]
        return host, None
    name, colon, port = host.rpartition(":")
    if colon and port.isdigit() and ":" not in name:
        return name, port
    return host, None


def _session_token(c: _Canonical) -> str | None:
    """The session token a canonical request carries (header, or query parameter decoded);
    '' when the header is signed but was not received."""
    value = c.header("x-amz-security-token")
    if value is not None:
        return value
    param = c.param("X-Amz-Security-Token")
    return None if param is None else unquote(param)


# --------------------------------------------------------------------------- causes


class _Findings:
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


_S3_PATH_RULE = (
    "S3 signs the path as sent: encoded once and never normalised (sigv4kit: S3_OPTIONS, "
    "S3_PRESIGN_OPTIONS or Signer.for_s3, i.e. double_encode_path=False, normalize_path=False)."
)
_OTHER_PATH_RULE = (
    "Every service but S3 normalises the path (drops '.', '..' and empty segments) and then "
    "URI-encodes the path as sent once more, so '%20' becomes '%2520' (sigv4kit's defaults: "
    "double_encode_path=True, normalize_path=True)."
)


def _path_rule(service: str | None) -> str:
    if service == "s3":
        return _S3_PATH_RULE
    if service is None:
        return f"{_S3_PATH_RULE} {_OTHER_PATH_RULE}"
    return f"{_OTHER_PATH_RULE} (This is service {service!r}.)"


def _check_method(ours: _Canonical, server: _Canonical, out: _Findings) -> None:
    if ours.method is None or server.method is None or ours.method == server.method:
        return
    if ours.method.upper() == server.method:
        out.add(
            "method-differs",
            "HTTP method not upper-cased in your canonical request",
            "The canonical request starts with the method in upper case.",
            out.pair(ours.method, server.method),
        )
        return
    out.add(
        "method-differs",
        f"Signed for {ours.method}, sent as {server.method}",
        "A signature covers the HTTP method: a URL presigned for GET cannot be used to PUT or "
        "HEAD. HTTP clients also turn POST into GET when following a 301/302/303 redirect. "
        "Sign with the method you send.",
        out.pair(ours.method, server.method),
    )


def _check_scope(
    ours: _StringToSign | None,
    server: _StringToSign | None,
    ours_c: _Canonical | None,
    server_c: _Canonical | None,
    out: _Findings,
) -> None:
    if ours is None or server is None:
        ours, server = _sts_from_canonical(ours_c), _sts_from_canonical(server_c)
        if ours is None or server is None:
            return
    if ours.algorithm != server.algorithm:
        out.add(
            "algorithm-differs",
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
            "scope-differs",
            "The credential scopes differ in shape",
            "A SigV4 scope is date/region/service/aws4_request; a SigV4a scope leaves the region "
            "out (date/service/aws4_request).",
            out.pair("/".join(a), "/".join(b)),
        )
        return
    evidence = out.pair("/".join(a), "/".join(b))
    if len(a) == 4 and a[1] != b[1]:
        out.add(
            "wrong-region",
            f"Signed for region {a[1]}, the server is in {b[1]}",
            "The credential scope names the region whose key signs the request, and the server "
            "derives its key for its own region. Sign for the region of the endpoint you send "
            "to: for EC2 CopySnapshot's PresignedUrl that is the source region; the global "
            "endpoints of IAM and STS sign for us-east-1.",
            evidence,
        )
    if a[-2] != b[-2]:
        out.add(
            "wrong-service",
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
            "scope-date-differs",
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
            "scope-differs",
            "The scope terminator differs",
            "A credential scope ends with 'aws4_request'.",
            evidence,
        )


def _sts_from_canonical(c: _Canonical | None) -> _StringToSign | None:
    """A presigned URL's canonical query carries date and scope; use them when the server
    did not report its string to sign."""
    if c is None:
        return None
    credential = c.param("X-Amz-Credential")
    date = c.param("X-Amz-Date") or c.header("x-amz-date")
    algorithm = c.param("X-Amz-Algorithm")
    if credential is None or date is None:
        return None
    scope = tuple(unquote(credential).split("/")[1:])
    return _StringToSign(unquote(algorithm or ""), date, scope, "")


def _check_time(
    ours: _StringToSign | None,
    server: _StringToSign | None,
    ours_c: _Canonical | None,
    server_c: _Canonical | None,
    out: _Findings,
) -> None:
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
            "clock-skew",
            title,
            "X-Amz-Date (line 2 of the string to sign) is what the server signs with. It changed "
            "between signing and sending: a retry re-stamped the date without signing again, "
            "the date header and the signature came from two different clocks or calls, or a "
            "proxy rewrote it. Sign right before sending and sign again on every retry." + skew,
            out.pair(a, b),
        )
        return


def _check_token(ours: _Canonical, server: _Canonical, out: _Findings) -> None:
    a, b = _session_token(ours), _session_token(server)
    if a == b:
        return
    where = "X-Amz-Security-Token"
    if a and not b:
        out.add(
            "session-token-missing",
            "You signed a session token the server did not receive",
            f"Your canonical request includes {where} (temporary credentials) but the request "
            "the server got has none: the header or query parameter was dropped after signing "
            "(a URL shortened or re-built without it, a header filtered by a proxy or by code "
            "that copies only some headers). Send exactly the signed request.",
            out.pair(a, b),
        )
    elif b and not a:
        out.add(
            "session-token-unexpected",
            "The request carries a session token you did not sign",
            f"The server's canonical request includes {where} but yours does not: it was added "
            "after signing (presigning with sign_session_token=False appends it to the URL, "
            "which only IoT accepts) or you signed with long-term keys and another layer added "
            "temporary credentials' token. Sign with the credentials whose token is sent.",
            out.pair(a, b),
        )
    else:
        out.add(
            "session-token-differs",
            "The session token you signed is not the one sent",
            "Two different session tokens: the credentials were refreshed between signing and "
            "sending, or the token came from another profile than the keys. Sign with one "
            "snapshot of the credentials.",
            out.pair(a, b),
        )


def _encoded_again(more: str, less: str) -> bool:
    """``more`` is ``less`` URI-encoded once more (``%20`` → ``%2520``)."""
    return "%25" in more and (more.replace("%25", "%") == less or _quote_path(less) == more)


def _check_path(ours: _Canonical, server: _Canonical, service: str | None, out: _Findings) -> None:
    a, b = ours.path, server.path
    if a is None or b is None or a == b:
        return
    evidence = out.pair(a, b)
    raw = sorted({c for c in a if c not in _PATH_OK})
    if raw and not any(c not in _PATH_OK for c in b):
        out.add(
            "path-not-encoded",
            "Your canonical URI is not URI-encoded",
            "The canonical URI is the URI-encoded path: every byte outside A-Za-z0-9-_.~ and '/' "
            f"becomes %XX (here {', '.join(repr(c) for c in raw)}). {_path_rule(service)}",
            evidence,
        )
    elif _encoded_again(a, b):
        out.add(
            "path-encoded-twice",
            "Path encoded twice: you signed %25XX where the server has %XX",
            "Your canonical URI encodes the path once more than the server does. "
            + _path_rule(service),
            evidence,
        )
    elif _encoded_again(b, a):
        out.add(
            "path-encoded-once",
            "Path encoded once: the server encodes it twice (%XX → %25XX)",
            "The server's canonical URI encodes the path once more than yours. "
            + _path_rule(service),
            evidence,
        )
    elif remove_dot_segments(a) == b:
        out.add(
            "path-not-normalised",
            "The server normalised the path; you did not",
            "The server removed '.', '..' or empty ('//') segments before signing. "
            + _path_rule(service),
            evidence,
        )
    elif remove_dot_segments(b) == a:
        out.add(
            "path-normalised",
            "You normalised the path; the server did not",
            "You removed '.', '..' or empty ('//') segments the server keeps. "
            + _path_rule(service),
            evidence,
        )
    elif unquote(a) == unquote(b):
        out.add(
            "path-encoding-differs",
            "The same path, percent-encoded differently",
            "Both canonical URIs decode to the same path but escape it differently: reserved "
            "characters must be %XX with upper-case hex, and unreserved ones (A-Za-z0-9-_.~) "
            "never escaped. " + _path_rule(service),
            evidence,
        )
    elif remove_dot_segments(unquote(unquote(a))) == remove_dot_segments(unquote(unquote(b))):
        out.add(
            "path-rules-differ",
            "The same path, canonicalised by different rules",
            "The paths name the same resource but were normalised or encoded differently. "
            + _path_rule(service),
            evidence,
        )
    else:
        out.add(
            "path-differs",
            "The server received a different path",
            "You signed one path and the server got another: the request was signed for "
            "another resource, or something rewrote the path on the way (an API Gateway stage "
            "or proxy prefix, a trailing slash added by a redirect, virtual-hosted versus "
            "path-style S3 addressing).",
            evidence,
            confidence="medium",
        )


def _pairs_text(pairs: Iterable[tuple[str, str]]) -> str:
    return "&".join(f"{k}={v}" for k, v in pairs)


def _plus_as_space(pair: tuple[str, str]) -> tuple[str, str]:
    def spaced(text: str) -> str:
        return text.replace("%2B", "%20").replace("+", "%20")

    return spaced(pair[0]), spaced(pair[1])


def _decoded(pair: tuple[str, str]) -> tuple[str, str]:
    return unquote(pair[0]), unquote(pair[1])


def _encoding_hints(a: str, b: str) -> list[str]:
    hints = []
    if re.search(r"%[0-9A-F]?[a-f]", a + b):
        hints.append("escapes must use upper-case hex (%2A, not %2a)")
    if any(c in a + b for c in "!'()*"):
        hints.append(
            "!'()* must be escaped (%21 %27 %28 %29 %2A): JavaScript's encodeURIComponent and "
            "some URL builders leave them raw"
        )
    if re.search(r"%(2D|2E|5F|7E|[46][1-9A-F]|[57][0-9A]|3[0-9])", a + b, re.IGNORECASE):
        hints.append("unreserved characters (A-Za-z0-9-_.~) must never be escaped (%7E is ~)")
    return hints or ["each byte outside A-Za-z0-9-_.~ is %XX, nothing else is escaped"]


def _check_query(ours: _Canonical, server: _Canonical, out: _Findings) -> None:
    if ours.query is None or server.query is None or ours.query == server.query:
        return
    a = [p for p in ours.query if p[0] not in _AUTH_PARAMS_CLAIMED]
    b = [p for p in server.query if p[0] not in _AUTH_PARAMS_CLAIMED]
    if a == b:
        return
    only_a, only_b = Counter(a) - Counter(b), Counter(b) - Counter(a)
    diff_a, diff_b = _pairs_text(sorted(only_a.elements())), _pairs_text(sorted(only_b.elements()))
    if not only_a and not only_b:
        out.add(
            "query-not-sorted",
            "Query parameters not sorted" if a != sorted(a) else "Query parameters reordered",
            "The canonical query string lists the parameters sorted by encoded name, then by "
            "value (byte order, after encoding). The same parameters were signed in another "
            "order.",
            out.pair(_pairs_text(a), _pairs_text(b)),
        )
        return
    evidence = (f"ours only:   {diff_a or '(nothing)'}", f"server only: {diff_b or '(nothing)'}")
    if Counter(map(_plus_as_space, a)) == Counter(map(_plus_as_space, b)):
        spaced_server = "%20" in diff_b and "%20" not in diff_a
        out.add(
            "query-plus-for-space",
            (
                "'+' in the query: you signed a plus, the server read a space"
                if spaced_server
                else "'+' in the query: you signed a space, the server read a plus"
            ),
            "A space in the query must be sent as %20, never '+' (form encoding, as done by "
            "urlencode/quote_plus and URLSearchParams). sigv4kit signs '+' as a literal plus "
            "(%2B), as the SigV4 rules say; many AWS front ends decode it as a space (%20) "
            "instead, and the signatures part. Build the query with urllib.parse.quote (or "
            "urlencode(..., quote_via=quote)) so spaces are %20 and pluses %2B.",
            evidence,
        )
        return
    if Counter(map(_decoded, a)) == Counter(map(_decoded, b)):
        out.add(
            "query-encoding",
            "The same query parameters, percent-encoded differently",
            "Both canonical query strings hold the same names and values, escaped differently: "
            + "; ".join(_encoding_hints(diff_a, diff_b))
            + ". Sign the query after decoding and re-encoding every name and value (RFC 3986).",
            evidence,
        )
        return
    keys_a = Counter(unquote(k) for k, _ in only_a.elements())
    keys_b = Counter(unquote(k) for k, _ in only_b.elements())
    if only_a and only_b and set(keys_a) == set(keys_b) and keys_a == keys_b:
        out.add(
            "query-value-changed",
            "A query parameter's value changed after signing",
            "The same parameters carry other values in the request the server received: the URL "
            "was modified after signing (a parameter overwritten by an HTTP client's params=, a "
            "template filled in later).",
            evidence,
        )
        return
    on_both_sides = {unquote(k) for k, _ in a} & {unquote(k) for k, _ in b}
    repeated = ", ".join(sorted((set(keys_a) | set(keys_b)) & on_both_sides))
    if only_b:
        out.add(
            "query-param-not-signed",
            f"The server received query parameters you did not sign: {diff_b}",
            "Parameters were added after signing (an HTTP client merging params=, a proxy or "
            "tracking parameter) or your signer dropped them: botocore's presigners keep only "
            "the first value of a repeated key (parse_qs), so 'a=1&a=2' is signed as 'a=1'. "
            "Sign the exact query you send, every value of every key."
            + (f" Key(s) with values on both sides: {repeated}." if repeated else ""),
            evidence,
        )
    if only_a:
        out.add(
            "query-param-not-sent",
            f"You signed query parameters the server did not receive: {diff_a}",
            "The request lost parameters after signing: a URL rebuilt from a dict keeps one "
            "value per key, frameworks and proxies de-duplicate or drop empty parameters, and "
            "long URLs get truncated. Send the URL exactly as signed.",
            evidence,
        )


def _check_headers(
    ours: _Canonical, server: _Canonical, payload_differs: bool, out: _Findings
) -> None:
    if not (ours.structured and server.structured):
        return
    upper = [n for n, _ in ours.headers if n != n.lower()] + [
        s for s in ours.signed if s != s.lower()
    ]
    if upper:
        out.add(
            "header-name-case",
            "Header names not lower-cased in your canonical request",
            "Canonical header names and the SignedHeaders list are lower case; the server "
            "lower-cases them, so a signature over 'Content-Type:' can never match.",
            [f"ours: {', '.join(dict.fromkeys(upper))}"],
        )
    a = {n.lower(): v for n, v in ours.headers}
    b = {n.lower(): v for n, v in server.headers}
    sa, sb = {s.lower() for s in ours.signed}, {s.lower() for s in server.signed}
    claimed = set(_HEADERS_CLAIMED)
    if payload_differs:
        claimed.add("content-length")
    missing = sorted(n for n in (a.keys() & sb) - b.keys() - claimed if n in sa)
    missing += sorted(n for n in (a.keys() & b.keys()) - claimed if b[n] == "" and a[n] != "")
    only_a, only_b = sorted((sa - sb) - claimed), sorted((sb - sa) - claimed)
    if only_a or only_b:
        detail = []
        if only_a:
            detail.append(f"signed by you only: {', '.join(only_a)}")
        if only_b:
            detail.append(f"signed by the server only: {', '.join(only_b)}")
        out.add(
            "signed-headers-differ",
            "The signed header sets differ (" + "; ".join(detail) + ")",
            "The server signs exactly the headers the request names in SignedHeaders "
            "(Authorization or X-Amz-SignedHeaders). Your canonical headers and that list "
            "disagree: the list was built from a different set of headers than the canonical "
            "block, or the request's SignedHeaders was changed after signing.",
            out.pair(";".join(ours.signed), ";".join(server.signed)),
        )
    for name in missing:
        out.add(
            "signed-header-missing",
            f"Signed header {name!r} did not reach the server",
            "You signed this header but the server received no value for it: the HTTP client "
            "or a proxy dropped it (hop-by-hop and Expect headers, Content-Length on a GET, "
            "headers a browser forbids), or a presigned URL was used without sending the "
            "headers it was signed with. Sign only headers that will be sent unchanged.",
            out.pair(f"{name}:{a[name]}", f"{name}:{b.get(name, '')}"),
        )
    for name in sorted((a.keys() & b.keys()) - claimed - set(missing)):
        va, vb = a[name], b[name]
        if va == vb:
            continue
        evidence = out.pair(f"{name}:{va}", f"{name}:{vb}")
        if name == "host":
            _host_cause(va, vb, evidence, out)
        elif " ".join(va.split()) == " ".join(vb.split()):
            mine = " ".join(va.split()) != va
            out.add(
                "header-whitespace",
                f"Whitespace in header {name!r} not trimmed and collapsed"
                + (" by you" if mine else " by the server"),
                "A canonical header value is trimmed, and each run of spaces inside it becomes "
                "one space. "
                + (
                    "Your canonical request keeps the raw whitespace."
                    if mine
                    else "The server kept whitespace you collapsed."
                ),
                evidence,
            )
        elif name == "content-type" and vb.lower().startswith(va.lower()):
            out.add(
                "header-changed",
                "Content-Type changed after signing (the HTTP client added to it)",
                "You signed Content-Type with one value and the HTTP client sent another (HTTP "
                "clients and form helpers commonly append '; charset=…' or a multipart "
                "boundary). Set the exact Content-Type before signing, or leave it out of the "
                "signed headers.",
                evidence,
            )
        else:
            out.add(
                "header-changed",
                f"Header {name!r} changed after signing",
                "The value the server received is not the one you signed: the HTTP client, a "
                "proxy or middleware changed it after signing. Sign last, right before sending, "
                "and leave headers that others rewrite out of the signature.",
                evidence,
            )


def _host_cause(a: str, b: str, evidence: tuple[str, str], out: _Findings) -> None:
    (ha, pa), (hb, pb) = _host_port(a), _host_port(b)
    if ha.lower() == hb.lower() and pa != pb:
        if pb and not pa:
            why = (
                f"the request went to port {pb} and the HTTP client put it in Host; sign the "
                "URL with its port (a local endpoint, proxy or tunnel)"
            )
        elif pa and not pb:
            why = (
                f"you signed port {pa} but the HTTP client left it out of Host (clients omit "
                ":443 and :80); sign the host as it is sent"
            )
        else:
            why = "the request was sent to another port than the one signed"
        out.add(
            "host-port",
            "Host differs by its port",
            f"Host is always signed, with the port exactly as sent: {why}.",
            evidence,
        )
        return
    out.add(
        "host-differs",
        "Signed for another host",
        "The request was signed for one host and sent to another: a regional versus global "
        "endpoint, virtual-hosted versus path-style S3 addressing, or a proxy or load balancer "
        "that rewrites Host. Sign the URL you send to.",
        evidence,
    )


def _check_payload(ours: _Canonical, server: _Canonical, out: _Findings) -> bool:
    a, b = ours.payload, server.payload
    if a is None or b is None:
        return False
    if a == b:
        ha, hb = ours.header("x-amz-content-sha256"), server.header("x-amz-content-sha256")
        if ha is None or hb is None or ha == hb:
            return False
        a, b = ha, hb
    evidence = out.pair(a, b)
    if a == UNSIGNED_PAYLOAD and _HEX64.fullmatch(b):
        out.add(
            "payload-unsigned-vs-digest",
            "You signed UNSIGNED-PAYLOAD; the server hashed the body",
            "Only S3 (and a few services) accept an unsigned body, and only when the request "
            "says so with X-Amz-Content-SHA256: UNSIGNED-PAYLOAD (sigv4kit: "
            "content_sha256_header=True) or is an S3 presigned URL. Elsewhere leave "
            "payload_hash=None so the SHA-256 of the body is signed.",
            evidence,
        )
    elif b == UNSIGNED_PAYLOAD and _HEX64.fullmatch(a):
        out.add(
            "payload-unsigned-vs-digest",
            "You signed the body's digest; the server expected UNSIGNED-PAYLOAD",
            "S3 presigned URLs, and requests sent with X-Amz-Content-SHA256: UNSIGNED-PAYLOAD, "
            "are checked against the literal UNSIGNED-PAYLOAD (sigv4kit: S3_PRESIGN_OPTIONS or "
            "payload_hash=UNSIGNED_PAYLOAD).",
            evidence,
        )
    elif _HEX64.fullmatch(a) and _HEX64.fullmatch(b):
        if b == EMPTY_SHA256:
            title = "The server received an empty body"
            why = (
                "You signed a body but none arrived: a stream consumed before sending, a body "
                "dropped on a GET or a redirect, or a body sent in a form the server does not "
                "read (chunked without the aws-chunked encoding)."
            )
        elif a == EMPTY_SHA256:
            title = "You signed an empty body, but a body was sent"
            why = "The body was set after signing. Sign the request with its final body."
        else:
            title = "The body changed after signing"
            why = (
                "The payload hashes differ, so the bytes sent are not the bytes signed: JSON "
                "serialised again (spacing, key order, ensure_ascii), a form re-encoded, "
                "compression or newline conversion applied after signing. Sign the exact bytes "
                "you send."
            )
        out.add("body-changed", title, why, evidence)
    elif a.startswith("STREAMING-") or b.startswith("STREAMING-"):
        out.add(
            "payload-streaming-differs",
            "Streaming (aws-chunked) payload signing differs",
            "One side signs a STREAMING-… payload (aws-chunked uploads, with a signature per "
            "chunk), the other does not or uses another variant; Content-Encoding: aws-chunked "
            "and X-Amz-Content-SHA256 must agree with how the body is sent.",
            evidence,
        )
    else:
        out.add(
            "payload-differs",
            "The payload hash lines differ",
            "The last line of the canonical request is the lower-case hex SHA-256 of the body, "
            "UNSIGNED-PAYLOAD, or a STREAMING-… value; the two sides disagree on it.",
            evidence,
        )
    return True


_CODE_HINTS: dict[str, tuple[str, str, str]] = {
    "RequestTimeTooSkewed": (
        "clock-skew",
        "The server says the request time is too far from its clock",
        "The time in X-Amz-Date is more than 5 minutes from the server's: the clock of the "
        "signing machine is wrong (containers and VMs after suspend drift; use NTP) or the "
        "request was held before sending.",
    ),
    "RequestExpired": (
        "request-expired",
        "The server says the request has expired",
        "The signed request is older than it may be: a presigned URL past its X-Amz-Expires, "
        "or a request signed more than 5 minutes before the server's clock (check the clock "
        "of the signing machine).",
    ),
    "SignatureExpired": (
        "request-expired",
        "The server says the signature has expired",
        "The signed request is older than it may be (X-Amz-Expires, or 5 minutes of skew).",
    ),
    "InvalidClientTokenId": (
        "unknown-access-key",
        "The server does not know the access key or session token",
        "The access key ID does not exist in this partition, was deleted, or belongs to "
        "temporary credentials whose session token was not sent; tokens from the global STS "
        "endpoint are not valid in opt-in regions.",
    ),
    "ExpiredToken": (
        "session-token-expired",
        "The session token has expired",
        "Temporary credentials expire; refresh them and sign again.",
    ),
    "IncompleteSignature": (
        "malformed-authorization",
        "The server could not read the signature",
        "The Authorization header or X-Amz-* query parameters are malformed or incomplete "
        "(a missing Credential, SignedHeaders or Signature, a wrong separator).",
    ),
    "AuthFailure": (
        "server-gave-no-canonical",
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


def _check_code(report: ServerReport, out: _Findings) -> None:
    hint = _CODE_HINTS.get(report.code or "")
    if hint is None:
        return
    code, title, explanation = hint
    evidence = [f"server: {report.code}: {_first_line(report.message or '')}"]
    out.add(code, title, explanation, evidence, confidence="medium")


def _first_line(text: str, limit: int = 200) -> str:
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= limit else line[: limit - 1] + "…"


# --------------------------------------------------------------------------- diffs


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _visible(text: str) -> str:
    """Control, format and bidi characters escaped so server text cannot drive a terminal or
    hide a difference."""
    return _INVISIBLE.sub(_escape_char, text)


def _display(line: str | None, secrets: Sequence[str | None]) -> str | None:
    return None if line is None else _visible(redact_text(line, list(secrets)))


def _first_difference(
    a: Sequence[str],
    b: Sequence[str],
    component: Callable[[int], str],
    secrets: Sequence[str | None],
) -> FirstDifference | None:
    for i in range(max(len(a), len(b))):
        la = a[i] if i < len(a) else None
        lb = b[i] if i < len(b) else None
        if la == lb:
            continue
        column = 0
        if la is not None and lb is not None:
            while column < min(len(la), len(lb)) and la[column] == lb[column]:
                column += 1
        da, db = _display(la, secrets), _display(lb, secrets)
        shown = 0
        if da is not None and db is not None:
            while shown < min(len(da), len(db)) and da[shown] == db[shown]:
                shown += 1
            if da == db:
                # The difference is inside a redacted value: point at the redaction.
                marker = da.find("…(")
                shown = max(marker - 4, 0) if marker >= 0 else 0
        return FirstDifference(
            line=i + 1,
            column=column + 1,
            component=component(i),
            ours=da,
            server=db,
            caret=" " * shown + "^",
        )
    return None


def _unified(a: Sequence[str], b: Sequence[str], secrets: Sequence[str | None]) -> tuple[str, ...]:
    """A unified diff over the raw lines (so a difference inside a token still shows as a
    changed line), each line then redacted and made visible."""
    cut_a, cut_b = list(a[:MAX_DIFF_LINES]), list(b[:MAX_DIFF_LINES])
    out = []
    context = max(len(cut_a), len(cut_b))
    for line in difflib.unified_diff(cut_a, cut_b, "ours", "server", lineterm="", n=context):
        if line.startswith(("---", "+++", "@@")):
            out.append(line)
        else:
            out.append(line[:1] + (_display(line[1:], secrets) or ""))
    if len(a) > MAX_DIFF_LINES or len(b) > MAX_DIFF_LINES:
        out.append(f"… (lines after {MAX_DIFF_LINES} not compared)")
    return tuple(out)


def _part(
    name: str,
    ours: str,
    server: str,
    component: Callable[[int], str],
    secrets: Sequence[str | None],
) -> PartDiff:
    if ours == server:
        return PartDiff(name, True, (), None, ours, server)
    a, b = ours.split("\n"), server.split("\n")
    return PartDiff(
        name=name,
        identical=False,
        diff=_unified(a, b, secrets),
        first_difference=_first_difference(a, b, component, secrets),
        ours=ours,
        server=server,
    )


def _tokens(*canonicals: _Canonical | None) -> tuple[str, ...]:
    """Session tokens in either canonical request: decoded first (so the redaction shows the
    real length), then as written, in case the server escaped it another way."""
    found: list[str] = []
    for c in canonicals:
        if c is None:
            continue
        for value in (c.header("x-amz-security-token"), c.param("X-Amz-Security-Token")):
            if value:
                found.append(unquote(value))
    for c in canonicals:
        param = None if c is None else c.param("X-Amz-Security-Token")
        if param:
            found.append(param)
    return tuple(dict.fromkeys(found))


# --------------------------------------------------------------------------- diagnosis


def diff_report(
    ours_canonical: str,
    ours_string_to_sign: str,
    report: ServerReport,
    *,
    signature: str | None = None,
) -> Diagnosis:
    """Compare what we signed with what the server computed, and name the likely causes.

    ``ours_canonical`` / ``ours_string_to_sign`` are the signer's artefacts (``SignedRequest``
    and ``PresignedRequest`` carry them); ``signature``, if given, is checked against the
    signature the server received. Causes come from the structure of both canonical requests
    (method, URI, query, headers, signed headers, payload hash) and strings to sign (time,
    scope), not from text heuristics; when everything is identical the key must differ.
    """
    if not isinstance(ours_canonical, str) or not isinstance(ours_string_to_sign, str):
        raise DiagnoseError("ours: the canonical request and string to sign must be str")
    if not isinstance(report, ServerReport):
        raise DiagnoseError("report: must be a ServerReport (see parse_server_error)")
    ours_text, ours_sts_text = (
        escape_lone_surrogates(ours_canonical),
        escape_lone_surrogates(ours_string_to_sign),
    )
    ours_c = _parse_canonical(ours_text)
    server_c = (
        None
        if report.canonical_request is None
        else _parse_canonical(escape_lone_surrogates(report.canonical_request))
    )
    ours_s, server_s = (
        _parse_sts(ours_sts_text),
        _parse_sts(
            None if report.string_to_sign is None else escape_lone_surrogates(report.string_to_sign)
        ),
    )
    secrets = _tokens(ours_c, server_c)
    out = _Findings(secrets)
    notes = list(report.notes)
    service = _service_of(server_s) or _service_of(ours_s)

    canonical_part = None
    if server_c is not None:
        canonical_part = _part(
            "canonical request", ours_text, server_c.text, server_c.component, secrets
        )
    sts_part = None
    if report.string_to_sign is not None:
        server_sts = escape_lone_surrogates(report.string_to_sign)
        sts_part = _part("string to sign", ours_sts_text, server_sts, _sts_component, secrets)

    if ours_s is not None and ours_s.digest != sha256(ours_text.encode("utf-8")).hexdigest():
        out.add(
            "ours-inconsistent",
            "Your string to sign does not hash your canonical request",
            "Line 4 of your string to sign is not the SHA-256 of the canonical request you "
            "passed: they come from different signings, or your signer hashed other bytes "
            "(another encoding, a trailing newline). Compare the artefacts of one signing.",
        )
    if (
        server_c is not None
        and server_s is not None
        and server_s.digest != sha256(server_c.text.encode("utf-8")).hexdigest()
    ):
        notes.append(
            "the server's canonical request as reported does not hash to its string to sign: "
            "characters were lost on the way (XML text instead of the *Bytes form, or a copy "
            "that changed whitespace), so small whitespace differences may be artefacts"
        )

    _check_scope(ours_s, server_s, ours_c, server_c, out)
    _check_time(ours_s, server_s, ours_c, server_c, out)
    if server_c is not None:
        before = len(out.causes)
        _check_method(ours_c, server_c, out)
        _check_token(ours_c, server_c, out)
        _check_path(ours_c, server_c, service, out)
        _check_query(ours_c, server_c, out)
        payload_differs = _check_payload(ours_c, server_c, out)
        _check_headers(ours_c, server_c, payload_differs, out)
        unexplained = _masked(ours_c) != _masked(server_c)
        if unexplained and len(out.causes) == before and canonical_part is not None:
            first = canonical_part.first_difference
            where = "" if first is None else f" (line {first.line}: {first.component})"
            out.add(
                "canonical-request-differs",
                f"The canonical requests differ{where}",
                "The server built another canonical request from the request it received; "
                "the diff below shows where. "
                + (
                    "Its structure could not be read, so no specific cause is named."
                    if not (ours_c.structured and server_c.structured)
                    else "None of the usual causes matches."
                ),
                () if first is None else (f"ours:   {first.ours}", f"server: {first.server}"),
                confidence="medium",
            )
    _check_signatures(ours_c, server_c, ours_sts_text, report, signature, out)
    _check_code(report, out)
    if (
        server_c is None
        and server_s is None
        and not any(c.code == "server-gave-no-canonical" for c in out.causes)
    ):
        out.add(
            "server-gave-no-canonical",
            "The server did not report its canonical request or string to sign",
            "Without them the difference cannot be located from the response. EC2 never sends "
            "them; S3 and the Query/JSON services do in SignatureDoesNotMatch responses. Check "
            "the request offline with `sigv4kit explain` and `sigv4kit verify`.",
            confidence="low",
        )
    if not out.causes:
        out.add(
            "unrecognised-difference",
            "No known cause matches",
            "The two sides differ in a way none of the checks recognise (or the texts are not "
            "a canonical request and string to sign); read the line diff below.",
            confidence="low",
        )
    causes = sorted(out.causes, key=lambda c: _RANK[c.confidence])
    return Diagnosis(
        report=report,
        canonical_request=canonical_part,
        string_to_sign=sts_part,
        causes=tuple(_dedupe(causes)),
        notes=tuple(notes),
        sensitive=secrets,
    )


def _masked(c: _Canonical) -> tuple[str, ...]:
    """The canonical request's lines with the request time and credential masked: their
    differences are the time and scope checks' to explain, not the canonical request's."""
    lines = list(c.lines)
    if len(lines) > 2:
        lines[2] = "&".join(
            k + "=*" if k in ("X-Amz-Date", "X-Amz-Credential") else f"{k}={v}"
            for k, v in _split_query(lines[2])
        )
    return tuple("x-amz-date:*" if line.startswith("x-amz-date:") else line for line in lines)


def _dedupe(causes: Iterable[Cause]) -> list[Cause]:
    seen: set[tuple[str, str]] = set()
    kept = []
    for cause in causes:
        key = (cause.code, cause.title)
        if key not in seen:
            seen.add(key)
            kept.append(cause)
    return kept


def _check_signatures(
    ours_c: _Canonical,
    server_c: _Canonical | None,
    ours_sts: str,
    report: ServerReport,
    signature: str | None,
    out: _Findings,
) -> None:
    """The string-to-sign level: the hash line, and what is left when nothing else differs."""
    server_sts = report.string_to_sign
    if server_sts is None or (server_c is not None and server_c.text != ours_c.text):
        return
    if server_sts != ours_sts:
        ours_s, server_s = _parse_sts(ours_sts), _parse_sts(escape_lone_surrogates(server_sts))
        if ours_s is None or server_s is None:
            return
        head = (ours_s.algorithm, ours_s.amzdate, ours_s.scope)
        if head != (server_s.algorithm, server_s.amzdate, server_s.scope):
            return
        evidence = out.pair(ours_s.digest, server_s.digest)
        if server_c is None:
            out.add(
                "canonical-request-differs",
                "The canonical requests differ, but the server did not show its own",
                "Line 4 of the strings to sign (the hash of the canonical request) differs, so "
                "the server built another canonical request; it reported only the string to "
                "sign. Check the request offline with `sigv4kit explain`.",
                evidence,
                confidence="medium",
            )
        else:
            out.add(
                "server-hashed-differently",
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
            "signature-not-sent",
            "The request carried another signature than the one you computed",
            "The server received a signature you did not compute for this request: another "
            "layer signed it again (two signers, a retry) or the Authorization header or "
            "X-Amz-Signature was replaced.",
            out.pair(redacted(signature), redacted(provided)),
        )
        return
    akid = f" for access key {report.access_key_id}" if report.access_key_id else ""
    out.add(
        "wrong-secret-key",
        "Everything matches: the secret key is wrong",
        "The server built exactly the canonical request and string to sign you did, so the "
        "signatures differ only because the signing keys do: the secret access key is not the "
        f"one the server holds{akid} (copied with a space or newline, from another profile, "
        "rotated, or paired with another access key ID). Less often, the key was derived for "
        "another date than the scope's (a signing key cached across midnight UTC).",
    )


# --------------------------------------------------------------------------- presentation


_COLORS = {"red": "31", "green": "32", "yellow": "33", "cyan": "36", "bold": "1", "dim": "2"}


def _paint(text: str, style: str, color: bool) -> str:
    return f"\x1b[{_COLORS[style]}m{text}\x1b[0m" if color else text


def _secrets_of(diagnosis: Diagnosis, secrets: Sequence[str] | None) -> list[str | None]:
    extra = [s for s in (secrets or ()) if isinstance(s, str)]
    return [*diagnosis.sensitive, *(escape_lone_surrogates(s) for s in extra)]


def _part_view(
    part: PartDiff, secrets: list[str | None], component: Callable[[int], str]
) -> tuple[tuple[str, ...], FirstDifference | None]:
    if part.identical:
        return (), None
    a, b = part.ours.split("\n"), part.server.split("\n")
    return _unified(a, b, secrets), _first_difference(a, b, component, secrets)


def _components(diagnosis: Diagnosis, name: str) -> Callable[[int], str]:
    if name == "string to sign":
        return _sts_component
    part = diagnosis.canonical_request
    return _parse_canonical(part.server if part else "").component


def render_text(diagnosis: Diagnosis, color: bool = False, secrets: list[str] | None = None) -> str:
    """The diagnosis for a terminal: the server's verdict, the likely causes (most likely
    first), then each part's first difference with a caret and the full line diff.

    Session tokens found in the canonical requests and every value in ``secrets`` are shown
    only as their first four characters and length; server text has control characters
    escaped. ANSI colour only when ``color`` is true.
    """
    hidden = _secrets_of(diagnosis, secrets)

    def show(text: str) -> str:
        return _visible(redact_text(text, hidden))

    report = diagnosis.report
    verdict = report.code or "(no error code)"
    if report.message:
        verdict += f": {_first_line(report.message)}"
    signature = report.signature_provided
    lines = [_paint("Signature diagnosis", "bold", color), f"Server said:     {show(verdict)}"]
    for label, value in (
        ("Request ID", report.request_id),
        ("Access key ID", report.access_key_id),
        ("Signature sent", redacted(signature) if signature else None),
    ):
        if value:
            lines.append(f"{label + ':':<17}{show(value)}")
    lines.append("")
    lines.append(_paint("Likely causes, most likely first:", "bold", color))
    for n, cause in enumerate(diagnosis.causes, 1):
        head = f"{n}. [{cause.confidence}] {show(cause.title)} ({cause.code})"
        lines.append(_paint(head, "yellow" if n == 1 else "bold", color))
        lines += ["   " + w for w in textwrap.wrap(show(cause.explanation), 92)]
        lines += ["   " + _paint(show(e), "dim", color) for e in cause.evidence]
    lines += [_paint("Note: ", "cyan", color) + show(note) for note in diagnosis.notes]
    for name, part in (
        ("Canonical request", diagnosis.canonical_request),
        ("String to sign", diagnosis.string_to_sign),
    ):
        lines.append("")
        lines += _render_part(name, part, diagnosis, hidden, color)
    return "\n".join(lines) + "\n"


_WINDOW = 96
_BEFORE = 40


def _window(first: FirstDifference) -> tuple[str, str, str]:
    """Both lines cut to a window around the caret, so a long query line still shows where
    it differs."""
    at = len(first.caret) - 1
    start = max(0, at - _BEFORE) if at >= _WINDOW - 8 else 0

    def cut(line: str | None) -> str:
        if line is None:
            return "(no such line)"
        piece = line[start : start + _WINDOW]
        return ("…" if start else "") + piece + ("…" if start + _WINDOW < len(line) else "")

    return cut(first.ours), cut(first.server), " " * (at - start + (1 if start else 0)) + "^"


def _render_part(
    name: str,
    part: PartDiff | None,
    diagnosis: Diagnosis,
    hidden: list[str | None],
    color: bool,
) -> list[str]:
    if part is None:
        return [f"{name}: not reported by the server"]
    if part.identical:
        return [_paint(f"{name}: identical", "green", color)]
    diff, first = _part_view(part, hidden, _components(diagnosis, part.name))
    lines = []
    if first is not None:
        where = f"line {first.line}, column {first.column} ({first.component})"
        ours, server, caret = _window(first)
        lines += [
            _paint(f"{name}: differs at {where}", "bold", color),
            f"  ours:   {ours}",
            f"  server: {server}",
            "          " + _paint(caret, "yellow", color),
        ]
    styles = {"-": "red", "+": "green"}
    for line in diff:
        if line.startswith(("---", "+++", "@@")):
            lines.append("  " + _paint(line, "cyan", color))
        elif line[:1] in styles:
            lines.append("  " + _paint(line, styles[line[:1]], color))
        else:
            lines.append("  " + line)
    return lines


def to_dict(diagnosis: Diagnosis, secrets: list[str] | None = None) -> dict[str, Any]:
    """A JSON-able dict of the diagnosis, with the same redaction as ``render_text`` (control
    characters are left to the JSON encoder)."""
    hidden = _secrets_of(diagnosis, secrets)

    def show(text: str | None) -> str | None:
        return None if text is None else redact_text(text, hidden)

    def part_dict(part: PartDiff | None) -> dict[str, Any] | None:
        if part is None:
            return None
        diff, first = _part_view(part, hidden, _components(diagnosis, part.name))
        return {
            "identical": part.identical,
            "ours": show(part.ours),
            "server": show(part.server),
            "diff": list(diff),
            "first_difference": None
            if first is None
            else {
                "line": first.line,
                "column": first.column,
                "component": first.component,
                "ours": first.ours,
                "server": first.server,
                "caret": first.caret,
            },
        }

    report = diagnosis.report
    return {
        "server": {
            "format": report.format,
            "code": show(report.code),
            "message": show(report.message),
            "request_id": show(report.request_id),
            "access_key_id": show(report.access_key_id),
            "signature_provided": None
            if report.signature_provided is None
            else redacted(report.signature_provided),
        },
        "identical": diagnosis.identical,
        "causes": [
            {
                "code": c.code,
                "title": show(c.title),
                "confidence": c.confidence,
                "explanation": show(c.explanation),
                "evidence": [show(e) for e in c.evidence],
            }
            for c in diagnosis.causes
        ],
        "notes": [show(n) for n in diagnosis.notes],
        "canonical_request": part_dict(diagnosis.canonical_request),
        "string_to_sign": part_dict(diagnosis.string_to_sign),
    }
