"""EC2 Query protocol: boto3-shaped parameters into the ordered form pairs of a request body.

Driven by botocore's bundled EC2 model (API version 2016-11-15), so any action works and the
pairs are those botocore's ``EC2Serializer`` produces (read in ``botocore/serialize.py``):

* the body starts with ``Action`` and ``Version``; the parameters follow in the order the
  caller's mappings list them (botocore walks the caller's dicts, not the model);
* a structure member is named by its ``queryName``, else its ``locationName`` with the
  first letter upper-cased, else its member name; nested members join with ``.``
  (``TagSpecification.1.Tag.2.Key``);
* a list is always flattened as ``Name.1``, ``Name.2`` … under the name of the member that
  holds it: EC2 ignores ``flattened`` and the list member's own ``locationName``, and an
  empty list sends nothing (the plain Query protocol would send ``Name=``);
* a map is ``Name.entry.N.key`` / ``Name.entry.N.value`` (without ``entry`` when flattened),
  the key and value names following the member naming rule (the EC2 model has no input
  maps today);
* booleans are ``true``/``false``; integers and floats are Python's ``str`` of the value,
  with ``Infinity``, ``-Infinity`` and ``NaN`` spelled as botocore spells them; blobs are
  base64 (a ``str`` blob is UTF-8 encoded first);
* timestamps are ISO 8601 in UTC, ``2024-01-02T03:04:05Z``, with ``.ffffffZ`` microseconds
  only when non-zero (the Query protocol's default; a shape's ``timestampFormat`` of
  ``unixTimestamp`` or ``rfc822`` is honoured). A datetime without a zone is taken as UTC;
  a string or number is read by botocore's own timestamp parser (ISO 8601, RFC 822 or
  epoch seconds), so exactly what botocore accepts is accepted.

Everything is checked before a single pair is returned, as botocore's ``ParamValidator``
checks it: the action exists; every parameter is known; required ones are present; each
value has its shape's type; and the model's ``min`` (length, count or value) holds — not
``max``, which botocore leaves to the service too. All problems are reported together in one
`SigningError` whose field is the first problem's full path
(``CopySnapshot.TagSpecifications[0].Tags[1].Key``). Values are never quoted in messages
(a ``PresignedUrl`` carries a signature); only numbers that break a ``min`` are.

Where we are stricter than botocore, because botocore would send something wrong or fail
later with a less useful error:

* ``True``/``False`` are not integers or floats (botocore sends ``True``);
* blobs must be ``bytes``, ``bytearray`` or ``str`` (botocore's validator also lets file
  objects through, which its serializer then cannot encode);
* strings must be encodable as UTF-8, i.e. hold no lone surrogate.

We are more lenient in one way: any ``Mapping`` is accepted where botocore wants a ``dict``.

The serializer only serializes: like botocore's, it adds no ``ClientToken`` (botocore's
client fills idempotency tokens in an event handler) and no CopySnapshot ``PresignedUrl``.

The model is loaded on first use and only the operations and shapes used are parsed
(``sigv4kit.aws.data``, without importing botocore; botocore's own ``ServiceModel``
when its loader would merge other files), and each shape is reduced once to a small plan,
because the CopySnapshot ``PresignedUrl`` path serializes on every call.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypeGuard

if TYPE_CHECKING:
    from decimal import Decimal

from .._caches import cached
from ..errors import SigningError
from .model import API_VERSION

__all__ = ["API_VERSION", "serialize"]

"""The EC2 API version every request is serialized for (the ``Version`` pair)."""

_MAX_REPORTED: Final = 10


class _Ref(NamedTuple):
    """One use of a shape: its type plus the traits the place of use adds.

    ``locationName``, ``min`` and ``timestampFormat`` may sit on the member that refers to a
    shape rather than on the shape, so they are read through the reference, as botocore does.
    """

    kind: str
    shape: str
    wire_name: str
    min: int | float | None
    timestamp_format: str
    flattened: bool


class _Structure(NamedTuple):
    members: Mapping[str, _Ref]
    required: tuple[str, ...]
    valid: str


class _List(NamedTuple):
    item: _Ref


class _Map(NamedTuple):
    key: _Ref
    value: _Ref


_Container = _Structure | _List | _Map


def serialize(action: str, params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The form pairs of the EC2 Query request for ``action`` called with ``params``.

    ``params`` is shaped as for boto3 (``{"SourceRegion": "us-west-2", "Encrypted": True}``).
    The result starts ``("Action", action), ("Version", "2016-11-15")``; percent-encoding
    the pairs is left to the caller, who may need them unencoded to sign a query string.
    Raises `SigningError` naming each bad parameter (up to ten) by its full path.
    """
    return _ec2_serializer().serialize(action, params)


