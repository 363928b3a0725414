"""The package's in-memory caches, in one idiom: each one bounded, its reason written where it is
declared, and all of them listed here so that ``sigv4kit.clear_caches()`` empties every one.

Two forms, both registered:

- ``@cached(bound, keys=..., reason=...)`` on a function whose arguments are the key: it *is*
  ``functools.lru_cache`` (the C implementation, called directly), so a hit costs what it
  always cost.
- ``Memo(bound, name=..., keys=..., reason=...)``: a bounded mapping for a cache whose key is
  computed rather than passed, e.g. one keyed by a fingerprint of a secret so that the secret
  itself is never held (``keys.cached_signing_key``).

A cache never holds a secret access key, as key or value: what is derived from one (a signing
key, a SigV4a private key) is keyed by ``secret_fingerprint``. Caches may hold a session token
(it travels in every request a credential signs); a process that rotates credentials calls
``clear_caches()``.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Generic, TypeVar

from .errors import Error

__all__ = ["CacheInfo", "Memo", "cached", "caches", "clear_caches", "secret_fingerprint"]

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


class CacheInfo:
    """What one cache is for: the caches table in docs/development.md is this list."""

    __slots__ = ("bound", "clear", "keys", "name", "reason", "size")

    def __init__(
        self,
        name: str,
        keys: str,
        bound: int,
        reason: str,
        clear: Callable[[], None],
        size: Callable[[], int],
    ) -> None:
        self.name = name
        self.keys = keys
        self.bound = bound
        self.reason = reason
        self.clear = clear
        self.size = size

    def __repr__(self) -> str:
        return f"CacheInfo({self.name!r}, bound={self.bound})"


_REGISTRY: dict[str, CacheInfo] = {}


def _register(info: CacheInfo) -> None:
    if not 0 < info.bound <= 4096:
        raise Error(f"cache {info.name}: bound must be 1..4096")
    if not info.reason or not info.keys:
        raise Error(f"cache {info.name}: say what it keys on and why it exists")
    _REGISTRY[info.name] = info


def cached(
    bound: int, *, keys: str, reason: str, name: str | None = None
) -> Callable[[Callable[..., T]], functools._lru_cache_wrapper[T]]:
    """``functools.lru_cache(maxsize=bound)``, registered under the declaring module and
    ``name`` (default: the function's name) with what it keys on and why it exists."""
    module = sys._getframe(1).f_globals.get("__name__", "?")

    def wrap(function: Callable[..., T]) -> functools._lru_cache_wrapper[T]:
        wrapper = functools.lru_cache(maxsize=bound)(function)
        label = f"{module}.{name or function.__qualname__}"
        size = lambda: wrapper.cache_info().currsize  # noqa: E731
        _register(CacheInfo(label, keys, bound, reason, wrapper.cache_clear, size))
        return wrapper

    return wrap


class Memo(Generic[K, V]):
    """A bounded dict for caches with a computed key; when full, the oldest entry goes."""

    __slots__ = ("_bound", "_data", "get")

    def __init__(self, bound: int, *, name: str, keys: str, reason: str) -> None:
        self._bound = bound
        self._data: dict[K, V] = {}
        self.get: Callable[[K], V | None] = self._data.get
        _register(CacheInfo(name, keys, bound, reason, self._data.clear, self._data.__len__))

    def put(self, key: K, value: V) -> V:
        """Store ``value`` under ``key`` (dropping the oldest entry when full); return it."""
        data = self._data
        if len(data) >= self._bound:
            for oldest in data:
                data.pop(oldest, None)  # None: another thread may have got there first
                break
        data[key] = value
        return value

    def __len__(self) -> int:
        return len(self._data)


secret_fingerprint: Callable[[str], int] = hash
"""What a cache keys on in place of a secret access key: ``hash()`` of it, i.e. SipHash under
the process's random hash key (the function every dict uses; a str keeps it once computed, so
a lookup costs no more than keying by the secret did). 64 bits of a 160+-bit secret reveal
nothing usable; two secrets collide with probability 2**-64, and a collision cannot be
steered without knowing the other secret."""


def caches() -> tuple[CacheInfo, ...]:
    """Every cache of the package registered so far (modules register on import)."""
    return tuple(_REGISTRY.values())


def clear_caches() -> None:
    """Empty every in-memory cache of sigv4kit: for a process that rotates credentials (caches
    hold session tokens and what is derived from secrets, never a secret itself), or that
    wants its memory back. Signing and verifying after it work as before, first calls slower."""
    for info in list(_REGISTRY.values()):
        info.clear()
