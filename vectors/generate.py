#!/usr/bin/env python3
"""Regenerate the project's own SigV4 vectors from botocore's pure-Python signers.

    python3 tasks.py vectors            # or: .venv/bin/python vectors/generate.py

Writes ``vectors/botocore/<group>.json`` (cases signed by botocore.auth.SigV4Auth,
SigV4QueryAuth, S3SigV4Auth and S3SigV4QueryAuth under a frozen clock) and
``vectors/pinned/<name>.json`` (cases where botocore's presigner is wrong and the expected
values are derived by hand; see vectors/README.md). Output is deterministic: a fixed seed, a
frozen clock, sorted keys. Nothing here imports sigv4kit: the expected values must come from an
implementation that is not ours.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import string
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import quote, urlsplit

import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials as BotoCredentials

HERE = Path(__file__).resolve().parent
OUT = HERE / "botocore"
PINNED = HERE / "pinned"
SEED = 20150830
TIMESTAMP = "20150830T123600Z"
UNSIGNED = "UNSIGNED-PAYLOAD"
FORM_CT = "application/x-www-form-urlencoded; charset=utf-8"

# Obviously fake keys (the AWS documentation's examples and look-alikes).
AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
STS_AKID = "ASIAIOSFODNN7EXAMPLE"
STS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
TOKENS = [
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmx"
    "fpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0K"
    "PkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbq"
    "BAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==",
    "FwoGZXIvYXdzEXAMPLEaDFakeSessionToken+with/slashes=and+pluses==",
    "IQoJb3JpZ2luX2VjEXAMPLE//////////8BEXAMPLETOKEN",
]

S3_OPTIONS = {"normalize_path": False, "double_encode_path": False, "content_sha256_header": True}
S3_PRESIGN_OPTIONS = {
    "normalize_path": False,
    "double_encode_path": False,
    "payload_hash": UNSIGNED,
}
UNSIGNED_HEADER_OPTIONS = {"payload_hash": UNSIGNED, "content_sha256_header": True}

SIGNERS: dict[str, tuple[str, dict[str, Any]]] = {
    # signer class -> (mode, our options equivalent to its defaults)
    "SigV4Auth": ("header", {}),
    "SigV4QueryAuth": ("query", {}),
    "S3SigV4Auth": ("header", S3_OPTIONS),
    "S3SigV4QueryAuth": ("query", S3_PRESIGN_OPTIONS),
}

_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-_.~")


def enc(text: str) -> str:
    """RFC 3986 encoding of UTF-8 (used to build query strings already in canonical form)."""
    return quote(text, safe="-_.~")


def qs(pairs: Iterable[tuple[str, str | None]]) -> str:
    """A query string in canonical encoded form; a ``None`` value gives a bare key."""
    return "&".join(enc(k) if v is None else f"{enc(k)}={enc(v)}" for k, v in pairs)


def s3_key(key: str) -> str:
    """An S3 key as botocore's rest serializer puts it in the path: quoted, '/' and '~' kept."""
    return quote(key, safe="/~")


