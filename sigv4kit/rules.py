"""The rules a received signature is held to, beside its cryptography: scope, time, token.

The verifier applies them to decide; ``sigv4kit.diagnose`` (explain, diff) applies the same
functions to warn before a server refuses. Each returns None when the rule holds, else a
message a person can act on, which never quotes a secret, a token or a signature.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

from ._caches import cached
from .model import Credentials
from .received import Reason, ReceivedSignature
from .timestamps import format_iso, span

__all__ = ["DEFAULT_MAX_SKEW", "region_in", "scope_problem", "time_problem", "token_problem"]

DEFAULT_MAX_SKEW = timedelta(minutes=5)
"""How far X-Amz-Date may be from the server's clock; AWS allows five minutes."""


def time_problem(
    sig: ReceivedSignature, now: datetime, max_skew: timedelta
) -> tuple[Reason, str] | None:
    ahead = sig.issued - now
    if ahead > max_skew:
        return Reason.NOT_YET_VALID, (
            f"X-Amz-Date {format_iso(sig.issued)} is {span(ahead)} ahead of now "
            f"({format_iso(now)}), more than the allowed clock skew of {span(max_skew)}: "
            "check the signer's clock"
        )
    if sig.expires is not None:
        end = sig.issued + timedelta(0, sig.expires)  # (days, seconds): no keyword parsing
        if now > end:
            return Reason.EXPIRED, (
                f"the presigned URL expired at {format_iso(end)} ({sig.expires}s after "
                f"X-Amz-Date), {span(now - end)} ago"
            )
    elif -ahead > max_skew:
        return Reason.EXPIRED, (
            f"X-Amz-Date {format_iso(sig.issued)} is {span(ahead)} before now "
            f"({format_iso(now)}), more than the allowed clock skew of {span(max_skew)}: "
            "a header-signed request must be sent right away (or the signer's clock is wrong)"
        )
    return None


def scope_problem(sig: ReceivedSignature, service: str | None, region: str | None) -> str | None:
    if sig.scope_date != sig.amz_date[:8]:
        return (
            f"the credential scope date {sig.scope_date} is not the date of X-Amz-Date "
            f"{sig.amz_date}"
        )
    if service is not None and sig.service != service:
        return f"signed for service {sig.service!r}, but this is {service!r}"
    if region is not None:
        if sig.region_set is None:
            if sig.region != region:
                return f"signed for region {sig.region!r}, but this is {region!r}"
        elif not any(region_in(region, pattern) for pattern in sig.region_set):
            return (
                f"X-Amz-Region-Set {','.join(sig.region_set)!r} does not include region {region!r}"
            )
    return None


def region_in(region: str, pattern: str) -> bool:
    """SigV4a region set entries are region names or wildcards (``*``, ``us-*``)."""
    if pattern.endswith("*"):
        return region.startswith(pattern[:-1])
    return region == pattern


def token_problem(sig: ReceivedSignature, creds: Credentials) -> str | None:
    sent, known = sig.session_token, creds.session_token
    if sent is None:
        if known is not None:
            return (
                f"the credentials of {sig.access_key_id} are temporary: the request must carry "
                "their X-Amz-Security-Token"
            )
        return None
    if known is None:
        return (
            f"the request carries X-Amz-Security-Token but the credentials of "
            f"{sig.access_key_id} have no session token"
        )
    if not _same_token(sent, known):
        return (
            f"X-Amz-Security-Token is not the session token of {sig.access_key_id} "
            f"(received {len(sent)} characters, expected {len(known)})"
        )
    return None


@cached(16, keys="(token sent, token known)", reason="a token recurs in every request it signs")
def _same_token(sent: str, known: str) -> bool:
    """Constant-time: the token is a bearer credential. Cached, as a credential's token is the
    same in every request it signs (and the cache's hashing is keyed: it tells nothing about a
    forged token's bytes). 16 entries of at most 64 KiB."""
    return hmac.compare_digest(sent.encode("utf-8", "surrogatepass"), known.encode("utf-8"))
