"""``sign_chunked`` uploads into moto's S3 server (SigV4 checking on), sent with ``requests``.

What moto 5.x does with aws-chunked (read from its ``s3/responses.py`` and checked here): it
verifies the seed signature (a wrong one is 403 ``SignatureDoesNotMatch``) and strips the framing
of all three SigV4 variants before storing the object, but never checks chunk signatures,
trailer signatures or checksums (a forged chunk is stored as sent), and it does not support
SigV4a at all (403 for any SigV4a signature), so the two SigV4a variants cannot be tried here;
they are checked against sigv4kit's verifier and the derived public key in test_streaming.py.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import requests

from sigv4kit import Request
from sigv4kit.streaming import sign_chunked

from .servers import MotoServer

pytestmark = pytest.mark.slow
BUCKET = "sigv4kit-streaming"


@pytest.fixture(scope="module")
def s3(moto_server: MotoServer) -> Any:
    client = moto_server.botocore_client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


def _put(moto_server: MotoServer, key: str, data: bytes, **kw: Any) -> requests.Response:
    upload = sign_chunked(
        Request("PUT", f"{moto_server.endpoint_url}/{BUCKET}/{key}"), moto_server.credentials,
        region="us-east-1", service="s3", payload=data, **kw,
    )
    return requests.put(
        upload.request.url, headers=dict(upload.request.headers), data=upload.body, timeout=20
    )


@pytest.mark.parametrize(
    ("signed", "trailer", "payload_hash"),
    [
        (True, None, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        (True, "crc32", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"),
        (True, "sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"),
        (False, "crc32", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        (False, "crc64nvme", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
    ],
)
def test_stored_object_equals_input(
    moto_server: MotoServer, s3: Any, signed: bool, trailer: str | None, payload_hash: str
) -> None:
    data = os.urandom(300_001)
    key = f"obj-{payload_hash}-{trailer}"
    response = _put(moto_server, key, data, signed=signed, trailer=trailer)
    assert response.status_code == 200, response.text
    stored = s3.get_object(Bucket=BUCKET, Key=key)
    assert stored["Body"].read() == data
    assert stored["ContentLength"] == len(data)


def test_file_payload_in_one_mib_chunks(moto_server: MotoServer, s3: Any, tmp_path: Any) -> None:
    data = os.urandom(3 * 1024 * 1024 + 5)
    path = tmp_path / "object.bin"
    path.write_bytes(data)
    with path.open("rb") as file:
        response = _put(moto_server, "from-file", file, chunk_size=1024 * 1024, trailer="crc32")
    assert response.status_code == 200, response.text
    assert s3.get_object(Bucket=BUCKET, Key="from-file")["Body"].read() == data


def test_moto_checks_the_seed_signature(moto_server: MotoServer) -> None:
    upload = sign_chunked(
        Request("PUT", f"{moto_server.endpoint_url}/{BUCKET}/forged"), moto_server.credentials,
        region="us-east-1", service="s3", payload=b"x" * 10, trailer="crc32",
    )
    headers = dict(upload.request.headers)
    headers["X-Amz-Decoded-Content-Length"] = "11"  # signed: the seed no longer matches
    response = requests.put(upload.request.url, headers=headers, data=upload.body, timeout=20)
    assert response.status_code == 403
    assert "SignatureDoesNotMatch" in response.text


def test_unknown_length_goes_out_http_chunked(moto_server: MotoServer, s3: Any) -> None:
    """An iterable payload of unknown length: no Content-Length, so ``requests`` sends the
    aws-chunked body inside Transfer-Encoding: chunked, as boto3 does."""
    data = os.urandom(200_000)
    response = _put(moto_server, "unknown-length", iter([data[:5000], data[5000:]]),
                    signed=False, trailer="crc32")
    assert response.status_code == 200, response.text
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert s3.get_object(Bucket=BUCKET, Key="unknown-length")["Body"].read() == data
