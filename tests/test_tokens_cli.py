"""``sigv4kit token …`` as a subprocess, against the tools AWS ships (clock frozen with
--timestamp): each command's output is the oracle's, byte for byte; ``token eks`` run as
kubectl runs a kubeconfig ``exec`` plugin (KUBERNETES_EXEC_INFO in, ExecCredential JSON out)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import pytest

from sigv4kit import tokens
from tests.cli_process import SECRET, TOKEN, assert_clean, cli_env, run_cli
from tests.test_tokens import _load_oracles

pytestmark = pytest.mark.slow

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
STAMP = "2026-03-01T12:00:00Z"
CREDS = ("AKIDEXAMPLE", SECRET, TOKEN)


@pytest.fixture(scope="module")
def oracles() -> ModuleType:
    pytest.importorskip("awscli")
    return _load_oracles()


def test_kubeconfig_exec_runs_token_eks_as_kubectl_does(oracles: ModuleType) -> None:
    exec_info = json.dumps({"kind": "ExecCredential",
                            "apiVersion": "client.authentication.k8s.io/v1",
                            "spec": {"interactive": False}})
    result = run_cli("token", "eks", "--cluster-name", "prod-1", "--region", "cn-north-1",
                     "--timestamp", STAMP, env=cli_env(KUBERNETES_EXEC_INFO=exec_info))
    assert_clean(result, codes=(0,))
    assert result.stderr == ""
    theirs = oracles.eks_output(CREDS, NOW, cluster="prod-1", region="cn-north-1",
                                exec_info=exec_info)
    assert result.stdout.decode() == theirs
    credential = json.loads(result.stdout)  # what client-go reads
    assert credential["apiVersion"] == "client.authentication.k8s.io/v1"
    assert credential["kind"] == "ExecCredential"
    assert credential["status"]["expirationTimestamp"] == "2026-03-01T12:14:00Z"


def test_token_eks_without_exec_info_and_with_a_deprecated_one(oracles: ModuleType) -> None:
    plain = run_cli("token", "eks", "--cluster-name", "c", "--timestamp", STAMP)
    assert plain.code == 0
    assert json.loads(plain.stdout)["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    old = '{"apiVersion": "client.authentication.k8s.io/v1alpha1"}'
    result = run_cli("token", "eks", "--cluster-name", "c", "--timestamp", STAMP,
                     env=cli_env(KUBERNETES_EXEC_INFO=old))
    assert result.code == 0 and "deprecated API version" in result.stderr
    assert result.stdout.decode() == oracles.eks_output(CREDS, NOW, cluster="c",
                                                        region="us-east-1", exec_info=old)


Made = Callable[[ModuleType], Any]
COMMANDS: dict[str, tuple[list[str], Made]] = {
    "rds": (["--hostname", "db.example.com", "--port", "3306", "--username", "app"],
            lambda o: o.rds(CREDS, NOW, hostname="db.example.com", port=3306, username="app",
                            region="us-east-1")),
    "dsql": (["--hostname", "x.dsql.us-east-1.on.aws", "--admin", "--expires-in", "3600"],
             lambda o: o.dsql(CREDS, NOW, hostname="x.dsql.us-east-1.on.aws",
                              region="us-east-1", admin=True, expires=3600)),
    "elasticache": (["--cache-name", "cache", "--user-id", "u1", "--serverless"],
                    lambda o: o.elasticache(CREDS, NOW, cache_name="cache", user_id="u1",
                                            region="us-east-1", serverless=True)),
    "memorydb": (["--cluster-name", "mem", "--user-id", "u1"],
                 lambda o: o.elasticache(CREDS, NOW, cache_name="mem", user_id="u1",
                                         region="us-east-1", signing_name="memorydb")),
    "msk": (["--user-agent", "aws-msk-iam-sasl-signer-python/1.0.2"],
            lambda o: o.msk(CREDS, NOW, region="us-east-1")[0]),
    "bedrock": ([], lambda o: o.bedrock(CREDS, NOW, region="us-east-1")),
    "websocket": (["wss://a.iot.us-east-1.amazonaws.com/mqtt", "--service", "iotdevicegateway"],
                  lambda o: o.crt_query(CREDS, NOW, url="wss://a.iot.us-east-1.amazonaws.com/mqtt",
                                        region="us-east-1", service="iotdevicegateway",
                                        expires=3600, sign_token=False)),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_prints_its_oracles_token(oracles: ModuleType, command: str) -> None:
    args, made = COMMANDS[command]
    result = run_cli("token", command, *args, "--timestamp", STAMP)
    assert_clean(result, codes=(0,))
    assert result.stdout.decode() == made(oracles) + "\n"
    assert SECRET not in result.output


def test_msk_json_gives_the_expiry_in_ms() -> None:
    result = run_cli("token", "msk", "--region", "cn-northwest-1", "--timestamp", STAMP,
                     "--output", "json")
    data = json.loads(result.stdout)
    assert data["expiry_ms"] == (int(NOW.timestamp()) + 900) * 1000
    url = tokens.decode_token(data["token"])
    assert url is not None and url.startswith("https://kafka.cn-northwest-1.amazonaws.com.cn/")


@pytest.mark.parametrize(("args", "option"), [
    (["rds", "--hostname", "https://db", "--port", "1", "--username", "u"], "--hostname"),
    (["dsql", "--hostname", "h", "--expires-in", "0"], "--expires-in"),
    (["eks", "--cluster-name", "bad name"], "--cluster-name"),
    (["eks"], "--cluster-name"),
    (["websocket", "wss://x.transcribestreaming.us-east-1.amazonaws.com:8443/s",
      "--service", "transcribe", "--expires-in", "301"], "--expires-in"),
])
def test_bad_options_are_one_line_naming_the_option(args: list[str], option: str) -> None:
    result = run_cli("token", *args)
    assert_clean(result, codes=(2,))
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and option in lines[0], result.stderr


def test_every_token_command_has_help_ending_with_an_example() -> None:
    from click.testing import CliRunner

    from sigv4kit.cli import cli

    runner = CliRunner()
    assert "  token " in runner.invoke(cli, ["--help"]).output
    for name in ("rds", "dsql", "eks", "elasticache", "memorydb", "msk", "bedrock", "websocket"):
        result = runner.invoke(cli, ["token", name, "--help"])
        assert result.exit_code == 0, name
        tail = result.output.strip().splitlines()
        assert any("Example" in line for line in tail[-6:]) and "sigv4kit" in tail[-1], name
