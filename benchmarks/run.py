"""sigv4kit beside botocore's pure-Python signers and awscrt (aws-c-auth, in C), same inputs.

    python3 tasks.py bench                  # or: .venv/bin/python benchmarks/run.py
    .venv/bin/python benchmarks/run.py --json results.json --quick

Every contender is called once on the case's inputs before it is timed, so every cache is
warm for everyone: our signing-key cache, endpoint and serializer plans, botocore's loaded
model and client, awscrt's credentials provider. The contenders of a case are then timed in
interleaved rounds (one ~0.05 s loop of each per round, ``--repeat`` rounds), so that a slow
spell of a shared machine hits them alike; µs/op is each one's best loop divided by its loop
count. Before timing, each case checks that the contenders produce the same signature for
the same fixed clock, so the comparison is between equal pieces of work.

botocore is forced onto its pure-Python signers (``BOTO_DISABLE_CRT=true``, set before it
is imported): when awscrt is installed botocore would otherwise sign through awscrt itself.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import parse_qsl, urlsplit

os.environ["BOTO_DISABLE_CRT"] = "true"

import botocore.auth
import botocore.credentials
import botocore.handlers
import botocore.session
from botocore.awsrequest import AWSRequest
from inputs import (
    AKID,
    COPY_PARAMS,
    EC2_WEST,
    FIXED,
    FIXED_AMZ,
    POST_BODY,
    POST_HEADERS,
    POST_URL,
    S3_HOST,
    S3_PATH,
    S3_URL,
    SECRET,
    SNAP,
    TOKEN,
    ours_copy_snapshot,
    ours_header_sign,
    ours_s3_presign,
    ours_verify_of,
)
from timing import best_us_each

try:
    import awscrt.auth
    import awscrt.http

    AWSCRT: str | None = awscrt.__version__
except ImportError:
    AWSCRT = None

ROOT = Path(__file__).resolve().parent.parent

BOTO_CREDS = botocore.credentials.Credentials(AKID, SECRET, TOKEN)

Case = dict[str, Any]


# --------------------------------------------------------------------------- measurement


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def frozen_botocore_clock() -> Any:
    return mock.patch("botocore.auth.get_current_datetime", return_value=FIXED.replace(tzinfo=None))


# --------------------------------------------------------------------------- contenders


def botocore_copy_snapshot(snapshot_id: str = SNAP) -> str:
    """What ``inject_presigned_url_ec2`` ends in: SigV4QueryAuth on an AWSRequest that holds
    the already serialized CopySnapshot parameters (moved from the body into the query)."""
    request = AWSRequest(
        method="GET", url=EC2_WEST, data={**COPY_PARAMS, "SourceSnapshotId": snapshot_id}
    )
    botocore.auth.SigV4QueryAuth(BOTO_CREDS, "ec2", "us-west-2", expires=3600).add_auth(request)
    url: str = request.url
    return url


_KEEP_ALIVE: list[Any] = []  # the request signer holds its client weakly


def botocore_client_pieces() -> tuple[Any, Any, dict[str, Any]]:
    client = botocore.session.Session().create_client(
        "ec2",
        region_name="us-east-1",
        aws_access_key_id=AKID,
        aws_secret_access_key=SECRET,
        aws_session_token=TOKEN,
    )
    _KEEP_ALIVE.append(client)
    model = client.meta.service_model.operation_model("CopySnapshot")
    params = {"SourceRegion": "us-west-2", "SourceSnapshotId": SNAP}
    request_dict = client._serializer.serialize_to_request(params, model)
    from botocore.awsrequest import prepare_request_dict

    prepare_request_dict(request_dict, endpoint_url="https://ec2.us-east-1.amazonaws.com")
    return client._request_signer, model, request_dict


def botocore_inject(signer: Any, model: Any, request_dict: dict[str, Any]) -> str:
    """botocore's whole PresignedUrl step, as its ec2 client runs it for CopySnapshot."""
    params = {**request_dict, "body": dict(request_dict["body"])}
    botocore.handlers.inject_presigned_url_ec2(params, signer, model)
    url: str = params["body"]["PresignedUrl"]
    return url


def crt_config(
    signature_type: Any, region: str, service: str, date: datetime | None, **extra: Any
) -> Any:
    return awscrt.auth.AwsSigningConfig(
        algorithm=awscrt.auth.AwsSigningAlgorithm.V4,
        signature_type=signature_type,
        credentials_provider=CRT_PROVIDER,
        region=region,
        service=service,
        date=date,
        **extra,
    )


def crt_sign(request: Any, config: Any) -> Any:
    return awscrt.auth.aws_sign_request(request, config).result()


