"""`sigv4kit ec2` over HTTPS: --ca-bundle and --no-verify-ssl against a loopback server with a
trustme certificate (the CaptureServer records what reaches it)."""

from __future__ import annotations

import pytest

from sigv4kit.testing.capture import CaptureServer

from .cli_process import assert_clean, cli_env, run_cli

ARGS = ("ec2", "describe-snapshots", "--region", "us-east-1", "--snapshot-ids", "snap-1")


@pytest.mark.parametrize("how", ["ca-bundle", "AWS_CA_BUNDLE", "no-verify-ssl", "default"])
def test_tls_verification_follows_the_options(how: str) -> None:
    with CaptureServer(tls=True) as server:
        assert server.ca_file is not None
        extra: tuple[str, ...] = ()
        env = cli_env()
        if how == "ca-bundle":
            extra = ("--ca-bundle", server.ca_file)
        elif how == "AWS_CA_BUNDLE":
            env = cli_env(AWS_CA_BUNDLE=server.ca_file)
        elif how == "no-verify-ssl":
            extra = ("--no-verify-ssl",)
        result = run_cli(*ARGS, "--endpoint-url", server.url, *extra, env=env, wall=30)
        assert_clean(result, codes=(255,))  # aws v1: the answer is no EC2 document
        captured = server.requests
    if how == "default":  # the test CA is not trusted: nothing may reach the server
        assert captured == []
        assert "TLS" in result.stderr
    else:
        assert len(captured) == 1
        assert captured[0].method == "POST"
        assert b"Action=DescribeSnapshots" in captured[0].body
