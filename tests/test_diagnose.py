"""sigv4kit.diagnose against really mis-signed requests.

Every catalogue test signs a request the way a real client does (sigv4kit, botocore, or a
hand-rolled signer repeating a bug seen in the wild) with one thing wrong, then lets a
"server" compute what it expected: botocore's SigV4Auth / S3SigV4Auth pieces (path rules,
query canonicalisation, canonical headers, string to sign, signature) applied to the request
*as the server received it*, with the signed header list, date and scope read from that
request the way an AWS front end reads them. The control tests prove that server agrees with
sigv4kit byte for byte on correctly signed requests, and every scenario checks the request
really is refused (the server's signature differs). The server's answer is then wrapped in
each envelope a service uses (S3 XML with and without the *Bytes forms, Query XML, JSON,
plain text, a raw HTTP response), parsed, diffed, and the expected cause must come first.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from hashlib import sha256
from typing import Any
from unittest import mock
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit
from xml.sax.saxutils import escape

import botocore.auth
import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials as BotoCredentials
from hypothesis import given
from hypothesis import strategies as st

from sigv4kit import (
    S3_OPTIONS,
    S3_PRESIGN_OPTIONS,
    UNSIGNED_PAYLOAD,
    Credentials,
    Request,
    presign,
    sign_request,
)
from sigv4kit.canonical import canonical_request
from sigv4kit.diagnose import (
    MAX_INPUT_BYTES,
    DiagnoseError,
    Diagnosis,
    ServerReport,
    diff_report,
    parse_server_error,
    render_text,
    to_dict,
)
from sigv4kit.keys import ALGORITHM, signature, signing_key, string_to_sign
from sigv4kit.redact import redacted

WHEN = datetime(2024, 1, 15, 12, 0, 0, tzinfo=UTC)
AMZ = "20240115T120000Z"
AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = (
    "IQoJb3JpZ2luX2VjEHoaCXVzLWVhc3QtMSJHMEUCIQDexampleNotARealToken/Only+ForTests"
    "AiBvZXhhbXBsZS10b2tlbi12YWx1ZS1mb3ItdGVzdGluZw=="
)
CREDS = Credentials(AKID, SECRET)
TEMP = Credentials("ASIAEXAMPLE", SECRET, session_token=TOKEN)
API = "https://abc123.execute-api.us-east-1.amazonaws.com"
BUCKET = "https://examplebucket.s3.us-east-1.amazonaws.com"


# --------------------------------------------------------------------------- the server


@dataclass(frozen=True)
class Received:
    """A request as it reached the server."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def header(self, name: str) -> str | None:
        values = [v for n, v in self.headers if n.lower() == name]
        return ",".join(values) if values else None

    def without_header(self, name: str) -> Received:
        return replace(self, headers=tuple((n, v) for n, v in self.headers if n.lower() != name))

    def with_header(self, name: str, value: str) -> Received:
        return replace(self, headers=(*self.without_header(name.lower()).headers, (name, value)))


@dataclass(frozen=True)
class Server:
    """An AWS front end for one region and service; S3's path and payload rules or not."""

    region: str
    service: str
    s3: bool = False

    def expects(self, got: Received) -> tuple[str, str, str]:
        """The canonical request, string to sign and signature this server computes."""
        parts = urlsplit(got.url)
        pairs = parse_qsl(parts.query, keep_blank_values=True)  # '+' reads as a space
        query = dict(pairs)
        authorization = got.header("authorization")
        if authorization is not None:
            found = re.search(r"SignedHeaders=([^,\s]+)", authorization)
            assert found is not None
            signed = found.group(1).split(";")
            amzdate = got.header("x-amz-date")
        else:
            signed = query["X-Amz-SignedHeaders"].split(";")
            amzdate = query["X-Amz-Date"]
        assert amzdate is not None
        auth = (S3SigV4Auth if self.s3 else SigV4Auth)(
            BotoCredentials(AKID, SECRET), self.service, self.region
        )
        headers = HTTPHeaders()
        for name in (n.lower() for n in signed):
            values = [v for n, v in got.headers if n.lower() == name]
            if not values and name == "host":
                values = [botocore.auth._host_from_url(got.url)]  # set by the HTTP client
            for value in values or [""]:  # a signed header that did not arrive is empty
                headers[name] = value
        sha_header = got.header("x-amz-content-sha256")
        if sha_header is not None and "x-amz-content-sha256" in signed:
            payload = sha_header
        elif self.s3 and authorization is None:
            payload = UNSIGNED_PAYLOAD
        else:
            payload = sha256(got.body).hexdigest()
        canonical = "\n".join(
            [
                got.method.upper(),
                auth._normalize_url_path(parts.path),
                auth._canonical_query_string_params(
                    [(k, v) for k, v in pairs if k != "X-Amz-Signature"]
                ),
                auth.canonical_headers(headers) + "\n",
                auth.signed_headers(headers),
                payload,
            ]
        )
        request = AWSRequest(method=got.method, url=got.url)
        request.context["timestamp"] = amzdate
        to_sign = auth.string_to_sign(request, canonical)
        return canonical, to_sign, auth.signature(to_sign, request)


API_SERVER = Server("us-east-1", "execute-api")
S3_SERVER = Server("us-east-1", "s3", s3=True)


@dataclass(frozen=True)
class Case:
    """What the client signed, and what the server expected of the request it got."""

    ours_canonical: str
    ours_sts: str
    ours_signature: str
    server_canonical: str
    server_sts: str
    server_signature: str


