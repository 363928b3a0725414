"""``sigv4kit ec2`` as a drop-in for ``aws ec2`` on the snapshot commands, proven against the
AWS CLI itself (installed with the test extra): its argument tables, shorthand parser,
text/table formatters, skeletons and the very requests it sends; and against moto's server
(SigV4 checking on) with the AWS CLI documentation's CopySnapshot examples. Every CLI run is
a real subprocess."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import botocore
import botocore.session
import pytest

from sigv4kit.testing.faulty_server import Delay, Error, FaultyServer, Ok

from .servers import MotoServer

SECRET = "CANARYsecretCANARYsecretCANARYsecret0123"
TOKEN = "CANARYtokenIQoJb3JpZ2luX2VjEXAMPLEtokenCANARY/+="
AWS = str(Path(sys.executable).parent / "aws")
OPERATIONS = {
    "copy-snapshot": "CopySnapshot",
    "create-snapshot": "CreateSnapshot",
    "import-snapshot": "ImportSnapshot",
    "describe-snapshots": "DescribeSnapshots",
    "describe-import-snapshot-tasks": "DescribeImportSnapshotTasks",
}
NS = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"'


def _env(key: str = "AKIDEXAMPLE", secret: str = SECRET, token: str | None = TOKEN,
         **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               AWS_EC2_METADATA_DISABLED="true", AWS_ACCESS_KEY_ID=key,
               AWS_SECRET_ACCESS_KEY=secret, AWS_MAX_ATTEMPTS="1", COLUMNS="80")
    if token:
        env["AWS_SESSION_TOKEN"] = token
    env.update(extra)
    return env


def sigv4kit(*args: str, env: dict[str, str] | None = None,
             stdin: str | bytes = "") -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "sigv4kit", *args], capture_output=True, timeout=120,
        input=stdin.encode() if isinstance(stdin, str) else stdin,
        env=env if env is not None else _env(),
    )
    out = subprocess.CompletedProcess(result.args, result.returncode,
                                      result.stdout.decode(), result.stderr.decode())
    assert "Traceback" not in out.stderr, out.stderr
    assert SECRET not in out.stdout + out.stderr
    return out


def aws(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([AWS, *args], capture_output=True, text=True, timeout=120,
                          env=env if env is not None else _env())


def _moto_env(server: MotoServer) -> dict[str, str]:
    return _env(server.credentials.access_key_id, server.credentials.secret_access_key, None)


# -- parity with the model and with the AWS CLI's argument tables ------------------------

def _click_options(command: Any) -> set[str]:
    return {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}


def _ec2_command(name: str) -> Any:
    import click

    from sigv4kit.cli.ec2 import ec2

    return ec2.get_command(click.Context(ec2), name)


@pytest.mark.parametrize("name", OPERATIONS)
def test_every_input_member_of_the_model_has_its_option(name: str) -> None:
    """Read from botocore's own model: a member botocore adds fails this test until it is an
    option; the paginator's token and limit members are the only ones hidden."""
    action = OPERATIONS[name]
    model = botocore.session.get_session().get_service_model("ec2")
    shape = model.operation_model(action).input_shape
    paginators = botocore.session.get_session().get_paginator_model("ec2")
    try:
        config = paginators.get_paginator(action)
        paging = {config["input_token"], config["limit_key"]}
    except ValueError:
        paging = set()
    command = _ec2_command(name)
    options = _click_options(command)
    visible = {opt for p in command.params if not getattr(p, "hidden", False)
               for opt in (*p.opts, *p.secondary_opts)}
    for member, member_shape in shape.members.items():
        option = "--" + botocore.xform_name(member, "-")
        assert option in options, f"{name}: no option for {member}"
        if member_shape.type_name == "boolean":
            assert "--no-" + option[2:] in options
        assert (option in visible) == (member not in paging), (name, member)


@pytest.mark.parametrize("name", OPERATIONS)
def test_every_aws_cli_argument_is_an_option(name: str) -> None:
    from awscli.clidriver import create_clidriver

    table = create_clidriver()._get_command_table()["ec2"]._get_command_table()[name].arg_table
    missing = {"--" + arg for arg in table} - _click_options(_ec2_command(name))
    assert not missing, missing


def test_presign_copy_snapshot_takes_the_same_names() -> None:
    from sigv4kit.cli.presign import presign

    ours = _click_options(presign.commands["copy-snapshot"])
    ec2_options = {o for o in _click_options(_ec2_command("copy-snapshot"))
                   if not o.startswith(("--cli", "--generate", "--query", "--output",
                                        "--endpoint", "--no-verify", "--ca-", "--region",
                                        "--presigned-url", "--no-presigned-url",
                                        "--no-sign-request", "--color", "--version",
                                        "--no-paginate"))}
    assert ec2_options - ours == set()
    assert "--tag" in ours


def test_xform_name_is_botocores_for_every_ec2_member() -> None:
    from sigv4kit.cli.modelopts import xform_name

    model = botocore.session.get_session().get_service_model("ec2")
    names = {m for shape in model.shape_names
             for m in (getattr(model.shape_for(shape), "members", None) or {})}
    assert len(names) > 2000
    for name in names:
        assert xform_name(name) == botocore.xform_name(name, "-"), name


