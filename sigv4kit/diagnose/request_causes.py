"""The checks of the request's structure: method aside, its path, query, headers and payload.

Each takes both canonical requests (the server's is known here) with ``Compared`` and
``Findings``, as ``diff.REQUEST_CHECKS`` calls them, and names the causes the *structure* of the
difference shows (encoded twice, '+' for a space, a header changed after signing …).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from urllib.parse import quote, unquote

from ..canonical import remove_dot_segments
from ..options import EMPTY_SHA256, UNSIGNED_PAYLOAD, is_s3
from .causes import Compared, Findings
from .texts import CanonicalText

HEX64 = re.compile(r"[0-9a-f]{64}")

_AUTH_PARAMS_CLAIMED = frozenset(
    {"X-Amz-Date", "X-Amz-Credential", "X-Amz-Security-Token", "X-Amz-Signature"}
)
"""Query parameters whose differences the time, scope and token checks explain."""

_HEADERS_CLAIMED = frozenset({"x-amz-date", "x-amz-security-token", "x-amz-content-sha256"})
"""Headers whose differences the time, token and payload checks explain."""

_PATH_OK = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~/%")


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


_S3_PATH_RULE = (
    "S3 signs the path as sent: encoded once and never normalised (sigv4kit's default for "
    "service='s3' and S3's other signing names, i.e. double_encode_path=False, "
    "normalize_path=False; S3_OPTIONS, S3_PRESIGN_OPTIONS and Signer.for_s3 say so too)."
)
_OTHER_PATH_RULE = (
    "Every service but S3 normalises the path (drops '.', '..' and empty segments) and then "
    "URI-encodes the path as sent once more, so '%20' becomes '%2520' (sigv4kit's defaults: "
    "double_encode_path=True, normalize_path=True)."
)


def _path_rule(service: str | None) -> str:
    if is_s3(service):
        return _S3_PATH_RULE
    if service is None:
        return f"{_S3_PATH_RULE} {_OTHER_PATH_RULE}"
    return f"{_OTHER_PATH_RULE} (This is service {service!r}.)"


def _encoded_again(more: str, less: str) -> bool:
    """``more`` is ``less`` URI-encoded once more (``%20`` → ``%2520``)."""
    return "%25" in more and (more.replace("%25", "%") == less or _quote_path(less) == more)


def check_path(ours: CanonicalText, server: CanonicalText, c: Compared, out: Findings) -> None:
    service = c.service
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


def check_query(ours: CanonicalText, server: CanonicalText, c: Compared, out: Findings) -> None:
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


def check_headers(ours: CanonicalText, server: CanonicalText, c: Compared, out: Findings) -> None:
    payload_differs = c.payload_differs
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


def _host_cause(a: str, b: str, evidence: tuple[str, str], out: Findings) -> None:
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


def check_payload(ours: CanonicalText, server: CanonicalText, c: Compared, out: Findings) -> None:
    c.payload_differs = _payload_differs(ours, server, out)


def _payload_differs(ours: CanonicalText, server: CanonicalText, out: Findings) -> bool:
    a, b = ours.payload, server.payload
    if a is None or b is None:
        return False
    if a == b:
        ha, hb = ours.header("x-amz-content-sha256"), server.header("x-amz-content-sha256")
        if ha is None or hb is None or ha == hb:
            return False
        a, b = ha, hb
    evidence = out.pair(a, b)
    if a == UNSIGNED_PAYLOAD and HEX64.fullmatch(b):
        out.add(
            "payload-unsigned-vs-digest",
            "You signed UNSIGNED-PAYLOAD; the server hashed the body",
            "Only S3 (and a few services) accept an unsigned body, and only when the request "
            "says so with X-Amz-Content-SHA256: UNSIGNED-PAYLOAD (sigv4kit: "
            "content_sha256_header=True) or is an S3 presigned URL. Elsewhere leave "
            "payload_hash=None so the SHA-256 of the body is signed.",
            evidence,
        )
    elif b == UNSIGNED_PAYLOAD and HEX64.fullmatch(a):
        out.add(
            "payload-unsigned-vs-digest",
            "You signed the body's digest; the server expected UNSIGNED-PAYLOAD",
            "S3 presigned URLs, and requests sent with X-Amz-Content-SHA256: UNSIGNED-PAYLOAD, "
            "are checked against the literal UNSIGNED-PAYLOAD (sigv4kit: S3_PRESIGN_OPTIONS or "
            "payload_hash=UNSIGNED_PAYLOAD).",
            evidence,
        )
    elif HEX64.fullmatch(a) and HEX64.fullmatch(b):
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
