"""Keeping credentials out of reprs, logs, errors and debug output.

A secret access key must never be shown. A session token, a signature or another header value
that is a credential in itself is shown only as its first four characters and length, enough to
tell two apart while debugging, not enough to use. Redaction goes by the *decoded* name of a
header or query parameter (``X-Amz-Security%2DToken`` is the token too), at display time, as
smithy-rs's ``RedactedCanonicalRequest`` does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Protocol

from .canonical import uri_encode
from .errors import SigningError
from .patterns import lazy

__all__ = [
    "SENSITIVE_HEADERS", "SENSITIVE_QUERY_PARAMS", "HasArtefacts", "HasSecrets", "debug_text",
    "redact_canonical_headers", "redact_credentials", "redact_for_display", "redact_header_value",
    "redact_message", "redact_text", "redact_url", "redacted", "replacer", "safe_head",
]

SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-amz-security-token",
        "x-amz-server-side-encryption-customer-key",
        "x-amz-server-side-encryption-customer-key-md5",
        "x-amz-copy-source-server-side-encryption-customer-key",
        "x-amz-copy-source-server-side-encryption-customer-key-md5",
    }
)
"""Header values that are credentials in themselves (lower-case names): every debug artefact
(reprs, logs, ``--debug``, explain, diff) shows them redacted. The SSE-C key headers carry the
customer's encryption key (and its digest)."""

SENSITIVE_QUERY_PARAMS = frozenset(
    {"x-amz-signature", "x-amz-security-token", "x-amz-credential-secret", "signature"}
)
"""Query parameter names (lower-case, decoded) whose values are credentials."""

_QUERY_PIECE = lazy(
    r"(?:^|(?<=[?&;\s]))([^=&#;?\s]*)=([^&#;\s…]{0,4}…\(\d+ chars\)|[^&#;\s]*)"
)
"""``name=value`` in a query or in text holding one; a value already redacted is one piece."""

_REDACTED = lazy(r".{0,4}…\(\d+ chars\)")
"""What ``redacted`` returns: a value already shown this way is not redacted again."""

_SENSITIVE_LINE = lazy(
    r"(?im)^([^\S\n]*(?:"
    + "|".join(re.escape(n) for n in sorted(SENSITIVE_HEADERS, key=len, reverse=True))
    + r")[^\S\n]*):([^\n]+)"
)
"""A ``name:value`` line whose name (surrounding blanks aside, any case) is a sensitive header:
one pass in C over any number of lines."""

_MIN_REDACTABLE = 6
"""Shorter values (test keys like "x") are redacted only where they stand alone: anywhere
they would redact ordinary text. Real secrets are 40+ characters."""


class HasSecrets(Protocol):
    """What ``redact_credentials`` needs of a ``sigv4kit.Credentials``."""

    @property
    def secret_access_key(self) -> str: ...

    @property
    def session_token(self) -> str | None: ...


def redacted(value: str) -> str:
    """``'AQoD…(356 chars)'``: the first 4 characters and the length of a sensitive value."""
    return f"{value[:4]}…({len(value)} chars)"


def redact_header_value(name: str, value: str) -> str:
    """``value`` redacted when header ``name`` is sensitive, else unchanged."""
    return redacted(value) if name.lower() in SENSITIVE_HEADERS else value


def _sensitive_param(name: str) -> bool:
    lname = name.lower()
    if lname in SENSITIVE_QUERY_PARAMS:
        return True
    if "%" in name or "+" in name:
        from urllib.parse import unquote  # only an encoded name needs it

        try:
            decoded = unquote(name.replace("+", " "), errors="strict")
        except UnicodeDecodeError:
            return True  # not a name anyone can read: hide its value rather than guess
        return decoded.lower() in SENSITIVE_QUERY_PARAMS
    return False


def redact_url(url: str) -> str:
    """The URL (or any text holding a query) with the values of the signature, the session
    token and the other credential parameters redacted, whatever the encoding of their names."""
    if "=" not in url:
        return url

    def piece(m: re.Match[str]) -> str:
        name, value = m.group(1), m.group(2)
        if not value or _REDACTED.fullmatch(value) or not _sensitive_param(name):
            return m.group(0)
        return f"{name}={redacted(value)}"

    return _QUERY_PIECE.sub(piece, url)


def redact_text(text: str, secrets: Sequence[str | None]) -> str:
    """``text`` with every occurrence of each secret (raw or percent-encoded) redacted.

    Used on canonical requests before they are logged: a session token appears in them verbatim
    (header signing) or percent-encoded (presigning).
    """
    for secret in secrets:
        if secret:
            text = _replace_forms(text, secret, redacted(secret))
    return text


