"""EC2 Query responses (XML) into the dicts boto3 returns, or into `ApiError`.

The output shapes come from botocore's bundled EC2 model (API version 2016-11-15), so a
result has the same keys and value types as ``boto3.client("ec2").<operation>()``. The
model is loaded on first use and each operation's shape is compiled once into a small,
typed plan; botocore is never imported at module import time.

The wire rules are those of botocore's ``EC2QueryParser`` (read in ``botocore/parsers.py``):

* the output structure is the document's root element (``<CopySnapshotResponse>``); the
  root's ``<requestId>`` becomes ``ResponseMetadata.RequestId``;
* a structure member is found by its ``locationName`` (else its member name) and keyed by
  its boto3 member name; missing members are omitted, unknown elements ignored;
* a list is a wrapper element around one element per entry (``<tagSet><item>…``);
* integers/longs become ``int``, floats/doubles ``float``, booleans ``bool``, timestamps
  tz-aware ``datetime`` (botocore's own timestamp parser), blobs base64-decoded ``bytes``;
* errors are ``<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/>``.

Where we deliberately differ from botocore:

* XML goes through defusedxml with DTDs forbidden, a size cap checked before parsing and a
  nesting cap checked while parsing; anything unreadable is a `ResponseParseError`, never
  another exception;
* list entries must carry the list member's ``locationName`` (``item``); botocore takes
  every child element. Other children are ignored;
* a value that does not fit its type is an error: botocore reads any boolean other than
  ``true`` as ``False`` and may return a naive datetime; we accept only ``true``/``false``
  and attach UTC to a timestamp without a zone (EC2 always sends UTC);
* an error body is an `ApiError` even under a 2xx status, and any non-2xx status is an
  error (botocore treats 300 as success);
* a non-2xx response whose body is empty, HTML or otherwise not XML gets a code derived
  from the status (see `status_error_code`) where botocore uses the bare number (``"503"``);
* ``ResponseMetadata`` also carries ``RetryAttempts: 0`` (botocore's client adds it after
  the parser) and falls back to the ``x-amzn-requestid`` header for ``RequestId``.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import http
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeAlias
from xml.etree.ElementTree import Element

from .._caches import cached
from ..errors import SigningError
from ..xmldoc import XmlError, child, child_text, parse_xml
from .errors import ApiError, ResponseParseError
from .model import API_VERSION
from .model import service_model as _service_model

__all__ = ["parse_response", "status_error_code"]

EC2_API_VERSION: Final = API_VERSION
DEFAULT_MAX_BYTES: Final = 10 * 1024 * 1024
MAX_DEPTH: Final = 64
"""EC2 output shapes nest at most 14 levels; anything far deeper is an attack, and refusing
it while parsing keeps every later walk over the tree shallow."""

_MAX_TIMESTAMP_CHARS: Final = 64
_MAX_VALUE_IN_MESSAGE: Final = 40
_REQUEST_ID_HEADER: Final = "x-amzn-requestid"
_REQUEST_ID_TAGS: Final = ("requestId", "RequestId", "RequestID")
_STATUS_CODES: Final = {500: "InternalError", 503: "ServiceUnavailable"}

_Node: TypeAlias = "_Scalar | _List | _Map | _Structure"


@dataclass(frozen=True, slots=True)
class _Scalar:
    type_name: str


@dataclass(frozen=True, slots=True)
class _List:
    member: _Node
    item_tag: str | None
    """The entry element's name; ``None`` (unnamed in the model) accepts any child."""
    flattened: bool


@dataclass(frozen=True, slots=True)
class _Map:
    key: _Node
    value: _Node
    key_tag: str
    value_tag: str
    flattened: bool


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    tag: str
    node: _Node


@dataclass(frozen=True, slots=True)
class _Structure:
    fields: tuple[_Field, ...]


class _Invalid(Exception):
    """A value or element that does not fit the model; becomes a ResponseParseError."""


