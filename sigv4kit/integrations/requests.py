"""SigV4 for ``requests``: ``session.auth = SigV4Auth(credentials, "us-east-1", "execute-api")``.

requests calls an auth hook on the *prepared* request, after the URL is quoted and the body,
Content-Length and Content-Type are set: that is what gets signed. The URL is then rewritten
to the canonical encoding that was signed (``params={"prefix": "a b"}`` leaves as
``prefix=a%20b``, not ``a+b``), so no server can read it another way. Host is the one
urllib3 sends (the URL's host, port kept unless the default).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping
from typing import IO, Any, Unpack

import requests
import requests.auth
from requests.structures import CaseInsensitiveDict
from requests.utils import rewind_body

from ..aws.clock_skew import MAX_ERROR_BODY
from ..errors import SigningError
from ..options import RegionSet, SigningOptions
from ._common import (
    AUTH_REFUSED,
    HASH_CHUNK,
    AllOptions,
    CredentialSource,
    RedirectRefused,
    SigningAdapter,
    canonical_url,
    check_redirect,
    error_text,
    header_changes,
    host_of,
    readable_coding,
    seekable_file,
    stream_header_changes,
)

__all__ = ["CredentialSource", "RedirectRefused", "SigV4Auth"]


class SigV4Auth(SigningAdapter, requests.auth.AuthBase):
    """Sign every request a ``requests`` session sends (SigV4, or SigV4a with
    ``algorithm="sigv4a"``).

    ``credentials``: ``Credentials``, or a zero-argument callable returning them (asked before
    every request, so refreshing credentials keep working), or botocore's credentials.
    Options are those of ``sigv4kit.sign_request`` (S3's by default when ``service`` is S3)
    and ``unsigned_streams``, ``hash_seekable``, ``streaming``, ``correct_clock_skew``.

    A streamed body (a file or generator) is never read into memory to be hashed: S3 gets
    UNSIGNED-PAYLOAD; other services need ``unsigned_streams=True``, or
    ``hash_seekable=True`` for a seekable file (hashed in a first pass, 64 KiB at a time);
    or, with ``streaming=True`` (and optionally ``trailer="crc32"``), any service gets it
    aws-chunked, each 64 KiB chunk signed as it is read. A generator's length is unknown:
    S3 needs it as an ``X-Amz-Decoded-Content-Length`` header.

    Redirects: one to another origin raises ``RedirectRefused`` (nothing is sent there); one
    to the same origin is followed by requests with the headers signed for the first URL,
    and when the server refuses that signature the request is signed for its new URL and
    sent once more (requests offers an auth no hook between a redirect and its sending).
    """

    def __init__(self, credentials: CredentialSource, region: RegionSet, service: str, *,
                 correct_clock_skew: bool = True, **options: Unpack[AllOptions]) -> None:
        super().__init__(credentials, region, service, correct_clock_skew=correct_clock_skew,
                         **options)
        self._signed: weakref.WeakSet[requests.PreparedRequest] = weakref.WeakSet()
        """The requests signed here: any other that reaches the hook is a redirect's copy."""

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        self._sign(r)
        r.register_hook("response", self._after_response)  # type: ignore[no-untyped-call]
        return r

    def _sign(self, r: requests.PreparedRequest) -> None:
        assert r.method is not None and r.url is not None
        signer = self._signer
        r.url = url = canonical_url(r.url, normalize=signer.normalize_path)
        sent = [(name, value.decode("latin-1") if isinstance(value, bytes) else value)
                for name, value in _header_items(r.headers)]
        timestamp = self._skew.signing_time(host_of(url))
        if signer.streaming and not isinstance(r.body, bytes | str | None):
            # aws-chunked: the file or generator is read as the framed body is sent.
            upload = signer.sign_stream(r.method, url, sent, r.body, timestamp=timestamp)
            remove, add = stream_header_changes(sent, upload)
            r.body = upload.body  # sized: requests sends its Content-Length; else chunked
        else:
            body, extra = self._body(r)
            signed = signer.sign(r.method, url, sent, body, timestamp=timestamp, extra=extra)
            remove, add = header_changes(sent, signed)
        for name in [name for name, _ in sent if name.lower() in remove]:
            del r.headers[name]
        for name, value in add:
            r.headers[name] = value
        self._signed.add(r)

    def _body(self, r: requests.PreparedRequest) -> tuple[bytes, SigningOptions | None]:
        body = r.body
        if body is None:
            return b"", None
        if isinstance(body, bytes):
            return body, None
        if isinstance(body, str):
            return body.encode("utf-8"), None
        file: IO[bytes] | None = seekable_file(body)
        if file is not None and r.headers.get("Content-Length") is None:
            file = None  # of unknown length: requests sends it chunked, as a stream
        return b"", self._signer.payload_for_stream(file)

    def _after_response(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        """A redirect to another origin raises ``RedirectRefused`` before requests can follow
        it. A clock error answered with the server's Date, or a refusal of the stale signature
        requests sent when it followed a same-origin redirect, is signed again (with the
        server's time) and sent once more, when the body can be sent again."""
        prepared = response.request
        assert prepared.url is not None
        status = response.status_code
        if response.is_redirect:
            check_redirect(prepared.url, status, response.headers.get("Location"), response)
            return response
        host = host_of(prepared.url)
        date = response.headers.get("Date")
        skewed = self._skew.after_response(host, status, date, lambda: _error_text(response))
        redirected = prepared not in self._signed and status in AUTH_REFUSED
        if not (skewed or redirected):
            return response
        retry = prepared.copy()
        if not _rewound(retry):
            return response
        try:
            self._sign(retry)
        except SigningError:
            return response
        response.content  # noqa: B018  (drains the connection for reuse)
        response.close()
        again: requests.Response = response.connection.send(retry, **kwargs)
        again.history.append(response)
        again.request = retry
        if again.is_redirect:  # sent past the hooks: the origin rule is applied here
            assert retry.url is not None
            check_redirect(retry.url, again.status_code, again.headers.get("Location"), again)
        return again


def _error_text(response: requests.Response) -> str:
    """At most ``MAX_ERROR_BODY`` bytes of an error body, whatever its framing (a declared
    length, chunked, or until close; ``stream=True`` or not) and its Content-Encoding: read
    raw, at most that many bytes, and decoded in bounded steps (``error_text``); kept as the
    response's content, a longer body's connection closed rather than read to the end."""
    length = response.headers.get("Content-Length")
    if length is not None and (not length.isdigit() or int(length) > MAX_ERROR_BODY):
        return ""
    if response._content_consumed:  # type: ignore[attr-defined]
        return response.content[:MAX_ERROR_BODY].decode("utf-8", "replace")
    coding = response.headers.get("Content-Encoding")
    if not readable_coding(coding):
        return ""
    raw = bytearray()
    ended = False
    while len(raw) <= MAX_ERROR_BODY:
        piece = response.raw.read(HASH_CHUNK, decode_content=False)
        if not piece:
            ended = True
            break
        raw += piece
    if not ended:
        response.close()
    data = error_text(bytes(raw[:MAX_ERROR_BODY]), coding)
    response._content = data
    response._content_consumed = True  # type: ignore[attr-defined]
    return data.decode("utf-8", "replace")


def _header_items(headers: Mapping[str, str | bytes]) -> Iterable[tuple[str, str | bytes]]:
    """The headers as (name, value): requests' own dict gives them in one pass with the names
    in lower case (``items()`` would look every name up again); case means nothing to
    signing, and requests' dict removes a header whatever the case of the name."""
    if isinstance(headers, CaseInsensitiveDict):
        return headers.lower_items()
    return headers.items()


def _rewound(prepared: requests.PreparedRequest) -> bool:
    """Whether the body can be sent again: bytes always, a file when requests noted where it
    started; a generator never."""
    body = prepared.body
    if body is None or isinstance(body, bytes | str):
        return True
    if getattr(prepared, "_body_position", None) is None:
        return False
    try:
        rewind_body(prepared)
    except requests.exceptions.UnrewindableBodyError:
        return False
    return True
