"""The EC2 Query response parser, checked against botocore's own EC2QueryParser.

Success bodies are compared with botocore field for field (everything but the
``ResponseMetadata`` extras documented in `sigv4kit.ec2.parser`); error bodies by code,
message and request id; hostile bodies must fail fast with `ResponseParseError`.
"""

from __future__ import annotations

import ast
import contextlib
import datetime
import functools
import pickle
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from botocore.loaders import Loader  # type: ignore[import-untyped]
from botocore.model import ServiceModel  # type: ignore[import-untyped]
from botocore.parsers import create_parser  # type: ignore[import-untyped]
from hypothesis import given
from hypothesis import strategies as st

from sigv4kit.ec2 import parser as ec2_parser
from sigv4kit.ec2.errors import ApiError, ResponseParseError
from sigv4kit.ec2.parser import parse_response, status_error_code

NS = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"'
DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'
REQUEST_ID = "59dbff89-35bd-4eac-99ed-be587EXAMPLE"
HEADERS = {
    "X-Amzn-RequestId": REQUEST_ID,
    "Content-Type": "text/xml;charset=UTF-8",
    "Server": "AmazonEC2",
}


def _doc(action: str, inner: str, *, request_id: str = REQUEST_ID) -> bytes:
    return (
        f"{DECL}<{action}Response {NS}>\n"
        f"    <requestId>{request_id}</requestId>\n{inner}\n</{action}Response>"
    ).encode()


def _tags(**tags: str) -> str:
    items = "".join(
        f"<item><key>{escape(k)}</key><value>{escape(v)}</value></item>" for k, v in tags.items()
    )
    return f"<tagSet>{items}</tagSet>"


COPY_SNAPSHOT = _doc(
    "CopySnapshot",
    "    <snapshotId>snap-066877671789bd71b</snapshotId>\n    "
    + _tags(Name="copied", purpose="dr & backup <eu>"),
)

CREATE_SNAPSHOT = _doc(
    "CreateSnapshot",
    """
    <snapshotId>snap-1234567890abcdef0</snapshotId>
    <volumeId>vol-1234567890abcdef0</volumeId>
    <status>pending</status>
    <startTime>2016-11-15T22:01:30.000Z</startTime>
    <progress></progress>
    <ownerId>111122223333</ownerId>
    <volumeSize>8</volumeSize>
    <description>Daily backup of /dev/xvda</description>
    <encrypted>false</encrypted>
    <storageTier>standard</storageTier>
    <fullSnapshotSizeInBytes>8589934592</fullSnapshotSizeInBytes>
    <sseType>none</sseType>""",
)

CREATE_VOLUME = _doc(
    "CreateVolume",
    """
    <volumeId>vol-049df61146c4d7901</volumeId>
    <size>80</size>
    <snapshotId>snap-1234567890abcdef0</snapshotId>
    <availabilityZone>us-east-1a</availabilityZone>
    <status>creating</status>
    <createTime>2016-08-29T18:52:32.724Z</createTime>
    <volumeType>gp3</volumeType>
    <iops>3000</iops>
    <throughput>125</throughput>
    <encrypted>true</encrypted>
    <kmsKeyId>arn:aws:kms:us-east-1:111122223333:key/1a2b3c4d-5e6f-1a2b-3c4d-5e6f1a2b3c4d</kmsKeyId>
    <multiAttachEnabled>false</multiAttachEnabled>
    <attachmentSet/>
    <operator><managed>false</managed></operator>"""
    + _tags(Name="data"),
)

_SNAPSHOT_COMPLETED = """
        <item>
            <snapshotId>snap-1234567890abcdef0</snapshotId>
            <volumeId>vol-1234567890abcdef0</volumeId>
            <status>completed</status>
            <startTime>2016-11-15T22:01:30.000Z</startTime>
            <progress>100%</progress>
            <ownerId>111122223333</ownerId>
            <volumeSize>15</volumeSize>
            <description>Daily Backup</description>
            <encrypted>false</encrypted>
            <storageTier>standard</storageTier>
            <completionTime>2016-11-15T22:11:02.518Z</completionTime>
            <completionDurationMinutes>10</completionDurationMinutes>
            <tagSet>
                <item><key>Name</key><value>nightly</value></item>
                <item><key>env</key><value>prod</value></item>
            </tagSet>
        </item>"""