def parse_response(
    action: str,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> dict[str, Any]:
    """Parse one EC2 Query response into a boto3-shaped dict.

    ``action`` is the operation name as sent (``"CopySnapshot"``); it selects the output
    shape and names the operation in `ApiError` messages. ``headers`` may be any mapping
    (a ``requests`` ``CaseInsensitiveDict`` included); ``ResponseMetadata.HTTPHeaders``
    holds them with lower-cased names.

    Raises `ApiError` for an error response (any non-2xx status, or an EC2 error document),
    `ResponseParseError` when the body is larger than ``max_bytes``, not well-formed or
    hostile XML, or holds values that do not fit the model, and `SigningError` (a
    ``ValueError``) for an ``action`` that botocore's EC2 model does not know.
    """
    size = len(body)
    if size > max_bytes:
        raise ResponseParseError(
            f"response body exceeds the {max_bytes}-byte limit", http_status=status, body_size=size
        )
    lowered = {k.lower(): v for k, v in headers.items()}
    ok = 200 <= status < 300

    try:
        root = _parse_xml(body)
    except _NotXml as exc:
        if ok or size:  # as botocore: a body that is not XML is unreadable, error or not
            raise ResponseParseError(str(exc), http_status=status, body_size=size) from None
        detail = "empty response body" if size == 0 else f"response body ({size} bytes) is not XML"
        raise _status_error(action, status, lowered, detail) from None
    except _Hostile as exc:
        raise ResponseParseError(str(exc), http_status=status, body_size=size) from None

    error = _find_error(root)
    if error is not None and (not ok or root.tag in ("Response", "ErrorResponse")):
        raise _api_error(action, status, lowered, root, error)
    if not ok:
        raise _status_error(action, status, lowered, "response body holds no <Error>")

    plan = _output_plan(action)
    try:
        parsed: dict[str, Any] = {} if plan is None else _parse_structure(plan, root, root.tag)
    except _Invalid as exc:
        raise ResponseParseError(str(exc), http_status=status, body_size=size) from None
    metadata: dict[str, Any] = {}
    request_id = child_text(root, "requestId") or lowered.get(_REQUEST_ID_HEADER)
    if request_id:
        metadata["RequestId"] = request_id
    metadata["HTTPStatusCode"] = status
    metadata["HTTPHeaders"] = lowered
    metadata["RetryAttempts"] = 0
    parsed["ResponseMetadata"] = metadata
    return parsed


def status_error_code(status: int) -> str:
    """The error code given to a non-2xx response whose body names none.

    EC2's own codes for its two common bare failures (``InternalError`` for 500,
    ``ServiceUnavailable`` for 503); otherwise the HTTP reason phrase in CamelCase
    (``BadGateway``, ``GatewayTimeout``, ``Forbidden``), or ``HTTP<status>`` for a status
    with no standard phrase. Codes, unlike botocore's bare ``"503"``, can be compared with the
    documented EC2 ones and with `ApiError.is_throttling`.
    """
    if status in _STATUS_CODES:
        return _STATUS_CODES[status]
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP{status}"
    words = "".join(c if c.isalnum() else " " for c in phrase.replace("'", "")).split()
    return "".join(word[:1].upper() + word[1:] for word in words)


# --- XML ---------------------------------------------------------------------------------


class _NotXml(Exception):
    """The body is not a well-formed XML document (empty, HTML, truncated, bad bytes)."""


class _Hostile(Exception):
    """The body is XML that uses features no AWS response needs and attacks rely on."""


def _parse_xml(body: bytes) -> Element:
    """The hardened reader (``sigv4kit.xmldoc``), its refusals mapped to this module's."""
    try:
        return parse_xml(body, max_depth=MAX_DEPTH, max_bytes=len(body))
    except XmlError as exc:
        if exc.kind == "hostile":
            raise _Hostile(str(exc)) from None
        raise _NotXml(f"response is {exc}") from None


def _find_error(root: Element) -> Element | None:
    """The ``<Error>`` element of an error document, in EC2's layout or the Query one.

    EC2 sends ``<Response><Errors><Error>``; a Query-protocol front end (or a proxy
    imitating one) sends ``<ErrorResponse><Error>``. The first error wins, as in botocore.
    """
    if root.tag == "Error":
        return root
    errors = child(root, "Errors")
    if errors is not None:
        found = child(errors, "Error")
        if found is not None:
            return found
    return child(root, "Error")


def _api_error(
    action: str, status: int, headers: dict[str, str], root: Element, error: Element
) -> ApiError:
    fallback = "Unknown" if 200 <= status < 300 else status_error_code(status)
    code = (child_text(error, "Code") or "").strip() or fallback
    message = child_text(error, "Message")
    if message is None:
        message = _reason(status)
    request_id = child_text(root, *_REQUEST_ID_TAGS) or child_text(error, *_REQUEST_ID_TAGS)
    return ApiError(
        code,
        message,
        http_status=status,
        request_id=request_id or headers.get(_REQUEST_ID_HEADER),
        operation=action,
        http_headers=headers,
    )


def _status_error(action: str, status: int, headers: dict[str, str], detail: str) -> ApiError:
    return ApiError(
        status_error_code(status),
        f"{_reason(status)} ({detail})",
        http_status=status,
        request_id=headers.get(_REQUEST_ID_HEADER),
        operation=action,
        http_headers=headers,
    )


def _reason(status: int) -> str:
    try:
        return f"HTTP {status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


# --- model -------------------------------------------------------------------------------


@cached(256, keys="action", reason="a plan is compiled from the model once per action")
def _output_plan(action: str) -> _Structure | None:
    """The compiled output shape of ``action``; ``None`` for operations without output."""
    model = _service_model()
    if action not in model.operation_names:
        raise SigningError(f"action: unknown EC2 action {action!r} (API {EC2_API_VERSION})",
                           field="action")
    shape = model.operation_model(action).output_shape
    if shape is None:
        return None
    plan = _compile(shape, {})
    if not isinstance(plan, _Structure):
        raise ValueError(f"EC2 action {action!r} has a non-structure output shape")
    return plan


def _compile(shape: Any, memo: dict[str, _Node]) -> _Node:
    """Reduce a botocore shape to what parsing needs. Shapes are shared, hence the memo.

    A member's ``locationName`` lives on the member, so it is read here, by the parent,
    rather than being part of the (shared) child's plan.
    """
    cached = memo.get(shape.name)
    if cached is not None:
        return cached
    node: _Node
    kind = shape.type_name
    flattened = bool(shape.serialization.get("flattened"))
    if kind == "structure":
        node = _Structure(
            tuple(
                _Field(name, _member_tag(name, member), _compile(member, memo))
                for name, member in shape.members.items()
            )
        )
    elif kind == "list":
        node = _List(
            _compile(shape.member, memo), shape.member.serialization.get("name"), flattened
        )
    elif kind == "map":
        node = _Map(
            _compile(shape.key, memo),
            _compile(shape.value, memo),
            shape.key.serialization.get("name") or "key",
            shape.value.serialization.get("name") or "value",
            flattened,
        )
    else:
        node = _Scalar(kind)
    memo[shape.name] = node
    return node


def _member_tag(name: str, member: Any) -> str:
    """Element name of a structure member; a flattened list is named by its entries."""
    if member.type_name == "list" and member.serialization.get("flattened"):
        entry_name = member.member.serialization.get("name")
        if entry_name is not None:
            return str(entry_name)
    return str(member.serialization.get("name") or name)


# --- shapes ------------------------------------------------------------------------------


def _parse_node(node: _Node, element: Element, path: str) -> Any:
    if isinstance(node, _Scalar):
        return _parse_scalar(node.type_name, element.text or "", path)
    if isinstance(node, _Structure):
        return _parse_structure(node, element, path)
    if isinstance(node, _List):
        entries = (c for c in element if node.item_tag is None or c.tag == node.item_tag)
        return _parse_entries(node.member, entries, path)
    return _parse_map_entries(node, list(element), path)


def _parse_structure(plan: _Structure, element: Element, path: str) -> dict[str, Any]:
    by_tag: dict[str, list[Element]] = {}
    for element_child in element:
        by_tag.setdefault(element_child.tag, []).append(element_child)
    parsed: dict[str, Any] = {}
    for field in plan.fields:
        found = by_tag.get(field.tag)
        if not found:
            continue
        where = f"{path}/{field.tag}"
        node = field.node
        if isinstance(node, _List) and node.flattened:
            parsed[field.name] = _parse_entries(node.member, found, where)
        elif isinstance(node, _Map) and node.flattened:
            parsed[field.name] = _parse_map_entries(node, found, where)
        else:
            parsed[field.name] = _parse_node(node, found[0], where)
    return parsed


def _parse_entries(member: _Node, entries: Iterable[Element], path: str) -> list[Any]:
    return [_parse_node(member, e, f"{path}[{i}]") for i, e in enumerate(entries)]


def _parse_map_entries(node: _Map, entries: list[Element], path: str) -> dict[Any, Any]:
    parsed: dict[Any, Any] = {}
    for i, entry in enumerate(entries):
        key = child(entry, node.key_tag)
        value = child(entry, node.value_tag)
        if key is None or value is None:
            raise _Invalid(
                f"{path}[{i}]: map entry without <{node.key_tag}> and <{node.value_tag}>"
            )
        parsed[_parse_node(node.key, key, f"{path}[{i}]")] = _parse_node(
            node.value, value, f"{path}[{i}]"
        )
    return parsed


def _parse_scalar(type_name: str, text: str, path: str) -> Any:
    converter = _CONVERTERS.get(type_name)
    if converter is None:
        return text
    try:
        return converter(text)
    except (ValueError, OverflowError, OSError, binascii.Error):
        shown = text if len(text) <= _MAX_VALUE_IN_MESSAGE else text[:_MAX_VALUE_IN_MESSAGE] + "…"
        raise _Invalid(f"{path}: {shown!r} is not a valid {type_name}") from None


def _to_bool(text: str) -> bool:
    value = text.strip()
    if value == "true":
        return True
    if value == "false":
        return False
    raise ValueError(text)


class Timestamp(datetime.datetime):
    """A parsed timestamp that remembers the text EC2 sent (``wire``), so a CLI can print
    it as the service sent it (the AWS CLI v1's default ``cli_timestamp_format``). It is a
    ``datetime`` in every other respect, and equal to botocore's."""

    wire: str = ""


def _to_timestamp(text: str) -> datetime.datetime:
    """botocore's parser (so results compare equal), bounded, and always tz-aware."""
    if len(text) > _MAX_TIMESTAMP_CHARS:
        raise ValueError("timestamp too long")
    from botocore.utils import parse_timestamp  # type: ignore[import-untyped]

    value: datetime.datetime = parse_timestamp(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    stamped = Timestamp(value.year, value.month, value.day, value.hour, value.minute,
                        value.second, value.microsecond, value.tzinfo, fold=value.fold)
    stamped.wire = text
    return stamped


def _to_blob(text: str) -> bytes:
    return base64.b64decode(text)


_CONVERTERS: Final[dict[str, Callable[[str], Any]]] = {
    "string": str,
    "character": str,
    "integer": int,
    "long": int,
    "float": float,
    "double": float,
    "boolean": _to_bool,
    "timestamp": _to_timestamp,
    "blob": _to_blob,
}