@dataclass
class Case:
    group: str
    slug: str
    description: str
    signer: str
    method: str
    url: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    region: str = "us-east-1"
    service: str = "service"
    timestamp: str = TIMESTAMP
    expires: int = 3600
    akid: str = AKID
    secret: str = SECRET
    token: str | None = None
    unsigned_payload: bool = False
    options: dict[str, Any] | None = None  # None: derived from signer (+ unsigned_payload)

    def our_options(self) -> dict[str, Any]:
        if self.options is not None:
            return dict(self.options)
        opts = dict(SIGNERS[self.signer][1])
        if self.unsigned_payload:
            if self.signer == "SigV4Auth":
                opts.update(UNSIGNED_HEADER_OPTIONS)
            elif self.signer == "S3SigV4Auth":
                opts["payload_hash"] = UNSIGNED
        return opts

    def botocore_context(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(request.context for botocore, its JSON description)."""
        if not self.unsigned_payload:
            return {}, {}
        if self.signer == "SigV4Auth":
            return {"payload_signing_enabled": False}, {"payload_signing_enabled": False}
        if self.signer == "S3SigV4Auth":
            cfg = Config(s3={"payload_signing_enabled": False})
            return {"client_config": cfg}, {"client_config.s3": {"payload_signing_enabled": False}}
        raise ValueError(f"{self.slug}: unsigned_payload is implicit for {self.signer}")


# --------------------------------------------------------------------------- botocore run


def run_botocore(case: Case) -> dict[str, str]:
    """Sign ``case`` with botocore under a frozen clock; capture what it computed."""
    cls = getattr(botocore.auth, case.signer)
    creds = BotoCredentials(case.akid, case.secret, case.token)
    mode = SIGNERS[case.signer][0]
    if mode == "query":
        auth = cls(creds, case.service, case.region, expires=case.expires)
    else:
        auth = cls(creds, case.service, case.region)
    captured: dict[str, list[Any]] = {}

    def spy(name: str) -> None:
        original = getattr(auth, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            captured.setdefault(name, []).append(result)
            return result

        setattr(auth, name, wrapper)

    for name in ("canonical_request", "string_to_sign", "signature"):
        spy(name)
    request = AWSRequest(method=case.method, url=case.url, data=case.body)
    for name, value in case.headers:
        request.headers[name] = value  # HTTPHeaders appends: duplicates are kept in order
    request.context.update(case.botocore_context()[0])
    now = datetime.strptime(case.timestamp, "%Y%m%dT%H%M%SZ")
    # botocore.auth reads the clock through its own imported name get_current_datetime.
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=now):
        auth.add_auth(request)
    for name in ("canonical_request", "string_to_sign", "signature"):
        assert len(captured.get(name, [])) == 1, (case.slug, name, captured.get(name))
    expected = {
        "canonical_request": captured["canonical_request"][0],
        "string_to_sign": captured["string_to_sign"][0],
        "signature": captured["signature"][0],
    }
    if mode == "header":
        expected["authorization"] = request.headers["Authorization"]
    else:
        expected["url"] = request.url
    return expected


# --------------------------------------------------------------------------- overlap checks


def _is_canonical_component(text: str) -> bool:
    i = 0
    while i < len(text):
        c = text[i]
        if c == "%":
            h = text[i + 1 : i + 3]
            if len(h) != 2 or any(x not in "0123456789ABCDEF" for x in h):
                return False
            i += 3
        elif c in _UNRESERVED:
            i += 1
        else:
            return False
    return True


def check_overlap(case: Case) -> None:
    """Fail loudly when a hand-written case strays outside the overlap of botocore and us."""
    parts = urlsplit(case.url)
    mode = SIGNERS[case.signer][0]
    pieces = parts.query.split("&") if parts.query else []
    for piece in pieces:
        key, _, value = piece.partition("=")
        # botocore signs a URL's query raw: only already-canonical queries are comparable.
        assert piece and _is_canonical_component(key) and _is_canonical_component(value), (
            case.slug,
            piece,
        )
    names = {n.lower() for n, _ in case.headers}
    assert "date" not in names, case.slug  # botocore replaces a Date header by its own
    assert "x-amz-date" not in names, case.slug
    if case.signer.startswith("S3"):
        # S3 paths are what botocore's serializer produces: encoded once, canonical form.
        assert parts.path.startswith("/"), case.slug
        assert all(_is_canonical_component(s) for s in parts.path.split("/")), case.slug
    if mode == "query":
        keys = [p.partition("=")[0] for p in pieces]
        # botocore's presigners keep only the first value of a repeated key (parse_qs).
        assert len(keys) == len(set(keys)), case.slug
        assert not any(k.startswith("X-Amz-") for k in keys), case.slug
        assert not case.body, case.slug  # SigV4QueryAuth would move a body into the query
        assert not parts.fragment, case.slug  # botocore appends the signature after '#'
        assert "authorization" not in names, case.slug  # botocore's presigner signs it
        assert (
            "content-type",
            FORM_CT,
        ) not in [(n.lower(), v) for n, v in case.headers], case.slug
        assert "x-amz-content-sha256" not in names, case.slug


def bare_keys_agree(case: Case, canonical_request: str) -> bool:
    """Our rule: a bare key ``k`` is signed as ``k=``. True when botocore did the same."""
    query = urlsplit(case.url).query
    bare = [p for p in query.split("&") if p and "=" not in p]
    line = canonical_request.split("\n")[2].split("&")
    return all(f"{k}=" in line and k not in line for k in bare)


def to_json(case: Case, expected: dict[str, str]) -> dict[str, Any]:
    mode = SIGNERS[case.signer][0]
    out: dict[str, Any] = {
        "id": f"{case.group}/{case.slug}",
        "description": case.description,
        "generator": {
            "botocore": botocore.__version__,
            "signer": f"botocore.auth.{case.signer}",
            "request_context": case.botocore_context()[1],
        },
        "mode": mode,
        "credentials": {
            "access_key_id": case.akid,
            "secret_access_key": case.secret,
            "session_token": case.token,
        },
        "region": case.region,
        "service": case.service,
        "timestamp": case.timestamp,
        "options": case.our_options(),
        "request": {
            "method": case.method,
            "url": case.url,
            "headers": [[n, v] for n, v in case.headers],
            "body_b64": base64.b64encode(case.body).decode("ascii"),
        },
        "expected": expected,
    }
    if mode == "query":
        out["expires"] = case.expires
    return out


# --------------------------------------------------------------------------- groups


def group_ec2_query(rng: random.Random) -> list[Case]:
    """EC2 Query API POSTs: form-encoded bodies, header signing (what botocore's ec2 sends)."""
    regions = [
        ("us-east-1", "https://ec2.us-east-1.amazonaws.com/"),
        ("us-west-2", "https://ec2.us-west-2.amazonaws.com/"),
        ("eu-central-1", "https://ec2.eu-central-1.amazonaws.com/"),
        ("ap-southeast-2", "https://ec2.ap-southeast-2.amazonaws.com/"),
        ("cn-north-1", "https://ec2.cn-north-1.amazonaws.com.cn/"),
        ("us-gov-west-1", "https://ec2.us-gov-west-1.amazonaws.com/"),
        ("us-east-1", "http://localhost:5000/"),
        ("us-west-2", "http://127.0.0.1:4566"),
    ]

    def snap() -> str:
        return "snap-" + "".join(rng.choice("0123456789abcdef") for _ in range(17))

    def presigned_copy_url(src: str, sid: str, dst: str) -> str:
        q = qs(
            [
                ("Action", "CopySnapshot"),
                ("DestinationRegion", dst),
                ("SourceRegion", src),
                ("SourceSnapshotId", sid),
                ("Version", "2016-11-15"),
                ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
                ("X-Amz-Credential", f"{AKID}/20150830/{src}/ec2/aws4_request"),
                ("X-Amz-Date", TIMESTAMP),
                ("X-Amz-Expires", "3600"),
                ("X-Amz-SignedHeaders", "host"),
                ("X-Amz-Signature", "".join(rng.choice("0123456789abcdef") for _ in range(64))),
            ]
        )
        return f"https://ec2.{src}.amazonaws.com/?{q}"

    bodies: list[tuple[str, str, list[tuple[str, str]]]] = []
    for i in range(8):
        src = rng.choice(["us-west-2", "eu-west-1", "ap-northeast-1", "sa-east-1"])
        dst = rng.choice(["us-east-1", "eu-central-1"])
        sid = snap()
        params = [
            ("Action", "CopySnapshot"),
            ("Version", "2016-11-15"),
            ("SourceRegion", src),
            ("SourceSnapshotId", sid),
        ]
        if i % 2 == 0:
            params.append(("PresignedUrl", presigned_copy_url(src, sid, dst)))
            params.append(("DestinationRegion", dst))
        if i % 3 == 0:
            descs = ["Copy of snap", "Kopie \u2013 café ü", "a&b=c+d"]
            params.append(("Description", rng.choice(descs)))
        if i % 4 == 1:
            params.append(("Encrypted", "true"))
            params.append(("KmsKeyId", "arn:aws:kms:us-east-1:111122223333:key/abcd-1234"))
        bodies.append((f"copy-snapshot-{i}", "CopySnapshot " + src + " -> " + dst, params))
    for i in range(5):
        params = [("Action", "DescribeInstances"), ("Version", "2016-11-15")]
        for n in range(1, i + 2):
            params += [
                (f"Filter.{n}.Name", rng.choice(["instance-state-name", "tag:Name", "vpc-id"])),
                (f"Filter.{n}.Value.1", rng.choice(["running", "web server", "vpc-0a1b2c", "ü*"])),
            ]
        if i % 2:
            params += [("MaxResults", "5"), ("NextToken", "eyJ2IjoiMiJ9+/=")]
        bodies.append((f"describe-instances-{i}", "DescribeInstances with filters", params))
    bodies.append(
        (
            "run-instances",
            "RunInstances with a base64 UserData",
            [
                ("Action", "RunInstances"),
                ("Version", "2016-11-15"),
                ("ImageId", "ami-0abcdef1234567890"),
                ("MinCount", "1"),
                ("MaxCount", "1"),
                ("UserData", base64.b64encode(b"#!/bin/sh\necho hi\n\xff").decode()),
                ("TagSpecification.1.ResourceType", "instance"),
                ("TagSpecification.1.Tag.1.Key", "Name"),
                ("TagSpecification.1.Tag.1.Value", "dev box"),
            ],
        )
    )
    bodies.append(
        ("describe-regions", "DescribeRegions",
         [("Action", "DescribeRegions"), ("Version", "2016-11-15")])
    )
    bodies.append(
        (
            "create-tags-unicode",
            "CreateTags with non-ASCII tag values",
            [
                ("Action", "CreateTags"),
                ("Version", "2016-11-15"),
                ("ResourceId.1", "i-1234567890abcdef0"),
                ("Tag.1.Key", "Name"),
                ("Tag.1.Value", "Überprüfung 日本 😀"),
            ],
        )
    )
    cases = []
    for i, (slug, desc, params) in enumerate(bodies):
        region, url = regions[i % len(regions)]
        body = qs(params).encode()
        token = TOKENS[i % len(TOKENS)] if i % 5 == 3 else None
        cases.append(
            Case(
                "ec2_query",
                f"{i:03d}-{slug}",
                f"EC2 Query POST: {desc} ({region}, {url.split('/')[2]})"
                + (", session token" if token else ""),
                "SigV4Auth",
                "POST",
                url,
                headers=[("Content-Type", FORM_CT)],
                body=body,
                region=region,
                service="ec2",
                token=token,
                akid=STS_AKID if token else AKID,
                secret=STS_SECRET if token else SECRET,
                timestamp=rng.choice([TIMESTAMP, "20240229T235959Z", "20251231T000000Z"]),
            )
        )
    # A body serialized with '+' for spaces (urlencode style) is just bytes to SigV4.
    cases.append(
        Case(
            "ec2_query",
            f"{len(cases):03d}-plus-for-space-body",
            "EC2 Query POST whose body uses '+' for spaces (only hashed, never parsed)",
            "SigV4Auth",
            "POST",
            "https://ec2.us-east-1.amazonaws.com/",
            headers=[("Content-Type", FORM_CT)],
            body=b"Action=CreateTags&Version=2016-11-15&Tag.1.Value=a+b+c",
            service="ec2",
        )
    )
    return cases


def group_query_get(rng: random.Random) -> list[Case]:
    """GETs with awkward (but canonically encoded) query strings, header signing."""
    raw = [
        ("basic", "two plain parameters", "Param1=value1&Param2=value2"),
        ("unsorted", "parameters given out of order", "b=2&c=3&a=1"),
        ("case-sorted", "upper-case keys sort before lower-case", "b=1&B=2&a=3&A=4"),
        ("punct-sorted", "keys differing in '-', '.', '_', '~'",
         "a~b=1&a_b=2&a.b=3&a-b=4&a=5&aa=6"),
        ("empty-values", "keys with empty values", "a=&b=&c=x"),
        ("bare-key", "a bare key (k) is signed as k=", "acl"),
        ("bare-keys-mixed", "bare keys mixed with valued keys", "z&a=1&m"),
        ("bare-and-empty", "the same key bare and with '='", "k&k="),
        ("reserved-slash", "encoded '/' in a value", "prefix=a%2Fb%2Fc&delimiter=%2F"),
        ("reserved-eq-amp", "encoded '=' and '&' in key and value", "a%3Db=c%26d&x=%3D%3D"),
        ("reserved-plus", "encoded '+' (a literal plus)", "q=a%2Bb&r=%2B"),
        ("encoded-space", "encoded space as %20", "q=hello%20world&%20=lead"),
        ("percent", "an encoded '%'", "p=100%25&q=%2525"),
        ("question-hash", "encoded '?' and '#'", "q=%3F&h=%23frag"),
        ("tilde", "'~' stays unencoded", "t=~user&~=x"),
        ("unicode-value", "encoded UTF-8 value", "name=" + enc("日本語")),
        ("unicode-key", "encoded UTF-8 key", enc("ключ") + "=" + enc("значение")),
        ("emoji", "encoded astral-plane characters", "e=" + enc("😀🚀") + "&f=" + enc("𝄞")),
        ("combining", "decomposed accents (not NFC-normalized)",
         "n=" + enc("e\u0301") + "&m=" + enc("é")),
        ("latin1-bytes", "escapes that are not UTF-8 (header mode keeps bytes)", "b=%FF%FE&c=%C3"),
        ("json-value", "a JSON document as a value", "filter=" + enc('{"a": [1, 2], "b": "c d"}')),
        ("long-value", "a long value", "v=" + enc("x" * 300 + " y" * 50)),
        ("many-params", "20 parameters", "&".join(f"p{i:02d}=v{20 - i}" for i in range(20))),
        ("sort-by-key-then-value", "'a=b' must sort before 'a-c' even though '=' > '-'",
         "a-c=1&a=b"),
        ("numeric-keys", "numeric keys sort as strings", "10=a&9=b&1=c"),
        ("fragment", "a fragment is never sent nor signed", "a=1#section-2"),
        ("arn-value", "an ARN with ':' and '/' encoded",
         "Arn=" + enc("arn:aws:iam::123456789012:role/x")),
    ]
    services = [
        ("us-east-1", "service", "https://example.amazonaws.com/"),
        ("us-west-2", "execute-api", "https://abc123.execute-api.us-west-2.amazonaws.com/prod/items"),
        ("eu-west-1", "iam", "https://iam.amazonaws.com/"),
        ("ap-south-1", "sts", "https://sts.ap-south-1.amazonaws.com/"),
        ("us-east-1", "monitoring", "http://localhost:8080/"),
    ]
    cases = []
    for i, (slug, desc, query) in enumerate(raw):
        region, service, base = services[i % len(services)]
        cases.append(
            Case(
                "query_get",
                f"{i:03d}-{slug}",
                f"GET with {desc}",
                "SigV4Auth",
                "GET",
                f"{base}?{query}",
                region=region,
                service=service,
            )
        )
    for j in range(5):
        pairs: list[tuple[str, str | None]] = []
        for _ in range(rng.randint(1, 6)):
            k = rand_text(rng, 1, 6)
            v = None if rng.random() < 0.15 else rand_text(rng, 0, 8)
            pairs.append((k, v))
        i = len(cases)
        cases.append(
            Case(
                "query_get",
                f"{i:03d}-random-{j}",
                "GET with a random encoded query",
                "SigV4Auth",
                "GET",
                f"https://example.amazonaws.com/?{qs(pairs)}",
            )
        )
    return cases


def group_repeated_keys(rng: random.Random) -> list[Case]:
    """Repeated query keys, header signing: every value kept, sorted by value."""
    raw = [
        ("two-values", "a=2&a=1"),
        ("same-value-twice", "a=1&a=1"),
        ("empty-and-value", "a=b&a="),
        ("bare-and-value", "a&a=x"),
        ("interleaved", "x=1&a=2&x=0&a=10"),
        ("three-unsorted", "k=c&k=a&k=b"),
        ("case-differs", "Key=1&key=2&KEY=3&key=0"),
        ("ec2-filter-values", "Filter.1.Value=b&Filter.1.Value=a&Filter.1.Name=tag%3AName"),
        ("encoded-values", "v=%2F&v=%2B&v=%20&v=~"),
        ("unicode-values", "t=" + enc("ü") + "&t=" + enc("a") + "&t=" + enc("日")),
        ("value-prefixes", "a=1&a=10&a=1-&a=1.&a=1_"),
        ("empty-key", "=1&=0&a=2"),
    ]
    cases = []
    for i, (slug, query) in enumerate(raw):
        cases.append(
            Case(
                "repeated_keys",
                f"{i:03d}-{slug}",
                f"header signing keeps every value of a repeated key: {query}",
                "SigV4Auth",
                "GET",
                f"https://example.amazonaws.com/?{query}",
                region=rng.choice(["us-east-1", "eu-west-3"]),
            )
        )
    cases.append(
        Case(
            "repeated_keys",
            f"{len(cases):03d}-session-token",
            "repeated keys with a session token",
            "SigV4Auth",
            "GET",
            "https://example.amazonaws.com/?a=2&b=1&a=1",
            token=TOKENS[1],
            akid=STS_AKID,
            secret=STS_SECRET,
        )
    )
    cases.append(
        Case(
            "repeated_keys",
            f"{len(cases):03d}-s3",
            "S3 header signing with a repeated key",
            "S3SigV4Auth",
            "GET",
            "https://bucket.s3.amazonaws.com/?prefix=b&prefix=a&list-type=2",
            service="s3",
        )
    )
    cases.append(
        Case(
            "repeated_keys",
            f"{len(cases):03d}-post",
            "a POST with repeated keys in the URL and a body",
            "SigV4Auth",
            "POST",
            "https://example.amazonaws.com/path?id=3&id=1&id=2",
            headers=[("Content-Type", "application/json")],
            body=b'{"x": 1}',
        )
    )
    return cases


def group_paths(rng: random.Random) -> list[Case]:
    """Non-S3 paths: dot segments, duplicate slashes, unicode, reserved and escaped chars."""
    raw = [
        ("root", "/", "the root"),
        ("empty", "", "an empty path (signed as '/')"),
        ("plain", "/a/b/c", "a plain path"),
        ("dot", "/a/./b", "a '.' segment"),
        ("dotdot", "/a/../b", "a '..' segment"),
        ("dotdot-above-root", "/../a", "'..' above the root"),
        ("dotdot-end", "/a/b/..", "'..' at the end"),
        ("dot-end", "/a/b/.", "'.' at the end"),
        ("dotdot-everything", "/a/b/../..", "'..' removing everything"),
        ("double-slashes", "//a//b//", "duplicate slashes"),
        ("trailing-slash", "/a/b/", "a trailing slash"),
        ("dot-root", "/./", "'./' at the root"),
        ("dot-names", "/.../.a/..b/a.", "names that only look like dot segments"),
        ("escaped-dots", "/a/%2E%2E/b/%2e", "escaped dots are not dot segments"),
        ("space", "/a b/c%20d", "a raw space and an escaped one"),
        ("escaped-slash", "/a%2Fb/%2F", "escaped '/' (double-encoded to %252F)"),
        ("percent", "/100%/x%zz/%", "a stray '%'"),
        ("escaped-unreserved", "/%41%7E%2d", "escapes of unreserved chars are encoded again"),
        ("unicode", "/ü/日本/語", "raw non-ASCII"),
        ("emoji", "/😀/🚀", "raw astral-plane characters"),
        ("escaped-utf8", "/" + enc("日本"), "escaped UTF-8 (encoded again)"),
        ("tilde", "/~user/a~b", "'~' is unreserved"),
        ("sub-delims", "/!$&'()*+,;=", "RFC 3986 sub-delimiters"),
        ("colon-at", "/a:b/@c", "':' and '@'"),
        ("brackets", "/{id}/[x]/<y>/|z|/^/`/\\", "characters never unreserved"),
        ("api-gateway", "/prod/items/{id}/a%20b", "an API Gateway resource path"),
        ("lambda", "/2015-03-31/functions/" + enc("arn:aws:lambda:us-east-1:123:function:f")
         + "/invocations", "a Lambda function ARN, encoded once by the serializer"),
        ("mixed-dots-unicode", "/ü/./../日/./x/", "dot segments around non-ASCII"),
    ]
    services = ["service", "execute-api", "lambda", "es", "appsync"]
    cases = []
    for i, (slug, path, desc) in enumerate(raw):
        method = rng.choice(["GET", "GET", "DELETE", "HEAD"])
        cases.append(
            Case(
                "paths",
                f"{i:03d}-{slug}",
                f"non-S3 path, {desc}: {path!r}",
                "SigV4Auth",
                method,
                f"https://example.amazonaws.com{path}",
                service=services[i % len(services)],
                region=rng.choice(["us-east-1", "us-west-2", "eu-west-1"]),
            )
        )
    for j, path in enumerate(["/a/./b?x=1", "/a/../../b/?y=%2F", "//x/./y//?z"]):
        cases.append(
            Case(
                "paths",
                f"{len(cases):03d}-with-query-{j}",
                f"dot segments followed by a query: {path!r}",
                "SigV4Auth",
                "GET",
                f"https://example.amazonaws.com{path}",
            )
        )
    return cases


def group_headers(rng: random.Random) -> list[Case]:
    """Header canonicalization: duplicates, whitespace runs, Host, ports, unsigned headers."""
    url = "https://example.amazonaws.com/"
    items: list[tuple[str, str, str, list[tuple[str, str]]]] = [
        ("duplicate", "a header sent twice (joined with ',')", url,
         [("X-Dup", "1"), ("X-Dup", "2")]),
        ("duplicate-case", "the same header in different case", url,
         [("X-Dup", "b"), ("x-dup", "a"), ("X-DUP", "c")]),
        ("duplicate-interleaved", "duplicates interleaved with others", url,
         [("X-B", "1"), ("X-A", "x"), ("X-B", "2"), ("X-A", "y")]),
        ("whitespace-runs", "whitespace runs collapsed", url,
         [("X-Ws", "  a   b\t\tc  ")]),
        ("whitespace-duplicates", "whitespace in duplicated values", url,
         [("My-Header1", "  value1  "), ("My-Header1", "value2   value3 ")]),
        ("quoted-whitespace", "quotes do not protect whitespace", url,
         [("X-Q", '"a   b"   c')]),
        ("empty-value", "an empty value", url, [("X-Empty", ""), ("X-B", "b")]),
        ("blank-value", "a value of only spaces and tabs", url, [("X-Blank", " \t  ")]),
        ("tab-only-sep", "tabs between words", url, [("X-Tab", "a\tb\t\tc")]),
        ("upper-case-names", "upper-case names are lower-cased", url,
         [("CONTENT-TYPE", "text/plain"), ("X-AMZ-META-Foo", "Bar")]),
        ("token-chars", "a header name with every token character", url,
         [("X-Custom!#$%&'*+.^_`|~", "v")]),
        ("non-ascii-value", "a Latin-1 value (obs-text)", url, [("X-Amz-Meta-Name", "café")]),
        ("host-given", "an explicit Host header is signed as given", url,
         [("Host", "example.amazonaws.com")]),
        ("host-mixed-case", "an explicit mixed-case Host header", url,
         [("Host", "Example.AmazonAWS.com")]),
        ("host-from-url-upper", "Host from an upper-case URL host (lower-cased)",
         "https://EXAMPLE.AmazonAWS.com/", []),
        ("host-default-https-port", "default port 443 dropped",
         "https://example.amazonaws.com:443/", []),
        ("host-default-http-port", "default port 80 dropped",
         "http://example.amazonaws.com:80/", []),
        ("host-other-port", "a non-default port kept", "https://example.amazonaws.com:8443/", []),
        ("host-swapped-port", "port 443 on http is kept", "http://example.amazonaws.com:443/", []),
        ("host-userinfo", "user info is not part of Host", "https://user:pw@example.amazonaws.com/",
         []),
        ("host-ipv4", "an IPv4 host with port", "http://127.0.0.1:9000/", []),
        ("host-ipv6", "an IPv6 host", "http://[::1]:8080/", []),
        ("host-ipv6-upper", "an upper-case IPv6 host", "https://[2001:DB8::1]/", []),
        ("unsigned-user-agent", "User-Agent and X-Amzn-Trace-Id are not signed", url,
         [("User-Agent", "sigv4kit/0.1"), ("X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe")]),
        ("unsigned-hop-by-hop", "hop-by-hop headers are not signed", url,
         [("Connection", "keep-alive"), ("Keep-Alive", "timeout=5"), ("TE", "trailers"),
          ("Upgrade", "h2c"), ("Expect", "100-continue"), ("X-Signed", "yes")]),
        ("unsigned-proxy", "proxy headers are not signed", url,
         [("Proxy-Authorization", "Basic Zm9vOmJhcg=="), ("Proxy-Authenticate", "Basic"),
          ("Trailer", "X-Checksum"), ("Transfer-Encoding", "chunked")]),
        ("unsigned-tracing", "W3C trace-context headers are not signed", url,
         [("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
          ("tracestate", "congo=t61rcWkgMzE"), ("baggage", "userId=alice"), ("X-Signed", "1")]),
        ("old-authorization", "an existing Authorization header is replaced", url,
         [("Authorization", "AWS4-HMAC-SHA256 stale"), ("X-A", "1")]),
        ("content-type-json", "a JSON protocol request", url,
         [("Content-Type", "application/x-amz-json-1.1"),
          ("X-Amz-Target", "DynamoDB_20120810.ListTables")]),
        ("many", "a dozen headers", url,
         [(f"X-H{rng.randint(0, 99):02d}", rand_value(rng)) for _ in range(12)]),
    ]
    cases = []
    for i, (slug, desc, u, headers) in enumerate(items):
        cases.append(
            Case(
                "headers",
                f"{i:03d}-{slug}",
                f"headers: {desc}",
                "SigV4Auth",
                "GET",
                u,
                headers=headers,
                service=rng.choice(["service", "dynamodb", "sqs"]),
            )
        )
    return cases


def group_bodies(rng: random.Random) -> list[Case]:
    """Payload hashing: binary bodies, JSON, empty bodies, UNSIGNED-PAYLOAD, precomputed."""
    cases: list[Case] = []

    def add(slug: str, desc: str, **kw: Any) -> None:
        kw.setdefault("signer", "SigV4Auth")
        kw.setdefault("method", "POST")
        kw.setdefault("url", "https://example.amazonaws.com/")
        signer, method, url = kw.pop("signer"), kw.pop("method"), kw.pop("url")
        cases.append(Case("bodies", f"{len(cases):03d}-{slug}", desc, signer, method, url, **kw))

    for n in (1, 2, 255, 256, 1024, 4097):
        add(f"binary-{n}", f"{n} random bytes", method=rng.choice(["POST", "PUT"]),
            body=rng.randbytes(n), headers=[("Content-Type", "application/octet-stream")])
    add("all-bytes", "every byte value once", method="PUT", body=bytes(range(256)))
    add("nul-bytes", "only NUL bytes", body=b"\x00" * 32)
    add("utf8-json", "a UTF-8 JSON body", body='{"name": "日本 😀"}'.encode(),
        headers=[("Content-Type", "application/x-amz-json-1.0"),
                 ("X-Amz-Target", "Kinesis_20131202.PutRecord")], service="kinesis")
    add("empty-post", "an empty POST body", body=b"")
    add("crlf-body", "a body with CR LF", body=b"line1\r\nline2\r\n")
    add("get-with-body", "a GET with a body", method="GET", body=b"unusual but signable")
    add("unsigned-payload", "UNSIGNED-PAYLOAD (X-Amz-Content-SHA256 added and signed)",
        method="PUT", body=rng.randbytes(40), unsigned_payload=True)
    add("unsigned-payload-empty", "UNSIGNED-PAYLOAD with an empty body", method="GET",
        unsigned_payload=True)
    add("unsigned-payload-http", "UNSIGNED-PAYLOAD over plain http", method="POST",
        url="http://localhost:8000/upload", body=b"abc", unsigned_payload=True)
    for j in range(2):
        body = rng.randbytes(100)
        digest = hashlib.sha256(body).hexdigest()
        add(f"sent-sha256-{j}", "an X-Amz-Content-SHA256 header equal to the body's hash",
            method="PUT", body=body, headers=[("X-Amz-Content-SHA256", digest)])
    for j in range(2):
        digest = hashlib.sha256(rng.randbytes(8)).hexdigest()
        add(f"precomputed-{j}", "a precomputed payload hash (not the body's) sent as "
            "X-Amz-Content-SHA256", method="PUT", body=rng.randbytes(20),
            headers=[("X-Amz-Content-SHA256", digest)],
            options={"payload_hash": digest, "content_sha256_header": True})
    add("s3-unsigned", "S3 PUT with payload signing disabled", signer="S3SigV4Auth",
        method="PUT", url="https://bucket.s3.us-west-2.amazonaws.com/big.bin",
        body=rng.randbytes(64), unsigned_payload=True, service="s3", region="us-west-2")
    add("s3-content-md5", "S3 PUT with Content-MD5 still hashes the body", signer="S3SigV4Auth",
        method="PUT", url="https://bucket.s3.amazonaws.com/k",
        body=b"hello", service="s3",
        headers=[("Content-MD5", base64.b64encode(hashlib.md5(b"hello").digest()).decode())])
    return cases


def group_session_token(rng: random.Random) -> list[Case]:
    """Temporary credentials: X-Amz-Security-Token signed in headers or in the query."""
    cases: list[Case] = []
    specs = [
        ("SigV4Auth", "GET", "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
         "sts", []),
        ("SigV4Auth", "POST", "https://ec2.us-west-2.amazonaws.com/", "ec2",
         [("Content-Type", FORM_CT)]),
        ("SigV4Auth", "GET", "https://example.amazonaws.com/a/./b/?x=%2F", "service",
         [("X-Dup", "1"), ("X-Dup", " 2 ")]),
        ("S3SigV4Auth", "GET", "https://bucket.s3.amazonaws.com/" + s3_key("photos/a b+c.jpg"),
         "s3", []),
        ("S3SigV4Auth", "PUT", "https://s3.eu-west-1.amazonaws.com/bucket/" + s3_key("ü/~x"),
         "s3", [("x-amz-meta-owner", "me")]),
        ("SigV4QueryAuth", "GET",
         "https://ec2.us-west-2.amazonaws.com/?Action=CopySnapshot&SourceRegion=us-west-2"
         "&SourceSnapshotId=snap-0123456789abcdef0&DestinationRegion=us-east-1"
         "&Version=2016-11-15", "ec2", []),
        ("SigV4QueryAuth", "GET", "https://sts.amazonaws.com/?Action=GetCallerIdentity"
         "&Version=2011-06-15", "sts", [("x-k8s-aws-id", "my-cluster")]),
        ("S3SigV4QueryAuth", "GET", "https://bucket.s3.amazonaws.com/" + s3_key("a=b&c.txt"),
         "s3", []),
        ("S3SigV4QueryAuth", "PUT", "https://bucket.s3.us-east-2.amazonaws.com/upload.bin",
         "s3", [("Content-Type", "application/octet-stream")]),
    ]
    for i, (signer, method, url, service, headers) in enumerate(specs):
        for t, token in enumerate(TOKENS[:2] if i % 2 == 0 else TOKENS[1:]):
            region = "us-east-1"
            if "us-west-2" in url:
                region = "us-west-2"
            elif "eu-west-1" in url:
                region = "eu-west-1"
            elif "us-east-2" in url:
                region = "us-east-2"
            cases.append(
                Case(
                    "session_token",
                    f"{len(cases):03d}-{signer.lower()}-{t}",
                    f"{signer} with session token #{TOKENS.index(token)}",
                    signer,
                    method,
                    url,
                    headers=headers,
                    service=service,
                    region=region,
                    token=token,
                    akid=STS_AKID,
                    secret=STS_SECRET,
                    expires=rng.choice([60, 900, 3600]),
                )
            )
    return cases


def group_presign(rng: random.Random) -> list[Case]:
    """Non-S3 presigned URLs (SigV4QueryAuth); queries without repeated keys."""
    cases: list[Case] = []

    def add(slug: str, desc: str, url: str, **kw: Any) -> None:
        method = kw.pop("method", "GET")
        cases.append(
            Case("presign", f"{len(cases):03d}-{slug}", desc, "SigV4QueryAuth", method, url, **kw)
        )

    for i in range(6):
        src = rng.choice(["us-west-2", "eu-west-1", "ap-southeast-1", "us-east-2"])
        dst = rng.choice(["us-east-1", "eu-central-1"])
        sid = "snap-" + "".join(rng.choice("0123456789abcdef") for _ in range(17))
        pairs: list[tuple[str, str | None]] = [
            ("Action", "CopySnapshot"),
            ("DestinationRegion", dst),
            ("SourceRegion", src),
            ("SourceSnapshotId", sid),
            ("Version", "2016-11-15"),
        ]
        if i % 2:
            pairs.append(("Description", rng.choice(["nightly copy", "Kopie für ü", "a/b+c=d"])))
        if i % 3 == 2:
            pairs += [("Encrypted", "true"), ("KmsKeyId", "alias/my key")]
        rng.shuffle(pairs)
        add(f"copy-snapshot-{i}", f"EC2 CopySnapshot PresignedUrl ({src} -> {dst})",
            f"https://ec2.{src}.amazonaws.com/?{qs(pairs)}", service="ec2", region=src,
            expires=rng.choice([300, 3600, 604800]))
    add("rds-auth-token", "RDS IAM auth token (rds-db, port 5432)",
        "https://mydb.abc123.us-east-1.rds.amazonaws.com:5432/?Action=connect&DBUser=admin",
        service="rds-db", expires=900)
    add("eks-token", "EKS token: STS GetCallerIdentity with x-k8s-aws-id signed",
        "https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
        service="sts", region="us-west-2", expires=60, headers=[("x-k8s-aws-id", "prod-eks")])
    add("no-query", "no query at all", "https://example.amazonaws.com/")
    add("no-path", "no path at all", "https://example.amazonaws.com")
    add("bare-key", "a bare key (k becomes k=)", "https://example.amazonaws.com/?acl")
    add("empty-values", "empty values", "https://example.amazonaws.com/?a=&b=&c=1")
    add("reserved", "encoded reserved characters", "https://example.amazonaws.com/?"
        + qs([("a/b", "c=d"), ("e&f", "g+h"), ("sp ace", "x y"), ("pct", "100%")]))
    add("unicode", "encoded UTF-8 keys and values", "https://example.amazonaws.com/?"
        + qs([("ключ", "日本語"), ("emoji", "😀"), ("é", "e\u0301")]))
    add("tilde", "'~' unencoded", "https://example.amazonaws.com/?t=~a~&~=1")
    add("dot-segments", "dot segments are removed (non-S3)",
        "https://example.amazonaws.com/a/./b/../c//d/?x=1")
    add("unicode-path", "raw unicode path, encoded twice",
        "https://example.amazonaws.com/ü/日本/%2F?x=1")
    add("escaped-path", "escaped path chars double-encoded",
        "https://example.amazonaws.com/a%20b/c%2Fd")
    add("signed-headers", "extra headers are signed", "https://example.amazonaws.com/?a=1",
        headers=[("X-Custom", "  v  1 "), ("x-custom", "v2"), ("Content-Type", "text/plain")])
    add("unsigned-headers", "User-Agent is not signed", "https://example.amazonaws.com/",
        headers=[("User-Agent", "curl/8"), ("X-Other", "x")])
    add("host-header", "an explicit Host header", "https://example.amazonaws.com/",
        headers=[("Host", "example.amazonaws.com")])
    add("port", "a non-default port in Host", "http://localhost:4566/?Action=X")
    for method in ("PUT", "DELETE", "POST"):
        add(f"method-{method.lower()}", f"presigned {method}",
            "https://example.amazonaws.com/res/1?v=2", method=method)
    for expires in (1, 604800):
        add(f"expires-{expires}", f"X-Amz-Expires={expires}",
            "https://example.amazonaws.com/?a=b", expires=expires)
    add("random-query", "a random encoded query",
        "https://example.amazonaws.com/?" + qs(
            {rand_text(rng, 1, 5): rand_text(rng, 0, 6) for _ in range(5)}.items()))
    return cases


S3_KEYS = [
    ("simple", "photos/2024/cat.jpg"),
    ("space", "my photos/a b.jpg"),
    ("plus", "a+b"),
    ("equals-amp", "k=v&x"),
    ("unicode", "résumé/日本語.pdf"),
    ("emoji", "😀/🚀.txt"),
    ("tilde", "~user/a~b"),
    ("percent", "100%/%41"),
    ("reserved", "!$'()*,;:@[]"),
    ("double-slash", "dir//file"),
    ("dot-segments", "a/./b/../c"),
    ("trailing-slash", "folder/"),
    ("question-hash", "what?#now"),
    ("backslash", "win\\path\\file.txt"),
]


def group_s3_header(rng: random.Random) -> list[Case]:
    """S3 header signing (S3SigV4Auth): keys encoded once, never normalized."""
    cases: list[Case] = []

    def add(slug: str, desc: str, method: str, url: str, **kw: Any) -> None:
        kw.setdefault("service", "s3")
        cases.append(
            Case("s3_header", f"{len(cases):03d}-{slug}", desc, "S3SigV4Auth", method, url, **kw)
        )

    for i, (slug, key) in enumerate(S3_KEYS):
        virtual = i % 2 == 0
        region = rng.choice(["us-east-1", "us-west-2", "eu-central-1"])
        if virtual:
            url = f"https://examplebucket.s3.{region}.amazonaws.com/{s3_key(key)}"
        else:
            url = f"https://s3.{region}.amazonaws.com/examplebucket/{s3_key(key)}"
        method = rng.choice(["GET", "HEAD", "DELETE"])
        add(f"key-{slug}", f"S3 {method} of key {key!r}", method, url, region=region)
    base = "https://examplebucket.s3.amazonaws.com"
    add("put-binary", "PUT with a binary body", "PUT", f"{base}/data.bin",
        body=rng.randbytes(333), headers=[("Content-Type", "application/octet-stream")])
    add("put-meta", "PUT with x-amz-meta-* and ACL headers", "PUT", f"{base}/" + s3_key("a b"),
        body=b"hello world",
        headers=[("x-amz-meta-Author", "  Jane   Doe "), ("x-amz-acl", "private"),
                 ("x-amz-storage-class", "STANDARD_IA")])
    add("range", "GET with Range", "GET", f"{base}/test.txt", headers=[("Range", "bytes=0-9")])
    add("list-v2", "ListObjectsV2 with prefix and delimiter", "GET",
        f"{base}/?" + qs([("list-type", "2"), ("prefix", "photos/2024/"), ("delimiter", "/"),
                          ("max-keys", "10"), ("encoding-type", "url")]))
    add("list-unicode-prefix", "ListObjectsV2 with a non-ASCII prefix", "GET",
        f"{base}/?" + qs([("list-type", "2"), ("prefix", "résumé ü/")]))
    add("delete-objects", "POST ?delete (a bare key)", "POST", f"{base}/?delete",
        body=b"<Delete><Object><Key>a</Key></Object></Delete>",
        headers=[("Content-MD5", base64.b64encode(hashlib.md5(b"x").digest()).decode())])
    add("create-mpu", "POST ?uploads", "POST", f"{base}/big.bin?uploads")
    add("upload-part", "PUT part with partNumber and uploadId", "PUT",
        f"{base}/big.bin?" + qs([("partNumber", "3"), ("uploadId", "VXBsb2FkIElE+/=")]),
        body=rng.randbytes(128))
    add("version-id", "GET a version", "GET", f"{base}/k?versionId=3HL4kqtJlcpXroDTDmJ%2Bfoo")
    add("acl-subresource", "GET ?acl", "GET", f"{base}/k?acl")
    add("unsigned-payload", "PUT with payload signing disabled", "PUT", f"{base}/u.bin",
        body=rng.randbytes(50), unsigned_payload=True)
    add("empty-body-put", "PUT of an empty object", "PUT", f"{base}/" + s3_key("empty file"))
    add("session-token", "GET with a session token", "GET", f"{base}/" + s3_key("secret/ü"),
        token=TOKENS[2], akid=STS_AKID, secret=STS_SECRET)
    add("http-port", "S3-compatible endpoint on http with a port", "GET",
        "http://localhost:9000/bucket/" + s3_key("a b/c"))
    return cases


def group_s3_presign(rng: random.Random) -> list[Case]:
    """S3 presigned URLs (S3SigV4QueryAuth): UNSIGNED-PAYLOAD, keys encoded once."""
    cases: list[Case] = []

    def add(slug: str, desc: str, method: str, url: str, **kw: Any) -> None:
        kw.setdefault("service", "s3")
        cases.append(
            Case("s3_presign", f"{len(cases):03d}-{slug}", desc, "S3SigV4QueryAuth", method,
                 url, **kw)
        )

    for i, (slug, key) in enumerate(S3_KEYS):
        region = rng.choice(["us-east-1", "ap-northeast-1", "sa-east-1"])
        if i % 2:
            url = f"https://examplebucket.s3.{region}.amazonaws.com/{s3_key(key)}"
        else:
            url = f"https://s3.{region}.amazonaws.com/examplebucket/{s3_key(key)}"
        method = rng.choice(["GET", "GET", "PUT"])
        add(f"key-{slug}", f"presigned S3 {method} of key {key!r}", method, url, region=region,
            expires=rng.choice([60, 3600, 86400, 604800]))
    base = "https://examplebucket.s3.amazonaws.com"
    add("response-overrides", "response-content-* overrides", "GET",
        f"{base}/report.pdf?" + qs([("response-content-disposition",
                                     'attachment; filename="a b.pdf"'),
                                    ("response-content-type", "application/pdf")]))
    add("version-id", "a versionId", "GET", f"{base}/k?versionId=L4kqtJlcpXroDTDmpUMLUo")
    add("put-content-type", "a presigned PUT signing Content-Type", "PUT",
        f"{base}/upload.txt", headers=[("Content-Type", "text/plain; charset=utf-8")])
    add("put-acl-header", "a presigned PUT signing x-amz-acl", "PUT", f"{base}/x",
        headers=[("x-amz-acl", "public-read")])
    add("upload-part", "presigned UploadPart", "PUT",
        f"{base}/big?" + qs([("partNumber", "1"), ("uploadId", "abc+def/ghi=")]))
    add("bare-key", "a bare sub-resource key", "GET", f"{base}/k?torrent")
    add("list", "presigned list with encoded prefix", "GET",
        f"{base}/?" + qs([("list-type", "2"), ("prefix", "a b/c+d/")]))
    add("http-port", "S3-compatible endpoint", "GET",
        "http://127.0.0.1:9000/bucket/" + s3_key("ü x"))
    add("session-token", "with a session token", "GET", f"{base}/" + s3_key("t~ok en"),
        token=TOKENS[0], akid=STS_AKID, secret=STS_SECRET)
    add("user-agent", "User-Agent is not signed", "GET", f"{base}/k",
        headers=[("User-Agent", "Boto3/1.0"), ("X-Amz-Meta-Tag", "t")])
    return cases


# --------------------------------------------------------------------------- random group

_TEXT_POOL = (
    string.ascii_letters + string.digits + "-_.~ !\"#$%&'()*+,/:;<=>?@[\\]^`{|}"
    + "üéßñ日本語中文한국어ключ😀🚀𝄞\u00a0\u200b\u0301"
)


def rand_text(rng: random.Random, lo: int, hi: int) -> str:
    return "".join(rng.choice(_TEXT_POOL) for _ in range(rng.randint(lo, hi)))


def rand_value(rng: random.Random) -> str:
    pool = string.ascii_letters + string.digits + "  \t\t-_=;,/\"'()"
    return "".join(rng.choice(pool) for _ in range(rng.randint(0, 16)))


def rand_segment(rng: random.Random, s3: bool) -> str:
    r = rng.random()
    if not s3 and r < 0.15:
        return rng.choice([".", "..", ""])
    text = rand_text(rng, 1, 6)
    if s3:
        return s3_key(text).replace("/", "%2F")
    if r < 0.3:
        return enc(text)
    # Raw text for a non-S3 path; '?' and '#' would end the path.
    return text.replace("?", "%3F").replace("#", "%23")


def group_random(rng: random.Random) -> list[Case]:
    """Seeded random mixes of everything above, across all four signers."""
    cases: list[Case] = []
    signers = ["SigV4Auth", "SigV4QueryAuth", "S3SigV4Auth", "S3SigV4QueryAuth"]
    regions = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2", "me-south-1", "local"]
    for i in range(40):
        signer = signers[i % 4]
        mode, _ = SIGNERS[signer]
        s3 = signer.startswith("S3")
        segments = [rand_segment(rng, s3) for _ in range(rng.randint(0, 4))]
        path = "/" + "/".join(segments)
        keys: list[str] = []
        pairs: list[tuple[str, str | None]] = []
        for _ in range(rng.randint(0, 5)):
            key = rand_text(rng, 1, 5)
            if mode == "header" and keys and rng.random() < 0.3:
                key = rng.choice(keys)
            if mode == "query" and (key in keys or key.startswith("X-Amz-")):
                continue
            keys.append(key)
            pairs.append((key, None if rng.random() < 0.1 else rand_text(rng, 0, 6)))
        query = qs(pairs)
        host = rng.choice(
            ["example.amazonaws.com", "Example.AmazonAWS.com:443", "localhost:8080", "[::1]:9000"]
        )
        url = f"{rng.choice(['https', 'http'])}://{host}{path}" + (f"?{query}" if query else "")
        headers = []
        for _ in range(rng.randint(0, 4)):
            name = rng.choice(["X-Amz-Meta-A", "x-amz-meta-a", "X-Custom", "Content-Type",
                               "User-Agent", "X-Forwarded-For", "Accept"])
            headers.append((name, rand_value(rng)))
        token = rng.choice(TOKENS) if rng.random() < 0.3 else None
        if mode == "header":
            method = rng.choice(["GET", "PUT", "POST", "DELETE", "PATCH"])
            body = rng.randbytes(rng.randint(0, 64)) if method in ("PUT", "POST", "PATCH") else b""
        else:
            method = rng.choice(["GET", "PUT", "DELETE", "HEAD"])
            body = b""
        ts = datetime(
            rng.randint(2000, 2099), rng.randint(1, 12), rng.randint(1, 28),
            rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59),
        ).strftime("%Y%m%dT%H%M%SZ")
        service = "s3" if s3 else rng.choice(["service", "execute-api", "ec2", "sqs", "custom-svc"])
        cases.append(
            Case(
                "random",
                f"{i:03d}-{signer.lower()}",
                f"seeded random {signer} case",
                signer,
                method,
                url,
                headers=headers,
                body=body,
                region=rng.choice(regions),
                service=service,
                timestamp=ts,
                expires=rng.randint(1, 604800),
                token=token,
                akid=STS_AKID if token else AKID,
                secret=STS_SECRET if token else SECRET,
                unsigned_payload=mode == "header" and rng.random() < 0.15,
            )
        )
    return cases


GROUPS: dict[str, tuple[str, Callable[[random.Random], list[Case]]]] = {
    "ec2_query": ("EC2 Query API POSTs with form bodies (header signing)", group_ec2_query),
    "query_get": ("GETs with awkward, canonically encoded queries (header signing)",
                  group_query_get),
    "repeated_keys": ("repeated query keys (header signing keeps them all)",
                      group_repeated_keys),
    "paths": ("non-S3 paths: dot segments, duplicate slashes, unicode, escapes", group_paths),
    "headers": ("header canonicalization, Host derivation and unsigned headers", group_headers),
    "bodies": ("payload hashes: binary bodies, UNSIGNED-PAYLOAD, precomputed", group_bodies),
    "session_token": ("temporary credentials in all four signers", group_session_token),
    "presign": ("non-S3 presigned URLs (SigV4QueryAuth)", group_presign),
    "s3_header": ("S3 header signing (S3SigV4Auth)", group_s3_header),
    "s3_presign": ("S3 presigned URLs (S3SigV4QueryAuth)", group_s3_presign),
    "random": ("seeded random cases across all four signers", group_random),
}


# --------------------------------------------------------------------------- pinned cases


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


@dataclass
class Pinned:
    slug: str
    description: str
    signer: str  # SigV4QueryAuth or S3SigV4QueryAuth: whose path/payload rules apply
    method: str
    url: str  # the request as given to presign
    canonical_query: str  # the URL's own query, in canonical encoded form, written by hand
    headers: list[tuple[str, str]] = field(default_factory=list)
    region: str = "us-east-1"
    service: str = "service"
    expires: int = 3600
    token: str | None = None


def pinned_cases() -> list[Pinned]:
    return [
        Pinned("repeated-key", "presign keeps both values of a repeated key",
               "SigV4QueryAuth", "GET", "https://example.amazonaws.com/?a=1&a=2", "a=1&a=2"),
        Pinned("repeated-key-unsorted", "repeated values are sorted in the canonical query",
               "SigV4QueryAuth", "GET", "https://example.amazonaws.com/?a=2&b=x&a=10&a=1",
               "a=2&b=x&a=10&a=1"),
        Pinned("repeated-bare-key", "a repeated key, once bare and once with a value",
               "SigV4QueryAuth", "GET", "https://example.amazonaws.com/?k&k=v", "k=&k=v"),
        Pinned("repeated-key-ec2", "EC2-style repeated filter values",
               "SigV4QueryAuth", "GET",
               "https://ec2.us-west-2.amazonaws.com/?Action=DescribeSnapshots"
               "&SnapshotId=snap-2&SnapshotId=snap-1&Version=2016-11-15",
               "Action=DescribeSnapshots&SnapshotId=snap-2&SnapshotId=snap-1&Version=2016-11-15",
               region="us-west-2", service="ec2"),
        Pinned("repeated-key-session-token", "a repeated key with a session token",
               "SigV4QueryAuth", "GET", "https://example.amazonaws.com/p?x=%2F&x=%2B",
               "x=%2F&x=%2B", token=TOKENS[1]),
        Pinned("repeated-key-s3", "S3 presign with a repeated key",
               "S3SigV4QueryAuth", "GET",
               "https://examplebucket.s3.amazonaws.com/" + s3_key("a b") + "?tag=b&tag=a",
               "tag=b&tag=a", service="s3"),
        Pinned("literal-plus", "a literal '+' in the query is a plus (%2B), not a space",
               "SigV4QueryAuth", "GET", "https://example.amazonaws.com/?q=a+b&r=+",
               "q=a%2Bb&r=%2B"),
    ]


def run_pinned(p: Pinned) -> dict[str, Any]:
    """Expected values without botocore's presigner and without our code.

    The auth parameters are appended to the URL by hand (already canonically encoded), then
    botocore's *header-mode* helpers, which sign the URL's query raw and keep repeated keys,
    compute the canonical request; the string to sign and the signature are computed by hand
    with hashlib/hmac and cross-checked against botocore's own helpers.
    """
    assert SIGNERS[p.signer][0] == "query"
    akid, secret = (STS_AKID, STS_SECRET) if p.token else (AKID, SECRET)
    date = TIMESTAMP[:8]
    scope = f"{date}/{p.region}/{p.service}/aws4_request"
    signed_headers = ";".join(sorted({"host", *(n.lower() for n, _ in p.headers)}))
    auth = [
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        ("X-Amz-Credential", f"{akid}/{scope}"),
        ("X-Amz-Date", TIMESTAMP),
        ("X-Amz-Expires", str(p.expires)),
        ("X-Amz-SignedHeaders", signed_headers),
    ]
    if p.token:
        auth.append(("X-Amz-Security-Token", p.token))
    auth_query = qs(auth)
    base = p.url.partition("?")[0]
    sign_url = f"{base}?{p.canonical_query}&{auth_query}"
    # The signer instance only lends its path and payload rules (S3 or not) and the
    # header-mode canonical_request; add_auth (and so parse_qs) is never called.
    signer = getattr(botocore.auth, p.signer)(
        BotoCredentials(akid, secret, p.token), p.service, p.region, expires=p.expires
    )
    request = AWSRequest(method=p.method, url=sign_url, data=b"")
    for name, value in p.headers:
        request.headers[name] = value
    request.context["timestamp"] = TIMESTAMP
    assert signed_headers == signer.signed_headers(signer.headers_to_sign(request))
    canonical = signer.canonical_request(request)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    to_sign = f"AWS4-HMAC-SHA256\n{TIMESTAMP}\n{scope}\n{digest}"
    assert to_sign == signer.string_to_sign(request, canonical)
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret}".encode(), date), p.region), p.service),
                "aws4_request")
    signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    assert signature == signer.signature(to_sign, request)
    # Every parameter in the canonical query: nothing was dropped.
    line = canonical.split("\n")[2]
    assert len(line.split("&")) == len(p.canonical_query.split("&")) + len(auth)
    return {
        "id": f"pinned/{p.slug}",
        "description": p.description,
        "generator": {
            "botocore": botocore.__version__,
            "signer": f"hand-derived; botocore.auth.{p.signer}.canonical_request (header-mode "
                      "query rules) on the URL with auth parameters appended by hand; "
                      "string to sign and HMAC by hand",
            "canonical_query_by_hand": p.canonical_query,
            "request_context": {},
        },
        "mode": "query",
        "credentials": {"access_key_id": akid, "secret_access_key": secret,
                        "session_token": p.token},
        "region": p.region,
        "service": p.service,
        "timestamp": TIMESTAMP,
        "expires": p.expires,
        "options": dict(SIGNERS[p.signer][1]),
        "request": {
            "method": p.method,
            "url": p.url,
            "headers": [[n, v] for n, v in p.headers],
            "body_b64": "",
        },
        "expected": {
            "canonical_request": canonical,
            "string_to_sign": to_sign,
            "signature": signature,
            "url": f"{sign_url}&X-Amz-Signature={signature}",
        },
    }


