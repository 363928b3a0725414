"""S3's object checksums (sigv4kit.checksums): botocore's values, awscrt's CRCs, the catalogued
check values, and the pure-Python fallback."""

from __future__ import annotations

import os
import sys
import zlib

import pytest
from botocore import httpchecksum
from hypothesis import given
from hypothesis import strategies as st

from sigv4kit import SigningError
from sigv4kit.checksums import (
    ALGORITHMS,
    algorithm_of_header,
    checksum_base64,
    crc32c_pure,
    crc64nvme_pure,
    crc_function,
    new_checksum,
)


def test_crc_check_values() -> None:
    """The catalogued check values of CRC-32C and CRC-64/NVME over "123456789"."""
    assert crc32c_pure(b"123456789") == 0xE3069283
    assert crc64nvme_pure(b"123456789") == 0xAE8B14860A799888
    assert crc_function("crc32c")(b"123456789", 0) == 0xE3069283
    assert crc_function("crc64nvme")(b"123456789", 0) == 0xAE8B14860A799888


@given(st.binary(max_size=300), st.integers(0, 300))
def test_pure_crcs_agree_with_awscrt_incrementally(data: bytes, cut: int) -> None:
    from awscrt import checksums as crt

    cut = min(cut, len(data))
    assert crc32c_pure(data[cut:], crc32c_pure(data[:cut])) == crt.crc32c(data)
    assert crc64nvme_pure(data[cut:], crc64nvme_pure(data[:cut])) == crt.crc64nvme(data)


@pytest.mark.parametrize("name", ALGORITHMS)
def test_checksum_values_match_botocore(name: str) -> None:
    data = os.urandom(100_000)
    theirs = httpchecksum._CHECKSUM_CLS[name]()
    theirs.update(data)
    ours = new_checksum(name)
    for start in range(0, len(data), 7777):
        ours.update(data[start : start + 7777])
    assert ours.base64() == theirs.b64digest() == checksum_base64(name, data)


def test_checksum_names() -> None:
    assert algorithm_of_header("X-Amz-Checksum-CRC32") == "crc32"
    assert algorithm_of_header("x-amz-checksum-md5") is None
    with pytest.raises(SigningError, match="trailer: must be one of"):
        new_checksum("md5")


def test_crc32_is_zlibs() -> None:
    assert crc_function("crc32")(b"abc", 0) == zlib.crc32(b"abc")


def test_pure_fallback_without_awscrt(monkeypatch: pytest.MonkeyPatch) -> None:


    monkeypatch.setitem(sys.modules, "awscrt", None)  # import awscrt now fails
    raw = crc_function.__wrapped__  # type: ignore[attr-defined]
    assert raw("crc32c") is crc32c_pure and raw("crc64nvme") is crc64nvme_pure

