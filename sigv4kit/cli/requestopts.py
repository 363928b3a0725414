"""The request a command signs, as given on the command line: body, URL as sent, signing
options and scope, EC2 tags.

``sign``, ``presign`` and ``diff`` must build the same request from the same arguments, or
``diff`` would compare the server's canonical request with something ``sign`` never sent.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, BinaryIO

import click

if TYPE_CHECKING:
    from ..options import Algorithm, RegionSet, SigningOptions


MAX_DATA_BYTES = 64 * 1024 * 1024
"""The largest --data body: it is hashed and held to be signed (a larger upload is a job for
``sigv4kit.streaming.sign_chunked`` or UNSIGNED-PAYLOAD)."""


def _bounded(stream: BinaryIO, where: str) -> bytes:
    data = stream.read(MAX_DATA_BYTES + 1)
    if len(data) > MAX_DATA_BYTES:
        raise click.BadParameter(
            f"{where} holds more than {MAX_DATA_BYTES} bytes, the most a body to sign may be",
            param_hint="--data",
        )
    return data


def read_data(data: str | None) -> tuple[bytes, str | None]:
    """curl's ``-d`` forms: TEXT, ``@file`` or ``@-``; returns the body and the file name."""
    if data is None:
        return b"", None
    if data == "@-":
        return _bounded(sys.stdin.buffer, "standard input"), "-"
    if data.startswith("@"):
        path = data[1:]
        try:
            with open(path, "rb") as fh:
                return _bounded(fh, repr(path)), path
        except OSError as exc:
            raise click.BadParameter(
                f"cannot read {path!r}: {exc.strerror}", param_hint="--data"
            ) from None
    return data.encode("utf-8"), None


def wire_url(method: str, url: str) -> str:
    """The URL exactly as requests will send it (re-quoted), which is what must be signed."""
    import requests

    try:
        prepared = requests.Request(method, url).prepare()
    except requests.exceptions.RequestException as exc:
        raise click.BadParameter(str(exc), param_hint="URL") from None
    assert prepared.url is not None
    return prepared.url


def signing_options(*, s3: bool, unsigned_payload: bool, presign: bool) -> SigningOptions:
    """The core's options for ``--s3`` / ``--unsigned-payload``: S3's header or presign rules
    forced; without ``--s3`` the core picks them from ``--service``."""
    from ..options import UNSIGNED_PAYLOAD, service_defaults

    options: SigningOptions = {}
    if s3:  # S3's rules whatever --service says (an S3 service gets them without --s3)
        options.update(service_defaults("s3", presign=presign))
    if unsigned_payload:
        options["payload_hash"] = UNSIGNED_PAYLOAD
    return options


def signing_scope(
    *, sigv4a: bool, region: str | None, region_set: str | None, profile: str | None
) -> tuple[RegionSet, Algorithm]:
    """The region (SigV4) or region set (SigV4a, ``--region-set a,b`` or ``*``) and the
    algorithm to sign with."""
    from .common import load_region

    if sigv4a:
        regions = region_set or region or load_region(None, profile, "--region-set")
        return regions.split(","), "sigv4a"
    if region_set:
        raise click.UsageError("--region-set needs --sigv4a")
    return load_region(region, profile), "sigv4"


def tag_specifications(resource: str, tags: tuple[str, ...]) -> list[dict[str, Any]]:
    """``--tag KEY=VALUE`` options as EC2 TagSpecifications for ``resource``."""
    pairs = []
    for tag in tags:
        key, sep, value = tag.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{tag!r} is not KEY=VALUE", param_hint="--tag")
        pairs.append({"Key": key, "Value": value})
    return [{"ResourceType": resource, "Tags": pairs}]

