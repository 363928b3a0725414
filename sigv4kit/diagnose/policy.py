"""Explaining an S3 POST policy: when it expires, what each condition allows, which form fields
each covers, and where it allows more than it looks like it does.

Input is the policy (base64 as in the form, or its JSON) or a whole ``multipart/form-data``
body as a browser sends it (the file part is skipped). Verification with the secret is
``sigv4kit.post_policy.verify_post``; this module only reads and judges.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .._post_document import (
    EXEMPT_FIELDS,
    TOKEN_FIELDS,
    Condition,
    PolicyError,
    condition_text,
    covered_fields,
    decode_policy,
    fold,
)
from ..redact import redacted
from ..timestamps import format_iso, now_or, span
from .textdiff import visible

__all__ = [
    "PolicyError",
    "PolicyInput",
    "PolicyReport",
    "explain_policy",
    "read_policy_input",
    "render_policy",
    "to_dict",
]

MAX_INPUT = 1024 * 1024
_PINNED_ORIGIN = re.compile(r"(?i)https?://[^/?#@\\]+[/?#]")
"""A redirect prefix that fixes the origin: scheme, host, then the end of the host."""


@dataclass(frozen=True)
class PolicyInput:
    """A policy as base64 text, and the form fields when a whole form was given."""

    encoded: str
    fields: list[tuple[str, str]] | None = None


@dataclass(frozen=True)
class PolicyReport:
    expiration: datetime
    expired: bool
    conditions: list[Condition]
    covers: dict[str, list[str]]
    warnings: list[str] = field(default_factory=list)


def _form_fields(data: bytes) -> list[tuple[str, str]] | None:
    """The fields of a multipart/form-data body (the file part left out), or None.

    Split on the boundary and read each part's ``name`` with one linear pattern: the standard
    library's email parser takes about a minute over a 1 MB form whose Content-Disposition
    holds thousands of parameters, and a form to explain is untrusted input."""
    first = data.split(b"\r\n", 1)[0].split(b"\n", 1)[0].strip()
    if not first.startswith(b"--") or len(first) < 3:
        return None
    if b"\r\n" not in data:  # a form saved with bare LF line ends
        data = data.replace(b"\n", b"\r\n")
    pieces = (b"\r\n" + data).split(b"\r\n" + first)
    out: list[tuple[str, str]] = []
    for piece in pieces[1:]:
        if piece.startswith(b"--"):  # the closing delimiter
            return out
        head, sep, payload = piece.partition(b"\r\n\r\n")
        if not sep:
            return None
        name = _part_name(head.decode("utf-8", "replace"))
        if name is not None and fold(name) != "file":
            out.append((name, payload.decode("utf-8", "replace")))
    return out if out else None


_DISPOSITION = re.compile(r"(?im)^content-disposition[ \t]*:([^\r\n]*)")
_NAME_PARAM = re.compile(r'(?i);[ \t]*name[ \t]*=[ \t]*(?:"((?:[^"\\\r\n]|\\.)*)"|([^;\s"]*))')


def _part_name(head: str) -> str | None:
    """The ``name`` parameter of a part's Content-Disposition (quoted or not), else None."""
    disposition = _DISPOSITION.search(head)
    found = _NAME_PARAM.search(disposition.group(1)) if disposition else None
    if found is None:
        return None
    quoted = found.group(1)
    return re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else found.group(2)


def read_policy_input(data: bytes) -> PolicyInput | None:
    """A policy (base64 or JSON) or a whole form, or None when ``data`` is neither."""
    text = data.strip()
    fields = _form_fields(text)
    if fields is not None:
        policies = [v for k, v in fields if fold(k) == "policy"]
        return PolicyInput(policies[0] if policies else "", fields)
    if text.startswith(b"{"):
        try:
            document = json.loads(text)
        except ValueError:
            return None
        if isinstance(document, dict) and "conditions" in document:
            return PolicyInput(base64.b64encode(text).decode("ascii"))
        return None
    try:
        decoded = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    if decoded.lstrip().startswith(b"{") and b"conditions" in decoded:
        return PolicyInput(text.decode("ascii"))
    return None


