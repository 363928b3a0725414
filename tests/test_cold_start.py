"""``sigv4kit presign copy-snapshot`` starts like a bare click app: what it loads, the user
cache of botocore's data it reads instead of the 4 MB EC2 model, and that a missing, stale,
damaged or unwritable cache changes nothing but the time taken.

The URLs are checked against botocore's own (``botocore_ec2``), cache or no cache.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

import sigv4kit
from sigv4kit import Credentials
from sigv4kit.aws import cache as entry_cache
from sigv4kit.patterns import lazy

from .botocore_ec2 import botocore_copy_snapshot_presigned_url

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
COMMAND = ["presign", "copy-snapshot", "--source-region", "us-west-2", "--source-snapshot-id",
           "snap-066877671789bd71b", "--destination-region", "us-east-1",
           "--timestamp", "20261125T120000Z"]
NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)

_PROBE = """
import sys
from sigv4kit.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    assert exc.code in (0, None), exc.code
from sigv4kit.aws.data import service_model_data
data = service_model_data("ec2", "2016-11-15")
print("read the model file:", data._indexed or data._full is not None)
print("loaded:", " ".join(sorted(sys.modules)))
"""
"""Runs the command in a fresh interpreter, then says what it loaded and read."""

NOT_LOADED = ("sigv4kit.verify", "sigv4kit.received", "sigv4kit.wire", "sigv4kit.diagnose",
              "sigv4kit.streaming", "sigv4kit.chunked", "requests", "urllib3", "botocore",
              "email", "email.utils", "socket", "http.client", "gzip", "json", "urllib.parse",
              "ipaddress")


def _env(cache_home: Path | str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY=SECRET,
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               XDG_CACHE_HOME=str(cache_home))
    return env


def _run(cache_home: Path | str) -> tuple[str, bool, set[str]]:
    """(the URL printed, whether the model file was read, the modules loaded)."""
    out = subprocess.run([sys.executable, "-c", _PROBE, *COMMAND], env=_env(cache_home),
                         capture_output=True, text=True, check=True, timeout=120)
    url, read, loaded = out.stdout.splitlines()
    assert out.stderr == ""
    return url, read.endswith("True"), set(loaded.removeprefix("loaded: ").split())


@pytest.fixture(scope="module")
def botocores_url() -> str:
    return botocore_copy_snapshot_presigned_url(
        Credentials("AKIDEXAMPLE", SECRET), "us-east-1",
        {"SourceRegion": "us-west-2", "SourceSnapshotId": "snap-066877671789bd71b"}, NOW)


def _cache_files(cache_home: Path) -> list[Path]:
    return sorted((cache_home / "sigv4kit").glob("*.cache"))


def test_second_run_reads_the_cache_not_the_model(tmp_path: Path, botocores_url: str) -> None:
    first_url, first_read, _ = _run(tmp_path)
    assert first_read  # nothing cached yet: the model is read (and the entries kept)
    assert {p.name.split("-")[0] for p in _cache_files(tmp_path)} == {"ec2", "partitions"}
    url, read, loaded = _run(tmp_path)
    assert not read
    assert url == first_url == botocores_url
    assert {"json", "zlib", "gzip"}.isdisjoint(loaded)  # nothing parsed or inflated


def test_the_command_loads_only_what_presigning_needs(tmp_path: Path) -> None:
    _run(tmp_path)
    _, _, loaded = _run(tmp_path)
    assert "sigv4kit.signing" in loaded  # the probe sees what was imported
    # What the interpreter itself loads here (an editable install's finder imports pathlib,
    # hence urllib.parse) is not the command's doing.
    startup = set(subprocess.run(
        [sys.executable, "-c", "import sys; print(' '.join(sys.modules))"], env=_env(tmp_path),
        capture_output=True, text=True, check=True, timeout=60).stdout.split())
    extra = (loaded - startup) & set(NOT_LOADED)
    assert not extra, sorted(extra)


def test_a_stale_cache_is_not_used(tmp_path: Path, botocores_url: str) -> None:
    """A cache written for another copy of the model (another botocore) is ignored and
    rewritten for this one."""
    _run(tmp_path)
    (ec2,) = [p for p in _cache_files(tmp_path) if p.name.startswith("ec2-2016-11-15-service")]
    stale = _forged(ec2, size_delta=1)
    url, read, _ = _run(tmp_path)
    assert read and url == botocores_url
    assert ec2.read_bytes() != stale
    assert not _run(tmp_path)[1]


def _forged(path: Path, size_delta: int) -> bytes:
    """Rewrite a cache file for a model file of another size, with a valid digest, so only
    the identity check can refuse it; every shape in it is emptied."""
    import json

    data = path.read_bytes()
    identity = json.loads(data.split(b"\n")[1])
    entries = entry_cache._decode(data, tuple(identity))
    assert entries is not None
    identity[1] += size_delta  # the source file's size
    forged = {k: json.dumps({"type": "string"}) for k in entries}
    content = entry_cache._encode(tuple(identity), forged)
    path.write_bytes(content)
    return content


def test_the_identity_check_can_fail(tmp_path: Path) -> None:
    """The same forgery with the right identity is believed: so the test above tests it."""
    _run(tmp_path)
    (ec2,) = [p for p in _cache_files(tmp_path) if p.name.startswith("ec2-2016-11-15-service")]
    _forged(ec2, size_delta=0)
    result = subprocess.run([sys.executable, "-c", _PROBE, *COMMAND], env=_env(tmp_path),
                            capture_output=True, text=True, timeout=120)
    # CopySnapshot read from the forgery has no input members, so no --source-region.
    assert "Error: No such option '--source-region'" in result.stderr


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage", "empty"])
def test_a_damaged_cache_is_not_used(tmp_path: Path, botocores_url: str, damage: str) -> None:
    _run(tmp_path)
    for path in _cache_files(tmp_path):
        data = path.read_bytes()
        damaged = {
            "flip": data[:-10] + bytes([data[-10] ^ 0x40]) + data[-9:],
            "truncate": data[: len(data) // 2],
            "garbage": os.urandom(len(data)),
            "empty": b"",
        }[damage]
        path.write_bytes(damaged)
    url, read, _ = _run(tmp_path)
    assert read and url == botocores_url
    assert not _run(tmp_path)[1]  # rewritten whole


def test_an_unwritable_cache_changes_nothing_but_the_time(tmp_path: Path,
                                                          botocores_url: str) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    url, read, _ = _run(blocker)  # XDG_CACHE_HOME is a file: nothing can be written
    assert read and url == botocores_url
    url, read, _ = _run("relative/dir")  # not absolute: ignored, as the XDG spec says
    assert url == botocores_url


def test_the_cache_stays_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(entry_cache, "_writing", True)
    source = tmp_path / "model.json"
    source.write_text("{}")
    identity = entry_cache.file_identity(str(source))
    assert identity is not None
    half = "y" * (entry_cache._MAX_ENTRY // 2)
    cache = entry_cache.EntryCache("model", identity)
    cache.put("big", "x" * (entry_cache._MAX_ENTRY + 1))  # too big to keep
    for i in range(6):
        cache.put(f"old{i}", half)
    cache.save()
    (written,) = _cache_files(tmp_path)
    again = entry_cache.EntryCache("model", identity)
    assert again.get("big") == (False, None)
    assert again.get("old0") == (True, half)
    for i in range(3):  # 9 halves do not fit: only what this process used is kept
        again.put(f"new{i}", half)
    again.save()
    assert written.stat().st_size <= entry_cache._MAX_BYTES
    third = entry_cache.EntryCache("model", identity)
    assert [third.get(k)[0] for k in ("old0", "old1", "new2")] == [True, False, True]
    for i in range(entry_cache._MAX_FILES + 3):
        other = tmp_path / f"m{i}.json"
        other.write_text("{}")
        found = entry_cache.file_identity(str(other))
        assert found is not None
        extra = entry_cache.EntryCache(f"m{i}", found)
        extra.put("k", 1)
        extra.save()
    assert len(_cache_files(tmp_path)) == entry_cache._MAX_FILES


def test_only_the_command_line_writes_the_cache(tmp_path: Path) -> None:
    code = ("from sigv4kit.ec2.serializer import serialize\n"
            "serialize('CopySnapshot', {'SourceRegion': 'us-west-2',"
            " 'SourceSnapshotId': 'snap-066877671789bd71b'})\n")
    subprocess.run([sys.executable, "-c", code], env=_env(tmp_path), check=True, timeout=120)
    assert _cache_files(tmp_path) == []  # a library user's process writes nothing
    _run(tmp_path)
    assert _cache_files(tmp_path) != []


def test_file_identity_of_a_gzip_file_is_its_trailer(tmp_path: Path) -> None:
    import gzip
    import zlib

    data = b'{"a": 1}' * 100
    path = tmp_path / "x.json.gz"
    path.write_bytes(gzip.compress(data))
    identity = entry_cache.file_identity(str(path))
    assert identity is not None and identity[0] == str(path)
    assert identity[-2:] == (zlib.crc32(data), len(data))
    assert entry_cache.file_identity(str(tmp_path / "absent.json.gz")) is None


# -- the public names, imported on first use ---------------------------------------------

def test_public_names_are_the_modules_own() -> None:
    import importlib

    for name in sigv4kit.__all__:
        if name == "__version__":
            continue
        value = getattr(sigv4kit, name)
        home = importlib.import_module(f"sigv4kit.{sigv4kit._SOURCES[name]}")
        assert value is getattr(home, name), name
    assert set(sigv4kit.__all__) <= set(dir(sigv4kit))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        sigv4kit.nope  # noqa: B018


def test_importing_the_package_loads_nothing_else() -> None:
    code = ("import sys, sigv4kit\n"
            "print(sorted(m for m in sys.modules if m.startswith('sigv4kit.')))\n"
            "from sigv4kit import Credentials, verify_request\n"
            "print('sigv4kit.verify' in sys.modules, Credentials.__module__)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out == ["[]", "True sigv4kit.model"]


# -- patterns compiled on first use ------------------------------------------------------

def test_a_lazy_pattern_is_compiled_on_first_use_and_matches_as_re_does() -> None:
    pattern = lazy(r"([a-z]+)=(\d+)", re.IGNORECASE)
    assert "_compiled" not in vars(pattern)
    compiled = re.compile(r"([a-z]+)=(\d+)", re.IGNORECASE)
    text = "A=1 b=22 c=x"
    assert pattern.findall(text) == compiled.findall(text)
    assert vars(pattern)["_compiled"] is compiled  # re's own cache: the same object
    assert "findall" in vars(pattern)  # looked up once, then an attribute of its own
    assert pattern.sub(r"\2", text) == compiled.sub(r"\2", text)
    assert pattern.fullmatch("x") is None and pattern.pattern == compiled.pattern
    assert lazy(rb"\d+").fullmatch(b"12") is not None


def test_rare_paths_work_without_their_modules_loaded_at_import() -> None:
    code = ("import sys\n"
            "from sigv4kit import timestamps, redact\n"
            "print('email.utils' in sys.modules)\n"
            "print(timestamps.parse_http_date('Sun, 30 Aug 2015 12:36:00 GMT'))\n"
            "print('email.utils' in sys.modules)\n"
            "print(redact.redact_url('https://h/?X-Amz-Signature=' + 'a' * 64))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[:3] == ["False", "2015-08-30 12:36:00+00:00", "True"]
    assert "a" * 64 not in out[3] and "X-Amz-Signature=" in out[3]