def mask_text(text: str, secrets: Sequence[str | None]) -> str:
    """``text`` with every occurrence of each secret (raw or percent-encoded) replaced by
    ``***``: for secret access keys, of which nothing may show."""
    for secret in secrets:
        if secret:
            text = _replace_forms(text, secret, "***")
    return text


def redact_credentials(text: str, credentials: HasSecrets) -> str:
    """``text`` with the secret key masked entirely and the session token shown only as its
    first 4 characters and length, raw or percent-encoded."""
    text = _replace_forms(text, credentials.secret_access_key, "***")
    token = credentials.session_token
    return _replace_forms(text, token, redacted(token)) if token else text


def redact_canonical_headers(text: str) -> str:
    """A canonical request (or any ``name:value`` lines) with the values of sensitive headers
    redacted, line by line, by header name."""

    def line(m: re.Match[str]) -> str:
        value = m.group(2)
        return m.group(0) if _REDACTED.fullmatch(value) else f"{m.group(1)}:{redacted(value)}"

    return _SENSITIVE_LINE.sub(line, text) if ":" in text else text


def redact_for_display(text: str, secrets: Sequence[str | None] = ()) -> str:
    """Everything a debug artefact needs: each of ``secrets`` wherever it appears (so a token
    shows its decoded length), then sensitive header lines and query values by name."""
    return redact_url(redact_canonical_headers(redact_text(text, secrets)))


_BREAK = r"(?:\r?\n[ \t]*)?"
"""Where a wrapped line may have cut a secret in two."""

_TOKEN_CHAR = r"[A-Za-z0-9+/=_\-]"
"""A character of a key or token (base64, hex, the ``-``/``_`` of URL-safe base64)."""


def _char_forms(char: str) -> str:
    """Every way ``char`` of a secret is written where it is quoted: itself, percent-encoded
    (any case, encoded again and again), JSON-escaped (``\\/``, ``\\u002f``), as an XML or
    HTML character reference (``&#47;``, ``&#x2F;``), and ``+`` as the space a form decoder
    makes of it. Letters and digits too: a server may encode every character."""
    data = char.encode("utf-8", "surrogatepass")
    forms = [re.escape(char), "".join(f"%(?:25)*{b:02x}" for b in data)]
    if len(data) == 1:
        code = ord(char)
        forms += [rf"\\u0*{code:x}", rf"&#0*{code};", rf"&#x0*{code:x};"]
        if not char.isalnum():
            forms.append(r"\\" + re.escape(char))
        if char == "+":
            forms.append(" ")
    return "(?:" + "|".join(forms) + ")"


def _base64_forms(secret: str) -> list[str]:
    """The secret as it shows inside base64 of a text holding it, at each of the three
    alignments (what GitHub Actions masks too): whole 3-byte groups only, so no character
    depends on the neighbours."""
    import base64

    data = secret.encode("utf-8", "surrogatepass")
    forms = []
    for shift in range(3):
        chunk = data[shift:]
        chunk = chunk[: len(chunk) - len(chunk) % 3]
        if len(chunk) >= 2 * _MIN_REDACTABLE:
            forms.append(base64.b64encode(chunk).decode("ascii"))
    return forms


_ENCODED = re.compile(r"[%&\n]")
"""What ``_decoded`` undoes: a text without any is only lower-cased (the common case)."""


def _decoded(text: str) -> str:
    """``text`` lower-cased with percent-encoding (up to three times), character references
    and line breaks undone: where the pattern of ``replacer`` can match, the secret's longest
    alphanumeric run shows here. Linear time, so the pattern runs only when worth it."""
    import html
    from urllib.parse import unquote

    for _ in range(3):
        if "%" not in text:
            break
        text = unquote(text, errors="replace")
    if "&" in text:
        text = html.unescape(text)
    if "\n" in text:  # the one blank that can cut an alphanumeric run (``_BREAK``)
        text = re.sub(r"\r?\n[ \t]*", "", text)
    return text.lower()


_WINDOW = 1 << 16
"""Characters decoded at a time by ``_holds_run``: decoding a few MB of ``%41`` at once
costs hundreds of MB (``unquote`` makes an object per escape)."""


def _holds_run(text: str, run: str) -> bool:
    """Whether ``run`` (lower-case letters and digits) shows in ``text`` once decoded
    (``_decoded``), window by window, overlapping by as much as the run can take encoded."""
    if not _ENCODED.search(text):
        return run in text.lower()
    overlap = 16 * len(run)
    for start in range(0, len(text), _WINDOW):
        if run in _decoded(text[start:start + _WINDOW + overlap]):
            return True
    return False


