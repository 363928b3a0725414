"""The AWS shared config and credentials files, read as botocore's ``configloader`` reads
them, without importing botocore (``presign copy-snapshot`` must start fast).

What botocore does, and so what this does: ``AWS_CONFIG_FILE`` (default ``~/.aws/config``)
and ``AWS_SHARED_CREDENTIALS_FILE`` (default ``~/.aws/credentials``), ``~`` and ``$VARS``
expanded, a path that is not a regular file read as empty; INI through ``RawConfigParser``; a
value starting on the next line (``ec2 =`` then indented ``key = value`` lines) is one nested
section; ``[profile NAME]`` and ``[default]`` are profiles, ``[services NAME]`` are services
sections; the credentials file's ``[NAME]`` sections are merged over the config file's
profiles. The profile in use is ``--profile``, else ``AWS_DEFAULT_PROFILE``, else
``AWS_PROFILE``; a named profile that does not exist is an error, ``default`` may be absent.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import SigningError

__all__ = ["ConfigFileError", "ProfileNotFound", "SharedConfig", "load", "profile_name",
           "scoped_config"]

MAX_CONFIG_BYTES = 1024 * 1024
"""A config file larger than this is refused rather than parsed (botocore has no limit)."""


class ConfigFileError(SigningError):
    """A config or credentials file that cannot be read or parsed."""


class ProfileNotFound(SigningError):
    """A profile was named (option or environment) but is in neither file."""

    def __init__(self, profile: str) -> None:
        super().__init__(f"profile: the config profile ({profile}) could not be found",
                         field="profile")
        self.profile = profile


@dataclass(frozen=True)
class SharedConfig:
    """The two files, as botocore's ``Session.full_config``."""

    profiles: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    services: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    config_path: str = ""


def _path(environ: Mapping[str, str], name: str, default: str) -> str:
    value = environ.get(name) or default
    return os.path.expanduser(os.path.expandvars(value))


def _parse_nested(value: str, path: str) -> dict[str, str]:
    nested = {}
    for line in value.splitlines():
        line = line.strip()
        if not line:
            continue
        key, sep, rest = line.partition("=")
        if not sep:
            raise ConfigFileError(f"config: {path}: {line!r} in a nested section is not "
                                  "KEY = VALUE", field="config")
        nested[key.strip()] = rest.strip()
    return nested


def _raw_parse(path: str) -> dict[str, dict[str, Any]]:
    """botocore's ``raw_config_parse``: {section: {option: value or nested dict}}."""
    if not os.path.isfile(path):
        return {}
    import configparser

    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
        if len(data) > MAX_CONFIG_BYTES:
            raise ConfigFileError(f"config: {path}: larger than {MAX_CONFIG_BYTES} bytes",
                                  field="config")
        parser = configparser.RawConfigParser()
        parser.read_string(data.decode("utf-8"), source=path)
    except (configparser.Error, UnicodeDecodeError, OSError) as exc:
        detail = " ".join(str(exc).split())[:200]
        raise ConfigFileError(f"config: {path}: cannot be parsed ({detail})",
                              field="config") from None
    parsed: dict[str, dict[str, Any]] = {}
    for section in parser.sections():
        parsed[section] = {}
        for option in parser.options(section):
            value = parser.get(section, option)
            parsed[section][option] = (_parse_nested(value, path) if value.startswith("\n")
                                       else value)
    return parsed


def _section_name(key: str) -> str | None:
    """``profile "a b"`` -> ``a b`` (botocore splits with shlex); None if not two words."""
    import shlex

    try:
        parts = shlex.split(key)
    except ValueError:
        return None
    return parts[1] if len(parts) == 2 else None


def _cache_key(path: str) -> tuple[str, int, int]:
    try:
        stat = os.stat(path)
    except OSError:
        return (path, -1, -1)
    return (path, stat.st_mtime_ns, stat.st_size)


_CACHE: dict[tuple[tuple[str, int, int], tuple[str, int, int]], SharedConfig] = {}


def load(environ: Mapping[str, str] | None = None) -> SharedConfig:
    """Both files, merged as botocore merges them (cached while the files are unchanged)."""
    env = os.environ if environ is None else environ
    config_path = _path(env, "AWS_CONFIG_FILE", "~/.aws/config")
    credentials_path = _path(env, "AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")
    key = (_cache_key(config_path), _cache_key(credentials_path))
    if key not in _CACHE:
        profiles: dict[str, dict[str, Any]] = {}
        services: dict[str, dict[str, Any]] = {}
        for section, values in _raw_parse(config_path).items():
            if section.startswith("profile"):
                name = _section_name(section)
                if name is not None:
                    profiles[name] = values
            elif section.startswith("services"):
                name = _section_name(section)
                if name is not None:
                    services[name] = values
            elif section == "default":
                profiles["default"] = values
        for name, values in _raw_parse(credentials_path).items():
            profiles.setdefault(name, {}).update(values)
        if len(_CACHE) > 16:
            _CACHE.clear()
        _CACHE[key] = SharedConfig(profiles, services, config_path)
    return _CACHE[key]


def profile_name(explicit: str | None = None,
                 environ: Mapping[str, str] | None = None) -> str | None:
    """The profile asked for: the option, else ``AWS_DEFAULT_PROFILE``, else ``AWS_PROFILE``
    (botocore's order); None when none is named."""
    env = os.environ if environ is None else environ
    return explicit or env.get("AWS_DEFAULT_PROFILE") or env.get("AWS_PROFILE") or None


def scoped_config(explicit: str | None = None,
                  environ: Mapping[str, str] | None = None) -> Mapping[str, Any]:
    """The settings of the profile in use, as botocore's ``get_scoped_config``."""
    config = load(environ)
    name = profile_name(explicit, environ)
    if name is None:
        return config.profiles.get("default", {})
    if name not in config.profiles:
        raise ProfileNotFound(name)
    return config.profiles[name]