_SNAPSHOT_ENCRYPTED = """
        <item>
            <snapshotId>snap-0a1b2c3d4e5f67890</snapshotId>
            <volumeId>vol-ffffffff</volumeId>
            <status>completed</status>
            <startTime>2023-02-01T07:45:12.000Z</startTime>
            <progress>100%</progress>
            <ownerId>111122223333</ownerId>
            <volumeSize>500</volumeSize>
            <description>Copied for snap-066877671789bd71b from us-west-2</description>
            <encrypted>true</encrypted>
            <kmsKeyId>arn:aws:kms:us-east-1:111122223333:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0</kmsKeyId>
            <dataEncryptionKeyId>dek-0123456789abcdef</dataEncryptionKeyId>
            <ownerAlias>self</ownerAlias>
        </item>"""

_SNAPSHOT_ERROR = """
        <item>
            <snapshotId>snap-0badbadbadbadbad0</snapshotId>
            <volumeId>vol-0badbadbadbadbad0</volumeId>
            <status>error</status>
            <statusMessage>Given key ID is not accessible</statusMessage>
            <startTime>2024-06-30T23:59:59.999Z</startTime>
            <progress>0%</progress>
            <ownerId>111122223333</ownerId>
            <volumeSize>1</volumeSize>
            <encrypted>true</encrypted>
            <tagSet/>
        </item>"""

DESCRIBE_SNAPSHOTS = _doc(
    "DescribeSnapshots",
    f"""
    <snapshotSet>{_SNAPSHOT_COMPLETED}{_SNAPSHOT_ENCRYPTED}{_SNAPSHOT_ERROR}
    </snapshotSet>
    <nextToken>eyJ2IjoiMiIsImMiOiJ4eXoiLCJzIjoxfQ==</nextToken>""",
)

DESCRIBE_SNAPSHOTS_EMPTY = _doc("DescribeSnapshots", "    <snapshotSet/>")

IMPORT_SNAPSHOT = _doc(
    "ImportSnapshot",
    """
    <description>imported disk</description>
    <importTaskId>import-snap-1234567890abcdef0</importTaskId>
    <snapshotTaskDetail>
        <diskImageSize>1073741824.0</diskImageSize>
        <encrypted>false</encrypted>
        <format>VMDK</format>
        <progress>3</progress>
        <status>active</status>
        <statusMessage>pending</statusMessage>
        <userBucket>
            <s3Bucket>my-import-bucket</s3Bucket>
            <s3Key>disks/disk1.vmdk</s3Key>
        </userBucket>
    </snapshotTaskDetail>"""
    + _tags(project="migration"),
)

DESCRIBE_IMPORT_SNAPSHOT_TASKS = _doc(
    "DescribeImportSnapshotTasks",
    """
    <importSnapshotTaskSet>
        <item>
            <importTaskId>import-snap-1234567890abcdef0</importTaskId>
            <description>imported disk</description>
            <snapshotTaskDetail>
                <diskImageSize>1073741824.0</diskImageSize>
                <encrypted>true</encrypted>
                <kmsKeyId>alias/aws/ebs</kmsKeyId>
                <format>VMDK</format>
                <progress>100</progress>
                <snapshotId>snap-0123456789abcdef0</snapshotId>
                <status>completed</status>
                <userBucket><s3Bucket>b</s3Bucket><s3Key>k.vmdk</s3Key></userBucket>
            </snapshotTaskDetail>
            <tagSet><item><key>a</key><value></value></item></tagSet>
        </item>
        <item>
            <importTaskId>import-snap-0fedcba9876543210</importTaskId>
            <snapshotTaskDetail>
                <diskImageSize>0.5</diskImageSize>
                <format>RAW</format>
                <status>deleted</status>
                <statusMessage>ClientError: Disk validation failed</statusMessage>
                <url>https://example-bucket.s3.amazonaws.com/disk.raw</url>
            </snapshotTaskDetail>
        </item>
    </importSnapshotTaskSet>
    <nextToken>next-page</nextToken>""",
)

DELETE_SNAPSHOT = _doc("DeleteSnapshot", "    <return>true</return>")