def awscrt_contenders(
    config: Callable[[Any], Any], sign: Callable[[Any], str]
) -> dict[str, Callable[[], object]]:
    """awscrt twice: reusing one AwsSigningConfig (its fastest; the config then holds a fixed
    signing time) as the ratio's reference, and building one per signature, as its docs
    advise, for the record."""
    reused = config(None)
    return {
        "awscrt": lambda: sign(reused),
        "awscrt_new_config": lambda: sign(config(None)),
    }


CRT_PROVIDER = (
    awscrt.auth.AwsCredentialsProvider.new_static(AKID, SECRET, TOKEN) if AWSCRT else None
)


# --------------------------------------------------------------------------- cases 1-4


def case_copy_snapshot(repeat: int) -> Case:
    ours = ours_copy_snapshot(FIXED_AMZ)
    with frozen_botocore_clock():
        theirs = botocore_copy_snapshot()
    signer, model, request_dict = botocore_client_pieces()
    with frozen_botocore_clock():
        injected = botocore_inject(signer, model, request_dict)
    assert query_of(ours) == query_of(theirs) == query_of(injected), "botocore differs"
    contenders: dict[str, Callable[[], object]] = {
        "ours": ours_copy_snapshot,
        "botocore": botocore_copy_snapshot,
        "botocore_full": lambda: botocore_inject(signer, model, request_dict),
    }
    if AWSCRT:
        query = "&".join(f"{k}={v}" for k, v in COPY_PARAMS.items())
        headers = [("Host", "ec2.us-west-2.amazonaws.com")]

        def config(date: datetime | None) -> Any:
            return crt_config(
                awscrt.auth.AwsSignatureType.HTTP_REQUEST_QUERY_PARAMS,
                "us-west-2",
                "ec2",
                date,
                expiration_in_seconds=3600,
            )

        def crt(config: Any) -> str:
            request = awscrt.http.HttpRequest("GET", f"/?{query}", awscrt.http.HttpHeaders(headers))
            return "https://ec2.us-west-2.amazonaws.com" + crt_sign(request, config).path

        assert query_of(crt(config(FIXED))) == query_of(ours), "awscrt differs"
        contenders.update(awscrt_contenders(config, crt))
    return {
        "name": "1. presign EC2 CopySnapshot PresignedUrl",
        **best_us_each(contenders, repeat),
    }


def case_header_sign(repeat: int) -> Case:
    ours = ours_header_sign

    def theirs() -> str:
        request = AWSRequest(
            method="POST", url=POST_URL, data=POST_BODY, headers=dict(POST_HEADERS)
        )
        botocore.auth.SigV4Auth(BOTO_CREDS, "ec2", "us-east-1").add_auth(request)
        auth: str = request.headers["Authorization"]
        return auth.rpartition("Signature=")[2]

    with frozen_botocore_clock():
        assert ours(FIXED_AMZ) == theirs(), "botocore differs"
    contenders: dict[str, Callable[[], object]] = {"ours": ours, "botocore": theirs}
    if AWSCRT:
        headers = [("Host", "ec2.us-east-1.amazonaws.com"), *POST_HEADERS]

        def config(date: datetime | None) -> Any:
            return crt_config(
                awscrt.auth.AwsSignatureType.HTTP_REQUEST_HEADERS, "us-east-1", "ec2", date
            )

        def crt(config: Any) -> str:
            request = awscrt.http.HttpRequest(
                "POST", "/", awscrt.http.HttpHeaders(headers), io.BytesIO(POST_BODY)
            )
            auth: str = crt_sign(request, config).headers.get("Authorization")
            return auth.rpartition("Signature=")[2]

        assert crt(config(FIXED)) == ours(FIXED_AMZ), "awscrt differs"
        contenders.update(awscrt_contenders(config, crt))
    return {"name": "2. header-sign EC2 Query POST", **best_us_each(contenders, repeat)}


def case_s3_presign(repeat: int) -> Case:
    ours = ours_s3_presign

    def theirs() -> str:
        request = AWSRequest(method="GET", url=S3_URL)
        botocore.auth.S3SigV4QueryAuth(BOTO_CREDS, "s3", "us-east-1", expires=3600).add_auth(
            request
        )
        url: str = request.url
        return url

    with frozen_botocore_clock():
        assert query_of(ours(FIXED_AMZ)) == query_of(theirs()), "botocore differs"
    contenders: dict[str, Callable[[], object]] = {"ours": ours, "botocore": theirs}
    if AWSCRT:
        headers = [("Host", S3_HOST)]

        def config(date: datetime | None) -> Any:
            return crt_config(
                awscrt.auth.AwsSignatureType.HTTP_REQUEST_QUERY_PARAMS,
                "us-east-1",
                "s3",
                date,
                use_double_uri_encode=False,
                should_normalize_uri_path=False,
                signed_body_value=awscrt.auth.AwsSignedBodyValue.UNSIGNED_PAYLOAD,
                expiration_in_seconds=3600,
            )

        def crt(config: Any) -> str:
            request = awscrt.http.HttpRequest("GET", S3_PATH, awscrt.http.HttpHeaders(headers))
            return f"https://{S3_HOST}" + crt_sign(request, config).path

        assert query_of(crt(config(FIXED))) == query_of(ours(FIXED_AMZ)), "awscrt differs"
        contenders.update(awscrt_contenders(config, crt))
    return {"name": "3. presign S3 GET", **best_us_each(contenders, repeat)}


