"""EC2: the CopySnapshot PresignedUrl, the Query protocol serializer and parser, a raw client.

Names are loaded on first use (PEP 562), so building a PresignedUrl never imports requests.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..transport import TransportError
    from .client import Client
    from .errors import ApiError, ResponseParseError, SnapshotStateError, WaitTimeoutError
    from .presigned import (
        CopySnapshotPresigner,
        presign_copy_snapshot,
        presigned_copy_snapshot_url,
    )

_WHERE = {
    "Client": "client",
    "ApiError": "errors",
    "ResponseParseError": "errors",
    "SnapshotStateError": "errors",
    "WaitTimeoutError": "errors",
    "TransportError": "client",
    "CopySnapshotPresigner": "presigned",
    "presign_copy_snapshot": "presigned",
    "presigned_copy_snapshot_url": "presigned",
}

__all__ = [
    "ApiError",
    "Client",
    "CopySnapshotPresigner",
    "ResponseParseError",
    "SnapshotStateError",
    "TransportError",
    "WaitTimeoutError",
    "presign_copy_snapshot",
    "presigned_copy_snapshot_url",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
