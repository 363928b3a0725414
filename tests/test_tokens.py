"""sigv4kit.tokens against the tools AWS ships for each token, byte for byte, clock frozen.

The oracles (``vectors/tokens/oracles.py``): botocore's ``generate_db_auth_token`` and
``generate_db_connect[_admin]_auth_token``, the AWS CLI v1's ``aws eks get-token`` run in
process, the AWS docs' ElastiCache ``RequestSigner`` sample (MemoryDB with ``memorydb``),
``aws-msk-iam-sasl-signer-python``, ``aws-bedrock-token-generator`` and awscrt's query
signing. Each kind in both credential profiles and in the aws, aws-cn and aws-us-gov
partitions; then every token verifies and one-byte changes to it are refused.
"""

from __future__ import annotations

import importlib.util
import json
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from sigv4kit import Credentials, SigningError, tokens, verify_presigned_url
from sigv4kit.wire import token_url

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
PROFILES = {
    "session": ("AKIDEXAMPLE", SECRET, "IQoJb3JpZ2luX2VjEXAMPLE/+=TOKEN"),
    "long-term": ("AKIDEXAMPLE", SECRET, None),
}
REGIONS = ("us-east-1", "cn-north-1", "us-gov-west-1")


def _load_oracles() -> ModuleType:
    path = Path(__file__).resolve().parent.parent / "vectors" / "tokens" / "oracles.py"
    spec = importlib.util.spec_from_file_location("token_oracles", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def oracles() -> ModuleType:
    pytest.importorskip("botocore")
    return _load_oracles()


Case = Callable[[ModuleType, tuple[str, str, str | None], Credentials, str], tuple[Any, Any]]


def _rds(o: ModuleType, c: Any, creds: Credentials, region: str) -> tuple[Any, Any]:
    args = {"hostname": "mydb.c1abcd.example.rds.amazonaws.com", "port": 5432,
            "username": "jane doe+ops", "region": region}
    return o.rds(c, NOW, **args), tokens.rds_auth_token(creds, **args, timestamp=NOW)


def _dsql(admin: bool) -> Case:
    def case(o: ModuleType, c: Any, creds: Credentials, region: str) -> tuple[Any, Any]:
        host = "abcdefghijklmnopqrst.dsql.us-east-1.on.aws"
        return (o.dsql(c, NOW, hostname=host, region=region, admin=admin),
                tokens.dsql_auth_token(creds, hostname=host, region=region, admin=admin,
                                       timestamp=NOW))
    return case


def _eks(o: ModuleType, c: Any, creds: Credentials, region: str) -> tuple[Any, Any]:
    token = tokens.eks_token(creds, cluster_name="prod_cluster-1", region=region, timestamp=NOW)
    return o.eks(c, NOW, cluster="prod_cluster-1", region=region), tokens.exec_credential(token)


def _elasticache(serverless: bool) -> Case:
    def case(o: ModuleType, c: Any, creds: Credentials, region: str) -> tuple[Any, Any]:
        args = {"cache_name": "my-cache-01", "user_id": "iam user", "region": region,
                "serverless": serverless}
        return o.elasticache(c, NOW, **args), tokens.elasticache_auth_token(
            creds, **args, timestamp=NOW)
    return case


def _memorydb(o: ModuleType, c: Any, creds: Credentials, region: str) -> tuple[Any, Any]:
    theirs = o.elasticache(c, NOW, cache_name="my-cluster", user_id="app-user", region=region,
                           signing_name="memorydb")
    return theirs, tokens.memorydb_auth_token(creds, cluster_name="my-cluster",
                                              user_id="app-user", region=region, timestamp=NOW)


def _msk(o: ModuleType, c: Any, creds: Credentials, region: str) -> tuple[Any, Any]:
    # The library hard-codes .amazonaws.com; its template is given the partition's suffix,
    # which is the only change (vectordotdev/vector#25751).
    token, expiry, agent = o.msk(c, NOW, region=region, dns_suffix=tokens.dns_suffix(region))
    return (token, expiry), tokens.msk_auth_token(creds, region=region, user_agent=agent,
                                                  timestamp=NOW)


def _bedrock(o: ModuleType, c: Any, creds: Credentials, region: str) -> tuple[Any, Any]:
    return o.bedrock(c, NOW, region=region), tokens.bedrock_api_key(creds, region=region,
                                                                     timestamp=NOW)


def _iot(o: ModuleType, c: Any, creds: Credentials, region: str) -> tuple[Any, Any]:
    host = f"a1b2c3d4e5f6g7-ats.iot.{region}.{tokens.dns_suffix(region)}"
    theirs = o.crt_query(c, NOW, url=f"wss://{host}/mqtt", region=region,
                         service="iotdevicegateway", expires=3600, sign_token=False)
    return theirs, tokens.iot_mqtt_url(creds, endpoint=host, region=region, timestamp=NOW)


def _transcribe(o: ModuleType, c: Any, creds: Credentials, region: str) -> tuple[Any, Any]:
    url = (f"wss://transcribestreaming.{region}.{tokens.dns_suffix(region)}:8443/"
           "stream-transcription-websocket?language-code=en-US&media-encoding=pcm"
           "&sample-rate=16000&vocabulary-name=my%20words")
    theirs = o.crt_query(c, NOW, url=url, region=region, service="transcribe", expires=300)
    return theirs, tokens.transcribe_streaming_url(
        creds, region=region, language_code="en-US", media_encoding="pcm", sample_rate=16000,
        vocabulary_name="my words", timestamp=NOW)


def _websocket(o: ModuleType, c: Any, creds: Credentials, region: str) -> tuple[Any, Any]:
    url = f"wss://abc123.execute-api.{region}.{tokens.dns_suffix(region)}/prod?room=a%20b"
    theirs = o.crt_query(c, NOW, url=url, region=region, service="execute-api", expires=600)
    return theirs, tokens.websocket_url(creds, url, region=region, service="execute-api",
                                        expires=600, timestamp=NOW)


CASES: dict[str, Case] = {
    "rds": _rds, "dsql": _dsql(False), "dsql-admin": _dsql(True), "eks": _eks,
    "elasticache": _elasticache(False), "elasticache-serverless": _elasticache(True),
    "memorydb": _memorydb, "msk": _msk, "bedrock": _bedrock, "iot": _iot,
    "transcribe": _transcribe, "websocket": _websocket,
}


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("kind", sorted(CASES))
def test_each_kind_equals_its_oracle(oracles: ModuleType, kind: str, profile: str,
                                     region: str) -> None:
    c = PROFILES[profile]
    theirs, ours = CASES[kind](oracles, c, Credentials(*c), region)
    assert ours == theirs


def test_eks_exec_credential_api_version_as_the_aws_cli(oracles: ModuleType) -> None:
    c = PROFILES["session"]
    token = tokens.eks_token(Credentials(*c), cluster_name="c1", region="eu-west-1",
                             timestamp=NOW)
    for info in ('{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential"}',
                 '{"apiVersion": "client.authentication.k8s.io/v1alpha1"}', "not json", ""):
        theirs = oracles.eks(c, NOW, cluster="c1", region="eu-west-1", exec_info=info)
        version, _ = tokens.exec_api_version(info)
        assert tokens.exec_credential(token, version) == theirs


def test_eks_cluster_id_signs_the_id() -> None:
    creds = Credentials(*PROFILES["session"])
    token = tokens.eks_token(creds, cluster_id="0123abcd-4567-89ef", region="us-west-2",
                             timestamp=NOW).token
    assert verify_presigned_url(token, lambda _: creds, now=NOW,
                                headers=[("x-k8s-aws-id", "0123abcd-4567-89ef")]).valid
    assert not verify_presigned_url(token, lambda _: creds, now=NOW,
                                    headers=[("x-k8s-aws-id", "other")]).valid


def test_default_ports_of_a_websocket_url_sign_as_without() -> None:
    creds = Credentials(*PROFILES["session"])
    plain = tokens.websocket_url(creds, "wss://h.execute-api.us-east-1.amazonaws.com/p",
                                 region="us-east-1", timestamp=NOW)
    explicit = tokens.websocket_url(creds, "wss://h.execute-api.us-east-1.amazonaws.com:443/p",
                                    region="us-east-1", timestamp=NOW)
    assert plain.rpartition("=")[2] == explicit.rpartition("=")[2]


def test_dns_suffix_agrees_with_botocore_partitions() -> None:
    botocore_data = pytest.importorskip("botocore.loaders")
    data = botocore_data.Loader().load_data("partitions")
    checked = 0
    for partition in data["partitions"]:
        for region in partition["regions"]:
            if region.startswith(partition["id"]) or not region[-1].isdigit():
                continue  # aws-global and the like are no Regions
            assert tokens.dns_suffix(region) == partition["outputs"]["dnsSuffix"], region
            checked += 1
    assert checked > 30


# --- validation ---------------------------------------------------------------------------

C = Credentials(*PROFILES["session"])
BAD: list[tuple[str, Callable[[], object]]] = [
    ("hostname", lambda: tokens.rds_auth_token(C, hostname="https://db.example.com", port=5432,
                                               username="u", region="us-east-1")),
    ("hostname", lambda: tokens.rds_auth_token(C, hostname="db/x", port=5432, username="u",
                                               region="us-east-1")),
    ("port", lambda: tokens.rds_auth_token(C, hostname="db", port=0, username="u",
                                           region="us-east-1")),
    ("port", lambda: tokens.rds_auth_token(C, hostname="db", port=True, username="u",
                                           region="us-east-1")),
    ("username", lambda: tokens.rds_auth_token(C, hostname="db", port=1, username="",
                                               region="us-east-1")),
    ("username", lambda: tokens.rds_auth_token(C, hostname="db", port=1, username="a\nb",
                                               region="us-east-1")),
    ("expires", lambda: tokens.rds_auth_token(C, hostname="db", port=1, username="u",
                                              region="us-east-1", expires=901)),
    ("region", lambda: tokens.dsql_auth_token(C, hostname="h", region="US_EAST")),
    ("expires", lambda: tokens.dsql_auth_token(C, hostname="h", region="us-east-1",
                                               expires=604801)),
    ("cluster_name", lambda: tokens.eks_token(C, cluster_name="bad name", region="us-east-1")),
    ("cluster_name", lambda: tokens.eks_token(C, region="us-east-1")),
    ("cache_name", lambda: tokens.elasticache_auth_token(C, cache_name="a.b", user_id="u",
                                                         region="us-east-1")),
    ("user_id", lambda: tokens.memorydb_auth_token(C, cluster_name="c", user_id="",
                                                   region="us-east-1")),
    ("user_agent", lambda: tokens.msk_auth_token(C, region="us-east-1", user_agent="a b")),
    ("expires", lambda: tokens.bedrock_api_key(C, region="us-east-1", expires=43201)),
    ("expires", lambda: tokens.transcribe_streaming_url(
        C, region="us-east-1", language_code="en-US", media_encoding="pcm", sample_rate=8000,
        expires=301)),
    ("sample_rate", lambda: tokens.transcribe_streaming_url(
        C, region="us-east-1", language_code="en-US", media_encoding="pcm", sample_rate="8k")),
    ("url", lambda: tokens.websocket_url(C, "https://x/", region="us-east-1")),
    ("endpoint", lambda: tokens.iot_mqtt_url(C, endpoint="wss://x", region="us-east-1")),
    ("credentials", lambda: tokens.bedrock_api_key("AKID:secret", region="us-east-1")),  # type: ignore[arg-type]
    ("api_version", lambda: tokens.exec_credential(
        tokens.eks_token(C, cluster_name="c", region="us-east-1"), "v2")),
]


@pytest.mark.parametrize(("field", "call"), BAD)
def test_bad_input_is_one_line_naming_the_field(field: str, call: Callable[[], object]) -> None:
    with pytest.raises(SigningError) as info:
        call()
    assert info.value.field == field
    message = str(info.value)
    assert message.startswith(f"{field}:") and "\n" not in message
    assert SECRET not in message and "TOKEN" not in message


def test_expired_credentials_are_refused() -> None:
    expired = Credentials("AKIDEXAMPLE", SECRET, "T", expiration=NOW - timedelta(seconds=1))
    with pytest.raises(SigningError, match=r"^credentials: expired at 2026-03-01T11:59:59Z"):
        tokens.rds_auth_token(expired, hostname="db", port=1, username="u", region="us-east-1",
                              timestamp=NOW)


def test_a_token_outliving_its_credentials_warns_and_otherwise_not() -> None:
    soon = Credentials("AKIDEXAMPLE", SECRET, "T", expiration=NOW + timedelta(minutes=5))
    with pytest.warns(tokens.TokenOutlivesCredentials, match="expire at 2026-03-01T12:05:00Z"):
        tokens.eks_token(soon, cluster_name="c", region="us-east-1", timestamp=NOW)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tokens.msk_auth_token(
            Credentials("AKIDEXAMPLE", SECRET, "T", expiration=NOW + timedelta(hours=1)),
            region="us-east-1", timestamp=NOW)


def test_a_provider_is_asked_for_credentials() -> None:
    asked: list[int] = []

    def provider() -> Credentials:
        asked.append(1)
        return C

    assert tokens.bedrock_api_key(provider, region="us-east-1", timestamp=NOW) == \
        tokens.bedrock_api_key(C, region="us-east-1", timestamp=NOW)
    assert asked == [1]


# --- verify: every token, and its one-byte changes ----------------------------------------

def _made(kind: str) -> tuple[str, str, list[tuple[str, str]]]:
    """(token as issued, method, headers to send with it)."""
    region = "us-west-2"
    if kind == "eks":
        token = tokens.eks_token(C, cluster_name="prod", region=region, timestamp=NOW).token
        return token, "GET", [("x-k8s-aws-id", "prod")]
    if kind == "bedrock":
        return tokens.bedrock_api_key(C, region=region, timestamp=NOW), "POST", []
    made: dict[str, Callable[[], str]] = {
        "rds": lambda: tokens.rds_auth_token(C, hostname="db.example.com", port=3306,
                                             username="app", region=region, timestamp=NOW),
        "dsql": lambda: tokens.dsql_auth_token(C, hostname="x.dsql.us-west-2.on.aws",
                                               region=region, timestamp=NOW),
        "elasticache": lambda: tokens.elasticache_auth_token(
            C, cache_name="cache", user_id="u", region=region, serverless=True, timestamp=NOW),
        "memorydb": lambda: tokens.memorydb_auth_token(C, cluster_name="c", user_id="u",
                                                       region=region, timestamp=NOW),
        "msk": lambda: tokens.msk_auth_token(C, region=region, timestamp=NOW)[0],
        "iot": lambda: tokens.iot_mqtt_url(C, endpoint="x-ats.iot.us-west-2.amazonaws.com",
                                           region=region, timestamp=NOW),
        "transcribe": lambda: tokens.transcribe_streaming_url(
            C, region=region, language_code="en-US", media_encoding="pcm", sample_rate=16000,
            timestamp=NOW),
        "websocket": lambda: tokens.websocket_url(
            C, "wss://a.execute-api.us-west-2.amazonaws.com/prod", region=region,
            timestamp=NOW),
    }
    return made[kind](), "GET", []


KINDS = ("rds", "dsql", "eks", "elasticache", "memorydb", "msk", "bedrock", "iot",
         "transcribe", "websocket")


def _signed_part(token: str) -> str | None:
    """What the token asks the server to verify: its signed URL, host in lower case (DNS)."""
    try:
        scheme, _, rest = tokens.split_appended(token_url(token))[0].partition("://")
    except Exception:
        return None
    host, slash, tail = rest.partition("/")
    return f"{scheme}://{host.lower()}{slash}{tail}"


@pytest.mark.parametrize("kind", KINDS)
def test_each_token_verifies_and_one_byte_changes_are_refused(kind: str) -> None:
    token, method, headers = _made(kind)

    def check(text: str) -> bool:
        return verify_presigned_url(text, lambda _: C, method=method, headers=headers,
                                    now=NOW).valid

    assert check(token)
    original = _signed_part(token)
    changed = 0
    for at in range(0, len(token), 3):
        mutated = token[:at] + ("1" if token[at] == "0" else "0") + token[at + 1:]
        if _signed_part(mutated) == original:
            continue  # base64 padding bits, or an unsigned appended parameter: same request
        assert not check(mutated), (kind, at)
        changed += 1
    assert changed > len(token) // 6


def test_appended_parameters_only_those_of_the_kind() -> None:
    url = token_url(tokens.msk_auth_token(C, region="us-east-1", timestamp=NOW)[0])
    signed, appended = tokens.split_appended(url)
    assert appended == (("User-Agent", "sigv4kit"),) and url.startswith(signed)
    assert verify_presigned_url(url, lambda _: C, now=NOW).valid
    assert not verify_presigned_url(url + "&Other=1", lambda _: C, now=NOW).valid
    rds = "https://" + tokens.rds_auth_token(C, hostname="db", port=1, username="u",
                                             region="us-east-1", timestamp=NOW)
    assert tokens.split_appended(rds + "&User-Agent=x") == (rds + "&User-Agent=x", ())
    assert not verify_presigned_url(rds + "&User-Agent=x", lambda _: C, now=NOW).valid


def test_exec_credential_is_json_as_kubectl_reads_it() -> None:
    token = tokens.eks_token(C, cluster_name="c", region="us-east-1", timestamp=NOW)
    data = json.loads(json.dumps(tokens.exec_credential(token)))
    assert data["status"]["expirationTimestamp"] == "2026-03-01T12:14:00Z"
    assert data["status"]["token"].startswith("k8s-aws-v1.")
