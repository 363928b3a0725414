"""Attack review of the command line's hardening (issue 22 items 3, 7-12): every form in
which a text can quote a credential, short keys, ``sign --send`` output, and more."""

from __future__ import annotations

import base64
import json
import time
from urllib.parse import quote

import pytest

from sigv4kit.model import Credentials
from sigv4kit.redact import mask_text, redact_credentials, redact_text

KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE/tok+en==abcdefGHIJKL0123456789"


def _forms(value: str) -> dict[str, str]:
    lower_hex = "".join(c if c.isalnum() else f"%{ord(c):02x}" for c in value)
    return {
        "lower-case percent-encoding": lower_hex,
        "a lower-cased URL": quote(value, safe="").lower(),
        "percent-encoded twice": quote(quote(value, safe=""), safe=""),
        "JSON with escaped slashes": json.dumps(value).replace("/", "\\/")[1:-1],
        "JSON \\u escapes": value.replace("/", "\\u002f").replace("+", "\\u002B"),
        "XML character references": value.replace("/", "&#47;").replace("+", "&#x2B;"),
        "a form decoder's + as space": value.replace("+", " "),
        "cut by a wrapped line": value[:20] + "\n  " + value[20:],
        "base64, aligned": base64.b64encode(value.encode()).decode(),
        "base64, shifted by one": base64.b64encode(b"k=" + value.encode()).decode(),
        "base64, shifted by two": base64.b64encode(b"ab=" + value.encode()).decode(),
    }


@pytest.mark.parametrize("form", list(_forms(KEY)))
def test_a_secret_key_is_masked_in_every_form_a_text_quotes_it(form: str) -> None:
    text = f"the server said: <{_forms(KEY)[form]}> end"
    out = mask_text(text, [KEY])
    assert "EXAMPLEKEY" not in out and "wJalrXUtnFEMI" not in out and "***" in out, out
    assert out.startswith("the server said: <") and out.endswith("> end")


@pytest.mark.parametrize("form", list(_forms(TOKEN)))
def test_a_session_token_is_redacted_in_every_form_and_through_the_cli_scrubber(
        form: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from sigv4kit.cli import common

    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", KEY)
    text = f"echo {_forms(TOKEN)[form]} end"
    for clean in (common.scrubber(), common.clean_message,
                  lambda t: redact_text(t, [TOKEN])):
        out = clean(text)
        assert "EXAMPLE" not in out and "0123456789" not in out.replace("(", ""), (form, out)


def test_a_short_secret_is_hidden_where_it_stands_alone_and_leaves_words_alone() -> None:
    creds = Credentials("AKIDEXAMPLE", "x", None)
    text = "x-amz-date:20150830T123600Z\nhost:example.amazonaws.com\nkey x, box\n"
    out = redact_credentials(text, creds)
    assert "x-amz-date:20150830T123600Z" in out and "example.amazonaws.com" in out
    assert "box" in out and "key ***, box" in out
    assert mask_text("aws_secret_access_key = x", ["x"]) == "aws_secret_access_key = ***"


@pytest.mark.parametrize("unit", [
    "a", "%2f", "wJalrXUtnFEMI%", "wJalrXUtnFEMI\n", "IQoJb3JpZ2luX2VjEXAMPLE/", "&#47;",
])
def test_every_form_is_found_in_linear_time(unit: str) -> None:
    def cost(size: int) -> float:
        hostile = unit * (size // len(unit))
        start = time.perf_counter()
        mask_text(hostile, [KEY])
        redact_text(hostile, [TOKEN])
        return time.perf_counter() - start

    small, large = cost(100_000), cost(1_000_000)
    assert large < 3.0 and large < 30 * max(small, 0.005), (small, large)


def test_a_server_that_percent_encodes_every_character_cannot_show_the_key() -> None:
    text = "urlenc " + "".join(f"%{ord(c):02X}" if c in "se" else c for c in KEY)
    assert "EXAMPLE" not in mask_text(text, [KEY]).replace("%45", "E")