def case(
    ours: tuple[str, str, str], got: Received, server: Server, *, refused: bool = True
) -> Case:
    expected = server.expects(got)
    result = Case(*ours, *expected)
    if refused:
        assert result.ours_signature != result.server_signature, "not really mis-signed"
    return result


def header_signed(request: Request, creds: Credentials = CREDS, **kw: Any) -> tuple[Any, Received]:
    kw.setdefault("region", "us-east-1")
    kw.setdefault("service", "execute-api")
    kw.setdefault("timestamp", AMZ)
    signed = sign_request(request, creds, **kw)
    got = Received(request.method, request.url, signed.request.headers, request.body)
    return (signed.canonical_request, signed.string_to_sign, signed.signature), got


def query_signed(
    request: Request, creds: Credentials = CREDS, **kw: Any
) -> tuple[tuple[str, str, str], Received]:
    kw.setdefault("region", "us-east-1")
    kw.setdefault("service", "execute-api")
    kw.setdefault("timestamp", AMZ)
    p = presign(request, creds, **kw)
    got = Received(request.method, p.url, p.headers)
    return (p.canonical_request, p.string_to_sign, p.signature), got


def botocore_client(
    signer: type[SigV4Auth], method: str, url: str, *, service: str = "execute-api", **kw: Any
) -> tuple[tuple[str, str, str], AWSRequest]:
    """botocore as the client: what it signed (spied on), and the request it produced."""
    auth = signer(BotoCredentials(AKID, SECRET), service, "us-east-1", **kw)
    seen: dict[str, str] = {}
    for name in ("canonical_request", "string_to_sign", "signature"):
        original = getattr(auth, name)

        def spy(*args: Any, _name: str = name, _original: Any = original) -> Any:
            seen[_name] = result = _original(*args)
            return result

        setattr(auth, name, spy)
    request = AWSRequest(method=method, url=url)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=WHEN):
        auth.add_auth(request)
    return (seen["canonical_request"], seen["string_to_sign"], seen["signature"]), request


def hand_rolled(
    method: str,
    path: str,
    query: str,
    header_lines: list[str],
    signed_headers: str,
    payload: str,
    *,
    amzdate: str = AMZ,
    scope_date: str | None = None,
    authorization_signed: str | None = None,
    service: str = "execute-api",
) -> tuple[tuple[str, str, str], str]:
    """A home-made signer (sigv4kit's primitives for the hashing and HMAC) that builds the
    canonical request from the parts given, bugs included; returns what it signed and the
    Authorization header it sends."""
    scope = f"{scope_date or amzdate[:8]}/us-east-1/{service}/aws4_request"
    block = "".join(f"{line}\n" for line in header_lines)
    canonical = canonical_request(method, path, query, block, signed_headers, payload)
    to_sign = string_to_sign(ALGORITHM, amzdate, scope, canonical)
    key = signing_key(SECRET, scope[:8], "us-east-1", service)
    sig = signature(key, to_sign)
    listed = authorization_signed or signed_headers
    auth = f"{ALGORITHM} Credential={AKID}/{scope}, SignedHeaders={listed}, Signature={sig}"
    return (canonical, to_sign, sig), auth


EMPTY = sha256(b"").hexdigest()


# --------------------------------------------------------------------------- scenarios

SCENARIOS: dict[str, tuple[str, Callable[[], Case]]] = {}


def scenario(expected: str) -> Callable[[Callable[[], Case]], Callable[[], Case]]:
    def register(build: Callable[[], Case]) -> Callable[[], Case]:
        SCENARIOS[build.__name__] = (expected, cache(build))
        return build

    return register


@scenario("path-encoded-twice")
def s3_path_double_encoded() -> Case:
    # An S3 request signed with the non-S3 default double_encode_path=True.
    req = Request("GET", f"{BUCKET}/photos/a%20b.jpg")
    ours, got = header_signed(req, service="s3", content_sha256_header=True, normalize_path=False,
                              double_encode_path=True)
    return case(ours, got, S3_SERVER)


@scenario("path-encoded-once")
def api_path_encoded_once() -> Case:
    # A non-S3 request signed with S3's double_encode_path=False.
    ours, got = header_signed(Request("GET", f"{API}/prod/items/a%20b"), double_encode_path=False)
    return case(ours, got, API_SERVER)


@scenario("path-not-encoded")
def s3_key_signed_decoded() -> Case:
    # A signer that puts the object key into the canonical URI as text, not URI-encoded.
    host = BUCKET[8:]
    lines = [f"host:{host}", f"x-amz-content-sha256:{EMPTY}", f"x-amz-date:{AMZ}"]
    ours, auth = hand_rolled(
        "GET",
        "/photos/summer 2023.jpg",
        "",
        lines,
        "host;x-amz-content-sha256;x-amz-date",
        EMPTY,
        service="s3",
    )
    headers = (("X-Amz-Content-SHA256", EMPTY), ("X-Amz-Date", AMZ), ("Authorization", auth))
    return case(ours, Received("GET", f"{BUCKET}/photos/summer%202023.jpg", headers), S3_SERVER)


@scenario("path-normalised")
def s3_path_normalised() -> Case:
    opts = {**S3_OPTIONS, "normalize_path": True}
    ours, got = header_signed(Request("GET", f"{BUCKET}/logs/./2024//a.txt"), service="s3", **opts)
    return case(ours, got, S3_SERVER)


@scenario("path-not-normalised")
def api_path_not_normalised() -> Case:
    ours, got = header_signed(Request("GET", f"{API}/prod/a/../items"), normalize_path=False)
    return case(ours, got, API_SERVER)


