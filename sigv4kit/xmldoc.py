"""The one reader of untrusted XML: EC2's answers and servers' error documents.

defusedxml refuses DTDs, entity declarations and external references (billion laughs, XXE);
on top of that the document is capped in size and nesting depth (the tree is torn down
recursively, and no AWS document nests deeply), namespaces and attributes are dropped (AWS's
models know local names only), and the encoding is pinned to UTF-8 whatever the declaration
says, as botocore does. It is the core's one third-party import besides ``cryptography``:
parsing XML safely is what defusedxml is for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from .errors import Error

__all__ = ["XmlError", "child", "child_text", "parse_xml"]


class XmlError(Error, ValueError):
    """The document was refused: ``kind`` is ``"not_xml"`` (empty, HTML, truncated, bad bytes)
    or ``"hostile"`` (too big, too deep, or a feature no AWS document uses and attacks do)."""

    def __init__(self, message: str, kind: Literal["not_xml", "hostile"]) -> None:
        super().__init__(message)
        self.kind = kind


class _TooDeep(Exception):
    pass


class _LocalNames:
    """An ElementTree target keeping local tag names only and counting depth."""

    def __init__(self, max_depth: int) -> None:
        self._tree = TreeBuilder()
        self._depth = 0
        self._max_depth = max_depth

    def start(self, tag: str, attrs: Mapping[str, str]) -> Element:
        self._depth += 1
        if self._depth > self._max_depth:
            raise _TooDeep
        return self._tree.start(tag.rpartition("}")[2], {})

    def end(self, tag: str) -> Element:
        self._depth -= 1
        return self._tree.end(tag.rpartition("}")[2])

    def data(self, data: str) -> None:
        self._tree.data(data)

    def close(self) -> Element:
        return self._tree.close()


def parse_xml(data: bytes, *, max_depth: int, max_bytes: int) -> Element:
    """The root element of ``data``, or XmlError saying why not (never another exception)."""
    if len(data) > max_bytes:
        raise XmlError(f"XML of {len(data)} bytes is over the limit of {max_bytes}", "hostile")
    parser = DefusedXMLParser(
        target=_LocalNames(max_depth),
        encoding="utf-8",
        forbid_dtd=True,
        forbid_entities=True,
        forbid_external=True,
    )
    try:
        parser.feed(data)
        root: Element = parser.close()
    except _TooDeep:
        raise XmlError(f"XML nested deeper than {max_depth} elements", "hostile") from None
    except DefusedXmlException as exc:
        raise XmlError(f"XML uses a forbidden feature ({type(exc).__name__})", "hostile") from None
    except ParseError as exc:
        raise XmlError(f"not well-formed XML ({exc})", "not_xml") from None
    except (ValueError, LookupError, RecursionError) as exc:
        raise XmlError(f"not well-formed XML ({type(exc).__name__})", "not_xml") from None
    return root


def child(parent: Element, tag: str) -> Element | None:
    """The first child of ``parent`` named ``tag``."""
    for element in parent:
        if element.tag == tag:
            return element
    return None


def child_text(parent: Element, *tags: str) -> str | None:
    """The text of the child named by the first of ``tags`` that ``parent`` has ('' when
    empty), or None."""
    for tag in tags:
        element = child(parent, tag)
        if element is not None:
            return element.text or ""
    return None
