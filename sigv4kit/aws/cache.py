"""What ``aws.data`` read from one of botocore's data files, kept in the user's cache folder.

``sigv4kit presign copy-snapshot`` needs a dozen shapes of the EC2 model, but finding them
means inflating and scanning 4 MB (about a third of the command's start-up). The entries a
process read are kept here, as JSON text, and the next process reads them instead of the file.

An entry is only ever what the installed file says: the cache is keyed by the file's path and
identity (its size, modification time and botocore's version; for a ``.json.gz`` also its
gzip trailer, the CRC-32 and size of the uncompressed JSON), so a botocore upgrade (the EC2
model changes weekly) finds a stale cache and starts it afresh. The identity is the first line
and is checked before anything else is read; a digest of the rest (``hashlib``, which signing
loads anyway) catches a damaged file. Every failure to read or write the cache is ignored: the
data file is then read as if there were no cache.

A cache must never change what is signed or where it goes, so only a cache nobody else can
write is read: the folder and each file must be owned by this user and not writable by group
or others (else they are ignored, as if absent), the folder is opened without following a
symlink and each file relative to it with ``O_NOFOLLOW | O_NONBLOCK``, and only a regular file
of at most `_MAX_BYTES` is read (a FIFO, device or symlink in an entry's place is skipped,
never waited on). That ownership check is the integrity guarantee against other users: who can
write such a file can already run code as this user; the digest only detects damage. Values
are JSON, decoded with the C scanner of ``_json`` (without importing ``json``): it reads
element by element, so nothing it builds is larger than a constant times the file, whatever
the file claims (``marshal``, used before, allocated a claimed element count up front).

Only the command line writes the cache (`keep_at_exit`): a program using the library reads
what the CLI left but never writes files under the user's home by itself.

Location: ``$XDG_CACHE_HOME/sigv4kit`` or ``~/.cache/sigv4kit``, one file per data file
(its name holds a digest of the file's path, so two installs of botocore do not evict each
other), written once at exit (to a temporary name, then renamed) when the process read
something new; past `_MAX_FILES` files the oldest are removed: only names this cache writes
(`_NAME`), only regular files it owns, only inside a folder opened without following symlinks.
"""

from __future__ import annotations

import os
import stat
from typing import Any

from .._caches import cached

__all__ = ["EntryCache", "cache_dir", "file_identity", "keep_at_exit"]

_writing = False
"""Whether this process writes what it read (set by the CLI through `keep_at_exit`)."""


def keep_at_exit() -> None:
    """Let this process save, at exit, the entries it read from data files."""
    global _writing
    _writing = True

_MAGIC = b"sigv4kit-cache 2\n"
_MAX_BYTES = 1 << 20
"""A cache file never exceeds 1 MiB (the CLI's entries take ~10 KiB): past that only the
entries this process used are kept, and none when even they do not fit."""
_DIGEST = 16
_MAX_FILES = 64
"""Files kept in the folder: a few per botocore install (virtual environment) in use."""
_MAX_ENTRY = 256 << 10
"""An entry larger than this (a whole 4 MB model) is cheaper to parse than to cache."""
_SUFFIX = ".cache"
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-.")

Identity = tuple[str | int, ...]


def _digest(data: bytes) -> bytes:
    import hashlib  # signing loads it anyway; not loaded by importing this module

    return hashlib.blake2b(data, digest_size=_DIGEST).digest()


def _is_cache_name(name: str) -> bool:
    """A name this cache writes: ``<lower-case data file name>-<8 hex digits>.cache``."""
    stem = name.removesuffix(_SUFFIX)
    tag = stem[-8:]
    return (
        len(stem) > 9
        and stem != name
        and stem[-9] == "-"
        and all(c in "0123456789abcdef" for c in tag)
        and set(stem) <= _NAME_CHARS
        and not stem.startswith(".")
    )


