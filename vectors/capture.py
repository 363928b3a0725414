#!/usr/bin/env python3
"""Capture what real clients send: boto3, the AWS CLI and awscrt, recorded on loopback.

    python3 tasks.py vectors            # or: .venv/bin/python vectors/capture.py

Writes ``vectors/captures/<client>-<service>.json``: each request exactly as the loopback
``sigv4kit.testing.capture.CaptureServer`` received it over HTTPS (method, target, headers in
order, the body as sent, HTTP chunked framing included, base64), with the fake credentials
that signed it and the moment it was signed. ``tests/test_corpus.py`` verifies and explains
every one of them and needs none of these clients.

The clock: botocore's signers read it through ``botocore.auth.get_current_datetime``, which is
patched to ``CLOCK`` (as ``generate.py`` does); awscrt takes the date in its signing config; the
AWS CLI runs as a real subprocess with its own clock, so its capture time is what the request's
X-Amz-Date says, recorded as ``signed_at``. The capture server only records: the signatures
come from the clients alone. Response bodies are empty, so a client may fail to parse the
answer; the request is recorded before that.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import io
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlsplit

os.environ["BOTO_DISABLE_CRT"] = "true"  # botocore's own pure-Python signers in this process

import boto3
import botocore
import botocore.auth
from botocore.config import Config

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from sigv4kit.testing.capture import CapturedRequest, CaptureServer  # noqa: E402

OUT = HERE / "captures"
CLOCK = datetime(2026, 1, 15, 12, 30, 0)  # naive UTC, as botocore's clock returns it
AMZ_CLOCK = CLOCK.strftime("%Y%m%dT%H%M%SZ")

# Obviously fake credentials (the AWS documentation's examples and look-alikes).
CREDENTIALS: dict[str, dict[str, str | None]] = {
    "long-term": {
        "access_key_id": "AKIDEXAMPLE",
        "secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "session_token": None,
    },
    "session": {
        "access_key_id": "ASIAIOSFODNN7EXAMPLE",
        "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
        "session_token": "IQoJb3JpZ2luX2VjEXAMPLE//////////8BEXAMPLETOKEN+with/slashes==",
    },
}
OBJECT = b"".join(b"line %04d of the corpus object\n" % i for i in range(120))  # 3,720 bytes
SNAPSHOT = "snap-0123456789abcdef0"


class Corpus:
    """The cases gathered so far, grouped by file."""

    def __init__(self, server: CaptureServer) -> None:
        self.server = server
        self.groups: dict[str, dict[str, Any]] = {}

    def capture(self, action: Callable[..., object], *args: Any, **kwargs: Any
                ) -> list[CapturedRequest]:
        """Run ``action(*args, **kwargs)`` (a client call) and return the requests it sent."""
        before = len(self.server.requests)
        with contextlib.suppress(Exception):  # empty answers may not parse; the request is kept
            action(*args, **kwargs)
        return self.server.requests[before:]

    def add(
        self,
        group: str,
        client: str,
        version: str,
        captured: CapturedRequest,
        *,
        name: str,
        kind: str,
        service: str,
        credentials: str,
        signed_at: str,
        description: str,
        decoded: bytes | None = None,
    ) -> None:
        entry = self.groups.setdefault(group, {"client": client, "version": version, "cases": []})
        case: dict[str, Any] = {
            "name": name,
            "description": description,
            "kind": kind,
            "service": service,
            "scheme": captured.scheme,
            "method": captured.method,
            "target": captured.target,
            "headers": [list(h) for h in captured.headers],
            "body_base64": base64.b64encode(captured.raw_body).decode(),
            "credentials": CREDENTIALS[credentials],
            "signed_at": signed_at,
        }
        if decoded is not None:
            case["decoded_base64"] = base64.b64encode(decoded).decode()
        entry["cases"].append(case)

    def write(self) -> None:
        OUT.mkdir(exist_ok=True)
        for old in OUT.glob("*.json"):
            old.unlink()
        for group, data in sorted(self.groups.items()):
            path = OUT / f"{group}.json"
            path.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=True) + "\n")
            print(f"wrote {path.relative_to(ROOT)} ({len(data['cases'])} cases)")


def fetch(server: CaptureServer, url: str, headers: dict[str, str] | None = None) -> None:
    """GET ``url`` (a presigned one) from the capture server as a browser or curl would."""
    parts = urlsplit(url)
    context = ssl.create_default_context(cafile=server.ca_file)
    conn = http.client.HTTPSConnection(parts.hostname or "", parts.port, context=context,
                                       timeout=10)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request("GET", target, headers=headers or {})
        conn.getresponse().read()
    finally:
        conn.close()


# -- boto3 -------------------------------------------------------------------------------------


@contextlib.contextmanager
def frozen_clock() -> Iterator[None]:
    # botocore.auth reads the clock only through its imported name get_current_datetime.
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=CLOCK):
        yield


def boto3_client(server: CaptureServer, service: str, credentials: str, region: str,
                 **config: Any) -> Any:
    creds = CREDENTIALS[credentials]
    return boto3.session.Session().client(
        service,  # type: ignore[call-overload]
        region_name=region,
        endpoint_url=server.url,
        verify=server.ca_file,
        aws_access_key_id=creds["access_key_id"],
        aws_secret_access_key=creds["secret_access_key"],
        aws_session_token=creds["session_token"],
        config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=10,
                      **config),
    )


def capture_boto3(corpus: Corpus) -> None:
    server = corpus.server
    version = f"boto3 {boto3.__version__} (botocore {botocore.__version__})"

    def add(group: str, captured: CapturedRequest, **fields: Any) -> None:
        corpus.add(f"boto3-{group}", "boto3", version, captured, signed_at=AMZ_CLOCK, **fields)

    for creds in CREDENTIALS:
        with frozen_clock():
            s3 = boto3_client(server, "s3", creds, "us-east-1",
                              s3={"addressing_style": "path"}, signature_version="s3v4")
            (put,) = corpus.capture(
                s3.put_object, Bucket="corpus-bucket", Key="dir/an object.txt", Body=OBJECT)
            add("s3", put, name=f"PutObject default ({creds})", kind="streaming", service="s3",
                credentials=creds, decoded=OBJECT,
                description="PutObject with default settings over HTTPS: aws-chunked inside "
                "Transfer-Encoding: chunked, STREAMING-UNSIGNED-PAYLOAD-TRAILER, CRC32 trailer")
            s3_required = boto3_client(server, "s3", creds, "us-east-1",
                                       s3={"addressing_style": "path"},
                                       request_checksum_calculation="when_required")
            (signed,) = corpus.capture(
                s3_required.put_object, Bucket="corpus-bucket", Key="signed-body.txt",
                Body=OBJECT)
            add("s3", signed, name=f"PutObject when_required ({creds})", kind="header",
                service="s3", credentials=creds,
                description="PutObject with request_checksum_calculation=when_required: the "
                "body's SHA-256 signed in X-Amz-Content-SHA256")
            (get,) = corpus.capture(
                s3.get_object, Bucket="corpus-bucket", Key="dir/an object.txt",
                Range="bytes=0-99")
            add("s3", get, name=f"GetObject ({creds})", kind="header", service="s3",
                credentials=creds, description="GetObject with a Range header")
            url = s3.generate_presigned_url(
                "get_object", Params={"Bucket": "corpus-bucket", "Key": "dir/an object.txt"},
                ExpiresIn=900)
        (presigned,) = corpus.capture(fetch, server, url)
        add("s3", presigned, name=f"presigned GetObject ({creds})", kind="presigned",
            service="s3", credentials=creds,
            description="generate_presigned_url('get_object', ExpiresIn=900) with "
            "signature_version='s3v4', fetched by http.client")
        with frozen_clock(), mock.patch("time.time", return_value=CLOCK.replace(
                tzinfo=UTC).timestamp()):
            legacy = boto3_client(server, "s3", creds, "us-east-1",
                                  s3={"addressing_style": "path"})
            url = legacy.generate_presigned_url(
                "get_object", Params={"Bucket": "corpus-bucket", "Key": "dir/an object.txt"},
                ExpiresIn=900)
        (v2,) = corpus.capture(fetch, server, url)
        add("s3", v2, name=f"presigned GetObject, default signature version ({creds})",
            kind="sigv2", service="s3", credentials=creds,
            description="generate_presigned_url in us-east-1 without signature_version: "
            "botocore still makes a SigV2 link (AWSAccessKeyId, Signature, Expires)")

        with frozen_clock():
            ec2 = boto3_client(server, "ec2", creds, "us-east-1")
            (describe,) = corpus.capture(
                ec2.describe_snapshots, OwnerIds=["self"],
                Filters=[{"Name": "status", "Values": ["completed"]}])
            add("ec2", describe, name=f"DescribeSnapshots ({creds})", kind="header",
                service="ec2", credentials=creds, description="DescribeSnapshots with a filter")
            (copy,) = corpus.capture(
                ec2.copy_snapshot, SourceRegion="us-west-2", SourceSnapshotId=SNAPSHOT,
                Description="corpus copy")
        add("ec2", copy, name=f"CopySnapshot ({creds})", kind="header", service="ec2",
            credentials=creds,
            description="CopySnapshot from us-west-2: botocore adds a PresignedUrl "
            "(DestinationRegion us-east-1) to the form body")
        inner = parse_qs(copy.body.decode())["PresignedUrl"][0]
        (replayed,) = corpus.capture(fetch, server, inner)
        add("ec2", replayed, name=f"CopySnapshot PresignedUrl ({creds})", kind="presigned",
            service="ec2", credentials=creds,
            description="the PresignedUrl botocore put into CopySnapshot (signed for "
            "us-west-2), fetched as EC2 replays it")

        for service, region, call in (
            ("sts", "us-east-1", lambda c: c.get_caller_identity()),
            ("dynamodb", "eu-west-1", lambda c: c.list_tables(Limit=10)),
            ("lambda", "us-west-2", lambda c: c.list_functions(MaxItems=5)),
            ("apigateway", "ap-southeast-2", lambda c: c.get_rest_apis(limit=5)),
        ):
            with frozen_clock():
                client = boto3_client(server, service, creds, region)
                (captured,) = corpus.capture(call, client)
            add(service, captured, name=f"{captured.method} {service} ({creds})",
                kind="header", service=service, credentials=creds,
                description=f"a {service} call in {region}")


# -- the AWS CLI -------------------------------------------------------------------------------


def aws_cli() -> str | None:
    found = shutil.which("aws", path=str(Path(sys.executable).parent))
    return found or shutil.which("aws")


def capture_awscli(corpus: Corpus) -> None:
    aws = aws_cli()
    if aws is None:
        print("awscli not installed: pip install awscli (the vectors extra); skipped")
        return
    version = subprocess.run([aws, "--version"], capture_output=True, text=True,
                             timeout=60).stdout.strip() or "aws-cli"
    with tempfile.TemporaryDirectory(prefix="sigv4kit-corpus-") as tmp:
        body = Path(tmp) / "object.txt"
        body.write_bytes(OBJECT)
        commands: list[tuple[str, str, str, str, list[str]]] = [
            ("s3", "us-east-1", "put-object", "streaming",
             ["s3api", "put-object", "--bucket", "corpus-bucket", "--key", "cli/object.txt",
              "--body", str(body)]),
            ("s3", "us-east-1", "get-object", "header",
             ["s3api", "get-object", "--bucket", "corpus-bucket", "--key", "cli/object.txt",
              str(Path(tmp) / "out.txt")]),
            ("ec2", "us-east-1", "describe-snapshots", "header",
             ["ec2", "describe-snapshots", "--owner-ids", "self", "--no-paginate"]),
            ("sts", "us-east-1", "get-caller-identity", "header", ["sts", "get-caller-identity"]),
            ("dynamodb", "eu-west-1", "list-tables", "header",
             ["dynamodb", "list-tables", "--no-paginate"]),
            ("lambda", "us-west-2", "list-functions", "header",
             ["lambda", "list-functions", "--no-paginate"]),
            ("apigateway", "ap-southeast-2", "get-rest-apis", "header",
             ["apigateway", "get-rest-apis", "--no-paginate"]),
        ]
        s3v4 = Path(tmp) / "s3v4.ini"
        s3v4.write_text("[default]\ns3 =\n  signature_version = s3v4\n")
        for creds, values in CREDENTIALS.items():
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith("AWS_") and k != "BOTO_DISABLE_CRT"}
            env.update({
                "AWS_ACCESS_KEY_ID": values["access_key_id"] or "",
                "AWS_SECRET_ACCESS_KEY": values["secret_access_key"] or "",
                "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_MAX_ATTEMPTS": "1",
                "AWS_RETRY_MODE": "standard",
                "AWS_PAGER": "",
            })
            if values["session_token"]:
                env["AWS_SESSION_TOKEN"] = values["session_token"]
            presign = ["s3", "presign", "s3://corpus-bucket/cli/object.txt", "--expires-in", "600"]
            for service, region, name, kind, args in [
                *commands,
                ("s3", "us-east-1", "presign", "presigned", presign),
                ("s3", "us-east-1", "presign-default", "sigv2", presign),
            ]:
                run_env = dict(env)
                if name == "presign":
                    run_env["AWS_CONFIG_FILE"] = str(s3v4)
                cli_capture(corpus, version, creds, aws, args, region, name, kind, service,
                            run_env)


def cli_capture(corpus: Corpus, version: str, creds: str, aws: str, args: list[str],
                region: str, name: str, kind: str, service: str, env: dict[str, str]) -> None:
    server = corpus.server
    cmd = [aws, *args, "--region", region, "--endpoint-url", server.url,
           "--ca-bundle", server.ca_file or "", "--output", "json"]
    before = len(server.requests)
    started = datetime.now(UTC)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    if name.startswith("presign"):
        fetch(server, done.stdout.strip())
    sent = server.requests[before:]
    if len(sent) != 1:
        raise SystemExit(f"aws {' '.join(args[:2])}: {len(sent)} requests sent; "
                         f"stderr: {done.stderr[-500:]}")
    captured = sent[0]
    signed_at = (captured.header("x-amz-date") or _query_date(captured.target)
                 or started.strftime("%Y%m%dT%H%M%SZ"))
    what = "aws " + " ".join(args[:2]) + (" (default signature version)" if kind == "sigv2"
                                          else "")
    corpus.add(f"awscli-{service}", "awscli", version, captured, name=f"{what} ({creds})",
               kind=kind, service=service, credentials=creds, signed_at=signed_at,
               description=f"{what} in {region}",
               decoded=OBJECT if name == "put-object" else None)


def _query_date(target: str) -> str | None:
    return parse_qs(urlsplit(target).query).get("X-Amz-Date", [None])[0]


# -- awscrt ------------------------------------------------------------------------------------


def capture_awscrt(corpus: Corpus) -> None:
    try:
        import awscrt
        from awscrt import auth
        from awscrt import http as crt_http
    except ImportError:
        print("awscrt not installed; skipped")
        return
    from importlib.metadata import version as dist_version

    server = corpus.server
    host = f"127.0.0.1:{server.port}"
    when = CLOCK.replace(tzinfo=UTC)
    client_version = f"awscrt {dist_version('awscrt')}"
    del awscrt

    def sign_and_send(
        creds: str, method: str, path: str, headers: list[tuple[str, str]], body: bytes,
        config: dict[str, Any],
    ) -> CapturedRequest:
        values = CREDENTIALS[creds]
        provider = auth.AwsCredentialsProvider.new_static(
            values["access_key_id"] or "", values["secret_access_key"] or "",
            values["session_token"])
        request = crt_http.HttpRequest(method, path, crt_http.HttpHeaders(
            [("Host", host), *headers]), body_stream=io.BytesIO(body))
        signing = auth.AwsSigningConfig(credentials_provider=provider, date=when, **config)
        signed = auth.aws_sign_request(request, signing).result(timeout=10)
        context = ssl.create_default_context(cafile=server.ca_file)
        conn = http.client.HTTPSConnection("127.0.0.1", server.port, context=context,
                                           timeout=10)
        before = len(server.requests)
        try:
            conn.putrequest(signed.method, signed.path, skip_host=True,
                            skip_accept_encoding=True)
            for name, value in signed.headers:
                conn.putheader(name, value)
            if body and not any(n.lower() == "content-length" for n, _ in signed.headers):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
            conn.getresponse().read()
        finally:
            conn.close()
        (captured,) = server.requests[before:]
        return captured

    v4, v4a = auth.AwsSigningAlgorithm.V4, auth.AwsSigningAlgorithm.V4_ASYMMETRIC
    headers_type = auth.AwsSignatureType.HTTP_REQUEST_HEADERS
    query_type = auth.AwsSignatureType.HTTP_REQUEST_QUERY_PARAMS
    s3_config = {"use_double_uri_encode": False, "should_normalize_uri_path": False,
                 "signed_body_header_type": auth.AwsSignedBodyHeaderType.X_AMZ_CONTENT_SHA_256}
    form = "application/x-www-form-urlencoded; charset=utf-8"
    cases: list[tuple[str, str, str, str, list[tuple[str, str]], bytes, dict[str, Any], str]] = [
        ("s3", "header", "PUT", "/corpus-bucket/crt/object%20one.txt",
         [("Content-Type", "text/plain"), ("Content-Length", str(len(OBJECT)))], OBJECT,
         {"algorithm": v4, "signature_type": headers_type, "region": "us-east-1",
          "service": "s3", **s3_config}, "PutObject signed by aws_sign_request (S3 rules)"),
        ("s3", "presigned", "GET", "/corpus-bucket/crt/object%20one.txt", [], b"",
         {"algorithm": v4, "signature_type": query_type, "region": "us-east-1",
          "service": "s3", "expiration_in_seconds": 3600,
          "signed_body_value": auth.AwsSignedBodyValue.UNSIGNED_PAYLOAD,
          "use_double_uri_encode": False, "should_normalize_uri_path": False},
         "a presigned GetObject URL signed by awscrt"),
        ("s3", "header", "GET", "/corpus-bucket/crt/object%20one.txt", [], b"",
         {"algorithm": v4a, "signature_type": headers_type, "region": "*",
          "service": "s3", **s3_config}, "GetObject signed with SigV4a for region set '*'"),
        ("sts", "header", "POST", "/", [("Content-Type", form)],
         b"Action=GetCallerIdentity&Version=2011-06-15",
         {"algorithm": v4, "signature_type": headers_type, "region": "us-east-1",
          "service": "sts"}, "STS GetCallerIdentity, form body"),
        ("sts", "presigned", "GET", "/?Action=GetCallerIdentity&Version=2011-06-15", [], b"",
         {"algorithm": v4, "signature_type": query_type, "region": "us-east-1",
          "service": "sts", "expiration_in_seconds": 60},
         "a presigned STS GetCallerIdentity URL"),
        ("dynamodb", "header", "POST", "/",
         [("Content-Type", "application/x-amz-json-1.0"),
          ("X-Amz-Target", "DynamoDB_20120810.ListTables")], b'{"Limit": 10}',
         {"algorithm": v4, "signature_type": headers_type, "region": "eu-west-1",
          "service": "dynamodb"}, "DynamoDB ListTables"),
        ("ec2", "header", "POST", "/", [("Content-Type", form)],
         b"Action=DescribeSnapshots&Version=2016-11-15&OwnerId.1=self",
         {"algorithm": v4, "signature_type": headers_type, "region": "us-east-1",
          "service": "ec2"}, "EC2 DescribeSnapshots"),
    ]
    for creds in CREDENTIALS:
        for service, kind, method, path, headers, body, config, description in cases:
            captured = sign_and_send(creds, method, path, headers, body, config)
            algorithm = "SigV4a" if config["algorithm"] == v4a else "SigV4"
            corpus.add(f"awscrt-{service}", "awscrt", client_version, captured,
                       name=f"{method} {service} {kind} {algorithm} ({creds})", kind=kind,
                       service=service, credentials=creds, signed_at=AMZ_CLOCK,
                       description=description)


def main() -> None:
    with CaptureServer(tls=True) as server:
        corpus = Corpus(server)
        capture_boto3(corpus)
        capture_awscrt(corpus)
        capture_awscli(corpus)
        corpus.write()


if __name__ == "__main__":
    main()