@scenario("query-plus-for-space")
def query_plus_for_space() -> Case:
    # urlencode() writes a space as '+': signed as a literal plus, read by the server as space.
    url = f"{API}/prod/search?" + urlencode({"q": "hello world"})
    ours, got = header_signed(Request("GET", url))
    return case(ours, got, API_SERVER)


@scenario("query-not-sorted")
def query_not_sorted() -> Case:
    # A signer that keeps the query in the order written.
    amz = f"x-amz-date:{AMZ}"
    ours, auth = hand_rolled(
        "GET",
        "/prod/items",
        "limit=10&color=red",
        [f"host:{API[8:]}", amz],
        "host;x-amz-date",
        EMPTY,
    )
    got = Received(
        "GET",
        f"{API}/prod/items?limit=10&color=red",
        (("X-Amz-Date", AMZ), ("Authorization", auth)),
    )
    return case(ours, got, API_SERVER)


@scenario("query-encoding")
def query_star_unencoded() -> Case:
    # botocore signs the query of a URL as written: '*' stays raw, the server encodes it.
    ours, req = botocore_client(SigV4Auth, "GET", f"{API}/prod/items?filter=size*")
    got = Received("GET", req.url, tuple(req.headers.items()))
    return case(ours, got, API_SERVER)


@scenario("query-encoding")
def query_lowercase_hex() -> Case:
    ours, req = botocore_client(SigV4Auth, "GET", f"{API}/prod/items?path=%2ftmp")
    got = Received("GET", req.url, tuple(req.headers.items()))
    return case(ours, got, API_SERVER)


@scenario("query-param-not-signed")
def presigner_kept_one_value() -> Case:
    # botocore's presigner keeps only the first value of a repeated key (parse_qs); the app
    # then sends its own query with the signature parameters appended.
    original = "tag=red&tag=blue"
    ours, req = botocore_client(SigV4QueryAuth, "GET", f"{API}/prod/items?{original}", expires=3600)
    auth_params = "&".join(p for p in urlsplit(req.url).query.split("&") if p.startswith("X-Amz"))
    got = Received("GET", f"{API}/prod/items?{original}&{auth_params}")
    return case(ours, got, API_SERVER)


@scenario("query-param-not-sent")
def query_value_dropped() -> Case:
    # The presigned URL is rebuilt from a dict: one value per key survives.
    ours, got = query_signed(Request("GET", f"{API}/prod/items?tag=red&tag=blue"))
    parts = urlsplit(got.url)
    rebuilt = urlencode(dict(parse_qsl(parts.query)), safe="/", quote_via=quote)
    return case(ours, replace(got, url=urlunsplit(parts._replace(query=rebuilt))), API_SERVER)


@scenario("header-whitespace")
def header_not_trimmed() -> Case:
    # A signer that copies header values verbatim (no trim, no collapse).
    lines = [f"host:{API[8:]}", "x-amz-date:" + AMZ, "x-amz-meta-note:two  spaces "]
    signed = "host;x-amz-date;x-amz-meta-note"
    ours, auth = hand_rolled("GET", "/prod/items", "", lines, signed, EMPTY)
    got = Received(
        "GET",
        f"{API}/prod/items",
        (("X-Amz-Date", AMZ), ("X-Amz-Meta-Note", "two  spaces "), ("Authorization", auth)),
    )
    return case(ours, got, API_SERVER)


@scenario("header-changed")
def content_type_charset_added() -> Case:
    req = Request(
        "POST", f"{API}/prod/items", [("Content-Type", "application/json")], body=b'{"a":1}'
    )
    ours, got = header_signed(req)
    return case(
        ours, got.with_header("Content-Type", "application/json; charset=utf-8"), API_SERVER
    )


@scenario("host-port")
def host_port_added() -> Case:
    # Signed for the default port, sent through a tunnel on 8443: the HTTP client's Host has it.
    ours, got = header_signed(Request("GET", f"{API}/prod/items"))
    return case(ours, replace(got, url=got.url.replace(".com/", ".com:8443/")), API_SERVER)


@scenario("signed-header-missing")
def presigned_header_not_sent() -> Case:
    # presign() signs the request's headers; the URL's user does not send Content-Type.
    req = Request("PUT", f"{BUCKET}/upload.csv", [("Content-Type", "text/csv")])
    ours, got = query_signed(req, service="s3", **S3_PRESIGN_OPTIONS)
    return case(ours, got.without_header("content-type"), S3_SERVER)


@scenario("signed-headers-differ")
def signed_list_not_canonical_list() -> Case:
    # The SignedHeaders sent lists every request header; the canonical request only some.
    lines = [f"host:{API[8:]}", "x-amz-date:" + AMZ]
    ours, auth = hand_rolled(
        "POST",
        "/prod/items",
        "",
        lines,
        "host;x-amz-date",
        sha256(b"{}").hexdigest(),
        authorization_signed="content-type;host;x-amz-date",
    )
    headers = (("Content-Type", "application/json"), ("X-Amz-Date", AMZ), ("Authorization", auth))
    return case(ours, Received("POST", f"{API}/prod/items", headers, b"{}"), API_SERVER)


@scenario("header-name-case")
def header_names_not_lowercased() -> Case:
    lines = [f"Host:{API[8:]}", "X-Amz-Date:" + AMZ]
    ours, auth = hand_rolled("GET", "/prod/items", "", lines, "Host;X-Amz-Date", EMPTY)
    got = Received("GET", f"{API}/prod/items", (("X-Amz-Date", AMZ), ("Authorization", auth)))
    return case(ours, got, API_SERVER)


