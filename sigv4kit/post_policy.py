"""S3 POST policies (browser-based uploads): built as boto3 builds them, verified as S3 does.

https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html

A server hands a browser a form: a JSON policy (its expiration and the conditions every form
field must meet), the policy's base64, and the SigV4 signature of that base64 text. The browser
POSTs the fields and the file straight to S3, which checks the signature, the expiration and
every condition. ``presigned_post`` builds the form byte for byte as boto3's
``generate_presigned_post`` does; ``verify_post`` is S3's side, stricter where S3's leniency has
let uploads through on other servers (duplicated fields are refused, not comma-joined).

How field names compare: S3's documentation treats form field names case-insensitively
(``Content-Type`` is matched by ``$content-type``), and so do we, with one exception, the
session token: aws-sdk-php#3292 reports S3 refusing a form whose ``X-Amz-Security-Token`` field
was covered by a lowercase ``x-amz-security-token`` condition ("Extra input fields"). Observed
behaviour beats the documentation, and being exact there costs nothing (boto3 and
``presigned_post`` spell the field and its condition alike), so that one name must match its
condition exactly (``TOKEN_FIELDS``). Pure: no I/O; the clock is read only when no time is given.
"""

from __future__ import annotations

import base64
import hmac
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal
from urllib.parse import quote

from ._post_document import (
    EXACT_ONLY,
    EXEMPT_FIELDS,
    TOKEN_FIELDS,
    Condition,
    PolicyError,
    condition_text,
    covered_fields,
    decode_policy,
    fold,
    parse_conditions,
)
from .canonical import uri_encode
from .errors import Error, SigningError
from .keys import ALGORITHM, cached_signing_key
from .model import Credentials
from .options import check_expires
from .redact import redacted
from .timestamps import amz_date, now_or, parse_amz_date

__all__ = [
    "EXEMPT_FIELDS",
    "MAX_FIELDS",
    "MAX_FIELD_BYTES",
    "TOKEN_FIELDS",
    "Condition",
    "PolicyError",
    "PostReason",
    "PostVerdict",
    "PresignedPost",
    "condition_text",
    "covered_fields",
    "decode_policy",
    "directory_bucket_zone",
    "parse_conditions",
    "post_url",
    "presigned_post",
    "verify_post",
]

POLICY_EXPIRATION_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
"""boto3's ``botocore.auth.ISO8601``: whole seconds, no fraction."""

FILENAME = "${filename}"
MAX_FIELDS = 100
MAX_FIELD_BYTES = 20 * 1024
"""S3: "the form data and boundaries (excluding the contents of the file) cannot exceed 20
KB"; one field's value can be no larger, and the whole form's fields are held to it too."""
_DIRECTORY_BUCKET = re.compile(r"[a-z0-9][a-z0-9-]*--([a-z0-9-]+)--x-s3")
_VIRTUAL_HOSTABLE = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")
# boto3 (observed, not documented): a bucket that is one DNS label but not virtual-hostable
# (capitals, too short) goes path-style to the global endpoint, other names to the regional one.
_LEGACY_GLOBAL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_IPV4 = re.compile(r"\d{1,3}(\.\d{1,3}){3}")
_PARTITION_SUFFIXES = (
    ("cn-", "amazonaws.com.cn"),
    ("us-isob-", "sc2s.sgov.gov"),
    ("us-isof-", "csp.hci.ic.gov"),
    ("us-iso-", "c2s.ic.gov"),
    ("eu-isoe-", "cloud.adc-e.uk"),
    ("eusc-", "amazonaws.eu"),
)

Lookup = Callable[[str], Credentials | None]
AddressingStyle = Literal["auto", "path", "virtual"]


@dataclass(frozen=True, repr=False)
class PresignedPost:
    """What ``generate_presigned_post`` returns: the URL to POST to and the form fields (in
    boto3's order; the file goes last). ``policy`` is the decoded JSON document."""

    url: str
    fields: dict[str, str]
    policy: str

    def __repr__(self) -> str:
        shown = {
            k: (redacted(v) if fold(k) in TOKEN_FIELDS | {"x-amz-signature"} else v)
            for k, v in self.fields.items()
        }
        return f"PresignedPost(url={self.url!r}, fields={shown!r})"


# --- building (boto3's generate_presigned_post) -------------------------------------------


