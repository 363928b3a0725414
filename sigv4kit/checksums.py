"""The checksums S3 accepts for an object (``x-amz-checksum-*``), computed a piece at a time.

https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html

An aws-chunked upload names one of them in ``X-Amz-Trailer`` and sends its value after the last
chunk, base64 of the big-endian digest (``x-amz-checksum-crc32: <base64>``); a plain upload
sends it as a header. These are the nine botocore 1.44 offers. CRC32 comes from ``zlib`` and
SHA-1/SHA-256/SHA-512 from ``hashlib``; CRC32C and CRC64NVME from ``awscrt.checksums`` (the
accelerated library botocore itself uses), imported only when first needed, with a
table-driven pure-Python fallback so the core still works without it (slowly: a few MB/s).
XXHASH64, XXHASH3 (64-bit) and XXHASH128 (XXH3, 128-bit) come from awscrt's ``XXHash`` (as in
botocore) or else the ``xxhash`` package, imported lazily; with neither installed they raise
``SigningError`` saying what to install.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Protocol

from ._caches import cached
from .errors import SigningError

__all__ = [
    "ALGORITHMS", "Checksum", "algorithm_of_header", "check_algorithm", "checksum_base64",
    "checksum_headers",
    "crc32c_pure", "crc64nvme_pure", "crc_function", "digest_size", "header_name",
    "multipart_checksum_problem", "new_checksum", "xxhash_factory",
]

ALGORITHMS: Final = (
    "crc32", "crc32c", "crc64nvme", "sha1", "sha256", "sha512", "xxhash64", "xxhash3",
    "xxhash128",
)
"""The checksum names ``sign_chunked(trailer=...)`` takes, in S3's own spelling, lower case."""
HEADER_PREFIX: Final = "x-amz-checksum-"

_CRC32C_POLY: Final = 0x82F63B78  # Castagnoli, reflected
_CRC64NVME_POLY: Final = 0x9A6C9329AC4BC9B5  # NVM Express CRC-64, reflected
_MASK32: Final = 0xFFFFFFFF
_MASK64: Final = 0xFFFFFFFFFFFFFFFF

Crc = Callable[[bytes | memoryview, int], int]
"""``crc(data, previous) -> crc``: the running CRC of everything so far, as zlib.crc32 is."""


class Checksum(Protocol):
    """An incremental checksum: ``update`` with each piece, then ``digest``/``base64``."""

    name: str

    def update(self, data: bytes | memoryview) -> None: ...

    def digest(self) -> bytes: ...

    def base64(self) -> str: ...


@cached(2, keys="CRC polynomial", reason="a 256-entry table built once per polynomial")
def _table(poly: int) -> tuple[int, ...]:
    """The 256-entry lookup table of a reflected CRC: built once per polynomial."""
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


def _reflected_crc(poly: int, mask: int) -> Crc:
    def crc(data: bytes | memoryview, previous: int = 0) -> int:
        table = _table(poly)
        value = previous ^ mask
        for byte in bytes(data):
            value = table[(value ^ byte) & 0xFF] ^ (value >> 8)
        return value ^ mask

    return crc


crc32c_pure: Final = _reflected_crc(_CRC32C_POLY, _MASK32)
"""CRC-32C (Castagnoli) in pure Python; the fallback when awscrt is not installed."""
crc64nvme_pure: Final = _reflected_crc(_CRC64NVME_POLY, _MASK64)
"""CRC-64/NVME in pure Python; the fallback when awscrt is not installed."""


def _zlib_crc32(data: bytes | memoryview, previous: int = 0) -> int:
    return zlib.crc32(data, previous)


def _awscrt_checksums() -> Any:
    """``awscrt.checksums`` (botocore's accelerator), or None when it cannot be imported."""
    try:
        from awscrt import checksums  # type: ignore[import-untyped]
    except ImportError:
        return None
    return checksums


