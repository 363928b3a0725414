"""SigV4a: the ECDSA P-256 key derived from an access key, and signatures made with it.

SigV4a signs once for a set of regions (``X-Amz-Region-Set``) so one signature is valid in
several; the key is derived deterministically from the secret, so any holder of the secret
can verify, and anyone with ``public_key(credentials)`` can too. ``cryptography`` is imported
only here, and only when SigV4a is used.
"""

from __future__ import annotations

import hmac

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from ._caches import Memo, secret_fingerprint
from .errors import SigningError
from .model import Credentials

__all__ = ["public_key", "public_key_from_xy", "sign_string", "verify_signature"]

_LABEL = b"AWS4-ECDSA-P256-SHA256"
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_L_256 = (256).to_bytes(4, "big")
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


def derive_private_scalar(access_key_id: str, secret_access_key: str) -> int:
    """The private scalar per the SigV4a key derivation.

    NIST SP 800-108 KDF in counter mode with HMAC-SHA256: key ``"AWS4A" + secret``, fixed input
    ``i=1 || label || 0x00 || access key id || counter || L=256``. A candidate above n - 2 is
    rejected and the external counter incremented, so that candidate + 1 lies in [1, n - 1].
    """
    key = b"AWS4A" + secret_access_key.encode("utf-8")
    akid = access_key_id.encode("utf-8")
    for counter in range(1, 255):
        fixed = b"\x00\x00\x00\x01" + _LABEL + b"\x00" + akid + bytes([counter]) + _L_256
        candidate = int.from_bytes(hmac.digest(key, fixed, "sha256"), "big")
        if candidate <= _P256_ORDER - 2:
            return candidate + 1
    raise SigningError(  # pragma: no cover - probability about 2**-8000
        "secret_access_key: no SigV4a key could be derived from it", field="secret_access_key"
    )


_PRIVATE_KEYS: Memo[tuple[str, int], ec.EllipticCurvePrivateKey] = Memo(
    64, name="sigv4kit.sigv4a._private_key", keys="(key id, secret's fingerprint)",
    reason="the derivation takes ~0.3 ms and is constant for a credential",
)


def _private_key(access_key_id: str, secret_access_key: str) -> ec.EllipticCurvePrivateKey:
    # Keyed by the secret's fingerprint: the cache holds the derived key, not the secret.
    entry = (access_key_id, secret_fingerprint(secret_access_key))
    key = _PRIVATE_KEYS.get(entry)
    if key is None:
        scalar = derive_private_scalar(access_key_id, secret_access_key)
        key = _PRIVATE_KEYS.put(entry, ec.derive_private_key(scalar, ec.SECP256R1()))
    return key


def private_key(credentials: Credentials) -> ec.EllipticCurvePrivateKey:
    """The derived ECDSA P-256 private key of ``credentials`` (cached)."""
    return _private_key(credentials.access_key_id, credentials.secret_access_key)


def public_key(credentials: Credentials) -> ec.EllipticCurvePublicKey:
    """The derived ECDSA P-256 public key: publishable, it verifies what the secret signs."""
    return private_key(credentials).public_key()


def sign_string(credentials: Credentials, string_to_sign: str) -> str:
    """The hex DER ECDSA-P256 signature over SHA-256 of the string to sign (randomised)."""
    return private_key(credentials).sign(string_to_sign.encode("utf-8"), _ECDSA_SHA256).hex()


def verify_signature(
    key: ec.EllipticCurvePublicKey, string_to_sign: str, signature_hex: str
) -> bool:
    """True when ``signature_hex`` is a valid SigV4a signature of ``string_to_sign``."""
    try:
        der = bytes.fromhex(signature_hex)
    except ValueError:
        return False
    try:
        key.verify(der, string_to_sign.encode("utf-8"), _ECDSA_SHA256)
    except (InvalidSignature, ValueError):
        return False
    return True


def public_key_from_xy(x_hex: str, y_hex: str) -> ec.EllipticCurvePublicKey:
    """A P-256 public key from hex affine coordinates (as the suite's public-key.json has)."""
    numbers = ec.EllipticCurvePublicNumbers(int(x_hex, 16), int(y_hex, 16), ec.SECP256R1())
    return numbers.public_key()