def case_verify(repeat: int) -> Case:
    """Verifying case 1's URL, timed in the same rounds as presigning it (case 1's ours)."""
    ours = ours_verify_of(ours_copy_snapshot(FIXED_AMZ))
    assert ours(), "our own URL does not verify"
    times = best_us_each({"ours": ours, "presign": ours_copy_snapshot}, repeat)
    return {
        "name": "4. verify a presigned URL (the URL of case 1)",
        "ours": times["ours"],
        "presign_same_rounds": times["presign"],
        "vs_case_1": times["ours"] / times["presign"],
    }


# --------------------------------------------------------------------------- case 5


def _bulk_worker(ids: list[str]) -> list[str]:
    return [ours_copy_snapshot(snapshot_id=i) for i in ids]


def _bulk_worker_count(ids: list[str]) -> int:
    return sum(len(ours_copy_snapshot(snapshot_id=i)) for i in ids)


def case_bulk(count: int, botocore_count: int) -> Case:
    ids = [f"snap-{n:017x}" for n in range(count)]
    ours_copy_snapshot(snapshot_id=ids[0])
    t0 = time.perf_counter()
    urls = [ours_copy_snapshot(snapshot_id=i) for i in ids]
    one_core = time.perf_counter() - t0
    assert len(set(urls)) == count
    del urls

    chunks = [ids[i : i + 2500] for i in range(0, count, 2500)]
    context = multiprocessing.get_context("fork")
    t0 = time.perf_counter()
    with context.Pool(2) as pool:
        urls = [u for part in pool.map(_bulk_worker, chunks) for u in part]
    two_cores = time.perf_counter() - t0
    assert len(urls) == count
    del urls
    t0 = time.perf_counter()
    with context.Pool(2) as pool:
        total = sum(pool.map(_bulk_worker_count, chunks))
    two_cores_kept = time.perf_counter() - t0
    assert total > 0

    botocore_copy_snapshot(ids[0])
    t0 = time.perf_counter()
    for i in ids[:botocore_count]:
        botocore_copy_snapshot(i)
    botocore_s = (time.perf_counter() - t0) * count / botocore_count
    return {
        "name": f"5. bulk: {count} PresignedUrls, distinct snapshot ids",
        "count": count,
        "ours_1_core_s": one_core,
        "ours_2_cores_s": two_cores,
        "ours_2_cores_kept_in_workers_s": two_cores_kept,
        "botocore_1_core_s": botocore_s,
        "botocore_extrapolated_from": botocore_count,
        "ours": one_core / count * 1e6,
        "botocore": botocore_s / count * 1e6,
    }


# --------------------------------------------------------------------------- case 6


CLI_ARGS = [
    "presign",
    "copy-snapshot",
    "--source-region",
    "us-west-2",
    "--source-snapshot-id",
    SNAP,
    "--destination-region",
    "us-east-1",
]


