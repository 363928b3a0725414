"""No cache keeps a secret (issue 22 item 13): sign, presign and verify (header, presigned,
SigV4a, aws-chunked streaming, the CopySnapshot presigner) with a credential whose secret and
token are fresh random strings; drop everything; then search every object the garbage collector
can reach, and what those hold, for the secret and the token (as str and as UTF-8 bytes).

- Without ``clear_caches()`` the secret must already be gone: caches key what is derived from a
  secret by its fingerprint and never hold the secret itself.
- After ``sigv4kit.clear_caches()`` the session token must be gone too.

The test never holds either string whole: it keeps two halves of each and looks for one half
followed by the other, so the search cannot find the test's own copy.
"""

from __future__ import annotations

import gc
import secrets
from collections.abc import Iterator

from sigv4kit import S3_PRESIGN_OPTIONS, Credentials, Request, Signer, presign, sign_request
from sigv4kit.streaming import sign_chunked
from sigv4kit.verify import verify_presigned_url, verify_request

NOW = "20240102T030405Z"


class Needle:
    """A string known by its two halves only (no object holds it whole)."""

    def __init__(self) -> None:
        self.head = secrets.token_urlsafe(18)  # urlsafe: the same text in a URL
        self.tail = secrets.token_urlsafe(18)
        self.head_bytes = self.head.encode()
        self.tail_bytes = self.tail.encode()

    def whole(self) -> str:
        return self.head + self.tail

    def in_(self, value: object) -> bool:
        if isinstance(value, str):
            head, tail = self.head, self.tail
        elif isinstance(value, bytes | bytearray):
            head, tail = self.head_bytes, self.tail_bytes  # type: ignore[assignment]
        else:
            return False
        at = value.find(head)  # type: ignore[arg-type]
        while at >= 0:
            if value.startswith(tail, at + len(head)):  # type: ignore[arg-type]
                return True
            at = value.find(head, at + 1)  # type: ignore[arg-type]
        return False


def _reachable() -> Iterator[object]:
    """Every object the collector tracks, and everything they refer to that it does not track
    (strings, bytes, tuples and dicts of atoms), each once."""
    seen: set[int] = set()
    stack = gc.get_objects()
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        yield obj
        for ref in gc.get_referents(obj):
            if id(ref) not in seen and not gc.is_tracked(ref):
                stack.append(ref)


def _holders(*needles: Needle) -> list[str]:
    gc.collect()
    found = []
    for obj in _reachable():
        if isinstance(obj, str | bytes | bytearray) and any(n.in_(obj) for n in needles):
            found.append(f"{type(obj).__name__} of {len(obj)}: referred to by " + ", ".join(
                sorted({type(r).__name__ for r in gc.get_referrers(obj)})))
    return found


def _use(secret: Needle, token: Needle) -> None:
    """Every way the core handles a credential; nothing of it survives the call."""
    creds = Credentials("AKIDSECRETCACHES0001", secret.whole(), token.whole())
    lookup = {creds.access_key_id: creds}.get
    request = Request("POST", "https://example.amazonaws.com/a/b?x=1",
                      [("Content-Type", "text/plain")], b"body")
    for algorithm in ("sigv4", "sigv4a"):
        signed = sign_request(request, creds, region="us-east-1", service="service",
                              timestamp=NOW, algorithm=algorithm)
        assert verify_request(signed.request, lookup, now=NOW).valid
        url = presign(Request("GET", "https://example.amazonaws.com/k"), creds,
                      region="us-east-1", service="s3", timestamp=NOW, algorithm=algorithm,
                      **S3_PRESIGN_OPTIONS).url
        assert verify_presigned_url(url, lookup, now=NOW).valid
    signer = Signer(creds, region="eu-west-1", service="sqs")
    signer.sign(request)
    signer.presign(request)
    upload = sign_chunked(Request("PUT", "https://bucket.s3.amazonaws.com/key"), creds,
                          region="us-east-1", service="s3", payload=b"x" * 70000,
                          chunk_size=65536, trailer="crc32", timestamp=NOW)
    received = Request("PUT", upload.request.url, upload.request.headers, upload.body.read_all())
    assert verify_request(received, lookup, now=NOW).valid

    from sigv4kit.ec2.presigned import CopySnapshotPresigner

    bulk = CopySnapshotPresigner(creds, source_region="us-west-2",
                                 destination_region="us-east-1", timestamp=NOW)
    bulk.presign("snap-066877671789bd71b")


def test_no_cache_holds_a_secret_key_once_the_credentials_are_dropped() -> None:
    secret, token = Needle(), Needle()
    _use(secret, token)
    assert _holders(secret) == []


def test_after_clear_caches_nothing_holds_the_secret_or_the_token() -> None:
    import sigv4kit

    secret, token = Needle(), Needle()
    _use(secret, token)
    assert _holders(token), "the token is cached while in use: the search must find it"
    sigv4kit.clear_caches()
    assert _holders(secret, token) == []


def test_the_search_finds_what_it_looks_for() -> None:
    needle = Needle()
    kept: list[object] = [{"key": needle.whole().encode()}]  # a dict's value, UTF-8 bytes
    assert _holders(needle)
    kept[:] = [(1, "prefix" + needle.whole())]  # inside a tuple the collector does not track
    assert _holders(needle)
    kept.clear()
    assert _holders(needle) == []
