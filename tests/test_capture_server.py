"""sigv4kit.testing.capture: requests recorded exactly as sent, bounded, over HTTP and HTTPS."""

from __future__ import annotations

import socket
import ssl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sigv4kit.testing.capture import CaptureServer


def _exchange(sock: socket.socket, data: bytes, answers: int) -> bytes:
    sock.sendall(data)
    got = b""
    while got.count(b"HTTP/1.1 ") < answers:
        more = sock.recv(65536)
        if not more:
            break
        got += more
    return got


def test_records_head_and_raw_body_exactly_with_keep_alive() -> None:
    first = (b"PUT /b/k?x=1 HTTP/1.1\r\nHost: h\r\nX-Dup: 1\r\nx-dup:  2 \r\n"
             b"Transfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nT: v\r\n\r\n")
    second = b"POST /two HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nwxyz"
    with CaptureServer() as server, socket.create_connection(("127.0.0.1", server.port), 5) as s:
        answer = _exchange(s, first + second, 2)
    assert answer.count(b"HTTP/1.1 200 OK") == 2
    one, two = server.requests
    assert one.head == first[: first.index(b"\r\n\r\n") + 4]
    assert one.headers[1:3] == (("X-Dup", "1"), ("x-dup", "2"))
    assert one.raw_body == b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nT: v\r\n\r\n"
    assert one.body == b"abcde"
    request = one.to_request()
    assert request.url == "http://h/b/k?x=1" and request.body == b"abcde"
    assert (two.method, two.target, two.body) == ("POST", "/two", b"wxyz")


def test_expect_continue_is_answered_before_the_body() -> None:
    head = b"PUT /k HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"
    with CaptureServer() as server, socket.create_connection(("127.0.0.1", server.port), 5) as s:
        assert _exchange(s, head, 1).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        assert b"200 OK" in _exchange(s, b"ok", 1)
    assert server.requests[0].body == b"ok"


def test_bodies_over_the_limit_are_not_recorded() -> None:
    with CaptureServer(max_body=10) as server, socket.create_connection(
        ("127.0.0.1", server.port), 5
    ) as s:
        s.sendall(b"PUT /k HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n")
        assert s.recv(100) == b""  # closed
    assert server.requests == []


def test_https_with_the_trustme_ca() -> None:
    with CaptureServer(tls=True) as server:
        assert server.ca_file is not None and server.url.startswith("https://127.0.0.1:")
        context = ssl.create_default_context(cafile=server.ca_file)
        with socket.create_connection(("127.0.0.1", server.port), 5) as raw, \
                context.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            assert b"200 OK" in _exchange(s, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 1)
    assert server.requests[0].scheme == "https"
    assert server.requests[0].to_request().url == "https://x/"


# -- sigv4kit.wire.ChunkedBodyReader: HTTP chunked framing taken off as it is read -------------


def _h11_body(framed: bytes) -> bytes:
    """h11's decoding of the same body (the independent oracle)."""
    import h11

    conn = h11.Connection(h11.SERVER)
    conn.receive_data(b"PUT / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + framed)
    out = b""
    while True:
        event = conn.next_event()
        if isinstance(event, h11.Data):
            out += bytes(event.data)
        elif isinstance(event, h11.EndOfMessage):
            return out
        elif event is h11.NEED_DATA:
            raise AssertionError("h11 needs more data")


@given(st.lists(st.binary(min_size=1, max_size=300), max_size=12), st.data())
def test_chunked_reader_in_any_pieces_agrees_with_h11(
    chunks: list[bytes], draw: st.DataObject
) -> None:
    from sigv4kit.wire import ChunkedBodyReader, decode_http_chunked

    ext = draw.draw(st.sampled_from([b"", b";a=b", b";chunk-signature=00"]))
    trailer = draw.draw(st.sampled_from([b"", b"x-amz-checksum-crc32: AAAAAA==\r\n"]))
    framed = b"".join(b"%x%s\r\n%s\r\n" % (len(c), ext, c) for c in chunks)
    framed += b"0\r\n" + trailer + b"\r\n"
    expected = _h11_body(framed)
    assert expected == b"".join(chunks) == decode_http_chunked(framed + b"NEXT REQUEST")
    cuts = sorted(draw.draw(st.lists(st.integers(0, len(framed)), max_size=8)))
    reader = ChunkedBodyReader()
    out = b""
    for start, end in zip([0, *cuts], [*cuts, len(framed)], strict=True):
        out += b"".join(reader.feed(framed[start:end]))
    reader.finish()
    assert out == expected and reader.done


def test_chunked_reader_refuses_what_is_not_chunked() -> None:
    from sigv4kit.wire import ChunkedBodyReader, MalformedInputError

    for bad, what in ((b"zz\r\n", "not hex"), (b"3\r\nabcX", "not followed by CRLF"),
                      (b"5\r\nab", "runs past the end"), (b"3\r\nabc\r\n", "before the last"),
                      (b"1" * 5000, "longer than 4096"),
                      (b"0\r\n" + b"t: v\r\n" * 33 + b"\r\n", "more than 32 trailer")):
        reader = ChunkedBodyReader()
        with pytest.raises(MalformedInputError, match=what):
            for i in range(len(bad)):  # a byte at a time: the worst split
                reader.feed(bad[i : i + 1])
            reader.finish()
