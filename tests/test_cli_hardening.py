"""The CLI against hostile servers and careless input, as a real subprocess under memory and
wall-clock limits (``tests/cli_process.py``): issue 22's items 3 and 7-12."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from sigv4kit.testing.faulty_server import (
    Echo,
    EndlessPages,
    Error,
    FaultyServer,
    Ok,
    Respond,
)
from sigv4kit.testing.hostile import Redirect, Trickle

from .cli_process import ROOT, Result, assert_clean, cli_env, run_cli

Factory = Callable[..., FaultyServer]
AWS_ERROR = 255
"""The exit code of every failed ``ec2`` command, as the AWS CLI v1 exits (a service error,
a bad parameter, a deadline alike): the ``ec2`` commands follow it, the others keep 1 and 2."""


def _ec2(server: FaultyServer, *args: str) -> list[str]:
    return ["ec2", *args, "--region", "us-east-1", "--endpoint-url", server.url]


# -- 3. redaction is linear, messages are bounded ------------------------------------------


def test_a_200_kb_error_message_is_redacted_at_once_and_cut(faulty_server: Factory) -> None:
    server = faulty_server([Error(400, "InvalidParameterValue", "x" * 200_000)])
    result = run_cli(*_ec2(server, "describe-snapshots"), wall=30)
    assert_clean(result, codes=(AWS_ERROR,))
    assert result.elapsed < 10, result.elapsed  # minutes before
    assert "InvalidParameterValue" in result.stderr
    assert len(result.stderr) < 4000 and "more characters)" in result.stderr


def test_a_60_kb_redirect_location_is_refused_quickly_and_quoted_short(
        faulty_server: Factory) -> None:
    location = "http://127.0.0.2:9/" + "y" * 60_000
    server = faulty_server([Redirect(location)])
    result = run_cli("sign", "GET", server.url + "/", "--service", "s3", "--send",
                     "--timeout", "5", wall=30)
    assert_clean(result, codes=(1,))
    assert result.elapsed < 8, result.elapsed  # 50 s before
    assert "not followed" in result.stderr and len(result.stderr) < 1000


# -- 8. whatever credentials the command resolved are redacted --------------------------------

FILE_SECRET = "FILEsecretFILEsecretFILEsecretFILEsecret"
FILE_TOKEN = "FILEtokenIQoJb3JpZ2luX2VjEFILEtokenFILEtoken"


def _file_credentials(tmp_path: Path, how: str) -> dict[str | bytes, str | bytes]:
    """An environment whose only credentials come from the shared credentials file, or from
    a credential process."""
    env = {k: v for k, v in cli_env().items()
           if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")}
    if how == "file":
        path = tmp_path / "credentials"
        path.write_text(f"[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = "
                        f"{FILE_SECRET}\naws_session_token = {FILE_TOKEN}\n")
        env["AWS_SHARED_CREDENTIALS_FILE"] = str(path)
    else:
        answer = json.dumps({"Version": 1, "AccessKeyId": "AKIDPROC",
                             "SecretAccessKey": FILE_SECRET, "SessionToken": FILE_TOKEN})
        script = tmp_path / "creds.py"
        script.write_text(f"print({answer!r})\n")
        config = tmp_path / "config"
        config.write_text(f"[default]\ncredential_process = {sys.executable} {script}\n")
        env["AWS_CONFIG_FILE"] = str(config)
    return env


def _no_file_secret(result: Result) -> None:
    assert_clean(result, codes=(0, 1, 2, AWS_ERROR))
    for secret in (FILE_SECRET, FILE_TOKEN, FILE_SECRET[:20], FILE_TOKEN[:20]):
        assert secret not in result.output, result.output


@pytest.mark.parametrize("how", ["file", "process"])
def test_echoed_credentials_from_any_source_are_redacted(faulty_server: Factory,
                                                         tmp_path: Path, how: str) -> None:
    echo = f"tok {FILE_TOKEN} key {FILE_SECRET} urlenc {FILE_SECRET.replace('s', '%73')}"
    xml = ("<DescribeSnapshotsResponse><snapshotSet><item><snapshotId>snap-1</snapshotId>"
           f"<description>{echo}</description></item></snapshotSet>"
           "</DescribeSnapshotsResponse>")
    server = faulty_server([Ok(xml), Error(400, "Bad", echo)])
    env = _file_credentials(tmp_path, how)
    for output in (("json",) if how == "process" else ("text",)):  # both printing paths
        result = run_cli(*_ec2(server, "describe-snapshots"), "--output", output, env=env)
        _no_file_secret(result)
        assert result.code == 0 and "snap-1" in result.output and "FILE…(" in result.output
    failed = run_cli(*_ec2(server, "describe-snapshots"), env=env)
    _no_file_secret(failed)
    assert failed.code == AWS_ERROR and "FILE…(" in failed.stderr
    assert server.requests[0].header("X-Amz-Security-Token") == FILE_TOKEN  # what was resolved


def test_a_credentials_file_sent_as_a_parameter_and_echoed_back_is_redacted(
        faulty_server: Factory, tmp_path: Path) -> None:
    env = _file_credentials(tmp_path, "file")
    path = tmp_path / "plain.ini"  # the credentials file, without its [default] line
    path.write_text(f"aws_access_key_id = AKIDFILE\naws_secret_access_key = {FILE_SECRET}\n"
                    f"aws_session_token = {FILE_TOKEN}\n")
    server = faulty_server([Echo(), Echo()])
    for option in ("--snapshot-ids", "--owner-ids"):
        result = run_cli(*_ec2(server, "describe-snapshots"), option, f"file://{path}",
                         env=env)
        _no_file_secret(result)
        assert result.code == AWS_ERROR and "aws_session_token = FILE…(" in result.stderr
    assert FILE_SECRET in server.requests[0].body.decode()  # it was sent (the user's doing)


# -- 9. file:// and fileb:// parameters: regular files or stdin, a named limit, bounded echo ---

_NOWHERE = ("ec2", "describe-snapshots", "--region", "us-east-1", "--endpoint-url",
            "http://127.0.0.1:9")


@pytest.mark.parametrize(("option", "prefix"), [("--filters", "file://"),
                                                ("--snapshot-ids", "file://"),
                                                ("--cli-input-json", "file://"),
                                                ("--snapshot-ids", "fileb://")])
def test_file_parameter_from_dev_zero_is_refused_at_once(option: str, prefix: str) -> None:
    result = run_cli(*_NOWHERE, option, f"{prefix}/dev/zero", memory_mb=200, wall=20)
    assert_clean(result, codes=(AWS_ERROR,))
    assert option in result.stderr and result.elapsed < 10
    assert ("not a regular file" in result.stderr
            or "fileb:// is for binary (blob) members" in result.stderr), result.stderr


def test_a_300_mb_parameter_file_is_refused_naming_the_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as fh:
        fh.truncate(300 * 1024 * 1024)  # sparse: costs no disk
    result = run_cli(*_NOWHERE, "--filters", f"file://{big}", memory_mb=200, wall=30)
    assert_clean(result, codes=(AWS_ERROR,))
    assert "more than the limit of 1048576 bytes" in result.stderr and "--filters" in result.stderr
    assert result.max_rss_mb < 120, result.max_rss_mb


def test_a_fifo_nobody_writes_to_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for args, code in (((*_NOWHERE, "--filters", f"file://{fifo}"), AWS_ERROR),
                       (("explain", f"@{fifo}"), 2)):
        result = run_cli(*args, wall=20)
        assert_clean(result, codes=(code,))
        assert result.elapsed < 10


def test_file_parameter_from_stdin_when_asked(faulty_server: Factory) -> None:
    server = faulty_server([Echo()])
    result = run_cli(*_ec2(server, "describe-snapshots"), "--snapshot-ids", "file://-",
                     stdin=b"snap-0123456789abcdef0")
    assert_clean(result, codes=(AWS_ERROR,))
    assert server.requests[0].form["SnapshotId.1"] == "snap-0123456789abcdef0"


def test_a_long_bad_shorthand_value_is_echoed_bounded(tmp_path: Path) -> None:
    value = "Name=owner-id,Values=" + "v" * 100_000 + " ]oops"
    path = tmp_path / "filters.txt"
    path.write_text(value)
    for given in (value, f"file://{path}"):
        result = run_cli(*_NOWHERE, "--filters", given)
        assert_clean(result, codes=(AWS_ERROR,))
        assert "--filters" in result.stderr and "characters before" in result.stderr
        assert len(result.stderr) < 1000, len(result.stderr)


def test_dev_zero_for_explain_and_verify_is_refused_as_no_regular_file() -> None:
    for command in ("explain", "verify"):
        result = run_cli(command, "@/dev/zero", memory_mb=200, wall=20)
        assert_clean(result, codes=(2,))
        assert "not a regular file" in result.stderr


# -- 10. pagination is bounded: a total deadline across pages, a page cap; text streams -----


def test_endless_fresh_next_tokens_stop_at_the_page_cap() -> None:
    with FaultyServer(after=EndlessPages()) as server:
        for output in ("json", "text"):
            result = run_cli(*_ec2(server, "describe-snapshots"), "--max-pages", "5",
                             "--output", output, wall=30)
            assert_clean(result, codes=(AWS_ERROR,))
            assert "stopped after 5 pages" in result.stderr and "--max-pages" in result.stderr
        by_env = run_cli(*_ec2(server, "describe-snapshots"),
                         env=cli_env(SIGV4KIT_MAX_PAGES="3"), wall=30)
        assert "stopped after 3 pages" in by_env.stderr and "SIGV4KIT_MAX_PAGES" in by_env.stderr
        assert len(server.requests) == 2 * 5 + 3


def test_endless_pages_end_by_the_total_deadline_and_text_streams_them() -> None:
    with FaultyServer(after=EndlessPages()) as server:
        result = run_cli(*_ec2(server, "describe-snapshots"), "--output", "text",
                         "--max-pages", "100000", env=cli_env(SIGV4KIT_CLI_DEADLINE="2"),
                         wall=30)
    assert_clean(result, codes=(AWS_ERROR,))
    assert result.elapsed < 8, result.elapsed
    assert "deadline of 2 s" in result.stderr
    assert "--cli-deadline" in result.stderr and "SIGV4KIT_CLI_DEADLINE" in result.stderr
    assert result.stdout.count(b"SNAPSHOTS\t") >= 2  # the pages that came were printed


@pytest.mark.parametrize("command", ["describe-snapshots", "copy-snapshot", "wait"])
def test_help_shows_the_bounds_and_their_variables(command: str) -> None:
    args = ["ec2", command, "--help"] if command != "wait" else [
        "ec2", "wait", "snapshot-completed", "--help"]
    result = run_cli(*args)
    assert_clean(result, codes=(0,))
    help_text = " ".join(result.stdout.decode().split())
    assert "--cli-deadline" in help_text and "SIGV4KIT_CLI_DEADLINE" in help_text
    if command == "describe-snapshots":
        assert "--max-pages" in help_text and "SIGV4KIT_MAX_PAGES" in help_text


# -- 12. smaller ones ---------------------------------------------------------------------------


def test_a_trickling_server_is_cut_at_the_users_deadline_and_the_message_names_it(
        faulty_server: Factory) -> None:
    server = faulty_server([Trickle(interval=1.0, limit=100)])
    result = run_cli(*_ec2(server, "describe-snapshots"), "--cli-read-timeout", "2",
                     "--cli-deadline", "3", wall=60)
    assert_clean(result, codes=(AWS_ERROR,))
    assert result.elapsed < 10, result.elapsed  # 300 s before
    assert "deadline of 3 s" in result.stderr and "--cli-deadline" in result.stderr


# -- 11. server text reaches the terminal escaped ----------------------------------------------

HOSTILE = "\u009b31mRED\u009d0;pwned\u009c \r Everything is fine \u202etxt.exe \u2066x\u2069"
"""C1 CSI and OSC (ended by ST), a CR that would rewrite the line, bidi override and isolate."""
RAW = [b"\xc2\x9b", b"\xc2\x9d", b"\xc2\x9c", b"\xe2\x80\xae", b"\xe2\x81\xa6"]


def _snapshots_xml(description: str) -> bytes:
    text = escape(description).replace("\r", "&#13;")
    return ('<?xml version="1.0" encoding="UTF-8"?><DescribeSnapshotsResponse '
            'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId>'
            f"<snapshotSet><item><snapshotId>snap-1</snapshotId><description>{text}"
            f"</description><tagSet><item><key>k{text}</key><value>{text}</value></item>"
            "</tagSet></item></snapshotSet></DescribeSnapshotsResponse>").encode()


def _on_a_terminal(*args: str) -> bytes:
    """The CLI with stdout and stderr on a pseudo-terminal; all it wrote there."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "sigv4kit", *args], stdout=slave,
                            stderr=slave, stdin=subprocess.DEVNULL, env=dict(cli_env()),
                            cwd=ROOT)
    os.close(slave)
    chunks = []
    try:
        while select.select([master], [], [], 30)[0]:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
    finally:
        proc.wait(timeout=30)
        os.close(master)
    return b"".join(chunks)


