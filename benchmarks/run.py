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
import hashlib
import hmac
import io
import json
import multiprocessing
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
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
    COPY_PARAMS,
    EC2_WEST,
    FIXED,
    FIXED_AMZ,
    POST_BODY,
    POST_HEADERS,
    POST_URL,
    PROFILES,
    S3_HOST,
    S3_PATH,
    S3_URL,
    SECRET,
    SNAP,
    TOKEN_PROFILE,
    Profile,
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

BOTO_CREDS = botocore.credentials.Credentials(TOKEN_PROFILE.akid, SECRET, TOKEN_PROFILE.token)

Case = dict[str, Any]


# --------------------------------------------------------------------------- measurement


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def frozen_botocore_clock() -> Any:
    return mock.patch("botocore.auth.get_current_datetime", return_value=FIXED.replace(tzinfo=None))


# --------------------------------------------------------------------------- contenders


def botocore_creds(profile: Profile) -> Any:
    return botocore.credentials.Credentials(profile.akid, SECRET, profile.token)


def botocore_copy_snapshot(snapshot_id: str = SNAP, creds: Any = BOTO_CREDS) -> str:
    """What ``inject_presigned_url_ec2`` ends in: SigV4QueryAuth on an AWSRequest that holds
    the already serialized CopySnapshot parameters (moved from the body into the query)."""
    request = AWSRequest(
        method="GET", url=EC2_WEST, data={**COPY_PARAMS, "SourceSnapshotId": snapshot_id}
    )
    botocore.auth.SigV4QueryAuth(creds, "ec2", "us-west-2", expires=3600).add_auth(request)
    url: str = request.url
    return url


_KEEP_ALIVE: list[Any] = []  # the request signer holds its client weakly


