"""The package's in-memory caches in one idiom (issue 25 item 4): every one goes through
``sigv4kit._caches``, is bounded and says why it exists, the table in docs/development.md
lists exactly them, and ``sigv4kit.clear_caches()`` empties every one."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import sigv4kit
from sigv4kit import _caches

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sigv4kit"


def _import_everything() -> None:
    for info in pkgutil.walk_packages(sigv4kit.__path__, "sigv4kit."):
        if info.name.endswith("__main__"):
            continue
        try:
            importlib.import_module(info.name)
        except ImportError:  # an optional extra that is not installed
            continue


def _stray_caches(source: str) -> list[str]:
    """functools caches used directly (not through sigv4kit._caches), by line."""
    found = []
    names = ("lru_cache", "cache", "cached_property")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in names:
            if isinstance(node.value, ast.Name) and node.value.id == "functools":
                found.append(f"line {node.lineno}: functools.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "functools":
            for alias in node.names:
                if alias.name in names:
                    found.append(f"line {node.lineno}: from functools import {alias.name}")
    return found


def test_no_module_caches_with_functools_directly() -> None:
    strays = {
        str(path.relative_to(ROOT)): found
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "_caches.py" and (found := _stray_caches(path.read_text("utf-8")))
    }
    assert not strays, strays


def test_the_stray_check_can_fail() -> None:
    assert _stray_caches("import functools\n@functools.cache\ndef f(): pass\n")
    assert _stray_caches("from functools import lru_cache\n")
    assert not _stray_caches("from ._caches import cached\n")


def test_every_cache_is_bounded_and_says_why() -> None:
    _import_everything()
    infos = _caches.caches()
    assert len(infos) >= 40
    for info in infos:
        assert 1 <= info.bound <= 4096, info
        assert info.keys and info.reason and "\n" not in info.reason, info


def test_a_cache_without_a_reason_or_a_bound_is_refused() -> None:
    with pytest.raises(sigv4kit.Error, match="why"):
        _caches.cached(4, keys="x", reason="")(len)
    with pytest.raises(sigv4kit.Error, match="bound"):
        _caches.cached(0, keys="x", reason="y")(len)
    with pytest.raises(sigv4kit.Error, match="bound"):
        _caches.Memo(10**6, name="t", keys="x", reason="y")


def _documented_table() -> dict[str, tuple[str, int, str]]:
    text = (ROOT / "docs" / "development.md").read_text("utf-8")
    start = text.index("<!-- caches -->")
    end = text.index("<!-- /caches -->")
    rows = {}
    for line in text[start:end].splitlines():
        m = re.fullmatch(r"\| `([\w.]+)` \| (.+?) \| (\d+) \| (.+?) \|", line)
        if m:
            rows["sigv4kit." + m[1]] = (m[2], int(m[3]), m[4])
    return rows


def test_the_documented_table_lists_every_cache_as_declared() -> None:
    _import_everything()
    declared = {i.name: (i.keys, i.bound, i.reason) for i in _caches.caches()}
    assert _documented_table() == declared


def test_clear_caches_empties_every_cache() -> None:
    from sigv4kit import Credentials, Request, presign, sign_request, verify_presigned_url
    from sigv4kit.ec2 import presigned_copy_snapshot_url

    _import_everything()
    creds = Credentials("AKIDEXAMPLE", "secret-for-the-cache-test", session_token="tok" * 300)
    req = Request("GET", "https://example.amazonaws.com/a?b=c")
    when = "20150830T123600Z"
    sign_request(req, creds, region="us-east-1", service="service", timestamp=when)
    sign_request(req, creds, region="us-east-1", service="service", algorithm="sigv4a",
                 timestamp=when)
    url = presign(req, creds, region="us-east-1", service="s3", timestamp=when).url
    verify_presigned_url(url, lambda akid: creds, now=when)
    presigned_copy_snapshot_url(creds, source_region="us-west-2",
                                source_snapshot_id="snap-066877671789bd71b",
                                destination_region="us-east-1", timestamp=when)
    filled = [i.name for i in _caches.caches() if i.size()]
    assert len(filled) >= 15, filled
    assert "sigv4kit.keys.cached_signing_key" in filled
    assert "sigv4kit.sigv4a._private_key" in filled

    sigv4kit.clear_caches()

    assert [i.name for i in _caches.caches() if i.size()] == []
    # and everything still works, first calls slower
    again = presign(req, creds, region="us-east-1", service="s3", timestamp=when).url
    assert again == url


def test_clear_caches_is_a_public_name_imported_on_first_use() -> None:
    assert "clear_caches" in sigv4kit.__all__
    assert sigv4kit.clear_caches is _caches.clear_caches


def test_a_memo_stays_within_its_bound() -> None:
    memo: _caches.Memo[int, int] = _caches.Memo(3, name="test.memo", keys="int", reason="test")
    try:
        for i in range(10):
            memo.put(i, i * i)
        assert len(memo) == 3
        assert memo.get(9) == 81 and memo.get(0) is None
    finally:
        _caches._REGISTRY.pop("test.memo")