SUCCESS_CASES = {
    "CopySnapshot": ("CopySnapshot", COPY_SNAPSHOT),
    "CreateSnapshot": ("CreateSnapshot", CREATE_SNAPSHOT),
    "CreateVolume": ("CreateVolume", CREATE_VOLUME),
    "DescribeSnapshots": ("DescribeSnapshots", DESCRIBE_SNAPSHOTS),
    "DescribeSnapshots-empty": ("DescribeSnapshots", DESCRIBE_SNAPSHOTS_EMPTY),
    "ImportSnapshot": ("ImportSnapshot", IMPORT_SNAPSHOT),
    "DescribeImportSnapshotTasks": ("DescribeImportSnapshotTasks", DESCRIBE_IMPORT_SNAPSHOT_TASKS),
    "DeleteSnapshot-no-output": ("DeleteSnapshot", DELETE_SNAPSHOT),
}


def _error_body(code: str, message: str, request_id: str = REQUEST_ID) -> bytes:
    return (
        f"{DECL}<Response><Errors><Error><Code>{code}</Code><Message>{escape(message)}</Message>"
        f"</Error></Errors><RequestID>{request_id}</RequestID></Response>"
    ).encode()


ERROR_CASES = {
    "AuthFailure": (
        401,
        _error_body("AuthFailure", "AWS was not able to validate the provided access credentials"),
    ),
    "InvalidSnapshot.NotFound": (
        400,
        _error_body(
            "InvalidSnapshot.NotFound", "The snapshot 'snap-0123456789abcdef0' does not exist."
        ),
    ),
    "DryRunOperation": (
        412,
        _error_body("DryRunOperation", "Request would have succeeded, but DryRun flag is set."),
    ),
    "RequestLimitExceeded": (503, _error_body("RequestLimitExceeded", "Request limit exceeded.")),
}


# --- botocore, the reference --------------------------------------------------------------


@functools.cache
def _botocore_model() -> Any:

    data = Loader().load_service_model("ec2", "service-2", api_version="2016-11-15")
    return ServiceModel(data, service_name="ec2")


def botocore_parse(
    action: str, body: bytes, *, status: int = 200, headers: Mapping[str, str] = HEADERS
) -> dict[str, Any]:

    shape = _botocore_model().operation_model(action).output_shape
    response = {"body": body, "headers": dict(headers), "status_code": status}
    result: dict[str, Any] = create_parser("ec2").parse(response, shape)
    return result


def _without_metadata(parsed: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in parsed.items() if k != "ResponseMetadata"}


def assert_same_as_botocore(action: str, body: bytes, headers: Mapping[str, str] = HEADERS) -> None:
    """Equal to botocore except that ResponseMetadata also has RetryAttempts."""
    ours = parse_response(action, 200, headers, body)
    theirs = botocore_parse(action, body, headers=headers)
    assert _without_metadata(ours) == _without_metadata(theirs)
    assert ours["ResponseMetadata"] == {**theirs["ResponseMetadata"], "RetryAttempts": 0}


# --- success: differential ---------------------------------------------------------------


@pytest.mark.parametrize(("action", "body"), SUCCESS_CASES.values(), ids=SUCCESS_CASES.keys())
def test_success_matches_botocore(action: str, body: bytes) -> None:
    assert_same_as_botocore(action, body)


def test_response_metadata() -> None:
    parsed = parse_response("CopySnapshot", 200, HEADERS, COPY_SNAPSHOT)
    assert parsed["ResponseMetadata"] == {
        "RequestId": REQUEST_ID,
        "HTTPStatusCode": 200,
        "HTTPHeaders": {k.lower(): v for k, v in HEADERS.items()},
        "RetryAttempts": 0,
    }


def test_request_id_falls_back_to_header() -> None:
    body = COPY_SNAPSHOT.replace(f"<requestId>{REQUEST_ID}</requestId>".encode(), b"")
    parsed = parse_response("CopySnapshot", 200, {"x-amzn-RequestId": "from-header"}, body)
    assert parsed["ResponseMetadata"]["RequestId"] == "from-header"
    assert "RequestId" not in parse_response("CopySnapshot", 200, {}, body)["ResponseMetadata"]


