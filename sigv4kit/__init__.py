"""sigv4kit: AWS Signature Version 4 (and SigV4a) signing, presigning and debugging.

The names here are the pure signing core: importing them loads no HTTP library, no CLI
framework and no botocore. The layers are described in docs/development.md (Layout), the
public names in docs/reference.md.

Each name is imported from its module on first use (PEP 562), so ``import sigv4kit`` (which
every submodule's import runs first) costs nothing, and ``sigv4kit presign`` never loads the
verifier. ``from sigv4kit import X``, ``sigv4kit.X``, ``dir()`` and ``__all__`` behave as if
they were imported here; type checkers read the imports under ``TYPE_CHECKING``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._caches import clear_caches
    from .errors import Error, SigningError
    from .model import Credentials, PresignedRequest, Request, SignedRequest
    from .options import S3_OPTIONS, S3_PRESIGN_OPTIONS, UNSIGNED_PAYLOAD, SigningOptions
    from .received import Reason
    from .signing import Signer, presign, sign_request
    from .verify import VerifyResult, verify_presigned_url, verify_request

__version__ = "0.1.0"

_SOURCES = {
    "Error": "errors",
    "SigningError": "errors",
    "Credentials": "model",
    "PresignedRequest": "model",
    "Request": "model",
    "SignedRequest": "model",
    "S3_OPTIONS": "options",
    "S3_PRESIGN_OPTIONS": "options",
    "UNSIGNED_PAYLOAD": "options",
    "SigningOptions": "options",
    "Signer": "signing",
    "presign": "signing",
    "sign_request": "signing",
    "Reason": "received",
    "VerifyResult": "verify",
    "verify_presigned_url": "verify",
    "verify_request": "verify",
    "clear_caches": "_caches",
}
"""public name: the core module that defines it."""

__all__ = [
    "S3_OPTIONS",
    "S3_PRESIGN_OPTIONS",
    "UNSIGNED_PAYLOAD",
    "Credentials",
    "Error",
    "PresignedRequest",
    "Reason",
    "Request",
    "SignedRequest",
    "Signer",
    "SigningError",
    "SigningOptions",
    "VerifyResult",
    "__version__",
    "clear_caches",
    "presign",
    "sign_request",
    "verify_presigned_url",
    "verify_request",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use and keep the name here (so this runs once
    per name)."""
    source = _SOURCES.get(name)
    if source is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"{__name__}.{source}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
