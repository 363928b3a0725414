"""Fuzzing every CLI command's arguments through a real subprocess (hypothesis): whatever the
arguments, no "Traceback" anywhere, an exit code in {0, 1, 2, 130}, the canary secret nowhere,
the canary session token only on stdout of a command whose artefact carries it (sign's
headers, presign's URL), and a token planted in an input URL never echoed by the commands that
read URLs (explain, verify). Network commands go to a closed loopback port.

Each example is a process (~0.5 s), so CI runs a few dozen; ``python3 tasks.py fuzz`` runs
``SIGV4KIT_FUZZ_PROCESSES`` (default 1500).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from .cli_process import SECRET, TOKEN, assert_clean, cli_env, run_cli

URL_TOKEN = "URLCANARYtokenURLCANARYtoken0123456789"
_PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
EXAMPLES = int(os.environ.get("SIGV4KIT_FUZZ_PROCESSES")
               or {"fuzz": 1500, "dev": 60}.get(_PROFILE, 30))
PROCESS_FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=_PROFILE == "ci",
                        suppress_health_check=list(HealthCheck))
TOKEN_ARTEFACT = frozenset({"sign", "presign"})

text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
values = st.one_of(text, st.sampled_from([
    "", "0", "-5", "nan", "inf", "1e309", "x" * 3000, "\u2028", "٢٠٢٦", "us-east-1", "*",
    "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00", "0999-01-01T00:00:00Z",
    "٢٠٢٦-01-01T00:00:00Z", "20261125T120000Z", "2026-11-25T12:00:00Z", "@/dev/null", "@-",
    "X-A: €", "X-Amz-Meta-A: one", "Host: [::1", "a=b", "[" * 200, "{" * 2000,
]))
_QUERY_TOKEN = st.sampled_from([
    f"X-Amz-Security-Token={URL_TOKEN}", f"X-Amz-Security%2DToken={URL_TOKEN}",
    f"x-amz-security-token={URL_TOKEN}", f"X-Amz-%53ecurity-Token={URL_TOKEN}",
])
urls = st.one_of(
    values,
    st.builds(lambda host, port, tok: f"https://{host}{port}/p?{tok}&X-Amz-Signature=ab12",
              st.sampled_from(["e.amazonaws.com", "ec2.us-east-1.amazonaws.com", "[::1",
                               "127.0.0.1", "h\u00e9.com", ""]),
              st.sampled_from(["", ":443", ":99999", ":443%3F", ":x", ":"]), _QUERY_TOKEN),
    st.builds(lambda tok: "https://e.amazonaws.com/?X-Amz-Algorithm=AWS4-HMAC-SHA256&"
              "X-Amz-Credential=AKIDEXAMPLE%2F20261125%2Fus-east-1%2Fs%2Faws4_request&"
              f"X-Amz-Date=20261125T120000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&{tok}&"
              "X-Amz-Signature=" + "ab" * 32, _QUERY_TOKEN),
)
OPTIONS = {
    "sign": ["--region", "--header", "--data", "--timestamp", "--region-set", "--timeout",
             "--cli-read-timeout", "--cli-connect-timeout", "--service"],
    "presign": ["--region", "--header", "--timestamp", "--expires", "--service"],
    "explain": ["--now", "--method", "--header", "--credentials-expire-at"],
    "verify": ["--now", "--method", "--header", "--region", "--service"],
    "diff": ["--region", "--header", "--timestamp", "--expires", "--data"],
    "ec2": ["--region", "--endpoint-url", "--param"],
}
FLAGS = {
    "sign": ["--s3", "--unsigned-payload", "--sigv4a", "--curl", "--send", "-i", "--debug"],
    "presign": ["--s3", "--debug"],
    "explain": [],
    "verify": ["--debug"],
    "diff": ["--s3", "--presigned", "--unsigned-payload"],
    "ec2": ["--debug", "--dry-run"],
}


def _head(command: str, url: str, method: str) -> list[str]:
    if command == "sign":
        return ["sign", method or "GET", url, "--service", "s"]
    if command == "presign":
        return ["presign", "url", url, "--service", "s"]
    if command in ("explain", "verify"):
        return [command, url]
    if command == "diff":
        return ["diff", method or "GET", url, "--service", "s", "--server-error", "/dev/null"]
    return ["ec2", "call", "DescribeSnapshots", "--endpoint-url", "http://127.0.0.1:9"]


@pytest.mark.timeout(60 + 5 * EXAMPLES)
@PROCESS_FUZZ
@given(st.sampled_from(sorted(OPTIONS)), urls, st.sampled_from(["GET", "PUT", "G T", ""]),
       st.data())
def test_every_command_survives_any_arguments(command: str, url: str, method: str,
                                              data: st.DataObject) -> None:
    args = _head(command, url, method)
    for _ in range(data.draw(st.integers(0, 3), label="options")):
        args += [data.draw(st.sampled_from(OPTIONS[command]), label="option"),
                 data.draw(values, label="value")]
    if FLAGS[command]:
        args += data.draw(st.lists(st.sampled_from(FLAGS[command]), max_size=2, unique=True),
                          label="flags")
    assume(not any("\x00" in arg for arg in args))  # no process can take a NUL in argv
    if "--send" in args:
        args[2] = "http://127.0.0.1:9/"  # loopback only: a closed port
    if command == "sign" and "--endpoint-url" in args:
        return
    env = cli_env(NO_COLOR="1")
    result = run_cli(*args, env=env, wall=60)
    assert_clean(result)
    stdout = result.stdout.decode("utf-8", "replace")
    if command not in TOKEN_ARTEFACT:
        assert TOKEN not in stdout, (args, stdout)
    if command in ("explain", "verify"):
        assert URL_TOKEN not in result.output, (args, result.output)
    assert SECRET not in stdout
