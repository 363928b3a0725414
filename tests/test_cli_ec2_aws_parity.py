"""``sigv4kit ec2`` beside ``aws ec2`` (AWS CLI v1, the test extra) as a script would run
them: both as subprocesses, with the same isolated HOME, config and credentials files and
environment, against the same loopback servers (moto, or a recording stub scripted with EC2's
answers). Compared: stdout, stderr and the exit code, byte for byte, or through one of the
differences listed in docs/ec2-differences.md (each case below says which)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sigv4kit.testing.faulty_server import Ok

pytestmark = pytest.mark.slow  # every case runs aws v1 and sigv4kit as subprocesses

AWS = str(Path(sys.executable).parent / "aws")
SECRET = "CANARYsecretCANARYsecretCANARYsecret0123"
NS = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"'
SNAPSHOTS_XML = (f"<DescribeSnapshotsResponse {NS}><requestId>r</requestId><snapshotSet><item>"
                 "<snapshotId>snap-0123456789abcdef0</snapshotId><status>completed</status>"
                 "<startTime>2026-12-07T06:06:12.000Z</startTime><volumeSize>8</volumeSize>"
                 "</item></snapshotSet></DescribeSnapshotsResponse>")


@dataclass
class Home:
    """An isolated HOME with ~/.aws/config and ~/.aws/credentials, and the environment both
    tools run in (nothing of the caller's AWS_* variables)."""

    path: Path

    def config(self, text: str) -> Home:
        (self.path / ".aws").mkdir(exist_ok=True)
        (self.path / ".aws" / "config").write_text(text)
        return self

    def credentials(self, text: str) -> Home:
        (self.path / ".aws").mkdir(exist_ok=True)
        (self.path / ".aws" / "credentials").write_text(text)
        return self

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("AWS_") and k.upper() not in ("HTTP_PROXY", "HTTPS_PROXY",
                                                                "NO_PROXY", "ALL_PROXY")}
        env.update(HOME=str(self.path), AWS_EC2_METADATA_DISABLED="true", COLUMNS="80",
                   AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY=SECRET,
                   AWS_MAX_ATTEMPTS="1", SIGV4KIT_CACHE="off")
        env.update(extra)
        return {k: v for k, v in env.items() if v != "<unset>"}


@pytest.fixture
def home(tmp_path: Path) -> Home:
    (tmp_path / "home").mkdir()
    return Home(tmp_path / "home")


@dataclass
class Run:
    code: int
    out: str
    err: str


def run(program: list[str], args: tuple[str, ...], env: dict[str, str], cwd: Path) -> Run:
    result = subprocess.run([*program, *args], capture_output=True, timeout=120, env=env,
                            cwd=cwd, stdin=subprocess.DEVNULL)
    return Run(result.returncode, result.stdout.decode(), result.stderr.decode())


def both(*args: str, env: dict[str, str], cwd: Path) -> tuple[Run, Run]:
    """(aws, sigv4kit) on the same arguments and environment."""
    theirs = run([AWS], args, env, cwd)
    ours = run([sys.executable, "-m", "sigv4kit"], args, env, cwd)
    assert "Traceback" not in ours.err, ours.err
    assert SECRET not in ours.out + ours.err
    return theirs, ours


def same(theirs: Run, ours: Run) -> None:
    assert (ours.code, ours.out, ours.err) == (theirs.code, theirs.out, theirs.err)


class ProxyRecorder:
    """A loopback HTTPS proxy that records each CONNECT target and refuses it: where a
    tool would have sent its request, without anything leaving the machine."""

    def __init__(self) -> None:
        self.targets: list[str] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                try:
                    line = conn.recv(4096).split(b"\r\n", 1)[0].decode("latin-1")
                    self.targets.append(line)
                    conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n"
                                 b"Connection: close\r\n\r\n")
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()


@pytest.fixture
def proxy() -> Iterator[ProxyRecorder]:
    recorder = ProxyRecorder()
    yield recorder
    recorder.close()


# -- item 2: configured endpoints -------------------------------------------------------

DESCRIBE = ("ec2", "describe-snapshots", "--owner-ids", "self", "--region", "us-east-1",
            "--output", "text", "--query", "Snapshots[].SnapshotId")


def _servers(faulty_server: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: faulty_server([Ok(SNAPSHOTS_XML)] * 2) for name in names}