def cache_dir() -> str | None:
    """``$XDG_CACHE_HOME/sigv4kit`` (an absolute path) or else ``~/.cache/sigv4kit``."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        home = os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    return os.path.join(base, "sigv4kit")


def _trusted(status: os.stat_result) -> bool:
    """Owned by this user and writable by nobody else: nobody else can have planted it."""
    return status.st_uid == os.getuid() and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _open_folder(path: str) -> int | None:
    """A descriptor of the cache folder when it is a real folder (not a symlink) this user
    owns and only this user can write, else None."""
    if not hasattr(os, "O_NOFOLLOW") or not hasattr(os, "getuid"):
        return None  # no safe way to open it here: no cache
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        status = os.fstat(fd)
    except OSError:
        os.close(fd)
        return None
    if not stat.S_ISDIR(status.st_mode) or not _trusted(status):
        os.close(fd)
        return None
    return fd


def _read(folder: int, name: str) -> bytes | None:
    """The content of ``name`` in the folder when it is a trusted regular file of at most
    `_MAX_BYTES`; never follows a symlink nor waits on a FIFO."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(name, flags, dir_fd=folder)
    except OSError:
        return None
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode) or not _trusted(status):
            return None
        if status.st_size > _MAX_BYTES:
            return None
        chunks = []
        left = _MAX_BYTES + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        return data if len(data) <= _MAX_BYTES else None
    except OSError:
        return None
    finally:
        os.close(fd)


