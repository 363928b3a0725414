"""Every code block of the README and of ``docs/`` runs as written.

``python`` blocks run with the interpreter, ``sh`` blocks with bash (``set -euo pipefail``),
each in a fresh process and folder, against a loopback stand-in for AWS (``docs_world``) that
checks every signature. ``text`` blocks show output or a tree and are not run; nor are the
set-up commands (``python3 tasks.py …``, ``pip install …``), which would install or recurse:
the README's first block is what CI itself runs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .docs_world import World, world_running

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
_FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
_RUN = {"python", "sh"}
_SHOWN = {"text"}
_SETUP = re.compile(r"(python3 tasks\.py|pip install) ")
TIMEOUT = 90

# Files the blocks read, as a user would have them beside their shell.
FIXTURES = {
    "backup.tar": b"backup " * 1000,
    "report.csv": b"day,total\n1,2\n",
    "snapshot-ids.txt": b"snap-066877671789bd71b\nsnap-0123456789abcdef0\n",
    "dump.sql": b"-- dump\n" * 500,
}


def _blocks() -> Iterator[tuple[str, str, str]]:
    for page in PAGES:
        text = page.read_text()
        for match in _FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            yield f"{page.relative_to(ROOT)}:{line}", match.group(1), match.group(2)


BLOCKS = list(_blocks())


def test_every_block_has_a_known_language() -> None:
    unknown = [(where, lang) for where, lang, _ in BLOCKS if lang not in _RUN | _SHOWN]
    assert unknown == [], "code blocks must be python, sh (both run) or text (output)"


def test_the_pages_have_blocks_to_run() -> None:
    assert sum(lang in _RUN for _, lang, _ in BLOCKS) >= 10


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with world_running() as running:
        yield running


def _environment(world: World, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "PYTHON", "SIGV4KIT_"))}
    env.update(world.env())
    env["HOME"] = str(home)
    env["XDG_CACHE_HOME"] = str(home / ".cache")
    env["PYTHONPATH"] = os.pathsep.join([str(world.site_dir), str(ROOT)])
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


@pytest.mark.slow
@pytest.mark.parametrize(("where", "lang", "code"),
                         [b for b in BLOCKS if b[1] in _RUN], ids=[b[0] for b in BLOCKS
                                                                   if b[1] in _RUN])
def test_block_runs(where: str, lang: str, code: str, world: World, tmp_path: Path) -> None:
    if lang == "sh" and all(_SETUP.match(line) or not line.strip() or line.startswith("#")
                            for line in code.splitlines()):
        assert "tasks.py" in code or "pip install" in code
        return
    for name, content in FIXTURES.items():
        (tmp_path / name).write_bytes(content)
    command = ([sys.executable, "-c", code] if lang == "python"
               else ["bash", "-euo", "pipefail", "-c", code])
    refused_before = len(world.refused)
    done = subprocess.run(command, cwd=tmp_path, env=_environment(world, tmp_path),
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, f"{where} failed:\n{done.stderr[-3000:]}"
    assert world.refused[refused_before:] == [], f"{where}: the world refused a signature"