def test_copy_snapshot_shape() -> None:
    parsed = parse_response("CopySnapshot", 200, HEADERS, COPY_SNAPSHOT)
    assert _without_metadata(parsed) == {
        "SnapshotId": "snap-066877671789bd71b",
        "Tags": [
            {"Key": "Name", "Value": "copied"},
            {"Key": "purpose", "Value": "dr & backup <eu>"},
        ],
    }


def test_describe_snapshots_types() -> None:
    parsed = parse_response("DescribeSnapshots", 200, HEADERS, DESCRIBE_SNAPSHOTS)
    first, encrypted, failed = parsed["Snapshots"]
    assert parsed["NextToken"] == "eyJ2IjoiMiIsImMiOiJ4eXoiLCJzIjoxfQ=="
    assert first["StartTime"] == datetime.datetime(2016, 11, 15, 22, 1, 30, tzinfo=datetime.UTC)
    assert first["StartTime"].utcoffset() == datetime.timedelta(0)
    assert first["VolumeSize"] == 15 and type(first["VolumeSize"]) is int
    assert first["Encrypted"] is False and encrypted["Encrypted"] is True
    assert first["CompletionDurationMinutes"] == 10
    assert first["Tags"] == [{"Key": "Name", "Value": "nightly"}, {"Key": "env", "Value": "prod"}]
    assert encrypted["KmsKeyId"].startswith("arn:aws:kms:")
    assert "Tags" not in encrypted
    assert failed["State"] == "error"
    assert failed["StateMessage"] == "Given key ID is not accessible"
    assert failed["Tags"] == []


def test_nested_structures_and_floats() -> None:
    parsed = parse_response("ImportSnapshot", 200, HEADERS, IMPORT_SNAPSHOT)
    detail = parsed["SnapshotTaskDetail"]
    assert detail["DiskImageSize"] == 1073741824.0 and type(detail["DiskImageSize"]) is float
    assert detail["UserBucket"] == {"S3Bucket": "my-import-bucket", "S3Key": "disks/disk1.vmdk"}
    assert parsed["ImportTaskId"] == "import-snap-1234567890abcdef0"


def test_long_and_empty_string() -> None:
    parsed = parse_response("CreateSnapshot", 200, HEADERS, CREATE_SNAPSHOT)
    assert parsed["FullSnapshotSizeInBytes"] == 8 * 1024**3
    assert parsed["Progress"] == ""


def test_no_output_shape_gives_only_metadata() -> None:
    parsed = parse_response("DeleteSnapshot", 200, HEADERS, DELETE_SNAPSHOT)
    assert list(parsed) == ["ResponseMetadata"]


def test_unknown_elements_ignored_and_missing_omitted() -> None:
    body = _doc(
        "CopySnapshot",
        "<somethingNew><deep>1</deep></somethingNew><snapshotId>snap-1</snapshotId>"
        "<tagSet><item><key>k</key><value>v</value><extra>x</extra></item></tagSet>",
    )
    assert_same_as_botocore("CopySnapshot", body)
    assert _without_metadata(parse_response("CopySnapshot", 200, {}, body)) == {
        "SnapshotId": "snap-1",
        "Tags": [{"Key": "k", "Value": "v"}],
    }


def test_list_entries_must_be_items() -> None:
    """botocore would take <notAnItem> as a tag too; we keep only the modelled <item>."""
    body = _doc(
        "CopySnapshot",
        "<tagSet><item><key>k</key><value>v</value></item><notAnItem><key>x</key></notAnItem>"
        "</tagSet>",
    )
    assert parse_response("CopySnapshot", 200, {}, body)["Tags"] == [{"Key": "k", "Value": "v"}]


@pytest.mark.parametrize(
    "root",
    [
        '<CopySnapshotResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">',
        "<CopySnapshotResponse>",
        '<ec2:CopySnapshotResponse xmlns:ec2="http://ec2.amazonaws.com/doc/2016-11-15/">',
    ],
)
def test_namespaces_are_stripped(root: str) -> None:
    prefix = "ec2:" if root.startswith("<ec2:") else ""
    name = f"{prefix}CopySnapshotResponse"
    body = (
        f"{root}<{prefix}requestId>r</{prefix}requestId>"
        f"<{prefix}snapshotId>snap-1</{prefix}snapshotId></{name}>"
    ).encode()
    parsed = parse_response("CopySnapshot", 200, {}, body)
    assert parsed["SnapshotId"] == "snap-1"
    assert parsed["ResponseMetadata"]["RequestId"] == "r"


