"""The one exception type the signing core raises for bad input."""

from __future__ import annotations


class SigningError(ValueError):
    """Input the signer cannot sign correctly.

    The message always starts with the name of the offending field and states the rule it
    broke (``"expires: must be between 1 and 604800 seconds, got 0"``), so a CLI can show it
    verbatim. It never contains a secret key, session token or signature.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field if field is not None else message.partition(":")[0]