# -- the AWS CLI's syntax and formats, against its own code ------------------------------

SHORTHAND = [
    "ResourceType=snapshot,Tags=[{Key=a,Value=b}]",
    "ResourceType=snapshot,Tags=[{Key=Name,Value='copy 1'},{Key=team,Value=\"storage, ops\"}]",
    "Name=status,Values=completed,pending",
    "Name=tag:batch,Values=a\\,b",
    "Format=VMDK,UserBucket={S3Bucket=my-bucket,S3Key=disks/disk.vmdk}",
    "a = b , c=[1, 2,[3]], d={e=f}",
    "UploadEnd=2026-11-25T12:00:00Z,UploadSize=1.5,Comment=ü€",
    "k=",
]
BAD_SHORTHAND = ["a", "a=b,", "a=[b", "a={b=c", "a=b,a=c", "a=[b]c"]


@pytest.mark.parametrize("value", SHORTHAND)
def test_shorthand_parses_as_the_aws_cli_parses(value: str) -> None:
    from awscli.shorthand import ShorthandParser

    from sigv4kit.cli.shorthand import parse_shorthand

    assert parse_shorthand(value) == ShorthandParser().parse(value)


@pytest.mark.parametrize("value", BAD_SHORTHAND)
def test_bad_shorthand_is_refused_as_the_aws_cli_refuses_it(value: str) -> None:
    from awscli.shorthand import ShorthandParseError, ShorthandParser

    from sigv4kit.cli.shorthand import parse_shorthand

    with pytest.raises(ShorthandParseError):
        ShorthandParser().parse(value)
    with pytest.raises(ValueError):
        parse_shorthand(value)


RESPONSES: list[Any] = [
    {"Snapshots": [
        {"SnapshotId": "snap-0123456789abcdef0", "State": "completed", "VolumeSize": 8,
         "Encrypted": False, "Tags": [{"Key": "Name", "Value": "a"}, {"Key": "b", "Value": ""}],
         "StartTime": "2026-11-25T12:00:00+00:00"},
        {"SnapshotId": "snap-0123456789abcdef1", "State": "error", "StateMessage": "bad url",
         "VolumeSize": 1},
    ], "NextToken": "abc"},
    {"SnapshotId": "snap-0123456789abcdef0"},
    {"ImportSnapshotTasks": [{"ImportTaskId": "import-snap-1", "SnapshotTaskDetail": {
        "Status": "active", "Progress": "10", "UserBucket": {"S3Bucket": "b", "S3Key": "k"}}}]},
    ["snap-1", "snap-2"],
    [["snap-1", 8], ["snap-2", 1]],
    "snap-0123456789abcdef0",
    {"Ids": ["a", "b"], "Nested": {"Deep": {"X": 1, "Y": [1, 2]}}, "Name": "日本語"},
]


class _Args:
    query = None
    color = "off"


@pytest.mark.parametrize("index", range(len(RESPONSES)))
def test_text_and_table_output_are_the_aws_clis(index: int) -> None:
    from awscli.formatter import TableFormatter
    from awscli.text import format_text as aws_text

    from sigv4kit.cli.output import format_table, format_text

    data = RESPONSES[index]
    theirs, ours = io.StringIO(), io.StringIO()
    aws_text(json.loads(json.dumps(data)), theirs)
    format_text(data, ours)
    assert ours.getvalue() == theirs.getvalue()
    theirs, ours = io.StringIO(), io.StringIO()
    TableFormatter(_Args())("DescribeSnapshots", json.loads(json.dumps(data)), theirs)
    format_table("DescribeSnapshots", data, ours)
    assert ours.getvalue() == theirs.getvalue()


# -- the same requests as the AWS CLI ------------------------------------------------------

_COPY_XML = (f"<CopySnapshotResponse {NS}><requestId>r</requestId>"
             "<snapshotId>snap-0123456789abcdef0</snapshotId></CopySnapshotResponse>")