def test_timestamp_without_zone_is_utc() -> None:
    body = _doc("CreateSnapshot", "<startTime>2016-11-15T22:01:30</startTime>")
    start = parse_response("CreateSnapshot", 200, {}, body)["StartTime"]
    assert start == datetime.datetime(2016, 11, 15, 22, 1, 30, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("inner", "where"),
    [
        ("<volumeSize>eight</volumeSize>", "volumeSize"),
        ("<volumeSize></volumeSize>", "volumeSize"),
        ("<encrypted>yes</encrypted>", "encrypted"),
        ("<startTime>not a time</startTime>", "startTime"),
        ("<startTime>" + "2016" * 100 + "</startTime>", "startTime"),
        ("<volumeSize>" + "9" * 5000 + "</volumeSize>", "volumeSize"),
    ],
)
def test_values_that_do_not_fit_the_model(inner: str, where: str) -> None:
    body = _doc("CreateSnapshot", inner)
    with pytest.raises(ResponseParseError) as info:
        parse_response("CreateSnapshot", 200, {}, body)
    assert f"CreateSnapshotResponse/{where}" in str(info.value)
    assert len(str(info.value)) < 200


def test_unknown_action() -> None:
    with pytest.raises(ValueError, match="NoSuchAction"):
        parse_response("NoSuchAction", 200, {}, _doc("NoSuchAction", ""))


# --- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "body"), ERROR_CASES.values(), ids=ERROR_CASES.keys())
def test_error_matches_botocore(status: int, body: bytes) -> None:
    theirs = botocore_parse("CopySnapshot", body, status=status)
    with pytest.raises(ApiError) as info:
        parse_response("CopySnapshot", status, HEADERS, body)
    err = info.value
    assert (err.code, err.message, err.request_id) == (
        theirs["Error"]["Code"],
        theirs["Error"]["Message"],
        theirs["ResponseMetadata"]["RequestId"],
    )
    assert err.http_status == status == theirs["ResponseMetadata"]["HTTPStatusCode"]
    assert err.operation == "CopySnapshot"
    assert err.response["Error"] == theirs["Error"]
    assert (
        err.response["ResponseMetadata"]["HTTPHeaders"] == theirs["ResponseMetadata"]["HTTPHeaders"]
    )
    assert str(err) == (
        f"An error occurred ({err.code}) when calling the CopySnapshot operation: {err.message}"
    )


def test_error_flags() -> None:
    def error_for(name: str) -> ApiError:
        status, body = ERROR_CASES[name]
        with pytest.raises(ApiError) as info:
            parse_response("CopySnapshot", status, {}, body)
        return info.value

    assert error_for("DryRunOperation").is_dry_run_success
    assert not error_for("DryRunOperation").is_throttling
    assert error_for("RequestLimitExceeded").is_throttling
    assert not error_for("AuthFailure").is_throttling
    assert not error_for("AuthFailure").is_dry_run_success


def test_error_document_under_2xx_status_is_an_error() -> None:
    body = _error_body("InvalidParameterValue", "bad")
    with pytest.raises(ApiError) as info:
        parse_response("CopySnapshot", 200, {}, body)
    assert (info.value.code, info.value.http_status) == ("InvalidParameterValue", 200)


def test_error_request_id_variants() -> None:
    body = b"<Response><Errors><Error><Code>X</Code><Message>m</Message></Error></Errors>"
    with pytest.raises(ApiError) as info:
        parse_response("CopySnapshot", 400, {}, body + b"<RequestId>camel</RequestId></Response>")
    assert info.value.request_id == "camel"
    with pytest.raises(ApiError) as info:
        parse_response("CopySnapshot", 400, {"X-Amzn-RequestId": "hdr"}, body + b"</Response>")
    assert info.value.request_id == "hdr"


@pytest.mark.parametrize(("status", "code"), [(200, "Unknown"), (403, "Forbidden")])
def test_error_without_code(status: int, code: str) -> None:
    body = b"<Response><Errors><Error><Message>m</Message></Error></Errors></Response>"
    with pytest.raises(ApiError) as info:
        parse_response("CopySnapshot", status, {}, body)
    assert (info.value.code, info.value.message) == (code, "m")


