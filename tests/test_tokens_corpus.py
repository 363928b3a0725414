"""The token corpus (``vectors/tokens/tokens.json``, made by AWS's own tools; see
``vectors/tokens/generate.py``) read without any of those tools: every token explains with
no warning under its kind's name and verifies; the CLI's explain exits 0 and verify says valid.
A token's rule broken (RDS past 900 s, Transcribe past 300 s, EKS past 60 s) is a warning."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sigv4kit import Credentials, tokens, verify_request
from sigv4kit.diagnose.explain import explain_request, render_text, to_dict
from sigv4kit.wire import parse_url_request
from tests.cli_process import cli_env, run_cli

CORPUS = json.loads((Path(__file__).resolve().parent.parent / "vectors" / "tokens"
                     / "tokens.json").read_text())
NOW = CORPUS["now"]
TITLES = {"rds": "RDS IAM auth token for app_user@", "dsql": "Aurora DSQL auth token for",
          "eks": "EKS token", "elasticache": "ElastiCache IAM auth token for user app",
          "memorydb": "MemoryDB IAM auth token for user app", "msk": "MSK IAM SASL token",
          "bedrock": "Bedrock API key", "iot": "AWS IoT MQTT-over-WebSocket URL",
          "transcribe": "Amazon Transcribe streaming WebSocket URL",
          "websocket": "WebSocket URL presigned for execute-api"}


def _creds(case: dict[str, Any]) -> Credentials:
    c = CORPUS["credentials"][case["profile"]]
    return Credentials(c["access_key_id"], c["secret_access_key"], c["session_token"])


def _id(case: dict[str, Any]) -> str:
    return f"{case['kind']}-{case['profile']}-{case['region']}"


@pytest.mark.parametrize("case", CORPUS["cases"], ids=_id)
def test_each_token_explains_without_warning_and_verifies(case: dict[str, Any]) -> None:
    request = parse_url_request(case["token"], method=case["method"],
                                headers=[tuple(h) for h in case["headers"]])
    explained = explain_request(request, now=NOW)
    assert explained.warnings == (), [w.message for w in explained.warnings]
    first = render_text(explained).splitlines()[0]
    assert first.startswith("Token:") and TITLES[case["kind"]] in first, first
    assert explained.kind is not None and explained.kind.name == case["kind"]
    creds = _creds(case)
    result = verify_request(request, lambda _: creds, now=NOW)
    assert result.valid, (result.reason, result.message)


def test_eks_without_its_header_is_a_note_not_a_warning() -> None:
    case = next(c for c in CORPUS["cases"] if c["kind"] == "eks")
    explained = explain_request(parse_url_request(case["token"]), now=NOW)
    assert explained.warnings == ()
    assert explained.kind is not None
    assert explained.kind.title == ("EKS token for a cluster named in x-k8s-aws-id, which the "
                                    "token does not carry")
    assert any("--header 'x-k8s-aws-id: CLUSTER'" in n for n in explained.kind.notes)
    assert to_dict(explained)["kind"]["name"] == "eks"


def test_unsigned_parts_are_named_as_such() -> None:
    for kind, words in (("msk", "User-Agent=aws-msk-iam-sasl-signer-python%2F"),
                        ("bedrock", "Version=1"), ("iot", "X-Amz-Security-Token")):
        case = next(c for c in CORPUS["cases"] if c["kind"] == kind and c["profile"] == "session")
        explained = explain_request(parse_url_request(case["token"], method=case["method"]),
                                    now=NOW)
        assert explained.kind is not None
        assert any(words in n and "unsigned" in n for n in explained.kind.notes), kind


C = Credentials("AKIDEXAMPLE", "secret", "TOKEN")


@pytest.mark.parametrize(("url", "code"), [
    ("https://db:5432/?Action=connect&DBUser=u", "rds_expires"),
    ("wss://transcribestreaming.us-east-1.amazonaws.com:8443/s?language-code=en-US",
     "transcribe_expires"),
])
def test_a_kinds_expiry_cap_is_checked(url: str, code: str) -> None:
    service = "rds-db" if code.startswith("rds") else "transcribe"
    from sigv4kit import Request, presign

    signed = presign(Request("GET", url), C, region="us-east-1", service=service,
                     expires=3600, timestamp=NOW).url
    explained = explain_request(parse_url_request(signed), now=NOW)
    assert [w.code for w in explained.warnings] == [code]


def test_a_mutated_corpus_token_is_refused() -> None:
    case = next(c for c in CORPUS["cases"] if c["kind"] == "rds")
    token = case["token"].replace("DBUser=app_user", "DBUser=app_usex")
    creds = _creds(case)
    assert not verify_request(parse_url_request(token), lambda _: creds, now=NOW).valid


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["eks", "msk", "bedrock"])
def test_cli_explain_exits_0_and_verify_says_valid(kind: str) -> None:
    case = next(c for c in CORPUS["cases"] if c["kind"] == kind and c["profile"] == "long-term")
    args = ["--now", NOW, "--method", case["method"]]
    headers = [a for h in case["headers"] for a in ("--header", f"{h[0]}: {h[1]}")]
    explained = run_cli("explain", case["token"], *args)
    assert explained.code == 0, explained.output
    assert explained.stdout.decode().startswith("Token:")
    env = cli_env(AWS_SECRET_ACCESS_KEY=CORPUS["credentials"]["long-term"]["secret_access_key"])
    del env["AWS_SESSION_TOKEN"]
    verified = run_cli("verify", case["token"], *args, *headers, env=env)
    assert verified.code == 0 and verified.stdout.startswith(b"valid"), verified.output


def test_the_corpus_covers_every_kind_in_both_profiles_and_three_partitions() -> None:
    seen = {(c["kind"], c["profile"], c["region"]) for c in CORPUS["cases"]}
    assert len(seen) == len(TITLES) * 2 * 3
    assert tokens.dns_suffix("cn-north-1") == "amazonaws.com.cn"