_OK_XML = {
    "copy-snapshot": _COPY_XML,
    "create-snapshot": f"<CreateSnapshotResponse {NS}><requestId>r</requestId>"
    "<snapshotId>snap-0123456789abcdef0</snapshotId></CreateSnapshotResponse>",
    "import-snapshot": f"<ImportSnapshotResponse {NS}><requestId>r</requestId>"
    "<importTaskId>import-snap-1</importTaskId></ImportSnapshotResponse>",
    "describe-snapshots": f"<DescribeSnapshotsResponse {NS}><requestId>r</requestId>"
    "<snapshotSet/></DescribeSnapshotsResponse>",
    "describe-import-snapshot-tasks": f"<DescribeImportSnapshotTasksResponse {NS}>"
    "<requestId>r</requestId><importSnapshotTaskSet/></DescribeImportSnapshotTasksResponse>",
}
SAME_AS_AWS = {
    # The AWS CLI's copy-snapshot page, Example 2 (to an Outpost), plus the members it
    # copies into its PresignedUrl.
    "copy-example-2": ["copy-snapshot", "--region", "us-east-1", "--source-region",
                       "us-west-2", "--source-snapshot-id", "snap-066877671789bd71b",
                       "--destination-outpost-arn",
                       "arn:aws:outposts:us-east-1:123456789012:outpost/op-1234567890abcdef0",
                       "--description", "This is my copied snapshot.",
                       "--tag-specifications",
                       "ResourceType=snapshot,Tags=[{Key=a,Value=b},{Key=c,Value='d e'}]",
                       "--completion-duration-minutes", "15", "--encrypted",
                       "--kms-key-id", "alias/copies"],
    "copy-json-tags": ["copy-snapshot", "--region", "eu-central-1", "--source-region",
                       "eu-west-1", "--source-snapshot-id", "snap-0123abcd",
                       "--tag-specifications",
                       '[{"ResourceType":"snapshot","Tags":[{"Key":"k","Value":"v"}]}]',
                       "--destination-availability-zone", "eu-central-1-ham-1a"],
    "create": ["create-snapshot", "--region", "us-west-2", "--volume-id", "vol-0123",
               "--tag-specifications", "ResourceType=snapshot,Tags=[{Key=a,Value=b}]",
               "ResourceType=snapshot,Tags=[{Key=c,Value=d}]", "--location", "regional",
               "--outpost-arn", "arn:aws:outposts:us-west-2:1:outpost/op-1", "--no-dry-run"],
    "import": ["import-snapshot", "--region", "us-east-1", "--disk-container",
               "Format=VMDK,UserBucket={S3Bucket=b,S3Key=disk.vmdk}", "--client-data",
               '{"UploadSize": 1.5, "Comment": "c"}', "--client-token", "tok-1",
               "--no-encrypted", "--role-name", "vmimport"],
    "describe": ["describe-snapshots", "--region", "us-east-1", "--owner-ids", "self",
                 "amazon", "--snapshot-ids", "snap-1", "snap-2", "--filters",
                 "Name=status,Values=completed,pending", "Name=tag:a,Values=b",
                 "--restorable-by-user-ids", "123456789012", "--page-size", "5"],
    "describe-tasks": ["describe-import-snapshot-tasks", "--region", "us-east-1",
                       "--import-task-ids", "import-snap-1", "import-snap-2", "--filters",
                       '[{"Name":"task-state","Values":["active"]}]'],
}


def _sent(server: FaultyServer) -> Counter[tuple[str, str]]:
    form = parse_qsl(server.requests[-1].body.decode(), keep_blank_values=True)
    pairs: Counter[tuple[str, str]] = Counter()
    for name, value in form:
        if name == "PresignedUrl":
            split = urlsplit(value)
            pairs[("PresignedUrl.host", split.netloc)] += 1
            for k, v in parse_qsl(split.query, keep_blank_values=True):
                if k not in ("X-Amz-Date", "X-Amz-Signature"):  # the clock, and so the HMAC
                    pairs[("PresignedUrl." + k, v)] += 1
        else:
            pairs[(name, value)] += 1
    return pairs


@pytest.mark.parametrize("case", SAME_AS_AWS)
def test_the_same_request_as_the_aws_cli(case: str, faulty_server: Any) -> None:
    args = SAME_AS_AWS[case]
    xml = _OK_XML[args[0]]
    server = faulty_server([Ok(xml), Ok(xml)])
    theirs = aws("ec2", *args, "--endpoint-url", server.url)
    assert theirs.returncode == 0, theirs.stderr
    expected = _sent(server)
    ours = sigv4kit("ec2", *args, "--endpoint-url", server.url)
    assert ours.returncode == 0, ours.stderr
    assert _sent(server) == expected
    assert json.loads(ours.stdout) == json.loads(theirs.stdout)


def _skeleton_shape(value: Any) -> Any:
    """The skeleton with string values blanked: botocore picks enum values at random."""
    if isinstance(value, dict):
        return {k: _skeleton_shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_skeleton_shape(v) for v in value]
    return "" if isinstance(value, str) else value


_REQUIRED = {"copy-snapshot": ["--source-region", "us-west-2", "--source-snapshot-id",
                               "snap-0123abcd"], "create-snapshot": ["--volume-id", "vol-1"]}


@pytest.mark.parametrize("which", ["input", "output"])
@pytest.mark.parametrize("name", OPERATIONS)
def test_generate_cli_skeleton_is_the_aws_clis(name: str, which: str) -> None:
    # The AWS CLI checks required options before an output skeleton, not an input one.
    args = ["ec2", name, "--generate-cli-skeleton", which, "--region", "us-east-1",
            *(_REQUIRED.get(name, []) if which == "output" else [])]
    theirs = aws(*args)
    assert theirs.returncode == 0, theirs.stderr
    ours = sigv4kit(*args)
    assert ours.returncode == 0, ours.stderr
    skeleton = json.loads(ours.stdout)
    assert skeleton  # not an empty skeleton
    if which == "input":
        assert _skeleton_shape(skeleton) == _skeleton_shape(json.loads(theirs.stdout))
    else:  # the AWS CLI's stubbed call drops some nested members; all it shows is ours
        assert _contains(_skeleton_shape(skeleton), _skeleton_shape(json.loads(theirs.stdout)))


def _contains(ours: Any, theirs: Any) -> bool:
    if isinstance(theirs, dict):
        return isinstance(ours, dict) and all(k in ours and _contains(ours[k], v)
                                              for k, v in theirs.items())
    if isinstance(theirs, list):
        return isinstance(ours, list) and len(ours) == len(theirs) and all(
            _contains(a, b) for a, b in zip(ours, theirs, strict=True))
    return bool(ours == theirs)


