"""The one fast constructor of the package's frozen result values.

Its own module, below ``model`` and ``canonical``, so that task 1 (``canonical``) can build
its ``CanonicalRequest`` value the way every other result value is built, without the import
cycle ``canonical`` -> ``model`` -> ``redact`` -> ``canonical``. ``model`` re-exports it.
"""

from __future__ import annotations

from typing import TypeVar

_T = TypeVar("_T")


def trusted(cls: type[_T], given: dict[str, object] | None = None, /, **fields: object) -> _T:
    """A frozen dataclass built from values the package produced and checked, without the
    generated ``__init__`` (an ``object.__setattr__`` call per field): the one fast constructor
    of the result values. Every field must be given (a test checks each call site); the
    keyword dictionary becomes the instance's, uncopied. ``given``, a dict literal of the
    fields instead of keywords, costs half as much for many fields (the call builds a keyword
    dictionary one key at a time, growing it as it goes; a literal is built at its size)."""
    self = object.__new__(cls)
    object.__setattr__(self, "__dict__", fields if given is None else given)
    return self
