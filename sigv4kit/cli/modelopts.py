"""Command-line options generated from botocore's EC2 model, as the AWS CLI generates them.

Every input member of an operation becomes an option named as the AWS CLI names it
(``xform_name`` with dashes: ``SourceSnapshotId`` -> ``--source-snapshot-id``); booleans get
``--x/--no-x``; lists take space-separated values (``--snapshot-ids snap-1 snap-2``); lists
of structures and structures take the AWS CLI's shorthand, JSON or ``file://``. A member
botocore adds becomes an option by itself. The model is read with ``sigv4kit.aws.data``
(only the shapes used, no botocore import), so ``presign copy-snapshot`` starts fast.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple, TypeVar

import click

from .._caches import cached
from ..ec2.model import API_VERSION

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["Member", "ModelCommand", "input_members", "model_options", "model_params",
           "option_for", "xform_name"]

_FIRST_CAP = re.compile("(.)([A-Z][a-z]+)")
_END_CAP = re.compile("([a-z0-9])([A-Z])")
_SPECIAL_CASE = re.compile("[A-Z]{2,}s$")
_SCALARS = frozenset({"string", "integer", "long", "boolean", "float", "double",
                      "timestamp", "blob"})
_MAX_HELP = 110


def xform_name(name: str, sep: str = "-") -> str:
    """botocore's ``xform_name`` (botocore/__init__.py), without importing botocore: a test
    checks it against botocore's for every member of the EC2 model."""
    if sep in name:
        return name
    special = _SPECIAL_CASE.search(name)
    if special is not None:
        matched = special.group()
        name = f"{name[: -len(matched)]}{sep}{matched.lower()}"
    first = _FIRST_CAP.sub(r"\1" + sep + r"\2", name)
    return _END_CAP.sub(r"\1" + sep + r"\2", first).lower()


class Member(NamedTuple):
    """One top-level input member and the option that carries it (a NamedTuple: a tenth of
    a dataclass's cost to define, at every start-up)."""

    name: str
    option: str
    shape: str
    kind: str
    item_kind: str | None
    required: bool
    documentation: str

    @property
    def is_list(self) -> bool:
        return self.kind == "list"

    @property
    def help(self) -> str:
        """The option's help: the member's documentation as one plain sentence."""
        return short_help(self.documentation)


class _Model:
    """Shapes and operations of the EC2 model: sliced from botocore's file when its layout
    allows (``aws.data``), else the whole file."""

    def __init__(self) -> None:
        from ..aws.data import load_service_model, service_model_data

        self._data = service_model_data("ec2", API_VERSION)
        self._full: Any = None
        if self._data is None:
            self._full = load_service_model("ec2", "service-2", API_VERSION)

    def operation(self, name: str) -> Mapping[str, Any] | None:
        if self._data is not None:
            return self._data.operation(name)
        found: Mapping[str, Any] | None = self._full["operations"].get(name)
        return found

    def shape(self, name: str) -> Mapping[str, Any]:
        found = self._data.shape(name) if self._data is not None else (
            self._full["shapes"].get(name))
        if found is None:
            raise LookupError(f"the EC2 model has no shape {name!r}")
        return found


@cached(1, keys="nothing", reason="the EC2 model's options are built once a process")
def model() -> _Model:
    return _Model()


def short_help(documentation: str) -> str:
    """The model's HTML documentation as one plain sentence, for ``--help``."""
    text = re.sub(r"<[^>]+>", " ", documentation)
    text = re.sub(r"\s+", " ", text).strip()
    sentence = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return sentence if len(sentence) <= _MAX_HELP else sentence[: _MAX_HELP - 1] + "…"


@cached(128, keys="action", reason="help, parsing and checks read an action's members")
def input_members(action: str) -> tuple[Member, ...]:
    """The operation's input members in the model's order, each with its option."""
    operation = model().operation(action)
    if operation is None:
        raise LookupError(f"the EC2 model has no operation {action!r}")
    if "input" not in operation:
        return ()
    structure = model().shape(operation["input"]["shape"])
    required = set(structure.get("required", ()))
    members = []
    for name, ref in structure.get("members", {}).items():
        shape = model().shape(ref["shape"])
        item_kind = None
        if shape["type"] == "list":
            item_kind = model().shape(shape["member"]["shape"])["type"]
        members.append(Member(
            name=name, option="--" + xform_name(name), shape=ref["shape"], kind=shape["type"],
            item_kind=item_kind, required=name in required,
            documentation=ref.get("documentation", shape.get("documentation", "")),
        ))
    return tuple(members)


