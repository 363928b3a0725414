"""Reading an S3 POST policy document: its expiration and conditions, as S3 parses them.

https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html

Shared by the verifier (``sigv4kit.post_policy``) and the debugger (``sigv4kit.diagnose``):
each failure is a ``PolicyError`` whose text is S3's ("Invalid Policy: Invalid JSON.").
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .errors import SigningError

__all__ = [
    "EXACT_ONLY",
    "EXEMPT_FIELDS",
    "TOKEN_FIELDS",
    "Condition",
    "PolicyError",
    "condition_text",
    "covered_fields",
    "decode_policy",
    "fold",
    "parse_conditions",
]

EXEMPT_FIELDS = frozenset({"x-amz-signature", "file", "policy"})
"""Fields no condition needs to cover (with every ``x-ignore-*``), per S3's policy docs."""
TOKEN_FIELDS = frozenset({"x-amz-security-token", "x-amz-s3session-token"})
"""Session-token field names, compared exactly with their condition (see the module text)."""
EXACT_ONLY = frozenset(
    {"$bucket", "$x-amz-algorithm", "$x-amz-credential", "$x-amz-date", "$x-amz-security-token",
     "$x-amz-s3session-token", "$policy"}
)
"""Fields S3 lists as supporting exact matches only: a starts-with on them fails."""
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold(name: str) -> str:
    """A field name as S3 compares it: ASCII letters case-folded, nothing else. ``str.lower``
    also folds the Kelvin sign (U+212A) into ``k``, so ``\u212aey`` would pass for ``key``."""
    return name.translate(_ASCII_LOWER)


@dataclass(frozen=True)
class Condition:
    """One policy condition, normalised: ``op`` is ``eq``, ``starts-with`` or
    ``content-length-range``; ``name`` the field it tests as written (with its ``$``);
    ``value`` the string compared, or ``(min, max)`` for a length range. ``text`` is how S3
    quotes it in an error."""

    op: str
    name: str
    value: str | tuple[int, int]
    text: str


class PolicyError(SigningError):
    """A policy document that is not valid JSON or not shaped as S3 requires."""


def _length(value: object, text: str) -> int:
    if isinstance(value, bool):
        raise PolicyError(f"Invalid Policy: Invalid content-length-range value: {text}")
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    raise PolicyError(f"Invalid Policy: Invalid content-length-range value: {text}")


def condition_text(op: str, name: str, value: object) -> str:
    """S3's way of quoting a condition in "Policy Condition failed: [...]"."""
    return json.dumps([op, name, value], ensure_ascii=False)


def parse_conditions(raw: object) -> list[Condition]:
    """The conditions of a decoded policy; raises ``PolicyError`` in S3's words."""
    if not isinstance(raw, list):
        raise PolicyError("Invalid Policy: Invalid 'conditions' value: must be a list")
    out: list[Condition] = []
    for item in raw:
        if isinstance(item, dict):
            if not item:
                raise PolicyError("Invalid Policy: Invalid Simple-Condition: empty object")
            for name, value in item.items():
                if not isinstance(value, str):
                    raise PolicyError(
                        f"Invalid Policy: Invalid Simple-Condition: value of {name!r} must be a "
                        "string"
                    )
                out.append(Condition("eq", "$" + name, value, condition_text("eq", "$" + name,
                                                                              value)))
            continue
        if not isinstance(item, list) or len(item) != 3 or not isinstance(item[0], str):
            raise PolicyError(
                f"Invalid Policy: Invalid Condition: {json.dumps(item, ensure_ascii=False)[:200]}"
            )
        op = item[0].lower()
        text = json.dumps(item, ensure_ascii=False)
        if op == "content-length-range":
            low, high = _length(item[1], text), _length(item[2], text)
            out.append(Condition(op, "content-length-range", (low, high), text))
        elif op in ("eq", "starts-with"):
            name, value = item[1], item[2]
            if not isinstance(name, str) or not name.startswith("$") or not isinstance(
                value, str
            ):
                raise PolicyError(f"Invalid Policy: Invalid Condition: {text[:200]}")
            out.append(Condition(op, name, value, text))
        else:
            raise PolicyError(f"Invalid Policy: Invalid Condition: unknown operation {text[:200]}")
    return out


def decode_policy(encoded: str) -> tuple[dict[str, Any], datetime, list[Condition]]:
    """A base64 policy's document, expiration and conditions; ``PolicyError`` in S3's words."""
    try:
        raw = base64.b64decode(encoded.encode("ascii"), validate=True)
        document = json.loads(raw.decode("utf-8"), object_pairs_hook=_unique_keys,
                              parse_constant=_no_constant)
    except PolicyError:
        raise
    except (binascii.Error, UnicodeError, ValueError, RecursionError):
        raise PolicyError("Invalid Policy: Invalid JSON.") from None
    if not isinstance(document, dict):
        raise PolicyError("Invalid Policy: Invalid JSON.")
    expiration = document.get("expiration")
    moment = _expiration(expiration)
    return document, moment, parse_conditions(document.get("conditions"))


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose keys are all different. Python keeps the last of two ``conditions`` (or
    two ``key`` in a condition), other readers the first: a policy that reads one way to the
    person who reviews it and another to the verifier is refused, not guessed at."""
    out: dict[str, Any] = {}
    for name, value in pairs:
        if name in out:
            raise PolicyError(
                f"Invalid Policy: Invalid JSON: key {json.dumps(name)[:64]} appears twice in "
                "one object"
            )
        out[name] = value
    return out


def _no_constant(name: str) -> Any:
    """``NaN`` and ``Infinity`` are not JSON (Python reads them by default)."""
    raise PolicyError(f"Invalid Policy: Invalid JSON: {name} is not a JSON value")


def _expiration(value: object) -> datetime:
    """ISO 8601 in GMT, with or without a fraction of a second (S3's docs use ``.000Z``)."""
    bad = PolicyError(f"Invalid Policy: Invalid 'expiration' value: {str(value)[:64]!r}")
    if not isinstance(value, str) or not value.endswith("Z") or not value.isascii():
        raise bad
    try:
        moment = datetime.fromisoformat(value[:-1])
    except ValueError:
        raise bad from None
    if moment.tzinfo is not None:
        raise bad
    return moment.replace(tzinfo=UTC)


def covered_fields(conditions: Iterable[Condition]) -> dict[str, list[Condition]]:
    """Each field name a condition tests (lower case, without ``$``) -> those conditions."""
    out: dict[str, list[Condition]] = {}
    for condition in conditions:
        if condition.op != "content-length-range":
            out.setdefault(fold(condition.name[1:]), []).append(condition)
    return out
