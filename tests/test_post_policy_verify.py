"""``verify_post``: forms made by boto3 (the independent oracle) verify, and a table of the
attacks that got past other servers' POST checks is refused with S3's code and the condition
named."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from sigv4kit import Credentials
from sigv4kit.post_policy import PostReason, presigned_post, verify_post

from .test_post_policy import CREDS, TOKEN, boto3_post

NOW = "20240501T124000Z"
BUCKET = "uploads-bucket"
TEMP = Credentials("ASIATEMPEXAMPLE", "tempsecret/EXAMPLE+KEY", TOKEN)
KEYS = {c.access_key_id: c for c in (CREDS, TEMP)}


def lookup(akid: str) -> Credentials | None:
    return KEYS.get(akid)


def boto_form(**kw: Any) -> dict[str, str]:
    fields: dict[str, str] = boto3_post(BUCKET, "uploads/${filename}", "us-west-2", **kw)[
        "fields"
    ]
    return fields


def temp_form(**kw: Any) -> dict[str, str]:
    """A form boto3 makes with temporary credentials (token in a field and a condition)."""
    client_fields = boto3_post(BUCKET, "uploads/${filename}", "us-west-2", token=TOKEN, **kw)
    fields: dict[str, str] = client_fields["fields"]
    return fields


STANDARD = dict(
    fields={"Content-Type": "image/png", "success_action_status": "201",
            "x-amz-meta-owner": "alice"},
    conditions=[["starts-with", "$Content-Type", "image/"], {"success_action_status": "201"},
                {"x-amz-meta-owner": "alice"}, ["content-length-range", 1, 1000]],
)


def test_boto3_forms_verify() -> None:
    fields = boto_form(**STANDARD)
    verdict = verify_post(fields, lookup, bucket=BUCKET, file_size=10, now=NOW,
                          filename="cat.png")
    assert verdict.valid, verdict.message
    assert verdict.key == "uploads/cat.png"
    assert verdict.content_length_range == (1, 1000)
    assert verdict.success_status == 201


def test_boto3_form_with_session_token_verifies() -> None:
    # boto3 signs with the long-term secret here (CREDS) but carries TOKEN: verify under the
    # credentials that pair that key with that token.
    fields = temp_form(**STANDARD)
    both = {CREDS.access_key_id: Credentials(CREDS.access_key_id, CREDS.secret_access_key, TOKEN)}
    verdict = verify_post(fields, both.get, bucket=BUCKET, file_size=10, now=NOW)
    assert verdict.valid, verdict.message
    assert "x-amz-security-token" in verdict.fields


def test_our_forms_verify_with_token_and_directory_bucket() -> None:
    for bucket in (BUCKET, "photos--usw2-az1--x-s3"):
        post = presigned_post(TEMP, bucket=bucket, key="a/${filename}", region="us-west-2",
                              timestamp="20240501T123015Z")
        verdict = verify_post(post.fields, lookup, bucket=bucket, now=NOW, filename="x")
        assert verdict.valid, verdict.message


def sigv2_form() -> dict[str, str]:
    from unittest import mock

    import botocore.session

    client = botocore.session.Session().create_client(
        "s3", region_name="us-east-1", aws_access_key_id=CREDS.access_key_id,
        aws_secret_access_key=CREDS.secret_access_key,
    )  # boto3's default for POST in us-east-1 is still Signature Version 2
    with mock.patch("botocore.signers.get_current_datetime") as clock:
        import datetime as dt

        clock.return_value = dt.datetime(2024, 5, 1, 12, 30, 15)
        fields: dict[str, str] = client.generate_presigned_post(BUCKET, "k")["fields"]
    return fields


def replace(fields: dict[str, str], **changes: str) -> list[tuple[str, str]]:
    return [(k, changes.get(k, v)) for k, v in fields.items()]


def resigned_policy(fields: dict[str, str], mutate: Any) -> dict[str, str]:
    """The same form with its policy changed and signed by someone else's key."""
    document = json.loads(base64.b64decode(fields["policy"]))
    mutate(document)
    out = dict(fields)
    out["policy"] = base64.b64encode(json.dumps(document).encode()).decode()
    return out


