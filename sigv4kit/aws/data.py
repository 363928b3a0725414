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

import os
import sys
from collections.abc import Mapping
from typing import Any

from .._caches import cached
from .cache import EntryCache, file_identity

__all__ = ["ServiceModelData", "load_data", "load_service_model", "service_model_data"]

_EXTENSIONS = (".json", ".json.gz")
"""The file names botocore's JSONFileLoader tries, in its order."""
_TOP_LEVEL_KEY = rb'\n  "([^"\n]*)":'
"""A key of the top-level object in botocore's layout (one regex pass is twice as fast as
``bytes.find`` here: every line of the file starts with the same two spaces)."""


@cached(1, keys="nothing", reason="the file system is asked once a process")
def _builtin_data_dir() -> str | None:
    """botocore's ``data`` folder when it is the only place the default Loader searches."""
    if os.path.isdir(os.path.join(os.path.expanduser("~"), ".aws", "models")):
        return None
    spec = _botocore_spec()
    if spec is None or not spec.submodule_search_locations:
        return None
    data = os.path.join(os.path.abspath(next(iter(spec.submodule_search_locations))), "data")
    return data if os.path.isdir(data) else None


def _botocore_spec() -> Any:
    """Where ``import botocore`` would load it from, not importing it: sys.path's finder
    answers for an installed package, ``importlib.util`` (a million instructions
    to import) only for the rest (an editable install's own finder, say)."""
    module = sys.modules.get("botocore")
    if module is not None:
        return module.__spec__
    from importlib.machinery import PathFinder

    spec = PathFinder.find_spec("botocore")
    if spec is not None:
        return spec
    from importlib.util import find_spec

    return find_spec("botocore")


@cached(1, keys="nothing", reason="botocore's Loader is costly to build and keeps its own cache")
def _botocore_loader() -> Any:
    from botocore.loaders import Loader  # type: ignore[import-untyped]

    return Loader()


def _find(path_without_extension: str) -> str | None:
    """``path.json`` or else ``path.json.gz``, whichever exists first, or None."""
    for extension in _EXTENSIONS:
        path = path_without_extension + extension
        if os.path.isfile(path):
            return path
    return None


def _read_file(path: str) -> bytes:
    with open(path, "rb") as f:
        data = f.read()
    return _gunzip(data) if path.endswith(".gz") else data


def _gunzip(data: bytes) -> bytes:
    import zlib

    inflater = zlib.decompressobj(wbits=31)
    out = inflater.decompress(data)
    if inflater.eof and not inflater.unused_data:
        return out
    import gzip  # several gzip members, or a truncated file: let gzip decide

    return gzip.decompress(data)


def _parse(raw: bytes) -> Any:
    import json  # not loaded when every entry asked for comes from the cache

    return json.loads(raw.decode("utf-8"))


@cached(16, keys="data file path", reason="one entry cache per file, so its entries are saved once")
def _cache_of(path: str) -> EntryCache | None:
    """The user cache of what was read from ``path`` (a file in botocore's data folder)."""
    identity = file_identity(path)
    base = _builtin_data_dir()
    if identity is None or base is None:
        return None
    name = os.path.relpath(path, base).replace(os.sep, "-").removesuffix(".gz")
    return EntryCache(name.removesuffix(".json"), identity)


def _document(path_without_extension: str) -> tuple[bool, Any]:
    """(True, the parsed JSON of ``path.json`` or ``path.json.gz``), from the cache when it
    holds it, or (False, None) when there is no such file."""
    path = _find(path_without_extension)
    if path is None:
        return False, None
    cache = _cache_of(path)
    if cache is not None:
        found, value = cache.get("document")
        if found:
            return True, value
    value = _parse(_read_file(path))
    if cache is not None:
        cache.put("document", value)
    return True, value


def load_data(name: str) -> Any:
    """``botocore.loaders.Loader().load_data(name)``, e.g. ``load_data("partitions")``."""
    base = _builtin_data_dir()
    found, value = (False, None) if base is None else _document(os.path.join(base, name))
    if not found:
        return _botocore_loader().load_data(name)
    return value


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
    found, value = (False, None) if path is None else _document(path)
    if not found:
        return _botocore_loader().load_service_model(service, type_name, api_version)
    return value


