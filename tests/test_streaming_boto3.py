"""boto3's real uploads, captured on loopback exactly as sent, verified by sigv4kit.

boto3 PutObject and UploadPart over HTTPS (a trustme certificate): by default it sends
``aws-chunked`` inside ``Transfer-Encoding: chunked`` with ``STREAMING-UNSIGNED-PAYLOAD-TRAILER``
and a CRC32 trailer; with ``request_checksum_calculation="when_required"`` a plain body whose
SHA-256 is signed. Each capture must verify with its body, decode to the object, and be refused
with the right reason once a byte is flipped, the checksum changed or the body truncated.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import pytest
from botocore import httpchecksum

from sigv4kit import UNSIGNED_PAYLOAD, Credentials, Request, sign_request
from sigv4kit.checksums import ALGORITHMS, checksum_base64
from sigv4kit.received import Reason
from sigv4kit.streaming import ChunkedVerifier
from sigv4kit.testing.capture import CapturedRequest, CaptureServer
from sigv4kit.verify import verify_request

CREDS = Credentials("AKIDCAPTURE", "capture/secret+KEY/wJalrXUtnFEMI", "SESSION+TOKEN/abc=")
LOOKUP = {CREDS.access_key_id: CREDS}.get
SIZES = {"small": 11, "multi-MB": 5 * 1024 * 1024 + 3}


@pytest.fixture(scope="module")
def https_server() -> Iterator[CaptureServer]:
    with CaptureServer(tls=True) as server:
        yield server


def _client(server: CaptureServer, **config: Any) -> Any:
    return boto3.client(
        "s3", region_name="us-east-1", endpoint_url=server.url, verify=server.ca_file,
        aws_access_key_id=CREDS.access_key_id, aws_secret_access_key=CREDS.secret_access_key,
        aws_session_token=CREDS.session_token,
        config=botocore.config.Config(
            s3={"addressing_style": "path"}, retries={"max_attempts": 1},
            connect_timeout=5, read_timeout=20, **config,
        ),
    )


def _upload(server: CaptureServer, operation: str, data: bytes, **config: Any) -> CapturedRequest:
    before = len(server.requests)
    s3 = _client(server, **config)
    if operation == "PutObject":
        s3.put_object(Bucket="bucket", Key="dir/an object.bin", Body=data)
    else:
        s3.upload_part(Bucket="bucket", Key="k", UploadId="up-1", PartNumber=1, Body=data)
    assert len(server.requests) == before + 1
    return server.requests[-1]


def _with_body(captured: CapturedRequest, body: bytes) -> Request:
    request = captured.to_request()
    return Request(request.method, request.url, request.headers, body)


def _data_offset(framed: bytes) -> int:
    """Where the first object byte is in an aws-chunked body (after the first size line)."""
    return framed.index(b"\r\n") + 2


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("operation", ["PutObject", "UploadPart"])
def test_default_settings_aws_chunked_crc32(
    https_server: CaptureServer, operation: str, size: str
) -> None:
    data = os.urandom(SIZES[size])
    captured = _upload(https_server, operation, data)
    assert captured.header("transfer-encoding") == "chunked"
    assert captured.header("x-amz-content-sha256") == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    assert captured.header("x-amz-trailer") == "x-amz-checksum-crc32"
    assert captured.raw_body != captured.body  # the HTTP framing is there, and removed

    result = verify_request(captured.to_request(), LOOKUP)
    assert result.valid, result.message
    assert result.decoded_body == data
    assert result.session_token_signed is True

    framed = captured.body
    flipped = bytearray(framed)
    flipped[_data_offset(framed) + len(data) // 2] ^= 0x01
    bad = verify_request(_with_body(captured, bytes(flipped)), LOOKUP)
    assert bad.reason == Reason.CHECKSUM_MISMATCH, bad.message

    value = checksum_base64("crc32", data).encode()
    assert framed.count(value) == 1
    wrong = framed.replace(value, checksum_base64("crc32", data + b"!").encode())
    assert verify_request(_with_body(captured, wrong), LOOKUP).reason == (
        Reason.CHECKSUM_MISMATCH
    )

    truncated = verify_request(_with_body(captured, framed[: len(framed) // 2]), LOOKUP)
    assert truncated.reason == Reason.MALFORMED_CHUNK, truncated.message
    assert "ends early" in truncated.message or "not followed by CRLF" in truncated.message


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("operation", ["PutObject", "UploadPart"])
def test_when_required_signs_the_body(
    https_server: CaptureServer, operation: str, size: str
) -> None:
    data = os.urandom(SIZES[size])
    captured = _upload(https_server, operation, data, request_checksum_calculation="when_required")
    assert captured.header("content-encoding") is None
    assert captured.body == data

    result = verify_request(captured.to_request(), LOOKUP)
    assert result.valid, result.message

    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x01
    for body in (bytes(flipped), data[:-1]):
        bad = verify_request(_with_body(captured, body), LOOKUP)
        assert bad.reason == Reason.PAYLOAD_HASH_MISMATCH, bad.message


def test_server_streams_a_boto3_upload_through_the_incremental_verifier(
    https_server: CaptureServer,
) -> None:
    """What a server does: headers first, then the de-chunked body in socket-sized reads."""
    data = os.urandom(3 * 1024 * 1024)
    captured = _upload(https_server, "PutObject", data)
    head = Request(captured.method, captured.to_request().url, captured.headers)
    verdict = verify_request(head, LOOKUP, defer_body=True)
    assert verdict.valid, verdict.message
    verifier = ChunkedVerifier(verdict, head, LOOKUP, max_chunk_size=1024 * 1024)
    framed = captured.body
    pieces = []
    for start in range(0, len(framed), 65536):
        pieces += verifier.feed(framed[start : start + 65536])
    final = verifier.finish()
    assert final.valid, final.message
    assert b"".join(pieces) == data


def test_plain_http_capture() -> None:
    data = os.urandom(70_000)
    with CaptureServer() as server:
        captured = _upload(server, "PutObject", data)
    assert server.url.startswith("http://")
    result = verify_request(captured.to_request(), LOOKUP)
    assert result.valid, result.message
    assert (result.decoded_body or captured.body) == data
    assert captured.head.startswith(b"PUT /bucket/dir/an%20object.bin HTTP/1.1\r\n")


def test_sigv4a_upload_with_its_own_content_encoding(https_server: CaptureServer) -> None:
    """boto3 with ``signature_version="s3v4a"`` (signed by awscrt): aws-chunked after the
    caller's gzip, an ECDSA seed over STREAMING-UNSIGNED-PAYLOAD-TRAILER."""
    data = os.urandom(150_000)
    before = len(https_server.requests)
    _client(https_server, signature_version="s3v4a").put_object(
        Bucket="bucket", Key="k", Body=data, ContentEncoding="gzip"
    )
    captured = https_server.requests[before]
    assert captured.header("content-encoding") == "gzip,aws-chunked"
    assert (captured.header("authorization") or "").startswith("AWS4-ECDSA-P256-SHA256 ")
    result = verify_request(captured.to_request(), LOOKUP)
    assert result.valid, result.message
    assert result.decoded_body == data
    framed = bytearray(captured.body)
    framed[_data_offset(captured.body) + 7] ^= 0x20
    assert verify_request(_with_body(captured, bytes(framed)), LOOKUP).reason == (
        Reason.CHECKSUM_MISMATCH
    )