@scenario("session-token-missing")
def token_header_dropped() -> Case:
    ours, got = header_signed(Request("GET", f"{API}/prod/items"), TEMP)
    return case(ours, got.without_header("x-amz-security-token"), API_SERVER)


@scenario("session-token-missing")
def token_param_stripped() -> Case:
    ours, got = query_signed(Request("GET", f"{API}/prod/items"), TEMP)
    parts = urlsplit(got.url)
    kept = "&".join(p for p in parts.query.split("&") if not p.startswith("X-Amz-Security-Token"))
    return case(ours, replace(got, url=urlunsplit(parts._replace(query=kept))), API_SERVER)


@scenario("session-token-unexpected")
def token_appended_after_presigning() -> Case:
    # sign_session_token=False (IoT style) for a service that wants the token signed.
    ours, got = query_signed(Request("GET", f"{API}/prod/items"), TEMP, sign_session_token=False)
    return case(ours, got, API_SERVER)


@scenario("payload-unsigned-vs-digest")
def unsigned_payload_for_api() -> Case:
    req = Request("POST", f"{API}/prod/items", body=b'{"name":"x"}')
    ours, got = header_signed(req, payload_hash=UNSIGNED_PAYLOAD)
    return case(ours, got, API_SERVER)


@scenario("payload-unsigned-vs-digest")
def s3_presigned_with_digest() -> Case:
    # An S3 URL presigned with the header-signing options: the empty body's digest is signed.
    opts = {"normalize_path": False, "double_encode_path": False, "payload_hash": None}
    ours, got = query_signed(Request("GET", f"{BUCKET}/report.pdf"), service="s3", **opts)
    return case(ours, got, S3_SERVER)


@scenario("body-changed")
def json_reserialised() -> Case:
    doc = {"name": "x", "tags": [1, 2]}
    req = Request("POST", f"{API}/prod/items", body=json.dumps(doc))
    ours, got = header_signed(req)
    return case(
        ours, replace(got, body=json.dumps(doc, separators=(",", ":")).encode()), API_SERVER
    )


@scenario("clock-skew")
def date_restamped_by_retry() -> Case:
    # A retry wrote a fresh X-Amz-Date ten minutes later and kept the old Authorization.
    ours, got = header_signed(Request("GET", f"{API}/prod/items"))
    later = (WHEN + timedelta(minutes=10)).strftime("%Y%m%dT%H%M%SZ")
    return case(ours, got.with_header("X-Amz-Date", later), API_SERVER)


@scenario("scope-date-differs")
def scope_cached_from_yesterday() -> Case:
    amz = "20240115T000500Z"
    lines = [f"host:{API[8:]}", "x-amz-date:" + amz]
    ours, auth = hand_rolled(
        "GET",
        "/prod/items",
        "",
        lines,
        "host;x-amz-date",
        EMPTY,
        amzdate=amz,
        scope_date="20240114",
    )
    got = Received("GET", f"{API}/prod/items", (("X-Amz-Date", amz), ("Authorization", auth)))
    return case(ours, got, API_SERVER)


@scenario("wrong-region")
def signed_for_wrong_region() -> Case:
    ours, got = header_signed(Request("GET", "https://ec2.us-west-2.amazonaws.com/"), service="ec2")
    return case(ours, got, Server("us-west-2", "ec2"))


@scenario("wrong-region")
def presigned_for_wrong_region() -> Case:
    # CopySnapshot's PresignedUrl signed for the destination instead of the source region.
    url = "https://ec2.us-west-2.amazonaws.com/?Action=CopySnapshot&SourceRegion=us-west-2"
    ours, got = query_signed(Request("GET", url), service="ec2", region="us-east-1")
    return case(ours, got, Server("us-west-2", "ec2"))


@scenario("wrong-service")
def signed_for_wrong_service() -> Case:
    url = "https://search-x.us-east-1.es.amazonaws.com/_search"
    ours, got = header_signed(Request("GET", url), service="opensearch")
    return case(ours, got, Server("us-east-1", "es"))


@scenario("method-differs")
def presigned_get_used_to_put() -> Case:
    ours, got = query_signed(
        Request("GET", f"{BUCKET}/report.pdf"), service="s3", **S3_PRESIGN_OPTIONS
    )
    return case(ours, replace(got, method="PUT"), S3_SERVER)


@scenario("wrong-secret-key")
def wrong_secret() -> Case:
    wrong = Credentials(AKID, SECRET.replace("EXAMPLEKEY", "EXAMPLEKEZ"))
    ours, got = header_signed(Request("GET", f"{API}/prod/items"), wrong)
    return case(ours, got, API_SERVER)


@scenario("server-hashed-differently")
def server_hashed_other_bytes() -> Case:
    # Cannot be produced by a correct server: its report shows our canonical request but its
    # string to sign hashes something else (here: the text with a CR the XML text lost).
    ours, got = header_signed(Request("GET", f"{API}/prod/items"))
    canonical, to_sign, sig = API_SERVER.expects(got)
    other = sha256((canonical + "\r").encode()).hexdigest()
    return Case(*ours, canonical, to_sign.rsplit("\n", 1)[0] + "\n" + other, sig)


# --------------------------------------------------------------------------- envelopes

MESSAGE = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details."
)
S3_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your key and signing method."
)


def query_message(canonical: str, to_sign: str) -> str:
    return (
        f"{MESSAGE}\n\nThe Canonical String for this request should have been\n'{canonical}'\n\n"
        f"The String-to-Sign should have been\n'{to_sign}'\n"
    )


def hex_bytes(text: str) -> str:
    return " ".join(f"{b:02x}" for b in text.encode())