@cached(32, keys="(action, member names)", reason="a caller serializes the same members again")
def plain_strings_plan(
    action: str, names: tuple[str, ...]
) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]] | None:
    """When ``names`` are top-level string members of ``action``'s input without a minimum
    length, covering every required member: the leading pairs and the wire names such that
    ``serialize(action, dict(zip(names, values)))``, for ASCII ``values``, is the leading pairs
    then ``zip(wire_names, values)``. Otherwise None. For a caller that has already checked its
    values and serializes the same members again and again (the CopySnapshot PresignedUrl)."""
    return _ec2_serializer().plain_strings_plan(action, names)


@cached(1, keys="nothing", reason="the model is read and sliced once a process")
def _ec2_serializer() -> _Serializer:
    from ..aws.data import service_model_data

    data = service_model_data("ec2", API_VERSION)
    if data is not None:
        return _Serializer(_ModelData(data))
    from .model import service_model  # botocore's, shared with the response parser

    return _Serializer(service_model())


class _ModelData:
    """The model as raw JSON read on demand (``sigv4kit.aws.data``), answering the few
    questions the serializer asks of a botocore ``ServiceModel`` the way it answers them.

    A reference (``{"shape": name, ...}``) stands for the named shape with the reference's
    other keys laid over it (``botocore.model.ShapeResolver.resolve_shape_ref``).
    """

    def __init__(self, data: Any) -> None:
        self._data = data
        self.api_version: str = data.metadata["apiVersion"]

    def operation_names(self) -> list[str]:
        names: list[str] = self._data.operation_names()
        return names

    def has_operation(self, action: str) -> bool:
        return self._data.operation(action) is not None

    def input_ref(self, action: str) -> _Ref | None:
        operation = self._data.operation(action)
        return None if "input" not in operation else self._ref(operation["input"], "")

    def container(self, ref: _Ref) -> _Container:
        shape = self._shape(ref.shape)
        if ref.kind == "structure":
            members = {
                name: self._ref(member, name) for name, member in shape.get("members", {}).items()
            }
            return _Structure(
                members=members,
                required=tuple(shape.get("required", ())),
                valid=", ".join(members) or "none",
            )
        if ref.kind == "list":
            return _List(item=self._ref(shape["member"], ""))
        return _Map(key=self._ref(shape["key"], "key"), value=self._ref(shape["value"], "value"))

    def _shape(self, name: str) -> Any:
        shape = self._data.shape(name)
        if shape is None:
            raise LookupError(f"the EC2 model has no shape {name!r}")
        return shape

    def _ref(self, reference: Any, default_name: str) -> _Ref:
        name = reference["shape"]
        shape = self._shape(name)
        if len(reference) > 1:
            shape = {**shape, **{k: v for k, v in reference.items() if k != "shape"}}
        location = shape.get("locationName")
        return _make_ref(
            shape["type"],
            name,
            shape.get("queryName"),
            location,
            default_name,
            shape.get("min"),
            shape.get("timestampFormat", "iso8601"),
            shape.get("flattened"),
        )