def replacer(secret: str, replacement: str) -> Callable[[str], str]:
    """A function replacing ``secret`` wherever a text quotes it: raw, in any of the forms of
    ``_char_forms`` (each character may differ), cut by a line break, or base64-encoded.
    Work that depends only on the secret is done once, here.

    The rule for short values: one shorter than ``_MIN_REDACTABLE`` (a test key like ``x``)
    is replaced only where it stands alone, never inside a word, so a diff of ``x-amz-date``
    stays readable and the key still never shows by itself. Linear time: the exact forms are
    plain substring replacements, the pattern runs only when the secret's longest
    alphanumeric run is found in the decoded text (``_decoded``), and it holds no part of
    the secret verbatim (so ``re``'s pattern cache keeps no usable copy)."""
    if not secret:
        return lambda text: text
    if len(secret) < _MIN_REDACTABLE:
        alone = re.compile(rf"(?<!{_TOKEN_CHAR}){_BREAK.join(map(re.escape, secret))}"
                           rf"(?!{_TOKEN_CHAR})")
        return lambda text: alone.sub(lambda _m: replacement, text) if secret in text else text
    try:
        encoded = uri_encode(secret)
    except SigningError:  # a lone surrogate cannot be sent, so only the raw form
        encoded = secret
    exact = sorted({secret, encoded, *_base64_forms(secret)}, key=len, reverse=True)
    run = max(re.split(r"[^A-Za-z0-9]+", secret), key=len).lower()
    pattern = re.compile(_BREAK.join(_char_forms(c) for c in secret), re.IGNORECASE)

    shortest = min(len(secret), *map(len, exact))

    def replace(text: str) -> str:
        if len(text) < shortest:  # every form is at least this long: most strings printed
            return text
        for form in exact:
            if form in text:
                text = text.replace(form, replacement)
        if run and _holds_run(text, run):
            text = pattern.sub(lambda _m: replacement, text)
        return text

    return replace


def _replace_forms(text: str, secret: str, replacement: str) -> str:
    return replacer(secret, replacement)(text)


class HasArtefacts(Protocol):
    """What ``debug_text`` reads of a signing or verification result."""

    @property
    def canonical_request(self) -> str | None: ...

    @property
    def string_to_sign(self) -> str | None: ...


def debug_text(
    result: HasArtefacts,
    credentials: HasSecrets | None = None,
    *,
    title: str = "canonical request",
) -> str:
    """The one debug printout of a signature: canonical request, string to sign and signature,
    for ``--debug``, ``ApiError.debug`` and ``verify --debug`` alike.

    Sensitive headers (Authorization, the token, the SSE-C keys …) are redacted by name, query
    credentials (the token, the signature) by decoded name, then the credentials' secret key
    (masked), token and the signature wherever they still appear, raw or percent-encoded.
    ``result`` is duck-typed: anything with ``canonical_request`` and ``string_to_sign``, and
    optionally ``signature``.
    """
    signature = getattr(result, "signature", None)
    signature = signature if isinstance(signature, str) and signature else None
    secrets: list[str | None] = [signature]

    token = getattr(credentials, "session_token", None)
    if token:  # a PresignedUrl in a canonical query carries the token encoded twice
        secrets.append(uri_encode(token))

    def clean(text: str) -> str:
        if credentials is not None:  # first, so the token shows as its own prefix and length
            text = redact_credentials(text, credentials)
        return redact_message(redact_for_display(text, secrets))

    lines = [
        f"---- {title} ----",
        clean(result.canonical_request or ""),
        "---- string to sign ----",
        clean(result.string_to_sign or ""),
    ]
    if signature is not None:
        lines.append(f"---- signature: {redacted(signature)} ----")
    return "\n".join(lines)


_PARAM_IN_TEXT = lazy(
    r"(?<![^\s=&;?'\"<>()\[\]{},])([^\s=&;?'\"<>()\[\]{},]+)=([^\s&;'\"<>()\[\]{},]*)"
)
"""``name=value`` in free text. The look-behind starts a name only where a run of name
characters starts, so a long run with no ``=`` is scanned once, not once per character
(linear time: a hostile server's 200 KB message costs milliseconds, not minutes)."""
_SENSITIVE_ENDINGS = tuple(sorted(SENSITIVE_QUERY_PARAMS))
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


def _names_credential(name: str) -> bool:
    """Whether ``name``, percent-decoded up to three times, *ends* with a sensitive parameter
    name (so ``host:443%3FX-Amz-Security-Token`` counts), or is one."""
    decoded = name
    for _ in range(3):
        if "%" not in decoded and "+" not in decoded:
            break
        from urllib.parse import unquote  # only an encoded name needs it

        decoded = unquote(decoded.replace("+", " "), errors="replace")
    lowered = decoded.lower()
    if lowered.endswith(_SENSITIVE_ENDINGS):
        for ending in _SENSITIVE_ENDINGS:
            start = len(lowered) - len(ending)
            if lowered.endswith(ending) and (start == 0 or lowered[start - 1] not in _NAME_CHARS):
                return True
    return _sensitive_param(name)


