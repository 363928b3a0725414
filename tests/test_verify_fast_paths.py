"""The verifier's caches and one-pass query reading give the verdicts of the plain rules.

The query is read once (pairs and X-Amz-* parameters together, cached per piece), the session
token is compared once per credential, and a presigned URL's own Host is used as it is: each
test here would fail if one of those took a shortcut the rules do not allow.
"""

from __future__ import annotations

from sigv4kit import Credentials, Request, presign, sign_request
from sigv4kit.received import Reason
from sigv4kit.verify import verify_presigned_url, verify_request

TS = "20150830T123600Z"
TOKEN = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqw" * 12
TEMP = Credentials("ASIAEXAMPLE", "tempSecretKeyEXAMPLEtempSecretKeyEXAMPLE", TOKEN)
LOOKUP = {TEMP.access_key_id: TEMP}.get


def _url(query: str = "a=1") -> str:
    request = Request("GET", f"https://example.amazonaws.com/?{query}")
    return presign(request, TEMP, region="us-east-1", service="service", timestamp=TS).url


def test_first_problem_in_query_order_is_reported() -> None:
    bad_utf8 = "X-Amz-Region-Set=%FF"  # not in a SigV4 URL otherwise
    for extra, words in (
        (f"&{bad_utf8}&X-Amz-Date={TS}", "X-Amz-Region-Set: is not valid UTF-8"),
        (f"&X-Amz-Date={TS}&{bad_utf8}", "X-Amz-Date: the query string carries it twice"),
    ):
        result = verify_presigned_url(_url() + extra, LOOKUP, now=TS)
        assert result.reason is Reason.MALFORMED
        assert result.message.startswith(words), result.message


def test_signing_parameters_in_a_header_signed_query_are_ordinary_pairs() -> None:
    # Header mode signs X-Amz-Date=…&X-Amz-Date=… like any pair; only query mode refuses it.
    request = Request("GET", f"https://example.amazonaws.com/?X-Amz-Date={TS}&X-Amz-Date=x")
    signed = sign_request(request, TEMP, region="us-east-1", service="service", timestamp=TS)
    result = verify_request(signed.request, LOOKUP, now=TS)
    assert result.valid, result.message


def test_the_token_cache_tells_right_from_forged_tokens() -> None:
    url = _url()
    forged = TOKEN[:-1] + ("A" if TOKEN[-1] != "A" else "B")
    forged_url = url.replace(TOKEN.replace("/", "%2F"), forged.replace("/", "%2F"))
    assert forged_url != url
    for _ in range(2):
        assert verify_presigned_url(url, LOOKUP, now=TS).valid
        result = verify_presigned_url(forged_url, LOOKUP, now=TS)
        assert result.reason is Reason.TOKEN_MISMATCH, result.message


def test_a_cached_piece_never_answers_for_another() -> None:
    url = _url("a=1&b=2")
    assert verify_presigned_url(url, LOOKUP, now=TS).valid
    # The same pieces reordered (still the same canonical query), and one value changed.
    swapped = url.replace("a=1&b=2", "b=2&a=1")
    assert verify_presigned_url(swapped, LOOKUP, now=TS).valid
    changed = url.replace("a=1&b=2", "a=1&b=3")
    result = verify_presigned_url(changed, LOOKUP, now=TS)
    assert result.reason is Reason.SIGNATURE_MISMATCH, result.message
    assert "a=1&b=3" in (result.canonical_request or "")


def test_host_in_the_canonical_headers_is_the_url_host_lower_cased_without_default_port() -> None:
    url = _url()
    shouted = url.replace("https://example.amazonaws.com/", "https://EXAMPLE.amazonaws.com:443/")
    result = verify_presigned_url(shouted, LOOKUP, now=TS)
    assert result.valid, result.message
    assert "\nhost:example.amazonaws.com\n" in (result.canonical_request or "")
    other_port = url.replace("amazonaws.com/", "amazonaws.com:8443/")
    mismatch = verify_presigned_url(other_port, LOOKUP, now=TS)
    assert mismatch.reason is Reason.SIGNATURE_MISMATCH
    assert "\nhost:example.amazonaws.com:8443\n" in (mismatch.canonical_request or "")