def attacks() -> list[tuple[str, Any, dict[str, Any], PostReason, str, str | None]]:
    base = boto_form(**STANDARD)
    return [
        # supabase/storage#1431: a Content-Type list whose later entry escapes the prefix
        ("content-type list smuggling", replace(base, **{"Content-Type": "image/png,text/html"}),
         {}, PostReason.CONDITION_FAILED, "AccessDenied",
         '["starts-with", "$Content-Type", "image/"]'),
        # minio#7806 class: a field no condition mentions
        ("field not in policy", [*base.items(), ("x-amz-meta-evil", "1")], {},
         PostReason.FIELD_NOT_IN_POLICY, "AccessDenied", None),
        # a case-changed field name carrying another value (seaweedfs/floci class)
        ("case-changed field name",
         [("content-type" if k == "Content-Type" else k, "text/html" if k == "Content-Type"
           else v) for k, v in base.items()], {},
         PostReason.CONDITION_FAILED, "AccessDenied",
         '["starts-with", "$Content-Type", "image/"]'),
        ("case-changed duplicate", [*base.items(), ("content-type", "text/html")], {},
         PostReason.DUPLICATE_FIELD, "InvalidArgument", None),
        ("duplicated field", [*base.items(), ("key", "elsewhere/x")], {},
         PostReason.DUPLICATE_FIELD, "InvalidArgument", None),
        ("over-long file", base, {"file_size": 1001}, PostReason.ENTITY_TOO_LARGE,
         "EntityTooLarge", None),
        ("empty file below range", base, {"file_size": 0}, PostReason.ENTITY_TOO_SMALL,
         "EntityTooSmall", None),
        ("key outside the prefix", replace(base, key="private/x"), {},
         PostReason.CONDITION_FAILED, "AccessDenied", '["starts-with", "$key", "uploads/"]'),
        ("filename escaping the key prefix", replace(base, key="${filename}"),
         {"filename": "uploads-not/x"}, PostReason.CONDITION_FAILED, "AccessDenied",
         '["starts-with", "$key", "uploads/"]'),
        ("bucket swap", base, {"bucket": "other-bucket"}, PostReason.CONDITION_FAILED,
         "AccessDenied", '["eq", "$bucket", "uploads-bucket"]'),
        ("expired policy", base, {"now": "20240501T133016Z"}, PostReason.EXPIRED,
         "AccessDenied", None),
        ("signature over another policy",
         resigned_policy(base, lambda d: d["conditions"].append(["starts-with", "$key", ""])),
         {}, PostReason.SIGNATURE_MISMATCH, "SignatureDoesNotMatch", None),
        ("SigV2 policy", sigv2_form(), {}, PostReason.SIGV2, "InvalidRequest", None),
        ("status outside its condition", replace(base, success_action_status="200"), {},
         PostReason.CONDITION_FAILED, "AccessDenied",
         '["eq", "$success_action_status", "201"]'),
        ("unknown access key",
         replace(base, **{"x-amz-credential": "AKIDOTHER/20240501/us-west-2/s3/aws4_request"}),
         {}, PostReason.UNKNOWN_ACCESS_KEY, "InvalidAccessKeyId", None),
        ("policy not JSON", replace(base, policy="bm90IGpzb24="), {},
         PostReason.INVALID_POLICY, "InvalidPolicyDocument", None),
        ("missing key", [(k, v) for k, v in base.items() if k != "key"], {},
         PostReason.MISSING_FIELD, "InvalidArgument", None),
    ]


ATTACKS = attacks()


@pytest.mark.parametrize(
    ("name", "fields", "extra", "reason", "code", "condition"), ATTACKS,
    ids=[a[0] for a in ATTACKS],
)
def test_attack_refused(
    name: str, fields: Any, extra: dict[str, Any], reason: PostReason, code: str,
    condition: str | None,
) -> None:
    kw: dict[str, Any] = {"bucket": BUCKET, "now": NOW, "file_size": 10, "filename": "f.png"}
    kw.update(extra)
    verdict = verify_post(fields, lookup, **kw)
    assert not verdict.valid
    assert (verdict.reason, verdict.code) == (reason, code), verdict.message
    if condition is not None:
        assert verdict.condition == condition
        assert verdict.message == (
            f"Invalid according to Policy: Policy Condition failed: {condition}"
        )
    if reason is PostReason.SIGV2:
        assert "signature_version='s3v4'" in verdict.message


def test_extra_field_named_in_s3_words() -> None:
    base = boto_form(**STANDARD)
    verdict = verify_post([*base.items(), ("x-amz-meta-evil", "1")], lookup, bucket=BUCKET,
                          now=NOW)
    assert verdict.message == "Invalid according to Policy: Extra input fields: x-amz-meta-evil"


def test_exempt_fields_and_empty_prefix() -> None:
    fields = boto_form(fields={"x-amz-meta-tag": "anything"},
                       conditions=[["starts-with", "$x-amz-meta-tag", ""]])
    extra = [*fields.items(), ("x-ignore-tracking", "1"), ("X-Ignore-Other", "2")]
    verdict = verify_post(extra, lookup, bucket=BUCKET, now=NOW, filename="a")
    assert verdict.valid, verdict.message
    assert verdict.content_length_range is None


def test_content_type_list_every_entry_must_match() -> None:
    fields = boto_form(fields={"Content-Type": "image/jpg,image/png"},
                       conditions=[["starts-with", "$Content-Type", "image/"]])
    assert verify_post(fields, lookup, bucket=BUCKET, now=NOW).valid


def test_token_field_spelling_must_match_its_condition() -> None:
    """aws-sdk-php#3292: S3 refused X-Amz-Security-Token covered by a lowercase condition."""
    post = presigned_post(TEMP, bucket=BUCKET, key="k", region="us-west-2",
                          timestamp="20240501T123015Z")
    renamed = [("X-Amz-Security-Token" if k == "x-amz-security-token" else k, v)
               for k, v in post.fields.items()]
    verdict = verify_post(renamed, lookup, bucket=BUCKET, now=NOW)
    assert verdict.reason is PostReason.FIELD_NOT_IN_POLICY
    assert verdict.message.endswith("Extra input fields: X-Amz-Security-Token")
    assert TOKEN not in verdict.message


def test_token_never_in_condition_message() -> None:
    post = presigned_post(TEMP, bucket=BUCKET, key="k", region="us-west-2",
                          timestamp="20240501T123015Z")
    verdict = verify_post(post.fields, lookup, bucket="other", now=NOW)
    assert not verdict.valid and TOKEN not in repr(verdict) + verdict.message


def test_lookup_errors_propagate() -> None:
    def broken(akid: str) -> Credentials | None:
        raise KeyError(akid)

    with pytest.raises(KeyError):
        verify_post(boto_form(), broken, bucket=BUCKET, now=NOW)
