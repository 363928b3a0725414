"""A region that is not a string (or, for SigV4a, not a list of strings) is bad input: every
entry point raises SigningError naming ``region``, never TypeError (issue 22, item 12)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sigv4kit import Credentials, Request, Signer, SigningError, presign, sign_request
from sigv4kit.integrations.aiohttp import SigV4Middleware
from sigv4kit.integrations.httpx import SigV4Auth as HttpxAuth
from sigv4kit.integrations.requests import SigV4Auth as RequestsAuth

CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "TOKEN")
REQUEST = Request("GET", "https://example.amazonaws.com/")
ENTRY_POINTS: dict[str, Callable[[Any, str], object]] = {
    "sign_request": lambda region, alg: sign_request(
        REQUEST, CREDS, region=region, service="s3", algorithm=alg),
    "presign": lambda region, alg: presign(
        REQUEST, CREDS, region=region, service="s3", algorithm=alg),
    "Signer": lambda region, alg: Signer(CREDS, region=region, service="s3", algorithm=alg),
    "requests": lambda region, alg: RequestsAuth(CREDS, region, "s3", algorithm=alg),
    "httpx": lambda region, alg: HttpxAuth(CREDS, region, "s3", algorithm=alg),
    "aiohttp": lambda region, alg: SigV4Middleware(CREDS, region, "s3", algorithm=alg),
}


@pytest.mark.parametrize("region", [5, None, 5.0, object(), b"us-east-1", ["us-east-1", 5], []],
                         ids=["int", "None", "float", "object", "bytes", "list-with-int", "empty"])
@pytest.mark.parametrize("algorithm", ["sigv4", "sigv4a"])
@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_a_region_of_the_wrong_type_is_named(entry: str, algorithm: str, region: Any) -> None:
    with pytest.raises(SigningError) as raised:
        ENTRY_POINTS[entry](region, algorithm)
    assert raised.value.field == "region" and str(raised.value).startswith("region: ")
