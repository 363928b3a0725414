"""SigV4a benchmarks: sign and verify µs/op, sigv4kit beside awscrt (when installed).

    .venv/bin/python benchmarks/sigv4a.py        # also run by `python3 tasks.py bench`

ECDSA P-256 signing dominates: both libraries derive the key once per credential (ours is
cached) and then sign with OpenSSL (ours through `cryptography`, awscrt through its own C).
awscrt has no public SigV4a verification API, so verification is ours only. Each contender is
called once before timing; then all are timed in 15 interleaved rounds and each one's best
loop counts (``timing.best_us_each``, as in run.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime

from timing import best_us_each

from sigv4kit import Credentials, Request, presign, sign_request
from sigv4kit.verify import verify_request

CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                    "IQoJb3JpZ2luX2VjEXAMPLE" * 20)
REQUEST = Request(
    "POST", "https://ec2.amazonaws.com/",
    [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
    b"Action=DescribeRegions&Version=2016-11-15&RegionName.1=us-east-1",
)
REGIONS = ["us-east-1", "us-west-2"]


def _awscrt_signer() -> Callable[[], None] | None:
    try:
        from awscrt import auth, http
    except ImportError:
        return None
    provider = auth.AwsCredentialsProvider.new_static(
        CREDS.access_key_id, CREDS.secret_access_key, CREDS.session_token)
    body_hash = hashlib.sha256(REQUEST.body).hexdigest()

    def sign() -> None:
        request = http.HttpRequest("POST", "/", http.HttpHeaders(
            [("Host", "ec2.amazonaws.com"), *REQUEST.headers]))
        config = auth.AwsSigningConfig(
            algorithm=auth.AwsSigningAlgorithm.V4_ASYMMETRIC, credentials_provider=provider,
            region=",".join(REGIONS), service="ec2", date=datetime.now(UTC),
            signed_body_value=body_hash)
        auth.aws_sign_request(request, config).result()

    return sign


def main() -> None:
    signed = sign_request(REQUEST, CREDS, region=REGIONS, service="ec2", algorithm="sigv4a")
    presigned = presign(REQUEST, CREDS, region=REGIONS, service="ec2", algorithm="sigv4a")
    lookup = {CREDS.access_key_id: CREDS}.get
    assert verify_request(signed.request, lookup).valid
    contenders: dict[str, Callable[[], object]] = {
        "SigV4a header-sign (ours)": lambda: sign_request(
            REQUEST, CREDS, region=REGIONS, service="ec2", algorithm="sigv4a"),
        "SigV4a presign (ours)": lambda: presign(
            REQUEST, CREDS, region=REGIONS, service="ec2", algorithm="sigv4a"),
        "SigV4a verify header-signed (ours)": lambda: verify_request(signed.request, lookup),
        "SigV4a verify presigned (ours)": lambda: verify_request(
            Request(presigned.method, presigned.url, presigned.headers, REQUEST.body), lookup),
    }
    crt = _awscrt_signer()
    if crt is not None:
        crt()
        contenders["SigV4a header-sign (awscrt)"] = crt
    rows = list(best_us_each(contenders, repeat=15).items())
    if crt is None:
        rows.append(("SigV4a header-sign (awscrt)", float("nan")))
    print("| SigV4a case | µs/op |\n|---|---:|")
    for name, micros in rows:
        print(f"| {name} | {'not installed' if micros != micros else f'{micros:.1f}'} |")
    if crt is not None:
        print(f"\nawscrt sign / ours: {rows[-1][1] / rows[0][1]:.2f}x "
              "(awscrt verifies nothing: no public SigV4a verify API)")


if __name__ == "__main__":
    main()
