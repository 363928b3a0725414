"""Keeping credentials out of reprs, logs, errors and debug output.

A secret access key must never be shown. A session token or signature is shown only as its
first four characters and length, enough to tell two apart while debugging, not enough to use.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from .model import Credentials

_SENSITIVE_QUERY = re.compile(
    r"(?i)((?:^|[?&])(?:X-Amz-Signature|X-Amz-Security-Token|X-Amz-Credential-Secret)=)([^&#]*)"
)


_MIN_REDACTABLE = 6
"""Shorter values (test keys like "x") would redact ordinary text; real secrets are 40+."""


def redacted(value: str) -> str:
    """``'AQoD…(356 chars)'``: the first 4 characters and the length of a sensitive value."""
    return f"{value[:4]}…({len(value)} chars)"


def redact_url(url: str) -> str:
    """The URL with the values of X-Amz-Signature and X-Amz-Security-Token redacted."""
    return _SENSITIVE_QUERY.sub(lambda m: m.group(1) + redacted(m.group(2)), url)


def redact_text(text: str, secrets: list[str | None]) -> str:
    """``text`` with every occurrence of each secret (raw or percent-encoded) redacted.

    Used on canonical requests before they are logged: a session token appears in them verbatim
    (header signing) or percent-encoded (presigning).
    """
    for secret in secrets:
        if secret and len(secret) >= _MIN_REDACTABLE:
            text = _replace_forms(text, secret, redacted(secret))
    return text


def redact_credentials(text: str, credentials: Credentials) -> str:
    """``text`` with the secret key masked entirely and the session token shown only as its
    first 4 characters and length, raw or percent-encoded."""
    text = _replace_forms(text, credentials.secret_access_key, "***")
    token = credentials.session_token
    return _replace_forms(text, token, redacted(token)) if token else text


def _replace_forms(text: str, secret: str, replacement: str) -> str:
    try:
        encoded = quote(secret, safe="-_.~")
    except UnicodeEncodeError:  # a lone surrogate cannot be sent, so only the raw form
        encoded = secret
    for form in {secret, encoded}:
        if form in text:
            text = text.replace(form, replacement)
    return text