def directory_bucket_zone(bucket: str) -> str | None:
    """The zone id of an S3 Express directory bucket (``name--usw2-az1--x-s3``), else None."""
    match = _DIRECTORY_BUCKET.fullmatch(bucket)
    return match.group(1) if match else None


def _dns_suffix(region: str) -> str:
    for prefix, suffix in _PARTITION_SUFFIXES:
        if region.startswith(prefix):
            return suffix
    return "amazonaws.com"


def _is_aws_partition(region: str) -> bool:
    return _dns_suffix(region) == "amazonaws.com" and not region.startswith("us-gov-")


def post_url(
    bucket: str,
    region: str,
    endpoint_url: str | None = None,
    addressing_style: AddressingStyle = "auto",
) -> str:
    """The URL boto3 gives a POST form (the endpoint rules of CreateBucket, with its global
    endpoint for the ``aws`` partition): virtual-hosted when the bucket name allows it, else
    path-style; a custom endpoint is path-style unless ``addressing_style="virtual"``."""
    if addressing_style not in ("auto", "path", "virtual"):
        raise SigningError(
            "addressing_style: must be 'auto', 'path' or 'virtual'", field="addressing_style"
        )
    path_bucket = uri_encode(bucket)
    if endpoint_url is not None:
        scheme, sep, rest = endpoint_url.partition("://")
        if not sep or scheme not in ("http", "https") or not rest:
            raise SigningError(
                "endpoint_url: must be an http:// or https:// URL", field="endpoint_url"
            )
        host, _, base = rest.partition("/")
        if addressing_style == "virtual":
            return f"{scheme}://{bucket}.{host}/{base}"
        base = base.rstrip("/")
        return f"{scheme}://{host}/{base + '/' if base else ''}{path_bucket}"
    suffix = _dns_suffix(region)
    zone = directory_bucket_zone(bucket)
    if zone is not None:
        return f"https://{bucket}.s3express-{zone}.{region}.{suffix}/"
    virtual = _VIRTUAL_HOSTABLE.fullmatch(bucket) is not None and not _IPV4.fullmatch(bucket)
    regional = f"s3.{region}.{suffix}"
    if _is_aws_partition(region):
        global_host = "s3.amazonaws.com"
        if region == "us-east-1":
            regional = global_host
        if virtual and addressing_style == "virtual":
            return f"https://{bucket}.{regional}/"
        if virtual and addressing_style == "auto":
            return f"https://{bucket}.{global_host}/"
        if addressing_style == "auto" and _LEGACY_GLOBAL.fullmatch(bucket):
            return f"https://{global_host}/{path_bucket}"
        return f"https://{regional}/{path_bucket}"
    if virtual and addressing_style != "path":
        return f"https://{bucket}.{regional}/"
    return f"https://{regional}/{path_bucket}"


def _check_condition_shape(condition: object) -> None:
    if isinstance(condition, dict) and condition:
        return
    if isinstance(condition, (list, tuple)) and len(condition) == 3:
        return
    raise SigningError(
        f"conditions: {condition!r} is neither a one-field object ({{\"acl\": \"private\"}}) nor "
        "a three-element list ([\"starts-with\", \"$key\", \"uploads/\"])",
        field="conditions",
    )


