"""botocore's paginator definitions (``paginators-1``), read from its data files.

The AWS CLI pages through an operation exactly as these say: which request member carries the
token (``input_token``), which response member holds the next one (``output_token``), which
member limits a page (``limit_key``) and which lists are concatenated (``result_key``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._caches import cached
from .data import load_service_model

__all__ = ["Paginator", "paginator"]


@dataclass(frozen=True)
class Paginator:
    """One operation's pagination, each field a tuple as botocore's may be lists."""

    operation: str
    input_token: tuple[str, ...]
    output_token: tuple[str, ...]
    limit_key: str | None
    result_key: tuple[str, ...]
    more_results: str | None
    non_aggregate_keys: tuple[str, ...]


def _names(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (str(value),)


@cached(8, keys="(service, API version)", reason="the paginators file is read once")
def _definitions(service: str, api_version: str) -> dict[str, Any]:
    """The whole file, once per process (it is small: 30 kB for ec2)."""
    data = load_service_model(service, "paginators-1", api_version)
    pagination: dict[str, Any] = data.get("pagination", {})
    return pagination


def paginator(service: str, api_version: str, operation: str) -> Paginator | None:
    """The paginator of ``operation``, or None when the operation does not paginate."""
    found = _definitions(service, api_version).get(operation)
    if found is None:
        return None
    return Paginator(
        operation=operation,
        input_token=_names(found.get("input_token")),
        output_token=_names(found.get("output_token")),
        limit_key=found.get("limit_key"),
        result_key=_names(found.get("result_key")),
        more_results=found.get("more_results"),
        non_aggregate_keys=_names(found.get("non_aggregate_keys")),
    )
