#!/usr/bin/env python3
"""Project tasks that need nothing but Python 3.11 and pip.

    python3 tasks.py demo      # main job: CopySnapshot demo on a local EC2-compatible endpoint
    python3 tasks.py test      # ruff, mypy --strict, pytest
    python3 tasks.py fuzz      # long fuzz run of every parser of untrusted input
    python3 tasks.py bench     # benchmarks against botocore (and awscrt when installed)
    python3 tasks.py docs      # the documentation site, strict, into site/
    python3 tasks.py vectors   # regenerate vectors/ from botocore, and the captures of
                               # boto3, the AWS CLI and awscrt (vectors/captures)

Each task creates ``.venv`` and installs the project into it first (again only when
pyproject.toml changed), so a fresh clone needs no other set-up step.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def _run(*cmd: str | Path) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    rc = subprocess.call([str(c) for c in cmd], cwd=ROOT)
    if rc:
        sys.exit(rc)


def ensure_venv(extras: str = "test") -> Path:
    python = BIN / "python"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / ".installed"
    if not python.exists():
        print(f"creating {VENV}", flush=True)
        venv.create(VENV, with_pip=True)
    if not stamp.exists() or stamp.read_text() != wanted:
        _run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "-e", f".[{extras}]")
        stamp.write_text(wanted)
    return python


def demo(args: list[str]) -> None:
    python = ensure_venv()
    _run(python, "-m", "sigv4kit", "demo", *args)


def test(args: list[str]) -> None:
    python = ensure_venv()
    paths = ("sigv4kit", "sigv4kit_entry.py", "tests", "vectors", "benchmarks", "tasks.py")
    lint = [p for p in paths if (ROOT / p).exists()]
    _run(BIN / "ruff", "check", *lint)
    _run(BIN / "mypy", "--strict", "sigv4kit", "sigv4kit_entry.py")
    _run(python, "-m", "pytest", *args)


def fuzz(args: list[str]) -> None:
    """The long fuzz run: every hypothesis test of untrusted-input parsers, 20 000 examples,
    and the CLI through real subprocesses (SIGV4KIT_FUZZ_PROCESSES, default 1500, ~15 min)."""
    python = ensure_venv()
    os.environ["HYPOTHESIS_PROFILE"] = "fuzz"
    _run(python, "-m", "pytest", "-q", "tests/test_fuzz_cli.py", "tests/test_verify.py",
         "tests/test_ec2_parser.py", "tests/test_diagnose.py", "tests/test_fuzz_cli_process.py",
         *args)


def bench(args: list[str]) -> None:
    python = ensure_venv("test,bench")
    _run(python, "benchmarks/run.py", *args)
    _run(python, "benchmarks/adapters.py")  # target 5b: each HTTP adapter over the core
    _run(python, "benchmarks/sigv4a.py")


def vectors(args: list[str]) -> None:
    python = ensure_venv("test,vectors")  # the AWS CLI (awscli) is needed here only
    # botocore's pure-Python signers, even where awscrt is installed: same files everywhere.
    # (capture.py sets this for its own process and lets the AWS CLI run as users have it.)
    os.environ["BOTO_DISABLE_CRT"] = "true"
    _run(python, "vectors/generate.py", *args)
    _run(python, "vectors/capture.py")


def docs(args: list[str]) -> None:
    """The documentation site (mkdocs-material, mkdocstrings) into ``site/``, strict: a
    broken link or a reference that does not resolve fails the build. Its code blocks run
    in ``tests/test_docs.py``."""
    python = ensure_venv()
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    _run(python, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", "site", *args)


TASKS = {"demo": demo, "test": test, "fuzz": fuzz, "bench": bench, "vectors": vectors,
         "docs": docs}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        print(__doc__)
        sys.exit(2)
    TASKS[sys.argv[1]](sys.argv[2:])