def presigned_post(
    credentials: Credentials,
    *,
    bucket: str,
    key: str,
    region: str,
    fields: Mapping[str, str] | None = None,
    conditions: Iterable[Mapping[str, Any] | list[Any] | tuple[Any, ...]] | None = None,
    expires: int = 3600,
    endpoint_url: str | None = None,
    timestamp: str | datetime | None = None,
    addressing_style: AddressingStyle = "auto",
) -> PresignedPost:
    """The URL and form fields of a browser upload to ``bucket``, as boto3's
    ``generate_presigned_post(Bucket, Key, Fields, Conditions, ExpiresIn)`` makes them with
    ``signature_version='s3v4'``: the bucket and key conditions appended (a key ending in
    ``${filename}`` gets a ``starts-with`` on what precedes it), then the SigV4 fields and
    their conditions, the token's field when the credentials carry one (``X-Amz-S3session-Token``
    for a directory bucket, whose service is ``s3express``, as botocore's S3ExpressPostAuth), the
    base64 policy and its signature. As in boto3, a field you give is not added to the
    conditions and a condition you give does not add a field: give both.
    """
    if not isinstance(credentials, Credentials):
        raise SigningError("credentials: must be sigv4kit.Credentials", field="credentials")
    for name, value in (("bucket", bucket), ("key", key), ("region", region)):
        if not isinstance(value, str) or not value:
            raise SigningError(f"{name}: must be a non-empty string", field=name)
    expires = check_expires(expires)
    amzdate = amz_date(timestamp)
    issued = parse_amz_date(amzdate)
    assert issued is not None
    form = dict(fields or {})
    for name, value in form.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise SigningError(f"fields: {name!r} must map a string to a string", field="fields")
    policy_conditions: list[Any] = []
    for condition in conditions or ():
        _check_condition_shape(condition)
        policy_conditions.append(condition)
    policy: dict[str, Any] = {
        "expiration": (issued + timedelta(seconds=expires)).strftime(POLICY_EXPIRATION_FORMAT),
        "conditions": policy_conditions,
    }
    policy_conditions.append({"bucket": bucket})
    if key.endswith(FILENAME):
        policy_conditions.append(["starts-with", "$key", key[: -len(FILENAME)]])
    else:
        policy_conditions.append({"key": key})
    form["key"] = key
    express = directory_bucket_zone(bucket) is not None
    service = "s3express" if express else "s3"
    credential = f"{credentials.access_key_id}/{amzdate[:8]}/{region}/{service}/aws4_request"
    for name, value in (
        ("x-amz-algorithm", ALGORITHM),
        ("x-amz-credential", credential),
        ("x-amz-date", amzdate),
    ):
        form[name] = value
        policy_conditions.append({name: value})
    if credentials.session_token is not None:
        token_field = "X-Amz-S3session-Token" if express else "x-amz-security-token"
        form[token_field] = credentials.session_token
        policy_conditions.append({token_field: credentials.session_token})
    document = json.dumps(policy)
    encoded = base64.b64encode(document.encode("utf-8")).decode("ascii")
    form["policy"] = encoded
    form["x-amz-signature"] = _policy_signature(credentials, amzdate[:8], region, service, encoded)
    return PresignedPost(post_url(bucket, region, endpoint_url, addressing_style), form, document)


def _policy_signature(
    credentials: Credentials, date: str, region: str, service: str, encoded_policy: str
) -> str:
    """SigV4 for POST: the string to sign is the base64 policy itself."""
    key = cached_signing_key(credentials.secret_access_key, date, region, service)
    return key.hex_signature(encoded_policy)


# --- verifying (S3's side) ----------------------------------------------------------------


class PostReason(StrEnum):
    """Why a POST form was accepted or refused (each value is its short code)."""

    OK = "ok"
    MALFORMED = "malformed"
    MISSING_FIELD = "missing_field"
    DUPLICATE_FIELD = "duplicate_field"
    SIGV2 = "sigv2"
    INVALID_POLICY = "invalid_policy"
    UNKNOWN_ACCESS_KEY = "unknown_access_key"
    TOKEN_MISMATCH = "token_mismatch"
    SIGNATURE_MISMATCH = "signature_mismatch"
    EXPIRED = "expired"
    CONDITION_FAILED = "condition_failed"
    FIELD_NOT_IN_POLICY = "field_not_in_policy"
    ENTITY_TOO_LARGE = "entity_too_large"
    ENTITY_TOO_SMALL = "entity_too_small"


@dataclass(frozen=True, repr=False)
class PostVerdict:
    """The verdict on one POST form, in S3's words: ``code`` and ``http_status`` are S3's error
    answer (``"AccessDenied"``, 403 …), ``message`` its text, ``condition`` the failed
    condition as S3 quotes it. On success ``key`` is the object key (``${filename}``
    substituted), ``fields`` the form's fields (lower-case names), ``content_length_range`` the
    size the file must have (None: any), ``success_status`` / ``redirect`` how to answer."""

    valid: bool
    reason: PostReason
    code: str
    message: str
    http_status: int = 200
    condition: str | None = None
    key: str | None = None
    access_key_id: str | None = None
    expiration: datetime | None = None
    content_length_range: tuple[int, int] | None = None
    fields: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"PostVerdict(valid={self.valid!r}, reason={self.reason.value!r}, "
            f"code={self.code!r}, message={self.message!r})"
        )

    @property
    def success_status(self) -> int:
        """204 unless ``success_action_status`` is 200 or 201 (S3 ignores other values)."""
        value = self.fields.get("success_action_status", "")
        return int(value) if value in ("200", "201") else 204

    @property
    def redirect(self) -> str | None:
        """Where to send the browser (303) on success, if anywhere: an absolute http(s) URL.
        S3 "ignores the field" when it cannot read it as a URL, and so do we, the more so as
        a CR or LF in it would write headers of its own into the answer (``Set-Cookie``);
        characters beyond ASCII are percent-encoded (UTF-8), as a browser sends them."""
        value = self.fields.get("success_action_redirect") or self.fields.get("redirect")
        return _redirect_url(value) if value else None