class ServiceModelData:
    """A service model (``service-2``) whose operations and shapes are parsed on demand.

    botocore writes its models with two-space indentation and one member per line, so
    ``\\n    "Name":`` (four spaces) can only start an entry of a top-level section: a JSON
    string holds no raw newline, and deeper entries are indented further. An entry is the
    text from there to the next such line, and ``json`` checks it. A model written any other
    way (or any entry that does not parse) makes the whole file parsed, once.

    Given the file's ``path`` (instead of its ``raw`` bytes) the file is read only when an
    entry is not in its ``cache`` (``aws.cache``), and every entry read from it is cached.
    """

    def __init__(self, raw: bytes | None = None, *, path: str | None = None,
                 cache: EntryCache | None = None) -> None:
        if (raw is None) == (path is None):
            raise TypeError("ServiceModelData takes the model's raw bytes or its path")
        self._path = path
        self._raw = b""
        self._indexed = False
        self._store = cache
        self._full: Mapping[str, Any] | None = None
        self._sections: dict[str, tuple[int, int]] = {}
        self._cache: dict[tuple[str, str], Mapping[str, Any] | None] = {}
        if raw is not None:
            self._index(raw)

    def _index(self, raw: bytes) -> None:
        """Find the top-level sections of the file's text (read now if it was not)."""
        import re

        self._raw, self._indexed = raw, True
        keys = list(re.finditer(_TOP_LEVEL_KEY, raw))
        ends = [match.start() for match in keys[1:]] + [len(raw)] * bool(keys)
        for match, end in zip(keys, ends, strict=True):
            self._sections[match.group(1).decode("utf-8")] = (match.start(), end)
        if not {"metadata", "operations", "shapes"} <= self._sections.keys():
            self._load_full()

    def _text(self) -> bytes:
        if not self._indexed:
            assert self._path is not None
            self._index(_read_file(self._path))
        return self._raw

    def _load_full(self) -> Mapping[str, Any]:
        if self._full is None:
            raw = self._raw if self._indexed else _read_file(self._path or "")
            self._indexed = True
            self._full = _parse(raw)
            self._raw = b""
        return self._full

    def _cached(self, key: str) -> tuple[bool, Any]:
        return (False, None) if self._store is None else self._store.get(key)

    def _keep(self, key: str, value: Any) -> None:
        if self._store is not None:
            self._store.put(key, value)

    @property
    def metadata(self) -> Mapping[str, Any]:
        found, cached = self._cached("metadata")
        if found and isinstance(cached, dict):
            return cached
        value = self._metadata()
        self._keep("metadata", value)
        return value

    def _metadata(self) -> Mapping[str, Any]:
        raw = self._text()
        if self._full is None:
            start, end = self._sections["metadata"]
            text = raw[start:end]
            try:
                value = _parse(text[text.index(b":") + 1 :].rstrip().rstrip(b","))
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
        found, cached = self._cached(f"{section}/{name}")
        value: Mapping[str, Any] | None = cached if isinstance(cached, dict) else None
        if not found or not (cached is None or isinstance(cached, dict)):
            self._text()
            value = None if self._full is not None else self._slice(section, name)
            if value is None:  # not found by layout: only the whole file can say it is absent
                value = self._load_full()[section].get(name)
            self._keep(f"{section}/{name}", value)
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
            value = _parse(raw[value_start:value_end].rstrip().rstrip(b","))
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


def service_model_data(service: str, api_version: str) -> ServiceModelData | None:
    """The ``service-2`` model to read piecemeal, or None when botocore's Loader must be used
    (another search path, or extras to merge)."""
    path = _model_path(service, "service-2", api_version)
    return None if path is None else _model_data_at(path)


@cached(16, keys="model path", reason="one reader: the serializer and the CLI share its entries")
def _model_data_at(path_without_extension: str) -> ServiceModelData | None:
    path = _find(path_without_extension)
    return None if path is None else ServiceModelData(path=path, cache=_cache_of(path))