def test_query_style_error_response() -> None:
    body = (
        b"<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code>"
        b"<Message>no</Message></Error><RequestId>q-1</RequestId></ErrorResponse>"
    )
    with pytest.raises(ApiError) as info:
        parse_response("CopySnapshot", 400, {}, body)
    assert (info.value.code, info.value.message, info.value.request_id) == (
        "InvalidAction",
        "no",
        "q-1",
    )


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (503, b"", "ServiceUnavailable"),
        (500, b"<html><body><b>Http/1.1 Internal Server Error</b></body></html>", "InternalError"),
        (
            502,
            b"<html><head><title>502 Bad Gateway</title></head>\n<body>nginx</body>",
            None,
        ),
        (504, b"upstream request timeout", None),
        (403, b"<!DOCTYPE html><html>Forbidden</html>", None),
        (400, b"<Response><Errors><Error><Code>Trunc", None),
        (599, b"\xff\xfe", None),
        (502, b"<Response><RequestID>r</RequestID></Response>", "BadGateway"),
    ],
)
def test_non_xml_error_bodies(status: int, body: bytes, code: str | None) -> None:
    """Bodies that are XML but not EC2 errors, or empty, still raise ApiError, coded from the
    status. A body that is not well-formed XML is unreadable (ResponseParseError, code None),
    as botocore's "Unable to parse response … invalid XML received", and so never retried;
    a DOCTYPE is hostile XML even on an error status."""
    headers = {"x-amzn-requestid": "hdr-id"}
    expected = ApiError if code else ResponseParseError
    with pytest.raises(expected) as info:
        parse_response("CopySnapshot", status, headers, body)
    if isinstance(info.value, ApiError):
        assert info.value.code == code
        assert info.value.http_status == status
        assert info.value.request_id == "hdr-id"
        assert str(status) in info.value.message


def test_status_error_code() -> None:
    assert [status_error_code(s) for s in (500, 503, 502, 504, 404, 429, 418, 299)] == [
        "InternalError",
        "ServiceUnavailable",
        "BadGateway",
        "GatewayTimeout",
        "NotFound",
        "TooManyRequests",
        "ImATeapot",
        "HTTP299",
    ]


def test_api_error_pickles_and_reprs_without_debug() -> None:
    err = ApiError(
        "AuthFailure",
        "denied",
        http_status=401,
        request_id="r",
        operation="CopySnapshot",
        http_headers={"X-A": "1"},
    )
    err.debug = "CanonicalRequest:\nPOST\n/\n..."
    err.retry_attempts = 2
    clone = pickle.loads(pickle.dumps(err))
    assert (clone.code, clone.message, clone.http_status, clone.request_id, clone.operation) == (
        "AuthFailure",
        "denied",
        401,
        "r",
        "CopySnapshot",
    )
    assert clone.debug == err.debug and clone.http_headers == {"x-a": "1"}
    assert clone.response["ResponseMetadata"]["RetryAttempts"] == 2
    assert "CanonicalRequest" not in str(err) and "CanonicalRequest" not in repr(err)
    assert str(ApiError("X", "m", http_status=400)) == "An error occurred (X): m"


def test_parse_error_pickles() -> None:
    err = ResponseParseError("bad", http_status=200, body_size=3)
    clone = pickle.loads(pickle.dumps(err))
    assert str(clone) == str(err) == "bad (HTTP 200, 3 bytes)"


# --- hostile input -----------------------------------------------------------------------

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'.encode()
        for i in range(1, 10)
    )
    + b"]>\n<CopySnapshotResponse><snapshotId>&lol9;</snapshotId></CopySnapshotResponse>"
)