def botocore_presign_differs(p: Pinned) -> bool:
    """Show that botocore's own presigner disagrees (else the case need not be pinned)."""
    akid, secret = (STS_AKID, STS_SECRET) if p.token else (AKID, SECRET)
    case = Case("pinned", p.slug, p.description, p.signer, p.method, p.url, headers=p.headers,
                region=p.region, service=p.service, expires=p.expires, token=p.token,
                akid=akid, secret=secret)
    return run_botocore(case)["canonical_request"] != run_pinned(p)["expected"]["canonical_request"]


# --------------------------------------------------------------------------- main


def write_json(path: Path, data: Any) -> None:
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=True) + "\n"
    path.write_text(text, encoding="utf-8")


def main(argv: Sequence[str]) -> int:
    if argv:
        print(__doc__)
        return 2
    OUT.mkdir(exist_ok=True)
    PINNED.mkdir(exist_ok=True)
    for old in [*OUT.glob("*.json"), *PINNED.glob("*.json")]:
        old.unlink()
    total = 0
    for name, (description, build) in GROUPS.items():
        # One generator per group: adding a case to one group leaves the others unchanged.
        rng = random.Random(f"{SEED}-{name}")
        cases = []
        seen = set()
        for case in build(rng):
            assert case.slug not in seen, case.slug
            seen.add(case.slug)
            check_overlap(case)
            expected = run_botocore(case)
            if not bare_keys_agree(case, expected["canonical_request"]):
                print(f"skipped {name}/{case.slug}: botocore does not sign a bare key as k=")
                continue
            cases.append(to_json(case, expected))
        write_json(OUT / f"{name}.json", {"description": description, "cases": cases})
        print(f"{name:15} {len(cases):4} cases")
        total += len(cases)
    pinned = []
    for p in pinned_cases():
        assert botocore_presign_differs(p), f"{p.slug}: botocore's presigner agrees; not pinned"
        pinned.append(run_pinned(p))
    write_json(
        PINNED / "presign_query.json",
        {"description": "presigned URLs where botocore's presigner is wrong; expected values "
                        "derived by hand (see vectors/README.md)", "cases": pinned},
    )
    print(f"{'pinned':15} {len(pinned):4} cases")
    import copy_snapshot  # vectors/copy_snapshot.py, beside this script

    copy_snapshot.main()
    import presigned_corpus  # vectors/presigned_corpus.py: boto3's presigned URLs

    presigned_corpus.main()
    print(f"{'total':15} {total + len(pinned):4} cases (botocore {botocore.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
