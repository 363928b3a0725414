"""Region -> partition -> EC2 endpoint URL, from the data botocore ships.

AWS Regions are grouped into partitions (``aws``, ``aws-cn``, ``aws-us-gov``, the isolated
``aws-iso*`` partitions, ``aws-eusc`` …), each with its own DNS suffix and its own
credentials. A signature made for one partition is never valid in another, so the
CopySnapshot ``PresignedUrl`` must point at the source Region's own endpoint, in the same
partition as the destination.

Nothing here is hard-coded. The partitions come from botocore's ``partitions.json`` and the
EC2 endpoint from botocore's endpoint rules for ``ec2`` (``endpoint-rule-set-1``), so the
special cases in the rules — GovCloud's FIPS endpoint being the ordinary host, for one —
come out as botocore sends them. The rules are evaluated as botocore's rules engine
(``botocore.endpoint_provider.EndpointProvider``) evaluates them: here, for the handful of
rule functions the ec2 rules use (`_Rules`), and by that engine itself for anything else,
including every error. The files are read without importing botocore
(``sigv4kit.aws.data``), so ``sigv4kit presign copy-snapshot`` never loads it.

A Region's endpoint is always computed from its own name; it is never derived by editing
another Region's URL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, NamedTuple

from .._caches import cached
from ..errors import SigningError
from ..patterns import lazy
from .data import load_data, load_service_model

__all__ = [
    "Ec2Endpoint", "check_same_partition", "ec2_endpoint", "partition_of", "resolve_ec2_endpoint",
]

_REGION_SHAPE: Final = re.compile(r"(?!-)(?![0-9]+$)[a-z0-9-]{1,63}(?<!-)")
"""A DNS label in lower case, not all digits: what botocore accepts as a Region name
(``botocore.utils.validate_region_name``), minus upper case, which no Region uses."""


class _Partition(NamedTuple):
    name: str
    regions: frozenset[str]
    region_regex: re.Pattern[str]
    supports_fips: bool
    supports_dualstack: bool
    outputs: Mapping[str, Any]


def _find_partition(region: str, partitions: Sequence[_Partition]) -> _Partition:
    """The one partition rule, botocore's ``aws.partition``
    (``botocore.endpoint_provider.RuleSetStandardLibrary.aws_partition``): the first partition,
    in file order, that lists ``region`` or whose ``regionRegex`` matches it; else the first."""
    for partition in partitions:
        if region in partition.regions or partition.region_regex.match(region):
            return partition
    return partitions[0]


def partition_of(region: str) -> str:
    """The partition ``region`` belongs to, e.g. ``"aws-cn"`` for ``"cn-north-1"``.

    The first partition (in botocore's file order) that lists the Region or whose
    ``regionRegex`` matches it. A well-formed name that matches no partition is in the first
    partition of the file (``aws``), as in botocore's ``aws.partition`` rule function, so a
    Region launched after this copy of botocore resolves the way botocore itself resolves it.
    """
    return _partition(region, "region").name


class Ec2Endpoint(NamedTuple):
    """EC2's endpoint in one Region and the partition of that Region, resolved together: a
    CopySnapshot PresignedUrl needs both (the URL to sign, the partition to refuse a copy
    across partitions)."""

    url: str
    partition: str


def ec2_endpoint(region: str, *, fips: bool = False, dualstack: bool = False) -> str:
    """The HTTPS endpoint of EC2 in ``region``, e.g. ``"https://ec2.us-west-2.amazonaws.com"``.

    ``fips`` selects the FIPS 140 endpoint and ``dualstack`` the IPv4+IPv6 one; both may be
    combined. The URL is what botocore's endpoint rules for ec2 give for the parameters
    ``Region``, ``UseFIPS`` and ``UseDualStack``. A variant the Region's partition does not
    offer raises `SigningError` naming the option.
    """
    return resolve_ec2_endpoint(region, fips=fips, dualstack=dualstack).url


def resolve_ec2_endpoint(region: str, *, fips: bool = False, dualstack: bool = False,
                         field: str = "region") -> Ec2Endpoint:
    """``ec2_endpoint`` with the Region's partition (``partition_of``), from one lookup;
    ``field`` names the argument in errors about ``region``."""
    for option, value in (("fips", fips), ("dualstack", dualstack)):
        if not isinstance(value, bool):
            raise SigningError(
                f"{option}: must be True or False, got {type(value).__name__}", field=option
            )
    partition = _partition(region, field)
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
    return Ec2Endpoint(_resolve_ec2(region, fips, dualstack, field), partition.name)


def check_same_partition(source_region: str, destination_region: str, *,
                         source_partition: str | None = None) -> None:
    """Refuse a snapshot copy between partitions.

    Credentials, KMS keys and presigned URLs do not cross partition boundaries, so EC2
    would reject such a copy after the caller has already built and sent the request.
    ``source_partition`` is the source Region's partition when the caller has resolved it
    already (``resolve_ec2_endpoint(...).partition``).
    """
    if source_partition is None:
        source_partition = _partition(source_region, "source_region").name
    destination = _partition(destination_region, "destination_region").name
    if source_partition != destination:
        raise SigningError(
            "destination_region: cannot copy a snapshot across partitions: "
            f"{source_region} is in {source_partition}, {destination_region} is in "
            f"{destination}",
            field="destination_region",
        )


def _partition(region: str, field: str) -> _Partition:
    table = _partitions()
    if isinstance(region, str):
        known = table.found.get(region)  # looked up before, so already checked
        if known is not None:
            return known
    _check_region(region, field)
    return table.find(region)


def _check_region(region: object, field: str) -> None:
    if not isinstance(region, str):
        raise SigningError(
            f"{field}: must be a Region name (str), got {type(region).__name__}", field=field
        )
    if not _REGION_SHAPE.fullmatch(region):
        raise SigningError(f"{field}: {region!r} is not a valid AWS Region name", field=field)


def _resolve_ec2(region: str, fips: bool, dualstack: bool, field: str) -> str:
    try:
        endpoint = _rules_provider().resolve_endpoint(
            Region=region, UseFIPS=fips, UseDualStack=dualstack
        )
    except Exception as exc:
        # Imported only now: botocore is not loaded when the rules are evaluated here.
        from botocore.exceptions import EndpointProviderError  # type: ignore[import-untyped]

        if not isinstance(exc, EndpointProviderError):
            raise
        option = "fips" if fips else "dualstack" if dualstack else field
        raise SigningError(
            f"{option}: botocore's ec2 endpoint rules give no endpoint for Region {region} "
            f"(fips={fips}, dualstack={dualstack}): {exc}",
            field=option,
        ) from exc
    url: str = endpoint.url
    return url


@cached(1, keys="nothing", reason="partitions.json is read once a process")
def _partition_data() -> Mapping[str, Any]:
    """botocore's ``partitions.json``, read once."""
    data: Mapping[str, Any] = load_data("partitions")
    return data


class _PartitionTable:
    """The partitions in file order, which is also the order botocore tries their regexes,
    with the answer for each Region looked up kept (a bounded number of them)."""

    __slots__ = ("found", "partitions")

    def __init__(self, partitions: Sequence[_Partition]) -> None:
        self.partitions = partitions
        self.found: dict[str, _Partition] = {}

    def find(self, region: str) -> _Partition:
        found = self.found.get(region)
        if found is None:
            found = _find_partition(region, self.partitions)
            if len(self.found) < 1024:  # Regions a process names: a handful, bounded anyway
                self.found[region] = found
        return found


def _read_partitions(data: Mapping[str, Any]) -> tuple[_Partition, ...]:
    """The partitions of a ``partitions.json`` document, in file order."""
    result = []
    for entry in data["partitions"]:
        outputs = entry["outputs"]
        result.append(
            _Partition(
                name=entry["id"],
                regions=frozenset(entry.get("regions", {})),
                region_regex=lazy(entry["regionRegex"]),
                supports_fips=bool(outputs.get("supportsFIPS")),
                supports_dualstack=bool(outputs.get("supportsDualStack")),
                outputs=outputs,
            )
        )
    if not result:
        raise RuntimeError("botocore's partitions.json lists no partitions")
    return tuple(result)


@cached(1, keys="nothing", reason="partitions parsed, regexes compiled, once a process")
def _partitions() -> _PartitionTable:
    return _PartitionTable(_read_partitions(_partition_data()))


@cached(1, keys="nothing", reason="the ec2 endpoint rule set is read once a process")
def _rules_provider() -> Any:
    """The ec2 endpoint rules and the partitions, ready to resolve endpoints."""
    ruleset = load_service_model("ec2", "endpoint-rule-set-1")
    return _RulesProvider(ruleset, _partition_data())


class _Endpoint(NamedTuple):
    url: str


class _RulesProvider:
    """``botocore.endpoint_provider.EndpointProvider``'s ``resolve_endpoint``, answered here
    when the rules use only the functions `_Rules` knows (the ec2 rules do) and otherwise by
    botocore's engine itself; each answer is kept, as botocore keeps them.

    Evaluating here spares the CLI from importing botocore at all; anything the rules do that
    `_Rules` does not reproduce exactly — an unknown function, an error rule that applies, no
    endpoint at all — is passed to botocore, so errors are botocore's own.
    """

    def __init__(self, ruleset: Mapping[str, Any], partition_data: Mapping[str, Any]) -> None:
        self._rules = _Rules(ruleset, partition_data)
        self._ruleset = ruleset
        self._partition_data = partition_data
        self._answers: dict[tuple[tuple[str, object], ...], Any] = {}
        self._botocore: Any = None

    def resolve_endpoint(self, **params: object) -> Any:
        key = tuple(params.items())
        answer = self._answers.get(key)
        if answer is None:
            try:
                answer = _Endpoint(self._rules.evaluate(params))
            except _Unsupported:
                answer = self._botocore_provider().resolve_endpoint(**params)
            if len(self._answers) < 1024:
                self._answers[key] = answer
        return answer

    def _botocore_provider(self) -> Any:
        if self._botocore is None:
            from botocore.endpoint_provider import (  # type: ignore[import-untyped]
                EndpointProvider,
            )

            self._botocore = EndpointProvider(
                ruleset_data=self._ruleset, partition_data=self._partition_data
            )
        return self._botocore


class _Unsupported(Exception):
    """The rules need something `_Rules` leaves to botocore's engine."""


_TEMPLATE = re.compile(r"\{([a-zA-Z#]+)\}")
"""A template reference, as botocore's ``TEMPLATE_STRING_RE`` finds them."""
_PARAMETER_TYPES: Final = {"string": str, "boolean": bool, "stringarray": tuple}


class _Rules:
    """The subset of the endpoint rules language the ec2 rules use, evaluated as botocore's
    ``botocore/endpoint_provider.py`` evaluates it: rules in order, each on a copy of the
    scope; a condition fails on False or None; ``assign`` binds a result; templates read
    ``{Name}`` and ``{Name#attr}`` from the scope."""

    def __init__(self, ruleset: Mapping[str, Any], partition_data: Mapping[str, Any]) -> None:
        self._ruleset = ruleset
        self._partitions = _read_partitions(partition_data)
        self._functions: dict[str, Any] = {
            "isSet": lambda value: value is not None,
            "not": lambda value: not value,
            "booleanEquals": self._boolean_equals,
            "stringEquals": self._string_equals,
            "getAttr": self._get_attr,
            "aws.partition": self._aws_partition,
        }

    def evaluate(self, params: Mapping[str, object]) -> str:
        scope = dict(params)
        for name, spec in self._ruleset["parameters"].items():
            value = scope.get(name)
            if value is None:
                if spec.get("default") is not None:
                    scope[name] = spec["default"]
                elif spec.get("required"):
                    raise _Unsupported
            elif not isinstance(value, _PARAMETER_TYPES.get(str(spec["type"]).lower(), ())):
                raise _Unsupported
        for rule in self._ruleset["rules"]:
            url = self._rule(rule, dict(scope))
            if url is not None:
                return url
        raise _Unsupported  # no endpoint: botocore's error says so

    def _rule(self, rule: Mapping[str, Any], scope: dict[str, Any]) -> str | None:
        for condition in rule["conditions"]:
            result = self._call(condition, scope)
            if result is False or result is None:
                return None
        kind = rule["type"]
        if kind == "tree":
            for child in rule["rules"]:
                url = self._rule(child, dict(scope))
                if url is not None:
                    return url
            return None
        if kind == "endpoint":
            endpoint = rule["endpoint"]
            if endpoint.get("properties") or endpoint.get("headers"):
                raise _Unsupported
            url = self._value(endpoint["url"], scope)
            if not isinstance(url, str):
                raise _Unsupported
            return url
        raise _Unsupported  # an error rule that applies, or an unknown kind

    def _call(self, call: Mapping[str, Any], scope: dict[str, Any]) -> Any:
        function = self._functions.get(call["fn"])
        if function is None:
            raise _Unsupported
        result = function(*[self._value(arg, scope) for arg in call["argv"]])
        if "assign" in call:
            if call["assign"] in scope:
                raise _Unsupported
            scope[call["assign"]] = result
        return result

    def _value(self, value: Any, scope: dict[str, Any]) -> Any:
        if isinstance(value, dict):
            if "fn" in value:
                return self._call(value, scope)
            if "ref" in value:
                return scope.get(value["ref"])
        if isinstance(value, str) and _TEMPLATE.search(value):
            return self._template(value, scope)
        return value

    @staticmethod
    def _template(template: str, scope: Mapping[str, Any]) -> str:
        if "{" in _TEMPLATE.sub("", template) or "}" in _TEMPLATE.sub("", template):
            raise _Unsupported  # escaped or malformed braces: botocore's Formatter decides

        def substitute(match: re.Match[str]) -> str:
            value: Any = scope
            try:
                for part in match.group(1).split("#"):
                    value = value[part]
            except (KeyError, TypeError, IndexError):
                raise _Unsupported from None
            return f"{value}"

        return _TEMPLATE.sub(substitute, template)

    @staticmethod
    def _boolean_equals(left: object, right: object) -> bool:
        if not isinstance(left, bool) or not isinstance(right, bool):
            raise _Unsupported
        return left is right

    @staticmethod
    def _string_equals(left: object, right: object) -> bool:
        if not isinstance(left, str) or not isinstance(right, str):
            raise _Unsupported
        return left == right

    @staticmethod
    def _get_attr(value: Any, path: object) -> Any:
        if not isinstance(path, str) or "[" in path:
            raise _Unsupported
        try:
            for part in path.split("."):
                value = value[part]
        except (KeyError, TypeError, IndexError):
            raise _Unsupported from None
        return value

    def _aws_partition(self, region: object) -> dict[str, Any]:
        if region is not None:
            if not isinstance(region, str):
                raise _Unsupported
            found = _find_partition(region, self._partitions)
            return {**found.outputs, "name": found.name}
        first = self._partitions[0]
        return {**first.outputs, "name": first.name}
