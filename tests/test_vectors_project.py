"""The project's own vectors (vectors/botocore/*.json, vectors/pinned/*.json), byte for byte.

The expected values were computed by botocore's signers (or derived by hand for the pinned
cases) by vectors/generate.py; this module only reads JSON and needs no botocore. See
vectors/README.md for the format.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from sigv4kit import Credentials, Request, presign, sign_request
from sigv4kit.signing import wire_form
from sigv4kit.verify import verify_request

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
MIN_CASES = 200


def _load() -> list[dict[str, Any]]:
    cases = []
    # Signer vectors only; copy_snapshot/ has its own format and test.
    paths = [*VECTORS.glob("botocore/*.json"), *VECTORS.glob("pinned/*.json")]
    for path in sorted(paths):
        data = json.loads(path.read_text(encoding="utf-8"))
        cases.extend(data["cases"])
    return cases


CASES = _load()


def _query_multiset(query: str) -> Counter[tuple[str, str]]:
    """Decoded (key, value) pairs: a bare key counts as an empty value, '+' stays a plus."""
    pairs: Counter[tuple[str, str]] = Counter()
    for piece in query.split("&"):
        if piece:
            key, _, value = piece.partition("=")
            pairs[unquote(key), unquote(value)] += 1
    return pairs


def _sign(case: dict[str, Any]) -> Any:
    c = case["credentials"]
    creds = Credentials(c["access_key_id"], c["secret_access_key"], c["session_token"])
    r = case["request"]
    request = Request(
        r["method"],
        r["url"],
        headers=[(n, v) for n, v in r["headers"]],
        body=base64.b64decode(r["body_b64"]),
    )
    common = {
        "region": case["region"],
        "service": case["service"],
        "timestamp": case["timestamp"],
        **case["options"],
    }
    if case["mode"] == "header":
        return sign_request(request, creds, **common)
    assert case["mode"] == "query"
    return presign(request, creds, expires=case["expires"], **common)


def test_enough_cases() -> None:
    assert len(CASES) >= MIN_CASES
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_vector(case: dict[str, Any]) -> None:
    expected = case["expected"]
    result = _sign(case)
    if case["mode"] == "query" and wire_form(case["request"]["url"]) != case["request"]["url"]:
        _check_unsendable(case, result)
        return
    assert result.canonical_request == expected["canonical_request"]
    assert result.string_to_sign == expected["string_to_sign"]
    assert result.signature == expected["signature"]
    if case["mode"] == "header":
        assert result.authorization == expected["authorization"]
    else:
        ours, theirs = urlsplit(result.url), urlsplit(expected["url"])
        assert (ours.scheme, ours.netloc, ours.path) == (theirs.scheme, theirs.netloc, theirs.path)
        assert _query_multiset(ours.query) == _query_multiset(theirs.query)


def _check_unsendable(case: dict[str, Any], result: Any) -> None:
    """A URL botocore was given with what no client sends raw (a space, UTF-8, a stray '%'):
    botocore signs those bytes as the wire path and returns them raw. Its URL must verify as
    it stands (the verifier reads what it receives); ours carries them percent-encoded (issue
    23, item 2), is signed as that, and verifies too. tests/test_differential_botocore.py
    checks such URLs against botocore given the encoded form."""
    c = case["credentials"]
    creds = Credentials(c["access_key_id"], c["secret_access_key"], c["session_token"])
    headers = [(n, v) for n, v in case["request"]["headers"]]
    method = case["request"]["method"]
    for url in (case["expected"]["url"], result.url):
        verdict = verify_request(Request(method, url, headers), lambda _: creds,
                                 now=case["timestamp"], service=case["service"])
        assert verdict.valid, (url, verdict.message)
    ours, theirs = urlsplit(result.url), urlsplit(case["expected"]["url"])
    assert ours.path == wire_form(theirs.path) and ours.path.isascii() and " " not in ours.path
