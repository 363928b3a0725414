"""botocore's EC2 service model (API 2016-11-15), loaded once, on first use.

The response parser and ``ec2 call``'s parameter typing read it here; loading it costs tens
of milliseconds, so it is loaded lazily and shared. The serializer reads the same file through
``sigv4kit.aws.data`` (only the shapes it needs, for CLI start-up) and falls back to
this model when that reader cannot.
"""

from __future__ import annotations

from typing import Any, Final

from .._caches import cached

__all__ = ["API_VERSION", "member_type", "service_model"]

API_VERSION: Final = "2016-11-15"


@cached(1, keys="nothing", reason="botocore builds the model in ~100 ms: once a process")
def service_model() -> Any:
    """The ``botocore.model.ServiceModel`` of ec2 at ``API_VERSION``."""
    import botocore.loaders  # type: ignore[import-untyped]
    import botocore.model  # type: ignore[import-untyped]

    loader = botocore.loaders.create_loader()
    data = loader.load_service_model("ec2", "service-2", api_version=API_VERSION)
    return botocore.model.ServiceModel(data, service_name="ec2")


def member_type(action: str, member: str) -> str | None:
    """The type name (``string``, ``integer``, ``list`` …) of top-level input ``member`` of
    ``action``, or None when either is unknown (the serializer then says which)."""
    model = service_model()
    if action not in model.operation_names:
        return None
    shape = model.operation_model(action).input_shape
    if shape is None or member not in shape.members:
        return None
    type_name: str = shape.members[member].type_name
    return type_name