# -- against moto: the seed page's examples and the snapshot workflow -------------------

def test_seed_example_1(moto_server: MotoServer) -> None:
    source = moto_server.create_snapshot("us-west-2")
    args = ["ec2", "copy-snapshot", "--region", "us-east-1", "--source-region", "us-west-2",
            "--source-snapshot-id", source.snapshot_id, "--description",
            "This is my copied snapshot.", "--endpoint-url", moto_server.endpoint_url]
    result = sigv4kit(*args, env=_moto_env(moto_server))
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    theirs = json.loads(aws(*args, env=_moto_env(moto_server)).stdout)
    # As the AWS CLI prints it: no ResponseMetadata (moto adds an empty Tags list).
    assert sorted(output) == sorted(theirs) and "SnapshotId" in output
    assert "ResponseMetadata" not in output
    described = moto_server.botocore_client("ec2", "us-east-1").describe_snapshots(
        SnapshotIds=[output["SnapshotId"]])["Snapshots"][0]
    assert described["Description"] == "This is my copied snapshot."


def test_seed_example_2(moto_server: MotoServer, faulty_server: Any) -> None:
    """moto copies to an Outpost as to a Region; what was sent is compared with the AWS CLI
    in ``test_the_same_request_as_the_aws_cli[copy-example-2]``."""
    source = moto_server.create_snapshot("us-west-2")
    args = ["ec2", "copy-snapshot", "--region", "us-east-1", "--source-region", "us-west-2",
            "--source-snapshot-id", source.snapshot_id, "--destination-outpost-arn",
            "arn:aws:outposts:us-east-1:123456789012:outpost/op-1234567890abcdef0",
            "--description", "This is my copied snapshot."]
    result = sigv4kit(*args, "--endpoint-url", moto_server.endpoint_url,
                      env=_moto_env(moto_server))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["SnapshotId"].startswith("snap-")
    server = faulty_server([Ok(_COPY_XML)])
    assert sigv4kit(*args, "--endpoint-url", server.url).returncode == 0
    form = dict(parse_qsl(server.requests[0].body.decode()))
    url = dict(parse_qsl(urlsplit(form["PresignedUrl"]).query))
    for sent in (form, url):
        assert sent["DestinationOutpostArn"].endswith("outpost/op-1234567890abcdef0")
        assert sent["SourceSnapshotId"] == source.snapshot_id
        assert sent["DestinationRegion"] == "us-east-1"


def test_snapshot_workflow(moto_server: MotoServer, tmp_path: Path) -> None:
    env = _moto_env(moto_server)
    region = "eu-west-3"
    common = ["--region", region, "--endpoint-url", moto_server.endpoint_url]
    volume = moto_server.botocore_client("ec2", region).create_volume(
        AvailabilityZone=f"{region}a", Size=1)["VolumeId"]
    batch = uuid.uuid4().hex
    ids = []
    for n in range(3):
        made = sigv4kit("ec2", "create-snapshot", "--volume-id", volume, "--tag-specifications",
                        f"ResourceType=snapshot,Tags=[{{Key=batch,Value={batch}}},"
                        f"{{Key=n,Value={n}}}]", "--query", "SnapshotId", "--output", "text",
                        *common, env=env)
        assert made.returncode == 0, made.stderr
        assert made.stdout.startswith("snap-") and made.stdout.count("\n") == 1
        ids.append(made.stdout.strip())
    waited = sigv4kit("ec2", "wait", "snapshot-completed", "--snapshot-ids", *ids, *common,
                      env=env)
    assert waited.returncode == 0 and waited.stdout == "", waited.stderr

    mine = ["--owner-ids", "self", "--filters", f"Name=tag:batch,Values={batch}"]
    listed = sigv4kit("ec2", "describe-snapshots", *mine, "--page-size", "1",
                      *common, env=env)
    assert listed.returncode == 0, listed.stderr
    found = json.loads(listed.stdout)
    assert sorted(s["SnapshotId"] for s in found["Snapshots"]) == sorted(ids)
    assert "NextToken" not in found
    tags = {t["Key"]: t["Value"] for t in found["Snapshots"][0]["Tags"]}
    assert tags["batch"] == batch

    cut = sigv4kit("ec2", "describe-snapshots", *mine, "--max-items", "2", *common, env=env)
    assert cut.returncode == 0, cut.stderr
    first = json.loads(cut.stdout)
    assert len(first["Snapshots"]) == 2 and first["NextToken"]
    rest = sigv4kit("ec2", "describe-snapshots", *mine, "--starting-token",
                    first["NextToken"], *common, env=env)
    assert rest.returncode == 0, rest.stderr
    remaining = json.loads(rest.stdout)
    assert "NextToken" not in remaining
    assert sorted(s["SnapshotId"] for s in first["Snapshots"] + remaining["Snapshots"]) == \
        sorted(ids)
    text = sigv4kit("ec2", "describe-snapshots", *mine, "--max-items", "2", "--output", "text",
                    "--query", "Snapshots[].SnapshotId", *common, env=env)
    assert text.returncode == 0, text.stderr

    request = tmp_path / "request.json"
    request.write_text(json.dumps({"VolumeId": volume, "Description": "from a file"}))
    from_file = sigv4kit("ec2", "create-snapshot", "--cli-input-json", f"file://{request}",
                         *common, env=env)
    assert from_file.returncode == 0, from_file.stderr
    assert json.loads(from_file.stdout)["Description"] == "from a file"

    query = "Snapshots[].{Id:SnapshotId,State:State,Size:VolumeSize,Encrypted:Encrypted}"
    for output in ("table", "text", "json"):
        args = ["ec2", "describe-snapshots", "--snapshot-ids", *ids, "--query", query,
                "--output", output, *common]
        ours, theirs = sigv4kit(*args, env=env), aws(*args, env=env)
        assert ours.returncode == theirs.returncode == 0, (ours.stderr, theirs.stderr)
        assert ours.stdout == theirs.stdout, output
    assert ours.stdout.count("snap-") == 3

    dry = sigv4kit("ec2", "create-snapshot", "--volume-id", volume, "--dry-run", *common,
                   env=env)
    assert dry.returncode == 255 and dry.stdout == ""
    assert "DryRunOperation" in dry.stderr and "DryRun flag is set" in dry.stderr