class _BotocoreModel:
    """The same questions asked of a botocore ``ServiceModel``."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self.api_version: str = model.metadata["apiVersion"]
        self._operations: frozenset[str] = frozenset(model.operation_names)

    def operation_names(self) -> list[str]:
        return list(self._operations)

    def has_operation(self, action: str) -> bool:
        return action in self._operations

    def input_ref(self, action: str) -> _Ref | None:
        shape = self._model.operation_model(action).input_shape
        return None if shape is None else _ref(shape, "")

    def container(self, ref: _Ref) -> _Container:
        shape = self._model.shape_for(ref.shape)
        if ref.kind == "structure":
            members = {name: _ref(member, name) for name, member in shape.members.items()}
            return _Structure(
                members=members,
                required=tuple(shape.metadata.get("required", ())),
                valid=", ".join(members) or "none",
            )
        if ref.kind == "list":
            return _List(item=_ref(shape.member, ""))
        return _Map(key=_ref(shape.key, "key"), value=_ref(shape.value, "value"))


class _Serializer:
    """Serializer for one model of the ``ec2`` protocol: a botocore ``ServiceModel`` or the
    raw model read on demand.

    Plans are built lazily, per action and per shape, and kept: the EC2 model has thousands
    of shapes and a caller uses a handful. Building the same plan twice from two threads is
    harmless, so there is no lock.
    """

    def __init__(self, model: Any) -> None:
        self._model: _ModelData | _BotocoreModel = (
            model if isinstance(model, _ModelData) else _BotocoreModel(model)
        )
        self._api_version: str = self._model.api_version
        self._inputs: dict[str, _Ref | None] = {}
        self._containers: dict[str, _Container] = {}

    def serialize(self, action: str, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        root = self._input(action)
        out: list[tuple[str, str]] = [("Action", action), ("Version", self._api_version)]
        errors: list[tuple[str, str]] = []
        if root is None:
            if not isinstance(params, Mapping):
                errors.append((action, f"expected a mapping of parameters, got {_kind(params)}"))
            elif params:
                names = ", ".join(repr(name) for name in params)
                errors.append((action, f"takes no parameters, got {names}"))
        else:
            self._emit(params, root, "", action, out, errors)
        if errors:
            raise _error(errors)
        return out

    def plain_strings_plan(
        self, action: str, names: tuple[str, ...]
    ) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]] | None:
        root = self._input(action)
        if root is None:
            return None
        node = self._container(root)
        assert isinstance(node, _Structure)
        members = [node.members.get(name) for name in names]
        if not set(node.required) <= set(names) or any(
            m is None or m.kind != "string" or m.min is not None for m in members
        ):
            return None
        lead = (("Action", action), ("Version", self._api_version))
        return lead, tuple(m.wire_name for m in members if m is not None)

    def _input(self, action: str) -> _Ref | None:
        if not isinstance(action, str):
            raise SigningError(_unknown_action(action, frozenset()), field="action")
        try:
            return self._inputs[action]
        except KeyError:
            pass
        if not self._model.has_operation(action):
            operations = frozenset(self._model.operation_names())
            raise SigningError(_unknown_action(action, operations), field="action")
        ref = self._model.input_ref(action)
        self._inputs[action] = ref
        return ref

    def _container(self, ref: _Ref) -> _Container:
        try:
            return self._containers[ref.shape]
        except KeyError:
            pass
        node = self._model.container(ref)
        self._containers[ref.shape] = node
        return node

    def _emit(
        self,
        value: Any,
        ref: _Ref,
        prefix: str,
        path: str,
        out: list[tuple[str, str]],
        errors: list[tuple[str, str]],
    ) -> None:
        """Append the pairs of ``value`` under ``prefix``, or record why it cannot be sent.

        ``prefix`` is the wire name so far, ``path`` the boto3-side name for messages.
        """
        kind = ref.kind
        if kind == "string":
            if not isinstance(value, str):
                errors.append((path, f"expected a string, got {_kind(value)}"))
            elif not value.isascii() and not _utf8_encodable(value):
                errors.append((path, "string holds a lone surrogate, not valid Unicode text"))
            elif ref.min is not None and len(value) < ref.min:
                errors.append(
                    (path, f"must be at least {ref.min} characters long, got {len(value)}")
                )
            else:
                out.append((prefix, value))
        elif kind == "structure":
            if not isinstance(value, Mapping):
                errors.append((path, f"expected a mapping (dict), got {_kind(value)}"))
                return
            node = self._container(ref)
            assert isinstance(node, _Structure)
            for name, member_value in value.items():
                member = node.members.get(name)
                if member is None:
                    errors.append((path, f"unknown parameter {name!r} (valid: {node.valid})"))
                    continue
                wire_name = f"{prefix}.{member.wire_name}" if prefix else member.wire_name
                if (
                    member.kind == "string"
                    and type(member_value) is str
                    and member_value.isascii()
                    and (member.min is None or len(member_value) >= member.min)
                ):
                    out.append((wire_name, member_value))  # the common case, without a call
                    continue
                self._emit(member_value, member, wire_name, f"{path}.{name}", out, errors)
            for name in node.required:
                if name not in value:
                    errors.append((path, f"missing required parameter {name!r}"))
        elif kind == "list":
            if not isinstance(value, list | tuple):
                errors.append((path, f"expected a list or tuple, got {_kind(value)}"))
                return
            if ref.min is not None and len(value) < ref.min:
                errors.append((path, f"must hold at least {ref.min} items, got {len(value)}"))
            node = self._container(ref)
            assert isinstance(node, _List)
            for index, item in enumerate(value):
                self._emit(
                    item, node.item, f"{prefix}.{index + 1}", f"{path}[{index}]", out, errors
                )
        elif kind == "boolean":
            if not isinstance(value, bool):
                errors.append((path, f"expected True or False, got {_kind(value)}"))
            else:
                out.append((prefix, "true" if value else "false"))
        elif kind in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                errors.append((path, f"expected an integer, got {_kind(value)}"))
            elif ref.min is not None and value < ref.min:
                errors.append((path, f"must be at least {ref.min}, got {value}"))
            else:
                out.append((prefix, str(value)))
        elif kind in ("float", "double"):
            number = isinstance(value, int | float) or _is_decimal(value)
            if isinstance(value, bool) or not number:
                errors.append((path, f"expected a number, got {_kind(value)}"))
            elif ref.min is not None and not _is_nan(value) and value < ref.min:
                errors.append((path, f"must be at least {ref.min}, got {value}"))
            else:
                out.append((prefix, _number_text(value)))
        elif kind == "timestamp":
            moment = _to_utc(value)
            if moment is None:
                errors.append(
                    (
                        path,
                        f"expected a datetime, an ISO 8601 string or epoch seconds, got "
                        f"{_kind(value)} that does not read as a timestamp",
                    )
                )
            else:
                out.append((prefix, _timestamp_text(moment, ref.timestamp_format)))
        elif kind == "blob":
            if isinstance(value, str) and not _utf8_encodable(value):
                errors.append((path, "string holds a lone surrogate, not valid Unicode text"))
            elif isinstance(value, str):
                out.append((prefix, _base64(value.encode("utf-8"))))
            elif isinstance(value, bytes | bytearray):
                out.append((prefix, _base64(value)))
            else:
                errors.append((path, f"expected bytes, bytearray or str, got {_kind(value)}"))
        elif kind == "map":
            self._emit_map(value, ref, prefix, path, out, errors)
        else:
            errors.append((path, f"shape type {kind!r} is not supported by the EC2 protocol"))

    def _emit_map(
        self,
        value: Any,
        ref: _Ref,
        prefix: str,
        path: str,
        out: list[tuple[str, str]],
        errors: list[tuple[str, str]],
    ) -> None:
        if not isinstance(value, Mapping):
            errors.append((path, f"expected a mapping (dict), got {_kind(value)}"))
            return
        node = self._container(ref)
        assert isinstance(node, _Map)
        entries = prefix if ref.flattened else f"{prefix}.entry"
        for index, (key, item) in enumerate(value.items(), 1):
            entry_path = f"{path}[{key!r}]" if isinstance(key, str) else f"{path}[key {index}]"
            self._emit(
                key, node.key, f"{entries}.{index}.{node.key.wire_name}", entry_path, out, errors
            )
            self._emit(
                item,
                node.value,
                f"{entries}.{index}.{node.value.wire_name}",
                entry_path,
                out,
                errors,
            )


def _ref(shape: Any, default_name: str) -> _Ref:
    """Reduce a botocore member shape (shape plus member traits) to a `_Ref`."""
    serialization = shape.serialization
    return _make_ref(
        shape.type_name,
        shape.name,
        serialization.get("queryName"),
        serialization.get("name"),
        default_name,
        shape.metadata.get("min"),
        serialization.get("timestampFormat", "iso8601"),
        serialization.get("flattened"),
    )


def _make_ref(
    kind: str,
    shape: str,
    query_name: str | None,
    location_name: str | None,
    default_name: str,
    minimum: object,
    timestamp_format: object,
    flattened: object,
) -> _Ref:
    """The wire name is EC2's: ``queryName`` as is, else ``locationName`` with its first
    letter upper-cased, else ``default_name`` (the member name) unchanged."""
    name = query_name
    if name is None:
        name = location_name[:1].upper() + location_name[1:] if location_name else default_name
    return _Ref(
        kind=kind,
        shape=shape,
        wire_name=name,
        min=minimum if isinstance(minimum, int | float) else None,
        timestamp_format=str(timestamp_format).lower(),
        flattened=bool(flattened),
    )


def _kind(value: object) -> str:
    return "None" if value is None else type(value).__name__


def _utf8_encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_decimal(value: object) -> TypeGuard[Decimal]:
    """``isinstance(value, decimal.Decimal)`` without importing ``decimal`` (or its C module
    ``_decimal``): a Decimal can only exist once one of them is loaded."""
    module = sys.modules.get("decimal") or sys.modules.get("_decimal")
    return module is not None and isinstance(value, module.Decimal)


def _base64(data: bytes | bytearray) -> str:
    import base64  # blobs are rare in EC2 requests: not loaded before one is sent

    return base64.b64encode(data).decode("ascii")


def _is_nan(value: int | float | Decimal) -> bool:
    if _is_decimal(value):
        return value.is_nan()
    return isinstance(value, float) and math.isnan(value)


def _number_text(value: int | float | Decimal) -> str:
    """``str`` of the number, with botocore's spelling of the IEEE special values."""
    if isinstance(value, int):
        return str(value)
    if _is_nan(value):
        return "NaN"
    if value == math.inf:
        return "Infinity"
    if value == -math.inf:
        return "-Infinity"
    return str(value)


