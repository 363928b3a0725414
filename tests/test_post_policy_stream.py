"""The streaming POST verifier (python-multipart driving ``PostUploadVerifier``) and the
loopback ``PostUploadServer``: boto3's forms upload, S3's answers, refusal as soon as the file
passes its maximum, bounded fields."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from sigv4kit import Credentials
from sigv4kit.post_policy import PostReason, presigned_post
from sigv4kit.post_stream import PostRefused, PostUploadVerifier
from sigv4kit.testing.post_server import MultipartPostReader, PostUploadServer

from .test_post_policy import CREDS, boto3_post

BUCKET = "uploads-bucket"
NOW = datetime(2024, 5, 1, 12, 40, tzinfo=UTC)


def lookup(akid: str) -> Credentials | None:
    return CREDS if akid == CREDS.access_key_id else None


def multipart(fields: list[tuple[str, str]], filename: str, data: bytes) -> tuple[str, bytes]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                  f"{value}\r\n".encode())
    out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
              f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode())
    out.write(data + f"\r\n--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", out.getvalue()


def form(endpoint_url: str | None = None, **kw: Any) -> tuple[str, dict[str, str]]:
    made = boto3_post(BUCKET, "in/${filename}", "us-east-1", endpoint_url=endpoint_url,
                      conditions=kw.pop("conditions", [["content-length-range", 1, 1000]]), **kw)
    return made["url"], made["fields"]


def test_reader_refuses_as_soon_as_the_maximum_is_passed() -> None:
    _, fields = form()
    content_type, body = multipart(list(fields.items()), "big.bin", b"x" * 100_000)
    verifier = PostUploadVerifier(lookup, bucket=BUCKET, now=NOW)
    stored: list[bytes] = []
    reader = MultipartPostReader(verifier, content_type, stored.append)
    fed = 0
    with pytest.raises(PostRefused) as refused:
        for start in range(0, len(body), 512):
            fed += 512
            reader.feed(body[start:start + 512])
    assert refused.value.verdict.code == "EntityTooLarge"
    assert fed < 3000  # stopped within a few pieces of the 1000-byte maximum, not at 100 kB
    assert sum(map(len, stored)) <= 1000


def test_reader_limits_field_count_and_size() -> None:
    _, fields = form()
    many = [(f"x-ignore-{i}", "v") for i in range(200)] + list(fields.items())
    content_type, body = multipart(many, "a.txt", b"abc")
    reader = MultipartPostReader(PostUploadVerifier(lookup, bucket=BUCKET, now=NOW),
                                 content_type, lambda _: None)
    with pytest.raises(PostRefused) as refused:
        reader.feed(body)
    assert refused.value.verdict.code == "MaxPostPreDataLengthExceeded"
    content_type, body = multipart([("x-ignore-big", "v" * 50_000)], "a.txt", b"abc")
    reader = MultipartPostReader(PostUploadVerifier(lookup, bucket=BUCKET, now=NOW),
                                 content_type, lambda _: None)
    with pytest.raises(PostRefused):
        for start in range(0, len(body), 4096):
            reader.feed(body[start:start + 4096])
    assert len(reader._value) <= 20 * 1024 + 4096


def clock() -> datetime:
    return NOW


def test_server_stores_boto3_upload_and_answers_as_s3() -> None:
    with PostUploadServer(CREDS, bucket=BUCKET, now=clock) as srv:
        url, fields = form(endpoint_url=srv.origin,
                           fields={"success_action_status": "201"},
                           conditions=[{"success_action_status": "201"},
                                       ["content-length-range", 1, 1000]])
        assert url == srv.url
        reply = requests.post(url, data=fields, files={"file": ("cat.txt", b"meow")}, timeout=10)
        assert reply.status_code == 201, reply.text
        assert "<Key>in/cat.txt</Key>" in reply.text
        assert srv.objects == {"in/cat.txt": b"meow"}

        url, fields = form(endpoint_url=srv.origin)
        reply = requests.post(url, data=fields, files={"file": ("d.txt", b"woof")}, timeout=10)
        assert reply.status_code == 204 and srv.objects["in/d.txt"] == b"woof"

        url, fields = form(endpoint_url=srv.origin,
                           fields={"success_action_redirect": "http://example.test/done"},
                           conditions=[["starts-with", "$success_action_redirect", ""]])
        reply = requests.post(url, data=fields, files={"file": ("e.txt", b"e")},
                              allow_redirects=False, timeout=10)
        assert reply.status_code == 303
        assert reply.headers["Location"].startswith("http://example.test/done?bucket=")


def test_server_refuses_with_s3_xml_and_stores_nothing() -> None:
    with PostUploadServer(CREDS, bucket=BUCKET, now=clock) as srv:
        url, fields = form(endpoint_url=srv.origin)
        reply = requests.post(url, data=fields, files={"file": ("big", b"z" * 5000)}, timeout=10)
        assert reply.status_code == 400 and "<Code>EntityTooLarge</Code>" in reply.text
        fields["key"] = "elsewhere/x"
        reply = requests.post(url, data=fields, files={"file": ("a", b"a")}, timeout=10)
        assert reply.status_code == 403
        assert "Policy Condition failed: [\"starts-with\", \"$key\", \"in/\"]" in reply.text
        assert srv.objects == {}
        assert [v.reason for v in srv.verdicts] == [
            PostReason.ENTITY_TOO_LARGE, PostReason.CONDITION_FAILED
        ]


def test_our_form_round_trip() -> None:
    with PostUploadServer(CREDS, bucket=BUCKET, now=clock) as srv:
        post = presigned_post(CREDS, bucket=BUCKET, key="k/${filename}", region="us-east-1",
                              endpoint_url=srv.origin, timestamp="20240501T123000Z",
                              conditions=[["content-length-range", 0, 10]])
        reply = requests.post(post.url, data=post.fields, files={"file": ("f", b"")},
                              timeout=10)
        assert reply.status_code == 204 and srv.objects == {"k/f": b""}