ENDPOINT_CASES: dict[str, tuple[dict[str, str], str, str]] = {
    # name: (environment with {a}/{b}/{c}/{d} for the servers' URLs, profile file, the winner)
    "service-env-first": ({"AWS_ENDPOINT_URL_EC2": "{a}", "AWS_ENDPOINT_URL": "{b}"},
                          "[default]\nservices = s\nendpoint_url = {d}\n"
                          "[services s]\nec2 =\n  endpoint_url = {c}\n", "a"),
    "global-env-before-services": ({"AWS_ENDPOINT_URL": "{b}"},
                                   "[default]\nservices = s\nendpoint_url = {d}\n"
                                   "[services s]\nec2 =\n  endpoint_url = {c}\n", "b"),
    "services-section": ({}, "[default]\nservices = s\nendpoint_url = {d}\n"
                         "[services s]\nec2 =\n  endpoint_url = {c}\n", "c"),
    "services-without-ec2": ({}, "[default]\nservices = s\nendpoint_url = {d}\n"
                             "[services s]\ns3 =\n  endpoint_url = {c}\n", "d"),
    "profile-endpoint-url": ({}, "[default]\nendpoint_url = {d}\n", "d"),
    "named-profile": ({"AWS_PROFILE": "dev"}, "[default]\nendpoint_url = {c}\n"
                      "[profile dev]\nendpoint_url = {d}\n", "d"),
    "ignore-false-in-env": ({"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false"},
                            "[default]\nendpoint_url = {d}\n"
                            "ignore_configured_endpoint_urls = true\n", "d"),
}


@pytest.mark.parametrize("case", ENDPOINT_CASES)
def test_configured_endpoints_with_botocores_precedence(case: str, home: Home,
                                                        faulty_server: Any) -> None:
    env_template, config, winner = ENDPOINT_CASES[case]
    servers = _servers(faulty_server, ("a", "b", "c", "d"))
    urls = {name: server.url for name, server in servers.items()}
    home.config(config.format(**urls))
    env = home.env(**{k: v.format(**urls) for k, v in env_template.items()})
    theirs, ours = both(*DESCRIBE, env=env, cwd=home.path)
    same(theirs, ours)
    assert ours.out == "snap-0123456789abcdef0\n"
    assert {n: len(s.requests) for n, s in servers.items()} == \
        {n: 2 if n == winner else 0 for n in servers}


@pytest.mark.parametrize("ignore", [
    {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "TRUE"},
    {"config": "ignore_configured_endpoint_urls = true\n"},
])
def test_ignored_configured_endpoints_go_to_the_regions_endpoint(
        ignore: dict[str, str], home: Home, faulty_server: Any,
        proxy: ProxyRecorder) -> None:
    """Both go to ec2.us-east-1.amazonaws.com (through a loopback proxy that records the
    CONNECT and refuses it, so nothing leaves the machine); the configured server sees
    nothing."""
    ignore = dict(ignore)
    server = faulty_server([Ok(SNAPSHOTS_XML)] * 2)
    home.config(f"[default]\nendpoint_url = {server.url}\n" + ignore.pop("config", ""))
    env = home.env(AWS_ENDPOINT_URL_EC2=server.url, HTTPS_PROXY=proxy.url, **ignore)
    theirs, ours = both(*DESCRIBE, env=env, cwd=home.path)
    assert theirs.code != 0 and ours.code != 0
    assert server.requests == []
    assert [t.rsplit(" ", 1)[0] for t in proxy.targets] == \
        ["CONNECT ec2.us-east-1.amazonaws.com:443"] * 2


def test_endpoint_url_option_beats_every_configured_one(home: Home, faulty_server: Any) -> None:
    servers = _servers(faulty_server, ("option", "configured"))
    home.config(f"[default]\nendpoint_url = {servers['configured'].url}\n")
    env = home.env(AWS_ENDPOINT_URL_EC2=servers["configured"].url)
    theirs, ours = both(*DESCRIBE, "--endpoint-url", servers["option"].url, env=env,
                        cwd=home.path)
    same(theirs, ours)
    assert len(servers["option"].requests) == 2 and servers["configured"].requests == []