def _to_utc(value: object) -> datetime | None:
    """``value`` as an aware UTC datetime, or ``None`` if it is no timestamp.

    Strings and numbers go through botocore's ``parse_to_aware_datetime`` so that the
    accepted spellings are exactly botocore's (including epoch seconds given as a string).
    """
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    from botocore.utils import parse_to_aware_datetime  # type: ignore[import-untyped]

    try:
        parsed = parse_to_aware_datetime(value)
    except (ValueError, TypeError, AttributeError, OverflowError, OSError, RuntimeError):
        return None
    if not isinstance(parsed, datetime):
        return None
    return parsed.astimezone(UTC)


def _timestamp_text(moment: datetime, timestamp_format: str) -> str:
    """A UTC datetime written the way botocore's Query serializer writes it."""
    import calendar  # timestamps are rare in EC2 requests: not loaded before one is sent
    if timestamp_format == "unixtimestamp":
        seconds = calendar.timegm(moment.timetuple())
        if moment.microsecond:
            return str((seconds * 10**6 + moment.microsecond) / 10**6)
        return str(seconds)
    if timestamp_format == "rfc822":
        from email.utils import formatdate

        return formatdate(calendar.timegm(moment.timetuple()), usegmt=True)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _unknown_action(action: object, operations: frozenset[str]) -> str:
    if not isinstance(action, str):
        return f"action: must be an EC2 action name (str), got {_kind(action)}"
    message = f"action: unknown EC2 action {action!r} (API {API_VERSION})"
    import difflib  # for this error message only

    close = difflib.get_close_matches(action, sorted(operations), n=3)
    if close:
        message += "; did you mean " + " or ".join(close) + "?"
    return message


def _error(errors: list[tuple[str, str]]) -> SigningError:
    shown = [f"{path}: {problem}" for path, problem in errors[:_MAX_REPORTED]]
    if len(errors) > _MAX_REPORTED:
        shown.append(f"… and {len(errors) - _MAX_REPORTED} more problems")
    return SigningError("; ".join(shown), field=errors[0][0])
