"""Region -> partition -> EC2 endpoint, checked against fixed facts and against botocore."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import botocore.config
import botocore.exceptions
import botocore.loaders
import botocore.session
import pytest

from sigv4kit import SigningError
from sigv4kit.aws import endpoints

# --- fixed facts ----------------------------------------------------------------------------

ONE_REGION_PER_PARTITION = [
    ("us-west-2", "aws", "https://ec2.us-west-2.amazonaws.com"),
    ("cn-north-1", "aws-cn", "https://ec2.cn-north-1.amazonaws.com.cn"),
    ("us-gov-west-1", "aws-us-gov", "https://ec2.us-gov-west-1.amazonaws.com"),
    ("us-iso-east-1", "aws-iso", "https://ec2.us-iso-east-1.c2s.ic.gov"),
    ("us-isob-east-1", "aws-iso-b", "https://ec2.us-isob-east-1.sc2s.sgov.gov"),
    ("eu-isoe-west-1", "aws-iso-e", "https://ec2.eu-isoe-west-1.cloud.adc-e.uk"),
    ("us-isof-south-1", "aws-iso-f", "https://ec2.us-isof-south-1.csp.hci.ic.gov"),
    ("eusc-de-east-1", "aws-eusc", "https://ec2.eusc-de-east-1.amazonaws.eu"),
]


@pytest.mark.parametrize(("region", "partition", "url"), ONE_REGION_PER_PARTITION)
def test_partition_and_endpoint_of_a_region_in_each_partition(
    region: str, partition: str, url: str
) -> None:
    assert endpoints.partition_of(region) == partition
    assert endpoints.ec2_endpoint(region) == url


def test_the_table_above_covers_every_partition_botocore_knows() -> None:
    data = botocore.loaders.Loader().load_data("partitions")
    assert {p["id"] for p in data["partitions"]} == {row[1] for row in ONE_REGION_PER_PARTITION}


def _listed_regions() -> list[tuple[str, str]]:
    data = botocore.loaders.Loader().load_data("partitions")
    return [(region, p["id"]) for p in data["partitions"] for region in p["regions"]]


@pytest.mark.parametrize(("region", "partition"), _listed_regions())
def test_every_region_listed_in_partitions_json_is_in_its_partition(
    region: str, partition: str
) -> None:
    assert endpoints.partition_of(region) == partition


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("us-east-99", "aws"),
        ("ap-moon-7", "aws"),
        ("cn-south-3", "aws-cn"),
        ("us-gov-central-2", "aws-us-gov"),
        ("us-iso-north-4", "aws-iso"),
        ("us-isob-south-4", "aws-iso-b"),
        ("eu-isoe-north-2", "aws-iso-e"),
        ("us-isof-west-9", "aws-iso-f"),
        ("eusc-de-west-2", "aws-eusc"),
        # matches no regex: botocore's aws.partition falls back to the first partition
        ("xx-east-1", "aws"),
        ("local", "aws"),
    ],
)
def test_unlisted_regions_go_by_region_regex(region: str, partition: str) -> None:
    assert endpoints.partition_of(region) == partition


@pytest.mark.parametrize(
    ("region", "fips", "dualstack", "url"),
    [
        ("us-west-2", True, False, "https://ec2-fips.us-west-2.amazonaws.com"),
        ("us-west-2", False, True, "https://ec2.us-west-2.api.aws"),
        ("us-west-2", True, True, "https://ec2-fips.us-west-2.api.aws"),
        ("cn-north-1", False, True, "https://ec2.cn-north-1.api.amazonwebservices.com.cn"),
        # GovCloud's FIPS endpoint is its ordinary host, a special case of the ec2 rules
        ("us-gov-west-1", True, False, "https://ec2.us-gov-west-1.amazonaws.com"),
        ("us-gov-east-1", True, False, "https://ec2.us-gov-east-1.amazonaws.com"),
        ("us-gov-west-1", True, True, "https://ec2-fips.us-gov-west-1.api.aws"),
        ("us-iso-east-1", False, True, "https://ec2.us-iso-east-1.api.aws.ic.gov"),
        ("eusc-de-east-1", True, False, "https://ec2-fips.eusc-de-east-1.amazonaws.eu"),
    ],
)
def test_fips_and_dualstack_variants(region: str, fips: bool, dualstack: bool, url: str) -> None:
    assert endpoints.ec2_endpoint(region, fips=fips, dualstack=dualstack) == url


@pytest.fixture
def partition_data_without_variants(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """aws-cn as if it offered neither FIPS nor dual-stack endpoints."""
    real = endpoints._partition_data()
    edited = {
        **real,
        "partitions": [
            {**p, "outputs": {**p["outputs"], "supportsFIPS": False, "supportsDualStack": False}}
            if p["id"] == "aws-cn"
            else p
            for p in real["partitions"]
        ],
    }
    monkeypatch.setattr(endpoints, "_partition_data", lambda: edited)
    endpoints._partitions.cache_clear()
    endpoints._rules_provider.cache_clear()
    yield
    monkeypatch.undo()
    endpoints._partitions.cache_clear()
    endpoints._rules_provider.cache_clear()


@pytest.mark.usefixtures("partition_data_without_variants")
@pytest.mark.parametrize(
    ("fips", "dualstack", "field"),
    [(True, False, "fips"), (False, True, "dualstack"), (True, True, "fips")],
)
def test_a_variant_the_partition_lacks_is_refused(fips: bool, dualstack: bool, field: str) -> None:
    with pytest.raises(SigningError, match=rf"^{field}: partition aws-cn") as caught:
        endpoints.ec2_endpoint("cn-north-1", fips=fips, dualstack=dualstack)
    assert caught.value.field == field
    assert endpoints.ec2_endpoint("cn-north-1") == "https://ec2.cn-north-1.amazonaws.com.cn"
    assert endpoints.ec2_endpoint("us-east-1", fips=fips, dualstack=dualstack).startswith(
        "https://ec2"
    )


def test_a_rules_engine_error_becomes_a_signing_error(monkeypatch: pytest.MonkeyPatch) -> None:
    class Refusing:
        def resolve_endpoint(self, **_: Any) -> Any:
            raise botocore.exceptions.EndpointResolutionError(msg="no endpoint")

    monkeypatch.setattr(endpoints, "_rules_provider", Refusing)
    with pytest.raises(SigningError, match=r"^dualstack: .*no endpoint") as caught:
        endpoints.ec2_endpoint("us-east-1", dualstack=True)
    assert caught.value.field == "dualstack"


@pytest.mark.parametrize("option", ["fips", "dualstack"])
@pytest.mark.parametrize("value", ["yes", 1, None])
def test_variant_options_must_be_booleans(option: str, value: object) -> None:
    with pytest.raises(SigningError, match=rf"^{option}: must be True or False"):
        endpoints.ec2_endpoint("us-east-1", **{option: value})  # type: ignore[arg-type]


# --- partitions and CopySnapshot ------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "destination"),
    [
        ("us-west-2", "cn-north-1"),
        ("cn-northwest-1", "us-east-1"),
        ("us-gov-west-1", "us-east-1"),
        ("us-east-1", "us-gov-east-1"),
        ("us-iso-east-1", "us-isob-east-1"),
        ("eu-isoe-west-1", "eu-west-1"),
        ("us-isof-south-1", "us-iso-west-1"),
        ("eusc-de-east-1", "eu-central-1"),
    ],
)
def test_copy_across_partitions_is_refused(source: str, destination: str) -> None:
    with pytest.raises(SigningError) as caught:
        endpoints.check_same_partition(source, destination)
    message = str(caught.value)
    assert message == (
        "destination_region: cannot copy a snapshot across partitions: "
        f"{source} is in {endpoints.partition_of(source)}, "
        f"{destination} is in {endpoints.partition_of(destination)}"
    )
    assert caught.value.field == "destination_region"


def test_cross_partition_message_matches_the_documented_example() -> None:
    with pytest.raises(
        SigningError,
        match=r"cannot copy a snapshot across partitions: us-west-2 is in aws, "
        r"cn-north-1 is in aws-cn$",
    ):
        endpoints.check_same_partition("us-west-2", "cn-north-1")


@pytest.mark.parametrize(
    ("source", "destination"),
    [
        ("us-west-2", "us-east-1"),
        ("us-west-2", "us-west-2"),
        ("ap-southeast-7", "mx-central-1"),
        ("cn-north-1", "cn-northwest-1"),
        ("us-gov-east-1", "us-gov-west-1"),
        ("us-iso-east-1", "us-iso-west-1"),
    ],
)
def test_copy_within_a_partition_is_allowed(source: str, destination: str) -> None:
    endpoints.check_same_partition(source, destination)


# --- malformed Region names -----------------------------------------------------------------

MALFORMED = [
    "",
    " ",
    "US-EAST-1",
    "Us-east-1",
    "us east 1",
    "us-east-1 ",
    " us-east-1",
    "us-east-1\n",
    "us/east-1",
    "us-east-1/",
    "../us-east-1",
    "us.east.1",
    "us_east_1",
    "us-east-1?x=1",
    "us-east-1#",
    "-us-east-1",
    "us-east-1-",
    "12345",
    "a" * 64,
    "ús-east-1",
    "us-east-\uff11",
]


@pytest.mark.parametrize("region", MALFORMED)
def test_malformed_region_names_are_refused_with_the_field_named(region: str) -> None:
    expected = f"region: {region!r} is not a valid AWS Region name"
    for call in (
        lambda: endpoints.partition_of(region),
        lambda: endpoints.ec2_endpoint(region),
        lambda: endpoints.ec2_endpoint(region, fips=True, dualstack=True),
    ):
        with pytest.raises(SigningError) as caught:
            call()
        assert str(caught.value) == expected
        assert caught.value.field == "region"
    with pytest.raises(SigningError, match=r"^source_region: ") as caught:
        endpoints.check_same_partition(region, "us-east-1")
    assert caught.value.field == "source_region"
    with pytest.raises(SigningError, match=r"^destination_region: ") as caught:
        endpoints.check_same_partition("us-east-1", region)
    assert caught.value.field == "destination_region"


def test_the_documented_malformed_example() -> None:
    with pytest.raises(SigningError, match=r"^region: 'us east 1' is not a valid AWS Region name$"):
        endpoints.partition_of("us east 1")


@pytest.mark.parametrize("region", [None, 1, b"us-east-1", ["us-east-1"]])
def test_non_string_regions_are_refused(region: object) -> None:
    with pytest.raises(SigningError, match=r"^region: must be a Region name \(str\)"):
        endpoints.partition_of(region)  # type: ignore[arg-type]


def test_a_63_character_label_is_still_a_region_shape() -> None:
    assert endpoints.partition_of("a" * 63) == "aws"


# --- differential: the URL a real botocore ec2 client sends to ------------------------------


class _Sent(Exception):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


def _abort_with_url(request: Any, **_: Any) -> None:
    raise _Sent(request.url)


@pytest.fixture(scope="module")
def botocore_session() -> Iterator[botocore.session.Session]:
    """A session no AWS_* variable or config file of the machine can steer."""
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("AWS_")]:
            patch.delenv(name)
        patch.setenv("AWS_CONFIG_FILE", os.devnull)
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        yield botocore.session.Session()


def _ec2_regions() -> list[tuple[str, str]]:
    session = botocore.session.Session()
    return [
        (partition, region)
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("ec2", partition)
    ]


VARIANTS = [
    pytest.param(False, False, id="plain"),
    pytest.param(True, False, id="fips"),
    pytest.param(False, True, id="dualstack"),
    pytest.param(True, True, id="fips+dualstack"),
]

LEGACY_DUALSTACK_SUFFIX_PARTITIONS = {"aws-iso", "aws-iso-b"}
"""Where ``client.meta.endpoint_url`` (computed from the legacy endpoints.json) still says
``api.aws`` for dual-stack, while the request itself goes to the rules-engine host."""


def test_botocore_lists_ec2_regions_in_every_partition() -> None:
    partitions = {partition for partition, _ in _ec2_regions()}
    assert partitions == {row[1] for row in ONE_REGION_PER_PARTITION}


@pytest.mark.parametrize(("fips", "dualstack"), VARIANTS)
@pytest.mark.parametrize(("partition", "region"), _ec2_regions())
def test_endpoint_equals_botocore_client(
    botocore_session: botocore.session.Session,
    partition: str,
    region: str,
    fips: bool,
    dualstack: bool,
) -> None:
    assert endpoints.partition_of(region) == partition
    ours = endpoints.ec2_endpoint(region, fips=fips, dualstack=dualstack)
    config = botocore.config.Config(use_fips_endpoint=fips, use_dualstack_endpoint=dualstack)
    try:
        client = botocore_session.create_client(
            "ec2",
            region_name=region,
            aws_access_key_id="x",
            aws_secret_access_key="y",
            config=config,
        )
    except botocore.exceptions.EndpointVariantError:
        # botocore's legacy endpoints.json has no dual-stack entry here, so it will not even
        # build the client, although partitions.json and the ec2 rules define the host.
        # The host is then checked against botocore's partition data, which ec2's rules
        # build it from: https://ec2.{Region}.{PartitionResult#dualStackDnsSuffix}.
        assert dualstack
        assert partition in {"aws-iso-e", "aws-iso-f"}
        data = botocore.loaders.create_loader().load_data("partitions")
        outputs = next(p["outputs"] for p in data["partitions"] if p["id"] == partition)
        suffix = outputs["dualStackDnsSuffix"]
        assert ours == f"https://ec2{'-fips' if fips else ''}.{region}.{suffix}"
        return
    client.meta.events.register("before-send.ec2", _abort_with_url)
    with pytest.raises(_Sent) as sent:
        client.describe_regions()
    assert ours + "/" == sent.value.url
    if client.meta.endpoint_url != ours:
        assert dualstack
        assert partition in LEGACY_DUALSTACK_SUFFIX_PARTITIONS