def _no_raw_controls(out: bytes) -> None:
    for raw in RAW:
        assert raw not in out, (raw, out)
    assert b"\r" not in out.replace(b"\r\n", b""), out  # the pty turns LF into CRLF itself


@pytest.mark.parametrize("output", ["text", "table", "json"])
def test_service_data_on_a_terminal_shows_controls_escaped(output: str) -> None:
    with FaultyServer([Ok(_snapshots_xml(HOSTILE))]) as server:
        out = _on_a_terminal(*_ec2(server, "describe-snapshots"), "--output", output)
    _no_raw_controls(out)
    assert b"snap-1" in out and (b"\\x9b31mRED" in out or b"\\u009b31mRED" in out), out


def test_json_is_escaped_and_reads_back_as_sent(faulty_server: Factory) -> None:
    server = faulty_server([Ok(_snapshots_xml(HOSTILE))])
    result = run_cli(*_ec2(server, "describe-snapshots"))
    assert_clean(result, codes=(0,))
    _no_raw_controls(result.stdout)
    assert json.loads(result.stdout)["Snapshots"][0]["Description"] == HOSTILE


def test_text_to_a_pipe_is_the_data_as_sent(faulty_server: Factory) -> None:
    server = faulty_server([Ok(_snapshots_xml(HOSTILE))])
    result = run_cli(*_ec2(server, "describe-snapshots"), "--output", "text")
    assert_clean(result, codes=(0,))
    assert HOSTILE.encode() in result.stdout  # scripts get what the service sent