def s3_xml(c: Case, *, with_bytes: bool) -> str:
    bytes_sts = f"<StringToSignBytes>{hex_bytes(c.server_sts)}</StringToSignBytes>"
    bytes_cr = f"<CanonicalRequestBytes>{hex_bytes(c.server_canonical)}</CanonicalRequestBytes>"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>SignatureDoesNotMatch</Code><Message>{S3_MESSAGE}</Message>"
        f"<AWSAccessKeyId>{AKID}</AWSAccessKeyId>"
        f"<StringToSign>{escape(c.server_sts)}</StringToSign>"
        f"<SignatureProvided>{c.ours_signature}</SignatureProvided>"
        + (bytes_sts if with_bytes else "")
        + f"<CanonicalRequest>{escape(c.server_canonical)}</CanonicalRequest>"
        + (bytes_cr if with_bytes else "")
        + "<RequestId>4442587FB7D0A2F9</RequestId><HostId>aG9zdA==</HostId></Error>"
    )


ENVELOPES: dict[str, Callable[[Case], str | bytes]] = {
    "s3-xml-bytes": lambda c: s3_xml(c, with_bytes=True),
    "s3-xml-text": lambda c: s3_xml(c, with_bytes=False),
    "query-xml": lambda c: (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
        "<Type>Sender</Type><Code>SignatureDoesNotMatch</Code>"
        f"<Message>{escape(query_message(c.server_canonical, c.server_sts))}</Message>"
        "</Error><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>"
    ),
    "json-type": lambda c: json.dumps(
        {
            "__type": "com.amazon.coral.service#InvalidSignatureException",
            "message": query_message(c.server_canonical, c.server_sts),
        }
    ),
    "json-Message": lambda c: json.dumps(
        {
            "__type": "SignatureDoesNotMatch",
            "Message": query_message(c.server_canonical, c.server_sts),
        }
    ),
    "text": lambda c: (
        "An error occurred (SignatureDoesNotMatch) when calling the GetItems operation: "
        + query_message(c.server_canonical, c.server_sts)
    ),
    "http-json": lambda c: (
        "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n"
        "x-amzn-RequestId: 3cc709b0-16e5-78ef-f335-81431d8d2027\r\n"
        "x-amzn-ErrorType: InvalidSignatureException:http://internal.amazon.com/coral/\r\n\r\n"
        + json.dumps({"message": query_message(c.server_canonical, c.server_sts)})
    ).encode(),
}


def diagnose(name: str, envelope: str) -> tuple[Diagnosis, Case]:
    c = SCENARIOS[name][1]()
    report = parse_server_error(ENVELOPES[envelope](c))
    return diff_report(c.ours_canonical, c.ours_sts, report), c


# --------------------------------------------------------------------------- the catalogue


def test_server_agrees_with_sigv4kit_on_correct_requests() -> None:
    """The control: correctly signed requests are accepted by the emulated server."""
    checks = [
        header_signed(Request("GET", f"{API}/prod/a%20b/../c?x=1&a=%2A")),
        header_signed(Request("POST", f"{API}/prod", [("Content-Type", "a/b")], b"x"), TEMP),
        header_signed(Request("GET", f"{BUCKET}/a%20b//c"), service="s3", **S3_OPTIONS),
        query_signed(Request("GET", f"{API}/prod?tag=b&tag=a"), TEMP),
        query_signed(
            Request("PUT", f"{BUCKET}/k", [("Content-Type", "t/c")]),
            service="s3",
            **S3_PRESIGN_OPTIONS,
        ),
    ]
    for (ours, got), server in zip(
        checks, [API_SERVER, API_SERVER, S3_SERVER, API_SERVER, S3_SERVER], strict=True
    ):
        assert server.expects(got) == ours


@pytest.mark.parametrize("envelope", ENVELOPES)
@pytest.mark.parametrize("name", SCENARIOS)
def test_catalogue_cause_comes_first(name: str, envelope: str) -> None:
    expected = SCENARIOS[name][0]
    diagnosis, _ = diagnose(name, envelope)
    assert diagnosis.causes, render_text(diagnosis)
    assert diagnosis.causes[0].code == expected, render_text(diagnosis)


def test_every_catalogue_entry_is_proven() -> None:
    proven = {expected for expected, _ in SCENARIOS.values()}
    assert proven >= {
        "path-encoded-twice",
        "path-encoded-once",
        "path-not-encoded",
        "path-normalised",
        "path-not-normalised",
        "query-plus-for-space",
        "query-not-sorted",
        "query-encoding",
        "query-param-not-signed",
        "query-param-not-sent",
        "header-whitespace",
        "header-changed",
        "host-port",
        "signed-header-missing",
        "signed-headers-differ",
        "header-name-case",
        "session-token-missing",
        "session-token-unexpected",
        "payload-unsigned-vs-digest",
        "body-changed",
        "clock-skew",
        "scope-date-differs",
        "wrong-region",
        "wrong-service",
        "method-differs",
        "wrong-secret-key",
        "server-hashed-differently",
    }


