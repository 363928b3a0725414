"""SigV4 for ``requests``: ``session.auth = SigV4Auth(credentials, "us-east-1", "execute-api")``.

requests calls an auth hook on the *prepared* request, after the URL is re-quoted and the
body, Content-Length and Content-Type are set, which is exactly what will be sent; so that is
what gets signed. Host is the one requests will send (the URL's host, default port dropped).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Unpack

import requests
import requests.auth

from ..errors import SigningError
from ..model import Credentials, Request
from ..options import Algorithm, RegionSet, SigningOptions
from ..signing import Signer

CredentialSource = Credentials | Callable[[], Credentials]


class SigV4Auth(requests.auth.AuthBase):
    """Sign every request a ``requests`` session sends (SigV4, or SigV4a with
    ``algorithm="sigv4a"``). ``credentials`` may be a callable returning fresh credentials,
    for temporary ones that refresh. Options are those of ``sigv4kit.sign_request``.

    A streamed body (a file or generator) cannot be hashed up front: pass
    ``payload_hash=UNSIGNED_PAYLOAD`` (where the service allows it) or read it into bytes.
    """

    def __init__(
        self,
        credentials: CredentialSource,
        region: RegionSet,
        service: str,
        *,
        algorithm: Algorithm = "sigv4",
        **options: Unpack[SigningOptions],
    ) -> None:
        self._credentials = credentials
        self._region = region
        self._service = service
        self._algorithm: Algorithm = algorithm
        self._options = options
        self._signer: Signer | None = None
        if isinstance(credentials, Credentials):
            self._signer = self._make_signer(credentials)

    def _make_signer(self, credentials: Credentials) -> Signer:
        return Signer(credentials, region=self._region, service=self._service,
                      algorithm=self._algorithm, **self._options)

    def __repr__(self) -> str:
        return f"SigV4Auth(region={self._region!r}, service={self._service!r})"

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        signer = self._signer
        if signer is None:
            source = self._credentials
            assert callable(source)
            signer = self._make_signer(source())
        body = r.body
        if body is None:
            data = b""
        elif isinstance(body, bytes):
            data = body
        elif isinstance(body, str):
            data = body.encode("utf-8")
        elif "payload_hash" in self._options:
            data = b""
        else:
            raise SigningError(
                "body: a streamed body cannot be hashed before it is sent; read it into bytes "
                "or sign with payload_hash=UNSIGNED_PAYLOAD",
                field="body",
            )
        headers = [
            (name, value.decode("latin-1") if isinstance(value, bytes) else value)
            for name, value in r.headers.items()
        ]
        assert r.method is not None and r.url is not None
        signed = signer.sign(Request(r.method, r.url, headers, data))
        for name in _SIGNING_HEADERS:
            r.headers.pop(name, None)
        for name, value in signed.request.headers:
            if name.lower() in _SIGNING_HEADERS:
                r.headers[name] = value
        return r


_SIGNING_HEADERS = ("authorization", "x-amz-date", "x-amz-security-token", "x-amz-region-set",
                    "x-amz-content-sha256")
"""Headers the signer owns: set from the signed request, replacing any stale ones."""
