"""The EC2 Query serializer, checked pair by pair against botocore's ``EC2Serializer``."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode

import botocore.exceptions
import botocore.loaders
import botocore.model
import botocore.serialize
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sigv4kit import SigningError
from sigv4kit.ec2 import serializer
from sigv4kit.ec2.serializer import API_VERSION, serialize

# --- the oracle ------------------------------------------------------------------------------


@functools.cache
def ec2_model() -> Any:
    data = botocore.loaders.Loader().load_service_model("ec2", "service-2", API_VERSION)
    return botocore.model.ServiceModel(data, service_name="ec2")


@functools.cache
def botocore_serializer() -> Any:
    return botocore.serialize.create_serializer("ec2")


def botocore_pairs(model: Any, action: str, params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The form pairs botocore would put in the body, read back from its wire encoding."""
    body = botocore_serializer().serialize_to_request(params, model.operation_model(action))["body"]
    return parse_qsl(urlencode(body, doseq=True), keep_blank_values=True, strict_parsing=False)


def assert_same_as_botocore(action: str, params: Mapping[str, Any]) -> list[tuple[str, str]]:
    ours = serialize(action, params)
    assert ours == botocore_pairs(ec2_model(), action, params)
    return ours


# --- fixed cases -----------------------------------------------------------------------------

TAGS = [
    {
        "ResourceType": "snapshot",
        "Tags": [
            {"Key": "Name", "Value": "copy of db"},
            {"Key": "cost-center", "Value": "42"},
            {"Key": "empty", "Value": ""},
            {"Key": "ünï cødé", "Value": "a&b=c+d%20e/f?g#h"},
        ],
    }
]

