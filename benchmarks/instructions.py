"""Instructions per operation for cases 1-4 of run.py, counted by valgrind's callgrind.

    .venv/bin/python benchmarks/instructions.py            # all four, ~4 minutes
    .venv/bin/python benchmarks/instructions.py verify     # one

A shared VM's clock drifts by 2x within minutes, which hides a 5 % step; an instruction count
does not move with the neighbours' load. Each operation is run N times in a fresh
interpreter under callgrind, and once with N = 0; the difference divided by N is the count
per operation, imports and set-up excluded. Counts are not times (SHA-256 runs without its
CPU extensions under valgrind, so it weighs more here), but a step that lowers them lowers
the time of the same code path. Needs valgrind (``apt-get install valgrind``).
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
import sys
from collections.abc import Callable

RUNS = 300
OPERATIONS = ("copy", "header", "s3", "verify")


def operation(name: str) -> Callable[[], object]:
    """The operation of run.py's case of that name, on the same inputs (botocore not loaded)."""
    from sigv4kit import S3_PRESIGN_OPTIONS, Credentials, Request, presign, sign_request
    from sigv4kit.ec2.presigned import presigned_copy_snapshot_url
    from sigv4kit.verify import verify_presigned_url

    token = "IQoJb3JpZ2luX2VjE" + base64.b64encode(
        b"".join(hashlib.sha256(bytes([i])).digest() for i in range(18))
    ).decode()
    token += base64.b64encode(hashlib.sha512(token.encode()).digest()).decode() * 2
    creds = Credentials("ASIAEXAMPLEACCESSKEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)

    def copy(timestamp: str | None = None) -> str:
        return presigned_copy_snapshot_url(
            creds,
            source_region="us-west-2",
            source_snapshot_id="snap-066877671789bd71b",
            destination_region="us-east-1",
            timestamp=timestamp,
        )

    def header() -> str:
        request = Request(
            "POST",
            "https://ec2.us-east-1.amazonaws.com/",
            [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
            b"Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-0123456789abcdef0"
            b"&InstanceId.2=i-0fedcba9876543210&Filter.1.Name=instance-state-name"
            b"&Filter.1.Value.1=running",
        )
        return sign_request(request, creds, region="us-east-1", service="ec2").signature

    def s3() -> str:
        request = Request("GET", "https://examplebucket.s3.us-east-1.amazonaws.com/photos/a.jpg")
        return presign(request, creds, region="us-east-1", service="s3", **S3_PRESIGN_OPTIONS).url

    url = copy("20261125T123456Z")

    def verify() -> bool:
        return verify_presigned_url(url, lambda _: creds, now="20261125T123456Z").valid

    assert verify()
    return {"copy": copy, "header": header, "s3": s3, "verify": verify}[name]


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
        if name not in OPERATIONS:
            raise SystemExit(f"unknown operation {name!r}; one of {', '.join(OPERATIONS)}")
        per_op = (count(name, RUNS) - count(name, 0)) / RUNS
        print(f"{name:8s} {per_op / 1000:8.1f}k instructions per operation", flush=True)


if __name__ == "__main__":
    main()