# -- the capture server verifying as S3 would (a server built on ChunkedVerifier) ------------


def _replay(server: CaptureServer, head: bytes, body: bytes) -> bytes:
    import socket
    import ssl

    assert server.ca_file is not None
    context = ssl.create_default_context(cafile=server.ca_file)
    with socket.create_connection(("127.0.0.1", server.port), 10) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as conn:
        conn.sendall(head.replace(b"Expect: 100-continue\r\n", b"") + body)
        answer = b""
        while b"\r\n\r\n" not in answer:
            more = conn.recv(65536)
            if not more:
                break
            answer += more
        return answer


def test_verifying_server_accepts_boto3_and_refuses_forgeries() -> None:
    data = os.urandom(2 * 1024 * 1024 + 1)
    with CaptureServer(tls=True, lookup=LOOKUP) as server:
        _client(server).put_object(Bucket="bucket", Key="k", Body=data)
        good = server.requests[0]
        assert good.verdict is not None and good.verdict.valid, good.verdict
        assert "aws-chunked body (4 chunks, 2097153 bytes)" in good.verdict.message

        assert _replay(server, good.head, good.raw_body).startswith(b"HTTP/1.1 200 OK")
        flipped = bytearray(good.raw_body)
        flipped[len(flipped) // 2] ^= 0x01  # an object byte, inside both framings
        answer = _replay(server, good.head, bytes(flipped))
        assert answer.startswith(b"HTTP/1.1 400 BadDigest"), answer[:200]
        assert server.requests[-1].verdict is not None
        assert server.requests[-1].verdict.reason == Reason.CHECKSUM_MISMATCH


def test_verifying_server_refuses_a_bad_seed_before_the_body() -> None:
    import botocore.exceptions

    with CaptureServer(tls=True, lookup=LOOKUP) as server:
        s3 = boto3.client(
            "s3", region_name="us-east-1", endpoint_url=server.url, verify=server.ca_file,
            aws_access_key_id=CREDS.access_key_id, aws_secret_access_key="wrong-secret",
            aws_session_token=CREDS.session_token,
            config=botocore.config.Config(s3={"addressing_style": "path"},
                                          retries={"max_attempts": 1}),
        )
        with pytest.raises(botocore.exceptions.ClientError) as info:
            s3.put_object(Bucket="bucket", Key="k", Body=os.urandom(3 * 1024 * 1024))
    assert info.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    refused = server.requests[0]
    assert refused.verdict is not None and refused.verdict.reason == Reason.SIGNATURE_MISMATCH
    assert refused.raw_body == b""  # answered before any of the body was read


def test_verifying_server_with_a_signed_plain_body() -> None:
    data = os.urandom(1024 * 1024)
    with CaptureServer(tls=True, lookup=LOOKUP) as server:
        _client(server, request_checksum_calculation="when_required").put_object(
            Bucket="bucket", Key="k", Body=data
        )
        good = server.requests[0]
        assert good.verdict is not None and good.verdict.valid, good.verdict
        head = Request(good.method, good.to_request().url, good.headers)
        deferred = verify_request(head, LOOKUP, defer_body=True)
        assert deferred.valid and "body not verified yet" in deferred.message
        flipped = bytearray(good.raw_body)
        flipped[12345] ^= 0x01
        answer = _replay(server, good.head, bytes(flipped))
        assert answer.startswith(b"HTTP/1.1 400 XAmzContentSHA256Mismatch"), answer[:200]


# -- every checksum botocore sends (issue 23): each ChecksumAlgorithm, PUT and multipart -------

BOTOCORE_ALGORITHMS = sorted(name.upper() for name in httpchecksum._SUPPORTED_CHECKSUM_ALGORITHMS)


def test_sigv4kit_knows_every_checksum_botocore_sends() -> None:
    assert sorted(a.upper() for a in ALGORITHMS) == BOTOCORE_ALGORITHMS
    assert len(BOTOCORE_ALGORITHMS) == 9  # awscrt installed: the CRT and xxhash ones too


@pytest.fixture(scope="module")
def verifying_https_server() -> Iterator[CaptureServer]:
    with CaptureServer(tls=True, lookup=LOOKUP) as server:
        yield server


def _all_valid(requests: list[CapturedRequest]) -> None:
    for captured in requests:
        assert captured.verdict is not None and captured.verdict.valid, captured.verdict


@pytest.mark.parametrize("algorithm", BOTOCORE_ALGORITHMS)
def test_each_checksum_algorithm_put_and_multipart(
    verifying_https_server: CaptureServer, algorithm: str
) -> None:
    """boto3 over HTTPS with awscrt sends each as an aws-chunked trailer; the verifying
    server accepts them as sent (it answered 400 to the new four) and refuses a changed one."""
    server = verifying_https_server
    name = algorithm.lower()
    s3 = _client(server)
    before = len(server.requests)
    data = os.urandom(1024 * 1024 + 7)
    s3.put_object(Bucket="bucket", Key="k", Body=data, ChecksumAlgorithm=algorithm)
    parts = [os.urandom(300_000), os.urandom(123_457)]
    upload = s3.create_multipart_upload(Bucket="bucket", Key="mk", ChecksumAlgorithm=algorithm)
    done = []
    for number, part in enumerate(parts, 1):
        answer = s3.upload_part(Bucket="bucket", Key="mk", UploadId=upload["UploadId"],
                                PartNumber=number, Body=part, ChecksumAlgorithm=algorithm)
        done.append({"ETag": answer["ETag"], "PartNumber": number,
                     f"Checksum{algorithm}": checksum_base64(name, part)})
    s3.complete_multipart_upload(Bucket="bucket", Key="mk", UploadId=upload["UploadId"],
                                 MultipartUpload={"Parts": done})
    captured = server.requests[before:]
    assert len(captured) == 5
    _all_valid(captured)
    uploads = [captured[0], captured[2], captured[3]]
    for sent, payload in zip(uploads, [data, *parts], strict=True):
        assert sent.header("x-amz-trailer") == f"x-amz-checksum-{name}"
        assert sent.header("x-amz-content-sha256") == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
        value = checksum_base64(name, payload).encode()
        assert sent.body.count(value) == 1  # botocore's value is ours
        result = verify_request(sent.to_request(), LOOKUP)
        assert result.valid and result.decoded_body == payload, result.message
        flipped = bytearray(sent.body)
        flipped[_data_offset(sent.body) + 3] ^= 0x01
        assert verify_request(_with_body(sent, bytes(flipped)), LOOKUP).reason == (
            Reason.CHECKSUM_MISMATCH
        )
    forged = captured[0].raw_body.replace(checksum_base64(name, data).encode(),
                                          checksum_base64(name, data[1:]).encode())
    answer = _replay(server, captured[0].head, forged)
    assert answer.startswith(b"HTTP/1.1 400 BadDigest"), answer[:200]


@pytest.mark.parametrize("algorithm", BOTOCORE_ALGORITHMS)
def test_each_checksum_algorithm_as_a_header(algorithm: str) -> None:
    """Over plain HTTP boto3 sends the checksum as a header of a plain body: checked against
    the body (BadDigest), on PUT; botocore's own checksum classes give the oracle value."""
    name = algorithm.lower()
    data = os.urandom(70_001)
    with CaptureServer(lookup=LOOKUP) as server:
        _client(server).put_object(Bucket="bucket", Key="k", Body=data,
                                   ChecksumAlgorithm=algorithm)
    captured = server.requests[0]
    _all_valid([captured])
    oracle = httpchecksum._CHECKSUM_CLS[name]()
    oracle.update(data)
    assert captured.header(f"x-amz-checksum-{name}") == oracle.b64digest()
    url = "https://bucket.s3.amazonaws.com/k"
    for payload, reason in ((data, Reason.OK), (data[:-1], Reason.CHECKSUM_MISMATCH)):
        signed = sign_request(
            Request("PUT", url, [(f"x-amz-checksum-{name}", oracle.b64digest())]), CREDS,
            region="us-east-1", service="s3", payload_hash=UNSIGNED_PAYLOAD,
            content_sha256_header=True,
        ).request
        result = verify_request(_replace_body(signed, payload), LOOKUP)
        assert result.reason == reason, result.message
    post = sign_request(
        Request("POST", url + "?uploadId=u", [(f"x-amz-checksum-{name}", oracle.b64digest())],
                b"<CompleteMultipartUpload/>"),
        CREDS, region="us-east-1", service="s3",
    ).request
    assert verify_request(post, LOOKUP).valid  # the whole object's checksum, not the XML's


def _replace_body(request: Request, body: bytes) -> Request:
    return Request(request.method, request.url, request.headers, body)


def test_explain_reads_the_multipart_checksum_type(https_server: CaptureServer) -> None:
    """CreateMultipartUpload / CompleteMultipartUpload as boto3 sends them with ChecksumType:
    explain accepts FULL_OBJECT with a CRC and COMPOSITE with SHA-256, and warns on the
    combinations S3 refuses (FULL_OBJECT with SHA-256, COMPOSITE with CRC64NVME)."""
    from sigv4kit.diagnose.explain import explain_request

    s3 = _client(https_server)
    cases = [("CRC64NVME", "FULL_OBJECT", False), ("CRC32", "COMPOSITE", False),
             ("SHA256", "COMPOSITE", False), ("SHA256", "FULL_OBJECT", True),
             ("CRC64NVME", "COMPOSITE", True)]
    for algorithm, kind, refused in cases:
        before = len(https_server.requests)
        upload = s3.create_multipart_upload(Bucket="bucket", Key="k", ChecksumAlgorithm=algorithm,
                                            ChecksumType=kind)
        part = {"ETag": '"x"', "PartNumber": 1, f"Checksum{algorithm}": "AAAAAA=="}
        s3.complete_multipart_upload(Bucket="bucket", Key="k", UploadId=upload["UploadId"],
                                     ChecksumType=kind, MultipartUpload={"Parts": [part]})
        create, complete = https_server.requests[before:]
        assert create.header("x-amz-checksum-type") == kind
        assert complete.header("x-amz-checksum-type") == kind
        assert f"<Checksum{algorithm}>".encode() in complete.body
        for sent in (create, complete):
            codes = [w.code for w in explain_request(sent.to_request()).warnings]
            assert ("checksum_type_mismatch" in codes) == refused, (algorithm, kind, codes)


def test_cli_verifies_and_explains_a_big_chunked_capture(
    https_server: CaptureServer, tmp_path: Path
) -> None:
    """Issue 23: any raw capture over 1 MiB sent with Transfer-Encoding: chunked (every boto3
    or AWS CLI HTTPS upload over 1 MiB) made ``explain|verify @file`` exit 2. Now the HTTP
    framing comes off as the body streams: exit 0, and 1 once a byte is changed."""
    import subprocess
    import sys

    data = os.urandom(3 * 1024 * 1024 + 5)
    captured = _upload(https_server, "PutObject", data)
    assert captured.header("transfer-encoding") == "chunked"
    path = tmp_path / "capture.http"
    path.write_bytes(captured.head + captured.raw_body)
    assert path.stat().st_size > 3 * 1024 * 1024
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=CREDS.access_key_id,
               AWS_SECRET_ACCESS_KEY=CREDS.secret_access_key,
               AWS_SESSION_TOKEN=CREDS.session_token or "",
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "sigv4kit", *args], capture_output=True,
                              text=True, env=env, timeout=120)

    verified = cli("verify", f"@{path}", "--output", "json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert '"valid": true' in verified.stdout and "3145733 bytes" in verified.stdout
    explained = cli("explain", f"@{path}")
    assert explained.returncode == 0, explained.stdout + explained.stderr

    raw = bytearray(captured.raw_body)
    raw[len(raw) // 2] ^= 0x01  # an object byte, inside both framings
    path.write_bytes(captured.head + bytes(raw))
    tampered = cli("verify", f"@{path}")
    assert tampered.returncode == 1, tampered.stdout + tampered.stderr
    assert "checksum_mismatch" in tampered.stdout + tampered.stderr
    path.write_bytes(captured.head + captured.raw_body[: len(captured.raw_body) // 2])
    cut = cli("verify", f"@{path}")
    assert cut.returncode in (1, 2) and "Traceback" not in cut.stderr
    assert "before the last chunk" in cut.stderr or "runs past the end" in cut.stderr
