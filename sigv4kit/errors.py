"""The root of every exception sigv4kit raises on purpose, and the core's one for bad input.

As httpcore's ``_exceptions.py``: one small tree under one base, so ``except sigv4kit.Error``
catches everything the package raises deliberately and nothing it does not.
"""

from __future__ import annotations

__all__ = ["Error", "SigningError"]


class Error(Exception):
    """Base class of every exception sigv4kit raises on purpose."""


class SigningError(Error, ValueError):
    """Input the signer cannot sign correctly.

    The message always starts with the name of the offending field and states the rule it
    broke (``"expires: must be between 1 and 604800 seconds, got 0"``), so a CLI can show it
    verbatim. It never contains a secret key, session token or signature.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field if field is not None else message.partition(":")[0]