def _wall(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def case_cli(runs: int) -> Case:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode cached, as in any installed package
    env.update(
        AWS_ACCESS_KEY_ID=AKID,
        AWS_SECRET_ACCESS_KEY=SECRET,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    script = Path(sys.executable).parent / "sigv4kit"
    cli = [str(script), *CLI_ARGS] if script.exists() else [sys.executable, "-m", "sigv4kit"]
    if not script.exists():
        cli += CLI_ARGS
    baseline = [sys.executable, "-c", "pass"]
    out = subprocess.run(cli, env=env, check=True, capture_output=True, text=True).stdout
    assert out.startswith("https://ec2.us-west-2.amazonaws.com/?Action=CopySnapshot"), out
    for _ in range(2):  # compiled bytecode and the page cache warm for both
        _wall(cli, env)
        _wall(baseline, env)
    cli_times, base_times = [], []
    for _ in range(runs):  # interleaved, so machine noise hits both alike
        cli_times.append(_wall(cli, env))
        base_times.append(_wall(baseline, env))
    cli_ms = statistics.median(cli_times) * 1e3
    base_ms = statistics.median(base_times) * 1e3
    return {
        "name": "6. CLI cold start: presign copy-snapshot",
        "command": " ".join(["sigv4kit", *CLI_ARGS]),
        "cli_ms": cli_ms,
        "python_pass_ms": base_ms,
        "ratio": cli_ms / base_ms,
        "runs": runs,
    }


# --------------------------------------------------------------------------- report


def _ratio(case: Case, other: str) -> str:
    return f"{case[other] / case['ours']:.1f}x" if other in case else "-"


def _us(case: Case, key: str) -> str:
    return f"{case[key]:.1f}" if key in case else "-"


def print_table(cases: list[Case], meta: dict[str, Any]) -> None:
    print(
        f"\nPython {meta['python']}, botocore {meta['botocore']}, awscrt {meta['awscrt']}, "
        f"{meta['cpus']} CPU(s), {meta['machine']}"
    )
    print("µs/op, best of repeats; ratio = their µs / our µs (higher is better for us)\n")
    head = ("case", "sigv4kit", "botocore", "awscrt", "botocore/ours", "awscrt/ours")
    print(f"| {' | '.join(head)} |")
    print("|" + "|".join("---" for _ in head) + "|")
    for c in cases:
        if "cli_ms" in c:
            continue
        row = [c["name"], _us(c, "ours"), _us(c, "botocore"), _us(c, "awscrt")]
        row += [_ratio(c, "botocore"), _ratio(c, "awscrt")]
        print(f"| {' | '.join(row)} |")
        if "botocore_full" in c:
            print(
                f"| ↳ botocore's whole inject_presigned_url_ec2 step | | "
                f"{c['botocore_full']:.1f} | | {_ratio(c, 'botocore_full')} | |"
            )
        if "awscrt_new_config" in c:
            print(
                f"| ↳ awscrt with a new AwsSigningConfig per signature | | | "
                f"{c['awscrt_new_config']:.1f} | | {_ratio(c, 'awscrt_new_config')} |"
            )
        if "vs_case_1" in c:
            print(f"| ↳ verify time / presign time (case 1) | {c['vs_case_1']:.2f}x | | | | |")
    for c in cases:
        if "ours_1_core_s" in c:
            print(
                f"\nbulk, {c['count']} URLs: ours {c['ours_1_core_s']:.2f} s on 1 core, "
                f"{c['ours_2_cores_s']:.2f} s on 2 cores (URLs returned to the parent; "
                f"{c['ours_2_cores_kept_in_workers_s']:.2f} s when kept in the workers); "
                f"botocore {c['botocore_1_core_s']:.1f} s on 1 core (extrapolated from "
                f"{c['botocore_extrapolated_from']})"
            )
        if "cli_ms" in c:
            print(
                f"\nCLI cold start (median of {c['runs']}): `{c['command']}` {c['cli_ms']:.1f} ms, "
                f"`python -c pass` {c['python_pass_ms']:.1f} ms, ratio {c['ratio']:.2f}x"
            )
    if not AWSCRT:
        print("\nawscrt is not installed: its columns are skipped (pip install awscrt).")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                return f"{model} ({platform.machine()}, {platform.system()})"
    except OSError:
        pass
    return f"{platform.machine()} {platform.processor() or platform.system()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument(
        "--repeat", type=int, default=15, help="timing rounds (the best of each is kept)"
    )
    parser.add_argument("--quick", action="store_true", help="fewer repeats, 10 000-URL bulk")
    parser.add_argument("--bulk", type=int, default=100_000, help="URLs in the bulk case")
    parser.add_argument("--cli-runs", type=int, default=21, help="runs of each command")
    parser.add_argument(
        "--cases", default="1,2,3,4,5,6", help="comma-separated case numbers to run (default all)"
    )
    args = parser.parse_args()
    repeat, bulk, cli_runs = args.repeat, args.bulk, args.cli_runs
    if args.quick:
        repeat, bulk, cli_runs = 3, 10_000, 7

    meta = {
        "python": platform.python_version(),
        "botocore": botocore.__version__,
        "awscrt": AWSCRT or "not installed",
        "cpus": os.cpu_count(),
        "machine": _cpu_model(),
        "repeat": repeat,
    }
    wanted = {int(n) for n in args.cases.split(",")}
    cases: list[Case] = []
    if 1 in wanted:
        cases.append(case_copy_snapshot(repeat))
    if 2 in wanted:
        cases.append(case_header_sign(repeat))
    if 3 in wanted:
        cases.append(case_s3_presign(repeat))
    if 4 in wanted:
        cases.append(case_verify(repeat))
    if 5 in wanted:
        cases.append(case_bulk(bulk, min(bulk, 10_000)))
    if 6 in wanted:
        cases.append(case_cli(cli_runs))
    print_table(cases, meta)
    if args.json:
        Path(args.json).write_text(json.dumps({"meta": meta, "cases": cases}, indent=2) + "\n")


if __name__ == "__main__":
    main()
