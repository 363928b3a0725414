"""Reading botocore's data without botocore (``sigv4kit.aws.data``) and evaluating the ec2
endpoint rules without its engine (``sigv4kit.aws.endpoints._Rules``) give botocore's answers.

Both exist so that ``sigv4kit presign copy-snapshot`` starts without importing botocore; these
tests hold them to botocore's own Loader and EndpointProvider, entry by entry.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.loaders
import pytest
from botocore.endpoint_provider import EndpointProvider

from sigv4kit.aws import data as _botocore_data
from sigv4kit.aws import endpoints
from sigv4kit.ec2.serializer import API_VERSION


@pytest.fixture(scope="module")
def ec2_model() -> dict[str, Any]:
    model: dict[str, Any] = botocore.loaders.Loader().load_service_model(
        "ec2", "service-2", api_version=API_VERSION
    )
    return model


def test_every_operation_and_shape_read_piecemeal_equals_botocores(
    ec2_model: dict[str, Any],
) -> None:
    data = _botocore_data.service_model_data("ec2", API_VERSION)
    assert data is not None
    assert data.metadata == ec2_model["metadata"]
    for name, operation in ec2_model["operations"].items():
        assert data.operation(name) == operation, name
    for name, shape in ec2_model["shapes"].items():
        assert data.shape(name) == shape, name
    assert data.operation("NoSuchOperation") is None
    assert data.shape("NoSuchShape") is None
    assert sorted(data.operation_names()) == sorted(ec2_model["operations"])


def test_a_model_in_another_layout_is_parsed_whole(ec2_model: dict[str, Any]) -> None:
    minified = json.dumps(ec2_model, separators=(",", ":")).encode()
    data = _botocore_data.ServiceModelData(minified)
    assert data.metadata == ec2_model["metadata"]
    assert data.operation("CopySnapshot") == ec2_model["operations"]["CopySnapshot"]
    assert data.shape("CopySnapshotRequest") == ec2_model["shapes"]["CopySnapshotRequest"]


def test_small_files_equal_botocores() -> None:
    loader = botocore.loaders.Loader()
    assert _botocore_data.load_data("partitions") == loader.load_data("partitions")
    assert _botocore_data.load_service_model(
        "ec2", "endpoint-rule-set-1"
    ) == loader.load_service_model("ec2", "endpoint-rule-set-1")


@pytest.fixture
def customer_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A ~/.aws/models folder: botocore's Loader searches it first, so we must defer to it."""
    (tmp_path / ".aws" / "models").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(tmp_path))
    _botocore_data._builtin_data_dir.cache_clear()
    yield
    monkeypatch.undo()
    _botocore_data._builtin_data_dir.cache_clear()


@pytest.mark.usefixtures("customer_models")
def test_with_customer_models_botocores_loader_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    class Loader:
        def load_data(self, name: str) -> Any:
            asked.append(name)
            return {"from": "botocore"}

    monkeypatch.setattr(_botocore_data, "_botocore_loader", Loader)
    assert _botocore_data._builtin_data_dir() is None
    assert _botocore_data.service_model_data("ec2", API_VERSION) is None
    assert _botocore_data.load_data("partitions") == {"from": "botocore"}
    assert asked == ["partitions"]


def _regions() -> list[str]:
    regions = {"us-east-99", "cn-south-9", "us-gov-central-1", "eu-isoe-west-9", "mars-north-1"}
    for partition in endpoints._partition_data()["partitions"]:
        regions.update(partition["regions"])
    return sorted(regions)


@pytest.mark.parametrize("region", _regions())
def test_endpoint_rules_evaluated_here_equal_botocores_engine(region: str) -> None:
    loader = botocore.loaders.Loader()
    engine = EndpointProvider(
        ruleset_data=loader.load_service_model("ec2", "endpoint-rule-set-1"),
        partition_data=loader.load_data("partitions"),
    )
    rules = endpoints._rules_provider()._rules
    for fips in (False, True):
        for dualstack in (False, True):
            params = {"Region": region, "UseFIPS": fips, "UseDualStack": dualstack}
            try:
                theirs = engine.resolve_endpoint(**params).url
            except botocore.exceptions.EndpointResolutionError:
                with pytest.raises(endpoints._Unsupported):  # so botocore raises it for us
                    rules.evaluate(params)
                continue
            assert rules.evaluate(params) == theirs, params


def test_presign_copy_snapshot_cli_never_imports_botocore() -> None:
    code = (
        "import sys\n"
        "from sigv4kit.cli import main\n"
        "try:\n"
        "    main(['presign', 'copy-snapshot', '--source-region', 'us-west-2',\n"
        "          '--source-snapshot-id', 'snap-066877671789bd71b',\n"
        "          '--destination-region', 'us-east-1'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('botocore', 'logging')))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
        AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[0].startswith("https://ec2.us-west-2.amazonaws.com/?Action=CopySnapshot&")
    assert out[-1] == "[]"