def option_for(action: str, member: str) -> str:
    """The option that carries ``member`` of ``action``: ``--source-snapshot-id``."""
    for found in input_members(action):
        if found.name == member:
            return found.option
    return "--" + xform_name(member)


def _metavar(member: Member) -> str:
    if member.kind == "list":
        return "VALUE ..." if member.item_kind in _SCALARS else "SHORTHAND|JSON ..."
    if member.kind in ("structure", "map"):
        return "SHORTHAND|JSON"
    return {"integer": "INTEGER", "long": "INTEGER", "float": "NUMBER",
            "double": "NUMBER", "timestamp": "TIMESTAMP"}.get(member.kind, "TEXT")


def model_options(action: str, *, skip: Iterable[str] = (), hidden: Iterable[str] = (),
                  help_overrides: Mapping[str, str] | None = None) -> Callable[[F], F]:
    """Add one click option per input member of ``action`` (never click-required: required
    members may come from --cli-input-json; ``missing_required`` checks them)."""
    skipped, hide = set(skip), set(hidden)
    overrides = dict(help_overrides or {})

    def decorate(f: F) -> F:
        for member in reversed(input_members(action)):
            if member.name in skipped:
                continue
            common: dict[str, Any] = {"cls": _ModelOption, "member": member,
                                      "help_override": overrides.get(member.name),
                                      "hidden": member.name in hide}
            if member.kind == "boolean":
                decls = [f"{member.option}/--no-{member.option[2:]}", member.name]
                f = click.option(*decls, default=None, **common)(f)
            else:
                f = click.option(member.option, member.name, multiple=member.is_list,
                                 metavar=_metavar(member), **common)(f)
        return f

    return decorate


class _ModelOption(click.Option):
    """The option of a model member, whose help text is made only when help is shown (the
    model's HTML documentation, made one sentence: not work for every start-up)."""

    def __init__(self, *args: Any, member: Member, help_override: str | None,
                 **kwargs: Any) -> None:
        self._member, self._help_override = member, help_override
        super().__init__(*args, **kwargs)

    @property
    def help(self) -> str | None:
        text = self._member.help if self._help_override is None else self._help_override
        return f"{text} [required]" if self._member.required else text

    @help.setter
    def help(self, value: str | None) -> None:  # click's own value: None, as none is given
        pass


class ModelCommand(click.Command):
    """A click command whose list options take several values after one flag, as the AWS
    CLI's do (``--snapshot-ids a b --owner-ids self``): the values up to the next ``--``
    option are rewritten as repeated options before click parses them."""

    def __init__(self, *args: Any, list_options: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.list_options = frozenset(list_options)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, expand_list_values(args, self.list_options))
        except click.UsageError as exc:  # the parser's own: argparse's exit 2 under `ec2`
            exc.aws_usage = True  # type: ignore[attr-defined]
            raise


def expand_list_values(args: Sequence[str], list_options: frozenset[str]) -> list[str]:
    out: list[str] = []
    current: str | None = None
    for arg in args:
        if arg.startswith("--"):
            name, sep, value = arg.partition("=")
            current = name if name in list_options else None
            if current is not None and sep:
                out += [current, value]
                continue
            out.append(arg)
            if current is not None:
                out.append("\0")  # marks "the first value follows"
        elif current is not None:
            if out and out[-1] == "\0":
                out[-1] = arg
            else:
                out += [current, arg]
        else:
            out.append(arg)
    return [a for a in out if a != "\0"] if "\0" in out else out


def list_option_names(action: str) -> list[str]:
    return [m.option for m in input_members(action) if m.is_list]


# -- values ----------------------------------------------------------------------------

