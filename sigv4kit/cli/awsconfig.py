"""What the AWS CLI reads from the profile and the environment for ``sigv4kit ec2`` and
``presign copy-snapshot``: the endpoint (``--endpoint-url`` first, then the configured ones),
and the profile's ``output``, ``cli_timestamp_format``, ``max_attempts`` and ``retry_mode``.
Stdlib only (``aws.config_file``), so ``presign`` still starts without botocore."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

__all__ = ["ca_bundle_for", "endpoint_for", "output_format", "profile_setting", "region_for",
           "retry_settings", "timestamp_format"]


def endpoint_for(opts: Mapping[str, Any], option: str = "endpoint_url"
                 ) -> tuple[str | None, str]:
    """(URL, where it came from): the option (``--endpoint-url``), else the configured
    endpoint and its source, else (None, ``"region"``) for the Region's public endpoint."""
    given = opts.get(option)
    if given:
        return str(given), "--" + option.replace("_", "-")
    from ..aws.config_endpoints import configured_endpoint

    found = configured_endpoint("ec2", opts.get("profile"))
    return (None, "region") if found is None else (found.url, found.source)


def profile_setting(opts: Mapping[str, Any], name: str, env: str | None = None
                    ) -> tuple[str | None, str]:
    """(value, source) of a setting: the environment variable ``env`` first (if any, and
    set non-empty), then the profile's key; (None, "") when neither sets it."""
    if env and os.environ.get(env):
        return os.environ[env], env
    from ..aws.config_file import profile_name, scoped_config

    value = scoped_config(opts.get("profile")).get(name)
    if isinstance(value, str):
        shown = profile_name(opts.get("profile")) or "default"
        return value, f"profile {shown}'s {name}"
    return None, ""


def region_for(opts: Mapping[str, Any]) -> str:
    """--region, else ``AWS_REGION`` / ``AWS_DEFAULT_REGION``, else the profile's ``region``;
    the profile is looked up first, so a missing one is named even with --region (as aws
    does). Raises ``AwsCliError`` with aws's message when there is none."""
    from ..aws.config_file import scoped_config
    from .awserrors import NO_REGION, AwsCliError, checked_region

    scoped = scoped_config(opts.get("profile"))
    region = (opts.get("region") or os.environ.get("AWS_REGION")
              or os.environ.get("AWS_DEFAULT_REGION") or scoped.get("region"))
    if not region or not isinstance(region, str):
        raise AwsCliError(NO_REGION, blank_line=False)
    return checked_region(region)


def output_format(opts: Mapping[str, Any]) -> str:
    """--output, else ``AWS_DEFAULT_OUTPUT``, else the profile's ``output``, else json (the
    AWS CLI's ``output`` config variable); another value is aws's "Unknown output type"."""
    from .awserrors import AwsCliError

    chosen = opts.get("output") or profile_setting(opts, "output", "AWS_DEFAULT_OUTPUT")[0] \
        or "json"
    if chosen not in ("json", "text", "table"):
        raise AwsCliError(f"Unknown output type: {chosen}")
    return str(chosen)


def timestamp_format(opts: Mapping[str, Any]) -> str:
    """The profile's ``cli_timestamp_format``: ``none``/``wire`` (the default: as the
    service sent it) or ``iso8601``; another value is refused in aws's words."""
    from ..aws.config_file import ProfileNotFound, scoped_config
    from .awserrors import AwsCliError

    try:
        chosen = scoped_config(opts.get("profile")).get("cli_timestamp_format") or "wire"
    except ProfileNotFound:  # as aws: reported where the profile is needed, not here
        return "wire"
    if chosen not in ("none", "wire", "iso8601"):
        raise AwsCliError(f"Unknown cli_timestamp_format value: {chosen}, valid values are "
                          '"none", "wire" or "iso8601"')
    return "iso8601" if chosen == "iso8601" else "wire"


def retry_settings(opts: Mapping[str, Any]) -> dict[str, Any]:
    """``retry_mode`` (``AWS_RETRY_MODE``, else the profile's; legacy by default, as aws v1)
    and ``max_attempts`` (``AWS_MAX_ATTEMPTS``, else the profile's; else the mode's), as
    keyword arguments of ``ec2.Client``; a bad value names where it came from."""
    from ..aws.retries import MODES
    from ..ec2.client import MAX_ATTEMPTS
    from .awserrors import AwsCliError

    mode, mode_source = profile_setting(opts, "retry_mode", "AWS_RETRY_MODE")
    if mode is not None and mode not in MODES:
        raise AwsCliError(f"{mode_source}: must be one of {', '.join(MODES)}, got {mode!r}")
    value, source = profile_setting(opts, "max_attempts", "AWS_MAX_ATTEMPTS")
    attempts = None
    if value is not None:
        if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_ATTEMPTS:
            shown = repr(value) if len(value) <= 20 else f"{len(value)} characters"
            raise AwsCliError(f"{source}: must be a whole number from 1 to {MAX_ATTEMPTS}, "
                              f"got {shown}")
        attempts = int(value)
    return {"retry_mode": mode, "max_attempts": attempts}


def ca_bundle_for(opts: Mapping[str, Any]) -> str | None:
    """--ca-bundle, else ``AWS_CA_BUNDLE``, else the profile's ``ca_bundle``; a path that is
    not a file is botocore's message, naming where the path came from."""
    from .awserrors import AwsCliError

    if opts.get("ca_bundle"):
        path, source = str(opts["ca_bundle"]), "--ca-bundle"
    else:
        found, source = profile_setting(opts, "ca_bundle", "AWS_CA_BUNDLE")
        if not found:
            return None
        path = found
    if not os.path.isfile(path):
        raise AwsCliError("Could not find a suitable TLS CA certificate bundle, invalid path: "
                          f"{path} (from {source})")
    return path
