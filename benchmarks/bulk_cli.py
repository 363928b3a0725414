"""Bulk presigning through the command line, start-up included:

    sigv4kit presign copy-snapshot --source-region us-west-2 --destination-region us-east-1 \\
        --source-snapshot-id - < ids.txt > urls.txt

``.venv/bin/python benchmarks/bulk_cli.py [--count 100000] [--runs 5]``: the console script
pinned to one core (``sched_setaffinity``), ids on stdin, URLs to a file; the wall time of
each run (interpreter start, imports, model, credentials, every URL, the last write), the
median reported as URLs per second. Before timing, the output of one run is checked: one
URL per id, in order, and a sample equal to ``presigned_copy_snapshot_url`` at the same
``--timestamp``. Target (issue 17): at least 20 000 URLs/s.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
ARGS = ["presign", "copy-snapshot", "--source-region", "us-west-2", "--destination-region",
        "us-east-1", "--source-snapshot-id", "-", "--description", "nightly copy"]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY=SECRET,
               AWS_SESSION_TOKEN="IQoJb3JpZ2luX2VjEXAMPLE" * 30, AWS_CONFIG_FILE=os.devnull,
               AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def _run(cli: list[str], ids_path: Path, out_path: Path, extra: list[str]) -> float:
    with ids_path.open("rb") as stdin, out_path.open("wb") as stdout:
        start = time.perf_counter()
        subprocess.run([*cli, *ARGS, *extra], stdin=stdin, stdout=stdout, env=_env(),
                       check=True, preexec_fn=_one_core)
        return time.perf_counter() - start


def _check(ids: list[str], out_path: Path) -> None:
    from sigv4kit import Credentials
    from sigv4kit.ec2 import presigned_copy_snapshot_url

    urls = out_path.read_text().splitlines()
    assert len(urls) == len(ids), (len(urls), len(ids))
    for snapshot_id, url in zip(ids, urls, strict=True):
        assert f"&SourceSnapshotId={snapshot_id}&" in url
    creds = Credentials("AKIDEXAMPLE", SECRET, _env()["AWS_SESSION_TOKEN"])
    for n in random.Random(1).sample(range(len(ids)), min(100, len(ids))):
        assert urls[n] == presigned_copy_snapshot_url(
            creds, source_region="us-west-2", source_snapshot_id=ids[n],
            destination_region="us-east-1", timestamp="20261125T120000Z",
            extra_params={"Description": "nightly copy"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    script = shutil.which("sigv4kit", path=str(Path(sys.executable).parent))
    cli = [script] if script else [sys.executable, "-m", "sigv4kit"]
    rng = random.Random(17)
    ids = [f"snap-{rng.getrandbits(68):017x}" for _ in range(args.count)]
    with tempfile.TemporaryDirectory() as tmp:
        ids_path, out_path = Path(tmp) / "ids.txt", Path(tmp) / "urls.txt"
        ids_path.write_text("\n".join(ids) + "\n")
        _run(cli, ids_path, out_path, ["--timestamp", "2026-11-25T12:00:00Z"])
        _check(ids, out_path)
        times = [_run(cli, ids_path, out_path, []) for _ in range(args.runs)]
    median = statistics.median(times)
    print(f"bulk CLI, {args.count} URLs on one core, start-up included: median "
          f"{median:.3f} s over {args.runs} runs (min {min(times):.3f}, max {max(times):.3f})"
          f" = {args.count / median:,.0f} URLs/s (target 20,000)")


if __name__ == "__main__":
    main()
