"""Attack review of the ``sigv4kit ec2`` configuration surface: the shared config and
credentials files (their messages, who may write them, what they are), configured endpoints,
retries and ``--no-sign-request``, as a hostile file or server would use them."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from sigv4kit.aws import config_file
from sigv4kit.aws.config_endpoints import configured_endpoint
from sigv4kit.aws.config_file import ConfigFileError
from tests.cli_process import assert_clean, cli_env, run_cli

HIDDEN = "wJalrXUtnFEMIsecretK7MDENGbPxRfiCYEXAMPLEKEY"


def _env(tmp_path: Path, config: str = "", credentials: str = "") -> dict[str, str]:
    (tmp_path / "config").write_text(config)
    (tmp_path / "credentials").write_text(credentials)
    return {"AWS_CONFIG_FILE": str(tmp_path / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials")}


@pytest.mark.parametrize("credentials", [
    f"aws_secret_access_key = {HIDDEN}\n",  # no section header: configparser quotes line 1
    f"[default]\naws_access_key_id = AKID\n{HIDDEN}\n",  # a bad line: quoted by ParsingError
    f"[default]\naws_secret_access_key =\n  {HIDDEN}\n",  # a nested value that is not k = v
])
def test_a_broken_credentials_file_is_never_quoted(tmp_path: Path, credentials: str) -> None:
    env = _env(tmp_path, "[default]\nregion = us-east-1\n", credentials)
    with pytest.raises(ConfigFileError) as caught:
        config_file.load(env)
    assert HIDDEN[:12] not in str(caught.value)
    assert "line" in str(caught.value)  # where it is, instead
    result = run_cli("ec2", "describe-snapshots", "--endpoint-url", "http://127.0.0.1:9",
                     env=cli_env(**env))
    assert_clean(result, codes=(255,))
    assert HIDDEN[:12] not in result.output and "credentials" in result.stderr


def test_a_non_utf8_config_is_named_by_byte_not_quoted(tmp_path: Path) -> None:
    env = _env(tmp_path)
    (tmp_path / "config").write_bytes(b"[default]\nregion = \xff" + HIDDEN.encode())
    with pytest.raises(ConfigFileError, match="not UTF-8 at byte 19"):
        config_file.load(env)


def test_a_world_writable_config_cannot_steer_the_endpoint(tmp_path: Path) -> None:
    """Anyone could point signed calls (and their session token) at their own host: refused
    rather than read (botocore reads it; documented in docs/ec2-differences.md)."""
    env = _env(tmp_path, "[default]\nregion = us-east-1\nendpoint_url = http://127.0.0.2:9\n")
    assert configured_endpoint("ec2", environ=env) is not None  # 0644: used
    os.chmod(tmp_path / "config", 0o666)
    with pytest.raises(ConfigFileError, match="writable by every user"):
        configured_endpoint("ec2", environ=env)
    result = run_cli("ec2", "describe-snapshots", env=cli_env(**env))
    assert_clean(result, codes=(255,))
    assert "refused, writable by every user" in result.stderr
    assert "127.0.0.2" not in result.stderr


def test_a_config_owned_by_another_user_is_refused() -> None:
    mine = os.stat_result((0o100644, 0, 0, 1, os.getuid(), 0, 10, 0, 0, 0))
    theirs = os.stat_result((0o100644, 0, 0, 1, os.getuid() + 4242, 0, 10, 0, 0, 0))
    rooted = os.stat_result((0o100644, 0, 0, 1, 0, 0, 10, 0, 0, 0))
    assert config_file._foreign_writer(mine) is None
    assert config_file._foreign_writer(rooted) is None
    assert "owned by uid" in (config_file._foreign_writer(theirs) or "")


def test_a_path_swapped_for_a_fifo_after_the_check_does_not_hang(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A FIFO nobody writes to is read as empty (botocore's isfile), even if it replaced a
    regular file between a check and the open: the open never blocks."""
    fifo = tmp_path / "config"
    os.mkfifo(fifo)
    monkeypatch.setattr(os.path, "isfile", lambda path: True)  # the race, lost
    env = {"AWS_CONFIG_FILE": str(fifo), "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    found: list[object] = []
    worker = threading.Thread(target=lambda: found.append(config_file.load(env).profiles),
                              daemon=True)
    worker.start()
    worker.join(5)
    hung = worker.is_alive()
    if hung:  # let the old code's blocked open finish
        with open(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK), "wb"):
            pass
    assert not hung and found == [{}]