class _ScanContext:
    """What ``_json.make_scanner`` reads from a ``json.JSONDecoder``: strict JSON, plain
    types (so ``json``, its encoder and its regexes need not be imported to read)."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    memo: dict[str, str] = {}  # noqa: RUF012 - the C scanner clears it after each call
    parse_float = float
    parse_int = int

    @staticmethod
    def parse_constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")


def _json_value(text: str) -> Any:
    """One JSON value that is the whole of ``text``; ValueError otherwise."""
    try:
        from _json import make_scanner
    except ImportError:  # pragma: no cover - an interpreter without the C accelerator
        import json

        return json.loads(text)
    scanner: Any = make_scanner
    try:
        value, end = scanner(_ScanContext())(text, 0)
    except StopIteration:  # the scanner's way of saying "no JSON value here"
        raise ValueError("not JSON") from None
    if end != len(text):
        raise ValueError("trailing data")
    return value


def _json_text(value: Any) -> str:
    import json  # only when writing, at exit

    return json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False)


def _encode(identity: Identity, entries: dict[str, str]) -> bytes:
    """The file: magic, the identity line, then the digest and the entries, one per line
    (``name<TAB>JSON text``: JSON text with ``ensure_ascii`` holds no tab or newline)."""
    body = "".join(f"{name}\t{text}\n" for name, text in entries.items()).encode("ascii")
    head = _MAGIC + _json_text(list(identity)).encode("ascii") + b"\n"
    return head + _digest(body).hex().encode("ascii") + b"\n" + body


def _decode(data: bytes, identity: Identity) -> dict[str, str] | None:
    """The entries (still as JSON text) of a file written for ``identity``, else None. The
    identity is compared before the rest is looked at."""
    if not data.startswith(_MAGIC):
        return None
    head_end = data.find(b"\n", len(_MAGIC))
    if head_end < 0 or head_end - len(_MAGIC) > 4096:
        return None
    try:
        found = _json_value(data[len(_MAGIC) : head_end].decode("ascii"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if found != list(identity):
        return None
    digest_end = head_end + 1 + 2 * _DIGEST
    if data[digest_end : digest_end + 1] != b"\n":
        return None
    body = data[digest_end + 1 :]
    if _digest(body).hex().encode("ascii") != data[head_end + 1 : digest_end]:
        return None
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        return None
    entries = {}
    for line in text.split("\n")[:-1]:
        name, tab, value = line.partition("\t")
        if not tab or not name or len(value) > _MAX_ENTRY:
            return None
        entries[name] = value
    return entries


@cached(4, keys="botocore data folder", reason="botocore's version is read once per install")
def _botocore_version(data_dir: str) -> str:
    """``__version__`` of the botocore whose ``data`` folder this is, read from its source
    (importing botocore costs more than the cache saves), or "" when not found."""
    try:
        with open(os.path.join(os.path.dirname(data_dir), "__init__.py"), "rb") as f:
            head = f.read(8192)
    except OSError:
        return ""
    at = head.find(b"__version__ = ")
    if at < 0:
        return ""
    value = head[at + 14 : head.find(b"\n", at)].strip().strip(b"'\"")
    return value.decode("ascii", "replace")[:64]


def file_identity(path: str) -> Identity | None:
    """What changes when the file's content does, or None when it cannot be read: its path,
    size, modification time and botocore's version; for a gzip file also the trailer's CRC-32
    and size of the uncompressed data."""
    try:
        status = os.stat(path)
        at = path.rfind(os.sep + "data" + os.sep)
        version = _botocore_version(path[: at + 5]) if at >= 0 else ""
        identity: Identity = (path, status.st_size, status.st_mtime_ns, version)
        if path.endswith(".gz"):
            with open(path, "rb") as f:
                f.seek(-8, os.SEEK_END)
                trailer = f.read(8)
            if len(trailer) != 8:
                return None
            identity += (int.from_bytes(trailer[:4], "little"),
                         int.from_bytes(trailer[4:], "little"))
        return identity
    except (OSError, ValueError):
        return None


class EntryCache:
    """The cached entries of one data file: name -> the JSON text (decoded on use)."""

    def __init__(self, name: str, identity: Identity) -> None:
        self._identity = identity
        folder = cache_dir()
        tag = _digest(str(identity[0]).encode("utf-8", "surrogateescape")).hex()[:8]
        file_name = f"{name.lower()}-{tag}{_SUFFIX}"
        ok = folder is not None and _is_cache_name(file_name)
        self._folder = folder if ok else None
        self._name = file_name
        self._stored: dict[str, str] = self._load()
        self._used: dict[str, str] = {}
        self._new = False

    def _load(self) -> dict[str, str]:
        if self._folder is None:
            return {}
        fd = _open_folder(self._folder)
        if fd is None:
            return {}
        try:
            data = _read(fd, self._name)
        finally:
            os.close(fd)
        if data is None:
            return {}
        return _decode(data, self._identity) or {}

    def get(self, key: str) -> tuple[bool, Any]:
        """(True, value) when ``key`` is cached, else (False, None)."""
        raw = self._stored.get(key)
        if raw is None:
            return False, None
        try:
            value = _json_value(raw)
        except (ValueError, RecursionError):
            del self._stored[key]
            return False, None
        self._used[key] = raw
        return True, value

    def put(self, key: str, value: Any) -> None:
        """Keep ``value`` (as JSON text now, so what is saved is what was read)."""
        if self._folder is None or not _writing:
            return
        if not key or "\t" in key or "\n" in key:
            return
        try:
            raw = _json_text(value)
        except (TypeError, ValueError, RecursionError):  # not plain JSON data
            return
        if len(raw) > _MAX_ENTRY:
            return
        self._stored[key] = self._used[key] = raw
        if not self._new:
            self._new = True
            import atexit

            atexit.register(self.save)

    def save(self) -> None:
        """Write the entries (atomically: a temporary file renamed over the old one); any
        failure leaves the cache as it was, or absent."""
        if self._folder is None or not self._new:
            return
        self._new = False
        content = _encode(self._identity, self._stored)
        if len(content) > _MAX_BYTES:
            content = _encode(self._identity, self._used)
            if len(content) > _MAX_BYTES:
                return
        try:
            os.makedirs(self._folder, mode=0o700, exist_ok=True)
        except OSError:
            return
        fd = _open_folder(self._folder)
        if fd is None:  # not ours alone, or a symlink: neither written nor pruned
            return
        try:
            _write(fd, self._name, content)
            _prune(fd)
        except OSError:  # read-only or full disk, a race …: never fail the command
            return
        finally:
            os.close(fd)


def _write(folder: int, name: str, content: bytes) -> None:
    temporary = f"{name}.{os.getpid()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(temporary, flags, 0o600, dir_fd=folder)
    try:
        with open(fd, "wb") as f:
            f.write(content)
        os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
    finally:
        _remove(temporary, folder)


def _prune(folder: int) -> None:
    """Remove the least recently written cache files past `_MAX_FILES`: only names this cache
    writes, only regular files this user owns, all relative to the folder's descriptor."""
    mine = []
    for name in os.listdir(folder):
        if not _is_cache_name(name):
            continue
        try:
            status = os.stat(name, dir_fd=folder, follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISREG(status.st_mode) and status.st_uid == os.getuid():
            mine.append((status.st_mtime_ns, name))
    if len(mine) <= _MAX_FILES:
        return
    mine.sort()
    for _, name in mine[: len(mine) - _MAX_FILES]:
        _remove(name, folder)


def _remove(name: str, folder: int) -> None:
    """Unlink ``name`` in the folder, if it is (still) there."""
    import contextlib  # only when writing

    with contextlib.suppress(OSError):
        os.unlink(name, dir_fd=folder)
