"""``streaming=True`` with a body of unknown length (a generator, an async iterator) and no
``X-Amz-Decoded-Content-Length``: S3 refuses such an aws-chunked upload, so every adapter
refuses it first, naming the header, and nothing reaches the server. Other services take it
unsized (HTTP chunked), and S3 takes it with the header."""

from __future__ import annotations

import pytest

from sigv4kit import Credentials, SigningError
from sigv4kit.testing.capture import CaptureServer

from .adapter_clients import KINDS, Chunks, call, make_auth

CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "TOKEN")


def _lookup(key: str) -> Credentials | None:
    return CREDS if key == CREDS.access_key_id else None


@pytest.mark.parametrize("service", ["s3", "s3express"])
@pytest.mark.parametrize("kind", KINDS)
def test_unsized_stream_to_s3_is_refused_before_sending(kind: str, service: str) -> None:
    with CaptureServer(lookup=_lookup) as server:
        auth = make_auth(kind, CREDS, "us-east-1", service, streaming=True)
        with pytest.raises(SigningError) as refused:
            call(kind, auth, "PUT", server.url + "/b/k", body=Chunks([b"a" * 1000]))
        assert server.requests == []
    assert refused.value.field == "X-Amz-Decoded-Content-Length"
    assert str(refused.value).startswith("X-Amz-Decoded-Content-Length: ")


@pytest.mark.parametrize("kind", KINDS)
def test_with_the_header_it_goes_and_verifies(kind: str) -> None:
    with CaptureServer(lookup=_lookup) as server:
        auth = make_auth(kind, CREDS, "us-east-1", "s3", streaming=True)
        answer = call(kind, auth, "PUT", server.url + "/b/k", body=Chunks([b"a" * 1000]),
                      headers={"X-Amz-Decoded-Content-Length": "1000"})
    assert answer.status == 200
    (captured,) = server.requests
    assert captured.verdict is not None and captured.verdict.valid, captured.verdict
