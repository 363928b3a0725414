"""botocore's bundled data files (partitions, endpoint rules, service models), read without
importing botocore.

Importing botocore's loader costs tens of milliseconds (it pulls in ``botocore.compat``,
urllib3, http.client and, when installed, awscrt), and parsing the whole EC2 model (4 MB of
JSON) about as much again. ``sigv4kit presign copy-snapshot`` needs three small files and a
dozen EC2 shapes, so this module finds the files where botocore's default
``botocore.loaders.Loader()`` would, and reads only what is asked for.

It reproduces the Loader exactly in the common case only: botocore's own ``data`` folder is
the one search path (``~/.aws/models`` does not exist) and the model has no ``sdk-extras``
file to merge. Otherwise every call goes to botocore's Loader. The files' layout is never
assumed either: a model is sliced by its pretty-printed layout only after that layout has
been seen, and anything that does not parse as expected is read in full with ``json``.
"""

from __future__ import annotations

import functools
import json
import os
import re
import zlib
from collections.abc import Mapping
from importlib.util import find_spec
from typing import Any

__all__ = ["ServiceModelData", "load_data", "load_service_model", "service_model_data"]

_EXTENSIONS = (".json", ".json.gz")
_TOP_LEVEL_KEY = re.compile(rb'\n  "([^"\n]*)":')
"""A key of the top-level object in botocore's layout (one regex pass is twice as fast as
``bytes.find`` here: every line of the file starts with the same two spaces)."""
"""The file names botocore's JSONFileLoader tries, in its order."""


@functools.cache  # the file system is asked once a process
def _builtin_data_dir() -> str | None:
    """botocore's ``data`` folder when it is the only place the default Loader searches."""
    if os.path.isdir(os.path.join(os.path.expanduser("~"), ".aws", "models")):
        return None
    spec = find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        return None
    data = os.path.join(os.path.abspath(next(iter(spec.submodule_search_locations))), "data")
    return data if os.path.isdir(data) else None


@functools.cache  # botocore's Loader is costly to build and keeps its own cache
def _botocore_loader() -> Any:
    from botocore.loaders import Loader  # type: ignore[import-untyped]

    return Loader()


def _read(path_without_extension: str) -> bytes | None:
    """The bytes of ``path.json`` or else ``path.json.gz`` (decompressed), or None."""
    for extension in _EXTENSIONS:
        path = path_without_extension + extension
        if os.path.isfile(path):
            with open(path, "rb") as f:
                data = f.read()
            return data if extension == ".json" else _gunzip(data)
    return None


def _gunzip(data: bytes) -> bytes:
    inflater = zlib.decompressobj(wbits=31)
    out = inflater.decompress(data)
    if inflater.eof and not inflater.unused_data:
        return out
    import gzip  # several gzip members, or a truncated file: let gzip decide

    return gzip.decompress(data)


def load_data(name: str) -> Any:
    """``botocore.loaders.Loader().load_data(name)``, e.g. ``load_data("partitions")``."""
    base = _builtin_data_dir()
    raw = None if base is None else _read(os.path.join(base, name))
    if raw is None:
        return _botocore_loader().load_data(name)
    return json.loads(raw.decode("utf-8"))


def _latest_api_version(base: str, service: str, type_name: str) -> str | None:
    folder = os.path.join(base, service)
    if not os.path.isdir(folder):
        return None
    versions = [
        version
        for version in os.listdir(folder)
        if any(os.path.isfile(os.path.join(folder, version, type_name + e)) for e in _EXTENSIONS)
    ]
    return max(versions) if versions else None


def _model_path(service: str, type_name: str, api_version: str | None) -> str | None:
    """Where the default Loader would read this model from, when nothing needs merging."""
    base = _builtin_data_dir()
    if base is None:
        return None
    if api_version is None:
        api_version = _latest_api_version(base, service, type_name)
        if api_version is None:
            return None
    path = os.path.join(base, service, api_version, type_name)
    extras = os.path.join(base, service, api_version, f"{type_name}.sdk-extras")
    if any(os.path.isfile(extras + e) for e in _EXTENSIONS):
        return None
    return path


