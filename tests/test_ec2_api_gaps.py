"""Small EC2 API gaps a new user hit (issue 23, item 9): ``CopySnapshotPresigner`` exported
from ``sigv4kit.ec2``; ``Client.copy_snapshot`` refusing a PresignedUrl whose members differ
from the call's (checked against botocore's own URLs, vectors/copy_snapshot); credentials of
an assume-role profile keeping their expiry, so "the URL outlives the credentials" fires."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from click.testing import CliRunner

import sigv4kit
from sigv4kit import Credentials, SigningError
from sigv4kit.ec2 import Client, CopySnapshotPresigner, presigned_copy_snapshot_url
from sigv4kit.ec2.client import check_presigned_url_matches

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "copy_snapshot" / "presigned_url.json"
BOTOCORE_CASES: list[dict[str, Any]] = json.loads(VECTORS.read_text(encoding="utf-8"))["cases"]
CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
SNAP = "snap-066877671789bd71b"


def test_presigner_is_exported_and_equals_the_function() -> None:
    assert "CopySnapshotPresigner" in sigv4kit.ec2.__all__
    presigner = CopySnapshotPresigner(CREDS, source_region="us-west-2",
                                      destination_region="us-east-1",
                                      timestamp="20261125T120000Z",
                                      extra_params={"Description": "nightly"})
    assert presigner.presign(SNAP) == presigned_copy_snapshot_url(
        CREDS, source_region="us-west-2", source_snapshot_id=SNAP,
        destination_region="us-east-1", timestamp="20261125T120000Z",
        extra_params={"Description": "nightly"})


@pytest.mark.parametrize("case", BOTOCORE_CASES, ids=[c["id"] for c in BOTOCORE_CASES])
def test_botocores_urls_match_their_own_call(case: dict[str, Any]) -> None:
    """botocore's PresignedUrl fits the call it was made for, member by member, and any
    member changed (or added) is refused, naming it."""
    params = {"SourceRegion": case["source_region"],
              "SourceSnapshotId": case["source_snapshot_id"], **case["extra_params"]}
    url, destination = case["expected_url"], case["destination_region"]
    check_presigned_url_matches(url, params, destination)
    other = {**params, "Description": params.get("Description", "") + " (other)"}
    with pytest.raises(SigningError, match="Description"):
        check_presigned_url_matches(url, other, destination)
    tagged = {**params, "TagSpecifications": [
        {"ResourceType": "snapshot", "Tags": [{"Key": "k", "Value": "changed"}]}]}
    with pytest.raises(SigningError, match="TagSpecification"):
        check_presigned_url_matches(url, tagged, destination)


@pytest.mark.parametrize(
    ("member", "value"),
    [("Description", "other"), ("Encrypted", False), ("KmsKeyId", "alias/other"),
     ("DryRun", True)],
)
def test_copy_snapshot_refuses_a_member_that_differs(member: str, value: object) -> None:
    url = presigned_copy_snapshot_url(
        CREDS, source_region="us-west-2", source_snapshot_id=SNAP,
        destination_region="us-east-1",
        extra_params={"Description": "nightly", "Encrypted": True, "KmsKeyId": "alias/copy"})
    client = Client(region="us-east-1", credentials=CREDS, endpoint_url="http://127.0.0.1:9")
    call = {"SourceRegion": "us-west-2", "SourceSnapshotId": SNAP, "PresignedUrl": url,
            "Description": "nightly", "Encrypted": True, "KmsKeyId": "alias/copy"}
    with (mock.patch.object(Client, "call", side_effect=AssertionError("sent")),
          pytest.raises(SigningError, match=member) as info):
        client.copy_snapshot(**{**call, member: value})
    assert isinstance(info.value, sigv4kit.Error) and isinstance(info.value, ValueError)
    with mock.patch.object(Client, "call", return_value={"SnapshotId": "snap-1"}) as sent:
        client.copy_snapshot(**call)
    assert sent.called


ROLE_CONFIG = """[profile base]
region = us-east-1
[profile role]
role_arn = arn:aws:iam::123456789012:role/copier
source_profile = base
region = us-east-1
"""


def test_assume_role_credentials_keep_their_expiry(tmp_path: Path) -> None:
    """STS (moto, in process) hands out one-hour credentials: each way of resolving them
    keeps the expiry, and a 7-day URL signed with them is warned about."""
    from moto import mock_aws

    from sigv4kit.aws.credentials import (
        chain_credentials,
        current_credentials,
        resolve_credentials,
    )
    from sigv4kit.cli import cli

    (tmp_path / "config").write_text(ROLE_CONFIG)
    (tmp_path / "credentials").write_text(
        "[base]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=str(tmp_path / "config"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"))
    with mock.patch.dict(os.environ, env, clear=True), mock_aws():
        import botocore.session

        now = datetime.now(UTC)
        chained = chain_credentials("role")
        assert callable(chained)
        found = [resolve_credentials("role"), chained(),
                 current_credentials(botocore.session.Session(profile="role").get_credentials())]
        for creds in found:
            assert creds.session_token and creds.expiration is not None
            assert 0 < (creds.expiration - now).total_seconds() <= 12 * 3600
        result = CliRunner().invoke(cli, [
            "presign", "url", "https://b.s3.us-east-1.amazonaws.com/k", "--service", "s3",
            "--profile", "role", "--expires", "604800"])
    assert result.exit_code == 0, result.output
    assert "the credentials that signed it expire at" in result.stderr