def test_details_of_specific_causes() -> None:
    d, _ = diagnose("date_restamped_by_retry", "s3-xml-bytes")
    assert d.causes[0].title == "The server read a request time 10m 0s later than you signed"
    assert len(d.causes) == 1  # the x-amz-date header line is explained by the same cause
    d, _ = diagnose("content_type_charset_added", "json-type")
    assert "Content-Type" in d.causes[0].title
    assert "charset=utf-8" in " ".join(d.causes[0].evidence)
    d, _ = diagnose("presigned_for_wrong_region", "query-xml")
    assert [c.code for c in d.causes] == ["wrong-region"]  # X-Amz-Credential is not a query cause
    d, _ = diagnose("s3_path_double_encoded", "text")
    assert "S3_OPTIONS" in d.causes[0].explanation
    d, _ = diagnose("api_path_encoded_once", "text")
    assert "execute-api" in d.causes[0].explanation
    d, _ = diagnose("wrong_secret", "s3-xml-bytes")
    assert d.identical and AKID in d.causes[0].explanation
    assert d.canonical_request is not None and d.canonical_request.first_difference is None
    d, _ = diagnose("query_plus_for_space", "json-type")
    assert "you signed a plus, the server read a space" in d.causes[0].title


def test_first_difference_and_caret() -> None:
    d, _ = diagnose("s3_path_double_encoded", "s3-xml-bytes")
    part = d.canonical_request
    assert part is not None and not part.identical
    first = part.first_difference
    assert first is not None
    # '/photos/a%2' is common: the first difference is the 12th character.
    assert (first.line, first.column, first.component) == (2, 12, "canonical URI (path)")
    assert first.ours == "/photos/a%2520b.jpg" and first.server == "/photos/a%20b.jpg"
    assert first.caret == " " * 11 + "^"
    assert "-/photos/a%2520b.jpg" in part.diff and "+/photos/a%20b.jpg" in part.diff
    sts = d.string_to_sign
    assert sts is not None and sts.first_difference is not None
    assert sts.first_difference.component == "canonical hash"
    text = render_text(d)
    assert "differs at line 2, column 12 (canonical URI (path))" in text
    assert "  ours:   /photos/a%2520b.jpg\n  server: /photos/a%20b.jpg\n" in text
    assert "\n" + " " * 10 + " " * 11 + "^\n" in text


def test_long_lines_are_windowed_around_the_caret() -> None:
    d, _ = diagnose("presigner_kept_one_value", "json-type")
    lines = render_text(d).split("\n")
    at = lines.index(next(x for x in lines if x.startswith("Canonical request: differs")))
    ours, server, caret = lines[at + 1][10:], lines[at + 2][10:], lines[at + 3][10:]
    assert ours.startswith("…") and len(ours) < 120
    column = caret.index("^")
    assert ours[:column] == server[:column] and ours[column] != server[column]


def test_module_is_pure() -> None:
    """diagnose belongs to the core: no HTTP library, CLI framework or botocore."""
    code = (
        "import sys, sigv4kit.diagnose;"
        "bad = {'requests', 'click', 'botocore', 'urllib3', 'cryptography'} & set(sys.modules);"
        "print(sorted(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_signature_not_sent() -> None:
    c = SCENARIOS["wrong_secret"][1]()
    report = parse_server_error(ENVELOPES["s3-xml-bytes"](c))
    d = diff_report(c.ours_canonical, c.ours_sts, report, signature="f" * 64)
    assert d.causes[0].code == "signature-not-sent"


def test_inconsistent_artefacts_are_named() -> None:
    c = SCENARIOS["wrong_secret"][1]()
    report = parse_server_error(ENVELOPES["s3-xml-bytes"](c))
    d = diff_report(c.ours_canonical + "x", c.ours_sts, report)
    assert "ours-inconsistent" in [x.code for x in d.causes]


# --------------------------------------------------------------------------- no canonical


EC2_AUTH_FAILURE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>AuthFailure</Code>'
    "<Message>AWS was not able to validate the provided access credentials</Message></Error>"
    "</Errors><RequestID>b25f4e06-0d8f-4d0a-9d0f-0e3c1f2b1a11</RequestID></Response>"
)


def test_ec2_auth_failure_has_no_canonical() -> None:
    report = parse_server_error(EC2_AUTH_FAILURE)
    assert (report.format, report.code) == ("ec2-xml", "AuthFailure")
    assert report.canonical_request is None and report.string_to_sign is None
    assert report.request_id == "b25f4e06-0d8f-4d0a-9d0f-0e3c1f2b1a11"
    c = SCENARIOS["wrong_secret"][1]()
    d = diff_report(c.ours_canonical, c.ours_sts, report)
    assert d.canonical_request is None and d.string_to_sign is None
    assert [x.code for x in d.causes] == ["server-gave-no-canonical"]
    assert "sigv4kit explain" in d.causes[0].explanation
    assert "not reported by the server" in render_text(d)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            "<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request"
            " time and the current time is too large.</Message><RequestTime>20240115T120000Z"
            "</RequestTime><ServerTime>2024-01-15T12:20:00Z</ServerTime></Error>",
            "clock-skew",
        ),
        (
            "<Response><Errors><Error><Code>RequestExpired</Code><Message>Request has expired."
            "</Message></Error></Errors><RequestID>x</RequestID></Response>",
            "request-expired",
        ),
        (
            '{"__type":"UnrecognizedClientException","message":"The security token included in '
            'the request is invalid."}',
            "unknown-access-key",
        ),
        (
            '{"__type":"ExpiredTokenException","message":"The security token included in the '
            'request is expired"}',
            "session-token-expired",
        ),
    ],
)
def test_error_codes_without_canonical(body: str, code: str) -> None:
    c = SCENARIOS["wrong_secret"][1]()
    d = diff_report(c.ours_canonical, c.ours_sts, parse_server_error(body))
    assert d.causes[0].code == code


def test_only_string_to_sign_reported() -> None:
    c = SCENARIOS["host_port_added"][1]()
    sts = f"<StringToSign>{c.server_sts}</StringToSign>"
    body = f"<Error><Code>SignatureDoesNotMatch</Code>{sts}</Error>"
    d = diff_report(c.ours_canonical, c.ours_sts, parse_server_error(body))
    assert d.canonical_request is None
    assert d.causes[0].code == "canonical-request-differs"


