"""CopySnapshot PresignedUrls against vectors captured from botocore (no botocore here)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from sigv4kit import Credentials
from sigv4kit.ec2 import presigned_copy_snapshot_url

FILE = Path(__file__).resolve().parent.parent / "vectors" / "copy_snapshot" / "presigned_url.json"
CASES: list[dict[str, Any]] = json.loads(FILE.read_text())["cases"]


def _parts(url: str) -> tuple[str, str, str, Counter[tuple[str, str]]]:
    p = urlsplit(url)
    return p.scheme, p.netloc, p.path, Counter(parse_qsl(p.query, keep_blank_values=True))


def test_enough_cases() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_copy_snapshot_vector(case: dict[str, Any]) -> None:
    c = case["credentials"]
    url = presigned_copy_snapshot_url(
        Credentials(c["access_key_id"], c["secret_access_key"], c["session_token"]),
        source_region=case["source_region"],
        source_snapshot_id=case["source_snapshot_id"],
        destination_region=case["destination_region"],
        timestamp=case["timestamp"],
        extra_params=case["extra_params"],
    )
    assert _parts(url) == _parts(case["expected_url"])