DIFFERENTIAL_CASES: list[tuple[str, dict[str, Any]]] = [
    ("CopySnapshot", {"SourceRegion": "us-west-2", "SourceSnapshotId": "snap-066877671789bd71b"}),
    (
        "CopySnapshot",
        {
            "SourceSnapshotId": "snap-066877671789bd71b",
            "Description": 'Copy of snap: "nightly" & <weekly> ~ 100% ünïcødé ☃ 𝄞 a+b=c/d?e#f;g',
            "SourceRegion": "us-west-2",
        },
    ),
    (
        "CopySnapshot",
        {
            "SourceRegion": "eu-west-1",
            "SourceSnapshotId": "snap-0123456789abcdef0",
            "Encrypted": True,
            "KmsKeyId": "arn:aws:kms:us-east-1:012345678910:key/"
            "1234abcd-12ab-34cd-56ef-1234567890ab",
        },
    ),
    (
        "CopySnapshot",
        {
            "SourceRegion": "us-west-2",
            "SourceSnapshotId": "snap-066877671789bd71b",
            "TagSpecifications": TAGS,
            "DryRun": True,
        },
    ),
    (
        "CopySnapshot",
        {
            "SourceRegion": "us-west-2",
            "SourceSnapshotId": "snap-066877671789bd71b",
            "DryRun": False,
            "DestinationRegion": "us-east-1",
            "PresignedUrl": "https://ec2.us-west-2.amazonaws.com/?Action=CopySnapshot"
            "&DestinationRegion=us-east-1&X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-west-2%2Fec2%2Faws4_request"
            "&X-Amz-Signature=0123456789abcdef",
        },
    ),
    (
        "CopySnapshot",
        {
            "SourceRegion": "us-west-2",
            "SourceSnapshotId": "snap-066877671789bd71b",
            "CompletionDurationMinutes": 15,
            "Description": "",
            "TagSpecifications": [],
        },
    ),
    (
        "CreateSnapshot",
        {
            "VolumeId": "vol-0123456789abcdef0",
            "Description": "nightly",
            "TagSpecifications": [
                {"ResourceType": "snapshot", "Tags": [{"Key": "a", "Value": "1"}]},
                {"ResourceType": "volume", "Tags": []},
                {"Tags": [{"Key": "b"}]},
            ],
        },
    ),
    (
        "ImportSnapshot",
        {
            "Description": "imported",
            "DiskContainer": {
                "Description": "disk",
                "Format": "VMDK",
                "UserBucket": {"S3Bucket": "my-bucket", "S3Key": "disks/a b.vmdk"},
            },
            "ClientData": {
                "UploadStart": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
                "UploadEnd": datetime(2024, 1, 2, 5, 6, 7, 890123, tzinfo=UTC),
                "UploadSize": 12.5,
                "Comment": "from on-prem",
            },
            "RoleName": "vmimport",
        },
    ),
    (
        "ImportSnapshot",
        {
            "ClientData": {
                "UploadStart": datetime(2024, 1, 2, 3, 4, 5),
                "UploadEnd": datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5))),
                "UploadSize": 3,
            },
            "DiskContainer": {"Url": "s3://my-bucket/disk.vhd", "Format": "VHD"},
        },
    ),
    (
        "ImportSnapshot",
        {
            "ClientData": {
                "UploadStart": "2024-01-02T03:04:05Z",
                "UploadEnd": "2024-01-02T03:04:05.25+02:00",
                "UploadSize": 1e20,
            },
        },
    ),
    (
        "ImportSnapshot",
        {"ClientData": {"UploadStart": 1700000000, "UploadEnd": 1700000000.5, "UploadSize": 0.1}},
    ),
    (
        "ImportSnapshot",
        {"ClientData": {"UploadStart": "1700000000", "UploadSize": Decimal("1.10")}},
    ),
    (
        "DescribeSnapshots",
        {
            "SnapshotIds": ["snap-1", "snap-2", "snap-3"],
            "OwnerIds": ["self", "amazon"],
            "Filters": [
                {"Name": "status", "Values": ["pending", "completed"]},
                {"Name": "tag:Name", "Values": ["a b", "c,d", "*"]},
                {"Name": "volume-id", "Values": []},
            ],
            "MaxResults": 5,
        },
    ),
    ("DescribeSnapshots", {"MaxResults": 1000, "NextToken": "eyJ0b2tlbiI6IDF9", "DryRun": True}),
    ("DescribeSnapshots", {"RestorableByUserIds": ("123456789012",), "SnapshotIds": []}),
    ("DescribeSnapshots", {}),
    (
        "CreateVolume",
        {
            "AvailabilityZone": "us-east-1a",
            "Size": 100,
            "VolumeType": "gp3",
            "Iops": 3000,
            "Throughput": 125,
            "Encrypted": True,
            "KmsKeyId": "alias/ebs",
            "SnapshotId": "snap-066877671789bd71b",
            "MultiAttachEnabled": False,
            "TagSpecifications": TAGS,
            "ClientToken": "8c3e0a50-5e0b-4d2e-9d7a-1c2b3a4d5e6f",
            "DryRun": False,
        },
    ),
    # queryName (Ipv6Addresses) wins over locationName (ipv6AddressesSet)
    (
        "RunInstances",
        {
            "ImageId": "ami-12345678",
            "MinCount": 1,
            "MaxCount": 2,
            "NetworkInterfaces": [
                {
                    "DeviceIndex": 0,
                    "Ipv6Addresses": [{"Ipv6Address": "2001:db8::1"}],
                    "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.0.5", "Primary": True}],
                }
            ],
            "UserData": "IyEvYmluL3NoCg==",
        },
    ),
    ("ImportKeyPair", {"KeyName": "k", "PublicKeyMaterial": b"ssh-ed25519 AAAA\x00\xff"}),
    ("ImportKeyPair", {"KeyName": "k", "PublicKeyMaterial": "ssh-ed25519 AAAA ü"}),
    (
        "CreateCapacityReservation",
        {
            "InstanceType": "m5.large",
            "InstancePlatform": "Linux/UNIX",
            "InstanceCount": 1,
            "CommitmentDuration": 2**40,
        },
    ),
]