@cached(4, keys="checksum name", reason="awscrt is looked up once, not per chunk")
def crc_function(name: str) -> Crc:
    """The running-CRC function of ``name`` (``crc32``, ``crc32c``, ``crc64nvme``): awscrt's
    when it can be imported (looked up once), else the pure-Python one."""
    if name == "crc32":
        return _zlib_crc32
    if name not in ("crc32c", "crc64nvme"):
        raise SigningError(f"trailer: {name!r} is not a CRC checksum", field="trailer")
    crt = _awscrt_checksums()
    if crt is None:
        return crc32c_pure if name == "crc32c" else crc64nvme_pure
    fast: Callable[[bytes | memoryview, int], int] = (
        crt.crc32c if name == "crc32c" else crt.crc64nvme
    )
    return fast


class _CrcChecksum:
    __slots__ = ("_crc", "_size", "_value", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._crc = crc_function(name)
        self._size = 8 if name == "crc64nvme" else 4
        self._value = 0

    def update(self, data: bytes | memoryview) -> None:
        if data:
            self._value = self._crc(data, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(self._size, "big")

    def base64(self) -> str:
        return base64.b64encode(self.digest()).decode("ascii")


class _HashChecksum:
    __slots__ = ("_hash", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._hash = hashlib.new(name)

    def update(self, data: bytes | memoryview) -> None:
        self._hash.update(data)

    def digest(self) -> bytes:
        return self._hash.digest()

    def base64(self) -> str:
        return base64.b64encode(self._hash.digest()).decode("ascii")


class _XxhashChecksum:
    __slots__ = ("_digest", "_hash", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._hash: Any = xxhash_factory(name)()
        self._digest: bytes | None = None

    def update(self, data: bytes | memoryview) -> None:
        if self._digest is not None:
            raise ValueError(f"{self.name}: updated after its digest was taken")
        if data:
            # awscrt's update takes bytes, not a memoryview: a copy of one chunk at most
            self._hash.update(bytes(data) if isinstance(data, memoryview) else data)

    def digest(self) -> bytes:
        if self._digest is None:  # awscrt's finalize() ends the hash: take it once
            finish = getattr(self._hash, "finalize", None)
            self._digest = bytes(finish() if finish is not None else self._hash.digest())
        return self._digest

    def base64(self) -> str:
        return base64.b64encode(self.digest()).decode("ascii")


_XXHASH_NAMES: Final = {
    # ours: (awscrt.checksums.XXHash constructor, xxhash package constructor)
    "xxhash64": ("new_xxhash64", "xxh64"),
    "xxhash3": ("new_xxhash3_64", "xxh3_64"),
    "xxhash128": ("new_xxhash3_128", "xxh3_128"),
}


@cached(8, keys="checksum name, prefer awscrt",
        reason="the accelerator is imported once, not per chunk")
def xxhash_factory(name: str, prefer_awscrt: bool = True) -> Callable[[], Any]:
    """The constructor of a fresh ``name`` hasher (big-endian digest, seed 0): awscrt's
    ``XXHash`` (botocore's own choice) when importable, else the ``xxhash`` package's;
    SigningError naming what to install when neither is."""
    crt_name, package_name = _XXHASH_NAMES[name]
    xxh = getattr(_awscrt_checksums(), "XXHash", None) if prefer_awscrt else None
    if xxh is not None and hasattr(xxh, crt_name):
        factory: Callable[[], Any] = getattr(xxh, crt_name)
        return factory
    try:
        import xxhash  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        raise SigningError(
            f"trailer: the {name} checksum needs awscrt (0.31.2 or later, as botocore uses) or "
            "the xxhash package: pip install xxhash",
            field="trailer",
        ) from None
    package: Callable[[], Any] = getattr(xxhash, package_name)
    return package


def check_algorithm(name: object, field: str = "trailer") -> str:
    """``name`` lower-cased when it is one of ``ALGORITHMS``, else SigningError naming ``field``."""
    if isinstance(name, str) and name.lower() in ALGORITHMS:
        return name.lower()
    raise SigningError(
        f"{field}: must be one of {', '.join(ALGORITHMS)} (or None), got {name!r}"[:200],
        field=field,
    )


def new_checksum(name: str) -> Checksum:
    """A fresh incremental checksum of algorithm ``name`` (one of ``ALGORITHMS``)."""
    name = check_algorithm(name)
    if name.startswith("sha"):
        return _HashChecksum(name)
    if name.startswith("xxhash"):
        return _XxhashChecksum(name)
    return _CrcChecksum(name)


def checksum_base64(name: str, data: bytes | memoryview) -> str:
    """The ``x-amz-checksum-<name>`` value of ``data``: base64 of the big-endian digest."""
    checksum = new_checksum(name)
    checksum.update(data)
    return checksum.base64()


def header_name(name: str) -> str:
    """``x-amz-checksum-<name>``: the header (or trailer) that carries checksum ``name``."""
    return HEADER_PREFIX + check_algorithm(name)


def algorithm_of_header(header: str) -> str | None:
    """The checksum algorithm an ``x-amz-checksum-*`` header name carries, or None."""
    lname = header.strip().lower()
    if lname.startswith(HEADER_PREFIX) and lname[len(HEADER_PREFIX) :] in ALGORITHMS:
        return lname[len(HEADER_PREFIX) :]
    return None


def checksum_headers(groups: Mapping[str, Sequence[str]]) -> list[tuple[str, str, str]]:
    """``(header name, algorithm, value)`` of each ``x-amz-checksum-<algorithm>`` header among
    received header groups (lower-cased name -> values). ValueError, naming it, when one is
    sent more than once: which value is the object's checksum is then unknown, so a plain
    upload and an aws-chunked one both refuse it rather than check one or none."""
    found = []
    for name, values in groups.items():
        algorithm = algorithm_of_header(name)
        if algorithm is None:
            continue
        if len(values) != 1:
            raise ValueError(
                f"{name}: sent {len(values)} times (a checksum header must be sent once)"
            )
        found.append((name, algorithm, values[0]))
    return found


def digest_size(name: str) -> int:
    """Bytes of the digest of ``name`` (so the length of its base64 value is known up front)."""
    return _DIGEST_SIZES[check_algorithm(name)]


_DIGEST_SIZES: Final = {
    "crc32": 4, "crc32c": 4, "crc64nvme": 8, "sha1": 20, "sha256": 32, "sha512": 64,
    "xxhash64": 8, "xxhash3": 8, "xxhash128": 16,
}


CHECKSUM_TYPES: Final = {
    "FULL_OBJECT": frozenset({"crc32", "crc32c", "crc64nvme"}),
    "COMPOSITE": frozenset({"crc32", "crc32c", "sha1", "sha256"}),
}
"""S3's multipart checksum types (``x-amz-checksum-type``) and the algorithms S3 documents for
each: a full-object checksum must combine, which only the CRCs do; CRC64NVME is full-object
only. (S3 documents no type for SHA512 or the xxHash family yet: not judged.)"""


def multipart_checksum_problem(checksum_type: str | None, algorithms: set[str]) -> str | None:
    """Why S3 refuses a CompleteMultipartUpload (or CreateMultipartUpload) with this
    ``x-amz-checksum-type`` and these checksum algorithms, or None."""
    if checksum_type is None:
        return None
    wanted = checksum_type.strip().upper()
    allowed = CHECKSUM_TYPES.get(wanted)
    if allowed is None:
        return (
            f"x-amz-checksum-type: must be FULL_OBJECT or COMPOSITE, got {checksum_type[:40]!r}"
        )
    judged = CHECKSUM_TYPES["FULL_OBJECT"] | CHECKSUM_TYPES["COMPOSITE"]
    wrong = sorted((algorithms & judged) - allowed)
    if not wrong:
        return None
    return (
        f"x-amz-checksum-type: {wanted} does not go with {', '.join(wrong)} (S3 takes "
        f"{wanted} with {', '.join(sorted(allowed))} only): S3 refuses the upload"
    )
