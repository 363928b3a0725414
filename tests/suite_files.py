"""Reading the official AWS signing test suite (both layouts) from ../shared/vectors.

The suite is not copied into the project; tests that need it skip with a reason when the folder
is absent (a user's own clone). CI always has it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

SHARED_VECTORS = Path(__file__).resolve().parents[2] / "shared" / "vectors"
SUITE = SHARED_VECTORS / "aws-signing-test-suite"
BOTOCORE_SUITE = SHARED_VECTORS / "botocore-aws4-testsuite"


def require(folder: Path) -> Path:
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent: the official AWS test suite lives beside the project")
    return folder


def case_dirs(folder: Path, required_file: str) -> list[Path]:
    """Case folders below ``folder`` holding ``required_file`` (sorted; empty when absent)."""
    if not folder.is_dir():
        return []
    return sorted(p.parent for p in folder.rglob(required_file))


@dataclass
class RawRequest:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes


def parse_raw_request(data: bytes) -> RawRequest:
    """Parse the suite's request.txt: request line, headers with obs-fold continuation lines
    (unfolded to a single space, RFC 9112 5.2), a blank line, then the body."""
    head, sep, body = data.partition(b"\n\n")
    lines = head.decode("utf-8").split("\n")
    method, rest = lines[0].split(" ", 1)
    target = rest.rsplit(" ", 1)[0]
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line.strip())
        elif line:
            name, _, value = line.partition(":")
            headers.append((name, value))
    return RawRequest(method, target, headers, body if sep else b"")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())
