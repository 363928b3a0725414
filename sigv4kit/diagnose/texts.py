"""A canonical request and a string to sign as *text*: split into their parts for comparison.

The debugger gets them from two sides (our signer, the server's error document), either of
which may be damaged or not a canonical request at all; these readers never fail, they say how
much structure they found.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

__all__ = [
    "CanonicalText", "StringToSignText", "parse_canonical", "parse_sts", "service_of",
    "session_token", "split_query", "sts_component", "sts_from_canonical",
]


@dataclass(frozen=True)
class CanonicalText:
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


def split_query(line: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for piece in line.split("&"):
        if piece:
            key, _, value = piece.partition("=")
            pairs.append((key, value))
    return tuple(pairs)


def parse_canonical(text: str) -> CanonicalText:
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
    return CanonicalText(
        text=text,
        lines=lines,
        structured=structured,
        method=lines[0] if len(lines) > 1 else None,
        path=lines[1] if len(lines) > 2 else None,
        query=split_query(lines[2]) if len(lines) > 3 else None,
        headers=headers,
        signed=signed,
        payload=payload,
        blank=blank,
    )


@dataclass(frozen=True)
class StringToSignText:
    algorithm: str
    amzdate: str
    scope: tuple[str, ...]
    digest: str


_STS_COMPONENTS = ("algorithm", "request date (X-Amz-Date)", "credential scope", "canonical hash")


def sts_component(index: int) -> str:
    return _STS_COMPONENTS[index] if index < len(_STS_COMPONENTS) else "past the end"


def parse_sts(text: str | None) -> StringToSignText | None:
    if text is None:
        return None
    lines = text.split("\n")
    if len(lines) != 4:
        return None
    return StringToSignText(lines[0], lines[1], tuple(lines[2].split("/")), lines[3])


def service_of(sts: StringToSignText | None) -> str | None:
    if sts is None or len(sts.scope) < 3:
        return None
    return sts.scope[-2]


def session_token(c: CanonicalText) -> str | None:
    """The session token a canonical request carries (header, or query parameter decoded);
    '' when the header is signed but was not received."""
    value = c.header("x-amz-security-token")
    if value is not None:
        return value
    param = c.param("X-Amz-Security-Token")
    return None if param is None else unquote(param)


# --------------------------------------------------------------------------- causes


def sts_from_canonical(c: CanonicalText | None) -> StringToSignText | None:
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
    return StringToSignText(unquote(algorithm or ""), date, scope, "")
