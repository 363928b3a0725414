"""The CLI at the network edge and on hostile input, as a real subprocess under a memory limit
and a wall-clock limit (``tests/cli_process.py``), against hostile loopback servers: each of
the failures of issue 15 that lives in sign, explain, verify, diff, demo and the entry point."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sigv4kit import Credentials, Request, presign
from sigv4kit.testing.faulty_server import Error, FaultyServer, Ok
from sigv4kit.testing.hostile import (
    GzipBomb,
    Huge,
    Redirect,
    Silent,
    Trickle,
    Truncated,
    gzip_bomb,
)
from sigv4kit.verify import verify_request

from .cli_process import ROOT, SECRET, TOKEN, assert_clean, cli_env, run_cli
from .test_cli import default_sigint

Factory = Callable[..., FaultyServer]
CREDS = Credentials("AKIDEXAMPLE", SECRET, TOKEN)


def _send(url: str, *extra: str) -> list[str]:
    return ["sign", "GET", url, "--service", "s3", "--send", *extra]


# -- 1. redirects ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [302, 307])
def test_sign_send_refuses_a_redirect_to_another_host(faulty_server: Factory,
                                                      status: int) -> None:
    elsewhere = faulty_server([Ok(b"answer from elsewhere")], host="127.0.0.2")
    server = faulty_server([Redirect(f"{elsewhere.url}/stolen", status)])
    result = run_cli("sign", "PUT", server.url + "/k", "--service", "s3", "--data", "body",
                     "--send")
    assert_clean(result, codes=(1,))
    assert f"{elsewhere.url}/stolen" in result.stderr and "not followed" in result.stderr
    assert elsewhere.requests == [] and result.stdout == b""
    assert server.requests[0].header("X-Amz-Security-Token") == TOKEN  # the artefact, sent


# -- 2. deadlines ---------------------------------------------------------------------------


def test_sign_send_timeout_is_a_total_deadline(faulty_server: Factory) -> None:
    server = faulty_server([Trickle(interval=0.5, limit=60)])
    result = run_cli(*_send(server.url + "/", "--timeout", "2"), wall=15)
    assert_clean(result, codes=(1,))
    assert "within 2 s" in result.stderr and result.elapsed < 6


def test_sign_send_cli_read_and_connect_timeouts(faulty_server: Factory) -> None:
    server = faulty_server([Silent(30)])
    result = run_cli(*_send(server.url + "/", "--cli-read-timeout", "1", "--timeout", "20"),
                     wall=15)
    assert_clean(result, codes=(1,))
    assert "sent nothing for 1 s" in result.stderr and result.elapsed < 6


@pytest.mark.parametrize("option", ["--timeout", "--cli-read-timeout", "--cli-connect-timeout"])
@pytest.mark.parametrize("value", ["0", "-5", "nan", "inf", "1e9", "x"])
def test_timeout_values_are_checked(option: str, value: str) -> None:
    result = run_cli(*_send("http://127.0.0.1:9/", option, value), wall=30)
    if value == "0" and option != "--timeout":
        assert_clean(result, codes=(1,))  # 0 = no limit: it tries, and cannot connect
        return
    assert_clean(result, codes=(2,))
    assert f"Invalid value for '{option}'" in result.stderr


# -- 3. memory ------------------------------------------------------------------------------


def test_sign_send_streams_a_huge_body(faulty_server: Factory) -> None:
    server = faulty_server([Huge(100 * 1024 * 1024)])
    result = run_cli(*_send(server.url + "/"), wall=60, keep_stdout=16, memory_mb=300)
    assert_clean(result, codes=(0,))
    assert result.stdout_size == 100 * 1024 * 1024
    assert result.max_rss_mb < 80, result.max_rss_mb  # held whole it was 236 MB


def test_sign_send_caps_a_gzip_bomb(faulty_server: Factory) -> None:
    gzip_bomb(GzipBomb().decoded_size)
    server = faulty_server([GzipBomb()])
    result = run_cli(*_send(server.url + "/"), wall=60, keep_stdout=16, memory_mb=300)
    assert_clean(result, codes=(1,))
    assert "decompresses to more than" in result.stderr
    assert result.stdout_size <= 64 * 1024 * 1024 and result.max_rss_mb < 80


@pytest.mark.parametrize("command", ["explain", "verify"])
def test_explain_and_verify_read_a_huge_file_and_endless_stdin_with_a_limit(
        command: str, tmp_path: Path) -> None:
    zeros = tmp_path / "zeros"
    with zeros.open("wb") as fh:
        fh.truncate(300 * 1024 * 1024)  # /dev/zero itself is refused: not a regular file
    result = run_cli(command, f"@{zeros}", memory_mb=300, wall=20)
    assert_clean(result, codes=(2,))
    assert "the head does not end within the first 1048576 bytes" in result.stderr
    yes = subprocess.Popen(["yes"], stdout=subprocess.PIPE)
    try:
        piped = run_cli(command, "@-", stdin=yes.stdout.fileno() if yes.stdout else None,
                        memory_mb=300, wall=20)
    finally:
        yes.kill()
        yes.wait()
    assert_clean(piped, codes=(2,))
    assert "the head does not end within the first 1048576 bytes" in piped.stderr


def test_diff_server_error_from_dev_zero() -> None:
    result = run_cli("diff", "GET", "https://e.amazonaws.com/", "--service", "s",
                     "--server-error", "/dev/zero", memory_mb=300, wall=20)
    assert_clean(result, codes=(2,))
    assert "--server-error" in result.stderr


# -- 4. tracebacks --------------------------------------------------------------------------


def test_header_or_token_outside_latin1_at_send_time(faulty_server: Factory) -> None:
    server = faulty_server([Ok(), Ok()])
    result = run_cli(*_send(server.url + "/", "--header", "X-A: €"))
    assert_clean(result, codes=(2,))
    assert "'X-A'" in result.stderr and "Latin-1" in result.stderr
    token = "tökenCANARYtökenCANARYtöken€"
    odd = run_cli(*_send(server.url + "/"), env=cli_env(AWS_SESSION_TOKEN=token))
    assert_clean(odd, codes=(2,))
    assert token not in odd.output and "X-Amz-Security-Token" in odd.stderr
    assert server.requests == []


def test_non_utf8_secret_from_environment_or_stdin() -> None:
    env = cli_env(AWS_SECRET_ACCESS_KEY=b"abc\xffdefghijklmnop")
    result = run_cli("sign", "GET", "https://e.amazonaws.com/", "--service", "s", env=env)
    assert_clean(result, codes=(2,))
    assert "secret_access_key: is not valid Unicode" in result.stderr
    stdin = run_cli("verify", "https://e.amazonaws.com/?X-Amz-Signature=x", "--access-key-id",
                    "AKIDEXAMPLE", "--secret-access-key-stdin", stdin=b"\xff\xfe secret\n")
    assert_clean(stdin, codes=(2,))
    assert "not valid UTF-8" in stdin.stderr


def test_non_utf8_token_is_never_quoted() -> None:
    env = cli_env(AWS_SESSION_TOKEN=b"CANARYtokenCANARYtoken\xff")
    result = run_cli("presign", "url", "https://e.amazonaws.com/", "--service", "s", env=env)
    assert_clean(result, codes=(2,))
    assert "CANARYtokenCANARYtoken" not in result.output


def test_output_to_a_full_disk() -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "wb") as full:
        result = run_cli("sign", "GET", "https://e.amazonaws.com/", "--service", "s",
                         stdout=full.fileno())
    assert_clean(result, codes=(1,))
    assert "cannot write the output" in result.stderr


def test_ctrl_c_at_any_moment_is_interrupted_and_130() -> None:
    # -S: no site packages' .pth hooks (an editable install's), which run before any code of
    # ours could; the console script starts the same way once installed from a wheel.
    import site

    paths = [str(ROOT), *site.getsitepackages()]
    env = {**cli_env(), "PYTHONPATH": os.pathsep.join(paths)}
    code = "import sys; sys.argv[0] = 'sigv4kit'; from sigv4kit_entry import main; main()"
    seen = set()
    for delay in (0.01, 0.03, 0.05, 0.08, 0.12, 0.2, 0.3):
        proc = subprocess.Popen(
            [sys.executable, "-S", "-c", code, "presign", "url", "https://e.amazonaws.com/",
             "--service", "s"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            preexec_fn=default_sigint)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        if b"Traceback" in err:  # only while Python imports the entry module, before our code
            assert err.rstrip().endswith(b"KeyboardInterrupt"), (delay, err.decode())
            assert b"sigv4kit" not in err.replace(b"sigv4kit_entry import", b""), err.decode()
            continue
        # -2: killed before the interpreter set up its handler; 0: done before the signal.
        assert proc.returncode in (130, 0, -signal.SIGINT), (delay, proc.returncode, err)
        if proc.returncode == 130:
            assert err.strip().endswith(b"Interrupted."), err
        seen.add(proc.returncode)
    assert 130 in seen


# -- 5. the token outside the artefact ------------------------------------------------------


@pytest.mark.parametrize("command", ["explain", "verify"])
def test_url_whose_port_does_not_parse_is_quoted_redacted(command: str) -> None:
    url = (f"https://ec2.amazonaws.com:443%3FX-Amz-Security-Token={TOKEN}"
           f"&X-Amz-Signature=abcdef0123456789abcdef/")
    result = run_cli(command, url)
    assert_clean(result, codes=(1, 2))
    assert TOKEN not in result.output and "abcdef0123456789abcdef" not in result.output


# -- 6. lost data ---------------------------------------------------------------------------


def test_sign_send_sends_repeated_headers_as_signed(faulty_server: Factory) -> None:
    server = faulty_server([Ok(b"fine")])
    result = run_cli(*_send(server.url + "/k", "--header", "X-Amz-Meta-A: one", "--header",
                            "X-Amz-Meta-A: two"))
    assert_clean(result, codes=(0,))
    assert result.stdout == b"fine"
    (got,) = server.requests
    assert got.header("X-Amz-Meta-A") == "one,two"
    received = Request(got.method, server.url + got.path, list(got.headers), got.body)
    verdict = verify_request(received, lambda key: CREDS, service="s3")
    assert verdict.valid, verdict.message


# -- 7. the demo ----------------------------------------------------------------------------

NS = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"'


def _answer(action: str, inner: str) -> Ok:
    return Ok(f"<{action}Response {NS}><requestId>r-1</requestId>{inner}</{action}Response>")


def test_demo_reports_the_failure_and_cleans_up_everything(faulty_server: Factory) -> None:
    server = faulty_server([
        _answer("CreateVolume", "<volumeId>vol-1</volumeId><size>1</size>"
                "<availabilityZone>us-west-2a</availabilityZone><status>creating</status>"),
        _answer("DescribeVolumes", "<volumeSet><item><volumeId>vol-1</volumeId>"
                "<status>available</status></item></volumeSet>"),
        _answer("CreateSnapshot", "<snapshotId>snap-1</snapshotId><status>pending</status>"),
        _answer("DescribeSnapshots", "<snapshotSet><item><snapshotId>snap-1</snapshotId>"
                "<status>error</status><statusMessage>copy failed: bad URL</statusMessage>"
                "</item></snapshotSet>"),
        Error(500, "InternalError", "cannot delete now"),  # DeleteSnapshot fails …
        _answer("DeleteVolume", "<return>true</return>"),  # … the volume is still deleted
    ])
    result = run_cli("demo", "--endpoint-url", server.url, wall=60)
    assert_clean(result, codes=(1,))
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: snapshot snap-1 is in state 'error': copy failed: bad URL")
    assert "Cleanup: DeleteSnapshot snap-1 failed" in result.stderr
    actions = [r.form.get("Action") for r in server.requests]
    assert actions[-2:] == ["DeleteSnapshot", "DeleteVolume"]


def test_demo_odd_answer_is_one_line(faulty_server: Factory) -> None:
    server = faulty_server([_answer("CreateVolume", "<size>1</size>")])  # no volumeId
    result = run_cli("demo", "--endpoint-url", server.url, wall=60)
    assert_clean(result, codes=(1,))
    assert "an answer lacked what the demo needs" in result.stderr


# -- 8. smaller ones ------------------------------------------------------------------------


def test_verify_stdin_request_and_stdin_secret_conflict() -> None:
    result = run_cli("verify", "@-", "--access-key-id", "AKIDEXAMPLE",
                     "--secret-access-key-stdin", stdin=b"GET / HTTP/1.1\r\n\r\n")
    assert_clean(result, codes=(2,))
    assert "REQUEST @- and --secret-access-key-stdin both need standard input" in result.stderr


def test_messages_name_the_right_option(tmp_path: Path) -> None:
    raw = tmp_path / "r.txt"
    raw.write_bytes(b"GET / HTTP/1.1\r\nHost: h\r\nBad Header: x\r\n\r\n")
    result = run_cli("explain", f"@{raw}")
    assert_clean(result, codes=(2,))
    assert "Invalid value for REQUEST: headers:" in result.stderr
    assert "--header" not in result.stderr
    now = run_cli("verify", "https://e.amazonaws.com/?a=b", "--now", "garbage")
    assert_clean(now, codes=(2,))
    assert "Invalid value for --now" in now.stderr and "timestamp" not in now.stderr
    region_set = run_cli("sign", "GET", "https://e.amazonaws.com/", "--service", "s",
                         "--sigv4a", "--region-set", "us east")
    assert_clean(region_set, codes=(2,))
    assert "Invalid value for --region-set" in region_set.stderr


def _explain_on_a_tty(env: dict[str | bytes, str | bytes]) -> bytes:
    url = presign(Request("GET", "https://examplebucket.s3.amazonaws.com/k"), CREDS,
                  region="us-east-1", service="s3", expires=60,
                  timestamp="20150830T123600Z").url
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "sigv4kit", "explain", url], stdout=slave,
                            stderr=subprocess.DEVNULL, env=dict(env), cwd=ROOT)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=30)
    os.close(master)
    return b"".join(chunks)


def test_explain_colours_warnings_on_a_terminal_unless_no_color() -> None:
    coloured = _explain_on_a_tty(cli_env())
    assert b"Warnings:" in coloured and b"\x1b[33m" in coloured  # expired: a warning, yellow
    plain = _explain_on_a_tty(cli_env(NO_COLOR="1"))
    assert b"Warnings:" in plain and b"\x1b[" not in plain


# -- the ec2 command through the same client ------------------------------------------------


@pytest.mark.parametrize("answer", [
    Truncated(b"<DescribeSnapshotsResponse>", 4096),
    Ok(b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><r>&a;</r>'),
    Ok(b"<a>" * 100_000),
    GzipBomb(),
    Huge(100 * 1024 * 1024),
], ids=["truncated", "dtd", "deep", "gzip-bomb", "huge"])
def test_ec2_unreadable_answer_is_one_line(faulty_server: Factory, answer: object) -> None:
    gzip_bomb(GzipBomb().decoded_size)
    server = faulty_server([answer])
    result = run_cli("ec2", "describe-snapshots", "--endpoint-url", server.url, wall=60)
    assert_clean(result, codes=(255,))
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.max_rss_mb < 120, result.max_rss_mb


def test_ec2_redirect_elsewhere_is_refused(faulty_server: Factory) -> None:
    elsewhere = faulty_server([Ok(b"<x/>")], host="127.0.0.2")
    server = faulty_server([Redirect(elsewhere.url + "/")])
    result = run_cli("ec2", "describe-snapshots", "--endpoint-url", server.url)
    assert_clean(result, codes=(255,))
    assert elsewhere.requests == []
    assert elsewhere.url in result.stderr and "redirect" in result.stderr.lower()
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.parametrize("value", ["0", "21", "1e3", "-1", "five"])
def test_ec2_max_attempts_out_of_range_names_the_variable(value: str) -> None:
    result = run_cli("ec2", "describe-snapshots", "--region", "us-east-1", "--endpoint-url",
                     "http://127.0.0.1:9", env=cli_env(AWS_MAX_ATTEMPTS=value))
    assert_clean(result, codes=(255,))
    assert "AWS_MAX_ATTEMPTS" in result.stderr and "1 to 20" in result.stderr


@pytest.mark.parametrize("option", ["--cli-read-timeout", "--cli-connect-timeout"])
@pytest.mark.parametrize("value", ["-5", "nan", "inf"])
def test_ec2_timeouts_are_checked(option: str, value: str) -> None:
    result = run_cli("ec2", "describe-snapshots", "--region", "us-east-1", "--endpoint-url",
                     "http://127.0.0.1:9", option, value)
    assert_clean(result, codes=(2,))
    assert option in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_ec2_read_timeout_holds_against_a_silent_server(faulty_server: Factory) -> None:
    server = faulty_server([Silent(20), Silent(20)])
    start = time.monotonic()
    result = run_cli("ec2", "describe-snapshots", "--region", "us-east-1", "--endpoint-url",
                     server.url, "--cli-read-timeout", "1",
                     wall=30)
    assert_clean(result, codes=(255,))
    assert time.monotonic() - start < 15


def test_ec2_trickle_ends_by_the_deadline_of_each_call(faulty_server: Factory) -> None:
    server = faulty_server([Trickle(interval=1.0, limit=100)])
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from sigv4kit.ec2 import Client\n"
         "from sigv4kit import Credentials\n"
         "c = Client('us-east-1', Credentials('AKIDEXAMPLE', 'x' * 40), endpoint_url=sys.argv[1],"
         " timeout=(1, 2), deadline=3)\n"
         "try:\n    c.describe_snapshots()\nexcept Exception as e:\n"
         "    print(type(e).__name__)\n", server.url],
        capture_output=True, text=True, timeout=30, cwd=ROOT)
    assert proc.stdout.strip() == "DeadlineExceeded" and time.monotonic() - start < 10


def test_deeply_nested_input_is_one_line() -> None:
    deep = "[" * 50_000 + "]" * 50_000
    result = run_cli("ec2", "call", "DescribeSnapshots", "--endpoint-url", "http://127.0.0.1:9",
                     "--param", f"Filters={deep}", wall=60)
    assert_clean(result, codes=(255,))
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.parametrize("name", ["x-amz-security-token", "X-Amz-Security%2DToken"])
@pytest.mark.parametrize("output", ["text", "json"])
def test_explain_never_echoes_the_inputs_token_in_its_canonical_request(name: str,
                                                                        output: str) -> None:
    # Found by the subprocess fuzz: a lower-case name slipped into the rebuilt canonical query.
    url = ("https://e.amazonaws.com/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
           "AKIDEXAMPLE%2F20261125%2Fus-east-1%2Fs%2Faws4_request&X-Amz-Date=20261125T120000Z&"
           f"X-Amz-Expires=60&X-Amz-SignedHeaders=host&{name}={TOKEN}&X-Amz-Signature="
           + "ab" * 32)
    result = run_cli("explain", url, "--output", output)
    assert_clean(result, codes=(1,))
    assert TOKEN not in result.output and TOKEN[:4] in result.output
