"""Splitting a URL or request target into the parts SigV4 signs, without re-encoding them.

``urllib.parse`` normalises as it goes (it drops tabs and newlines, lower-cases the scheme,
re-quotes nothing but may strip brackets from IPv6 hosts); signing needs the bytes exactly as
they will be sent, so the split here is deliberately literal.
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import urljoin

from ._caches import cached
from .errors import RedirectRefused, SigningError
from .patterns import lazy
from .redact import redact_url

__all__ = [
    "REDIRECT_STATUSES", "SplitUrl", "check_redirect", "check_same_origin", "host_header_value",
    "origin", "split_url",
]

_DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}  # RFC 6455
_SCHEME = lazy(r"[A-Za-z][A-Za-z0-9+.-]*")
_REG_NAME = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=%-]+")
_IPV6 = lazy(r"\[[0-9A-Fa-f:.]+(?:%25[A-Za-z0-9._~-]+)?\]")
_AUTHORITY_END = re.compile(r"[/?#]")


class SplitUrl(NamedTuple):
    """A URL in the parts the canonical request uses; ``scheme`` and ``host`` are empty for a
    bare request target such as ``/path?query``."""

    scheme: str
    host: str
    path: str
    query: str


def split_url(url: str) -> SplitUrl:
    """Split ``url`` (absolute, or a request target starting with ``/``); the fragment is dropped
    because it is never sent. ``host`` is the value of the Host header a client sends for it."""
    if len(url) <= 256:
        # Short URLs (an API's endpoint, POSTed to again and again) are split once.
        return _split_short_url(url)
    return _split(url)


def _split(url: str) -> SplitUrl:
    scheme, sep, rest = url.partition("://")
    if sep:
        if scheme != "https" and not _SCHEME.fullmatch(scheme):
            raise SigningError(f"url: {_quoted(scheme)} is not a valid URL scheme", field="url")
        end = _AUTHORITY_END.search(rest)
        authority, rest = (rest[: end.start()], rest[end.start() :]) if end else (rest, "")
        scheme = scheme.lower()
        host = _cached_host_header_value(scheme, authority)
    elif url.startswith("/"):
        scheme, host, rest = "", "", url
    else:
        raise SigningError(
            "url: must be an absolute URL (https://host/path) or a request target starting "
            "with '/'",
            field="url",
        )
    if "#" in rest:
        rest = rest.partition("#")[0]
    path, _, query = rest.partition("?")
    return SplitUrl(scheme, host, path, query)


def host_header_value(scheme: str, authority: str) -> str:
    """The Host header for an authority: user-info removed, host lower-cased (as requests and
    urllib3 send it), IPv6 kept in brackets, the scheme's default port dropped."""
    authority = authority.rpartition("@")[2]
    if not authority:
        raise SigningError("url: has no host", field="url")
    if authority.startswith("["):
        end = authority.find("]")
        host, port_part = authority[: end + 1], authority[end + 1 :]
        if end < 0 or not _IPV6.fullmatch(host):
            raise SigningError(f"url: {_quoted(authority)} is not a valid IPv6 host", field="url")
    else:
        host, colon, port = authority.partition(":")
        port_part = colon + port
        if not host or not _REG_NAME.fullmatch(host):
            raise SigningError(f"url: {_quoted(authority)} is not a valid host", field="url")
    if port_part:
        port = port_part[1:]
        if not port_part.startswith(":") or not port.isdigit() or not port.isascii():
            raise SigningError(f"url: port in {_quoted(authority)} is not a number", field="url")
        number = int(port)
        if number > 65535:
            raise SigningError(f"url: port {port} is out of range 0..65535", field="url")
        # Clients send the port as a number (":0443" goes out as 443, then dropped).
        port_part = "" if _DEFAULT_PORTS.get(scheme) == str(number) else f":{number}"
    return host.lower() + port_part


def _quoted(text: str) -> str:
    """Received text as an error message may quote it: a bounded prefix with credential values
    redacted (an authority that swallowed a presigned query holds the token and signature)."""
    from .redact import excerpt  # only a message needs it

    return excerpt(text)


_cached_host_header_value = cached(
    256, name="_cached_host_header_value", keys="(scheme, authority)",
    reason="a client talks to few hosts",
)(host_header_value)
"""A client talks to few hosts; their Host values are worked out once."""

_split_short_url = cached(
    256, name="_split_short_url", keys="URL ≤ 256 chars", reason="an endpoint's URLs recur"
)(_split)
"""Short URLs recur (an API's endpoint, a bucket's keys): each is split and checked once."""


# -- the origin rule: a request signed for one origin is never sent to another ---------------

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_MAX_SHOWN = 200
"""Characters of a Location quoted in a message: a hostile one may be megabytes long."""


def origin(url: str) -> tuple[str, str] | None:
    """(scheme, host[:port]) of an absolute URL, lower-case, the scheme's default port
    dropped (the Host value ``split_url`` gives): what a signed request is bound to. None for
    a URL that has none (not absolute, or no valid host), which is no origin a signed request
    may go to."""
    try:
        parts = split_url(url)
    except SigningError:
        return None
    return (parts.scheme, parts.host) if parts.scheme else None


def check_redirect(url: str, status: int, location: str | None, response: object = None) -> None:
    """Raise ``RedirectRefused`` when the answer ``status``/``location`` to the request sent to
    ``url`` redirects to another origin (an https URL answered with http on the same host is
    another origin too); a same-origin redirect, or an answer that is no redirect, passes."""
    if status not in REDIRECT_STATUSES or location is None:
        return
    try:
        target = urljoin(url, location.strip())
    except ValueError:
        target = ""
    here = origin(url)
    if here is not None and origin(target) == here:
        return
    raise _refused(here, f"answered HTTP {status} with Location", location, status, response)


def check_same_origin(signed_url: str, url: str, response: object = None) -> None:
    """Raise ``RedirectRefused`` when a request signed for ``signed_url`` is about to be (or
    was) sent to ``url`` of another origin (a library following a redirect on its own)."""
    here = origin(signed_url)
    if here is not None and origin(url) == here:
        return
    raise _refused(here, "was redirected to", url, None, response)


def _refused(here: tuple[str, str] | None, what: str, location: str, status: int | None,
             response: object) -> RedirectRefused:
    shown = redact_url(location[:_MAX_SHOWN]) + ("…" if len(location) > _MAX_SHOWN else "")
    where = f"{here[0]}://{here[1]}" if here else "the server"
    return RedirectRefused(
        f"redirect: {where} {what} {shown!r}, another origin (scheme, host or port): not "
        "followed, a signed request and its session token and body go only to the origin "
        "they were signed for; sign a new request for that URL if you trust it",
        status=status, location=shown, response=response,
    )
