"""The settings of a signing, and the rules its inputs follow, each defined once.

Every setting has the default every service but S3 needs, and says which service needs the
other value (as smithy-rs ``aws-sigv4``'s ``settings.rs`` does); ``service_defaults`` is the
one place that gives S3's signing names S3's values instead, for every entry point, unless
the caller passes the option. The signer and the verifier
both check a credential scope, a payload hash and an expiry with the functions here, so what
one produces the other accepts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from hashlib import sha256
from typing import Literal, NamedTuple, TypedDict

from ._caches import cached
from .errors import SigningError
from .patterns import lazy

UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
"""The payload hash of a request whose body is not signed (S3, and presigned URLs)."""
EMPTY_SHA256 = sha256(b"").hexdigest()
STREAMING_PREFIX = "STREAMING-"
"""Payload hashes of aws-chunked bodies start with it (``STREAMING-AWS4-HMAC-SHA256-PAYLOAD``)."""

MAX_EXPIRES = 604800
"""Seven days: the longest validity SigV4 allows a presigned URL."""

S3_SERVICES = frozenset({"s3", "s3-object-lambda", "s3-outposts", "s3express"})
"""Services whose canonical URI is the path encoded once and never normalised (S3's rules)."""

Algorithm = Literal["sigv4", "sigv4a"]
RegionSet = str | Sequence[str]

_PAYLOAD_HASH = lazy(r"[0-9a-f]{64}|UNSIGNED-PAYLOAD|STREAMING-[A-Z0-9-]{1,64}")
_SCOPE_NAME = re.compile(r"[A-Za-z0-9._-]{1,63}")
_REGION_SET_ITEM = lazy(r"[A-Za-z0-9._*-]{1,63}")
_SCOPE_RULE = "1-63 letters, digits, '-', '_' or '.'"
"""The one credential-scope rule. A Region or a service name is one element of the scope
``date/region/service/aws4_request``, so it cannot hold '/'; AWS's names are DNS labels (at
most 63 characters of letters, digits and '-'), and S3-compatible servers use '_' and '.'
too. A SigV4a region set may also hold the wildcard '*' (``*``, ``us-*``)."""


def is_payload_hash(value: str) -> bool:
    """Whether ``value`` may be signed as the payload hash (X-Amz-Content-SHA256)."""
    return _PAYLOAD_HASH.fullmatch(value) is not None


def is_sha256_hex(value: str) -> bool:
    """Whether ``value`` is a lower-case hex SHA-256 digest (a payload hash a server checks)."""
    return len(value) == 64 and not value.strip("0123456789abcdef")


def body_sha256(body: bytes) -> str:
    """The payload hash of a body that is signed: the hex SHA-256 of its bytes."""
    return sha256(body).hexdigest() if body else EMPTY_SHA256


@cached(256, keys="(kind, region or service)", reason="a client signs for few scopes")
def scope_name_problem(kind: str, value: str) -> str | None:
    """Why ``value`` cannot be the ``kind`` ("region", "service" or "region set") of a
    credential scope, or None. Bounded and cached: a client signs for few scopes, and every
    request checks them."""
    pattern = _REGION_SET_ITEM if kind == "region set" else _SCOPE_NAME
    if pattern.fullmatch(value):
        return None
    rule = _SCOPE_RULE + (", or '*'" if kind == "region set" else "")
    shown = repr(value) if len(value) <= 70 else f"{value[:20]!r}… ({len(value)} characters)"
    if "*" in value and kind == "region":
        return f"{shown} is not a Region: '*' belongs only in a SigV4a region set"
    return f"{shown} must be {rule} (it is part of the credential scope)"


def check_scope_name(field: str, kind: str, value: object) -> str:
    """``value`` if it follows the credential-scope rule for ``kind``, else SigningError."""
    if type(value) is not str or not value:
        raise SigningError(f"{field}: must be a non-empty string", field=field)
    problem = scope_name_problem(kind, value)
    if problem is not None:
        raise SigningError(f"{field}: {problem}", field=field)
    return value


def region_set_value(region: RegionSet) -> str:
    """The X-Amz-Region-Set value of a SigV4a region set: one region, ``*``, or a list."""
    try:
        regions = [region] if isinstance(region, str) else list(region)
    except TypeError:  # not iterable: 5, None
        raise SigningError(
            "region: a SigV4a region set must be a Region, '*', or a list of them, got "
            f"{type(region).__name__}", field="region") from None
    if not regions:
        raise SigningError("region: the SigV4a region set is empty", field="region")
    return ",".join(check_scope_name("region", "region set", r) for r in regions)


def check_expires(expires: object) -> int:
    """``expires`` if it is a whole number of seconds in 1..604800, else SigningError."""
    if isinstance(expires, bool) or not isinstance(expires, int):
        raise SigningError(
            f"expires: must be a whole number of seconds, got {expires!r}", field="expires"
        )
    if not 1 <= expires <= MAX_EXPIRES:
        raise SigningError(
            f"expires: must be between 1 and {MAX_EXPIRES} seconds (7 days), got {expires}",
            field="expires",
        )
    return expires


def is_s3(service: object) -> bool:
    """Whether ``service`` is one of S3's signing names, which get S3's rules by default."""
    return service in S3_SERVICES


def path_rules(
    service: str, normalize_path: bool | None = None, double_encode_path: bool | None = None
) -> tuple[bool, bool]:
    """``(normalize_path, double_encode_path)`` for ``service`` (see ``service_defaults``);
    an explicit value wins."""
    defaults = service_defaults(service, presign=False)
    return (
        defaults.get("normalize_path", True) if normalize_path is None else normalize_path,
        defaults.get("double_encode_path", True)
        if double_encode_path is None
        else double_encode_path,
    )


class SigningOptions(TypedDict, total=False):
    """The keyword options of ``sign_request``, ``presign`` and ``Signer``. The defaults follow
    the service: S3's signing names (``S3_SERVICES``) get ``S3_OPTIONS`` (header signing) or
    ``S3_PRESIGN_OPTIONS`` (presigning), every other service the values below; an option
    passed explicitly always wins (``payload_hash=None`` too: hash the body)."""

    normalize_path: bool
    """Remove ``.``/``..`` segments and duplicate slashes. S3: False."""
    double_encode_path: bool
    """URI-encode the path as sent (``%2F`` becomes ``%252F``). S3: False."""
    payload_hash: str | None
    """None: SHA-256 of the body; or UNSIGNED-PAYLOAD (S3, presigning), a STREAMING-… value
    (aws-chunked), or a precomputed lower-case hex digest."""
    content_sha256_header: bool
    """Send and sign X-Amz-Content-SHA256. S3: True."""
    sign_session_token: bool
    """False: add the session token after signing, unsigned (IoT)."""


S3_OPTIONS: SigningOptions = {
    "normalize_path": False,
    "double_encode_path": False,
    "content_sha256_header": True,
}
"""Header signing as S3 wants it: the path encoded once and never normalised, and the payload
hash sent and signed as X-Amz-Content-SHA256."""

S3_PRESIGN_OPTIONS: SigningOptions = {
    "normalize_path": False,
    "double_encode_path": False,
    "payload_hash": UNSIGNED_PAYLOAD,
}
"""Presigning as S3 wants it: the URL's holder chooses the body, so it is not signed."""


_NO_DEFAULTS: SigningOptions = {}


def service_defaults(service: object, *, presign: bool) -> SigningOptions:
    """The options ``service`` gets unless the caller passes them: S3's signing names get
    ``S3_PRESIGN_OPTIONS`` (presigning) or ``S3_OPTIONS`` (header signing), every other
    service none (``Options``' defaults). The one place that decides it: the core, the
    adapters, streaming, the verifier and the CLI all ask here."""
    if service in S3_SERVICES:
        return S3_PRESIGN_OPTIONS if presign else S3_OPTIONS
    return _NO_DEFAULTS


def resolve(service: object, options: SigningOptions, *, presign: bool) -> Options:
    """``Options.of`` the caller's ``options`` over the service's defaults (an explicit
    option always wins)."""
    if service in S3_SERVICES:
        if not options:
            return S3_PRESIGN_RESOLVED if presign else S3_RESOLVED
        resolved = Options.of({**service_defaults(service, presign=presign), **options})
        if presign or "content_sha256_header" in options:
            return resolved
        return resolved._replace(stated_sha256=True)
    return Options.of(options)


class Options(NamedTuple):
    """``SigningOptions`` checked, with every default filled in."""

    normalize_path: bool = True
    double_encode_path: bool = True
    payload_hash: str | None = None
    content_sha256_header: bool = False
    sign_session_token: bool = True
    stated_sha256: bool = False
    """With ``content_sha256_header`` by S3's default (not asked for): a valid
    X-Amz-Content-SHA256 the request already states is the payload hash signed (a caller who
    writes UNSIGNED-PAYLOAD or STREAMING-… there means it) instead of the body's SHA-256."""

    @classmethod
    def of(cls, options: SigningOptions) -> Options:
        if not options:
            return DEFAULT_OPTIONS
        try:
            return _options_of(tuple(options.items()))
        except TypeError:  # an unhashable value: let the checks say what is wrong with it
            return cls._checked(options)

    @classmethod
    def _checked(cls, options: SigningOptions) -> Options:
        unknown = set(options) - set(SigningOptions.__annotations__)
        if unknown:
            raise SigningError(
                f"options: unknown option(s) {', '.join(sorted(unknown))}", field="options"
            )
        opts = cls(**options)
        ph = opts.payload_hash
        if ph is not None and (not isinstance(ph, str) or not is_payload_hash(ph)):
            raise SigningError(
                "payload_hash: must be None, UNSIGNED-PAYLOAD, a STREAMING-… value or a "
                "lower-case hex SHA-256 digest",
                field="payload_hash",
            )
        return opts


DEFAULT_OPTIONS = Options()


@cached(64, keys="option items", reason="callers pass the same options every call")
def _options_of(items: tuple[tuple[str, object], ...]) -> Options:
    """Options checked once per distinct set: most callers pass none, or S3's, every time."""
    return Options._checked(dict(items))  # type: ignore[arg-type]


S3_RESOLVED = Options.of(S3_OPTIONS)._replace(stated_sha256=True)
S3_PRESIGN_RESOLVED = Options.of(S3_PRESIGN_OPTIONS)
