"""The command line as users run it: real subprocesses (``python -m sigv4kit`` and the console
script) and click's CliRunner; ec2 commands against the local moto endpoint."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from click.testing import CliRunner

from sigv4kit import Credentials
from sigv4kit.cli import cli
from sigv4kit.ec2.presigned import presigned_copy_snapshot_url

from .servers import MotoServer

SECRET = "CANARYsecretCANARYsecretCANARYsecret0123"
TOKEN = "CANARYtokenIQoJb3JpZ2luX2VjEXAMPLEtokenCANARY/+="
SNAP = "snap-066877671789bd71b"
TS = "20261125T120000Z"
SCRIPT = shutil.which("sigv4kit", path=str(Path(sys.executable).parent))


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
        AWS_SECRET_ACCESS_KEY=SECRET,
        AWS_SESSION_TOKEN=TOKEN,
    )
    env.update(extra)
    return env


def run(*args: str, env: dict[str, str] | None = None, stdin: str = "",
        script: bool = False) -> subprocess.CompletedProcess[str]:
    cmd = [SCRIPT] if script and SCRIPT else [sys.executable, "-m", "sigv4kit"]
    return subprocess.run(
        [*cmd, *args], input=stdin, capture_output=True, text=True,
        env=env if env is not None else _env(), timeout=120,
    )


def _no_leaks(result: subprocess.CompletedProcess[str]) -> None:
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert SECRET not in output


@pytest.fixture
def local(moto_server: MotoServer) -> MotoServer:
    return moto_server


def _local_env(local: MotoServer) -> dict[str, str]:
    env = _env(AWS_ACCESS_KEY_ID=local.credentials.access_key_id,
               AWS_SECRET_ACCESS_KEY=local.credentials.secret_access_key)
    del env["AWS_SESSION_TOKEN"]
    return env


# -- presign -------------------------------------------------------------------------------

@pytest.mark.parametrize("script", [False, True], ids=["python-m", "console-script"])
def test_presign_copy_snapshot_prints_the_url_alone(script: bool) -> None:
    result = run("presign", "copy-snapshot", "--source-region", "us-west-2",
                 "--source-snapshot-id", SNAP, "--destination-region", "us-east-1",
                 "--description", "nightly copy", "--tag", "team=storage",
                 "--timestamp", TS, script=script)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    expected = presigned_copy_snapshot_url(
        Credentials("AKIDEXAMPLE", SECRET, TOKEN), source_region="us-west-2",
        source_snapshot_id=SNAP, destination_region="us-east-1", timestamp=TS,
        extra_params={"Description": "nightly copy", "TagSpecifications": [
            {"ResourceType": "snapshot", "Tags": [{"Key": "team", "Value": "storage"}]}]},
    )
    assert result.stdout == expected + "\n"
    _no_leaks(result)


def test_presign_debug_redacts_token_and_never_shows_secret() -> None:
    result = run("presign", "copy-snapshot", "--source-region", "us-west-2",
                 "--source-snapshot-id", SNAP, "--destination-region", "us-east-1", "--debug")
    assert result.returncode == 0
    assert "canonical request" in result.stderr and "string to sign" in result.stderr
    assert TOKEN not in result.stderr
    assert f"{TOKEN[:4]}…({len(TOKEN)} chars)" in result.stderr
    assert "X-Amz-Security-Token=" in result.stdout  # the URL itself is the signed artefact
    _no_leaks(result)


def test_presign_url_s3_and_json_output() -> None:
    result = run("presign", "url", "https://bucket.s3.us-east-1.amazonaws.com/a key.txt",
                 "--region", "us-east-1", "--service", "s3", "--s3", "--expires", "600",
                 "--output", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["expires"] == 600
    query = dict(parse_qsl(urlsplit(data["url"]).query))
    assert query["X-Amz-Expires"] == "600" and query["X-Amz-SignedHeaders"] == "host"


def test_presign_url_sigv4a_region_set() -> None:
    result = run("presign", "url", "https://example.amazonaws.com/", "--service", "service",
                 "--sigv4a", "--region-set", "us-east-1,us-west-2")
    assert result.returncode == 0, result.stderr
    query = dict(parse_qsl(urlsplit(result.stdout.strip()).query))
    assert query["X-Amz-Algorithm"] == "AWS4-ECDSA-P256-SHA256"
    assert query["X-Amz-Region-Set"] == "us-east-1,us-west-2"


def test_secret_from_stdin() -> None:
    env = _env()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        del env[name]
    result = run("presign", "url", "https://example.amazonaws.com/", "--region", "us-east-1",
                 "--service", "service", "--access-key-id", "AKIDSTDIN",
                 "--secret-access-key-stdin", env=env, stdin=SECRET + "\n")
    assert result.returncode == 0, result.stderr
    assert "AKIDSTDIN%2F" in result.stdout
    _no_leaks(result)


# -- sign ----------------------------------------------------------------------------------

def test_sign_prints_headers_and_curl(tmp_path: Path) -> None:
    result = run("sign", "GET", "https://example.amazonaws.com/a b?x=1", "--region",
                 "us-east-1", "--service", "service", "--header", "X-Custom:  v ")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "GET https://example.amazonaws.com/a%20b?x=1"
    assert any(line.startswith("Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
               for line in lines)
    assert "X-Custom: v" in lines
    binary = tmp_path / "body.bin"
    binary.write_bytes(b"\xff\xfe\x00binary")
    curl = run("sign", "PUT", "https://example.amazonaws.com/k", "--region", "us-east-1",
               "--service", "service", "--data", f"@{binary}", "--curl")
    assert curl.returncode == 0, curl.stderr
    assert curl.stdout.startswith("curl -sS -X PUT https://example.amazonaws.com/k")
    assert f"--data-binary @{binary}" in curl.stdout
    _no_leaks(curl)


def test_sign_send_against_local_endpoint(local: MotoServer) -> None:
    result = run("sign", "POST", local.endpoint_url + "/", "--region", "us-west-2",
                 "--service", "ec2", "--header",
                 "Content-Type: application/x-www-form-urlencoded; charset=utf-8",
                 "--data", "Action=DescribeRegions&Version=2016-11-15", "--send", "-i",
                 env=_local_env(local))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("HTTP 200")
    assert "<DescribeRegionsResponse" in result.stdout


# -- ec2 -----------------------------------------------------------------------------------

def _ec2(local: MotoServer, *args: str) -> subprocess.CompletedProcess[str]:
    return run("ec2", *args, "--endpoint-url", local.endpoint_url, env=_local_env(local))


def test_ec2_commands_end_to_end(local: MotoServer) -> None:
    volume = _ec2(local, "call", "CreateVolume", "--region", "us-west-2",
                  "--param", "AvailabilityZone=us-west-2a", "--param", "Size=1")
    assert volume.returncode == 0, volume.stderr
    volume_id = json.loads(volume.stdout)["VolumeId"]
    snap = _ec2(local, "create-snapshot", "--region", "us-west-2", "--volume-id", volume_id,
                "--description", "cli", "--tag", "k=v")
    assert snap.returncode == 0, snap.stderr
    snapshot_id = json.loads(snap.stdout)["SnapshotId"]
    copy = _ec2(local, "copy-snapshot", "--region", "us-east-1", "--source-region", "us-west-2",
                "--source-snapshot-id", snapshot_id, "--destination-region", "us-east-1",
                "--description", "copied", "--debug")
    assert copy.returncode == 0, copy.stderr
    copy_id = json.loads(copy.stdout)["SnapshotId"]
    assert "the PresignedUrl built for this call" in copy.stderr
    listed = _ec2(local, "describe-snapshots", "--region", "us-east-1", "--snapshot-ids", copy_id)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["Snapshots"][0]["Description"] == "copied"
    dry = _ec2(local, "copy-snapshot", "--region", "us-east-1", "--source-region", "us-west-2",
               "--source-snapshot-id", snapshot_id, "--no-presigned-url", "--dry-run")
    # As the AWS CLI: a permitted dry run is EC2's DryRunOperation error, exit 255.
    assert dry.returncode == 255 and dry.stdout == ""
    assert "DryRunOperation" in dry.stderr


def test_ec2_service_error_exits_255(local: MotoServer) -> None:
    missing = _ec2(local, "describe-snapshots", "--region", "us-east-1",
                   "--snapshot-ids", "snap-0123456789abcdef0")
    assert missing.returncode == 255  # aws v1's code and form; the request id under --debug
    assert "InvalidSnapshot.NotFound" in missing.stderr and "request id" not in missing.stderr
    env = _local_env(local)
    env["AWS_SECRET_ACCESS_KEY"] = SECRET
    denied = run("ec2", "describe-snapshots", "--region", "us-east-1", "--endpoint-url",
                 local.endpoint_url, "--debug", env=env)
    assert denied.returncode == 255
    assert "AuthFailure" in denied.stderr and "request id" in denied.stderr
    _no_leaks(denied)


# -- errors users make ---------------------------------------------------------------------

COPY = ["presign", "copy-snapshot", "--source-region", "us-west-2", "--source-snapshot-id",
        SNAP, "--destination-region", "us-east-1"]


def _replace(args: list[str], option: str, value: str) -> list[str]:
    out = list(args)
    out[out.index(option) + 1] = value
    return out


BAD_INPUTS = {
    "region-with-spaces": (_replace(COPY, "--source-region", "us west 2"), "--source-region"),
    "vol-snapshot-id": (_replace(COPY, "--source-snapshot-id", "vol-066877671789bd71b"),
                        "--source-snapshot-id"),
    "expires-0": ([*COPY, "--expires", "0"], "--expires"),
    "expires-604801": ([*COPY, "--expires", "604801"], "--expires"),
    "expires-text": ([*COPY, "--expires", "soon"], "--expires"),
    "missing-required": (COPY[:-2], "--destination-region"),
    "cross-partition": (_replace(COPY, "--destination-region", "cn-north-1"),
                        "--destination-region"),
    "malformed-header": (["sign", "GET", "https://e.amazonaws.com/", "--region", "us-east-1",
                          "--service", "s", "--header", "no colon"], "--header"),
    "crlf-header": (["sign", "GET", "https://e.amazonaws.com/", "--region", "us-east-1",
                     "--service", "s", "--header", "X-A: a\r\nInjected: 1"], "--header"),
    "url-without-host": (["sign", "GET", "https:///path", "--region", "us-east-1",
                          "--service", "s"], "URL"),
    "unknown-command": (["frobnicate"], "frobnicate"),
    "bad-timestamp": ([*COPY, "--timestamp", "yesterday"], "--timestamp"),
    "data-file-missing": (["sign", "PUT", "https://e.amazonaws.com/", "--region", "us-east-1",
                           "--service", "s", "--data", "@/nonexistent/file"], "--data"),
}


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_input_exits_2_with_one_message(name: str) -> None:
    args, option = BAD_INPUTS[name]
    result = run(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert option in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    assert result.stdout == ""
    _no_leaks(result)


def test_missing_credentials_exit_2() -> None:
    env = _env()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        del env[name]
    result = run(*COPY, env=env)
    assert result.returncode == 2
    assert "credentials" in result.stderr and "Traceback" not in result.stderr


def test_unreachable_endpoint_exit_255() -> None:
    result = run("ec2", "describe-snapshots", "--region", "us-east-1",
                 "--endpoint-url", "http://127.0.0.1:9")
    assert result.returncode == 255
    assert 'Could not connect to the endpoint URL: "http://127.0.0.1:9/"' in result.stderr
    _no_leaks(result)


def default_sigint() -> None:
    """In the child: SIGINT as a terminal delivers it. A test run started in the background
    (``cmd &``, nohup, some CI runners) inherits SIGINT ignored, and Python keeps an inherited
    SIG_IGN, so Ctrl-C could not be tested there."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_until_reading(pid: int, limit: float = 30.0) -> None:
    """Until the process sleeps reading a pipe (Linux's /proc wchan), however slow start-up
    is on a loaded machine; a fixed sleep would interrupt Python's own start-up instead."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            with open(f"/proc/{pid}/wchan") as fh:
                if "pipe_read" in fh.read():
                    return
        except OSError:
            break
        time.sleep(0.05)
    time.sleep(3)  # no wchan here: give start-up time instead


def test_ctrl_c_exits_130() -> None:
    env = _env()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sigv4kit", "sign", "PUT", "https://e.amazonaws.com/",
         "--region", "us-east-1", "--service", "s", "--data", "@-"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        preexec_fn=default_sigint,
    )
    _wait_until_reading(proc.pid)  # started, and blocked reading stdin: sigv4kit's own code
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert b"Traceback" not in err


# -- help ----------------------------------------------------------------------------------

COMMANDS = [["presign", "copy-snapshot"], ["presign", "url"], ["sign"], ["ec2", "copy-snapshot"],
            ["ec2", "create-snapshot"], ["ec2", "describe-snapshots"], ["ec2", "import-snapshot"],
            ["ec2", "call"], ["demo"]]


def test_every_command_listed_and_help_ends_with_example() -> None:
    runner = CliRunner()
    top = runner.invoke(cli, ["--help"])
    assert top.exit_code == 0
    for name in ("presign", "sign", "ec2", "demo"):
        assert f"  {name} " in top.output
    for command in COMMANDS:
        result = runner.invoke(cli, [*command, "--help"])
        assert result.exit_code == 0, command
        tail = result.output.strip().splitlines()
        assert any("Example" in line for line in tail[-6:]), command
        assert "sigv4kit" in tail[-1], command


def test_demo_runs_end_to_end() -> None:
    result = run("demo")
    assert result.returncode == 0, result.stderr
    assert "CopySnapshot with an explicit" in result.stdout
    assert "state=completed" in result.stdout
    _no_leaks(result)


# -- explain / verify ----------------------------------------------------------------------

def _copy_url(timestamp: str = TS) -> str:
    return presigned_copy_snapshot_url(
        Credentials("AKIDEXAMPLE", SECRET, TOKEN), source_region="us-west-2",
        source_snapshot_id=SNAP, destination_region="us-east-1", timestamp=timestamp,
    )


def test_explain_and_verify_a_presigned_url(tmp_path: Path) -> None:
    url = _copy_url()
    explained = run("explain", url, "--now", "2026-11-25T12:30:00Z", env=_env())
    assert explained.returncode == 0, explained.stdout + explained.stderr
    assert "20261125/us-west-2/ec2/aws4_request" in explained.stdout
    assert TOKEN not in explained.stdout and "30m 0s left" in explained.stdout
    valid = run("verify", url, "--now", "2026-11-25T12:30:00Z")
    assert valid.returncode == 0 and valid.stdout.startswith("valid"), valid.stderr
    expired = run("verify", url, "--now", "2026-11-25T14:00:00Z")
    assert expired.returncode == 1 and "expired" in expired.stdout
    wrong = run("verify", url, "--now", "2026-11-25T12:30:00Z",
                env=_env(AWS_SECRET_ACCESS_KEY="another-secret-0123456789abcdef"))
    assert wrong.returncode == 1 and "signature_mismatch" in wrong.stdout
    for result in (explained, valid, expired, wrong):
        _no_leaks(result)


def test_explain_warns_about_a_url_signed_for_the_wrong_region() -> None:
    from sigv4kit import Request, presign

    bad = presign(
        Request("GET", "https://ec2.us-west-2.amazonaws.com/?Action=CopySnapshot&Version="
                "2016-11-15&SourceRegion=us-west-2&SourceSnapshotId=" + SNAP),
        Credentials("AKIDEXAMPLE", SECRET), region="us-east-1", service="ec2", timestamp=TS,
    ).url
    result = run("explain", bad, "--now", "2026-11-25T12:30:00Z", "--output", "json")
    assert result.returncode == 1
    codes = {w["code"] for w in json.loads(result.stdout)["warnings"]}
    assert "region_mismatch" in codes and "copy_snapshot_missing_parameter" in codes


def test_verify_raw_request_file(tmp_path: Path) -> None:
    from sigv4kit import Request, sign_request

    signed = sign_request(
        Request("POST", "https://ec2.us-east-1.amazonaws.com/",
                [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
                b"Action=DescribeRegions&Version=2016-11-15"),
        Credentials("AKIDEXAMPLE", SECRET, TOKEN), region="us-east-1", service="ec2",
        timestamp=TS,
    ).request
    raw = "POST / HTTP/1.1\r\nHost: ec2.us-east-1.amazonaws.com\r\n" + "".join(
        f"{n}: {v}\r\n" for n, v in signed.headers
    ) + "\r\n" + signed.body.decode()
    path = tmp_path / "request.txt"
    path.write_text(raw)
    ok = run("verify", f"@{path}", "--now", "2026-11-25T12:01:00Z")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    path.write_text(raw.replace("DescribeRegions", "DescribeRegionz"))
    tampered = run("verify", f"@{path}", "--now", "2026-11-25T12:01:00Z")
    assert tampered.returncode == 1
    garbage = run("verify", "@-", stdin="\x00\x01 not http")
    assert garbage.returncode == 2 and "Traceback" not in garbage.stderr


def test_presign_warns_when_temporary_credentials_expire_first(tmp_path: Path) -> None:
    """Credentials from botocore's chain (here a credential_process profile) carry their
    expiry; a URL that outlives them is flagged on stderr, the URL still alone on stdout."""
    from datetime import UTC, datetime, timedelta

    expiry = (datetime.now(UTC) + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    process = tmp_path / "creds.py"
    process.write_text(
        "import json\nprint(json.dumps({'Version': 1, 'AccessKeyId': 'ASIATEMPORARY',"
        f" 'SecretAccessKey': {SECRET!r}, 'SessionToken': 'tok', 'Expiration': {expiry!r}}}))\n"
    )
    config = tmp_path / "config"
    config.write_text(f"[profile temp]\ncredential_process = {sys.executable} {process}\n")
    env = _env(AWS_CONFIG_FILE=str(config))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        del env[name]
    long = run(*COPY, "--profile", "temp", "--expires", "7200", env=env)
    assert long.returncode == 0, long.stderr
    assert "ASIATEMPORARY%2F" in long.stdout and long.stdout.count("\n") == 1
    assert "credentials that signed it expire at" in long.stderr
    short = run(*COPY, "--profile", "temp", "--expires", "600", env=env)
    assert short.returncode == 0 and short.stderr == ""
    _no_leaks(long)
    explained = run("explain", long.stdout.strip(), "--credentials-expire-at", expiry,
                    "--output", "json")
    assert explained.returncode == 1
    assert "outlives_credentials" in {w["code"] for w in json.loads(explained.stdout)["warnings"]}
