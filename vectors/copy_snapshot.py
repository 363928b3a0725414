"""CopySnapshot PresignedUrl vectors: what botocore's ``inject_presigned_url_ec2`` puts on the
wire for a CopySnapshot call, captured with the HTTP send stubbed and the clock frozen.

Run through ``vectors/generate.py`` (``python3 tasks.py vectors``); writes
``vectors/copy_snapshot/presigned_url.json``. Checked by tests/test_vectors_copy_snapshot.py,
which needs no botocore.
"""

from __future__ import annotations

import json
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sigv4kit import Credentials  # noqa: E402
from tests.botocore_ec2 import botocore_copy_snapshot_presigned_url  # noqa: E402

OUT = ROOT / "vectors" / "copy_snapshot"
KEY = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+EXAMPLE/token=="
PAIRS = [
    ("us-west-2", "us-east-1"), ("us-east-1", "eu-west-1"), ("ap-southeast-2", "ap-northeast-1"),
    ("eu-central-1", "eu-north-1"), ("sa-east-1", "us-east-2"), ("cn-north-1", "cn-northwest-1"),
    ("us-gov-west-1", "us-gov-east-1"), ("me-south-1", "il-central-1"),
]
EXTRAS: list[tuple[str, dict[str, Any]]] = [
    ("minimal", {}),
    ("description", {"Description": "Copy of snap/ü 1+1=2 & more ~*'()!:@ end"}),
    ("encrypted-kms", {"Encrypted": True,
                       "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab"}),
    ("encrypted", {"Encrypted": True}),
    ("tags", {"TagSpecifications": [{"ResourceType": "snapshot", "Tags": [
        {"Key": "Name", "Value": "copy 1"}, {"Key": "team", "Value": "storage/ops"},
        {"Key": "empty", "Value": ""}, {"Key": "ünï", "Value": "çødé"}]}]}),
    ("dry-run", {"DryRun": True}),
    ("completion-duration", {"CompletionDurationMinutes": 30}),
    ("everything", {
        "Description": "all", "Encrypted": True, "KmsKeyId": "alias/copy", "DryRun": False,
        "TagSpecifications": [{"ResourceType": "snapshot", "Tags": [{"Key": "a", "Value": "b"}]}],
    }),
]


def cases() -> list[dict[str, Any]]:
    rng = random.Random("sigv4kit-copy-snapshot")
    out = []
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(len(PAIRS) * 3):
        source, destination = PAIRS[i % len(PAIRS)]
        name, extra = EXTRAS[i % len(EXTRAS)]
        token = TOKEN if i % 3 == 1 else None
        snapshot = "snap-" + "".join(rng.choice("0123456789abcdef") for _ in range(17))
        now = start + timedelta(seconds=rng.randrange(0, 300 * 86400))
        creds = Credentials(*KEY, token)
        url = botocore_copy_snapshot_presigned_url(
            creds, destination, {"SourceRegion": source, "SourceSnapshotId": snapshot, **extra},
            now,
        )
        out.append({
            "id": f"{i:03d}-{name}-{source}-to-{destination}" + ("-token" if token else ""),
            "credentials": {"access_key_id": KEY[0], "secret_access_key": KEY[1],
                            "session_token": token},
            "source_region": source,
            "source_snapshot_id": snapshot,
            "destination_region": destination,
            "timestamp": now.strftime("%Y%m%dT%H%M%SZ"),
            "extra_params": extra,
            "expected_url": url,
        })
    return out


def main() -> int:
    import botocore

    OUT.mkdir(exist_ok=True)
    data = {
        "description": "CopySnapshot PresignedUrls as botocore's inject_presigned_url_ec2 puts "
                       "them on the wire (HTTP send stubbed, clock frozen); expires is 3600",
        "generator": f"botocore {botocore.__version__}",
        "cases": cases(),
    }
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    (OUT / "presigned_url.json").write_text(text, encoding="utf-8")
    print(f"{'copy_snapshot':15} {len(data['cases']):4} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