@pytest.mark.parametrize(("action", "params"), DIFFERENTIAL_CASES)
def test_pairs_equal_botocores(action: str, params: dict[str, Any]) -> None:
    assert_same_as_botocore(action, params)


def test_copy_snapshot_pairs_spelled_out() -> None:
    pairs = serialize(
        "CopySnapshot",
        {
            "SourceRegion": "us-west-2",
            "SourceSnapshotId": "snap-066877671789bd71b",
            "Encrypted": True,
            "TagSpecifications": [
                {"ResourceType": "snapshot", "Tags": [{"Key": "a", "Value": "b"}]}
            ],
            "DestinationRegion": "us-east-1",
        },
    )
    assert pairs == [
        ("Action", "CopySnapshot"),
        ("Version", "2016-11-15"),
        ("SourceRegion", "us-west-2"),
        ("SourceSnapshotId", "snap-066877671789bd71b"),
        ("Encrypted", "true"),
        ("TagSpecification.1.ResourceType", "snapshot"),
        ("TagSpecification.1.Tag.1.Key", "a"),
        ("TagSpecification.1.Tag.1.Value", "b"),
        ("DestinationRegion", "us-east-1"),
    ]


def test_timestamps_are_utc_iso8601() -> None:
    pairs = dict(
        serialize(
            "ImportSnapshot",
            {
                "ClientData": {
                    "UploadStart": datetime(
                        2024, 1, 2, 8, 4, 5, tzinfo=timezone(timedelta(hours=5))
                    ),
                    "UploadEnd": datetime(2024, 1, 2, 3, 4, 5, 120000),
                }
            },
        )
    )
    assert pairs["ClientData.UploadStart"] == "2024-01-02T03:04:05Z"
    assert pairs["ClientData.UploadEnd"] == "2024-01-02T03:04:05.120000Z"


def test_the_callers_order_is_kept() -> None:
    forward = {"SourceRegion": "us-west-2", "SourceSnapshotId": "snap-1", "Description": "d"}
    backward = dict(reversed(forward.items()))
    assert [k for k, _ in serialize("CopySnapshot", forward)[2:]] == list(forward)
    assert [k for k, _ in serialize("CopySnapshot", backward)[2:]] == list(backward)
    assert_same_as_botocore("CopySnapshot", backward)


def test_any_mapping_is_accepted_for_a_structure() -> None:
    class Params(Mapping[str, Any]):
        def __init__(self, data: dict[str, Any]) -> None:
            self._data = data

        def __getitem__(self, key: str) -> Any:
            return self._data[key]

        def __iter__(self) -> Any:
            return iter(self._data)

        def __len__(self) -> int:
            return len(self._data)

    plain = {"SourceRegion": "us-west-2", "SourceSnapshotId": "snap-1"}
    assert serialize("CopySnapshot", Params(plain)) == serialize("CopySnapshot", plain)


def test_the_callers_params_are_not_changed() -> None:
    params = {"SourceRegion": "us-west-2", "SourceSnapshotId": "snap-1", "TagSpecifications": TAGS}
    before = repr(params)
    serialize("CopySnapshot", params)
    assert repr(params) == before


# --- a synthetic ec2-protocol model: the rules the EC2 model does not exercise ---------------

