"""What ``aws.data`` read from one of botocore's data files, kept in the user's cache folder.

``sigv4kit presign copy-snapshot`` needs a dozen shapes of the EC2 model, but finding them
means inflating and scanning 4 MB (about a third of the command's start-up). The entries a
process read are kept here, marshalled, and the next process reads them instead of the file.

An entry is only ever what the installed file says: the cache is keyed by the file's path and
identity (for a ``.json.gz`` its gzip trailer, the CRC-32 and size of the uncompressed JSON,
read with one seek; for a ``.json`` its size and modification time), so a botocore upgrade
(the EC2 model changes weekly) finds a stale cache and starts it afresh. ``marshal`` rather
than ``json``: it is built into the interpreter (no import) and loads several times faster;
a digest of the content (``hashlib``, which signing loads anyway; ``zlib`` is not loaded
when nothing is inflated) and a check of every type catch a damaged file. Every failure to
read or write the cache is ignored: the data file is then read as if there were no cache.

Only the command line writes the cache (`keep_at_exit`): a program using the library reads
what the CLI left but never writes files under the user's home by itself.

Location: ``$XDG_CACHE_HOME/sigv4kit`` or ``~/.cache/sigv4kit``, one file per data file
(its name holds a digest of the file's path, so two installs of botocore do not evict each
other), written once at exit (to a temporary name, then renamed) when the process read
something new; past `_MAX_FILES` files the oldest are removed.
"""

from __future__ import annotations

import marshal
import os
from typing import Any

__all__ = ["EntryCache", "cache_dir", "file_identity", "keep_at_exit"]

_writing = False
"""Whether this process writes what it read (set by the CLI through `keep_at_exit`)."""


def keep_at_exit() -> None:
    """Let this process save, at exit, the entries it read from data files."""
    global _writing
    _writing = True

_MAGIC = b"sigv4kit-cache 1 %d\n" % marshal.version
_MAX_BYTES = 1 << 20
"""A cache file never exceeds 1 MiB (the CLI's entries take ~10 KiB): past that only the
entries this process used are kept, and none when even they do not fit."""
_DIGEST = 16


def _digest(data: bytes) -> bytes:
    import hashlib  # signing loads it anyway; not loaded by importing this module

    return hashlib.blake2b(data, digest_size=_DIGEST).digest()


_MAX_FILES = 64
"""Files kept in the folder: a few per botocore install (virtual environment) in use."""
_MAX_ENTRY = 256 << 10
"""An entry larger than this (a whole 4 MB model) is cheaper to parse than to cache."""


def cache_dir() -> str | None:
    """``$XDG_CACHE_HOME/sigv4kit`` (an absolute path) or else ``~/.cache/sigv4kit``."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        home = os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    return os.path.join(base, "sigv4kit")


def file_identity(path: str) -> tuple[str, int, int] | None:
    """What changes when the file's content does, or None when it cannot be read: for a gzip
    file the trailer's CRC-32 and size of the uncompressed data, else the size and mtime."""
    try:
        if path.endswith(".gz"):
            with open(path, "rb") as f:
                f.seek(-8, os.SEEK_END)
                trailer = f.read(8)
            if len(trailer) != 8:
                return None
            return (path, int.from_bytes(trailer[:4], "little"),
                    int.from_bytes(trailer[4:], "little"))
        status = os.stat(path)
        return (path, status.st_size, status.st_mtime_ns)
    except (OSError, ValueError):
        return None


class EntryCache:
    """The cached entries of one data file: name -> the marshalled value (decoded on use)."""

    def __init__(self, name: str, identity: tuple[str, int, int]) -> None:
        self._identity = identity
        folder = cache_dir()
        tag = _digest(identity[0].encode("utf-8", "surrogateescape")).hex()[:8]
        self._path = None if folder is None else os.path.join(folder, f"{name}-{tag}.cache")
        self._stored: dict[str, bytes] = self._load()
        self._used: dict[str, bytes] = {}
        self._new = False

    def _load(self) -> dict[str, bytes]:
        if self._path is None:
            return {}
        try:
            with open(self._path, "rb") as f:
                data = f.read(_MAX_BYTES + 1)
            if not data.startswith(_MAGIC) or len(data) > _MAX_BYTES:
                return {}
            body = data[len(_MAGIC) + _DIGEST :]
            if _digest(body) != data[len(_MAGIC) : len(_MAGIC) + _DIGEST]:
                return {}
            identity, entries = marshal.loads(body)
        except Exception:  # unreadable, damaged, another format: as if there were none
            return {}
        if identity != self._identity or type(entries) is not dict:
            return {}
        if not all(type(k) is str and type(v) is bytes for k, v in entries.items()):
            return {}
        return entries

    def get(self, key: str) -> tuple[bool, Any]:
        """(True, value) when ``key`` is cached, else (False, None)."""
        raw = self._stored.get(key)
        if raw is None:
            return False, None
        try:
            value = marshal.loads(raw)
        except Exception:
            del self._stored[key]
            return False, None
        self._used[key] = raw
        return True, value

    def put(self, key: str, value: Any) -> None:
        """Keep ``value`` (marshalled now, so what is saved is what was read)."""
        if self._path is None or not _writing:
            return
        try:
            raw = marshal.dumps(value)
        except ValueError:  # not plain JSON data
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
        if self._path is None or not self._new:
            return
        self._new = False
        entries = self._stored
        body = marshal.dumps((self._identity, entries))
        if len(body) + len(_MAGIC) + _DIGEST > _MAX_BYTES:
            entries = self._used
            body = marshal.dumps((self._identity, entries))
            if len(body) + len(_MAGIC) + _DIGEST > _MAX_BYTES:
                return
        temporary = f"{self._path}.{os.getpid()}.tmp"
        try:
            os.makedirs(os.path.dirname(self._path), mode=0o700, exist_ok=True)
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with open(fd, "wb") as f:
                    f.write(_MAGIC + _digest(body) + body)
                os.replace(temporary, self._path)
                _prune(os.path.dirname(self._path))
            finally:
                if os.path.exists(temporary):
                    os.unlink(temporary)
        except Exception:  # read-only or full disk, a race …: never fail the command
            return


def _prune(folder: str) -> None:
    """Remove the least recently written cache files past `_MAX_FILES`."""
    names = [name for name in os.listdir(folder) if name.endswith(".cache")]
    if len(names) <= _MAX_FILES:
        return
    paths = sorted((os.path.join(folder, name) for name in names), key=os.path.getmtime)
    for path in paths[: len(paths) - _MAX_FILES]:
        os.unlink(path)