# --------------------------------------------------------------------------- parsing


def test_s3_bytes_preferred_over_text() -> None:
    c = SCENARIOS["wrong_secret"][1]()
    xml = s3_xml(c, with_bytes=True)
    # A view that folds the text forms' newlines into spaces leaves the *Bytes forms intact.
    folded = xml.replace(escape(c.server_canonical), escape(c.server_canonical).replace("\n", " "))
    report = parse_server_error(folded.encode())
    assert report.canonical_request == c.server_canonical
    assert report.string_to_sign == c.server_sts
    assert report.access_key_id == AKID and report.request_id == "4442587FB7D0A2F9"
    assert report.signature_provided == c.ours_signature
    # Bytes wrapped mid-byte by a log viewer still decode.
    wrapped = xml.replace("0a ", "0\na ", 3)
    assert parse_server_error(wrapped).canonical_request == c.server_canonical


def test_s3_malformed_bytes_fall_back_to_text() -> None:
    c = SCENARIOS["wrong_secret"][1]()
    xml = s3_xml(c, with_bytes=True).replace(
        "<CanonicalRequestBytes>", "<CanonicalRequestBytes>zz "
    )
    report = parse_server_error(xml)
    assert report.canonical_request == c.server_canonical
    assert any("not hex" in n for n in report.notes)


def test_json_and_text_forms() -> None:
    c = SCENARIOS["wrong_secret"][1]()
    msg = query_message(c.server_canonical, c.server_sts)
    sp_api = json.dumps({"errors": [{"message": msg, "code": "InvalidSignature"}]})
    report = parse_server_error(sp_api)
    assert (report.code, report.canonical_request) == ("InvalidSignature", c.server_canonical)
    raw = parse_server_error(ENVELOPES["http-json"](c))
    assert raw.code == "InvalidSignatureException"
    assert raw.request_id == "3cc709b0-16e5-78ef-f335-81431d8d2027"
    assert parse_server_error(ENVELOPES["text"](c)).code == "SignatureDoesNotMatch"
    assert parse_server_error(ENVELOPES["json-type"](c)).code == "InvalidSignatureException"


def test_apostrophe_in_header_value_survives() -> None:
    canonical = "GET\n/\n\nhost:h\nx-amz-meta-name:O'Brien\n\nhost;x-amz-meta-name\n" + EMPTY
    to_sign = f"{ALGORITHM}\n{AMZ}\n20240115/us-east-1/s3/aws4_request\n" + "0" * 64
    report = parse_server_error(query_message(canonical, to_sign))
    assert (report.canonical_request, report.string_to_sign) == (canonical, to_sign)


def test_folded_whitespace_is_noted() -> None:
    c = SCENARIOS["wrong_secret"][1]()
    folded = " ".join(query_message(c.server_canonical, c.server_sts).split())
    report = parse_server_error(folded)
    assert report.string_to_sign == c.server_sts  # four words: the line breaks are restored
    assert any("no line breaks" in n for n in report.notes)
    d = diff_report(c.ours_canonical, c.ours_sts, report)
    assert d.causes  # never silent, even without structure


def test_s3_xml_inside_log_text() -> None:
    c = SCENARIOS["wrong_secret"][1]()
    log = "DEBUG: Response: " + s3_xml(c, with_bytes=True).split("\n", 1)[1] + " (403)"
    report = parse_server_error(log)
    assert report.canonical_request == c.server_canonical and report.format == "text"


def test_lone_surrogate_escape_in_json_is_tolerated() -> None:
    report = parse_server_error('{"__type": "SignatureDoesNotMatch", "message": "a\\ud800b"}')
    assert report.message == "a\\ud800b"
    d = diff_report("GET\n/\ud800\n", "x", report)
    render_text(d)


