"""Region -> partition -> EC2 endpoint URL, from the data botocore ships.

AWS Regions are grouped into partitions (``aws``, ``aws-cn``, ``aws-us-gov``, the isolated
``aws-iso*`` partitions, ``aws-eusc`` …), each with its own DNS suffix and its own
credentials. A signature made for one partition is never valid in another, so the
CopySnapshot ``PresignedUrl`` must point at the source Region's own endpoint, in the same
partition as the destination.

Nothing here is hard-coded. The partitions come from botocore's ``partitions.json`` and the
EC2 endpoint from botocore's endpoint rules for ``ec2`` (``endpoint-rule-set-1``), evaluated
by botocore's own rules engine (``botocore.endpoint_provider.EndpointProvider``, the engine
behind ``botocore.regions.EndpointRulesetResolver``). That way the special cases in the
rules — GovCloud's FIPS endpoint being the ordinary host, for one — come out as botocore
sends them. botocore is imported on first use only, so ``import sigv4kit`` stays light.

A Region's endpoint is always computed from its own name; it is never derived by editing
another Region's URL.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from .errors import SigningError

__all__ = ["check_same_partition", "ec2_endpoint", "partition_of"]

_REGION_SHAPE: Final = re.compile(r"(?!-)(?![0-9]+$)[a-z0-9-]{1,63}(?<!-)")
"""A DNS label in lower case, not all digits: what botocore accepts as a Region name
(``botocore.utils.validate_region_name``), minus upper case, which no Region uses."""


@dataclass(frozen=True, slots=True)
class _Partition:
    name: str
    regions: frozenset[str]
    region_regex: re.Pattern[str]
    supports_fips: bool
    supports_dualstack: bool


def partition_of(region: str) -> str:
    """The partition ``region`` belongs to, e.g. ``"aws-cn"`` for ``"cn-north-1"``.

    A Region listed explicitly by a partition wins; otherwise the first partition whose
    ``regionRegex`` matches. A well-formed name that matches no partition is in the first
    partition of the file (``aws``), as in botocore's ``aws.partition`` rule function, so a
    Region launched after this copy of botocore resolves the way botocore itself resolves it.
    """
    return _partition(region, "region").name


def ec2_endpoint(region: str, *, fips: bool = False, dualstack: bool = False) -> str:
    """The HTTPS endpoint of EC2 in ``region``, e.g. ``"https://ec2.us-west-2.amazonaws.com"``.

    ``fips`` selects the FIPS 140 endpoint and ``dualstack`` the IPv4+IPv6 one; both may be
    combined. The URL is what botocore's endpoint rules for ec2 give for the parameters
    ``Region``, ``UseFIPS`` and ``UseDualStack``. A variant the Region's partition does not
    offer raises `SigningError` naming the option.
    """
    for option, value in (("fips", fips), ("dualstack", dualstack)):
        if not isinstance(value, bool):
            raise SigningError(
                f"{option}: must be True or False, got {type(value).__name__}", field=option
            )
    partition = _partition(region, "region")
    if fips and not partition.supports_fips:
        raise SigningError(
            f"fips: partition {partition.name} (Region {region}) has no FIPS endpoints",
            field="fips",
        )
    if dualstack and not partition.supports_dualstack:
        raise SigningError(
            f"dualstack: partition {partition.name} (Region {region}) has no dual-stack endpoints",
            field="dualstack",
        )
    return _resolve_ec2(region, fips, dualstack)


def check_same_partition(source_region: str, destination_region: str) -> None:
    """Refuse a snapshot copy between partitions.

    Credentials, KMS keys and presigned URLs do not cross partition boundaries, so EC2
    would reject such a copy after the caller has already built and sent the request.
    """
    source = _partition(source_region, "source_region")
    destination = _partition(destination_region, "destination_region")
    if source.name != destination.name:
        raise SigningError(
            "destination_region: cannot copy a snapshot across partitions: "
            f"{source_region} is in {source.name}, {destination_region} is in "
            f"{destination.name}",
            field="destination_region",
        )


def _partition(region: str, field: str) -> _Partition:
    _check_region(region, field)
    partitions = _partitions()
    for partition in partitions:
        if region in partition.regions:
            return partition
    for partition in partitions:
        if partition.region_regex.match(region):
            return partition
    return partitions[0]


def _check_region(region: object, field: str) -> None:
    if not isinstance(region, str):
        raise SigningError(
            f"{field}: must be a Region name (str), got {type(region).__name__}", field=field
        )
    if not _REGION_SHAPE.fullmatch(region):
        raise SigningError(f"{field}: {region!r} is not a valid AWS Region name", field=field)


def _resolve_ec2(region: str, fips: bool, dualstack: bool) -> str:
    from botocore.exceptions import EndpointProviderError  # type: ignore[import-untyped]

    try:
        endpoint = _rules_provider().resolve_endpoint(
            Region=region, UseFIPS=fips, UseDualStack=dualstack
        )
    except EndpointProviderError as exc:
        option = "fips" if fips else "dualstack" if dualstack else "region"
        raise SigningError(
            f"{option}: botocore's ec2 endpoint rules give no endpoint for Region {region} "
            f"(fips={fips}, dualstack={dualstack}): {exc}",
            field=option,
        ) from exc
    url: str = endpoint.url
    return url


@functools.cache
def _partition_data() -> Mapping[str, Any]:
    """botocore's ``partitions.json``, read once."""
    from botocore.loaders import Loader  # type: ignore[import-untyped]

    data: Mapping[str, Any] = Loader().load_data("partitions")
    return data


@functools.cache
def _partitions() -> Sequence[_Partition]:
    """The partitions in file order, which is also the order botocore tries their regexes."""
    result = []
    for entry in _partition_data()["partitions"]:
        outputs = entry["outputs"]
        result.append(
            _Partition(
                name=entry["id"],
                regions=frozenset(entry.get("regions", {})),
                region_regex=re.compile(entry["regionRegex"]),
                supports_fips=bool(outputs.get("supportsFIPS")),
                supports_dualstack=bool(outputs.get("supportsDualStack")),
            )
        )
    if not result:
        raise RuntimeError("botocore's partitions.json lists no partitions")
    return tuple(result)


@functools.cache
def _rules_provider() -> Any:
    """botocore's rules engine loaded with the ec2 endpoint rules and the partitions."""
    from botocore.endpoint_provider import EndpointProvider  # type: ignore[import-untyped]
    from botocore.loaders import Loader

    ruleset = Loader().load_service_model("ec2", "endpoint-rule-set-1")
    return EndpointProvider(ruleset_data=ruleset, partition_data=_partition_data())
