"""Configured endpoints: the endpoint URL a user set outside the command line, found as
botocore's ``ConfiguredEndpointProvider`` finds it.

Why it matters: a user who configured a local or private endpoint and runs a command that
ignored it would send signed calls, with their credentials, to the public AWS endpoint.

botocore's order (the first one set wins), after an explicit ``endpoint_url``:

1. ``AWS_ENDPOINT_URL_<SERVICE>`` (``AWS_ENDPOINT_URL_EC2``),
2. ``AWS_ENDPOINT_URL``,
3. the profile's ``services = NAME`` and ``[services NAME]``'s nested ``ec2 = endpoint_url =``,
4. the profile's ``endpoint_url``;

none of them when ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`` (if set at all: ``true`` in any
case means true, anything else false) or else the profile's
``ignore_configured_endpoint_urls`` says true. A profile naming a services section that does
not exist is an error, as in botocore.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from .config_file import ConfigFileError, load, profile_name, scoped_config

__all__ = ["ConfiguredEndpoint", "configured_endpoint", "ignore_configured"]

IGNORE_ENV = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"


@dataclass(frozen=True)
class ConfiguredEndpoint:
    """An endpoint URL and where it was set (named in messages: ``AWS_ENDPOINT_URL_EC2``,
    ``profile dev's endpoint_url`` …)."""

    url: str
    source: str


def _env_name(service: str) -> str:
    return "AWS_ENDPOINT_URL_" + service.replace("-", "_").upper()


def _true(value: object) -> bool:
    """botocore's ``ensure_boolean``."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def ignore_configured(profile: str | None = None,
                      environ: Mapping[str, str] | None = None) -> bool:
    """True when configured endpoints are switched off (environment first, then profile)."""
    env = os.environ if environ is None else environ
    if IGNORE_ENV in env:
        return _true(env[IGNORE_ENV])
    return _true(scoped_config(profile, env).get("ignore_configured_endpoint_urls"))


def configured_endpoint(service: str = "ec2", profile: str | None = None,
                        environ: Mapping[str, str] | None = None, *,
                        ignore: bool | None = None) -> ConfiguredEndpoint | None:
    """The configured endpoint for ``service`` (botocore's client name), or None.
    ``ignore`` True or False overrides the setting, as botocore's client Config does."""
    env = os.environ if environ is None else environ
    if ignore is None:
        ignore = ignore_configured(profile, env)
    if ignore:
        return None
    for name in (_env_name(service), "AWS_ENDPOINT_URL"):
        if env.get(name):
            return ConfiguredEndpoint(env[name], name)
    scoped = scoped_config(profile, env)
    shown = profile_name(profile, env) or "default"
    if "services" in scoped:
        section_name = scoped["services"]
        section = load(env).services.get(section_name)
        if not section:
            raise ConfigFileError(
                f"services: profile {shown} uses services section {section_name!r}, which "
                "does not exist", field="services")
        nested = section.get(service.replace("-", "_").lower())
        url = nested.get("endpoint_url") if isinstance(nested, Mapping) else None
        if url:
            return ConfiguredEndpoint(url, f"[services {section_name}] {service}.endpoint_url")
    url = scoped.get("endpoint_url")
    if url and isinstance(url, str):
        return ConfiguredEndpoint(url, f"profile {shown}'s endpoint_url")
    return None