def _error_xml(message: str) -> Respond:
    text = escape(message).replace("\r", "&#13;")  # a raw CR would be read as LF
    return Respond(400, ("<Response><Errors><Error><Code>Bad</Code><Message>"
                         f"{text}</Message></Error></Errors><RequestID>r</RequestID>"
                         "</Response>").encode())


def test_an_error_message_cannot_rewrite_the_line(faulty_server: Factory) -> None:
    server = faulty_server([_error_xml(HOSTILE)])
    result = run_cli(*_ec2(server, "describe-snapshots"))
    assert_clean(result, codes=(AWS_ERROR,))
    _no_raw_controls(result.stderr.encode())
    assert "\\r Everything is fine \\u202etxt.exe" in result.stderr
    with FaultyServer([_error_xml(HOSTILE)]) as again:
        out = _on_a_terminal(*_ec2(again, "describe-snapshots"))
    _no_raw_controls(out)


@pytest.mark.parametrize("command", ["presign", "ec2"])
def test_a_bad_source_endpoint_url_names_the_option(command: str) -> None:
    common = ["--source-region", "us-west-2", "--source-snapshot-id", "snap-066877671789bd71b",
              "--source-endpoint-url", "http://[::1/"]
    args = (["presign", "copy-snapshot", "--destination-region", "us-east-1", *common]
            if command == "presign" else
            ["ec2", "copy-snapshot", "--region", "us-east-1", "--endpoint-url",
             "http://127.0.0.1:9", *common])
    result = run_cli(*args)
    assert_clean(result, codes=(2 if command == "presign" else AWS_ERROR,))
    assert "--source-endpoint-url" in result.stderr and "IPv6" in result.stderr, result.stderr


