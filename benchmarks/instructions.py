"""Instructions per operation for cases 1-4 of run.py, counted by valgrind's callgrind.

    .venv/bin/python benchmarks/instructions.py                    # all eight, ~8 minutes
    .venv/bin/python benchmarks/instructions.py verify copy-notoken  # some

``copy``, ``header``, ``s3``, ``verify`` use the credentials with the ~1,000-character session
token; the same names ending in ``-notoken`` use long-term keys (inputs.PROFILES). The signing
cases read the clock; ``@text`` or ``@datetime`` after a name (``header@datetime``) signs at a
fixed time given as X-Amz-Date text or as an aware datetime instead (not in the default list).

A shared VM's clock drifts by 2x within minutes, which hides a 5 % step; an instruction count
does not move with the neighbours' load. Each operation is run N times in a fresh
interpreter under callgrind, and once with N = 0; the difference divided by N is the count
per operation, imports and set-up excluded. Counts are not times (SHA-256 runs without its
CPU extensions under valgrind, so it weighs more here), but a step that lowers them lowers
the time of the same code path. Needs valgrind (``apt-get install valgrind``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable

RUNS = 300
CASES = ("copy", "header", "s3", "verify")
OPERATIONS = (*CASES, *(f"{name}-notoken" for name in CASES))


def operation(name: str) -> Callable[[], object]:
    """The operation of run.py's case of that name and profile, on the same inputs
    (``inputs.py``)."""
    if name.startswith("adapter:"):  # adapters.py --instructions
        from adapters import operation as adapter_operation

        return adapter_operation(name.removeprefix("adapter:"))
    from inputs import PROFILES, operations

    name, _, timestamp = name.partition("@")
    case, _, profile = name.partition("-")
    return operations(PROFILES[profile or "token"], timestamp)[case]


_QUIET_ENV = {
    **os.environ,
    "PYTHONHASHSEED": "0",
    "XDG_CACHE_HOME": tempfile.mkdtemp(prefix="sigv4kit-instructions-"),
}
"""Start-up must cost the same in every child, as the count per operation is a difference of
two runs: string hashes fixed, and an empty cache folder of our own (the library never writes
it), so that no child reads what another program's CLI runs left in ``~/.cache/sigv4kit``, a
cache whose contents change as they run (a warm or partial cache moves start-up by millions)."""


def count(name: str, runs: int) -> int:
    """Instructions callgrind counts for a fresh interpreter running ``name`` ``runs`` times."""
    out = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--child",
            name,
            str(runs),
        ],
        capture_output=True,
        text=True,
        check=True,
        env=_QUIET_ENV,
    ).stderr
    found = re.search(r"Collected : (\d+)", out)
    if not found:
        raise SystemExit(f"no instruction count in callgrind's output:\n{out}")
    return int(found.group(1))


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        fn, runs = operation(sys.argv[2]), int(sys.argv[3])
        for _ in range(3 + runs):
            fn()
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    for name in sys.argv[1:] or OPERATIONS:
        base, at, timestamp = name.partition("@")
        if base not in OPERATIONS or (at and timestamp not in ("text", "datetime")):
            raise SystemExit(f"unknown operation {name!r}; one of {', '.join(OPERATIONS)}"
                             " (optionally @text or @datetime)")
        per_op = (count(name, RUNS) - count(name, 0)) / RUNS
        print(f"{name:8s} {per_op / 1000:8.1f}k instructions per operation", flush=True)


if __name__ == "__main__":
    main()