def _page_xml(snapshot_id: str, token: str | None) -> str:
    next_token = f"<nextToken>{token}</nextToken>" if token else ""
    return (f"<DescribeSnapshotsResponse {NS}><requestId>r</requestId><snapshotSet><item>"
            f"<snapshotId>{snapshot_id}</snapshotId><status>completed</status></item>"
            f"</snapshotSet>{next_token}</DescribeSnapshotsResponse>")


PAGES = [_page_xml("snap-00000001", "t1"), _page_xml("snap-00000002", "t2"),
         _page_xml("snap-00000003", None)]


@pytest.mark.parametrize("paging", [["--page-size", "1"], ["--page-size", "1", "--max-items",
                                                           "2"], ["--no-paginate"],
                                    ["--max-results", "5"], ["--next-token", "t1"]])
@pytest.mark.parametrize("output", ["json", "text"])
def test_pages_as_the_aws_cli_pages(paging: list[str], output: str,
                                    faulty_server: Any) -> None:
    """moto answers DescribeSnapshots in one page; this server in three, as EC2 can."""
    runs = []
    for cli in (aws, sigv4kit):
        server = faulty_server([Ok(page) for page in PAGES])
        result = cli("ec2", "describe-snapshots", "--owner-ids", "self", *paging, "--output",
                     output, "--region", "us-east-1", "--endpoint-url", server.url)
        assert result.returncode == 0, result.stderr
        sent = [dict(parse_qsl(r.body.decode())) for r in server.requests]
        runs.append((result.stdout, [(f.get("MaxResults"), f.get("NextToken")) for f in sent]))
    assert runs[1] == runs[0]
    if paging == ["--page-size", "1"]:
        assert runs[1][1] == [("1", None), ("1", "t1"), ("1", "t2")]
        assert runs[1][0].count("snap-0000000") == 3


# -- failures: one message, the right exit code, never a traceback ---------------------

def _snapshots_xml(state: str, message: str) -> str:
    return (f"<DescribeSnapshotsResponse {NS}><requestId>r</requestId><snapshotSet><item>"
            f"<snapshotId>snap-0123456789abcdef0</snapshotId><status>{state}</status>"
            f"<statusMessage>{message}</statusMessage></item></snapshotSet>"
            "</DescribeSnapshotsResponse>")


def test_wait_shows_the_state_message_of_a_failed_copy(faulty_server: Any) -> None:
    message = "The presigned URL is invalid: signature expired"
    server = faulty_server([Ok(_snapshots_xml("error", message))])
    result = sigv4kit("ec2", "wait", "snapshot-completed", "--snapshot-ids",
                      "snap-0123456789abcdef0", "--region", "us-east-1", "--endpoint-url",
                      server.url, "--debug")  # EC2's StateMessage: under --debug only
    assert result.returncode == 255
    assert message in result.stderr and "Waiter SnapshotCompleted failed" in result.stderr


def test_client_wait_for_snapshot_on_the_waiter(faulty_server: Any) -> None:
    from sigv4kit import Credentials
    from sigv4kit.ec2 import Client, SnapshotStateError

    server = faulty_server([Ok(_snapshots_xml("pending", "")),
                            Ok(_snapshots_xml("completed", "")),
                            Ok(_snapshots_xml("error", "bad PresignedUrl"))])
    client = Client("us-east-1", Credentials("AKIDEXAMPLE", SECRET), endpoint_url=server.url)
    done = client.wait_for_snapshot("snap-0123456789abcdef0", poll_delay=0.01)
    assert done["State"] == "completed" and len(server.requests) == 2
    with pytest.raises(SnapshotStateError, match="bad PresignedUrl"):
        client.wait_for_snapshot("snap-0123456789abcdef0", poll_delay=0.01)


