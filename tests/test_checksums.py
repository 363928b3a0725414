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



# -- SHA512 and the xxHash family (botocore 1.44 with awscrt) ---------------------------------

XXHASH_EMPTY = {  # the xxHash reference values of the empty input (xxhsum, seed 0)
    "xxhash64": "ef46db3751d8e999",
    "xxhash3": "2d06800538d394c2",
    "xxhash128": "99aa06d3014798d86001c324468d497f",
}


@pytest.mark.parametrize("name", sorted(XXHASH_EMPTY))
def test_xxhash_from_awscrt_and_from_the_xxhash_package_agree(name: str) -> None:
    """awscrt (botocore's choice, preferred) and the xxhash package (the fallback) give the
    same big-endian digests, the reference values for empty input, fed in any pieces."""
    from sigv4kit.checksums import xxhash_factory

    data = os.urandom(200_001)
    digests = set()
    for prefer_awscrt in (True, False):
        factory = xxhash_factory(name, prefer_awscrt)
        assert factory.__module__.startswith("awscrt" if prefer_awscrt else "xxhash")
        assert new_checksum(name).digest().hex() == XXHASH_EMPTY[name]
        hasher = factory()
        for start in range(0, len(data), 65536):
            hasher.update(data[start : start + 65536])
        finish = getattr(hasher, "finalize", None)
        digests.add(bytes(finish() if finish else hasher.digest()))
    ours = new_checksum(name)
    view = memoryview(data)
    for start in range(0, len(data), 4099):
        ours.update(view[start : start + 4099])
    assert digests == {ours.digest()} and ours.base64() == ours.base64()


def test_xxhash_without_either_library_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from sigv4kit import Request
    from sigv4kit.checksums import xxhash_factory
    from sigv4kit.chunked import read_layout
    from sigv4kit.streaming import sign_chunked
    from sigv4kit.verify import verify_request

    creds = __import__("sigv4kit").Credentials("AKIDX", "secret")
    upload = sign_chunked(Request("PUT", "https://b.s3.amazonaws.com/k"), creds,
                          region="us-east-1", service="s3", payload=b"x" * 10,
                          trailer="xxhash3", signed=False)
    request = Request("PUT", upload.request.url, upload.request.headers, upload.body.read_all())
    assert verify_request(request, {"AKIDX": creds}.get).valid

    monkeypatch.setitem(sys.modules, "awscrt", None)
    monkeypatch.setitem(sys.modules, "xxhash", None)
    with pytest.raises(SigningError, match="pip install xxhash"):
        xxhash_factory.__wrapped__("xxhash64")  # type: ignore[attr-defined]
    monkeypatch.setattr("sigv4kit.checksums.xxhash_factory", xxhash_factory.__wrapped__)  # type: ignore[attr-defined]
    with pytest.raises(SigningError, match="trailer: the xxhash3 checksum needs awscrt"):
        sign_chunked(Request("PUT", "https://b.s3.amazonaws.com/k"), creds, region="us-east-1",
                     service="s3", payload=b"x", trailer="xxhash3")
    result = verify_request(request, {"AKIDX": creds}.get)
    assert result.reason == "malformed_chunk" and "pip install xxhash" in result.message
    layout = read_layout(request.body, upload.request.header("x-amz-content-sha256") or "",
                         trailer_header="x-amz-checksum-xxhash3")
    assert layout is not None and layout.problem is not None and "xxhash" in layout.problem
    assert new_checksum("sha512").digest() == __import__("hashlib").sha512().digest()


@pytest.mark.parametrize("name", ALGORITHMS)
def test_sign_chunked_with_each_trailer(name: str) -> None:
    """sign_chunked(trailer=...) for each: the trailer carries botocore's value and the framed
    length announced is the length sent."""
    from sigv4kit import Credentials, Request
    from sigv4kit.streaming import sign_chunked

    data = os.urandom(70_000)
    for signed in (True, False):
        upload = sign_chunked(Request("PUT", "https://b.s3.amazonaws.com/k"),
                              Credentials("AKIDX", "secret"), region="us-east-1",
                              service="s3", payload=data, trailer=name, signed=signed)
        framed = upload.body.read_all()
        assert len(framed) == int(upload.request.header("content-length") or 0)
        assert upload.request.header("x-amz-trailer") == f"x-amz-checksum-{name}"
        theirs = httpchecksum._CHECKSUM_CLS[name]()
        theirs.update(data)
        assert f"x-amz-checksum-{name}:{theirs.b64digest()}\r\n".encode() in framed
