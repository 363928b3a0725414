"""The layers (docs/development.md, Layout) enforced: who may import whom, what the pure parts
load, and the one fast constructor of result values used with exactly the dataclass's fields."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import sigv4kit
from sigv4kit.diagnose import explain

PACKAGE = Path(sigv4kit.__file__).parent

ALLOWED_LAYERS: dict[str, frozenset[str]] = {
    "core": frozenset({"core"}),
    "aws": frozenset({"core", "aws"}),
    "diagnose": frozenset({"core", "diagnose"}),
    "ec2": frozenset({"core", "aws", "ec2", "transport"}),
    "transport": frozenset({"core", "transport"}),
    "integrations": frozenset({"core", "aws", "integrations"}),
    "server": frozenset({"core", "aws", "transport", "server"}),
    "testing": frozenset(
        {"core", "aws", "diagnose", "ec2", "integrations", "testing", "transport"}
    ),
    "cli": frozenset(
        {"core", "aws", "diagnose", "ec2", "integrations", "testing", "transport", "cli",
         "server"}
    ),
}
"""The import rules (docs/development.md, Layout): a layer imports the layers listed for it and
nothing else of the
package (cli imports anything)."""

THIRD_PARTY_IN_CORE = {
    "sigv4a": {"cryptography"},
    "xmldoc": {"defusedxml"},
    "checksums": {"awscrt", "xxhash"},  # lazily: awscrt (CRCs, xxHash) or xxhash; see module
}
"""The core imports only the standard library, but for these (module -> top-level packages)."""


def _layer(module: str) -> str:
    if module == "sigv4kit.__main__":  # ``python -m sigv4kit``: the CLI's entry point
        return "cli"
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED_LAYERS else "core"


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(relative.parts)
        found.append((name.removesuffix(".__init__"), path))
    return found


def _imports(module: str, path: Path) -> list[str]:
    """Absolute names of every module ``module`` imports, at any depth in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                if not is_package:
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base)
                target = f"{prefix}.{node.module}" if node.module else prefix
                if node.module is None:
                    names += [f"{target}.{alias.name}" for alias in node.names]
                else:
                    names.append(target)
            else:
                names.append(node.module or "")
    return names


def _stdlib(name: str) -> bool:
    return name.split(".")[0] in sys.stdlib_module_names or name == "__future__"


@pytest.mark.parametrize(("module", "path"), _modules(), ids=lambda v: str(v))
def test_imports_follow_the_layers(module: str, path: Path) -> None:
    layer = _layer(module)
    allowed = ALLOWED_LAYERS[layer]
    for name in _imports(module, path):
        if name.startswith("sigv4kit"):
            target = _layer(name)
            assert target in allowed, f"{module} ({layer}) imports {name} ({target})"
        elif layer == "core" and not _stdlib(name):
            extra = THIRD_PARTY_IN_CORE.get(module.split(".")[1], set())
            assert name.split(".")[0] in extra, f"core module {module} imports {name}"


def test_the_layer_rule_can_fail(tmp_path: Path) -> None:
    """The checker sees a core module importing a layer above it (so the test above can fail)."""
    probe = tmp_path / "probe.py"
    probe.write_text("from .ec2 import client\nfrom . import cli\nimport requests\n")
    names = _imports("sigv4kit.probe", probe)
    assert names == ["sigv4kit.ec2", "sigv4kit.cli", "requests"]
    assert [_layer(n) for n in names[:2]] == ["ec2", "cli"]
    assert not {"ec2", "cli"} & ALLOWED_LAYERS["core"]


def test_core_and_diagnose_load_no_io_library() -> None:
    """A fresh interpreter importing every core and diagnose module loads none of requests,
    click, botocore, urllib3, httpx, aiohttp (cryptography only with sigv4a, not asked here)."""
    pure = [
        name
        for name, _ in _modules()
        if _layer(name) in {"core", "diagnose"} and name != "sigv4kit.sigv4a"
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {pure!r}: importlib.import_module(name)\n"
        "bad = {'requests', 'click', 'botocore', 'urllib3', 'httpx', 'aiohttp', 'cryptography'}\n"
        "print(sorted(bad & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert len(pure) > 20


def _trusted_calls() -> list[tuple[str, int, str, frozenset[str]]]:
    calls = []
    for module, path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "trusted"
                and node.args
                and isinstance(node.args[0], ast.Name)
            ):
                keywords = frozenset(k.arg for k in node.keywords if k.arg is not None)
                if len(node.args) > 1:  # the fields as one dict literal of constant keys
                    given = node.args[1]
                    assert isinstance(given, ast.Dict), f"{module}:{node.lineno}: not a literal"
                    keywords |= {k.value for k in given.keys if isinstance(k, ast.Constant)}
                calls.append((module, node.lineno, node.args[0].id, keywords))
    return calls


def test_every_trusted_call_sets_exactly_the_fields() -> None:
    calls = _trusted_calls()
    assert {cls for _, _, cls, _ in calls} >= {"SignedRequest", "PresignedRequest", "VerifyResult"}
    for module, line, cls, keywords in calls:
        value = getattr(importlib.import_module(module), cls)
        fields = frozenset(f.name for f in dataclasses.fields(value))
        wrong = sorted(keywords ^ fields)
        assert keywords == fields, f"{module}:{line}: trusted({cls}, …) gets {wrong} wrong"


def test_no_module_grows_past_the_anchor_size() -> None:
    """One concept per module: smithy-rs's and h11's modules stay under ~700 lines; so do ours."""
    long = {name: n for name, path in _modules() if (n := len(path.read_text().splitlines())) > 720}
    assert not long, long


