"""Attack review of the command line's hardening (issue 22 items 3, 7-12): every form in
which a text can quote a credential, short keys, ``sign --send`` output, and more."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from urllib.parse import quote

import pytest

from sigv4kit.model import Credentials
from sigv4kit.redact import mask_text, redact_credentials, redact_text
from sigv4kit.testing.faulty_server import FaultyServer, Ok

from .cli_process import SECRET, assert_clean, run_cli
from .cli_process import TOKEN as CLI_TOKEN

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


# -- sign --send: the answer is the artefact, an echoed credential is not ---------------------

def test_sign_send_redacts_credentials_a_server_echoes_in_the_body_and_headers(
        faulty_server: Callable[..., FaultyServer]) -> None:
    """``sign --send`` prints the server's answer, as any command prints service data: a
    credential echoed back is not what was asked for (the user holds it already), so the
    secret key never shows and the token shows as its prefix and length, as in ``ec2``.
    The body is long enough to come in several pieces; ``-i`` headers are escaped."""
    filler = b"." * 70_000  # the echo lands across the transport's read pieces
    body = (filler + f"key={SECRET} token={quote(CLI_TOKEN, safe='')} ".encode() + filler
            + CLI_TOKEN.encode())
    server = faulty_server([Ok(body, headers=[("X-Echo", f"{CLI_TOKEN}\x1b]0;owned\x07")])])
    result = run_cli("sign", "GET", server.url + "/", "--service", "s3", "--send", "-i",
                     wall=30)
    assert_clean(result, codes=(0,))
    out = result.stdout.decode("latin-1")
    assert SECRET not in out and "CANARYsecret" not in out
    assert "CANARYtokenIQoJ" not in out and "EXAMPLEtoken" not in out
    assert out.count(f"{CLI_TOKEN[:4]}…({len(CLI_TOKEN)} chars)".encode().decode("latin-1")) == 3
    assert "\x1b" not in out and "\\x1b]0;owned\\x07" in out
    assert out.count(".") >= 140_000  # the rest passes unchanged


def test_a_body_split_anywhere_is_scrubbed_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    from sigv4kit.cli.common import scrubbed_stream

    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    data = b"\x00\xff binary " + KEY.encode() + b" and " + TOKEN.encode() + b" end \x80"
    whole = b"".join(scrubbed_stream([data]))
    assert KEY.encode() not in whole and b"EXAMPLE" not in whole
    assert whole.startswith(b"\x00\xff binary ***") and whole.endswith(b" end \x80")
    for cut in range(1, len(data), 7):
        assert b"".join(scrubbed_stream([data[:cut], data[cut:]])) == whole


def test_a_body_for_a_terminal_is_escaped_and_utf8_cut_between_pieces_survives() -> None:
    from sigv4kit.cli.sign import _for_terminal

    pieces = [b"ok \xe2\x80", b"\xa6 \x1b[2J\xc2\x9b31m \xe2\x80\xae evil\r fine\n"]
    out = b"".join(_for_terminal(pieces)).decode("utf-8")
    assert out == "ok … \\x1b[2J\\x9b31m \\u202e evil\\r fine\n"


# -- pagination: a NextToken that comes back ends the listing, in aws's words ------------------

def _page(token: str) -> str:
    return ('<DescribeSnapshotsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
            "<snapshotSet><item><snapshotId>snap-1</snapshotId></item></snapshotSet>"
            f"<nextToken>{token}</nextToken></DescribeSnapshotsResponse>")


@pytest.mark.parametrize("tokens", [["same", "same"], ["a", "b", "a"]], ids=["twice", "cycle"])
def test_a_next_token_received_again_stops_the_listing_with_aws_words(
        faulty_server: Callable[..., FaultyServer], tokens: list[str]) -> None:
    """botocore stops when the same token comes twice in a row (the AWS CLI then says "Error
    during pagination", exit 255; we said "internal error: PaginationError"); a cycle
    a, b, a went on to the page cap. Either ends at once, a one-line message, exit 255."""
    server = faulty_server([Ok(_page(t)) for t in tokens] * 20)
    result = run_cli("ec2", "describe-snapshots", "--region", "us-east-1", "--endpoint-url",
                     server.url, wall=30)
    assert_clean(result, codes=(255,))
    assert result.stderr.strip().startswith("Error during pagination:"), result.stderr
    assert "internal error" not in result.stderr
    assert len(server.requests) == len(tokens)


def test_the_scrubber_costs_little_per_string_of_a_long_listing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every string of a listing goes through it: the forms must not cost a decode each."""
    from sigv4kit.cli import common

    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    scrub = common.scrubber()
    strings = [f"snap-{i:017x}" for i in range(50_000)]
    strings += [f"nightly backup of volume {i} taken by the scheduler" for i in range(50_000)]
    start = time.perf_counter()
    for text in strings:
        scrub(text)
    assert time.perf_counter() - start < 1.0


def test_the_caret_of_a_shorthand_error_points_at_the_character_after_escaping() -> None:
    """A bidi override or ESC before the error is printed escaped (``\\u202e``: 6 columns),
    so the caret under the offending character must count those columns."""
    from sigv4kit.cli.common import error_text
    from sigv4kit.cli.shorthand import ShorthandError, parse_shorthand

    for value in ("Name=a\u202e\x1b[31m,Values=]", "a" * 70 + "\u202e\x1b" + "=b" + "," * 70):
        with pytest.raises(ShorthandError) as caught:
            parse_shorthand(value)
        shown, caret = error_text(str(caught.value)).splitlines()[-2:]
        column = caret.index("^")
        offending = value[caught.value.index]
        assert shown[column:].startswith(error_text(offending)), (shown, caret)


def test_a_query_nested_too_deeply_is_named() -> None:
    result = run_cli("ec2", "describe-snapshots", "--region", "us-east-1", "--endpoint-url",
                     "http://127.0.0.1:9", "--query", "(" * 5000 + "a" + ")" * 5000, wall=30)
    assert_clean(result, codes=(255,))
    assert "--query" in result.stderr and "nested too deeply" in result.stderr
    assert len(result.stderr) < 300, result.stderr


def test_what_came_before_an_interrupt_is_still_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scrubber holds back a short tail; Ctrl-C (or a failed read) must not lose it."""
    from collections.abc import Iterator

    from sigv4kit.cli.common import scrubbed_stream

    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)

    def body() -> Iterator[bytes]:
        yield b"first 500 bytes " + TOKEN.encode() + b" " + b"y" * 484
        raise KeyboardInterrupt

    shown: list[bytes] = []
    with pytest.raises(KeyboardInterrupt):
        for piece in scrubbed_stream(body()):
            shown.append(piece)
    out = b"".join(shown)
    assert out.startswith(b"first 500 bytes IQoJ") and out.endswith(b"y" * 484)
    assert TOKEN.encode() not in out


@pytest.mark.parametrize("unit", ["%41", "&#47;", "x"])
def test_a_huge_message_costs_little_to_print_and_hides_what_it_quotes(
        unit: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server's 7 MB error message: only a bounded start is redacted (it cost seconds and,
    decoded at once, hundreds of MB), and a key within it is still masked."""
    from sigv4kit.cli.common import error_text

    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", KEY)
    text = f"An error occurred: key {quote(KEY, safe='')} then " + unit * (7_000_000 // len(unit))
    start = time.perf_counter()
    shown = error_text(text)
    assert time.perf_counter() - start < 1.0
    assert "EXAMPLEKEY" not in shown and "key *** then" in shown
    assert len(shown) < 2100 and shown.endswith(" more characters)")