HOSTILE = {
    "billion-laughs": BILLION_LAUGHS,
    "external-entity": (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b"<CopySnapshotResponse><snapshotId>&xxe;</snapshotId></CopySnapshotResponse>"
    ),
    "external-dtd": (
        b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://169.254.169.254/latest/meta-data">'
        b"<CopySnapshotResponse/>"
    ),
    "parameter-entity": (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>'
        b"<CopySnapshotResponse/>"
    ),
    "plain-dtd": b"<!DOCTYPE CopySnapshotResponse><CopySnapshotResponse/>",
    "undefined-entity": b"<CopySnapshotResponse><snapshotId>&xxe;</snapshotId></x>",
    "truncated": COPY_SNAPSHOT[: len(COPY_SNAPSHOT) // 2],
    "empty": b"",
    "oversized": b"<CopySnapshotResponse>" + b" " * (11 * 1024 * 1024) + b"</CopySnapshotResponse>",
    "invalid-utf8": b"<CopySnapshotResponse><snapshotId>\xff\xfe\xc3(</snapshotId></x>",
    "declared-other-encoding": (
        b'<?xml version="1.0" encoding="x-no-such-codec"?><CopySnapshotResponse>\xff'
        b"</CopySnapshotResponse>"
    ),
    "nul-bytes": b"<CopySnapshotResponse>\x00<snapshotId>a\x00</snapshotId></CopySnapshotResponse>",
    "deep-nesting": b"<a>" * 10_000 + b"</a>" * 10_000,
    "deep-nesting-unclosed": b"<a>" * 10_000,
    "html": b"<html><body>Welcome to the captive portal<br></body></html>",
    "two-roots": b"<CopySnapshotResponse/><CopySnapshotResponse/>",
}


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("status", [200, 400])
def test_hostile_bodies_fail_fast(body: bytes, status: int) -> None:
    started = time.monotonic()
    with pytest.raises((ResponseParseError, ApiError)) as info:
        parse_response("CopySnapshot", status, {}, body)
    assert time.monotonic() - started < 1.0
    if status == 200:
        assert isinstance(info.value, ResponseParseError)
        assert info.value.http_status == 200
        assert info.value.body_size == len(body)
    message = str(info.value)
    assert "root:" not in message and "lol" not in message and "portal" not in message
    assert len(message) < 300


@pytest.mark.parametrize(
    "name", ["billion-laughs", "external-entity", "external-dtd", "deep-nesting", "oversized"]
)
def test_hostile_bodies_are_parse_errors_even_under_error_status(name: str) -> None:
    with pytest.raises(ResponseParseError):
        parse_response("CopySnapshot", 503, {}, HOSTILE[name])


def test_size_limit_is_checked_before_parsing() -> None:
    with pytest.raises(ResponseParseError, match="100-byte limit"):
        parse_response("CopySnapshot", 200, {}, b"\x00" * 101, max_bytes=100)
    assert parse_response("CopySnapshot", 200, {}, COPY_SNAPSHOT, max_bytes=len(COPY_SNAPSHOT))


def test_botocore_is_imported_only_inside_functions() -> None:
    """Module level must not import botocore; importing sigv4kit.ec2 stays cheap."""
    package = Path(ec2_parser.__file__).parent
    for name in ("parser.py", "errors.py"):
        tree = ast.parse((package / name).read_text())
        for node in tree.body:
            if isinstance(node, ast.Import):
                assert all(not a.name.startswith("botocore") for a in node.names), name
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("botocore"), name


# --- map and flattened list support (not in EC2's model today; compared with botocore) ----


SYNTHETIC_MODEL = {
    "metadata": {
        "apiVersion": "2016-11-15",
        "endpointPrefix": "ec2",
        "protocol": "ec2",
        "serviceId": "EC2",
        "signatureVersion": "v4",
    },
    "operations": {
        "Synthetic": {
            "name": "Synthetic",
            "http": {"method": "POST", "requestUri": "/"},
            "output": {"shape": "SyntheticResult"},
        }
    },
    "shapes": {
        "SyntheticResult": {
            "type": "structure",
            "members": {
                "Labels": {"shape": "LabelMap", "locationName": "labelSet"},
                "Ids": {"shape": "FlatIds"},
                "Raw": {"shape": "Blob", "locationName": "raw"},
            },
        },
        "LabelMap": {
            "type": "map",
            "key": {"shape": "String", "locationName": "name"},
            "value": {"shape": "Integer", "locationName": "count"},
        },
        "FlatIds": {
            "type": "list",
            "member": {"shape": "String", "locationName": "id"},
            "flattened": True,
        },
        "String": {"type": "string"},
        "Integer": {"type": "integer"},
        "Blob": {"type": "blob"},
    },
}


@pytest.fixture
def synthetic_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:

    model = ServiceModel(SYNTHETIC_MODEL, service_name="ec2")
    ec2_parser._output_plan.cache_clear()
    monkeypatch.setattr(ec2_parser, "_service_model", lambda: model)
    yield model
    ec2_parser._output_plan.cache_clear()


def test_maps_flattened_lists_and_blobs(synthetic_model: Any) -> None:

    body = (
        b"<SyntheticResponse><requestId>r</requestId>"
        b"<labelSet><entry><name>a</name><count>1</count></entry>"
        b"<entry><name>b</name><count>2</count></entry></labelSet>"
        b"<id>one</id><raw>aGVsbG8=</raw><id>two</id></SyntheticResponse>"
    )
    ours = parse_response("Synthetic", 200, {}, body)
    theirs = create_parser("ec2").parse(
        {"body": body, "headers": {}, "status_code": 200},
        synthetic_model.operation_model("Synthetic").output_shape,
    )
    assert _without_metadata(ours) == _without_metadata(theirs)
    assert ours["Labels"] == {"a": 1, "b": 2} and ours["Raw"] == b"hello"
    with pytest.raises(ResponseParseError, match="map entry"):
        parse_response(
            "Synthetic", 200, {}, b"<R><labelSet><entry><name>a</name></entry></labelSet></R>"
        )
    with pytest.raises(ResponseParseError, match="blob"):
        parse_response("Synthetic", 200, {}, b"<R><raw>abc</raw></R>")


# --- properties --------------------------------------------------------------------------


@given(body=st.binary(max_size=2048), status=st.sampled_from([200, 201, 400, 412, 500, 503]))
def test_random_bytes_raise_only_our_errors(body: bytes, status: int) -> None:
    with contextlib.suppress(ResponseParseError, ApiError):
        parse_response("DescribeSnapshots", status, {}, body)


_XML_PIECES = st.sampled_from(
    [
        "<DescribeSnapshotsResponse>",
        "</DescribeSnapshotsResponse>",
        "<snapshotSet>",
        "</snapshotSet>",
        "<item>",
        "</item>",
        "<volumeSize>",
        "</volumeSize>",
        "<startTime>",
        "</startTime>",
        "<encrypted>",
        "</encrypted>",
        "<tagSet>",
        "</tagSet>",
        "<Response><Errors><Error><Code>",
        "</Code></Error></Errors></Response>",
        "<!DOCTYPE x>",
        '<!ENTITY a "b">',
        "&amp;",
        "&a;",
        "<![CDATA[x]]>",
        "<?pi x?>",
        "<!-- c -->",
        "true",
        "12",
        "2016-11-15T22:01:30Z",
        "\x00",
        "\u00e9",
        "<",
        ">",
        " ",
    ]
)


@given(pieces=st.lists(_XML_PIECES, max_size=40), status=st.sampled_from([200, 400, 503]))
def test_xmlish_garbage_raises_only_our_errors(pieces: list[str], status: int) -> None:
    with contextlib.suppress(ResponseParseError, ApiError):
        parse_response("DescribeSnapshots", status, {}, "".join(pieces).encode())


_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r"),
    max_size=30,
)
_SNAPSHOTS = st.lists(
    st.fixed_dictionaries(
        {
            "snapshotId": _TEXT,
            "volumeSize": st.integers(min_value=0, max_value=2**40).map(str),
            "encrypted": st.sampled_from(["true", "false"]),
            "startTime": st.datetimes(
                min_value=datetime.datetime(1971, 1, 1),
                max_value=datetime.datetime(2100, 1, 1),
            ).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"),
            "description": _TEXT,
        },
        optional={"statusMessage": _TEXT, "kmsKeyId": _TEXT},
    ),
    max_size=5,
)


@given(snapshots=_SNAPSHOTS, tags=st.dictionaries(_TEXT, _TEXT, max_size=3))
def test_generated_describe_snapshots_match_botocore(
    snapshots: list[dict[str, str]], tags: dict[str, str]
) -> None:
    items = "".join(
        "<item>"
        + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in snap.items())
        + _tags(**tags)
        + "</item>"
        for snap in snapshots
    )
    assert_same_as_botocore(
        "DescribeSnapshots", _doc("DescribeSnapshots", f"<snapshotSet>{items}</snapshotSet>")
    )
