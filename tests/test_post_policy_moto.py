"""moto accepts uploads made with our forms, and where its POST support stops.

moto's server as the moto_server fixture runs it (IAM authentication on) answers every POST
form upload, boto3's own included, with 500: its authentication wants an Authorization header
or X-Amz-* query, which a form does not carry. moto in-process (``mock_aws``, no
authentication) stores the file and honours success_action_status, but checks neither the
signature nor any condition: the refusals are proven against ``verify_post`` instead."""

from __future__ import annotations

import boto3
import requests
from moto import mock_aws

from sigv4kit.post_policy import presigned_post

from .test_post_policy import CREDS

BUCKET = "post-policy-moto"


@mock_aws
def test_moto_stores_an_upload_made_with_our_form() -> None:
    s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    s3.create_bucket(Bucket=BUCKET)
    post = presigned_post(CREDS, bucket=BUCKET, key="in/${filename}", region="us-east-1",
                          fields={"success_action_status": "201"},
                          conditions=[{"success_action_status": "201"},
                                      ["content-length-range", 1, 100]])
    assert post.url == f"https://{BUCKET}.s3.amazonaws.com/"
    reply = requests.post(post.url, data=post.fields, files={"file": ("a.txt", b"hello")},
                          timeout=10)
    assert int(reply.status_code) == 201, reply.text  # moto hands back the string "201"
    assert s3.get_object(Bucket=BUCKET, Key="in/a.txt")["Body"].read() == b"hello"
    # Where moto falls short: a form breaking its own policy is stored all the same.
    post.fields["key"] = "outside/b.txt"
    reply = requests.post(post.url, data=post.fields, files={"file": ("b.txt", b"x" * 500)},
                          timeout=10)
    assert int(reply.status_code) == 201
    assert s3.get_object(Bucket=BUCKET, Key="outside/b.txt")["Body"].read() == b"x" * 500
