"""Speed as users call it: each library's reusable signer built once, the clock read as usual.

    .venv/bin/python benchmarks/reused.py [--repeat 15] [--profiles notoken,token]

run.py builds botocore's auth objects per call, as botocore's own code paths do. A user who
signs many requests would build the signer once and reuse it; so does this comparison:

- **CopySnapshot presign**: ours ``presigned_copy_snapshot_url(creds, ...)`` (``timestamp``
  None: the clock); botocore one ``SigV4QueryAuth(creds, "ec2", "us-west-2", expires=3600)``
  reused, ``add_auth`` on a new ``AWSRequest`` holding the serialized parameters; awscrt
  ``aws_sign_request`` with one reused ``AwsSigningConfig``.
- **header signing**: ours one ``Signer`` (``.sign(Request(...))``); botocore one
  ``SigV4Auth`` reused; awscrt one reused config, as above.
- **verify a presigned URL** (a fresh CopySnapshot URL): ours ``verify_presigned_url`` with
  ``now`` None (the clock); botocore re-signing as moto does (run.py's case 4), with one
  ``SigV4QueryAuth`` per (credentials, service, region, expiry) reused.

botocore reads its clock through ``botocore.auth.get_current_datetime``, a plain function, left
as it is for signing; to re-sign at a URL's X-Amz-Date it is replaced, once around the case,
by a plain function returning that time (not a ``Mock``, whose call costs more than signing's
steps). Same work, checked first: each contender's output equals ours at a fixed time. Ratios
are their µs / ours; timing is run.py's (interleaved rounds, best loop; ``timing.py``).
"""

from __future__ import annotations

import argparse
import hmac
import io
import os
import platform
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from unittest import mock
from urllib.parse import parse_qsl, urlsplit

os.environ["BOTO_DISABLE_CRT"] = "true"

import botocore
import botocore.auth
import botocore.credentials
from botocore.awsrequest import AWSRequest
from inputs import (
    COPY_PARAMS,
    EC2_WEST,
    FIXED,
    FIXED_AMZ,
    POST_BODY,
    POST_HEADERS,
    POST_URL,
    PROFILES,
    SECRET,
    Profile,
    ec2_signer,
    ours_copy_snapshot,
    ours_header_sign,
)
from timing import best_us_each

from sigv4kit import Request
from sigv4kit.verify import verify_presigned_url

try:
    import awscrt
    import awscrt.auth
    import awscrt.http

    AWSCRT: str | None = awscrt.__version__
except ImportError:
    AWSCRT = None

_NAIVE_FIXED = FIXED.replace(tzinfo=None)
_CLOCK: list[datetime | None] = [None]
"""The time botocore reads: None = its real clock; a URL's X-Amz-Date while re-signing it."""
_real_clock = botocore.auth.get_current_datetime


def _botocore_clock() -> datetime:
    at = _CLOCK[0]
    return _real_clock() if at is None else at


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def _boto_creds(profile: Profile) -> Any:
    return botocore.credentials.Credentials(profile.akid, SECRET, profile.token)


def _crt_config(profile: Profile, kind: str, region: str, date: datetime | None,
                **extra: Any) -> Any:
    return awscrt.auth.AwsSigningConfig(
        algorithm=awscrt.auth.AwsSigningAlgorithm.V4,
        signature_type=getattr(awscrt.auth.AwsSignatureType, kind),
        credentials_provider=awscrt.auth.AwsCredentialsProvider.new_static(
            profile.akid, SECRET, profile.token),
        region=region, service="ec2", date=date, **extra,
    )


def _crt_sign(request: Any, config: Any) -> Any:
    return awscrt.auth.aws_sign_request(request, config).result()


def copy_snapshot(profile: Profile) -> dict[str, Callable[[], object]]:
    creds = profile.creds
    auth = botocore.auth.SigV4QueryAuth(_boto_creds(profile), "ec2", "us-west-2", expires=3600)

    def botocore_url() -> str:
        request = AWSRequest(method="GET", url=EC2_WEST, data=dict(COPY_PARAMS))
        auth.add_auth(request)
        url: str = request.url
        return url

    _CLOCK[0] = _NAIVE_FIXED
    assert query_of(botocore_url()) == query_of(ours_copy_snapshot(FIXED_AMZ, creds=creds))
    _CLOCK[0] = None
    found: dict[str, Callable[[], object]] = {
        "ours": lambda: ours_copy_snapshot(creds=creds), "botocore": botocore_url}
    if AWSCRT:
        query = "&".join(f"{k}={v}" for k, v in COPY_PARAMS.items())
        headers = [("Host", "ec2.us-west-2.amazonaws.com")]

        def crt(config: Any) -> str:
            request = awscrt.http.HttpRequest("GET", f"/?{query}", awscrt.http.HttpHeaders(headers))
            return "https://ec2.us-west-2.amazonaws.com" + _crt_sign(request, config).path

        fixed = _crt_config(profile, "HTTP_REQUEST_QUERY_PARAMS", "us-west-2", FIXED,
                            expiration_in_seconds=3600)
        assert query_of(crt(fixed)) == query_of(ours_copy_snapshot(FIXED_AMZ, creds=creds))
        reused = _crt_config(profile, "HTTP_REQUEST_QUERY_PARAMS", "us-west-2", None,
                             expiration_in_seconds=3600)
        found["awscrt"] = lambda: crt(reused)
    return found


