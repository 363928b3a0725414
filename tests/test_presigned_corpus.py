"""explain and verify calibrated on what boto3 presigns (issue 23, item 4): every SigV4 URL of
vectors/presigned/corpus.json (S3 GET/PUT in eight Regions, global and regional hosts, with
and without a token; STS; EC2 CopySnapshot) explains with exit 0 and no warning, and verifies
with its credentials at its timestamp. Reads JSON only: no boto3 needed here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sigv4kit import Credentials
from sigv4kit.cli import cli
from sigv4kit.diagnose.explain import explain_request
from sigv4kit.verify import Reason, verify_request
from sigv4kit.wire import parse_url_request

CORPUS = Path(__file__).resolve().parents[1] / "vectors" / "presigned" / "corpus.json"
CASES: list[dict[str, Any]] = json.loads(CORPUS.read_text(encoding="utf-8"))["cases"]


def test_corpus_covers_the_issue() -> None:
    sigv4 = [c for c in CASES if "X-Amz-Signature=" in c["url"]]
    s3 = [c for c in sigv4 if c["operation"] in ("get_object", "put_object")]
    assert len({c["region"] for c in s3}) >= 6
    assert {c["method"] for c in s3} == {"GET", "PUT"}
    assert {c["config"] for c in s3} == {"s3v4", "region-default"}
    assert {c["credentials"]["session_token"] is None for c in s3} == {True, False}
    # The global host with another Region in the scope: what explain used to call a mismatch.
    assert any(".s3.amazonaws.com/" in c["url"] and c["region"] != "us-east-1" for c in s3)
    assert {c["operation"] for c in sigv4} >= {"get_caller_identity", "copy_snapshot"}


def _credentials(case: dict[str, Any]) -> Credentials:
    c = case["credentials"]
    return Credentials(c["access_key_id"], c["secret_access_key"], c["session_token"])


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_explains_and_verifies(case: dict[str, Any]) -> None:
    request = parse_url_request(case["url"], method=case["method"])
    explained = explain_request(request, now=case["timestamp"])
    verdict = verify_request(request, lambda _: _credentials(case), now=case["timestamp"])
    result = CliRunner().invoke(
        cli, ["explain", case["url"], "--method", case["method"], "--now", case["timestamp"]])
    if "X-Amz-Signature=" not in case["url"]:
        # boto3's Region default still presigns S3 with SigV2 in the Regions that accept it:
        # named as such, with the fix (signature_version="s3v4"), never taken for SigV4.
        assert [w.code for w in explained.warnings] == ["sigv2"]
        assert verdict.reason == Reason.SIGV2
        assert "s3v4" in result.output and result.exit_code == 1
        return
    assert explained.warnings == (), explained.warnings
    assert verdict.valid, verdict.message
    assert result.exit_code == 0, result.output
    assert "Warnings:        none" in result.output


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("https://amzn-s3-demo-bucket.s3.amazonaws.com/k", False),
        ("https://amzn-s3-demo-bucket.s3.dualstack.amazonaws.com/k", False),
        ("https://s3.amazonaws.com/amzn-s3-demo-bucket/k", False),
        ("https://amzn-s3-demo-bucket.s3.us-east-2.amazonaws.com/k", True),
        ("https://amzn-s3-demo-bucket.s3-external-1.amazonaws.com/k", True),
        ("https://ec2.amazonaws.com/?Action=DescribeRegions", True),
    ],
)
def test_only_s3s_global_host_takes_any_region(url: str, warned: bool) -> None:
    from sigv4kit import Request, presign

    service = "ec2" if "ec2" in url else "s3"
    made = presign(Request("GET", url), Credentials("AKIDEXAMPLE", "x"), region="eu-west-1",
                   service=service, timestamp="20260301T080000Z")
    codes = [w.code for w in explain_request(parse_url_request(made.url),
                                             now="20260301T080000Z").warnings]
    assert codes == (["region_mismatch"] if warned else [])