def botocore_client_pieces(profile: Profile) -> tuple[Any, Any, dict[str, Any]]:
    client = botocore.session.Session().create_client(
        "ec2",
        region_name="us-east-1",
        aws_access_key_id=profile.akid,
        aws_secret_access_key=SECRET,
        aws_session_token=profile.token,
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


_BOTOCORE_NOW: list[datetime] = [FIXED.replace(tzinfo=None)]
"""The time botocore's signer reads while ``botocore_clock_at_url`` is active: the verifying
re-signer sets it to each URL's X-Amz-Date, as moto freezes botocore's clock to re-sign."""


def botocore_clock_at_url() -> Any:
    """botocore's clock (``botocore.auth.get_current_datetime``, the name
    ``frozen_botocore_clock`` patches) made to return ``_BOTOCORE_NOW[0]``: patched once
    around the case, so every call pays the same (nothing) for it."""
    return mock.patch("botocore.auth.get_current_datetime", new=lambda: _BOTOCORE_NOW[0])


def botocore_resign_verifier(lookup: Callable[[str], Any], now: datetime) -> Callable[[str], bool]:
    """Verifying a presigned URL the way moto (and LocalStack) do: take X-Amz-Date, -Expires
    and -Credential from the URL, rebuild the request without X-Amz-Signature, sign it again
    with botocore's SigV4QueryAuth at that time, compare the signatures in constant time.

    The rebuilt request holds the operation's parameters only: SigV4QueryAuth appends the
    X-Amz-* ones itself (the session token from the looked-up credentials), after any already
    in the query, so leaving them in would sign them twice."""

    def verify(url: str) -> bool:
        parts = urlsplit(url)
        kept, signed = [], []
        for piece in parts.query.split("&"):
            (signed if piece.startswith("X-Amz-") else kept).append(piece)
        auth = dict(parse_qsl("&".join(signed)))
        given = auth.get("X-Amz-Signature", "")
        akid, _, region, service, _ = auth["X-Amz-Credential"].split("/")
        creds = lookup(akid)
        signed_at = datetime.strptime(auth["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
        expires = int(auth["X-Amz-Expires"])
        if creds is None or not 0 <= (now - signed_at).total_seconds() <= expires:
            return False
        _BOTOCORE_NOW[0] = signed_at
        request = AWSRequest(
            method="GET", url=f"{parts.scheme}://{parts.netloc}{parts.path}?{'&'.join(kept)}"
        )
        botocore.auth.SigV4QueryAuth(creds, service, region, expires=expires).add_auth(request)
        resigned = request.url.rpartition("X-Amz-Signature=")[2]
        return hmac.compare_digest(resigned, given)

    return verify


def crt_provider(profile: Profile) -> Any:
    return awscrt.auth.AwsCredentialsProvider.new_static(profile.akid, SECRET, profile.token)


def crt_config(
    signature_type: Any,
    region: str,
    service: str,
    date: datetime | None,
    provider: Any,
    **extra: Any,
) -> Any:
    return awscrt.auth.AwsSigningConfig(
        algorithm=awscrt.auth.AwsSigningAlgorithm.V4,
        signature_type=signature_type,
        credentials_provider=provider,
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


# --------------------------------------------------------------------------- cases 1-4


def _named(number: str, what: str, profile: Profile) -> dict[str, str]:
    return {"name": f"{number}. {what} [{profile.label}]", "profile": profile.name}


def case_copy_snapshot(repeat: int, profile: Profile) -> Case:
    creds, boto = profile.creds, botocore_creds(profile)
    ours = ours_copy_snapshot(FIXED_AMZ, creds=creds)
    with frozen_botocore_clock():
        theirs = botocore_copy_snapshot(creds=boto)
    signer, model, request_dict = botocore_client_pieces(profile)
    with frozen_botocore_clock():
        injected = botocore_inject(signer, model, request_dict)
    assert query_of(ours) == query_of(theirs) == query_of(injected), "botocore differs"
    assert ("X-Amz-Security-Token" in query_of(ours)) == (profile.token is not None)
    contenders: dict[str, Callable[[], object]] = {
        "ours": lambda: ours_copy_snapshot(creds=creds),
        "botocore": lambda: botocore_copy_snapshot(creds=boto),
        "botocore_full": lambda: botocore_inject(signer, model, request_dict),
    }
    if AWSCRT:
        query = "&".join(f"{k}={v}" for k, v in COPY_PARAMS.items())
        headers = [("Host", "ec2.us-west-2.amazonaws.com")]
        provider = crt_provider(profile)

        def config(date: datetime | None) -> Any:
            return crt_config(
                awscrt.auth.AwsSignatureType.HTTP_REQUEST_QUERY_PARAMS,
                "us-west-2",
                "ec2",
                date,
                provider,
                expiration_in_seconds=3600,
            )

        def crt(config: Any) -> str:
            request = awscrt.http.HttpRequest("GET", f"/?{query}", awscrt.http.HttpHeaders(headers))
            return "https://ec2.us-west-2.amazonaws.com" + crt_sign(request, config).path

        assert query_of(crt(config(FIXED))) == query_of(ours), "awscrt differs"
        contenders.update(awscrt_contenders(config, crt))
    return {
        **_named("1", "presign EC2 CopySnapshot PresignedUrl", profile),
        **best_us_each(contenders, repeat),
    }


def case_header_sign(repeat: int, profile: Profile) -> Case:
    creds, boto = profile.creds, botocore_creds(profile)

    def ours(timestamp: str | None = None) -> str:
        return ours_header_sign(timestamp, creds=creds)

    def theirs() -> str:
        request = AWSRequest(
            method="POST", url=POST_URL, data=POST_BODY, headers=dict(POST_HEADERS)
        )
        botocore.auth.SigV4Auth(boto, "ec2", "us-east-1").add_auth(request)
        auth: str = request.headers["Authorization"]
        return auth.rpartition("Signature=")[2]

    with frozen_botocore_clock():
        assert ours(FIXED_AMZ) == theirs(), "botocore differs"
    contenders: dict[str, Callable[[], object]] = {"ours": ours, "botocore": theirs}
    if AWSCRT:
        headers = [("Host", "ec2.us-east-1.amazonaws.com"), *POST_HEADERS]
        provider = crt_provider(profile)

        def config(date: datetime | None) -> Any:
            return crt_config(
                awscrt.auth.AwsSignatureType.HTTP_REQUEST_HEADERS, "us-east-1", "ec2", date,
                provider,
            )

        def crt(config: Any) -> str:
            request = awscrt.http.HttpRequest(
                "POST", "/", awscrt.http.HttpHeaders(headers), io.BytesIO(POST_BODY)
            )
            auth: str = crt_sign(request, config).headers.get("Authorization")
            return auth.rpartition("Signature=")[2]

        assert crt(config(FIXED)) == ours(FIXED_AMZ), "awscrt differs"
        contenders.update(awscrt_contenders(config, crt))
    return {
        **_named("2", "header-sign EC2 Query POST (Signer.sign)", profile),
        **best_us_each(contenders, repeat),
    }


def case_s3_presign(repeat: int, profile: Profile) -> Case:
    creds, boto = profile.creds, botocore_creds(profile)

    def ours(timestamp: str | None = None) -> str:
        return ours_s3_presign(timestamp, creds=creds)

    def theirs() -> str:
        request = AWSRequest(method="GET", url=S3_URL)
        botocore.auth.S3SigV4QueryAuth(boto, "s3", "us-east-1", expires=3600).add_auth(request)
        url: str = request.url
        return url

    with frozen_botocore_clock():
        assert query_of(ours(FIXED_AMZ)) == query_of(theirs()), "botocore differs"
    contenders: dict[str, Callable[[], object]] = {"ours": ours, "botocore": theirs}
    if AWSCRT:
        headers = [("Host", S3_HOST)]
        provider = crt_provider(profile)

        def config(date: datetime | None) -> Any:
            return crt_config(
                awscrt.auth.AwsSignatureType.HTTP_REQUEST_QUERY_PARAMS,
                "us-east-1",
                "s3",
                date,
                provider,
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
    return {**_named("3", "presign S3 GET", profile), **best_us_each(contenders, repeat)}


def _mutated(url: str) -> str:
    forged = url.replace(SNAP, SNAP[:-1] + ("c" if SNAP[-1] != "c" else "d"))
    assert forged != url
    return forged


def case_verify(repeat: int, profile: Profile) -> Case:
    """Verifying case 1's URL, timed in the same rounds as presigning it (case 1's ours) and
    as botocore re-signing it (what moto does)."""
    creds, boto = profile.creds, botocore_creds(profile)
    url = ours_copy_snapshot(FIXED_AMZ, creds=creds)
    ours = ours_verify_of(url, creds)
    resign = botocore_resign_verifier(
        {profile.akid: boto}.get, FIXED.replace(tzinfo=None)
    )
    with botocore_clock_at_url():
        assert ours(), "our own URL does not verify"
        assert not ours_verify_of(_mutated(url), creds)(), "a forged URL verifies"
        assert resign(url), "botocore re-signing rejects our URL"
        assert not resign(_mutated(url)), "botocore re-signing accepts a forged URL"
        times = best_us_each(
            {
                "ours": ours,
                "presign": lambda: ours_copy_snapshot(creds=creds),
                "botocore": lambda: resign(url),
            },
            repeat,
        )
    return {
        **_named("4", "verify a presigned URL (the URL of case 1)", profile),
        "ours": times["ours"],
        "presign_same_rounds": times["presign"],
        "vs_case_1": times["ours"] / times["presign"],
        "botocore": times["botocore"],
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


CLI_VENV = ROOT / "benchmarks" / ".cli-venv"
"""A regular (non-editable) install of the working tree's wheel, as users get it (the issue
measures the CLI there); git-ignored, rebuilt whenever the wheel's contents change."""


def _sources_digest() -> str:
    """SHA-256 over what the wheel is built from (pyproject.toml, the entry module, every
    ``.py`` and ``py.typed`` of the package): equal when the wheel would be."""
    digest = hashlib.sha256()
    files = [ROOT / "pyproject.toml", ROOT / "sigv4kit_entry.py"]
    files += sorted(f for f in (ROOT / "sigv4kit").rglob("*") if f.suffix == ".py"
                    or f.name == "py.typed")
    for f in files:
        digest.update(f"{f.relative_to(ROOT)}\0".encode() + f.read_bytes() + b"\0")
    return digest.hexdigest()


def regular_install() -> Path:
    """``CLI_VENV``'s bin directory: the tree's wheel (``pip wheel``, build isolation) pip-
    installed into a fresh venv, its dependencies from the configured index; built again only
    when the sources changed."""
    stamp = CLI_VENV / ".sources-sha256"
    digest = _sources_digest()
    if stamp.exists() and stamp.read_text() == digest:
        return CLI_VENV / "bin"
    print(f"building the regular install in {CLI_VENV} ...", file=sys.stderr, flush=True)
    shutil.rmtree(CLI_VENV, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(CLI_VENV)], check=True)
    pip = [str(CLI_VENV / "bin" / "python"), "-m", "pip", "--quiet"]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([*pip, "wheel", "--no-deps", "--wheel-dir", tmp, str(ROOT)], check=True)
        wheel = next(Path(tmp).glob("sigv4kit-*.whl"))
        subprocess.run([*pip, "install", str(wheel)], check=True)
    stamp.write_text(digest)
    return CLI_VENV / "bin"


def _cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))}
    # bytecode cached (no PYTHONDONTWRITEBYTECODE), as in any installed package
    env.update(
        AWS_ACCESS_KEY_ID=TOKEN_PROFILE.akid.replace("ASIA", "AKIA"),
        AWS_SECRET_ACCESS_KEY=SECRET,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    return env


def case_cli(runs: int) -> Case:
    """The console script of a regular install against ``python -c "import click"`` and
    ``python -c pass`` from the same venv, and the AWS CLI v1's ``aws s3 presign`` (the dev
    venv's, the test extra), interleaved; median and min of ``runs``."""
    env = _cli_env()
    bin_dir = regular_install()
    commands = {
        "cli": [str(bin_dir / "sigv4kit"), *CLI_ARGS],
        "import_click": [str(bin_dir / "python"), "-c", "import click"],
        "python_pass": [str(bin_dir / "python"), "-c", "pass"],
    }
    aws = Path(sys.executable).parent / "aws"
    if aws.exists():
        commands["aws_s3_presign"] = [str(aws), "s3", "presign", "s3://bucket/key"]
    out = subprocess.run(commands["cli"], env=env, check=True, capture_output=True, text=True)
    assert out.stdout.startswith("https://ec2.us-west-2.amazonaws.com/?Action=CopySnapshot"), out
    if "aws_s3_presign" in commands:
        out = subprocess.run(commands["aws_s3_presign"], env=env, check=True,
                             capture_output=True, text=True)
        assert "X-Amz-Signature=" in out.stdout or "Signature=" in out.stdout, out
    for _ in range(2):  # compiled bytecode and the page cache warm for all
        for cmd in commands.values():
            _wall(cmd, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):  # interleaved, so machine noise hits all alike
        for name, cmd in commands.items():
            times[name].append(_wall(cmd, env) * 1e3)
    case: Case = {
        "name": "6. CLI cold start: presign copy-snapshot (regular install)",
        "command": " ".join(["sigv4kit", *CLI_ARGS]),
        "runs": runs,
    }
    for name, values in times.items():
        case[f"{name}_ms"] = statistics.median(values)
        case[f"{name}_min_ms"] = min(values)
    for stat in ("", "min_"):
        case[f"{stat}vs_import_click"] = case[f"cli_{stat}ms"] / case[f"import_click_{stat}ms"]
        case[f"{stat}vs_python_pass"] = case[f"cli_{stat}ms"] / case[f"python_pass_{stat}ms"]
        if "aws_s3_presign" in commands:
            case[f"{stat}aws_vs_ours"] = case[f"aws_s3_presign_{stat}ms"] / case[f"cli_{stat}ms"]
    return case


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
            print(
                f"| ↳ verify time / presign time (case 1, same rounds: "
                f"{c['presign_same_rounds']:.1f} µs) | {c['vs_case_1']:.2f}x | | | | |"
            )
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
            print(f"\nCLI cold start, regular install (median / min of {c['runs']}, ms):")
            for key, label in (
                ("cli", f"`{c['command']}`"),
                ("import_click", '`python -c "import click"`'),
                ("python_pass", "`python -c pass`"),
                ("aws_s3_presign", "`aws s3 presign s3://bucket/key` (AWS CLI v1)"),
            ):
                if f"{key}_ms" in c:
                    print(f"  {label}: {c[f'{key}_ms']:.1f} / {c[f'{key}_min_ms']:.1f}")
            print(
                f"  ours / import click: {c['vs_import_click']:.2f}x "
                f"(min: {c['min_vs_import_click']:.2f}x); ours / python -c pass: "
                f"{c['vs_python_pass']:.2f}x"
            )
            if "aws_vs_ours" in c:
                print(
                    f"  aws s3 presign / ours: {c['aws_vs_ours']:.1f}x "
                    f"(min: {c['min_aws_vs_ours']:.1f}x)"
                )
    if not AWSCRT:
        print("\nawscrt is not installed: its columns are skipped (pip install awscrt).")
    print_targets(cases)


def print_targets(cases: list[Case]) -> None:
    """The issue's targets (ratios of this run), one line each."""
    lines = []
    for c in cases:
        tag = f"[{c.get('profile', '')}]"
        if c["name"].startswith(("1.", "2.")) and "awscrt" in c:
            need = (8, 1.3) if c["name"].startswith("1.") else (6, 1.5)
            got = (c["botocore"] / c["ours"], c["awscrt"] / c["ours"])
            ok = got[0] >= need[0] and got[1] >= need[1]
            lines.append(
                f"{c['name'][:2]} {tag} botocore/ours {got[0]:.1f}x (>= {need[0]}), "
                f"awscrt/ours {got[1]:.2f}x (>= {need[1]}): {'met' if ok else 'MISSED'}"
            )
        if "vs_case_1" in c:
            resign = c["botocore"] / c["ours"]
            ok = c["vs_case_1"] <= 1.4 and resign >= 5
            lines.append(
                f"4. {tag} verify/presign {c['vs_case_1']:.2f}x (<= 1.4), botocore re-signing"
                f"/ours {resign:.1f}x (>= 5): {'met' if ok else 'MISSED'}"
            )
        if "cli_ms" in c:
            aws = c.get("aws_vs_ours")
            ok = c["vs_import_click"] <= 1.3 and (aws is None or aws >= 6)
            lines.append(
                f"6. CLI / import click {c['vs_import_click']:.2f}x (<= 1.3), aws s3 presign"
                f" / CLI {aws or 0:.1f}x (>= 6): {'met' if ok else 'MISSED'}"
            )
    if lines:
        print("\nTargets (issue 18):\n  " + "\n  ".join(lines))


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
    parser.add_argument(
        "--profiles",
        default=",".join(PROFILES),
        help=f"credential profiles of cases 1-4 (default: {','.join(PROFILES)})",
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
    names = [n for n in args.profiles.split(",") if n]
    unknown = [n for n in names if n not in PROFILES]
    if unknown:
        parser.error(f"--profiles: unknown {', '.join(unknown)}; one of {', '.join(PROFILES)}")
    profiles = [PROFILES[n] for n in names]
    meta["profiles"] = {p.name: p.label for p in profiles}
    cases: list[Case] = []
    per_profile = {
        1: case_copy_snapshot, 2: case_header_sign, 3: case_s3_presign, 4: case_verify
    }
    for number, case in per_profile.items():
        if number in wanted:
            cases.extend(case(repeat, profile) for profile in profiles)
    if 5 in wanted:
        cases.append(case_bulk(bulk, min(bulk, 10_000)))
    if 6 in wanted:
        cases.append(case_cli(cli_runs))
    print_table(cases, meta)
    if args.json:
        Path(args.json).write_text(json.dumps({"meta": meta, "cases": cases}, indent=2) + "\n")


if __name__ == "__main__":
    main()