def header_sign(profile: Profile) -> dict[str, Callable[[], object]]:
    creds = profile.creds
    signer = ec2_signer(creds)
    auth = botocore.auth.SigV4Auth(_boto_creds(profile), "ec2", "us-east-1")

    def ours() -> str:
        return signer.sign(Request("POST", POST_URL, POST_HEADERS, POST_BODY)).signature

    def botocore_sig() -> str:
        request = AWSRequest(method="POST", url=POST_URL, data=POST_BODY,
                             headers=dict(POST_HEADERS))
        auth.add_auth(request)
        value: str = request.headers["Authorization"]
        return value.rpartition("Signature=")[2]

    _CLOCK[0] = _NAIVE_FIXED
    assert botocore_sig() == ours_header_sign(FIXED_AMZ, creds=creds)
    _CLOCK[0] = None
    found: dict[str, Callable[[], object]] = {"ours": ours, "botocore": botocore_sig}
    if AWSCRT:
        headers = [("Host", "ec2.us-east-1.amazonaws.com"), *POST_HEADERS]

        def crt(config: Any) -> str:
            request = awscrt.http.HttpRequest(
                "POST", "/", awscrt.http.HttpHeaders(headers), io.BytesIO(POST_BODY))
            value: str = _crt_sign(request, config).headers.get("Authorization")
            return value.rpartition("Signature=")[2]

        assert crt(_crt_config(profile, "HTTP_REQUEST_HEADERS", "us-east-1", FIXED)) == (
            ours_header_sign(FIXED_AMZ, creds=creds))
        reused = _crt_config(profile, "HTTP_REQUEST_HEADERS", "us-east-1", None)
        found["awscrt"] = lambda: crt(reused)
    return found


def resigner(lookup: Callable[[str], Any]) -> Callable[[str], bool]:
    """run.py's ``botocore_resign_verifier`` (moto's way), with one SigV4QueryAuth per
    credentials, scope and expiry reused, and the clock read per call."""
    auths: dict[tuple[Any, ...], Any] = {}

    def verify(url: str) -> bool:
        parts = urlsplit(url)
        kept, signed = [], []
        for piece in parts.query.split("&"):
            (signed if piece.startswith("X-Amz-") else kept).append(piece)
        params = dict(parse_qsl("&".join(signed)))
        given = params.get("X-Amz-Signature", "")
        akid, _, region, service, _ = params["X-Amz-Credential"].split("/")
        creds = lookup(akid)
        signed_at = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
        expires = int(params["X-Amz-Expires"])
        now = datetime.now(UTC).replace(tzinfo=None)
        if creds is None or not 0 <= (now - signed_at).total_seconds() <= expires:
            return False
        key = (akid, service, region, expires)
        auth = auths.get(key)
        if auth is None:
            auth = auths[key] = botocore.auth.SigV4QueryAuth(creds, service, region,
                                                              expires=expires)
        _CLOCK[0] = signed_at
        request = AWSRequest(
            method="GET", url=f"{parts.scheme}://{parts.netloc}{parts.path}?{'&'.join(kept)}")
        auth.add_auth(request)
        _CLOCK[0] = None
        return hmac.compare_digest(request.url.rpartition("X-Amz-Signature=")[2], given)

    return verify


def verify(profile: Profile) -> dict[str, Callable[[], object]]:
    creds = profile.creds
    url = ours_copy_snapshot(creds=creds)  # now: the clock
    forged = url.replace("snap-0", "snap-1")
    akid = creds.access_key_id

    def lookup(key: str) -> Any:
        return creds if key == akid else None

    resign = resigner({akid: _boto_creds(profile)}.get)
    assert verify_presigned_url(url, lookup).valid and resign(url)
    assert not verify_presigned_url(forged, lookup).valid and not resign(forged)
    return {"ours": lambda: verify_presigned_url(url, lookup).valid,
            "botocore": lambda: resign(url)}


CASES = {
    "CopySnapshot presign": (copy_snapshot, 8.0),
    "header signing": (header_sign, 6.0),
    "verify_presigned_url vs botocore re-signing": (verify, 5.0),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--profiles", default="notoken,token")
    args = parser.parse_args()
    print(f"# {datetime.now(UTC):%Y-%m-%d}, {platform.python_implementation()} "
          f"{platform.python_version()}, botocore {botocore.__version__}, awscrt {AWSCRT}, "
          f"{os.cpu_count()} CPUs; best of {args.repeat} interleaved rounds, µs per operation")
    print("| case | profile | sigv4kit | botocore | awscrt | botocore/ours (target) | "
          "awscrt/ours |")
    print("|---|---|---:|---:|---:|---:|---:|")
    with mock.patch("botocore.auth.get_current_datetime", new=_botocore_clock):
        for name, (build, target) in CASES.items():
            for profile_name in args.profiles.split(","):
                profile = PROFILES[profile_name]
                contenders = build(profile)
                for fn in contenders.values():  # warm every cache, everyone's
                    fn()
                us = best_us_each(contenders, args.repeat)
                crt = us.get("awscrt")
                crt_cells = ("", "") if crt is None else (f"{crt:.1f}", f"{crt / us['ours']:.2f}x")
                print(f"| {name} | {profile_name} | {us['ours']:.1f} | {us['botocore']:.1f} | "
                      f"{crt_cells[0]} | **{us['botocore'] / us['ours']:.1f}x** (≥ {target:g}x) "
                      f"| {crt_cells[1]} |", flush=True)


if __name__ == "__main__":
    main()