FAILURES: dict[str, tuple[list[str], int, str]] = {
    "bad-ipv6-endpoint": (["describe-snapshots", "--endpoint-url", "http://[::1/"], 255,
                          "--endpoint-url"),
    "deep-json-param": (["call", "DescribeVolumes", "--param",
                         "Filters=" + "[" * 50_000 + "]" * 50_000], 255, "--param"),
    "deep-json-option": (["describe-snapshots", "--filters", "[" * 50_000 + "]" * 50_000], 255,
                         "--filters"),
    "bad-shorthand": (["describe-snapshots", "--filters", "Name=status,Values=[a"], 255,
                      "--filters"),
    "bad-integer": (["copy-snapshot", "--source-region", "us-west-2", "--source-snapshot-id",
                     "snap-0123abcd", "--completion-duration-minutes", "soon"], 255,
                    "--completion-duration-minutes"),
    "no-encrypted-copy": (["copy-snapshot", "--source-region", "us-west-2",
                           "--source-snapshot-id", "snap-0123abcd", "--no-encrypted"], 255,
                          "--encrypted"),
    "unknown-tag-member": (["create-snapshot", "--volume-id", "vol-1", "--tag-specifications",
                            "ResourceType=snapshot,Tagz=[{Key=a,Value=b}]"], 255,
                           "--tag-specifications"),
    "missing-required": (["create-snapshot"], 2, "--volume-id"),
    "bad-query": (["describe-snapshots", "--query", "Snapshots[?"], 255, "--query"),
    "bad-input-json": (["create-snapshot", "--cli-input-json", '{"Volume": "x"}'], 255,
                       "--cli-input-json"),
    "missing-ca-bundle": (["describe-snapshots", "--ca-bundle", "/nonexistent/ca.pem",
                           "--endpoint-url", "https://127.0.0.1:9"], 255, "--ca-bundle"),
    "negative-timeout": (["describe-snapshots", "--cli-read-timeout", "-1"], 2,
                         "--cli-read-timeout"),
    "list-of-ints-as-text": (["describe-snapshots", "--max-results", "x"], 255,
                             "--max-results"),
    "paging-without-pages": (["describe-snapshots", "--no-paginate", "--max-items", "2"], 255,
                             "--max-items"),
}


@pytest.mark.parametrize("name", FAILURES)
def test_bad_input_exits_as_aws_naming_the_option(name: str, faulty_server: Any) -> None:
    args, code, needle = FAILURES[name]
    server = faulty_server([Ok(_OK_XML["describe-snapshots"])])
    if "--endpoint-url" not in args:
        args = [*args, "--endpoint-url", server.url]
    result = sigv4kit("ec2", *args, "--region", "us-east-1")
    assert result.returncode == code, (result.stdout, result.stderr)
    assert needle in result.stderr and result.stdout == ""
    assert len([line for line in result.stderr.splitlines() if "Error" in line]) <= 1
    # aws v1: 2 for its argument parser's errors, else 255 after a blank line
    assert result.stderr.startswith("Error: " if code == 2 else "\n")


def test_service_network_and_parse_failures_exit_255_in_one_line(faulty_server: Any) -> None:
    args = ["ec2", "describe-snapshots", "--region", "us-east-1", "--cli-read-timeout", "1"]
    server = faulty_server([Error(400, "InvalidParameterValue", "nope"), Ok("not xml <"),
                            Delay(3.0, Ok(_OK_XML["describe-snapshots"]))])
    for expected in ("InvalidParameterValue", "Unable to parse response", "Read timeout"):
        result = sigv4kit(*args, "--endpoint-url", server.url)
        assert result.returncode == 255, result.stderr
        assert expected in result.stderr and result.stdout == ""
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    unreachable = sigv4kit(*args, "--endpoint-url", "http://127.0.0.1:9")
    assert unreachable.returncode == 255 and \
        'Could not connect to the endpoint URL: "http://127.0.0.1:9/"' in unreachable.stderr


def test_copy_snapshot_debug_redacts_the_presigned_url(faulty_server: Any) -> None:
    server = faulty_server([Ok(_COPY_XML)])
    result = sigv4kit("ec2", "copy-snapshot", "--region", "us-east-1", "--source-region",
                      "us-west-2", "--source-snapshot-id", "snap-066877671789bd71b", "--debug",
                      "--endpoint-url", server.url)
    assert result.returncode == 0, result.stderr
    form = dict(parse_qsl(server.requests[0].body.decode()))
    url = dict(parse_qsl(urlsplit(form["PresignedUrl"]).query))
    assert "the PresignedUrl built for this call" in result.stderr
    assert url["X-Amz-Signature"] not in result.stderr
    assert TOKEN not in result.stderr and TOKEN not in result.stdout
    assert url["X-Amz-Security-Token"] == TOKEN


# -- presign copy-snapshot: the AWS CLI's names, and bulk -------------------------------