def test_copy_snapshot_presigned_url_uses_the_configured_endpoint(home: Home,
                                                                  faulty_server: Any) -> None:
    """As botocore's inject_presigned_url_ec2: the PresignedUrl is for the endpoint called;
    and `presign copy-snapshot` (help says so) signs it for that same configured endpoint."""
    from urllib.parse import parse_qsl, urlsplit

    xml = (f"<CopySnapshotResponse {NS}><requestId>r</requestId>"
           "<snapshotId>snap-0123456789abcdef1</snapshotId></CopySnapshotResponse>")
    server = faulty_server([Ok(xml)] * 2)
    home.config(f"[default]\nservices = local\n[services local]\nec2 =\n"
                f"  endpoint_url = {server.url}\n")
    env = home.env()
    args = ("ec2", "copy-snapshot", "--region", "us-east-1", "--source-region", "us-west-2",
            "--source-snapshot-id", "snap-066877671789bd71b")
    theirs, ours = both(*args, env=env, cwd=home.path)
    same(theirs, ours)
    hosts = [urlsplit(dict(parse_qsl(r.body.decode()))["PresignedUrl"]).netloc
             for r in server.requests]
    assert hosts == [urlsplit(server.url).netloc] * 2
    presigned = run([sys.executable, "-m", "sigv4kit"],
                    ("presign", "copy-snapshot", "--source-region", "us-west-2",
                     "--source-snapshot-id", "snap-066877671789bd71b",
                     "--destination-region", "us-east-1"), env, home.path)
    assert presigned.code == 0, presigned.err
    assert urlsplit(presigned.out.strip()).netloc == urlsplit(server.url).netloc
    ignored = run([sys.executable, "-m", "sigv4kit"],
                  ("presign", "copy-snapshot", "--source-region", "us-west-2",
                   "--source-snapshot-id", "snap-066877671789bd71b",
                   "--destination-region", "us-east-1"),
                  {**env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, home.path)
    assert urlsplit(ignored.out.strip()).netloc == "ec2.us-west-2.amazonaws.com"


ORACLE_CASES = [
    ({"AWS_ENDPOINT_URL_EC2": "http://a.test", "AWS_ENDPOINT_URL": "http://b.test"}, "", None),
    ({"AWS_ENDPOINT_URL": "http://b.test"}, "[default]\nendpoint_url = http://d.test\n", None),
    ({}, "[default]\nservices = s\nendpoint_url = http://d.test\n"
     "[services s]\nec2 =\n  endpoint_url = http://c.test\n", None),
    ({}, "[profile p q]\nendpoint_url = http://d.test\n", "p q"),
    ({"AWS_DEFAULT_PROFILE": "x", "AWS_PROFILE": "y"},
     "[profile x]\nendpoint_url = http://x.test\n[profile y]\nendpoint_url = http://y.test\n",
     None),
    ({"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true", "AWS_ENDPOINT_URL": "http://b.test"},
     "", None),
    ({"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "yes", "AWS_ENDPOINT_URL": "http://b.test"},
     "", None),
    ({}, "[default]\nignore_configured_endpoint_urls = True\nendpoint_url = http://d.test\n",
     None),
    ({}, "[default]\nendpoint_url = http://d.test\n", "ghost"),
    ({}, "[default]\nservices = missing\n", None),
]


@pytest.mark.parametrize("case", range(len(ORACLE_CASES)))
def test_library_client_endpoint_is_boto3s(case: int, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """sigv4kit.ec2.Client(endpoint_url=None).endpoint_url against botocore's client built
    in the same environment (no request is sent by either)."""
    import botocore.session

    from sigv4kit import Credentials, Error
    from sigv4kit.ec2 import Client

    environ, config, profile = ORACLE_CASES[case]
    for name in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(name)
    (tmp_path / "config").write_text(config)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "missing"))
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    try:
        session = botocore.session.Session(profile=profile)
        theirs: Any = session.create_client(
            "ec2", region_name="eu-west-1", aws_access_key_id="a",
            aws_secret_access_key="b").meta.endpoint_url.rstrip("/") + "/"
    except Exception as exc:
        theirs = type(exc)
    try:
        ours: Any = Client("eu-west-1", Credentials("a", "b"), profile=profile).endpoint_url
    except Error as exc:
        ours = type(exc)
    if isinstance(theirs, str):
        assert ours == theirs
    else:  # botocore's ProfileNotFound / InvalidConfigError: ours is a sigv4kit.Error
        assert isinstance(ours, type) and issubclass(ours, Error), (theirs, ours)


# -- items 4 and 5: exit codes and messages as aws v1's ---------------------------------

def _error_xml(code: str, message: str) -> Any:
    from sigv4kit.testing.faulty_server import Error

    return Error(400 if code != "InternalError" else 500, code, message)


FAILING_SNAPSHOT = (f"<DescribeSnapshotsResponse {NS}><requestId>r</requestId><snapshotSet>"
                    "<item><snapshotId>snap-1</snapshotId><status>error</status>"
                    "<statusMessage>bad PresignedUrl</statusMessage></item></snapshotSet>"
                    "</DescribeSnapshotsResponse>")
ON_SERVER = ("--region", "us-east-1", "--endpoint-url", "{url}")
IDENTICAL: dict[str, tuple[tuple[str, ...], list[Any], dict[str, str]]] = {
    # name: (arguments after `ec2`, the server's script for one run, environment)
    "service-error": (("describe-snapshots", *ON_SERVER),
                      [_error_xml("InvalidSnapshot.NotFound", "The snapshot 'x' does not "
                                  "exist.")], {}),
    "empty-message": (("describe-snapshots", *ON_SERVER),
                      [_error_xml("InvalidParameterValue", "")], {}),
    "dry-run": (("create-snapshot", "--volume-id", "vol-1", "--dry-run", *ON_SERVER),
                [_error_xml("DryRunOperation", "Request would have succeeded, but DryRun "
                            "flag is set.")], {}),
    "auth-failure": (("describe-snapshots", *ON_SERVER),
                     [_error_xml("AuthFailure", "AWS was not able to validate the provided "
                                 "access credentials")], {}),
    "http-500-retried-out": (("describe-snapshots", *ON_SERVER),
                             [_error_xml("InternalError", "boom")], {}),
    "unreachable": (("describe-snapshots", "--region", "us-east-1", "--endpoint-url",
                     "http://127.0.0.1:9"), [], {}),
    "bad-query": (("describe-snapshots", "--query", "Snapshots[?", *ON_SERVER), [], {}),
    "no-region": (("describe-snapshots", "--endpoint-url", "{url}"), [], {}),
    "no-credentials": (("describe-snapshots", *ON_SERVER), [],
                       {"AWS_ACCESS_KEY_ID": "<unset>", "AWS_SECRET_ACCESS_KEY": "<unset>"}),
    "no-profile": (("describe-snapshots", "--profile", "nope", *ON_SERVER), [], {}),
    "no-profile-in-env": (("describe-snapshots", *ON_SERVER), [], {"AWS_PROFILE": "nope"}),
    "bad-region": (("describe-snapshots", "--region", "not a region", "--endpoint-url",
                    "{url}"), [], {}),
    "bad-region-copy": (("copy-snapshot", "--region", "not a region", "--source-region",
                         "us-west-2", "--source-snapshot-id", "snap-1", "--endpoint-url",
                         "{url}"), [], {}),
    "bad-shorthand": (("describe-snapshots", "--filters", "Name=status,Values=[a",
                       *ON_SERVER), [], {}),
    "waiter-failure": (("wait", "snapshot-completed", "--snapshot-ids", "snap-1", *ON_SERVER),
                       [Ok(FAILING_SNAPSHOT)], {}),
    "waiter-error": (("wait", "snapshot-completed", "--snapshot-ids", "snap-1", *ON_SERVER),
                     [_error_xml("InvalidSnapshot.NotFound", "nope")], {}),
}


@pytest.mark.parametrize("case", IDENTICAL)
def test_failures_are_byte_identical_to_aws(case: str, home: Home, faulty_server: Any) -> None:
    args, script, extra = IDENTICAL[case]
    server = faulty_server(script * 2)
    env = home.env(**extra)
    theirs, ours = both("ec2", *(a.format(url=server.url) for a in args), env=env,
                        cwd=home.path)
    same(theirs, ours)
    assert ours.code == 255 and ours.err.strip()


USAGE: dict[str, tuple[tuple[str, ...], int]] = {
    # argparse-level errors: the exit code is aws's; the message is one line of click's
    # (docs/ec2-differences.md: aws prints its whole usage banner first)
    "unknown-option": (("describe-snapshots", "--bogus"), 255),
    "missing-required": (("create-snapshot",), 2),
    "bad-output-choice": (("describe-snapshots", "--output", "yaml"), 2),
    "unknown-command": (("describe-snapshotz",), 2),
    "max-items-not-int": (("describe-snapshots", "--max-items", "x"), 2),
    "bad-integer-member": (("describe-snapshots", "--max-results", "x"), 255),
}


@pytest.mark.parametrize("case", USAGE)
def test_usage_errors_exit_as_aws(case: str, home: Home) -> None:
    args, code = USAGE[case]
    theirs, ours = both("ec2", *args, "--region", "us-east-1", "--endpoint-url",
                        "http://127.0.0.1:9", env=home.env(), cwd=home.path)
    assert (theirs.code, ours.code) == (code, code), (theirs.err, ours.err)
    assert ours.out == "" and len(ours.err.strip().splitlines()) == 1


def test_debug_adds_the_request_id_and_hint(home: Home, faulty_server: Any) -> None:
    server = faulty_server([_error_xml("AuthFailure", "no")])
    result = run([sys.executable, "-m", "sigv4kit"],
                 ("ec2", "describe-snapshots", *ON_SERVER[:3], server.url, "--debug"),
                 home.env(), home.path)
    assert result.code == 255
    assert "(request id " in result.err and "canonical request" in result.err.lower()


def test_other_commands_keep_their_exit_codes(home: Home) -> None:
    bad = run([sys.executable, "-m", "sigv4kit"],
              ("presign", "copy-snapshot", "--source-region", "us-west-2",
               "--source-snapshot-id", "snap-1", "--destination-region", "us-east-1",
               "--expires", "0"), home.env(), home.path)
    assert bad.code == 2 and bad.err.startswith("Error: ")


# -- items 1 and 3: timestamps as sent, and the profile's output ------------------------

PRINTING: dict[str, tuple[str, tuple[str, ...], dict[str, str]]] = {
    # name: (config file, arguments, environment)
    "default-json": ("[default]\n", (), {}),
    "default-text": ("[default]\n", ("--output", "text"), {}),
    "default-table": ("[default]\n", ("--output", "table"), {}),
    "default-query": ("[default]\n", ("--query", "Snapshots[0].StartTime"), {}),
    "wire": ("[default]\ncli_timestamp_format = wire\n", (), {}),
    "none-table": ("[default]\ncli_timestamp_format = none\n", ("--output", "table"), {}),
    "iso8601-json": ("[default]\ncli_timestamp_format = iso8601\n", (), {}),
    "iso8601-text": ("[default]\ncli_timestamp_format = iso8601\n", ("--output", "text"), {}),
    "iso8601-query": ("[default]\ncli_timestamp_format = iso8601\n",
                      ("--query", "Snapshots[].StartTime"), {}),
    "bad-timestamp-format": ("[default]\ncli_timestamp_format = epoch\n", (), {}),
    "profile-output-text": ("[default]\noutput = text\n", (), {}),
    "profile-output-table": ("[default]\noutput = table\n", (), {}),
    "named-profile-output": ("[profile p]\noutput = table\ncli_timestamp_format = iso8601\n",
                             ("--profile", "p"), {}),
    "env-profile-output": ("[profile p]\noutput = text\n", (), {"AWS_PROFILE": "p"}),
    "env-output-wins": ("[default]\noutput = table\n", (), {"AWS_DEFAULT_OUTPUT": "text"}),
    "option-output-wins": ("[default]\noutput = table\n", ("--output", "json"),
                           {"AWS_DEFAULT_OUTPUT": "text"}),
    "credentials-file-output": ("", (), {"<credentials>": "[default]\noutput = text\n"}),
    "bad-profile-output": ("[default]\noutput = yaml\n", (), {}),
}


@pytest.mark.parametrize("case", PRINTING)
def test_printing_as_aws(case: str, home: Home, faulty_server: Any) -> None:
    config, args, extra = PRINTING[case]
    extra = dict(extra)
    home.config(config)
    if "<credentials>" in extra:
        home.credentials(extra.pop("<credentials>"))
    server = faulty_server([Ok(SNAPSHOTS_XML)] * 2)
    theirs, ours = both("ec2", "describe-snapshots", "--region", "us-east-1",
                        "--endpoint-url", server.url, *args, env=home.env(**extra),
                        cwd=home.path)
    same(theirs, ours)
    if case.startswith("default"):
        assert "2026-12-07T06:06:12.000Z" in ours.out
    if case.startswith("iso8601"):
        assert "2026-12-07T06:06:12+00:00" in ours.out


# -- item 6: retries as botocore's modes, from the profile and the environment ----------

def _respond(status: int, body: bytes) -> Any:
    from sigv4kit.testing.faulty_server import Respond

    return Respond(status, body, ())


def _coded(status: int, code: str) -> Any:
    from sigv4kit.testing.faulty_server import Error

    return Error(status, code, "slow down" if status != 500 else "boom")


RETRIES: dict[str, tuple[str, dict[str, str], Any, int, bool]] = {
    # name: (config, environment, the answer every time, attempts each, identical output)
    "legacy-500-profile-attempts": ("[default]\nmax_attempts = 2\n", {}, _coded(500,
                                    "InternalError"), 2, True),
    "legacy-400-throttle-not-retried": ("[default]\nmax_attempts = 3\n", {},
                                        _coded(400, "RequestLimitExceeded"), 1, True),
    "legacy-503-throttle-retried": ("[default]\nmax_attempts = 2\n", {},
                                    _coded(503, "RequestLimitExceeded"), 2, True),
    "standard-from-profile": ("[default]\nretry_mode = standard\nmax_attempts = 2\n", {},
                              _coded(400, "RequestLimitExceeded"), 2, True),
    "standard-default-attempts": ("[default]\nretry_mode = standard\n", {},
                                  _coded(400, "Throttling"), 3, True),
    "adaptive-from-env": ("[default]\nmax_attempts = 2\n", {"AWS_RETRY_MODE": "adaptive"},
                          _coded(400, "ThrottlingException"), 2, True),
    "env-attempts-beat-profile": ("[default]\nmax_attempts = 4\n", {"AWS_MAX_ATTEMPTS": "2"},
                                  _coded(500, "InternalError"), 2, True),
    # not XML: both fail at once; aws echoes the body, we do not (docs/ec2-differences.md)
    "non-xml-500-not-retried": ("[default]\n", {}, _respond(500, b"oops"), 1, False),
}


@pytest.mark.parametrize("case", RETRIES)
def test_retries_as_aws(case: str, home: Home, faulty_server: Any) -> None:
    config, extra, answer, attempts, identical = RETRIES[case]
    home.config(config)
    env = home.env(**{"AWS_MAX_ATTEMPTS": "<unset>", **extra})
    counts = []
    runs = []
    for program in ([AWS], [sys.executable, "-m", "sigv4kit"]):
        server = faulty_server([answer] * 6)
        runs.append(run(program, ("ec2", "describe-snapshots", "--region", "us-east-1",
                                  "--endpoint-url", server.url), env, home.path))
        counts.append(len(server.requests))
    assert counts == [attempts, attempts]
    theirs, ours = runs
    if identical:
        same(theirs, ours)
    else:
        assert theirs.code == ours.code == 255
        assert "Unable to parse response" in ours.err and "oops" not in ours.err


# -- items 7, 8, 9: --ca-bundle only with TLS, --region named, ImportSnapshot as sent -----

@pytest.mark.parametrize("where", ["option", "AWS_CA_BUNDLE", "profile"])
def test_ca_bundle_is_checked_only_when_tls_is_used(where: str, home: Home,
                                                    faulty_server: Any) -> None:
    missing = str(home.path / "missing-ca.pem")
    args: tuple[str, ...] = ("--ca-bundle", missing) if where == "option" else ()
    extra = {"AWS_CA_BUNDLE": missing} if where == "AWS_CA_BUNDLE" else {}
    home.config(f"[default]\nca_bundle = {missing}\n" if where == "profile" else "[default]\n")
    server = faulty_server([Ok(SNAPSHOTS_XML)] * 2)
    theirs, ours = both(*DESCRIBE, "--endpoint-url", server.url, *args,
                        env=home.env(**extra), cwd=home.path)
    same(theirs, ours)  # plain http: the bundle is not used, by either
    assert ours.code == 0
    tls = run([sys.executable, "-m", "sigv4kit"],
              (*DESCRIBE, "--endpoint-url", "https://127.0.0.1:9", *args),
              home.env(**extra), home.path)
    assert tls.code == 255
    assert f"invalid path: {missing} (from " in tls.err
    assert {"option": "--ca-bundle", "AWS_CA_BUNDLE": "AWS_CA_BUNDLE",
            "profile": "profile default's ca_bundle"}[where] in tls.err


def test_import_snapshot_sends_what_aws_sends(home: Home, faulty_server: Any) -> None:
    """The recording stub answers ImportSnapshot (moto has none): no ClientToken from
    either tool unless one is given, and then the same one."""
    from urllib.parse import parse_qsl

    xml = (f"<ImportSnapshotResponse {NS}><requestId>r</requestId>"
           "<importTaskId>import-snap-1</importTaskId></ImportSnapshotResponse>")
    for token in ((), ("--client-token", "tok-1")):
        server = faulty_server([Ok(xml)] * 2)
        theirs, ours = both("ec2", "import-snapshot", "--region", "us-east-1",
                            "--disk-container",
                            "Format=VMDK,UserBucket={S3Bucket=b,S3Key=disk.vmdk}", *token,
                            "--endpoint-url", server.url, env=home.env(), cwd=home.path)
        same(theirs, ours)
        forms = [sorted(parse_qsl(r.body.decode())) for r in server.requests]
        assert forms[0] == forms[1]
        assert ("ClientToken" in dict(forms[1])) == bool(token)


# -- what was missing: volume waiters, --no-paginate, --no-sign-request, --color, --version

def _moto_home_env(home: Home, moto_server: Any) -> dict[str, str]:
    creds = moto_server.credentials
    return home.env(AWS_ACCESS_KEY_ID=creds.access_key_id,
                    AWS_SECRET_ACCESS_KEY=creds.secret_access_key)


def test_volume_waiters_against_moto(home: Home, moto_server: Any) -> None:
    region = "eu-north-1"
    ec2 = moto_server.botocore_client("ec2", region)
    volume = ec2.create_volume(AvailabilityZone=f"{region}a", Size=1)["VolumeId"]
    env = _moto_home_env(home, moto_server)
    common = ("--region", region, "--endpoint-url", moto_server.endpoint_url)
    for args in (("volume-available", "--volume-ids", volume),
                 ("volume-deleted", "--volume-ids", "vol-0000000000000000f")):
        theirs, ours = both("ec2", "wait", *args, *common, env=env, cwd=home.path)
        same(theirs, ours)
        assert ours.code == 0


def test_volume_in_use_waiter_failure_as_aws(home: Home, faulty_server: Any) -> None:
    xml = (f"<DescribeVolumesResponse {NS}><requestId>r</requestId><volumeSet><item>"
           "<volumeId>vol-1</volumeId><status>deleted</status></item></volumeSet>"
           "</DescribeVolumesResponse>")
    server = faulty_server([Ok(xml)] * 2)
    theirs, ours = both("ec2", "wait", "volume-in-use", "--volume-ids", "vol-1", "--region",
                        "us-east-1", "--endpoint-url", server.url, env=home.env(),
                        cwd=home.path)
    same(theirs, ours)
    assert ours.code == 255 and "Waiter VolumeInUse failed" in ours.err


CREATE_XML = (f"<CreateSnapshotResponse {NS}><requestId>r</requestId>"
              "<snapshotId>snap-0123456789abcdef0</snapshotId>"
              "<startTime>2026-12-07T06:06:12.000Z</startTime></CreateSnapshotResponse>")


@pytest.mark.parametrize("extra", [("--no-paginate",), ("--color", "off"),
                                   ("--color", "auto", "--output", "table"),
                                   ("--no-sign-request",)])
def test_global_options_aws_accepts(extra: tuple[str, ...], home: Home,
                                    faulty_server: Any) -> None:
    server = faulty_server([Ok(CREATE_XML)] * 2)
    theirs, ours = both("ec2", "create-snapshot", "--volume-id", "vol-1", "--region",
                        "us-east-1", "--endpoint-url", server.url, *extra, env=home.env(),
                        cwd=home.path)
    same(theirs, ours)
    assert ours.code == 0
    signed = [r.header("Authorization") is not None for r in server.requests]
    assert signed == ([False, False] if "--no-sign-request" in extra else [True, True])
    assert server.requests[0].body == server.requests[1].body


def test_version_on_a_command(home: Home) -> None:
    theirs, ours = both("ec2", "describe-snapshots", "--version", env=home.env(),
                        cwd=home.path)
    assert theirs.code == ours.code == 0
    assert (theirs.out + theirs.err).startswith("aws-cli/")
    assert ours.out.startswith("sigv4kit/") and " Python/" in ours.out


@pytest.mark.parametrize("args", [("copy-snapshot",), ("describe-snapshots",),
                                  ("wait", "volume-available")])
def test_help_documents_what_aws_help_documents(args: tuple[str, ...], home: Home) -> None:
    """Not a pager when stdout is not a terminal, exit 0; the model's description and every
    option aws documents (aws renders through groff: overstrikes removed before comparing)."""
    import re

    theirs, ours = both("ec2", *args, "help", env=home.env(), cwd=home.path)
    assert theirs.code == ours.code == 0 and ours.err == ""
    plain = re.sub(r".\x08", "", theirs.out)
    section = plain.split("GLOBAL OPTIONS", 1)[0]
    documented = set(re.findall(r"^       (--[a-z0-9-]+)", section, re.M))
    options = set(re.findall(r"(--[a-z0-9-]+)", ours.out))
    model_options = {o for o in documented if not o.startswith(("--cli-", "--generate-",
                                                                 "--max-items", "--page-size",
                                                                 "--starting-token"))}
    assert model_options and model_options <= options, model_options - options
    first = " ".join(plain.split("DESCRIPTION", 1)[1].split())[:60]
    assert first in " ".join(ours.out.split())


def test_group_help(home: Home) -> None:
    for group in (("ec2",), ("ec2", "wait")):
        ours = run([sys.executable, "-m", "sigv4kit"], (*group, "help"), home.env(), home.path)
        assert ours.code == 0 and "Commands:" in ours.out
    listed = run([sys.executable, "-m", "sigv4kit"], ("ec2", "wait", "help"), home.env(),
                 home.path)
    assert "volume-deleted" in listed.out


# -- --color: tables coloured as aws colours them ------------------------------------------

NESTED_XML = (f"<DescribeSnapshotsResponse {NS}><requestId>r</requestId><snapshotSet><item>"
              "<snapshotId>snap-0123456789abcdef0</snapshotId><status>completed</status>"
              "<startTime>2026-12-07T06:06:12.000Z</startTime><volumeSize>8</volumeSize>"
              "<tagSet><item><key>Name</key><value>a</value></item><item><key>k2</key>"
              "<value>vv</value></item></tagSet></item><item><snapshotId>snap-2</snapshotId>"
              "<status>pending</status><volumeSize>9</volumeSize></item></snapshotSet>"
              "</DescribeSnapshotsResponse>")


def run_tty(program: list[str], args: tuple[str, ...], env: dict[str, str], cwd: Path) -> bytes:
    """stdout and stderr of ``program`` on a pseudo-terminal 80 columns wide."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    with subprocess.Popen([*program, *args], stdin=subprocess.DEVNULL, stdout=slave,
                          stderr=slave, env=env, cwd=cwd) as process:
        os.close(slave)
        out = b""
        try:
            while chunk := os.read(master, 65536):
                out += chunk
        except OSError:  # EIO: the child closed the terminal
            pass
        finally:
            os.close(master)
        assert process.wait(timeout=120) == 0
    return out


@pytest.mark.parametrize("tty", [False, True])
@pytest.mark.parametrize("color", ["on", "off", "auto", None])
def test_tables_coloured_as_aws(color: str | None, tty: bool, home: Home,
                                faulty_server: Any) -> None:
    """Byte for byte: cells bright blue, nested sections' '|' dim yellow, and colorama's reset
    after each of aws's writes; nothing with off, or auto (the default) off a terminal."""
    server = faulty_server([Ok(NESTED_XML)] * 2)
    args = ("ec2", "describe-snapshots", "--region", "us-east-1", "--endpoint-url", server.url,
            "--output", "table", *(("--color", color) if color else ()))
    coloured = color == "on" or (color != "off" and tty)
    if tty:
        theirs = run_tty([AWS], args, home.env(), home.path)
        ours = run_tty([sys.executable, "-m", "sigv4kit"], args, home.env(), home.path)
    else:
        aws_run, our_run = both(*args, env=home.env(), cwd=home.path)
        same(aws_run, our_run)
        theirs, ours = aws_run.out.encode(), our_run.out.encode()
    assert ours == theirs
    assert (b"\x1b[1m\x1b[34msnap-2\x1b[0m" in ours) is coloured
    assert (b"\x1b" in ours) is coloured
