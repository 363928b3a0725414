"""The botocore-entry cache nobody else can steer (issue 22 item 2): a folder or file that is
not the user's own, or that others can write, is ignored as if absent; FIFOs, symlinks and
oversized files are never read; a crafted file cannot make the reader allocate; pruning never
deletes what the cache did not write nor goes through a symlinked folder; and a planted entry
never changes where the CLI's presigned URL points."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from sigv4kit.aws import cache as entry_cache

from .test_cold_start import COMMAND, _env

MODE_OPEN = {"group-writable": 0o620, "world-writable": 0o602}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(entry_cache, "_writing", True)
    return tmp_path


def _saved(home: Path) -> tuple[entry_cache.Identity, Path]:
    """A source file and a cache of it holding {"k": [1, 2]}, as the CLI writes it."""
    source = home / "model.json"
    source.write_text("{}")
    identity = entry_cache.file_identity(str(source))
    assert identity is not None
    cache = entry_cache.EntryCache("model", identity)
    cache.put("k", [1, 2])
    cache.save()
    (path,) = (home / "sigv4kit").glob("*.cache")
    assert entry_cache.EntryCache("model", identity).get("k") == (True, [1, 2])
    return identity, path


def _reads(identity: entry_cache.Identity) -> bool:
    return entry_cache.EntryCache("model", identity).get("k")[0]


@pytest.mark.parametrize("mode", sorted(MODE_OPEN))
def test_a_file_others_can_write_is_ignored(home: Path, mode: str) -> None:
    identity, path = _saved(home)
    path.chmod(MODE_OPEN[mode])
    assert not _reads(identity)
    path.chmod(0o600)
    assert _reads(identity)  # the same file, ours alone again: read


@pytest.mark.parametrize("mode", ["group-writable", "world-writable"])
def test_a_folder_others_can_write_is_ignored_and_not_written(home: Path, mode: str) -> None:
    identity, path = _saved(home)
    folder = home / "sigv4kit"
    folder.chmod(0o770 if mode == "group-writable" else 0o707)
    assert not _reads(identity)
    path.unlink()
    cache = entry_cache.EntryCache("model", identity)
    cache.put("k", [3])
    cache.save()
    assert not path.exists()
    folder.chmod(0o700)


def test_a_folder_or_file_owned_by_someone_else_is_ignored(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    identity, _ = _saved(home)
    real = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: real + 1)
    assert not _reads(identity)
    monkeypatch.setattr(os, "getuid", lambda: real)
    assert _reads(identity)


def test_a_symlink_in_place_of_the_folder_or_a_file_is_not_followed(home: Path) -> None:
    identity, path = _saved(home)
    moved = home / "elsewhere"
    (home / "sigv4kit").rename(moved)
    (home / "sigv4kit").symlink_to(moved)
    assert not _reads(identity)
    (home / "sigv4kit").unlink()
    moved.rename(home / "sigv4kit")
    target = home / "target.cache"
    path.rename(target)
    path.symlink_to(target)
    assert not _reads(identity)


_FIFO_PROBE = """
import os, sys
from sigv4kit.aws import cache
os.environ["XDG_CACHE_HOME"] = sys.argv[1]
identity = cache.file_identity(sys.argv[2])
print(cache.EntryCache("model", identity).get("k"))
"""


def test_a_fifo_in_place_of_an_entry_does_not_hang(home: Path) -> None:
    identity, path = _saved(home)
    path.unlink()
    os.mkfifo(path, 0o600)
    out = subprocess.run([sys.executable, "-c", _FIFO_PROBE, str(home), str(identity[0])],
                         capture_output=True, text=True, timeout=60, check=True,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    assert out.stdout.strip() == "(False, None)"


def test_an_oversized_file_is_not_read(home: Path) -> None:
    identity, path = _saved(home)
    data = path.read_bytes()
    path.write_bytes(data + b"\n" * (entry_cache._MAX_BYTES + 1 - len(data)))
    assert not _reads(identity)


def test_a_tiny_file_claiming_a_huge_count_allocates_nothing(home: Path) -> None:
    """The 41-byte attack on the marshal format (a list claiming 2**31 - 1 elements), and the
    same claim under this format's identity line: refused, with no large allocation."""
    identity, path = _saved(home)
    head = entry_cache._MAGIC + json.dumps(list(identity)).encode() + b"\n"
    for body in (b"[\xff\xff\xff\x7f" + b"\0" * 36, b"k\t[" + b"0," * 10 + b"\n"):
        for content in (body, head + entry_cache._digest(body).hex().encode() + b"\n" + body):
            path.write_bytes(content)
            tracemalloc.start()
            try:
                assert not _reads(identity)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            assert peak < 256 << 10, peak