def test_presign_copy_snapshot_with_aws_cli_names_is_botocores_url() -> None:
    from datetime import UTC, datetime

    from sigv4kit import Credentials

    from .botocore_ec2 import botocore_copy_snapshot_presigned_url

    now = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
    result = sigv4kit("presign", "copy-snapshot", "--source-region", "us-west-2",
                      "--source-snapshot-id", "snap-066877671789bd71b", "--destination-region",
                      "us-east-1", "--tag-specifications",
                      "ResourceType=snapshot,Tags=[{Key=Name,Value='copy 1'}]",
                      "--destination-outpost-arn", "arn:aws:outposts:us-east-1:1:outpost/op-1",
                      "--completion-duration-minutes", "30", "--description", "d",
                      "--timestamp", "2026-11-25T12:00:00Z")
    assert result.returncode == 0, result.stderr
    expected = botocore_copy_snapshot_presigned_url(
        Credentials("AKIDEXAMPLE", SECRET, TOKEN), "us-east-1",
        {"SourceRegion": "us-west-2", "SourceSnapshotId": "snap-066877671789bd71b",
         "TagSpecifications": [{"ResourceType": "snapshot",
                                "Tags": [{"Key": "Name", "Value": "copy 1"}]}],
         "DestinationOutpostArn": "arn:aws:outposts:us-east-1:1:outpost/op-1",
         "CompletionDurationMinutes": 30, "Description": "d"}, now)

    def parts(url: str) -> tuple[str, Counter[tuple[str, str]]]:
        split = urlsplit(url)
        return split.netloc, Counter(parse_qsl(split.query, keep_blank_values=True))

    assert parts(result.stdout.strip()) == parts(expected)


BULK = ["presign", "copy-snapshot", "--source-region", "us-west-2", "--destination-region",
        "us-east-1", "--source-snapshot-id", "-", "--timestamp", "2026-11-25T12:00:00Z",
        "--description", "nightly"]


def test_bulk_50000_ids_in_50000_urls_out_in_order() -> None:
    import random

    from sigv4kit import Credentials
    from sigv4kit.ec2 import presigned_copy_snapshot_url

    rng = random.Random(17)
    ids = [f"snap-{rng.getrandbits(68):017x}" if n % 3 else f"snap-{rng.getrandbits(32):08x}"
           for n in range(50_000)]
    result = sigv4kit(*BULK, stdin="\n".join(ids) + "\n")
    assert result.returncode == 0, result.stderr[:2000]
    urls = result.stdout.splitlines()
    assert len(urls) == 50_000
    for snapshot_id, url in zip(ids, urls, strict=True):
        assert f"&SourceSnapshotId={snapshot_id}&" in url
    creds = Credentials("AKIDEXAMPLE", SECRET, TOKEN)
    for n in rng.sample(range(50_000), 50):
        assert urls[n] == presigned_copy_snapshot_url(
            creds, source_region="us-west-2", source_snapshot_id=ids[n],
            destination_region="us-east-1", timestamp="20261125T120000Z",
            extra_params={"Description": "nightly"})


def test_bulk_reports_bad_lines_and_prints_the_good_ones(tmp_path: Path) -> None:
    lines = [b"snap-066877671789bd71b", b"vol-066877671789bd71b", b"", b"  snap-0123abcd \r",
             b"snap-\xff", b"x" * 10_000, b"snap-0123ABCD", b"snap-00000001"]
    result = sigv4kit(*BULK, stdin=b"\n".join(lines))
    assert result.returncode == 2
    urls = result.stdout.splitlines()
    assert [dict(parse_qsl(urlsplit(u).query))["SourceSnapshotId"] for u in urls] == \
        ["snap-066877671789bd71b", "snap-0123abcd", "snap-00000001"]
    for number in (2, 3, 5, 6, 7):
        assert f"line {number}:" in result.stderr
    for number in (1, 4, 8):
        assert f"line {number}:" not in result.stderr
    assert "x" * 100 not in result.stderr


def test_bulk_presigner_equals_one_by_one_with_the_template_id_elsewhere() -> None:
    from sigv4kit import Credentials
    from sigv4kit.ec2.presigned import CopySnapshotPresigner, presign_copy_snapshot

    creds = Credentials("AKIDEXAMPLE", SECRET, TOKEN)
    for extra in ({}, {"Description": "copy of snap-00000000"},
                  {"Encrypted": True, "KmsKeyId": "k", "DryRun": True}):
        presigner = CopySnapshotPresigner(creds, source_region="eu-west-1",
                                          destination_region="eu-central-1",
                                          timestamp="20261125T120000Z", extra_params=extra)
        for snapshot_id in ("snap-00000000", "snap-0123abcd", "snap-066877671789bd71b"):
            assert presigner.presign(snapshot_id) == presign_copy_snapshot(
                creds, source_region="eu-west-1", source_snapshot_id=snapshot_id,
                destination_region="eu-central-1", timestamp="20261125T120000Z",
                extra_params=extra).url


def test_bulk_presign_starts_without_botocore_requests_or_the_whole_model() -> None:
    code = (
        "import sys\n"
        "from sigv4kit.cli import main\n"
        "try:\n"
        "    main(['presign', 'copy-snapshot', '--source-region', 'us-west-2',\n"
        "          '--source-snapshot-id', '-', '--destination-region', 'us-east-1',\n"
        "          '--tag-specifications', 'ResourceType=snapshot,Tags=[{Key=a,Value=b}]',\n"
        "          '--completion-duration-minutes', '15'])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        "from sigv4kit.aws.data import service_model_data\n"
        "print(service_model_data('ec2', '2016-11-15')._full is None)\n"
        "print(sorted(m for m in sys.modules\n"
        "             if m.split('.')[0] in ('botocore', 'requests', 'urllib3', 'jmespath')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True,
                            text=True, check=True, input="snap-066877671789bd71b\n")
    lines = result.stdout.splitlines()
    assert "TagSpecification.1.Tag.1.Key=a" in lines[0] and len(lines) == 3
    assert lines[1:] == ["True", "[]"]