def load_service_model(service: str, type_name: str, api_version: str | None = None) -> Any:
    """``botocore.loaders.Loader().load_service_model(service, type_name, api_version)``."""
    path = _model_path(service, type_name, api_version)
    raw = None if path is None else _read(path)
    if raw is None:
        return _botocore_loader().load_service_model(service, type_name, api_version)
    return json.loads(raw.decode("utf-8"))


class ServiceModelData:
    """A service model (``service-2``) whose operations and shapes are parsed on demand.

    botocore writes its models with two-space indentation and one member per line, so
    ``\\n    "Name":`` (four spaces) can only start an entry of a top-level section: a JSON
    string holds no raw newline, and deeper entries are indented further. An entry is the
    text from there to the next such line, and ``json`` checks it. A model written any other
    way (or any entry that does not parse) makes the whole file parsed, once.
    """

    def __init__(self, raw: bytes) -> None:
        self._raw = raw
        self._full: Mapping[str, Any] | None = None
        self._sections: dict[str, tuple[int, int]] = {}
        self._cache: dict[tuple[str, str], Mapping[str, Any] | None] = {}
        keys = list(_TOP_LEVEL_KEY.finditer(raw))
        ends = [match.start() for match in keys[1:]] + [len(raw)] * bool(keys)
        for match, end in zip(keys, ends, strict=True):
            self._sections[match.group(1).decode("utf-8")] = (match.start(), end)
        if not {"metadata", "operations", "shapes"} <= self._sections.keys():
            self._load_full()

    def _load_full(self) -> Mapping[str, Any]:
        if self._full is None:
            self._full = json.loads(self._raw.decode("utf-8"))
            self._raw = b""
        return self._full

    @property
    def metadata(self) -> Mapping[str, Any]:
        if self._full is None:
            start, end = self._sections["metadata"]
            text = self._raw[start:end].decode("utf-8")
            try:
                value = json.loads(text[text.index(":") + 1 :].rstrip().rstrip(","))
                if isinstance(value, dict):
                    return value
            except ValueError:
                pass
        metadata: Mapping[str, Any] = self._load_full()["metadata"]
        return metadata

    def operation_names(self) -> list[str]:
        return list(self._load_full()["operations"])

    def operation(self, name: str) -> Mapping[str, Any] | None:
        """The operation's definition, or None when the model has no such operation."""
        return self._entry("operations", name)

    def shape(self, name: str) -> Mapping[str, Any] | None:
        """The shape's definition, or None when the model has no such shape."""
        return self._entry("shapes", name)

    def _entry(self, section: str, name: str) -> Mapping[str, Any] | None:
        key = (section, name)
        if key in self._cache:
            return self._cache[key]
        value = None if self._full is not None else self._slice(section, name)
        if value is None:  # not found by layout: only the whole file can say it is absent
            value = self._load_full()[section].get(name)
        self._cache[key] = value
        return value

    def _slice(self, section: str, name: str) -> Mapping[str, Any] | None:
        raw = self._raw
        start, end = self._sections[section]
        anchor = b'\n    "' + name.encode("utf-8") + b'":'
        found = raw.find(anchor, start, end)
        if found < 0:
            return None
        value_start = found + len(anchor)
        value_end = raw.find(b'\n    "', value_start, end)
        if value_end < 0:  # the section's last entry: stop before the section's closing brace
            value_end = raw.rfind(b"\n  }", value_start, end)
        try:
            value = json.loads(raw[value_start:value_end].decode("utf-8").rstrip().rstrip(","))
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


def service_model_data(service: str, api_version: str) -> ServiceModelData | None:
    """The ``service-2`` model to read piecemeal, or None when botocore's Loader must be used
    (another search path, or extras to merge)."""
    path = _model_path(service, "service-2", api_version)
    return None if path is None else _model_data_at(path)


@functools.cache  # gunzipping ec2's model takes ~100 ms; the serializer and the CLI share it
def _model_data_at(path_without_extension: str) -> ServiceModelData | None:
    raw = _read(path_without_extension)
    return None if raw is None else ServiceModelData(raw)