def test_adversarial_inputs_are_fast() -> None:
    intro = "The Canonical String for this request should have been\n'"
    inputs: list[str | bytes] = [
        intro * (MAX_INPUT_BYTES // len(intro) - 1),
        "<CanonicalRequestBytes>" * (MAX_INPUT_BYTES // 24),
        "'" * MAX_INPUT_BYTES,
        "{" + '"a":' * (MAX_INPUT_BYTES // 5),
        "<Error><Message>" + "&amp;" * (MAX_INPUT_BYTES // 6) + "</Message></Error>",
    ]
    for text in inputs:
        start = time.perf_counter()
        with contextlib.suppress(DiagnoseError):
            parse_server_error(text)
        assert time.perf_counter() - start < 2.0
    many_lines = "\n".join(str(i) for i in range(100_000))
    other = "\n".join(str(i * 7) for i in range(100_000))
    report = ServerReport(other, other, "SignatureDoesNotMatch", None)
    start = time.perf_counter()
    render_text(diff_report(many_lines, many_lines, report))
    assert time.perf_counter() - start < 5.0


_FRAGMENTS = st.sampled_from(
    [
        "<Error>",
        "</Error>",
        "<Code>",
        "</Code>",
        "SignatureDoesNotMatch",
        "<Message>",
        "</Message>",
        "<CanonicalRequestBytes>",
        "</CanonicalRequestBytes>",
        "47 45 54 0a",
        "<StringToSign>",
        "</StringToSign>",
        "<ErrorResponse>",
        "</ErrorResponse>",
        "&amp;",
        "&lt;",
        "&x;",
        "<!DOCTYPE e [<!ENTITY x 'y'>]>",
        "<?xml version='1.0'?>",
        "{",
        "}",
        '"message":',
        '"__type":',
        '"',
        ",",
        "'",
        "\n",
        " ",
        "HTTP/1.1 403 X\r\n\r\n",
        "The Canonical String for this request should have been\n",
        "The String-to-Sign should have been\n",
        "\\ud800",
        "\x00",
        "\x1b[2J",
    ]
)
_FUZZ = st.lists(st.one_of(_FRAGMENTS, st.text(max_size=8)), max_size=30).map("".join)


@given(st.one_of(_FUZZ, st.text(max_size=200), st.binary(max_size=200)))
def test_parser_raises_only_diagnose_error(data: str | bytes) -> None:
    try:
        report = parse_server_error(data)
    except DiagnoseError:
        return
    assert isinstance(report, ServerReport)
    d = diff_report("GET\n/\n\nhost:h\n\nhost\n" + EMPTY, "a\nb\nc\nd", report)
    assert "\x1b" not in render_text(d)
    json.dumps(to_dict(d))


@given(st.sampled_from(sorted(ENVELOPES)), st.integers(0, 10_000), st.sampled_from([True, False]))
def test_truncated_envelopes(envelope: str, cut: int, as_bytes: bool) -> None:
    data = ENVELOPES[envelope](SCENARIOS["token_header_dropped"][1]())
    text = data.decode() if isinstance(data, bytes) else data
    piece = text[: cut % (len(text) + 1)]
    with contextlib.suppress(DiagnoseError):
        parse_server_error(piece.encode() if as_bytes else piece)


_LINES = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "GET",
                "/",
                "",
                "host:h",
                "x-amz-date:" + AMZ,
                "host;x-amz-date",
                EMPTY,
                UNSIGNED_PAYLOAD,
                "a=1&b=2",
                "%2520",
                "x-amz-security-token:",
            ]
        ),
        st.text(max_size=12),
    ),
    max_size=10,
).map("\n".join)


@given(_LINES, _LINES, _LINES, _LINES)
def test_diff_report_never_fails(ours: str, server: str, ours_sts: str, server_sts: str) -> None:
    d = diff_report(ours, ours_sts, ServerReport(server, server_sts, "SignatureDoesNotMatch", None))
    assert d.causes
    assert d.identical == (ours == server and ours_sts == server_sts)
    if d.canonical_request is not None and not d.identical and ours != server:
        assert d.canonical_request.first_difference is not None
    render_text(d, color=True)
    json.dumps(to_dict(d))


# --------------------------------------------------------------------------- redaction


@pytest.mark.parametrize(
    "name", ["token_header_dropped", "token_param_stripped", "token_appended_after_presigning"]
)
def test_session_token_is_redacted(name: str) -> None:
    d, c = diagnose(name, "s3-xml-bytes")
    outputs = [
        render_text(d),
        render_text(d, color=True),
        json.dumps(to_dict(d)),
        json.dumps(to_dict(d), ensure_ascii=False),
        repr(d),
        repr(d.report),
    ]
    for out in outputs:
        assert TOKEN not in out and quote(TOKEN, safe="") not in out
        assert c.ours_signature not in out
    shown = render_text(d)
    assert redacted(TOKEN) in shown and redacted(TOKEN).startswith("IQoJ")
    assert f"({len(TOKEN)} chars)" in shown


def test_token_difference_inside_redaction_still_shows() -> None:
    other = TOKEN[:20] + ("A" if TOKEN[20] != "A" else "B") + TOKEN[21:]
    ours, got = header_signed(Request("GET", f"{API}/prod/items"), TEMP)
    c = case(ours, got.with_header("X-Amz-Security-Token", other), API_SERVER)
    d = diff_report(
        c.ours_canonical,
        c.ours_sts,
        parse_server_error(query_message(c.server_canonical, c.server_sts)),
    )
    assert d.causes[0].code == "session-token-differs"
    text = render_text(d)
    assert TOKEN not in text and other not in text
    assert f"-x-amz-security-token:{redacted(TOKEN)}" in text
    assert f"+x-amz-security-token:{redacted(other)}" in text


def test_caller_secrets_are_redacted() -> None:
    api_key = "k3y-abcdefghijklmnopqrstuvwxyz"
    req = Request("GET", f"{API}/prod/items", [("X-Api-Key", api_key)])
    ours, got = header_signed(req)
    c = case(ours, got.with_header("X-Api-Key", api_key + "-2"), API_SERVER)
    d = diff_report(c.ours_canonical, c.ours_sts, parse_server_error(ENVELOPES["text"](c)))
    assert d.causes[0].code == "header-changed"
    assert api_key in render_text(d)  # not a credential sigv4kit knows about
    dumped = json.dumps(to_dict(d, secrets=[api_key]), ensure_ascii=False)
    for out in (render_text(d, secrets=[api_key]), dumped):
        assert api_key not in out and redacted(api_key) in out


def test_colour_only_when_asked_and_server_text_escaped() -> None:
    c = SCENARIOS["wrong_secret"][1]()
    body = json.dumps(
        {
            "__type": "SignatureDoesNotMatch",
            "message": "\x1b[2J\u202eevil " + query_message(c.server_canonical, c.server_sts),
        }
    )
    d = diff_report(c.ours_canonical, c.ours_sts, parse_server_error(body))
    plain = render_text(d)
    assert "\x1b" not in plain and "\u202e" not in plain
    assert "\\x1b[2J\\u202eevil" in plain
    coloured = render_text(d, color=True)
    assert "\x1b[" in coloured and "\x1b[2J" not in coloured
