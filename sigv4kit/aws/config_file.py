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

Unlike botocore: a file writable by every user or owned by another user (not root) is
refused, since it steers where signed calls go; parse errors give line numbers, never lines.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from stat import S_ISREG
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


def _parse_nested(value: str, path: str, where: str) -> dict[str, str]:
    """``where``'s nested ``key = value`` lines; a bad line is named by place, never quoted
    (in a credentials file it may be a secret)."""
    nested = {}
    for line in value.splitlines():
        line = line.strip()
        if not line:
            continue
        key, sep, rest = line.partition("=")
        if not sep:
            raise ConfigFileError(f"config: {path}: a line of {where} is not KEY = VALUE",
                                  field="config")
        nested[key.strip()] = rest.strip()
    return nested


def _parse_error(exc: Exception) -> str:
    """What was wrong and where, never the line itself: configparser's own text quotes the
    offending line, which in a credentials file may be a secret key (botocore says only
    "Unable to parse config file")."""
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 at byte {exc.start}"
    lines = [str(n) for n, _ in getattr(exc, "errors", ())][:5]
    if getattr(exc, "lineno", None) is not None:
        lines = [str(exc.lineno)]  # type: ignore[attr-defined]
    kind = "".join(f" {w.lower()}" if w.isupper() else w
                   for w in type(exc).__name__.removesuffix("Error")).strip()
    return kind + (f" at line {', '.join(lines)}" if lines else "")


def _foreign_writer(stat: os.stat_result) -> str | None:
    """Why a config file others can change is refused, or None: it names endpoints the
    signed calls go to and credential processes to run (botocore does not check)."""
    if stat.st_uid not in (os.getuid(), 0):
        return f"owned by uid {stat.st_uid}, not by you (uid {os.getuid()}) or root"
    if stat.st_mode & 0o002:
        return "writable by every user (chmod o-w it)"
    return None


def _read_regular(path: str) -> bytes | None:
    """The file's bytes (bounded), or None when it is absent or not a regular file (a FIFO,
    /dev/zero, a directory: botocore's ``os.path.isfile``). Opened without blocking and
    checked on the open file, so a path swapped for a FIFO after a check cannot hang."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        stat = os.fstat(fd)
        if not S_ISREG(stat.st_mode):
            return None
        why = _foreign_writer(stat) if hasattr(os, "getuid") else None
        if why:
            raise ConfigFileError(f"config: {path}: refused, {why}", field="config")
        chunks, size = [], 0
        while size <= MAX_CONFIG_BYTES and (chunk := os.read(fd, 65536)):
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
    finally:
        os.close(fd)
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigFileError(f"config: {path}: larger than {MAX_CONFIG_BYTES} bytes",
                              field="config")
    return data


def _raw_parse(path: str) -> dict[str, dict[str, Any]]:
    """botocore's ``raw_config_parse``: {section: {option: value or nested dict}}."""
    import configparser

    try:
        data = _read_regular(path)
        if data is None:
            return {}
        parser = configparser.RawConfigParser()
        parser.read_string(data.decode("utf-8"), source=path)
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ConfigFileError(f"config: {path}: cannot be parsed ({_parse_error(exc)})",
                              field="config") from None
    except OSError as exc:
        raise ConfigFileError(f"config: {path}: cannot be read ({exc.strerror or exc})",
                              field="config") from None
    parsed: dict[str, dict[str, Any]] = {}
    for section in parser.sections():
        parsed[section] = {}
        for option in parser.options(section):
            value = parser.get(section, option)
            nested = value.startswith("\n")
            parsed[section][option] = (_parse_nested(value, path, f"[{section}] {option}")
                                       if nested else value)
    return parsed


def _section_name(key: str) -> str | None:
    """``profile "a b"`` -> ``a b`` (botocore splits with shlex); None if not two words."""
    import shlex

    try:
        parts = shlex.split(key)
    except ValueError:
        return None
    return parts[1] if len(parts) == 2 else None


def _cache_key(path: str) -> tuple[str, int, int, int]:
    try:
        stat = os.stat(path)
    except OSError:
        return (path, -1, -1, -1)
    # ctime too: a chmod or chown changes whether the file is refused (_foreign_writer)
    return (path, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size)


_CACHE: dict[tuple[tuple[str, int, int, int], tuple[str, int, int, int]], SharedConfig] = {}


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
