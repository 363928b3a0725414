"""The CLI against hostile servers and careless input, as a real subprocess under memory and
wall-clock limits (``tests/cli_process.py``): issue 22's items 3 and 7-12."""

from __future__ import annotations

from collections.abc import Callable

from sigv4kit.testing.faulty_server import Error, FaultyServer
from sigv4kit.testing.hostile import Redirect

from .cli_process import assert_clean, run_cli

Factory = Callable[..., FaultyServer]


def _ec2(server: FaultyServer, *args: str) -> list[str]:
    return ["ec2", *args, "--region", "us-east-1", "--endpoint-url", server.url]


# -- 3. redaction is linear, messages are bounded ------------------------------------------


def test_a_200_kb_error_message_is_redacted_at_once_and_cut(faulty_server: Factory) -> None:
    server = faulty_server([Error(400, "InvalidParameterValue", "x" * 200_000)])
    result = run_cli(*_ec2(server, "describe-snapshots"), wall=30)
    assert_clean(result, codes=(1,))
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
