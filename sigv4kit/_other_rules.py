"""The other rule set a mismatched signature may have been made under (S3's path and payload
rules for another service, or the other way round), and how to say so.

The verifier tries these alternatives only after a mismatch, so a valid request never pays
for them; the hint names the options that would have signed the request that way.
"""

from __future__ import annotations

from collections.abc import Iterator

from .canonical import canonical_uri
from .options import UNSIGNED_PAYLOAD, is_s3

__all__ = ["alternatives", "hint_text"]

Rules = tuple[bool, bool, str]
"""(normalize_path, double_encode_path, payload hash)."""


def alternatives(path: str, used: Rules, other_payload: str | None) -> Iterator[Rules]:
    """Each other combination of the path rules (and, for a presigned URL, the other rule
    set's payload hash) whose canonical URI and payload differ from those already tried."""
    normalize, double, payload = used
    tried = {(canonical_uri(path, normalize_path=normalize, double_encode_path=double), payload)}
    payloads = [payload] if other_payload is None else [payload, other_payload]
    for alt_payload in payloads:
        for alt_normalize, alt_double in (
            (normalize, double),
            (not normalize, double),
            (normalize, not double),
            (not normalize, not double),
        ):
            uri = canonical_uri(path, normalize_path=alt_normalize, double_encode_path=alt_double)
            if (uri, alt_payload) not in tried:
                tried.add((uri, alt_payload))
                yield alt_normalize, alt_double, alt_payload


def hint_text(service: str, used: Rules, matched: Rules) -> str:
    """The mismatch message when the signature verifies under ``matched`` instead of ``used``."""
    options = [
        f"{name}={value}"
        for name, value, expected in (
            ("normalize_path", matched[0], used[0]),
            ("double_encode_path", matched[1], used[1]),
        )
        if value != expected
    ]
    if matched[2] != used[2]:
        options.append(
            "payload_hash=UNSIGNED-PAYLOAD" if matched[2] == UNSIGNED_PAYLOAD
            else "the body's SHA-256 as payload hash (not UNSIGNED-PAYLOAD)"
        )
    s3 = is_s3(service)
    kind = "non-S3" if s3 else "S3"
    fix = (
        f"service {service!r} is S3: sign with S3's rules (sigv4kit's default for it)"
        if s3
        else f"service {service!r} is not S3: sign without S3's options"
    )
    return (
        f"the signature does not match under the rules of service {service!r}, but does "
        f"with {' and '.join(options)}: signed with {kind} path rules; {fix} (S3 neither "
        "normalises nor double-encodes the path and presigns UNSIGNED-PAYLOAD, every other "
        "service normalises, double-encodes and signs the body's hash)"
    )