_REDIRECT = re.compile(r"(?i)https?://[^/?#@\s]+(?:[/?#]\S*)?")


def _redirect_url(value: str) -> str | None:
    """``value`` as a URL fit for a Location header, or None when it is not an absolute http(s)
    URL with a host (control characters, spaces and a userinfo part are refused)."""
    if not value.isprintable():
        return None
    encoded = quote(value, safe="".join(chr(c) for c in range(0x21, 0x7F)))
    return encoded if _REDIRECT.fullmatch(encoded) else None


class _LookupRaised(Error):
    """Carries the caller's own exception past the catch-all around the form checks."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(type(original).__name__)
        self.original = original


class _Refusal(Error):
    def __init__(
        self, reason: PostReason, code: str, message: str, status: int = 403,
        condition: str | None = None,
    ) -> None:
        super().__init__(message)
        self.verdict_parts = (reason, code, message, status, condition)


def _denied(condition: Condition, secret_values: Iterable[str] = ()) -> _Refusal:
    text = condition.text
    for value in secret_values:
        if value:
            text = text.replace(value, redacted(value))
    return _Refusal(
        PostReason.CONDITION_FAILED,
        "AccessDenied",
        f"Invalid according to Policy: Policy Condition failed: {text}",
        403,
        text,
    )


def _gather(fields: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """Lower-case name -> (name as sent, value); a name sent twice, in any case, is refused:
    S3 would join the values with commas, which lets a second value ride past a condition
    checked on the first (the smuggling path of several S3 look-alikes)."""
    pairs = list(fields.items()) if isinstance(fields, Mapping) else list(fields)
    if len(pairs) > MAX_FIELDS:
        raise _Refusal(
            PostReason.MALFORMED, "MaxPostPreDataLengthExceeded",
            f"Your POST request fields preceeding the upload file were too large: more than "
            f"{MAX_FIELDS} fields", 400,
        )
    out: dict[str, tuple[str, str]] = {}
    total = 0
    for name, value in pairs:
        if not isinstance(name, str) or not isinstance(value, str):
            raise _Refusal(PostReason.MALFORMED, "MalformedPOSTRequest",
                           "The body of your POST request is not well-formed multipart/form-data.",
                           400)
        total += len(name) + len(value)
        lower = fold(name)
        if lower in out:
            raise _Refusal(
                PostReason.DUPLICATE_FIELD, "InvalidArgument",
                f"POST form field {name!r} is sent more than once ({out[lower][0]!r} too): "
                "refused, since S3 would join the values and a later one could slip past the "
                "policy",
                400,
            )
        out[lower] = (name, value)
    if total > MAX_FIELD_BYTES:
        raise _Refusal(
            PostReason.MALFORMED, "MaxPostPreDataLengthExceeded",
            "Your POST request fields preceeding the upload file were too large.", 400,
        )
    return out


def _required(form: dict[str, tuple[str, str]], name: str) -> str:
    found = form.get(name)
    if found is None:
        raise _Refusal(
            PostReason.MISSING_FIELD, "InvalidArgument",
            f"Bucket POST must contain a field named '{name}'.  If it is specified, please "
            "check the order of the fields.",
            400,
        )
    return found[1]


def _check_sigv2(form: dict[str, tuple[str, str]]) -> None:
    if "x-amz-signature" not in form and ("signature" in form or "awsaccesskeyid" in form):
        raise _Refusal(
            PostReason.SIGV2, "InvalidRequest",
            "The authorization mechanism you have provided is not supported. Please use "
            "AWS4-HMAC-SHA256. (This form is signed with Signature Version 2, fields "
            "AWSAccessKeyId and signature: boto3 makes such forms unless the client has "
            "Config(signature_version='s3v4'); sigv4kit.post_policy.presigned_post signs "
            "with SigV4.)",
            400,
        )


def _scope(credential: str) -> tuple[str, str, str, str]:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not all(parts[:4]) or not (
        len(parts[1]) == 8 and parts[1].isascii() and parts[1].isdigit()
    ):
        raise _Refusal(
            PostReason.MALFORMED, "InvalidArgument",
            "Error parsing the X-Amz-Credential parameter; it must be "
            "<access key id>/<YYYYMMDD>/<region>/s3/aws4_request",
            400,
        )
    if parts[3] not in ("s3", "s3express"):
        raise _Refusal(
            PostReason.MALFORMED, "InvalidArgument",
            f"Error parsing the X-Amz-Credential parameter; incorrect service {parts[3]!r}. "
            "This endpoint belongs to 's3'.",
            400,
        )
    return parts[0], parts[1], parts[2], parts[3]


def _check_signature(
    form: dict[str, tuple[str, str]], lookup: Lookup, encoded: str
) -> tuple[str, Credentials]:
    algorithm = _required(form, "x-amz-algorithm")
    credential = _required(form, "x-amz-credential")
    date = _required(form, "x-amz-date")
    sent = _required(form, "x-amz-signature")
    if algorithm != ALGORITHM:
        raise _Refusal(
            PostReason.MALFORMED, "InvalidArgument",
            f"X-Amz-Algorithm only supports \"{ALGORITHM}\"", 400,
        )
    akid, scope_date, region, service = _scope(credential)
    if parse_amz_date(date) is None or date[:8] != scope_date:
        raise _Refusal(
            PostReason.MALFORMED, "InvalidArgument",
            "X-Amz-Date must be YYYYMMDD'T'HHMMSS'Z' on the date of the X-Amz-Credential scope",
            400,
        )
    try:
        creds = lookup(akid)
    except BaseException as exc:
        raise _LookupRaised(exc) from exc
    if creds is not None and not isinstance(creds, Credentials):
        raise TypeError(f"lookup returned {type(creds).__name__}, not Credentials or None")
    if creds is None:
        raise _Refusal(
            PostReason.UNKNOWN_ACCESS_KEY, "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        )
    tokens = [form[n][1] for n in TOKEN_FIELDS if n in form]
    if creds.session_token is not None:
        if not tokens or not hmac.compare_digest(
            tokens[0].encode("utf-8"), creds.session_token.encode("utf-8")
        ):
            raise _Refusal(
                PostReason.TOKEN_MISMATCH, "InvalidToken",
                "The provided token is malformed or otherwise invalid.", 400,
            )
    elif tokens:
        raise _Refusal(
            PostReason.TOKEN_MISMATCH, "InvalidToken",
            "The provided token is malformed or otherwise invalid (the access key needs none).",
            400,
        )
    expected = cached_signing_key(
        creds.secret_access_key, scope_date, region, service
    ).hex_signature(encoded)
    if not hmac.compare_digest(expected, sent.lower() if sent.isascii() else ""):
        raise _Refusal(
            PostReason.SIGNATURE_MISMATCH, "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
        )
    return akid, creds


def _value_for(
    name: str, form: dict[str, tuple[str, str]], bucket: str, key: str
) -> tuple[str | None, bool]:
    """The value a condition on ``$name`` tests, and whether that name was sent exactly so."""
    bare = name[1:]
    lower = fold(bare)
    if lower == "bucket":
        return bucket, True
    if lower == "key":
        return key, True
    found = form.get(lower)
    if found is None:
        return None, True
    return found[1], found[0] == bare


def _holds(condition: Condition, value: str) -> bool:
    assert isinstance(condition.value, str)
    if condition.op == "eq":
        return value == condition.value
    if fold(condition.name) == "$content-type":
        # S3: a Content-Type holding commas is a list, and every entry must match.
        return all(v.strip().startswith(condition.value) for v in value.split(","))
    return value.startswith(condition.value)


def _check_conditions(
    conditions: list[Condition],
    form: dict[str, tuple[str, str]],
    bucket: str,
    key: str,
    secrets: list[str],
) -> tuple[int, int] | None:
    """Every condition must hold, and every field but the exempt ones must be covered."""
    covered: set[str] = set()
    low, high = 0, -1
    for condition in conditions:
        if condition.op == "content-length-range":
            assert isinstance(condition.value, tuple)
            low = max(low, condition.value[0])
            high = condition.value[1] if high < 0 else min(high, condition.value[1])
            continue
        lower_name = fold(condition.name)
        if condition.op == "starts-with" and lower_name in EXACT_ONLY:
            raise _denied(condition, secrets)
        value, exact_name = _value_for(condition.name, form, bucket, key)
        if value is None or not _holds(condition, value):
            raise _denied(condition, secrets)
        bare = lower_name[1:]
        if bare in TOKEN_FIELDS and not exact_name:
            continue  # not covered: the spelling differs (see the module text)
        covered.add(bare)
    extra = [
        sent for lower, (sent, _) in form.items()
        if lower not in covered and lower not in EXEMPT_FIELDS
        and not lower.startswith("x-ignore-")
    ]
    if extra:
        raise _Refusal(
            PostReason.FIELD_NOT_IN_POLICY, "AccessDenied",
            f"Invalid according to Policy: Extra input fields: "
            f"{', '.join(_shown_name(n) for n in extra)}",
        )
    return (low, high) if high >= 0 else None


def _shown_name(name: str) -> str:
    """A field name as a message quotes it: as sent, unless it holds control or bidi
    characters (a terminal would act on them, XML 1.0 cannot carry them): then escaped."""
    return name if name.isprintable() else ascii(name)


def _check_size(size: int | None, limits: tuple[int, int] | None) -> None:
    if size is None or limits is None:
        return
    if size > limits[1]:
        raise _Refusal(
            PostReason.ENTITY_TOO_LARGE, "EntityTooLarge",
            f"Your proposed upload exceeds the maximum allowed size (ProposedSize {size}, "
            f"MaxSizeAllowed {limits[1]})", 400,
        )
    if size < limits[0]:
        raise _Refusal(
            PostReason.ENTITY_TOO_SMALL, "EntityTooSmall",
            f"Your proposed upload is smaller than the minimum allowed size (ProposedSize "
            f"{size}, MinSizeAllowed {limits[0]})", 400,
        )


def verify_post(
    fields: Mapping[str, str] | Iterable[tuple[str, str]],
    lookup: Lookup,
    *,
    bucket: str,
    file_size: int | None = None,
    now: datetime | str | None = None,
    filename: str | None = None,
) -> PostVerdict:
    """Check a POST form as S3 does: the fields (pairs, so a duplicate is seen; the file's
    own part excluded), the bucket it was posted to, the file's size when known and its
    filename (for ``${filename}`` in the key). ``lookup`` maps an access key id to credentials
    (None when unknown) and is the only thing that may raise. Order of checks: form shape,
    SigV2, policy document, signature, expiration, conditions and coverage, size."""
    moment = now_or(now)
    access_key: str | None = None
    expiration: datetime | None = None
    try:
        form = _gather(fields)
        _check_sigv2(form)
        encoded = _required(form, "policy")
        key = _required(form, "key")
        if filename is not None:
            key = key.replace(FILENAME, filename)
        try:
            _, expiration, conditions = decode_policy(encoded)
        except PolicyError as exc:
            raise _Refusal(
                PostReason.INVALID_POLICY, "InvalidPolicyDocument", str(exc), 400
            ) from None
        access_key, creds = _check_signature(form, lookup, encoded)
        if moment >= expiration:
            raise _Refusal(
                PostReason.EXPIRED, "AccessDenied", "Invalid according to Policy: Policy expired."
            )
        secrets = [creds.session_token or ""]
        limits = _check_conditions(conditions, form, bucket, key, secrets)
        _check_size(file_size, limits)
    except _Refusal as refusal:
        reason, code, message, status, condition = refusal.verdict_parts
        return PostVerdict(
            False, reason, code, message, status, condition,
            access_key_id=access_key, expiration=expiration,
        )
    except _LookupRaised as raised:
        raise raised.original from None
    except Exception as exc:  # defensive: no form may make verification raise
        return PostVerdict(
            False, PostReason.MALFORMED, "MalformedPOSTRequest",
            f"form: could not be verified ({type(exc).__name__})", 400,
        )
    return PostVerdict(
        True, PostReason.OK, "", f"valid POST policy signed by {access_key}", 200, None,
        key=key, access_key_id=access_key, expiration=expiration, content_length_range=limits,
        fields={lower: value for lower, (_, value) in form.items()},
    )