def test_cli_input_json_value_is_reported_as_cli_input_json() -> None:
    result = run_cli(*_NOWHERE, "--cli-input-json", '{"MaxResults": 1e999}')
    assert_clean(result, codes=(AWS_ERROR,))
    assert "--cli-input-json" in result.stderr and "MaxResults" in result.stderr
    assert "--max-results" not in result.stderr, result.stderr
    typed = run_cli(*_NOWHERE, "--max-results", "x")
    assert "--max-results" in typed.stderr  # a typed option is still named as typed


def test_table_into_a_pipe_closed_early_ends_quietly(faulty_server: Factory) -> None:
    items = "".join(f"<item><snapshotId>snap-{i:017x}</snapshotId><description>{'d' * 60}"
                    "</description></item>" for i in range(3000))
    server = faulty_server([Ok("<DescribeSnapshotsResponse><snapshotSet>" + items
                               + "</snapshotSet></DescribeSnapshotsResponse>")])
    proc = subprocess.Popen([sys.executable, "-m", "sigv4kit", *_ec2(server,
                             "describe-snapshots"), "--output", "table"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(cli_env()), cwd=ROOT)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()  # `| head -1`
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=30)
    assert err == "", err
    assert proc.returncode in (0, 1, 141)


def test_an_output_encoding_that_cannot_carry_the_answer_is_one_line() -> None:
    result = run_cli("sign", "GET", "https://e.amazonaws.com/", "--service", "s",
                     "--header", "X-A: €", env=cli_env(PYTHONIOENCODING="latin-1"))
    assert_clean(result, codes=(1,))
    assert "latin-1" in result.stderr and "PYTHONIOENCODING" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def _page(ids: list[str], token: str | None) -> Respond:
    items = "".join(f"<item><snapshotId>{i}</snapshotId><description>é \u202e</description>"
                    "</item>" for i in ids)
    more = f"<nextToken>{token}</nextToken>" if token else ""
    return Ok(f"<DescribeSnapshotsResponse><snapshotSet>{items}</snapshotSet>{more}"
              "</DescribeSnapshotsResponse>")


