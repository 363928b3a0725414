"""Fuzzing the CLI's untrusted inputs: --header values, ec2 call --param, raw request files
(@file) for explain/verify, URLs and timestamps. Whatever the input, the command ends with a
documented exit code (0, 1 or 2) and a message, never a traceback, and never echoes the secret.

A fixed example budget runs with the tests; ``python3 tasks.py fuzz`` runs a long one.
"""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sigv4kit.cli import cli

SECRET = "FUZZsecretFUZZsecretFUZZsecret0123456789"
ENV = {
    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": SECRET,
    "AWS_SESSION_TOKEN": "",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_PROFILE": "",
    "AWS_REGION": "us-east-1",
    "AWS_MAX_ATTEMPTS": "1",
}
FUZZ = settings(suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow], deadline=None)

text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60)
nasty = st.one_of(text, st.sampled_from([
    "", ":", "X: a\r\nB: c", "X:\x00", "\x7f: v", "Host: [::1", "a" * 5000 + ": b",
    "X-Amz-Date: 1", "Authorization: AWS4-HMAC-SHA256 Credential=/", "X: \u2028",
]))


def _invoke(args: list[str], stdin: bytes | None = None) -> None:
    result = CliRunner().invoke(cli, args, env=ENV, input=stdin)
    assert result.exit_code in (0, 1, 2, 255), (args, result.exit_code, result.output)
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), (args, repr(result.exception))
    assert "Traceback" not in result.output
    assert SECRET not in result.output


@FUZZ
@given(st.lists(nasty, min_size=1, max_size=3), st.sampled_from(["sign", "presign"]))
def test_header_values(headers: list[str], command: str) -> None:
    args = (["sign", "GET", "https://e.amazonaws.com/"] if command == "sign"
            else ["presign", "url", "https://e.amazonaws.com/"])
    _invoke([*args, "--service", "s", *[x for h in headers for x in ("--header", h)]])


@FUZZ
@given(nasty, nasty)
def test_urls_and_timestamps(url: str, timestamp: str) -> None:
    _invoke(["presign", "url", url or "x", "--service", "s", "--timestamp", timestamp or "x"])
    _invoke(["sign", "PUT", url or "x", "--service", "s"])


@FUZZ
@given(st.sampled_from(["DescribeSnapshots", "CopySnapshot", "CreateVolume", "Nope", ""]),
       st.lists(st.tuples(st.sampled_from(["SnapshotIds", "MaxResults", "DryRun", "Filters",
                                           "Size", "Bogus", ""]), nasty), max_size=3))
def test_ec2_call_params(action: str, params: list[tuple[str, str]]) -> None:
    # An unreachable endpoint: validation must fail first, or the call fails cleanly (exit 1).
    args = ["ec2", "call", action or "X", "--endpoint-url", "http://127.0.0.1:9"]
    for name, value in params:
        args += ["--param", f"{name}={value}"]
    result = CliRunner().invoke(cli, args, env=ENV)
    assert result.exit_code in (1, 2, 255), (args, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


@FUZZ
@given(st.one_of(st.binary(max_size=400), text.map(lambda t: t.encode()),
                 st.builds(lambda m, t, h, b: f"{m} {t} HTTP/1.1\r\n{h}\r\n\r\n{b}".encode(),
                           st.sampled_from(["GET", "POST", "G T", ""]), nasty, nasty, text)))
def test_raw_request_files(tmp_path_factory: object, data: bytes) -> None:
    for command in ("explain", "verify"):
        _invoke([command, "@-"], stdin=data)


def test_a_big_raw_request_is_refused_quickly(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"GET / HTTP/1.1\r\nHost: h\r\nX: " + b"a" * (3 * 1024 * 1024) + b"\r\n\r\n")
    result = CliRunner().invoke(cli, ["explain", f"@{path}"], env=ENV)
    assert result.exit_code == 2 and "Traceback" not in result.output
