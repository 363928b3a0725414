"""Regular expressions compiled on first use.

Compiling one costs about half a million instructions (``re``'s parser is Python), and most
of the package's patterns serve rare paths: error messages, the debugger, redaction of text.
``sigv4kit presign`` would compile dozens it never matches. A pattern defined with `lazy` is
still defined once, where it was; it is compiled the first time any of its attributes is
used, and each method asked for is then kept on the object itself, so later calls cost what
they cost on a compiled pattern. Patterns of the signing hot path stay ``re.compile``.
"""

from __future__ import annotations

import re
from typing import Any, AnyStr, cast

__all__ = ["lazy"]


class _LazyPattern:
    """Stands for ``re.compile(pattern, flags)`` until an attribute is asked for."""

    def __init__(self, pattern: str | bytes, flags: int) -> None:
        self.__dict__["_source"] = (pattern, flags)

    def __getattr__(self, name: str) -> Any:  # only for what is not yet in __dict__
        compiled = self.__dict__.get("_compiled")
        if compiled is None:
            compiled = self.__dict__["_compiled"] = re.compile(*self.__dict__["_source"])
        value = getattr(compiled, name)
        self.__dict__[name] = value
        return value

    def __repr__(self) -> str:
        return f"lazy({self.__dict__['_source'][0]!r})"


def lazy(pattern: AnyStr, flags: int = 0) -> re.Pattern[AnyStr]:
    """``re.compile(pattern, flags)``, compiled when first used (not an ``re.Pattern``
    instance: use its methods, not ``isinstance`` or ``re.sub(pattern, …)``)."""
    return cast("re.Pattern[AnyStr]", _LazyPattern(pattern, flags))