# -- waiters: botocore's acceptors, botocore's matching ----------------------------------

WAITER_RESPONSES = [
    {"Snapshots": []},
    {"Snapshots": [{"State": "completed"}]},
    {"Snapshots": [{"State": "completed"}, {"State": "pending"}]},
    {"Snapshots": [{"State": "pending"}, {"State": "error"}]},
    {"Snapshots": [{"State": "error"}]},
    {"ImportSnapshotTasks": [{"SnapshotTaskDetail": {"Status": "completed"}}]},
    {"ImportSnapshotTasks": [{"SnapshotTaskDetail": {"Status": "active"}},
                             {"SnapshotTaskDetail": {"Status": "error"}}]},
    {},
]


@pytest.mark.parametrize("name", ["SnapshotCompleted", "SnapshotImported",
                                  "VolumeAvailable", "InstanceRunning", "ImageAvailable"])
def test_waiter_acceptors_match_as_botocores(name: str) -> None:
    from sigv4kit.ec2 import waiters

    theirs = botocore.session.get_session().get_waiter_model("ec2").get_waiter(name).acceptors
    ours = waiters.definition(name).acceptors
    assert len(ours) == len(theirs)
    for response in WAITER_RESPONSES:
        expected = next((a.state for a in theirs if a.matcher != "error"
                         and a.matcher_func(response)), None)
        found = waiters.matching_acceptor(ours, response)
        assert (found.state if found else None) == expected, (name, response)


def _tasks_xml(status: str, message: str) -> str:
    return (f"<DescribeImportSnapshotTasksResponse {NS}><requestId>r</requestId>"
            "<importSnapshotTaskSet><item><importTaskId>import-snap-1</importTaskId>"
            f"<snapshotTaskDetail><status>{status}</status><statusMessage>{message}"
            "</statusMessage></snapshotTaskDetail></item></importSnapshotTaskSet>"
            "</DescribeImportSnapshotTasksResponse>")


def test_wait_snapshot_imported(faulty_server: Any) -> None:
    args = ["ec2", "wait", "snapshot-imported", "--import-task-ids", "import-snap-1",
            "--region", "us-east-1"]
    done = faulty_server([Ok(_tasks_xml("completed", ""))])
    assert sigv4kit(*args, "--endpoint-url", done.url).returncode == 0
    failed = faulty_server([Ok(_tasks_xml("error", "ClientError: Disk validation failed"))])
    result = sigv4kit(*args, "--endpoint-url", failed.url, "--debug")
    assert result.returncode == 255
    assert "Disk validation failed" in result.stderr and "SnapshotImported" in result.stderr


# -- shorthand: the AWS CLI's parser as the oracle, on generated input ------------------

def test_shorthand_agrees_with_the_aws_cli_on_generated_input() -> None:
    from awscli.shorthand import ShorthandParseError, ShorthandParser
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from sigv4kit.cli.shorthand import parse_shorthand

    alphabet = st.sampled_from(list("ab=,[]{}'\" \\:.-_/@é1"))

    @settings(max_examples=400, deadline=None)
    @given(st.text(alphabet, max_size=30))
    def check(value: str) -> None:
        try:
            theirs: Any = ShorthandParser().parse(value)
        except ShorthandParseError:
            theirs = ShorthandParseError
        except (IndexError, ValueError):  # the AWS CLI's own crashes on some inputs
            return
        try:
            ours: Any = parse_shorthand(value)
        except ValueError:
            ours = ShorthandParseError
        assert ours == theirs, value

    check()


def test_file_values_and_equals_forms_as_the_aws_cli(tmp_path: Path, faulty_server: Any) -> None:
    tags = tmp_path / "tags.json"
    tags.write_text('[{"ResourceType": "snapshot", "Tags": [{"Key": "from", "Value": "file"}]}]')
    description = tmp_path / "description.txt"
    description.write_text("a description from a file")
    args = ["ec2", "create-snapshot", "--region", "us-west-2", "--volume-id=vol-0123",
            "--tag-specifications", f"file://{tags}", "--description", f"file://{description}"]
    sent = []
    for cli in (aws, sigv4kit):
        server = faulty_server([Ok(_OK_XML["create-snapshot"])])
        assert cli(*args, "--endpoint-url", server.url).returncode == 0
        sent.append(_sent(server))
    assert sent[0] == sent[1]
    assert sent[1][("TagSpecification.1.Tag.1.Value", "file")] == 1
    assert sent[1][("Description", "a description from a file")] == 1


def test_list_values_after_one_flag() -> None:
    from sigv4kit.cli.modelopts import expand_list_values

    lists = frozenset({"--snapshot-ids", "--owner-ids"})
    assert expand_list_values(
        ["--snapshot-ids", "a", "b", "--owner-ids=self", "c", "--region", "r", "x"], lists
    ) == ["--snapshot-ids", "a", "--snapshot-ids", "b", "--owner-ids", "self", "--owner-ids",
          "c", "--region", "r", "x"]
    assert expand_list_values(["--snapshot-ids", "--region", "r"], lists) == \
        ["--snapshot-ids", "--region", "r"]