def test_explain_uses_the_shared_rules_not_verify_internals() -> None:
    names = _imports("sigv4kit.diagnose.explain", Path(explain.__file__))
    assert "sigv4kit.rules" in names
    source = Path(explain.__file__).read_text()
    assert "verify import _" not in source and "._" not in "".join(
        n for n in names if n.startswith("sigv4kit.verify")
    )


def test_every_exception_class_the_package_defines_subclasses_sigv4kit_error() -> None:
    """Every exception raised on purpose shares one base (issue 25 item 3), as httpcore's
    ``_exceptions.py`` does: walk every module's classes and check each Exception subclass."""
    import importlib
    import inspect
    import pkgutil

    import sigv4kit
    from sigv4kit.errors import Error

    strays, walked = [], set()
    for info in pkgutil.walk_packages(sigv4kit.__path__, "sigv4kit."):
        if info.name.endswith("__main__"):
            continue
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # an optional extra that is not installed
            continue
        walked.add(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != info.name or not issubclass(cls, BaseException):
                continue
            if issubclass(cls, Error) or name.startswith("_"):  # private: caught inside
                continue
            if info.name.startswith("sigv4kit.cli"):  # click's own exception tree, at the edge
                continue
            strays.append(f"{info.name}.{name}")
    assert strays == [], strays
    # the families and layers added after the layout step are walked too (CI installs the extras)
    expected = {name for name, _ in _modules()} - {"sigv4kit", "sigv4kit.__main__"}
    assert expected - walked == set()
    assert {"sigv4kit.server.proxy", "sigv4kit.tokens", "sigv4kit.post_policy",
            "sigv4kit._post_document", "sigv4kit.post_stream",
            "sigv4kit.testing.post_server"} <= walked


def _declared_all(path: Path) -> list[str] | None:
    """The module's ``__all__`` as written at its top level (None when it has none)."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) and node.value is not None else []
        )
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            value = ast.literal_eval(node.value)  # type: ignore[union-attr, arg-type]
            assert isinstance(value, list | tuple), f"{path}: __all__ is not a literal list"
            return list(value)
    return None


def test_every_module_is_public_with_all_or_private_by_name() -> None:
    """A module is public (it has ``__all__``) or private by name (``_name.py``, as
    h11's ``_readers.py``); every name a public module lists exists there, and the top-level
    package exports the verifier's result and its reasons."""
    unmarked, missing = [], []
    for module, path in _modules():
        private = any(part.startswith("_") and part not in {"__init__", "__main__"}
                      for part in module.split("."))
        names = _declared_all(path)
        if names is None:
            if not private:
                unmarked.append(module)
            continue
        if module == "sigv4kit.__main__":  # importing it runs the CLI
            assert names == [], names
            continue
        loaded = importlib.import_module(module)
        missing += [f"{module}.{name}" for name in names if not hasattr(loaded, name)]
    assert unmarked == [], f"modules with neither __all__ nor a private name: {unmarked}"
    assert missing == [], f"names listed in __all__ that the module lacks: {missing}"
    assert {"VerifyResult", "Reason"} <= set(sigv4kit.__all__)
    assert len(_modules()) > 80


def test_the_public_surface_check_can_fail(tmp_path: Path) -> None:
    """The reader above sees a missing ``__all__``, an annotated empty one and a listed name."""
    bare = tmp_path / "bare.py"
    bare.write_text('"""doc"""\nimport os\n\nX = 1\n')
    empty = tmp_path / "empty.py"
    empty.write_text("__all__: list[str] = []\n")
    listed = tmp_path / "listed.py"
    listed.write_text('__all__ = ["gone", "X"]\nX = 1\n')
    assert _declared_all(bare) is None
    assert _declared_all(empty) == []
    assert _declared_all(listed) == ["gone", "X"]


def test_one_renderer_for_the_debugger() -> None:
    """``render_text`` and ``to_dict`` exist once (``diagnose/render.py``), for a diagnosis and
    an explanation alike; ``explain``'s names of them delegate there."""
    import inspect

    from sigv4kit import Credentials, Request, presign
    from sigv4kit.diagnose import render

    url = presign(Request("GET", "https://ec2.us-west-2.amazonaws.com/?Action=DescribeRegions"),
                  Credentials("AKIDEXAMPLE", "secret"), region="us-east-1", service="ec2",
                  timestamp="20150830T123600Z").url
    e = explain.explain_request(Request("GET", url), now="20150830T123700Z")
    assert explain.render_text(e) == render.render_text(e)
    assert "[region_mismatch]" in render.render_text(e)
    assert explain.to_dict(e) == render.to_dict(e)
    for name in ("render_text", "to_dict"):
        source = inspect.getsource(getattr(explain, name))
        assert "from .render import" in source and len(source.splitlines()) < 8, source
    defined = [
        module for module, path in _modules() if module.startswith("sigv4kit.diagnose")
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.FunctionDef) and node.name.startswith(("render", "_render"))
    ]
    assert set(defined) <= {"sigv4kit.diagnose.render", "sigv4kit.diagnose.explain",
                            "sigv4kit.diagnose.policy"}, defined


def test_documents_the_code_names_exist() -> None:
    """Every ``*.md`` file a module's text names (a docstring's "see docs/…") is in the project:
    the repository root or ``docs/``. DESIGN.md is not the project's (issue 25)."""
    root = PACKAGE.parent
    named = re.compile(r"[\w./-]*[\w-]\.md\b")
    missing = []
    for _, path in _modules():
        for name in set(named.findall(path.read_text(encoding="utf-8"))):
            where = str(path.relative_to(root))
            if not any((base / name).is_file() for base in (root, root / "docs")):
                missing.append(f"{where}: {name}")
    assert missing == [], missing
    assert named.findall("see docs/development.md and DESIGN.md.") == [
        "docs/development.md", "DESIGN.md"]