def _warnings(conditions: list[Condition], fields: list[tuple[str, str]] | None) -> list[str]:
    out: list[str] = []
    names = {fold(c.name): c for c in conditions if c.op != "content-length-range"}
    for c in conditions:
        lower = fold(c.name)
        if lower == "$key" and c.op == "starts-with" and c.value == "":
            out.append(f'{c.text}: an empty starts-with on $key lets the form write any key in '
                       "the bucket")
        if lower == "$content-type" and c.op == "starts-with":
            out.append(f"{c.text}: S3 reads a Content-Type holding commas as a list and checks "
                       "each entry; the object is then served with the whole list"
                       + (" (an empty prefix allows any type, text/html included)"
                          if c.value == "" else ""))
        if lower in ("$success_action_redirect", "$redirect") and c.op == "starts-with" and (
            not _PINNED_ORIGIN.match(str(c.value))
        ):
            out.append(f"{c.text}: the prefix does not end the host name, so the form may send "
                       "the browser to another site (https://example.com allows "
                       "https://example.com.evil.example/ and https://example.com@evil.example/)")
    if not any(c.op == "content-length-range" for c in conditions):
        out.append("no content-length-range: the form accepts a file of any size (up to S3's "
                   "5 GB)")
    if "$bucket" not in names:
        out.append("no bucket condition: the policy is good for any bucket its key may write")
    if fields is not None:
        lowered = {fold(k) for k, _ in fields}
        if "awsaccesskeyid" in lowered and "x-amz-signature" not in lowered:
            out.append("Signature Version 2 form (AWSAccessKeyId, signature): S3 refuses it "
                       "outside the oldest Regions; sign with SigV4 (boto3: "
                       "Config(signature_version='s3v4'))")
        covered = covered_fields(conditions)
        extra = [k for k, _ in fields if fold(k) not in covered
                 and fold(k) not in EXEMPT_FIELDS and not fold(k).startswith("x-ignore-")
                 and fold(k) not in ("awsaccesskeyid", "signature")]
        if extra:
            out.append(f"fields no condition covers (S3: Extra input fields): {', '.join(extra)}")
    return out


def _shown(condition: Condition) -> Condition:
    """The condition as explain shows it: a session token's value (boto3 writes the token into
    the policy) redacted, in the text and the JSON alike."""
    if fold(condition.name[1:]) not in TOKEN_FIELDS or not isinstance(condition.value, str):
        return condition
    value = redacted(condition.value)
    return Condition(condition.op, condition.name, value,
                     condition_text(condition.op, condition.name, value))


def explain_policy(given: PolicyInput, now: datetime | str | None = None) -> PolicyReport:
    """Read the policy; raises ``PolicyError`` (S3's words) when it is not one."""
    _, expiration, read = decode_policy(given.encoded)
    conditions = [_shown(c) for c in read]
    moment = now_or(now)
    covers = {name: [c.text for c in group]
              for name, group in covered_fields(conditions).items()}
    return PolicyReport(expiration, moment >= expiration, conditions, covers,
                        _warnings(conditions, given.fields))


def render_policy(report: PolicyReport, now: datetime | str | None = None) -> str:
    moment = now_or(now)
    left = report.expiration - moment
    state = (f"expired {span(-left)} ago" if report.expired else f"valid for {span(left)}")
    lines = ["S3 POST policy", f"  expiration: {format_iso(report.expiration)} ({state})",
             "  conditions:"]
    for c in report.conditions:
        if c.op == "content-length-range":
            assert isinstance(c.value, tuple)
            lines.append(f"    {c.text}: the file must be {c.value[0]}..{c.value[1]} bytes")
        elif c.op == "eq":
            lines.append(f"    {c.text}: field {c.name[1:]} must equal it exactly")
        else:
            allow = "anything" if c.value == "" else f"values starting with {c.value!r}"
            lines.append(f"    {c.text}: field {c.name[1:]} may hold {allow}")
    lines.append("  fields covered: " + (", ".join(sorted(report.covers)) or "none"))
    lines.append("Warnings:" + ("" if report.warnings else " none"))
    lines.extend(f"  - {w}" for w in report.warnings)
    if report.expired:
        lines.append("  - the policy has expired: S3 answers AccessDenied \"Invalid according "
                     "to Policy: Policy expired.\"")
    return "\n".join(visible(line) for line in lines) + "\n"  # the policy is untrusted text


def to_dict(report: PolicyReport) -> dict[str, Any]:
    return {
        "kind": "s3-post-policy",
        "expiration": format_iso(report.expiration),
        "expired": report.expired,
        "conditions": [json.loads(c.text) for c in report.conditions],
        "covers": report.covers,
        "warnings": report.warnings,
    }

