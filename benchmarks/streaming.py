"""aws-chunked throughput: signing and verifying a 64 MiB upload in 64 KiB chunks.

    .venv/bin/python benchmarks/streaming.py [--size-mib 64] [--repeat 3]

Contenders, on the same bytes: hashlib SHA-256 over the payload in 64 KiB pieces (the floor:
signed chunks must hash every byte once), then sigv4kit signing (iterating
``sign_chunked(...).body``) and verifying (``ChunkedVerifier.feed`` with the framed body in
64 KiB reads, as a server gets it), for signed chunks (``STREAMING-AWS4-HMAC-SHA256-PAYLOAD``)
and for unsigned chunks with a CRC32 trailer (``STREAMING-UNSIGNED-PAYLOAD-TRAILER``, what boto3
sends). Each is timed in interleaved rounds, best round kept. Memory: tracemalloc's peak of
Python allocations during one pass, beyond the input (flat: about one chunk).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sigv4kit import Credentials, Request
from sigv4kit.streaming import ChunkedVerifier, sign_chunked
from sigv4kit.verify import verify_request

CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
LOOKUP = {CREDS.access_key_id: CREDS}.get
URL = "https://bucket.s3.us-east-1.amazonaws.com/object.bin"
TIME = "20250101T000000Z"
CHUNK = 64 * 1024
VARIANTS = {"signed chunks": {"signed": True}, "unsigned + CRC32": {"signed": False,
                                                                    "trailer": "crc32"}}


def _upload(data: bytes, variant: dict[str, object]):  # type: ignore[no-untyped-def]
    return sign_chunked(Request("PUT", URL), CREDS, region="us-east-1", service="s3",
                        payload=data, chunk_size=CHUNK, timestamp=TIME, **variant)  # type: ignore[arg-type]


def sha256_pass(data: bytes) -> None:
    view = memoryview(data)
    h = hashlib.sha256()
    for start in range(0, len(view), CHUNK):
        h.update(view[start : start + CHUNK])
    h.hexdigest()


def sign_pass(data: bytes, variant: dict[str, object]) -> int:
    return sum(len(piece) for piece in _upload(data, variant).body)


def verify_pass(head: Request, pieces: list[bytes]) -> int:
    verdict = verify_request(head, LOOKUP, now=TIME, defer_body=True)
    verifier = ChunkedVerifier(verdict, head, LOOKUP)
    total = 0
    for piece in pieces:
        for chunk in verifier.feed(piece):
            total += len(chunk)
    final = verifier.finish()
    assert final.valid, final.message
    return total


def _reads(framed_pieces: list[bytes]) -> list[bytes]:
    """The framed body as 64 KiB socket reads (not aligned to chunks)."""
    framed = b"".join(framed_pieces)
    return [framed[i : i + CHUNK] for i in range(0, len(framed), CHUNK)]


def _peak(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = os.urandom(args.size_mib * 1024 * 1024)
    mib = len(data) / (1024 * 1024)

    contenders: dict[str, Callable[[], object]] = {"hashlib sha256": lambda: sha256_pass(data)}
    for name, variant in VARIANTS.items():
        upload = _upload(data, variant)
        head = Request("PUT", URL, upload.request.headers)
        reads = _reads(list(upload.body))
        contenders[f"sign, {name}"] = lambda v=variant: sign_pass(data, v)
        contenders[f"verify, {name}"] = lambda h=head, r=reads: verify_pass(h, r)

    best = dict.fromkeys(contenders, float("inf"))
    for _ in range(args.repeat):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)

    floor = mib / best["hashlib sha256"]
    print(f"{mib:.0f} MiB in {CHUNK // 1024} KiB chunks, best of {args.repeat} rounds "
          f"(Python {sys.version.split()[0]})")
    print(f"{'contender':<28} {'MiB/s':>8} {'vs sha256':>10} {'peak memory':>12}")
    for name, fn in contenders.items():
        rate = mib / best[name]
        peak = _peak(fn)
        print(f"{name:<28} {rate:8.0f} {rate / floor:9.0%} {peak / 1024:9.0f} KiB")


if __name__ == "__main__":
    main()
