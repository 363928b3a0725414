"""``sigv4kit presign post`` (its JSON equal to boto3's generate_presigned_post), ``--html``,
and ``explain`` / ``verify`` of a policy and of a whole multipart form."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner

from sigv4kit.cli import cli

from .test_post_policy import CREDS, TOKEN, boto3_post

ENV = {
    "AWS_ACCESS_KEY_ID": CREDS.access_key_id,
    "AWS_SECRET_ACCESS_KEY": CREDS.secret_access_key,
    "AWS_SESSION_TOKEN": TOKEN,
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",
}
NOW = "2024-05-01T12:40:00Z"


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), env=ENV)


def test_presign_post_json_equals_boto3() -> None:
    result = invoke("presign", "post", "s3://uploads-bucket/in/${filename}", "--region",
                    "eu-west-1", "--timestamp", "20240501T123015Z",
                    "--condition", '["content-length-range", 1, 1000]',
                    "--field", "Content-Type=image/png",
                    "--condition", '{"Content-Type": "image/png"}')
    assert result.exit_code == 0, result.output
    theirs = boto3_post("uploads-bucket", "in/${filename}", "eu-west-1", token=TOKEN,
                        fields={"Content-Type": "image/png"},
                        conditions=[["content-length-range", 1, 1000],
                                    {"Content-Type": "image/png"}])
    mine = json.loads(result.output)
    assert mine["url"] == theirs["url"]
    assert list(mine["fields"].items()) == list(theirs["fields"].items())


def test_presign_post_html_and_bad_input() -> None:
    result = invoke("presign", "post", "s3://b-1/k", "--region", "us-east-1", "--html")
    assert result.exit_code == 0
    assert '<input type="file" name="file"' in result.output
    assert 'name="x-amz-signature"' in result.output
    bad = invoke("presign", "post", "s3://b-1/k", "--region", "us-east-1", "--condition", "{x")
    assert bad.exit_code == 2 and "--condition" in bad.output and "Traceback" not in bad.output
    bad = invoke("presign", "post", "s3://b-1/k", "--region", "us-east-1", "--expires", "0")
    assert bad.exit_code == 2 and "--expires" in bad.output


def multipart_body(fields: dict[str, str]) -> bytes:
    request = requests.Request("POST", "http://127.0.0.1/b", data=fields,
                               files={"file": ("a.txt", b"abc")}).prepare()
    assert isinstance(request.body, bytes)
    return request.body


def test_explain_policy_base64_json_and_form(tmp_path: Path) -> None:
    made = boto3_post("uploads-bucket", "${filename}", "us-east-1",
                      conditions=[["starts-with", "$Content-Type", ""]],
                      fields={"Content-Type": "text/html"})
    encoded = made["fields"]["policy"]
    for source in (encoded, base64.b64decode(encoded).decode()):
        result = invoke("explain", source, "--now", NOW)
        assert result.exit_code == 1, result.output  # warnings
        assert "S3 POST policy" in result.output
        assert 'an empty starts-with on $key' in result.output
        assert "no content-length-range" in result.output
        assert "Content-Type holding commas" in result.output
    form = tmp_path / "form.txt"
    form.write_bytes(multipart_body({**made["fields"], "x-amz-meta-extra": "1"}))
    result = invoke("explain", f"@{form}", "--now", NOW, "--output", "json")
    report = json.loads(result.output)
    assert report["kind"] == "s3-post-policy"
    assert "content-type" in report["covers"]
    assert any("x-amz-meta-extra" in w for w in report["warnings"])


def test_verify_form(tmp_path: Path) -> None:
    made = boto3_post("uploads-bucket", "in/${filename}", "us-east-1", token=TOKEN)
    form = tmp_path / "form.txt"
    form.write_bytes(multipart_body(made["fields"]))
    result = invoke("verify", f"@{form}", "--now", NOW)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("valid: ")
    form.write_bytes(multipart_body({**made["fields"], "key": "other/x"}))
    result = invoke("verify", f"@{form}", "--now", NOW)
    assert result.exit_code == 1
    assert 'Policy Condition failed: ["starts-with", "$key", "in/"]' in result.output
    assert TOKEN not in result.output


@pytest.mark.parametrize("source", ["https://example.com/x?X-Amz-Signature=1", "not-a-policy"])
def test_other_inputs_still_go_to_the_request_explainer(source: str) -> None:
    result = invoke("explain", source)
    assert "S3 POST policy" not in result.output