SYNTHETIC = {
    "metadata": {"apiVersion": "2020-01-01", "protocol": "ec2", "endpointPrefix": "x"},
    "operations": {"Op": {"name": "Op", "input": {"shape": "OpRequest"}}},
    "shapes": {
        "OpRequest": {
            "type": "structure",
            "required": ["Name"],
            "members": {
                "Name": {"shape": "String"},
                "lowerName": {"shape": "String"},
                "Located": {"shape": "String", "locationName": "locatedHere"},
                "Queried": {"shape": "String", "locationName": "ignored", "queryName": "Q"},
                "Attrs": {"shape": "StringMap", "locationName": "attribute"},
                "FlatAttrs": {"shape": "FlatMap"},
                "Flat": {"shape": "FlatList", "locationName": "flatItem"},
                "Named": {"shape": "NamedList"},
                "Data": {"shape": "Blob"},
                "Big": {"shape": "Long"},
                "Ratio": {"shape": "Float"},
                "Ratio2": {"shape": "Double"},
                "Iso": {"shape": "Time"},
                "Epoch": {"shape": "EpochTime"},
                "Rfc": {"shape": "Time", "timestampFormat": "rfc822"},
                "Tree": {"shape": "Node"},
            },
        },
        "Node": {
            "type": "structure",
            "members": {
                "Value": {"shape": "String", "locationName": "value"},
                "Children": {"shape": "NodeList", "locationName": "child"},
            },
        },
        "NodeList": {"type": "list", "member": {"shape": "Node", "locationName": "item"}},
        "StringMap": {
            "type": "map",
            "key": {"shape": "String", "locationName": "name"},
            "value": {"shape": "String", "queryName": "Val"},
        },
        "FlatMap": {
            "type": "map",
            "key": {"shape": "String"},
            "value": {"shape": "Integer"},
            "flattened": True,
        },
        "FlatList": {
            "type": "list",
            "member": {"shape": "String", "locationName": "entry"},
            "flattened": True,
        },
        "NamedList": {"type": "list", "member": {"shape": "Long", "locationName": "number"}},
        "String": {"type": "string"},
        "Integer": {"type": "integer"},
        "Long": {"type": "long"},
        "Float": {"type": "float"},
        "Double": {"type": "double"},
        "Blob": {"type": "blob"},
        "Time": {"type": "timestamp"},
        "EpochTime": {"type": "timestamp", "timestampFormat": "unixTimestamp"},
    },
}


@functools.cache
def synthetic_model() -> Any:
    return botocore.model.ServiceModel(SYNTHETIC, service_name="x")


@functools.cache
def synthetic_serializer() -> Any:
    return serializer._Serializer(synthetic_model())


def assert_synthetic_same(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    ours = synthetic_serializer().serialize("Op", params)
    assert ours == botocore_pairs(synthetic_model(), "Op", params)
    return ours


SYNTHETIC_CASES: list[dict[str, Any]] = [
    {"Name": "n", "lowerName": "l", "Located": "x", "Queried": "q"},
    {"Name": "n", "Attrs": {"a": "1", "b c": "2"}, "FlatAttrs": {"x": 1, "y": -2}},
    {"Name": "n", "Flat": ["a", "b"], "Named": [1, 2**70]},
    {"Name": "n", "Attrs": {}, "Flat": [], "Tree": {}},
    {"Name": "n", "Data": b"\x00\xffbinary", "Big": -(2**63)},
    {"Name": "n", "Data": "text ü"},
    {"Name": "n", "Ratio": float("inf"), "Ratio2": float("-inf")},
    {"Name": "n", "Ratio": float("nan"), "Ratio2": Decimal("NaN")},
    {"Name": "n", "Ratio": Decimal("Infinity"), "Ratio2": Decimal("-1E+3")},
    {"Name": "n", "Ratio": 1e-7, "Ratio2": 3},
    {
        "Name": "n",
        "Iso": datetime(2001, 2, 3, 4, 5, 6, 7, tzinfo=UTC),
        "Epoch": datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC),
        "Rfc": datetime(2001, 2, 3, 4, 5, 6, 999999, tzinfo=UTC),
    },
    {"Name": "n", "Epoch": datetime(2001, 2, 3, 4, 5, 6, 250000, tzinfo=UTC)},
    {"Name": "n", "Epoch": "2001-02-03T04:05:06Z", "Rfc": 981173106},
    {
        "Name": "n",
        "Tree": {
            "Value": "root",
            "Children": [{"Value": "a", "Children": [{"Value": "a1"}]}, {"Children": []}],
        },
    },
]


