"""Every adapter, sync and async, against moto's server with signature checking on (moto
recomputes each signature with botocore): S3, STS (form body) and DynamoDB (JSON protocol).

What was stored is checked with botocore, independently of sigv4kit: a key sent with '+' must
be stored with '+', not a space."""

from __future__ import annotations

import hashlib
import io
import itertools
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from defusedxml import ElementTree

from sigv4kit import Credentials, SigningError
from sigv4kit.options import UNSIGNED_PAYLOAD

from .adapter_clients import KINDS, Chunks, call, make_auth
from .servers import MotoServer

pytestmark = pytest.mark.slow

KEYS = ["sp ace.txt", "plus+sign", "tilde~x", "per%cent", "unicodé/ключ ✓", "mix +~%/a b+c"]
"""Object keys holding a space, '+', '~', '%', non-ASCII text, and all of them at once."""
_bucket_numbers = itertools.count()
STS_FORM = {"Action": "GetCallerIdentity", "Version": "2011-06-15"}
DDB_HEADERS = {"X-Amz-Target": "DynamoDB_20120810.ListTables",
               "Content-Type": "application/x-amz-json-1.0"}


def _xml_texts(body: bytes, tag: str) -> list[str]:
    root = ElementTree.fromstring(body)
    return [el.text or "" for el in root.iter() if el.tag.rpartition("}")[2] == tag]


@pytest.fixture
def bucket(moto_server: MotoServer, request: pytest.FixtureRequest) -> Iterator[str]:
    """A new bucket, created through the adapter under test (CreateBucket)."""
    kind = request.node.callspec.params["kind"]
    name = f"sigv4kit-{kind}-{next(_bucket_numbers)}"
    auth = make_auth(kind, moto_server.credentials, "us-east-1", "s3")
    created = call(kind, auth, "PUT", f"{moto_server.endpoint_url}/{name}")
    assert created.status == 200, created.body
    yield name


def _raw_url(base: str, bucket: str, key: str) -> str:
    """The key as a user writes it into a URL: raw, but '%' (which only an escape may hold)
    written as %25; each library quotes the rest its own way."""
    return f"{base}/{bucket}/{key.replace('%', '%25')}"


@pytest.mark.parametrize("kind", KINDS)
def test_s3_keys_put_listed_and_read_back(moto_server: MotoServer, bucket: str, kind: str) -> None:
    auth = make_auth(kind, moto_server.credentials, "us-east-1", "s3")
    base = moto_server.endpoint_url
    for n, key in enumerate(KEYS):
        url = _raw_url(base, bucket, key) if n % 2 else f"{base}/{bucket}/{quote(key)}"
        put = call(kind, auth, "PUT", url, body=f"body of {key}".encode())
        assert put.status == 200, (key, put.body)
        assert "+" not in put.sent_url.partition("?")[0].rpartition(bucket)[2]
        got = call(kind, auth, "GET", _raw_url(base, bucket, key))
        assert got.status == 200 and got.body == f"body of {key}".encode(), key
    stored = moto_server.botocore_client("s3").list_objects_v2(Bucket=bucket)
    assert sorted(o["Key"] for o in stored["Contents"]) == sorted(KEYS)

    listed = call(kind, auth, "GET", f"{base}/{bucket}",
                  params={"list-type": "2", "prefix": "mix +"})
    assert listed.status == 200, listed.body
    assert _xml_texts(listed.body, "Key") == ["mix +~%/a b+c"]
    assert _xml_texts(listed.body, "Prefix") == ["mix +"]


@pytest.mark.parametrize("kind", KINDS)
def test_s3_streamed_uploads_read_back(
    moto_server: MotoServer, bucket: str, kind: str, tmp_path: Path
) -> None:
    base = moto_server.endpoint_url
    data = bytes(range(256)) * 1024 + b"tail"
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    auth = make_auth(kind, moto_server.credentials, "us-east-1", "s3")
    hashed = make_auth(kind, moto_server.credentials, "us-east-1", "s3", hash_seekable=True)
    with path.open("rb") as file:
        put = call(kind, auth, "PUT", f"{base}/{bucket}/from file", body=file)
    assert put.status == 200, put.body
    chunks = Chunks([data[i:i + 70000] for i in range(0, len(data), 70000)])
    put = call(kind, auth, "PUT", f"{base}/{bucket}/from generator", body=chunks)
    assert put.status == 200, put.body
    if kind != "httpx-async":  # its users stream a file as an async iterator: no file to hash
        with path.open("rb") as file:
            put = call(kind, hashed, "PUT", f"{base}/{bucket}/hashed first", body=file)
        assert put.status == 200, put.body
    s3 = moto_server.botocore_client("s3")
    for key in ("from file", "from generator", "hashed first"):
        if kind == "httpx-async" and key == "hashed first":
            continue
        got = call(kind, auth, "GET", f"{base}/{bucket}/{key}")
        assert got.status == 200 and got.body == data, key
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data