_ENCODED_PARAM = lazy(
    r"(?i)(x-amz-security(?:-|%(?:25)*2d)token|x-amz-signature|x-amz-credential-secret)"
    r"(%(?:25)*3d)([^&\s%…]*(?:%(?!(?:25)*26)[0-9a-f]{2}[^&\s%…]*)*)"
)
"""A credential parameter inside a percent-encoded URL (a PresignedUrl carried as a query or
form value): ``X-Amz-Security-Token%3D<value>`` up to the encoded ``&`` (``%26``, ``%2526``)."""


def redact_message(text: str, secrets: Sequence[str | None] = ()) -> str:
    """An error message (which may quote raw input that failed to parse) with every credential
    it could hold redacted: ``name=value`` pairs whose name, percent-decoded once or twice,
    *ends* with a sensitive parameter name (so ``host:443%3FX-Amz-Security-Token=…`` counts),
    sensitive ``Header: value`` lines, and each of ``secrets``. Never shows less safely than
    ``redact_for_display``."""

    def piece(m: re.Match[str]) -> str:
        name, value = m.group(1), m.group(2)
        if not value or "…" in value or not _names_credential(name):
            return m.group(0)
        return f"{name}={redacted(value)}"

    text = _ENCODED_PARAM.sub(
        lambda m: m.group(1) + m.group(2) + redacted(m.group(3)) if m.group(3) else m.group(0),
        _PARAM_IN_TEXT.sub(piece, redact_canonical_headers(text)),
    )
    text = _HEADER_IN_TEXT.sub(lambda m: m.group(1) + redacted(m.group(2)), text)
    text = _CREDENTIAL_FIELD.sub(_credential_field, text)
    return redact_text(text, secrets)


_CREDENTIAL_FIELD = lazy(
    r"(?i)(?<![a-z0-9_])(aws_secret_access_key|secret_?(?:access_?)?key|aws_session_token|"
    r"aws_security_token|session_?token)(['\"]?\s*[:=]\s*['\"]?)([^'\"\s,}…*]{6,})"
)
"""A credential as the shared credentials file (``aws_secret_access_key = …``), a credential
process or STS (``"SecretAccessKey": "…"``, ``"SessionToken": "…"``) or botocore's credentials
(``secret_key``) write it: quoted input such as ``--filters file://~/.aws/credentials`` or a
credential provider's error shows neither."""


def _credential_field(m: re.Match[str]) -> str:
    name, value = m.group(1), m.group(3)
    shown = "***" if "secret" in name.lower() else redacted(value)
    return f"{name}{m.group(2)}{shown}"


_HEADER_IN_TEXT = lazy(
    r"(?i)((?:"
    + "|".join(re.escape(n) for n in sorted(SENSITIVE_HEADERS, key=len, reverse=True))
    + rf")['\"]?\s*[:=,]\s*['\"]?)([^'\"\s,)…]{{{_MIN_REDACTABLE},}})"
)
"""A sensitive header quoted in free text (``Authorization: …``, ``'cookie': '…'``)."""


MAX_QUOTED = 80
"""Most characters of received input an error message quotes (``excerpt``)."""

MAX_MESSAGE = 2000
"""Most characters of one error line the command line prints (``bounded``): a server's
200 KB message is cut, with its length said."""

_CUT_AFTER = frozenset(" \t\r\n&;,?#'\"<>()[]{}|")
"""Where an excerpt may end: characters that occur in no token, signature or key (base64 and
hex have none), so a cut never leaves part of a credential behind."""


MAX_CLEANED = 1 << 16
"""Most characters of one message redaction reads (``safe_head``): a server's 7 MB message
would cost seconds of CPU to redact for the 2,000 characters shown."""


def safe_head(text: str, limit: int = MAX_CLEANED) -> tuple[str, int]:
    """The start of ``text`` worth redacting and showing, and how many characters were left
    out: at most ``limit``, cut after its last separator (``_CUT_AFTER``), so no credential
    is left cut in two where redaction could no longer recognise it."""
    if len(text) <= limit:
        return text, 0
    cut = max(text.rfind(c, 0, limit) for c in _CUT_AFTER) + 1
    return text[:cut], len(text) - cut


def excerpt(text: str, limit: int = MAX_QUOTED) -> str:
    """``repr`` of ``text`` (credential values redacted by name) for an error message, at most
    ``limit`` characters of it: longer input is cut after its last separator within the
    limit (never inside a token or key), and its length said."""
    if len(text) <= limit:
        return repr(redact_message(text))
    head = text[: limit + 1]
    cut = max(head.rfind(c) for c in _CUT_AFTER)
    shown = redact_message(head[:cut + 1]) if cut > 0 else redacted(text)[:5]
    return f"{shown!r}… ({len(text)} characters)"


def bounded(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` cut to ``limit`` characters, saying how many more there were. Redact first:
    the cut may fall inside anything."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"
