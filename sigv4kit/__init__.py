"""sigv4kit: AWS Signature Version 4 (and SigV4a) signing, presigning and debugging.

The names here are the pure signing core: importing them loads no HTTP library, no CLI
framework and no botocore. See DESIGN.md for the layers.
"""

from .errors import SigningError
from .model import Credentials, PresignedRequest, Request, SignedRequest
from .options import S3_OPTIONS, S3_PRESIGN_OPTIONS, UNSIGNED_PAYLOAD, SigningOptions
from .signing import Signer, presign, sign_request
from .verify import verify_presigned_url, verify_request

__version__ = "0.1.0"

__all__ = [
    "S3_OPTIONS",
    "S3_PRESIGN_OPTIONS",
    "UNSIGNED_PAYLOAD",
    "Credentials",
    "PresignedRequest",
    "Request",
    "SignedRequest",
    "Signer",
    "SigningError",
    "SigningOptions",
    "__version__",
    "presign",
    "sign_request",
    "verify_presigned_url",
    "verify_request",
]
