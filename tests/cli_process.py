"""The CLI as a real subprocess under a memory limit (``RLIMIT_AS``) and a wall-clock limit,
with its peak RSS measured (VmHWM): how the deadline and memory cases are proven."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SECRET = "CANARYsecretCANARYsecretCANARYsecret0123"
TOKEN = "CANARYtokenIQoJb3JpZ2luX2VjEXAMPLEtokenCANARY"
ROOT = Path(__file__).resolve().parent.parent
MEMORY_LIMIT_MB = 400
"""Address space a CLI process may map: ~2x what sending one needs (300 MB suffices), far
below what holding a 100 MB body (or a 200 MB gzip bomb decoded) would need on top."""


def cli_env(**extra: str | bytes) -> dict[str | bytes, str | bytes]:
    env: dict[str | bytes, str | bytes] = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "NO_COLOR"))
    }
    env.update(
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
        AWS_SECRET_ACCESS_KEY=SECRET,
        AWS_SESSION_TOKEN=TOKEN,
        AWS_REGION="us-east-1",
        AWS_MAX_ATTEMPTS="1",
        NO_PROXY="*",
    )
    env.update(extra)
    return env


@dataclass
class Result:
    code: int
    stdout: bytes
    stdout_size: int
    stderr: str
    elapsed: float
    max_rss_mb: float

    @property
    def output(self) -> str:
        return self.stdout.decode("utf-8", "replace") + self.stderr


def run_cli(
    *args: str,
    env: Mapping[str | bytes, str | bytes] | None = None,
    stdin: bytes | int | None = b"",
    memory_mb: int = MEMORY_LIMIT_MB,
    wall: float = 60.0,
    keep_stdout: int = 1 << 20,
    stdout: int | None = None,
) -> Result:
    """Run ``python -m sigv4kit *args``; stdout goes to a file (a 100 MB body must not fill
    the test's memory), of which the first ``keep_stdout`` bytes are returned."""

    def limit() -> None:
        size = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "sigv4kit", *args],
            stdin=subprocess.PIPE if isinstance(stdin, bytes) else stdin,
            stdout=out if stdout is None else stdout, stderr=err,
            env=dict(env if env is not None else cli_env()), cwd=ROOT, preexec_fn=limit,
        )
        if isinstance(stdin, bytes):
            def feed() -> None:
                assert proc.stdin is not None
                try:
                    proc.stdin.write(stdin)
                    proc.stdin.close()
                except OSError:
                    pass
            threading.Thread(target=feed, daemon=True).start()
        killer = threading.Timer(wall, proc.kill)
        killer.start()
        peak = _Peak(proc.pid)
        try:
            _, status, _usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
            peak.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.monotonic() - start
        assert elapsed < wall, f"{args}: still running after the wall-clock limit of {wall} s"
        out.seek(0, os.SEEK_END)
        size = out.tell()
        out.seek(0)
        err.seek(0)
        return Result(proc.returncode, out.read(keep_stdout), size,
                      err.read().decode("utf-8", "replace"), elapsed, peak.rss_mb)


class _Peak:
    """The child's peak RSS (VmHWM), sampled from /proc every 5 ms until it exits. Not
    ``ru_maxrss``: that counts the forking parent's pages too (a 150 MB pytest process)."""

    def __init__(self, pid: int) -> None:
        self.rss_mb = 0.0
        self._path = f"/proc/{pid}/status"
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.wait(0.005):
            try:
                with open(self._path) as fh:
                    for line in fh:
                        if line.startswith("VmHWM:"):
                            self.rss_mb = max(self.rss_mb, int(line.split()[1]) / 1024)
            except (OSError, ValueError, IndexError):
                pass

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def assert_clean(result: Result, *, codes: tuple[int, ...] = (0, 1, 2, 130, 255)) -> None:
    """No traceback, a documented exit code, the secret nowhere, the token not on stderr."""
    assert result.code in codes, (result.code, result.stderr)
    assert "Traceback" not in result.output and "Exception ignored" not in result.stderr
    assert "internal error" not in result.stderr, result.stderr
    assert SECRET not in result.output
    assert TOKEN not in result.stderr, result.stderr
