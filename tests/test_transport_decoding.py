"""Content-Encoding undone in bounded steps (``sigv4kit.transport.decoding``), checked against
zlib/gzip themselves: every coding the transport asks for, odd but valid forms servers send,
and the refusals."""

from __future__ import annotations

import gzip
import zlib

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from sigv4kit.transport.decoding import DecodingError, decoded


def _pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)] or [b""]


@given(st.binary(max_size=5000), st.integers(1, 700), st.integers(1, 300),
       st.sampled_from(["gzip", "x-gzip", "deflate", "deflate-raw", "gzip, gzip", "identity"]))
def test_decoded_equals_the_original_in_bounded_pieces(data: bytes, feed: int, chunk: int,
                                                       coding: str) -> None:
    if coding in ("gzip", "x-gzip"):
        wire = gzip.compress(data)
    elif coding == "gzip, gzip":
        wire = gzip.compress(gzip.compress(data))
    elif coding == "deflate":
        wire = zlib.compress(data)
    elif coding == "deflate-raw":  # no zlib header, as some servers send "deflate"
        packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        wire, coding = packer.compress(data) + packer.flush(), "deflate"
        # Ambiguous, for any decoder: raw bytes that happen to start like a zlib header.
        assume(not (len(wire) > 1 and wire[0] & 0x0F == 8 and (wire[0] * 256 + wire[1]) % 31 == 0))
    else:
        wire = data
    out = list(decoded(_pieces(wire, feed), coding, chunk))
    assert b"".join(out) == data
    if coding != "identity":
        assert all(len(piece) <= chunk for piece in out)


def test_several_gzip_members_are_one_body() -> None:
    wire = gzip.compress(b"one ") + gzip.compress(b"two")
    assert b"".join(decoded([wire], "gzip", 4)) == b"one two"


@pytest.mark.parametrize("coding,wire", [
    ("br", b"\x0b\x01\x80hello\x03"),
    ("gzip, gzip, gzip", gzip.compress(b"x")),
    ("gzip", b"not gzip at all"),
    ("gzip", gzip.compress(b"x" * 1000)[:-12]),  # cut short
])
def test_refused(coding: str, wire: bytes) -> None:
    with pytest.raises(DecodingError):
        b"".join(decoded([wire], coding, 1024))