def test_the_identity_is_checked_before_the_body(home: Path) -> None:
    identity, path = _saved(home)
    other = (*identity[:1], int(identity[1]) + 1, *identity[2:])
    path.write_bytes(entry_cache._encode(other, {"k": "[1,2]"}))
    assert not _reads(identity)
    path.write_bytes(entry_cache._encode(identity, {"k": "[1,2]"}))
    assert _reads(identity)


def test_pruning_deletes_only_the_caches_own_files(home: Path) -> None:
    folder = home / "sigv4kit"
    folder.mkdir(mode=0o700)
    keep = ["key", "notes.txt", "x.cache", "Upper-01234567.cache", "a-0123456.cache",
            "model-01234567.cache.123.tmp"]
    for name in keep:
        (folder / name).write_text("not ours")
    os.mkfifo(folder / "fifo-01234567.cache")
    (folder / "link-01234567.cache").symlink_to(home / "victim")
    (home / "victim").write_text("keep me")
    for i in range(entry_cache._MAX_FILES + 5):
        source = home / f"m{i}.json"
        source.write_text("{}")
        identity = entry_cache.file_identity(str(source))
        assert identity is not None
        cache = entry_cache.EntryCache(f"m{i}", identity)
        cache.put("k", i)
        cache.save()
    names = {p.name for p in folder.iterdir()}
    assert set(keep) <= names
    assert {"fifo-01234567.cache", "link-01234567.cache"} <= names
    assert (home / "victim").read_text() == "keep me"
    written = [n for n in names if n.startswith("m") and n.endswith(".cache")]
    assert len(written) == entry_cache._MAX_FILES


def test_pruning_never_goes_through_a_symlinked_folder(home: Path) -> None:
    elsewhere = home / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    planted = [f"p{i}-0123456{i % 10}.cache" for i in range(entry_cache._MAX_FILES + 5)]
    for name in planted:
        (elsewhere / name).write_text("someone's file")
    (home / "sigv4kit").symlink_to(elsewhere)
    source = home / "model.json"
    source.write_text("{}")
    identity = entry_cache.file_identity(str(source))
    assert identity is not None
    cache = entry_cache.EntryCache("model", identity)
    cache.put("k", 1)
    cache.save()
    assert sorted(p.name for p in elsewhere.iterdir()) == sorted(planted)


def _presign(cache_home: Path) -> str:
    out = subprocess.run([sys.executable, "-m", "sigv4kit", *COMMAND], env=_env(cache_home),
                         capture_output=True, text=True, timeout=120, check=True)
    return out.stdout.strip()


def test_a_planted_entry_never_changes_where_the_cli_signs_for(tmp_path: Path) -> None:
    """Plant a partitions entry pointing ec2 at another host (a valid file for the right
    identity), world-writable: the CLI ignores it. The same file, the user's own, is believed
    (so this test can fail): only ownership and permissions stand between the two."""
    honest = _presign(tmp_path)
    assert honest.startswith("https://ec2.us-west-2.amazonaws.com/")
    (path,) = (tmp_path / "sigv4kit").glob("partitions-*.cache")
    data = path.read_bytes()
    identity = tuple(json.loads(data.split(b"\n")[1]))
    entries = entry_cache._decode(data, identity)
    assert entries is not None
    entries["document"] = entries["document"].replace('"amazonaws.com"', '"attacker.example"')
    planted = entry_cache._encode(identity, entries)
    for mode in (0o666, 0o620, 0o600):
        path.write_bytes(planted)  # a run that ignored it rewrote it: plant it again
        path.chmod(mode)
        url = _presign(tmp_path)
        if mode == 0o600:
            assert "attacker.example" in url
        else:
            assert url == honest