@pytest.mark.parametrize("kind", KINDS)
def test_streamed_body_payload_hash_sent(kind: str, tmp_path: Path) -> None:
    """What the S3 adapter states for each way of streaming, read off the wire by a server
    that records it (``VerifyingServer`` checks the signature as well)."""
    from sigv4kit.testing.verifying_server import VerifyingServer

    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    data = b"x" * 200_000
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    with VerifyingServer(creds) as server:
        plain = make_auth(kind, creds, "us-east-1", "s3")
        hashed = make_auth(kind, creds, "us-east-1", "s3", hash_seekable=True)
        assert call(kind, plain, "PUT", server.url + "/b/gen", body=Chunks([data])).status == 200
        if kind != "httpx-async":
            with path.open("rb") as file:
                assert call(kind, hashed, "PUT", server.url + "/b/f", body=file).status == 200
        stated = [dict((k.lower(), v) for k, v in r.headers)["x-amz-content-sha256"]
                  for r in server.requests]
        assert all(r.body == data for r in server.requests)
    expected = [UNSIGNED_PAYLOAD]
    if kind != "httpx-async":
        expected.append(hashlib.sha256(data).hexdigest())
    assert stated == expected


@pytest.mark.parametrize("kind", KINDS)
def test_sts_and_dynamodb(moto_server: MotoServer, kind: str) -> None:
    url = moto_server.endpoint_url + "/"
    sts = call(kind, make_auth(kind, moto_server.credentials, "us-east-1", "sts"), "POST", url,
               form=STS_FORM)
    assert sts.status == 200, sts.body
    assert _xml_texts(sts.body, "Arn")[0].endswith(":user/sigv4kit-user")
    ddb = call(kind, make_auth(kind, moto_server.credentials, "us-east-1", "dynamodb"), "POST",
               url, body=b"{}", headers=DDB_HEADERS)
    assert ddb.status == 200, ddb.body
    assert "TableNames" in ddb.body.decode()


@pytest.mark.parametrize("kind", KINDS)
def test_wrong_secret_is_refused(moto_server: MotoServer, bucket: str, kind: str) -> None:
    wrong = Credentials(moto_server.access_key_id, "wrong-secret-0123456789")
    base = moto_server.endpoint_url
    s3 = make_auth(kind, wrong, "us-east-1", "s3")
    for method, url, body in (("PUT", f"{base}/{bucket}/k+ey", b"x"),
                              ("GET", f"{base}/{bucket}/k+ey", None),
                              ("PUT", f"{base}/{bucket}/streamed", Chunks([b"a", b"b"]))):
        answer = call(kind, s3, method, url, body=body)
        assert answer.status == 403 and b"SignatureDoesNotMatch" in answer.body, answer.body
    sts = call(kind, make_auth(kind, wrong, "us-east-1", "sts"), "POST", base + "/",
               form=STS_FORM)
    assert sts.status == 403 and b"SignatureDoesNotMatch" in sts.body
    ddb = call(kind, make_auth(kind, wrong, "us-east-1", "dynamodb"), "POST", base + "/",
               body=b"{}", headers=DDB_HEADERS)
    assert ddb.status in (400, 403) and b"Signature" in ddb.body
    listed = moto_server.botocore_client("s3").list_objects_v2(Bucket=bucket)
    assert listed.get("KeyCount") == 0


@pytest.mark.parametrize("kind", KINDS)
def test_provider_fresh_credentials_used_from_next_request(
    moto_server: MotoServer, kind: str
) -> None:
    """The provider is asked before every request: whose key signed each call shows in
    GetCallerIdentity's Arn."""
    current = [moto_server.denied_credentials]
    asked: list[Credentials] = []

    def provider() -> Credentials:
        asked.append(current[0])
        return current[0]

    auth = make_auth(kind, provider, "us-east-1", "sts")
    url = moto_server.endpoint_url + "/"
    first = call(kind, auth, "POST", url, form=STS_FORM)
    current[0] = moto_server.credentials
    second = call(kind, auth, "POST", url, form=STS_FORM)
    assert first.status == second.status == 200
    assert _xml_texts(first.body, "Arn")[0].endswith(":user/sigv4kit-no-policy")
    assert _xml_texts(second.body, "Arn")[0].endswith(":user/sigv4kit-user")
    assert asked == [moto_server.denied_credentials, moto_server.credentials]


@pytest.mark.parametrize("kind", KINDS)
def test_stream_to_other_services_needs_a_choice(kind: str, tmp_path: Path) -> None:
    """A streamed body for a service that is not S3: refused before anything is sent, with
    both ways named; each way, once chosen, is what the server receives."""
    from sigv4kit.testing.verifying_server import VerifyingServer

    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    with VerifyingServer(creds) as server:
        auth = make_auth(kind, creds, "us-east-1", "execute-api")
        with pytest.raises(SigningError) as caught:
            call(kind, auth, "PUT", server.url + "/x", body=Chunks([b"a"]))
        message = str(caught.value)
        assert "unsigned_streams=True" in message and "streaming=True" in message
        assert server.requests == []
        opted = make_auth(kind, creds, "us-east-1", "execute-api", unsigned_streams=True)
        assert call(kind, opted, "PUT", server.url + "/x", body=Chunks([b"a", b"b"])).status \
            == 200
        assert server.requests[-1].body == b"ab"
        if kind != "httpx-async":
            hashed = make_auth(kind, creds, "us-east-1", "execute-api", hash_seekable=True)
            assert call(kind, hashed, "PUT", server.url + "/y", body=io.BytesIO(b"cd")).status \
                == 200
            stated = dict((k.lower(), v) for k, v in server.requests[-1].headers)
            assert "x-amz-content-sha256" not in stated  # signed in the canonical request only
            assert server.requests[-1].body == b"cd"