@pytest.mark.parametrize(("shape", "extra"), [([["a", "b"], [], ["c"]], ["--max-items", "2"]),
                                             ([["a", "b"], [], ["c"]], []),
                                             ([[], []], []), ([["a"]], [])])
def test_json_streamed_by_page_is_the_json_of_the_whole_listing(
        faulty_server: Factory, shape: list[list[str]], extra: list[str]) -> None:
    outputs = []
    for query in ([], ["--query", "@"]):  # --query needs the whole result: not streamed
        server = faulty_server([_page([f"snap-{i}" for i in ids], f"t{n}" if n + 1 < len(shape)
                                      else None) for n, ids in enumerate(shape)])
        result = run_cli(*_ec2(server, "describe-snapshots"), *extra, *query)
        assert_clean(result, codes=(0,))
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1], outputs


def test_json_pages_stream_before_the_deadline_ends_the_listing() -> None:
    with FaultyServer(after=EndlessPages()) as server:
        result = run_cli(*_ec2(server, "describe-snapshots"), "--cli-deadline", "2",
                         "--max-pages", "100000", wall=30)
    assert_clean(result, codes=(AWS_ERROR,))
    assert result.stdout.startswith(b'{\n    "Snapshots": [') and b'"SnapshotId"' in result.stdout
