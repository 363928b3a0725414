"""Tasks 2-4 of SigV4: the string to sign, the signing key and the signature.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html

The signer and the verifier (and the aws-chunked chunk signatures, which chain from a seed
signature) all sign through ``cached_signing_key``: one bounded cache of derived keys.
"""

from __future__ import annotations

import hmac
from hashlib import sha256

from ._caches import Memo, secret_fingerprint
from .canonical import CanonicalRequest

__all__ = [
    "ALGORITHM", "ALGORITHM_V4A", "SigningKey", "cached_signing_key", "signature", "signing_key",
    "string_to_sign",
]

ALGORITHM = "AWS4-HMAC-SHA256"
ALGORITHM_V4A = "AWS4-ECDSA-P256-SHA256"


def string_to_sign(
    algorithm: str, amzdate: str, scope: str, canonical: CanonicalRequest | str
) -> str:
    """Task 2: algorithm, request time, credential scope and the hash of the canonical request
    (a ``CanonicalRequest``, or its text: the bulk presigner substitutes one snapshot id in a
    template's text).

    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html#create-string-to-sign
    """
    text = canonical if type(canonical) is str else canonical.text  # type: ignore[union-attr]
    digest = sha256(text.encode("utf-8")).hexdigest()
    return f"{algorithm}\n{amzdate}\n{scope}\n{digest}"


def signing_key(secret_access_key: str, date: str, region: str, service: str) -> bytes:
    """Task 3: kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
    "aws4_request").

    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html#derive-signing-key
    """
    key = hmac.digest(("AWS4" + secret_access_key).encode("utf-8"), date.encode(), "sha256")
    key = hmac.digest(key, region.encode(), "sha256")
    key = hmac.digest(key, service.encode(), "sha256")
    return hmac.digest(key, b"aws4_request", "sha256")


def signature(key: bytes, to_sign: str) -> str:
    """Task 4: the hex HMAC-SHA256 of the string to sign under the signing key.

    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html#calculate-signature
    """
    return hmac.digest(key, to_sign.encode("utf-8"), "sha256").hex()


_PAD_INNER = bytes(b ^ 0x36 for b in range(256))
_PAD_OUTER = bytes(b ^ 0x5C for b in range(256))


class SigningKey:
    """HMAC-SHA256 (RFC 2104) under one signing key, with the hashes of the two padded key
    blocks computed once: a signature then costs two SHA-256 state copies instead of a fresh
    HMAC set-up, about half the time of ``hmac.digest`` here. Never printed. It holds the
    hash states of the *derived* key (one day, one region, one service), never the secret: the
    HMAC keyed by "AWS4" + secret is computed one-shot (``hmac.digest``) and kept nowhere."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        if len(key) > 64:  # never for a signing key (32 bytes); RFC 2104 for any other
            key = sha256(key).digest()
        block = key.ljust(64, b"\0")
        self._inner = sha256(block.translate(_PAD_INNER))
        self._outer = sha256(block.translate(_PAD_OUTER))

    def hex_signature(self, to_sign: str) -> str:
        """Task 4 under this key."""
        inner = self._inner.copy()
        inner.update(to_sign.encode("utf-8"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def __repr__(self) -> str:
        return "SigningKey(***)"


_SIGNING_KEYS: Memo[tuple[int, str, str, str], SigningKey] = Memo(
    64,
    name="sigv4kit.keys.cached_signing_key",
    keys="(secret's fingerprint, date, region, service)",
    reason="a key signs for one scope all day: 4 HMACs saved a request",
)


def cached_signing_key(secret_access_key: str, date: str, region: str, service: str) -> SigningKey:
    """Keys change once a day per (secret, region, service): deriving them once saves 4 HMACs a
    request. Bounded, never listed or printed, and keyed by the secret's fingerprint: the
    cache holds the derived key, never the secret."""
    entry = (secret_fingerprint(secret_access_key), date, region, service)
    key = _SIGNING_KEYS.get(entry)
    if key is None:
        derived = signing_key(secret_access_key, date, region, service)
        key = _SIGNING_KEYS.put(entry, SigningKey(derived))
    return key
