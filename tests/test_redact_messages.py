"""Library messages never quote a session token or a usable signature (issue 22, item 7): a
server that logs ``VerifyResult.message`` or an exception's text must not log a bearer
credential. Redaction happens where the message is made, and it quotes a bounded prefix."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sigv4kit import Credentials, Request, SigningError, presign, sign_request
from sigv4kit.redact import redact_message, redacted
from sigv4kit.url import split_url
from sigv4kit.verify import verify_presigned_url, verify_request
from sigv4kit.wire import parse_raw_request, parse_url_request

TOKEN = "IQoJb3JpZ2luX2VjEXAMPLEsessiontoken0123456789abcdefTOKEN"
CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", TOKEN)
URL = presign(Request("GET", "https://examplebucket.s3.amazonaws.com/k"), CREDS,
              region="us-east-1", service="s3", expires=300,
              timestamp="20260101T000000Z").url
SIGNATURE = URL.rsplit("X-Amz-Signature=", 1)[1]
QUERY = URL.split("?", 1)[1]

MALFORMED = {
    "port swallows the query": URL.replace("/k?", ":443"),
    "port then &": URL.replace("/k?", ":443&"),
    "user-info and a bad port": URL.replace("/k?", "@x:1"),
    "port out of range": URL.replace("/k?", ":99999&"),
    "unclosed IPv6": f"https://[::1{QUERY}]/",
    "query as user-info": URL.replace("https://", f"https://{QUERY}@h:x/"),
    "query as the scheme": f"{QUERY.replace('&', '')}://h/",
    "query as the host": f"https://{QUERY.replace('%', '')}/k",
}


def _message(call: Callable[[str], object], url: str) -> str:
    try:
        result = call(url)
    except SigningError as exc:
        return str(exc)
    return str(getattr(result, "message", ""))


CALLS: dict[str, Callable[[str], object]] = {
    "verify_presigned_url": lambda u: verify_presigned_url(u, lambda _k: CREDS),
    "parse_url_request": parse_url_request,
    "parse_raw_request": lambda u: parse_raw_request(
        f"GET {u} HTTP/1.1\r\nHost: h\r\n\r\n".encode()),
    "split_url": split_url,
    "sign_request": lambda u: sign_request(Request("GET", u), CREDS, region="us-east-1",
                                           service="s3"),
    "verify_request": lambda u: verify_request(Request("GET", u), lambda _k: CREDS),
}


@pytest.mark.parametrize("shape", sorted(MALFORMED))
@pytest.mark.parametrize("call", sorted(CALLS))
def test_no_message_quotes_the_token_or_the_signature(call: str, shape: str) -> None:
    message = _message(CALLS[call], MALFORMED[shape])
    assert TOKEN not in message and SIGNATURE not in message, message
    assert TOKEN[:20] not in message and SIGNATURE[:20] not in message, message
    assert len(message) < 400, message


def test_the_issue_example_still_says_what_is_wrong() -> None:
    message = verify_presigned_url(MALFORMED["port then &"], lambda _k: CREDS).message
    assert message.startswith("url: port in 'examplebucket.s3.amazonaws.com:443&")
    assert "is not a number" in message and "characters)" in message


@pytest.mark.parametrize("name", ["X-Amz-Security-Token=" + TOKEN, "a b" * 10_000])
def test_header_name_and_method_messages_are_bounded_and_redacted(name: str) -> None:
    for build in (lambda: Request("GET", "https://h/", [(name, "v")]),
                  lambda: Request(name, "https://h/")):
        with pytest.raises(SigningError) as caught:
            build()
        assert TOKEN not in str(caught.value) and len(str(caught.value)) < 400


def test_credentials_quoted_as_a_file_or_json_are_hidden_by_name() -> None:
    secret, token = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "IQoJb3JpZ2luX2Vj" + "t" * 300
    for text in (f"aws_secret_access_key = {secret}\naws_session_token={token}",
                 f'{{"SecretAccessKey": "{secret}", "SessionToken": "{token}"}}',
                 f"'AWS_SECRET_ACCESS_KEY': '{secret}', 'aws_security_token': '{token}'"):
        shown = redact_message(text)
        assert secret not in shown and secret[:8] not in shown and token not in shown, shown
        assert "***" in shown and redacted(token) in shown