def read_param_file(value: str) -> str | None:
    """The text of ``file://path`` (as the AWS CLI reads it: UTF-8, ``~`` and variables
    expanded; a regular file or ``-``, at most ``inputfile.MAX_PARAM_FILE`` bytes), None when
    ``value`` names no file."""
    if not value.startswith(("file://", "fileb://")):
        return None
    from .inputfile import param_file

    text = param_file(value)
    assert isinstance(text, str)  # fileb:// is refused where text is wanted
    return text


def _blob_or_text(member_kind: str | None, value: str) -> str | bytes:
    """A scalar's value: ``fileb://`` bytes for a blob, ``file://`` text, or the text given."""
    if not value.startswith(("file://", "fileb://")):
        return value
    from .inputfile import param_file

    found = param_file(value, binary_ok=member_kind == "blob")
    return value if found is None else found


def load_json(text: str) -> Any:
    import json

    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    except ValueError as exc:
        raise ValueError(f"Invalid JSON: {exc}") from None


def _structured(text: str) -> Any:
    """A structure written as JSON (``{...}``) or shorthand."""
    from .shorthand import parse_shorthand

    if text.lstrip().startswith("{"):
        return load_json(text)
    return parse_shorthand(text)


def parse_member(member: Member, raw: Any) -> Any:
    """The API value of one option as typed (a string, a flag, or a tuple for lists)."""
    if member.kind == "boolean":
        return raw
    if member.is_list:
        values: list[Any] = list(raw)
        if len(values) == 1 and member.item_kind != "blob":
            found = read_param_file(values[0])
            values[0] = values[0] if found is None else found
            if values[0].lstrip().startswith("["):
                return coerce(member.shape, load_json(values[0]))
        if member.item_kind in _SCALARS:
            return coerce(member.shape, [_blob_or_text(member.item_kind, v) for v in values])
        return coerce(member.shape, [_structured(_text_of(v)) for v in values])
    if member.kind in ("structure", "map"):
        return coerce(member.shape, _structured(_text_of(raw)))
    return coerce(member.shape, _blob_or_text(member.kind, raw))


def _text_of(value: str) -> str:
    found = read_param_file(value)
    return value if found is None else found


def _quoted(value: str) -> str:
    from ..redact import excerpt

    return excerpt(value)


def coerce(shape_name: str, value: Any) -> Any:
    """Strings where the model wants numbers or booleans become those, a single value where
    it wants a list becomes a one-item list (the AWS CLI's ``BackCompatVisitor``); anything
    else is left for the serializer to check."""
    shape = model().shape(shape_name)
    kind = shape["type"]
    if kind == "structure" and isinstance(value, dict):
        members = shape.get("members", {})
        return {k: coerce(members[k]["shape"], v) if k in members else v
                for k, v in value.items()}
    if kind == "list":
        items = value if isinstance(value, list) else [value]
        return [coerce(shape["member"]["shape"], item) for item in items]
    if kind == "map" and isinstance(value, dict):
        return {k: coerce(shape["value"]["shape"], v) for k, v in value.items()}
    if not isinstance(value, str):
        return value
    if kind in ("integer", "long"):
        try:
            return int(value)
        except ValueError:
            raise ValueError(f"{_quoted(value)} is not an integer") from None
    if kind in ("float", "double"):
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"{_quoted(value)} is not a number") from None
    if kind == "boolean":
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValueError(f"{_quoted(value)} is not true or false")
    return value


def model_params(action: str, options: Mapping[str, Any],
                 skip: Iterable[str] = ()) -> dict[str, Any]:
    """The API parameters given by the generated options (by member name) in ``options``;
    a bad value is a usage error naming its option."""
    skipped = set(skip)
    params: dict[str, Any] = {}
    for member in input_members(action):
        raw = options.get(member.name)
        if member.name in skipped or raw is None or raw == ():
            continue
        try:
            params[member.name] = parse_member(member, raw)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint=member.option) from None
    return params


def missing_required(action: str, params: Mapping[str, Any],
                     also: Iterable[str] = ()) -> None:
    """click's "Missing option" for a required member none of the inputs gave."""
    extra = set(also)
    for member in input_members(action):
        if (member.required or member.name in extra) and member.name not in params:
            raise click.UsageError(f"Missing option '{member.option}'.")