@pytest.mark.parametrize("params", SYNTHETIC_CASES)
def test_synthetic_model_pairs_equal_botocores(params: dict[str, Any]) -> None:
    assert_synthetic_same(params)


def test_synthetic_names_spelled_out() -> None:
    pairs = assert_synthetic_same(
        {
            "Name": "n",
            "lowerName": "l",
            "Located": "x",
            "Queried": "q",
            "Attrs": {"k": "v"},
            "FlatAttrs": {"f": 1},
            "Flat": ["a"],
            "Tree": {"Children": [{"Value": "leaf"}]},
        }
    )
    assert pairs[2:] == [
        ("Name", "n"),
        ("lowerName", "l"),
        ("LocatedHere", "x"),
        ("Q", "q"),
        ("Attribute.entry.1.Name", "k"),
        ("Attribute.entry.1.Val", "v"),
        ("FlatAttrs.1.key", "f"),
        ("FlatAttrs.1.value", "1"),
        ("FlatItem.1", "a"),
        ("Tree.Child.1.Value", "leaf"),
    ]


# --- hypothesis: random valid parameters, botocore as the oracle -----------------------------

_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_ZONES = st.one_of(
    st.none(),
    st.just(UTC),
    st.integers(min_value=-23 * 60, max_value=23 * 60).map(
        lambda minutes: timezone(timedelta(minutes=minutes))
    ),
)
_DATETIMES = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=_ZONES
)
_TIMESTAMPS = st.one_of(
    _DATETIMES,
    _DATETIMES.map(lambda d: d.isoformat()),
    st.integers(min_value=0, max_value=2**32),
    st.floats(min_value=0, max_value=2**32, allow_nan=False),
)
_NUMBERS = st.one_of(
    st.floats(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.decimals(places=None).filter(lambda d: not d.is_snan()),
)


def strategy_for(shape: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Random values botocore's validator accepts for ``shape`` (lists and nesting kept short)."""
    kind = shape.type_name
    minimum = shape.metadata.get("min", 0)
    if kind == "structure":
        members = shape.members
        required = shape.metadata.get("required", [])
        if depth > 3:
            optional: dict[str, st.SearchStrategy[Any]] = {}
        else:
            optional = {
                name: strategy_for(member, depth + 1)
                for name, member in members.items()
                if name not in required
            }
        base = st.fixed_dictionaries(
            {name: strategy_for(members[name], depth + 1) for name in required},
            optional=optional,
        )
        return base.flatmap(lambda d: st.permutations(list(d.items())).map(dict))
    if kind == "list":
        return st.lists(
            strategy_for(shape.member, depth + 1),
            min_size=minimum,
            max_size=max(minimum, 3 if depth < 3 else 0),
        )
    if kind == "map":
        return st.dictionaries(
            strategy_for(shape.key, depth + 1), strategy_for(shape.value, depth + 1), max_size=3
        )
    if kind == "string":
        return st.text(
            st.characters(exclude_categories=("Cs",)), min_size=minimum, max_size=minimum + 12
        )
    if kind in ("integer", "long"):
        return st.integers(min_value=minimum or -(2**63), max_value=2**63)
    if kind in ("float", "double"):
        return _NUMBERS
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return _TIMESTAMPS
    if kind == "blob":
        return st.one_of(st.binary(max_size=20), _TEXT)
    raise AssertionError(f"no strategy for {kind}")


def params_for(action: str) -> st.SearchStrategy[dict[str, Any]]:
    return strategy_for(ec2_model().operation_model(action).input_shape)


@given(params_for("CopySnapshot"))
def test_random_copy_snapshot_params_equal_botocore(params: dict[str, Any]) -> None:
    assert_same_as_botocore("CopySnapshot", params)


@given(params_for("DescribeSnapshots"))
def test_random_describe_snapshots_params_equal_botocore(params: dict[str, Any]) -> None:
    assert_same_as_botocore("DescribeSnapshots", params)


@given(params_for("ImportSnapshot"))
def test_random_import_snapshot_params_equal_botocore(params: dict[str, Any]) -> None:
    assert_same_as_botocore("ImportSnapshot", params)


@given(strategy_for(synthetic_model().operation_model("Op").input_shape))
def test_random_synthetic_params_equal_botocore(params: dict[str, Any]) -> None:
    assert_synthetic_same(params)


# --- errors ----------------------------------------------------------------------------------

COPY = {"SourceRegion": "us-west-2", "SourceSnapshotId": "snap-066877671789bd71b"}
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

# (action, params, field, message or message prefix, botocore also refuses)
ERRORS: list[tuple[Any, Any, str, str, bool]] = [
    ("Nope", {}, "action", "action: unknown EC2 action 'Nope' (API 2016-11-15)", False),
    (
        "copySnapshot",
        COPY,
        "action",
        "action: unknown EC2 action 'copySnapshot' (API 2016-11-15); did you mean CopySnapshot",
        False,
    ),
    ("", {}, "action", "action: unknown EC2 action ''", False),
    (None, {}, "action", "action: must be an EC2 action name (str), got None", False),
    (["CopySnapshot"], {}, "action", "action: must be an EC2 action name (str), got list", False),
    (
        "CopySnapshot",
        {**COPY, "Foo": 1},
        "CopySnapshot",
        "CopySnapshot: unknown parameter 'Foo' (valid: Description, DestinationOutpostArn, ",
        True,
    ),
    (
        "CopySnapshot",
        {**COPY, "sourceRegion": "x"},
        "CopySnapshot",
        "CopySnapshot: unknown parameter 'sourceRegion' (valid: ",
        True,
    ),
    (
        "CopySnapshot",
        {**COPY, "TagSpecifications": [{"ResourceType": "snapshot", "Tag": []}]},
        "CopySnapshot.TagSpecifications[0]",
        "CopySnapshot.TagSpecifications[0]: unknown parameter 'Tag' (valid: ResourceType, Tags)",
        True,
    ),
    (
        "CopySnapshot",
        {"SourceRegion": "us-west-2"},
        "CopySnapshot",
        "CopySnapshot: missing required parameter 'SourceSnapshotId'",
        True,
    ),
    (
        "CopySnapshot",
        {},
        "CopySnapshot",
        "CopySnapshot: missing required parameter 'SourceRegion'; "
        "CopySnapshot: missing required parameter 'SourceSnapshotId'",
        True,
    ),
    (
        "CreateSnapshot",
        {"Description": "x"},
        "CreateSnapshot",
        "CreateSnapshot: missing required parameter 'VolumeId'",
        True,
    ),
    (
        "CopySnapshot",
        {**COPY, "Encrypted": "true"},
        "CopySnapshot.Encrypted",
        "CopySnapshot.Encrypted: expected True or False, got str",
        True,
    ),
    (
        "CopySnapshot",
        {**COPY, "DryRun": 1},
        "CopySnapshot.DryRun",
        "CopySnapshot.DryRun: expected True or False, got int",
        True,
    ),
    (
        "CopySnapshot",
        {**COPY, "SourceRegion": 5},
        "CopySnapshot.SourceRegion",
        "CopySnapshot.SourceRegion: expected a string, got int",
        True,
    ),
    (
        "CopySnapshot",
        {**COPY, "Description": None},
        "CopySnapshot.Description",
        "CopySnapshot.Description: expected a string, got None",
        True,
    ),
    (
        "CopySnapshot",
        {**COPY, "Description": "bad \ud800 text"},
        "CopySnapshot.Description",
        "CopySnapshot.Description: string holds a lone surrogate, not valid Unicode text",
        False,
    ),
    (
        "CopySnapshot",
        {**COPY, "TagSpecifications": {"ResourceType": "snapshot"}},
        "CopySnapshot.TagSpecifications",
        "CopySnapshot.TagSpecifications: expected a list or tuple, got dict",
        True,
    ),
    (
        "CopySnapshot",
        {**COPY, "TagSpecifications": ["snapshot"]},
        "CopySnapshot.TagSpecifications[0]",
        "CopySnapshot.TagSpecifications[0]: expected a mapping (dict), got str",
        True,
    ),
    (
        "CopySnapshot",
        {**COPY, "TagSpecifications": [{"Tags": [{"Key": "a", "Value": "b"}, {"Key": 3}]}]},
        "CopySnapshot.TagSpecifications[0].Tags[1].Key",
        "CopySnapshot.TagSpecifications[0].Tags[1].Key: expected a string, got int",
        True,
    ),
    (
        "DescribeSnapshots",
        {"MaxResults": "5"},
        "DescribeSnapshots.MaxResults",
        "DescribeSnapshots.MaxResults: expected an integer, got str",
        True,
    ),
    (
        "DescribeSnapshots",
        {"MaxResults": 5.0},
        "DescribeSnapshots.MaxResults",
        "DescribeSnapshots.MaxResults: expected an integer, got float",
        True,
    ),
    (
        "DescribeSnapshots",
        {"MaxResults": True},
        "DescribeSnapshots.MaxResults",
        "DescribeSnapshots.MaxResults: expected an integer, got bool",
        False,
    ),
    (
        "DescribeSnapshots",
        {"Filters": [{"Name": "status", "Values": "completed"}]},
        "DescribeSnapshots.Filters[0].Values",
        "DescribeSnapshots.Filters[0].Values: expected a list or tuple, got str",
        True,
    ),
    (
        "DescribeSnapshots",
        {"SnapshotIds": ["snap-1", None]},
        "DescribeSnapshots.SnapshotIds[1]",
        "DescribeSnapshots.SnapshotIds[1]: expected a string, got None",
        True,
    ),
    (
        "ImportSnapshot",
        {"ClientData": {"UploadSize": "1.5"}},
        "ImportSnapshot.ClientData.UploadSize",
        "ImportSnapshot.ClientData.UploadSize: expected a number, got str",
        True,
    ),
    (
        "ImportSnapshot",
        {"ClientData": {"UploadSize": False}},
        "ImportSnapshot.ClientData.UploadSize",
        "ImportSnapshot.ClientData.UploadSize: expected a number, got bool",
        False,
    ),
    (
        "ImportSnapshot",
        {"ClientData": {"UploadStart": "last tuesday-ish"}},
        "ImportSnapshot.ClientData.UploadStart",
        "ImportSnapshot.ClientData.UploadStart: expected a datetime, an ISO 8601 string or "
        "epoch seconds, got str that does not read as a timestamp",
        True,
    ),
    (
        "ImportSnapshot",
        {"ClientData": {"UploadStart": date(2024, 1, 2)}},
        "ImportSnapshot.ClientData.UploadStart",
        "ImportSnapshot.ClientData.UploadStart: expected a datetime",
        True,
    ),
    (
        "ImportSnapshot",
        {"ClientData": {"UploadStart": True}},
        "ImportSnapshot.ClientData.UploadStart",
        "ImportSnapshot.ClientData.UploadStart: expected a datetime",
        False,
    ),
    (
        "ImportKeyPair",
        {"KeyName": "k", "PublicKeyMaterial": 12},
        "ImportKeyPair.PublicKeyMaterial",
        "ImportKeyPair.PublicKeyMaterial: expected bytes, bytearray or str, got int",
        True,
    ),
    (
        "DescribeAddressTransfers",
        {"MaxResults": 4},
        "DescribeAddressTransfers.MaxResults",
        "DescribeAddressTransfers.MaxResults: must be at least 5, got 4",
        True,
    ),
    (
        "CreateImage",
        {"InstanceId": "i-1", "Name": "ab"},
        "CreateImage.Name",
        "CreateImage.Name: must be at least 3 characters long, got 2",
        True,
    ),
    (
        "DeleteQueuedReservedInstances",
        {"ReservedInstancesIds": []},
        "DeleteQueuedReservedInstances.ReservedInstancesIds",
        "DeleteQueuedReservedInstances.ReservedInstancesIds: must hold at least 1 items, got 0",
        True,
    ),
    (
        "CopySnapshot",
        ["SourceRegion", "us-west-2"],
        "CopySnapshot",
        "CopySnapshot: expected a mapping (dict), got list",
        True,
    ),
    (
        "CopySnapshot",
        {**COPY, "PresignedUrl": SECRET.encode()},
        "CopySnapshot.PresignedUrl",
        "CopySnapshot.PresignedUrl: expected a string, got bytes",
        True,
    ),
]


@pytest.mark.parametrize(("action", "params", "field", "message", "botocore_refuses"), ERRORS)
def test_bad_input_is_refused_with_the_full_path(
    action: Any, params: Any, field: str, message: str, botocore_refuses: bool
) -> None:
    with pytest.raises(SigningError) as caught:
        serialize(action, params)
    assert str(caught.value).startswith(message)
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)
    assert SECRET not in str(caught.value)
    if botocore_refuses:
        with pytest.raises(botocore.exceptions.ParamValidationError):
            botocore_pairs(ec2_model(), action, params)


def test_every_problem_is_reported_and_the_first_names_the_field() -> None:
    with pytest.raises(SigningError) as caught:
        serialize("CopySnapshot", {"SourceRegion": 1, "Encrypted": "yes", "Bogus": 2})
    assert str(caught.value) == (
        "CopySnapshot.SourceRegion: expected a string, got int; "
        "CopySnapshot.Encrypted: expected True or False, got str; "
        "CopySnapshot: unknown parameter 'Bogus' (valid: Description, DestinationOutpostArn, "
        "DestinationRegion, Encrypted, KmsKeyId, PresignedUrl, SourceRegion, SourceSnapshotId, "
        "TagSpecifications, CompletionDurationMinutes, DestinationAvailabilityZone, DryRun); "
        "CopySnapshot: missing required parameter 'SourceSnapshotId'"
    )
    assert caught.value.field == "CopySnapshot.SourceRegion"


def test_a_flood_of_problems_is_summarised() -> None:
    ids: list[Any] = list(range(25))
    with pytest.raises(SigningError, match=r"… and 15 more problems$") as caught:
        serialize("DescribeSnapshots", {"SnapshotIds": ids})
    assert str(caught.value).count("expected a string") == 10
    assert caught.value.field == "DescribeSnapshots.SnapshotIds[0]"


def test_values_never_appear_in_messages() -> None:
    params = {**COPY, "PresignedUrl": f"https://x/?X-Amz-Signature={SECRET}", "Foo": SECRET}
    with pytest.raises(SigningError) as caught:
        serialize("CopySnapshot", params)
    assert SECRET not in str(caught.value)
    with pytest.raises(SigningError) as caught:
        serialize("ImportSnapshot", {"ClientData": {"UploadStart": SECRET}})
    assert SECRET not in str(caught.value)


# --- load behaviour --------------------------------------------------------------------------


def test_api_version_is_the_model_version() -> None:
    assert API_VERSION == ec2_model().metadata["apiVersion"] == "2016-11-15"
    assert serialize("DescribeSnapshots", {})[:2] == [
        ("Action", "DescribeSnapshots"),
        ("Version", "2016-11-15"),
    ]


def test_plans_are_built_once() -> None:
    ser = serializer._ec2_serializer()
    assert ser is serializer._ec2_serializer()
    serialize("CopySnapshot", {**COPY, "TagSpecifications": TAGS})
    plans = dict(ser._containers)
    serialize("CopySnapshot", {**COPY, "TagSpecifications": TAGS})
    assert ser._containers == plans
    assert all(ser._containers[name] is plan for name, plan in plans.items())