def test_dev_zero_and_a_directory_read_as_empty(tmp_path: Path) -> None:
    for path in ("/dev/zero", str(tmp_path)):
        env = {"AWS_CONFIG_FILE": path, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
        assert config_file.load(env).profiles == {}


def test_presign_does_not_run_a_world_writable_configs_credential_process(
        tmp_path: Path) -> None:
    """``presign`` resolves credentials through botocore, which would run whatever
    ``credential_process`` anyone wrote into the file: the file is checked first."""
    ran = tmp_path / "ran"
    env = _env(tmp_path, f"[default]\ncredential_process = touch {ran}\n")
    os.chmod(tmp_path / "config", 0o666)
    args = ("presign", "copy-snapshot", "--destination-region", "us-east-1",
            "--source-region", "us-west-2", "--source-snapshot-id", "snap-12345678")
    plain = {k: v for k, v in cli_env(**env).items()
             if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")}
    result = run_cli(*args, env=plain)
    assert_clean(result, codes=(1, 2))
    assert "writable by every user" in result.stderr and not ran.exists()
    os.chmod(tmp_path / "config", 0o644)  # the user's own file: run, as botocore does
    result = run_cli(*args, env=plain)
    assert_clean(result, codes=(1, 2))  # its empty output is not JSON: one line, no traceback
    assert ran.exists() and "credential source failed (JSONDecodeError)" in result.stderr


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/\x1b[2J", "http://127.0.0.1:9/a b",
                                 "http://ex\u00e4mple.com", " http://127.0.0.1:9",
                                 "http://127.0.0.1:9/\u202e"])
def test_an_endpoint_with_controls_spaces_or_non_ascii_is_refused_by_the_client(
        url: str) -> None:
    from sigv4kit.ec2 import Client
    from sigv4kit.errors import SigningError

    with pytest.raises(SigningError, match=r"^endpoint_url: holds a space, a control"):
        Client("us-east-1", lambda: None, endpoint_url=url)  # type: ignore[arg-type]


def test_a_configured_endpoints_bad_url_is_named_by_where_it_was_set(tmp_path: Path) -> None:
    """Not ``--endpoint-url`` (the user gave none): the profile key that set it."""
    env = _env(tmp_path, "[default]\nregion = us-east-1\n"
                         "endpoint_url = http://user:pw@127.0.0.2:9/\n")
    result = run_cli("ec2", "describe-snapshots", env=cli_env(**env))
    assert_clean(result, codes=(255,))
    assert "'profile default's endpoint_url': must not carry a query, a fragment or user " \
        "info" in result.stderr
    assert "--endpoint-url" not in result.stderr


def _help_on_a_terminal(pager: str) -> tuple[int, bytes]:
    """``sigv4kit ec2 describe-snapshots help`` with stdin and stdout a pseudo-terminal (the
    pager path), bounded to 30 s."""
    import pty
    import select
    import sys
    import time

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PAGER": pager, "TERM": "xterm", "PYTHONPATH": str(root)}
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.chdir(root)
        os.execve(sys.executable, [sys.executable, "-c",  # the console script's way in
                                   "import sigv4kit_entry; sigv4kit_entry.main()", "ec2",
                                   "describe-snapshots", "help"],
                  {str(k): str(v) for k, v in env.items()})
    out, ends = b"", time.monotonic() + 30
    try:
        while time.monotonic() < ends:
            if select.select([fd], [], [], 0.5)[0]:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
    finally:
        if time.monotonic() >= ends:
            os.kill(pid, 9)
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), out


@pytest.mark.parametrize("pager", ['"', "/nonexistent/pager"])
def test_help_with_an_unusable_pager_prints_plainly(pager: str) -> None:
    code, out = _help_on_a_terminal(pager)
    assert b"Traceback" not in out and b"internal error" not in out, out[-300:]
    assert code == 0 and b"Global Options" in out


@pytest.mark.parametrize("delays", [{"retry_base_delay": 1e308}, {"retry_max_delay": 1e308},
                                    {"retry_base_delay": 86401.0}])
def test_retry_delays_beyond_a_day_are_refused_not_an_overflow_at_sleep(
        delays: dict[str, float]) -> None:
    """With no deadline, a huge delay reached ``time.sleep`` as OverflowError."""
    from sigv4kit import Credentials
    from sigv4kit.ec2 import Client
    from sigv4kit.errors import SigningError

    with pytest.raises(SigningError, match="from 0 to 86400"):
        Client("us-east-1", Credentials("AKID", "x"), endpoint_url="http://127.0.0.1:9",
               deadline=None, **delays)  # type: ignore[arg-type]
