"""A corpus of presigned URLs as boto3 makes them, to calibrate ``explain`` and ``verify``.

boto3's ``generate_presigned_url`` under a frozen clock (botocore's signers and, with awscrt
installed, its CRT ones: both clocks are frozen): S3 GET and PUT in eight Regions, with and
without a session token, with ``signature_version="s3v4"`` and with the Region's default
configuration (which, outside us-east-1, addresses the global host ``bucket.s3.amazonaws.com``
with the bucket's Region in the scope); STS GetCallerIdentity; EC2 CopySnapshot.

Run through ``vectors/generate.py`` (``python3 tasks.py vectors``) or alone; writes
``vectors/presigned/corpus.json``. Checked by tests/test_presigned_corpus.py, which needs no
boto3. Nothing here imports sigv4kit: the URLs must come from boto3 alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import botocore
import botocore.compat
from botocore.config import Config

OUT = Path(__file__).resolve().parent / "presigned"
KEY = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+EXAMPLE/token=="
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2",
           "ap-northeast-1", "sa-east-1", "ca-central-1"]
S3_KEYS = ["report.pdf", "photos/summer 2023/ünï çødé.jpg", "a+b=c&d/~tilde (1).txt"]
START = datetime(2026, 3, 1, 8, 0, 0)
EXPIRES = 3600


@contextlib.contextmanager
def frozen_clock(now: datetime) -> Iterator[None]:
    """botocore reads the signing time through ``get_current_datetime`` in its auth modules."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch("botocore.auth.get_current_datetime", return_value=now))
        if botocore.compat.HAS_CRT:
            stack.enter_context(
                mock.patch("botocore.crt.auth.get_current_datetime", return_value=now))
        yield


@contextlib.contextmanager
def isolated_env() -> Iterator[None]:
    """No profile, config file or endpoint override of the machine running this."""
    keep = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    for name in keep:
        del os.environ[name]
    os.environ.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                      AWS_EC2_METADATA_DISABLED="true")
    try:
        yield
    finally:
        for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
                     "AWS_EC2_METADATA_DISABLED"):
            os.environ.pop(name, None)
        os.environ.update(keep)


def _client(service: str, region: str, token: str | None, config: Config | None) -> Any:
    session = boto3.session.Session(aws_access_key_id=KEY[0], aws_secret_access_key=KEY[1],
                                    aws_session_token=token, region_name=region)
    return session.client(service, config=config)


def _case(kind: str, index: int, client: Any, method: str, operation: str,
          params: dict[str, Any], http_method: str, token: str | None,
          config: str) -> dict[str, Any]:
    now = START + timedelta(hours=7 * index, seconds=13 * index)
    with frozen_clock(now):
        url = client.generate_presigned_url(operation, Params=params, ExpiresIn=EXPIRES,
                                            HttpMethod=http_method)
    return {
        "id": f"{index:03d}-{kind}",
        "operation": operation,
        "method": method,
        "region": client.meta.region_name,
        "config": config,
        "credentials": {"access_key_id": KEY[0], "secret_access_key": KEY[1],
                        "session_token": token},
        "timestamp": now.strftime("%Y%m%dT%H%M%SZ"),
        "url": url,
    }


def cases() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for region in REGIONS:
        for config_name, config in (("region-default", None),
                                    ("s3v4", Config(signature_version="s3v4"))):
            for token in (None, TOKEN):
                client = _client("s3", region, token, config)
                for method, operation in (("GET", "get_object"), ("PUT", "put_object")):
                    key = S3_KEYS[len(out) % len(S3_KEYS)]
                    kind = (f"s3-{method.lower()}-{region}-{config_name}"
                            + ("-token" if token else ""))
                    out.append(_case(kind, len(out), client, method, operation,
                                     {"Bucket": f"amzn-s3-demo-{region}", "Key": key},
                                     method, token, config_name))
    for region in ("us-east-1", "eu-west-1", "ap-southeast-2"):
        for token in (None, TOKEN):
            client = _client("sts", region, token, None)
            kind = f"sts-get-caller-identity-{region}" + ("-token" if token else "")
            out.append(_case(kind, len(out), client, "GET", "get_caller_identity", {}, "GET",
                             token, "region-default"))
    for source, destination in (("us-west-2", "us-east-1"), ("eu-central-1", "eu-west-1"),
                                ("ap-northeast-1", "ap-southeast-2")):
        for token in (None, TOKEN):
            client = _client("ec2", source, token, None)
            kind = f"ec2-copy-snapshot-{source}-to-{destination}" + ("-token" if token else "")
            params = {"SourceRegion": source, "SourceSnapshotId": "snap-066877671789bd71b",
                      "DestinationRegion": destination, "Description": "copy of ünï 1+1"}
            out.append(_case(kind, len(out), client, "GET", "copy_snapshot", params, "GET",
                             token, "region-default"))
    return out


def main() -> int:
    OUT.mkdir(exist_ok=True)
    with isolated_env():
        data = {
            "description": "presigned URLs from boto3's generate_presigned_url under a frozen "
                           "clock; expires is 3600. Each must explain with no warning and "
                           "verify with its credentials at its timestamp.",
            "generator": f"boto3 {boto3.__version__}, botocore {botocore.__version__}"
                         + (" (awscrt installed: CRT signers)" if botocore.compat.HAS_CRT
                            else ""),
            "cases": cases(),
        }
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    (OUT / "corpus.json").write_text(text, encoding="utf-8")
    print(f"{'presigned':15} {len(data['cases']):4} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
