"""Write ``vectors/tokens/tokens.json``: tokens made by the tools AWS ships for each kind
(``oracles.py``: botocore, the AWS CLI v1, the ElastiCache docs sample, the MSK and Bedrock
generators, awscrt), clock frozen, in both credential profiles and three partitions.

``tests/test_tokens_corpus.py`` reads only the JSON (no oracle needed at test time): each
token explains with exit 0 and no warning, names its kind, and verifies with the recorded
(example) secret. Deterministic: run it twice, get the same file.

    /work/main/.venv/bin/python vectors/tokens/generate.py
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import oracles

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
PROFILES = {"session": ("AKIDEXAMPLE", SECRET, "IQoJb3JpZ2luX2VjEXAMPLE/+=TOKEN"),
            "long-term": ("AKIDEXAMPLE", SECRET, None)}
PARTITIONS = {"us-west-2": "amazonaws.com", "cn-north-1": "amazonaws.com.cn",
              "us-gov-west-1": "amazonaws.com"}


def _cases(c: tuple[str, str, str | None], region: str, suffix: str) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = [
        {"kind": "rds", "token": oracles.rds(c, NOW, hostname=f"mydb.abc.{region}.rds.{suffix}",
                                             port=5432, username="app_user", region=region)},
        {"kind": "dsql", "token": oracles.dsql(c, NOW, hostname=f"x.dsql.{region}.on.aws",
                                               region=region, admin=False)},
        {"kind": "dsql", "token": oracles.dsql(c, NOW, hostname=f"x.dsql.{region}.on.aws",
                                               region=region, admin=True)},
        {"kind": "eks", "headers": [["x-k8s-aws-id", "prod"]],
         "token": oracles.eks(c, NOW, cluster="prod", region=region)["status"]["token"]},
        {"kind": "elasticache", "token": oracles.elasticache(
            c, NOW, cache_name="my-cache", user_id="app", region=region, serverless=True)},
        {"kind": "memorydb", "token": oracles.elasticache(
            c, NOW, cache_name="my-cluster", user_id="app", region=region,
            signing_name="memorydb")},
        {"kind": "msk", "token": oracles.msk(c, NOW, region=region, dns_suffix=suffix)[0]},
        {"kind": "bedrock", "method": "POST", "token": oracles.bedrock(c, NOW, region=region)},
        {"kind": "iot", "token": oracles.crt_query(
            c, NOW, url=f"wss://a1b2-ats.iot.{region}.{suffix}/mqtt", region=region,
            service="iotdevicegateway", expires=3600, sign_token=False)},
        {"kind": "transcribe", "token": oracles.crt_query(
            c, NOW, url=f"wss://transcribestreaming.{region}.{suffix}:8443/"
            "stream-transcription-websocket?language-code=en-US&media-encoding=pcm"
            "&sample-rate=16000", region=region, service="transcribe", expires=300)},
        {"kind": "websocket", "token": oracles.crt_query(
            c, NOW, url=f"wss://abc.execute-api.{region}.{suffix}/prod", region=region,
            service="execute-api", expires=600)},
    ]
    return cases


def main() -> None:
    import awscrt
    import botocore

    out = []
    for profile, c in PROFILES.items():
        for region, suffix in PARTITIONS.items():
            for case in _cases(c, region, suffix):
                out.append({"profile": profile, "region": region, "method": "GET",
                            "headers": [], **case})
    document = {
        "source": "vectors/tokens/generate.py",
        "versions": {"botocore": botocore.__version__, "awscrt": awscrt.__version__},
        "now": "20260301T120000Z",
        "credentials": {p: {"access_key_id": c[0], "secret_access_key": c[1],
                            "session_token": c[2]} for p, c in PROFILES.items()},
        "cases": out,
    }
    path = Path(__file__).resolve().parent / "tokens.json"
    path.write_text(json.dumps(document, indent=1, sort_keys=True, ensure_ascii=True) + "\n")


if __name__ == "__main__":
    main()
