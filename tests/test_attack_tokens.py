"""Attack review of the token surface (``sigv4kit.tokens``, ``sigv4kit token``, the kinds in
explain/verify): what an attacker or a careless user sends, and what must not happen.

The verifier leaves MSK's ``User-Agent`` and a Bedrock key's ``Version=1`` out of what it
checks, because the tools AWS ships append them after signing. That exemption must belong to
those tokens only: never let an unsigned parameter ride along on any other presigned URL.
"""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest

from sigv4kit import Credentials, Request, SigningError, tokens, verify_presigned_url
from sigv4kit.options import S3_PRESIGN_OPTIONS, SigningOptions
from sigv4kit.signing import presign
from sigv4kit.wire import token_url
from tests.cli_process import cli_env, run_cli

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
C = Credentials("AKIDEXAMPLE", SECRET)


def _valid(url: str, method: str = "GET") -> bool:
    return verify_presigned_url(url, lambda _: C, method=method, now=NOW).valid


def _presigned(url: str, service: str, method: str = "GET",
               options: SigningOptions | None = None) -> str:
    return presign(Request(method, url), C, region="us-east-1", service=service, expires=600,
                   timestamp=NOW, **(options or {})).url


def _oracles() -> ModuleType:
    path = Path(__file__).resolve().parent.parent / "vectors" / "tokens" / "oracles.py"
    spec = importlib.util.spec_from_file_location("token_oracles", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- unsigned parameters smuggled past the verifier ---------------------------------------

_SCOPE = "AKIDEXAMPLE%2F20260301%2Fus-east-1%2F{}%2Faws4_request"


@pytest.mark.parametrize(("service", "options"), [("s3", S3_PRESIGN_OPTIONS), ("ec2", {})])
@pytest.mark.parametrize(("kind", "appended"), [("bedrock", "&Version=1"),
                                                ("kafka-cluster", "&User-Agent=x")])
def test_a_token_scope_in_the_path_does_not_exempt_another_urls_query(
        service: str, options: SigningOptions, kind: str, appended: str) -> None:
    """An S3 key (or any path) may hold a raw ``&X-Amz-Credential=…/bedrock/…``: the exemption
    was decided by the first such text anywhere in the URL, so an S3 or EC2 presigned URL
    verified as valid with ``&Version=1`` or ``&User-Agent=`` added unsigned."""
    path = f"/key&X-Amz-Credential={_SCOPE.format(kind)}"
    url = _presigned(f"https://bucket.s3.amazonaws.com{path}", service, options=options)
    assert _valid(url)
    assert not _valid(url + appended)
    assert tokens.split_appended(url + appended) == (url + appended, ())


@pytest.mark.parametrize("appended", ["&Version=1", "&Version=2", "&Version=1&Version=1",
                                      "&Version=1&X-Amz-Foo=1"])
def test_another_bedrock_signed_url_gets_no_exemption(appended: str) -> None:
    """Bedrock Runtime signs for ``bedrock`` too: only ``Action=CallWithBearerToken`` on
    ``bedrock.amazonaws.com`` is a Bedrock API key, and it appends ``Version=1`` once."""
    for url in (
        _presigned("https://bedrock-runtime.us-east-1.amazonaws.com/model/m/invoke", "bedrock"),
        _presigned("https://bedrock.amazonaws.com/?Action=ListFoundationModels", "bedrock",
                   "POST"),
        _presigned("https://evil.example/?Action=CallWithBearerToken", "bedrock", "POST"),
    ):
        method = "GET" if "invoke" in url else "POST"
        assert _valid(url, method)
        assert not _valid(url + appended, method), url


def test_a_real_bedrock_key_takes_only_its_own_version() -> None:
    oracles = _oracles()
    key = oracles.bedrock(("AKIDEXAMPLE", SECRET, None), NOW, region="us-east-1")
    url = token_url(key)
    assert url.endswith("&Version=1") and _valid(url, "POST")
    signed = url.removesuffix("&Version=1")
    for tail in ("&Version=2", "&Version=1&Version=1", "&Version=", "&Version", "&User-Agent=x"):
        assert not _valid(signed + tail, "POST"), tail


def test_another_kafka_cluster_signed_url_gets_no_exemption() -> None:
    for url in (
        _presigned("https://kafka.us-east-1.amazonaws.com/?Action=kafka-cluster%3AWriteData",
                   "kafka-cluster"),
        _presigned("https://evil.example/?Action=kafka-cluster%3AConnect", "kafka-cluster"),
    ):
        assert _valid(url)
        assert not _valid(url + "&User-Agent=x"), url


def test_a_real_msk_token_takes_one_user_agent_of_the_usual_form() -> None:
    oracles = _oracles()
    made, _, agent = oracles.msk(("AKIDEXAMPLE", SECRET, None), NOW, region="us-east-1")
    url = token_url(made)
    assert _valid(url) and url.endswith("&User-Agent=" + agent.replace("/", "%2F"))
    signed = url.rpartition("&")[0]
    for tail in ("&User-Agent=a&User-Agent=b", "&User-Agent=a=b", "&User-Agent=",
                 "&Version=1", "&User-Agent=a#frag"):
        assert not _valid(signed + tail), tail


# --- inputs that raised something other than SigningError ---------------------------------


def test_a_timestamp_whose_token_ends_after_year_9999_is_a_signing_error() -> None:
    with pytest.raises(SigningError, match=r"timestamp: .*year 9999"):
        tokens.rds_auth_token(C, hostname="db", port=1, username="u", region="us-east-1",
                              timestamp="9999-12-31T23:59:59Z")
    with pytest.raises(SigningError, match="timestamp"):
        tokens.eks_token(C, cluster_name="c", region="us-east-1",
                         timestamp="9999-12-31T23:50:00Z")
    result = run_cli("token", "rds", "--hostname", "db", "--port", "1", "--username", "u",
                     "--timestamp", "9999-12-31T23:59:59Z")
    assert result.code == 2 and result.stdout == b""
    assert result.stderr.startswith("Error: Invalid value for --timestamp: ")
    assert result.stderr.count("\n") == 1


def test_hostile_kubernetes_exec_info_falls_back_as_unparsable() -> None:
    """KUBERNETES_EXEC_INFO is the kubelet's/kubectl's; nested deeper than Python's parser goes
    it raised RecursionError from ``exec_api_version`` (the CLI refused to log in)."""
    version, note = tokens.exec_api_version("[" * 100_000)
    assert version == "client.authentication.k8s.io/v1beta1"
    assert note is not None and note.startswith("Error parsing KUBERNETES_EXEC_INFO")
    result = run_cli("token", "eks", "--cluster-name", "c", "--timestamp", "2026-03-01T12:00:00Z",
                     env=cli_env(KUBERNETES_EXEC_INFO='{"a":' + "[" * 100_000))
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    assert result.stderr.startswith("Error parsing KUBERNETES_EXEC_INFO")


def test_exec_credential_refuses_a_naive_expiration() -> None:
    """A naive datetime was read in the machine's time zone: kubectl got a time off by hours."""
    with pytest.raises(SigningError, match=r"token: .*aware"):
        tokens.exec_credential(tokens.EksToken("k8s-aws-v1.x", datetime(2026, 3, 1, 12, 14)))


# --- WebSocket URLs as awscrt writes them -------------------------------------------------


@pytest.mark.parametrize("url", ["wss://h.example.com", "wss://h.example.com/p?a",
                                 "wss://h.example.com/?&a&&b=1", "wss://h.example.com/?",
                                 "wss://h.example.com/p?a==b&=c"])
@pytest.mark.parametrize("service", ["execute-api", "iotdevicegateway"])
def test_websocket_url_is_awscrts_text_for_odd_but_valid_urls(url: str, service: str) -> None:
    """An empty path, a parameter without '=' and '&&' were kept as given: the same signature
    as awscrt's, but not its text (awscrt writes '/', 'a=' and drops the empty ones)."""
    pytest.importorskip("awscrt")
    creds = ("AKIDEXAMPLE", SECRET, "IQoJb3JpZ2luX2VjEXAMPLE/+=TOKEN")
    theirs = _oracles().crt_query(creds, NOW, url=url, region="us-east-1", service=service,
                                  expires=600, sign_token=service != "iotdevicegateway")
    ours = tokens.websocket_url(Credentials(*creds), url, region="us-east-1", service=service,
                                expires=600, timestamp=NOW)
    assert ours == theirs
    assert verify_presigned_url(ours, lambda _: Credentials(*creds), now=NOW).valid


@pytest.mark.parametrize(("url", "rule"), [("wss://user:pw@h.example.com/", "user:password@"),
                                           ("wss://h.example.com/#frag", "#fragment"),
                                           ("wss://h.example.com/?a=1#frag", "#fragment")])
def test_websocket_url_refuses_what_rfc_6455_has_no_place_for(url: str, rule: str) -> None:
    """A password in the URL was kept next to the presigned credential, a fragment silently
    dropped; neither is part of a WebSocket URI."""
    with pytest.raises(SigningError, match=rule):
        tokens.websocket_url(C, url, region="us-east-1", timestamp=NOW)
    result = run_cli("token", "websocket", url, "--timestamp", "2026-03-01T12:00:00Z")
    assert result.code == 2 and result.stdout == b"" and result.stderr.count("\n") == 1
    assert rule in result.stderr and "pw" not in result.stderr


# --- what explain prints ------------------------------------------------------------------

_HOSTILE = "%1B%5D0%3Bpwn%07%E2%80%AE%0D"
"""ESC ] 0 ; pwn BEL (sets a terminal's title), a right-to-left override, CR: percent-encoded
in a signed parameter, decoded by the kind's title."""


@pytest.mark.parametrize("url", [
    f"https://db.example.com:5432/?Action=connect&DBUser={_HOSTILE}",
    f"https://cache/?Action=connect&User={_HOSTILE}",
    f"wss://transcribestreaming.us-east-1.amazonaws.com:8443/x?language-code={_HOSTILE}"
    "&media-encoding=pcm&sample-rate=1",
])
def test_a_kinds_title_shows_control_characters_escaped(url: str) -> None:
    service = {"db": "rds-db", "ca": "elasticache", "tr": "transcribe"}[url.split("//")[1][:2]]
    signed = _presigned(url, service)
    result = run_cli("explain", signed, "--now", "2026-03-01T12:00:00Z")
    assert result.code in (0, 1), result.stderr  # 1: a warning (Transcribe's 300 s cap)
    text = result.stdout.decode()
    assert text.startswith("Token:") and "\\x1b]0;pwn\\x07\\u202e\\r" in text.splitlines()[0]
    assert not any(c in text for c in "\x1b\x07\u202e\r")
