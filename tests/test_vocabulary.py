"""One vocabulary for reasons and causes (issue 25 item 3): verify, explain and diff spell each
idea once, in snake_case, and every code they emit is listed in
``sigv4kit.diagnose.vocabulary``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import sigv4kit
from sigv4kit import Reason
from sigv4kit.diagnose.vocabulary import CODES, REASONS, VOCABULARY

PACKAGE = Path(sigv4kit.__file__).parent
SNAKE = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*")

RETIRED = {
    "wrong-region": "region_mismatch",
    "wrong-service": "service_mismatch",
    "scope-differs": "scope_mismatch",
    "scope-date-differs": "date_mismatch",
    "request-expired": "expired",
    "unknown-access-key": "unknown_access_key",
    "malformed-authorization": "malformed",
    "session-token-differs": "token_mismatch",
    "session-token-missing": "token_missing",
    "session-token-unexpected": "token_unexpected",
    "session-token-expired": "token_expired",
    "signed-header-missing": "missing_signed_header",
    "payload-differs": "payload_hash_mismatch",
    "method-differs": "method_mismatch",
    "host-differs": "host_mismatch",
    "path-differs": "path_mismatch",
    "canonical-request-differs": "canonical_request_mismatch",
    "signed-headers-differ": "signed_headers_mismatch",
}
"""Spellings the debugger used before it shared the verifier's words: old -> the code now."""


def _norm(text: str) -> str:
    return text.lower().replace("-", "_")


def _constants(tree: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, str)]


def _emitted(path: Path) -> set[str]:
    """The literal codes a module emits: ``out.add(code, …)`` / ``out.warn(code, …)`` (diff's
    findings, explain's warnings), the server-code hints table, the kinds' by-design codes and
    the chunk decoder's errors."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        first = node.args[0]
        func = node.func
        finding = (isinstance(func, ast.Attribute) and func.attr in {"add", "warn"}
                   and isinstance(func.value, ast.Name) and func.value.id == "out")
        chunk_error = isinstance(func, ast.Name) and func.id == "ChunkError"
        if (finding or chunk_error) and isinstance(first, ast.Constant):
            found.add(first.value)
        elif isinstance(func, ast.Name) and func.id == "Kind":
            for arg in node.args:
                if (isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name)
                        and arg.func.id == "frozenset"):
                    found |= set(_constants(arg))
    for node in ast.walk(tree):
        if (isinstance(node, ast.AnnAssign | ast.Assign) and node.value is not None
                and "_CODE_HINTS" in ast.unparse(node)[:40] and isinstance(node.value, ast.Dict)):
            for value in node.value.values:
                assert isinstance(value, ast.Tuple) and isinstance(value.elts[0], ast.Constant)
                found.add(value.elts[0].value)
    return found


def test_the_vocabulary_is_listed_once_in_snake_case() -> None:
    assert {r.value for r in Reason} == REASONS
    assert not REASONS & CODES.keys(), "a reason is listed twice"
    assert all(SNAKE.fullmatch(code) for code in VOCABULARY), sorted(VOCABULARY)
    assert {"scope_mismatch", "region_mismatch", "service_mismatch"} <= VOCABULARY


def test_every_code_the_debugger_emits_is_in_the_vocabulary() -> None:
    sources = [*sorted((PACKAGE / "diagnose").glob("*.py")), PACKAGE / "chunked.py"]
    emitted = set().union(*(_emitted(path) for path in sources))
    assert len(emitted) > 50  # the scan sees the codes (so it can fail)
    assert emitted - VOCABULARY == set()
    assert CODES.keys() - emitted == set(), "listed but never emitted"


def test_no_other_spelling_of_a_code_exists_in_the_package() -> None:
    """No string in the package is a retired spelling (``wrong-region``) or another spelling of
    a code (``region-mismatch``)."""
    retired = {_norm(old) for old in RETIRED} - VOCABULARY
    assert all(new in VOCABULARY for new in RETIRED.values())
    strays = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for text in _constants(ast.parse(path.read_text(encoding="utf-8"))):
            norm = _norm(text)
            if (norm in VOCABULARY and "-" in text) or norm in retired:
                strays.append(f"{path.relative_to(PACKAGE)}: {text!r}")
    assert strays == []


def test_the_spelling_check_can_fail() -> None:
    tree = ast.parse('x = ["wrong-region", "Region-Mismatch", "region_mismatch"]')
    texts = _constants(tree)
    assert [t for t in texts if _norm(t) in VOCABULARY and "-" in t] == ["Region-Mismatch"]
    assert [t for t in texts if _norm(t) in {_norm(o) for o in RETIRED}] == ["wrong-region"]
