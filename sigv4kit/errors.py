"""The root of every exception sigv4kit raises on purpose, and the core's one for bad input.

As httpcore's ``_exceptions.py``: one small tree under one base, so ``except sigv4kit.Error``
catches everything the package raises deliberately and nothing it does not.
"""

from __future__ import annotations

__all__ = ["Error", "RedirectRefused", "SigningError"]


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


class RedirectRefused(Error):
    """A signed request was answered with (or was about to follow) a redirect to another
    origin: scheme, host or port, default ports normalised (``sigv4kit.url.origin``). Never
    followed, whatever the library's redirect setting, so the signature, the session token
    and the body never reach a host they were not meant for. The one rule of the transport,
    the adapters and the proxy; raised by ``sigv4kit.url.check_redirect`` and
    ``check_same_origin``.

    ``location`` is the Location (or the URL about to be used), credential parameters
    redacted and cut; ``status`` the redirect's status and ``response`` the library's response
    object, when the caller saw them (None otherwise).
    """

    def __init__(self, message: str, *, status: int | None, location: str,
                 response: object = None) -> None:
        super().__init__(message)
        self.status = status
        self.location = location
        self.response = response
