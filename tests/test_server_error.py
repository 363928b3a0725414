"""sigv4kit.diagnose.server_error: reading a server's signature-error text, never trusting it.

The envelopes themselves (S3 XML, Query/EC2 XML, JSON, text, raw HTTP) are exercised with
really mis-signed requests in test_diagnose.py; here, input that is not an AWS error at all.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

import sigv4kit.diagnose
from sigv4kit.diagnose.server_error import MAX_INPUT_BYTES, DiagnoseError, parse_server_error


def test_module_is_pure() -> None:
    """server_error belongs to the core: no HTTP library, CLI framework or botocore."""
    code = (
        "import sys, sigv4kit.diagnose.server_error;"
        "bad = {'requests', 'click', 'botocore', 'urllib3', 'cryptography'} & set(sys.modules);"
        "print(sorted(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_diagnose_reexports_the_reading_names() -> None:
    for name in ("parse_server_error", "ServerReport", "DiagnoseError", "MAX_INPUT_BYTES"):
        assert name in sigv4kit.diagnose.__all__
        assert getattr(sigv4kit.diagnose, name) is getattr(sigv4kit.diagnose.server_error, name)


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    "<Error><Code>&lol3;</Code></Error>"
)


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(BILLION_LAUGHS, id="entity-expansion"),
        pytest.param(
            '<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            "<Error><Code>&x;</Code></Error>",
            id="external-entity",
        ),
        pytest.param("<Error><Code>SignatureDoesNotMatch</Code><Mess", id="truncated-xml"),
        pytest.param("<a>" * 10000 + "</a>" * 10000, id="deep-xml"),
        pytest.param("<html><body>502 Bad Gateway</body></html>", id="not-an-error-document"),
        pytest.param('{"message": "x"', id="truncated-json"),
        pytest.param("[" * 100000 + "]" * 100000, id="deep-json"),
        pytest.param('{"a": ' + "1" * 5000 + "}", id="huge-int"),
        pytest.param("[1, 2]", id="json-array"),
        pytest.param('{"ok": true}', id="json-without-error"),
        pytest.param("hello world", id="nothing-recognisable"),
        pytest.param("", id="empty"),
        pytest.param(b"\xff\xfe<Error/>", id="not-utf8"),
        pytest.param("<Error>\ud800</Error>", id="lone-surrogate"),
        pytest.param("x" * (MAX_INPUT_BYTES + 1), id="too-large-str"),
        pytest.param(b"x" * (MAX_INPUT_BYTES + 1), id="too-large-bytes"),
        pytest.param("é" * (MAX_INPUT_BYTES // 2 + 1), id="too-large-utf8"),
        pytest.param(None, id="not-text"),
        pytest.param("HTTP/1.1 403 Forbidden\r\nA: b\r\n\r\n", id="http-without-body"),
    ],
)
def test_bad_input_raises_diagnose_error_only(bad: Any) -> None:
    with pytest.raises(DiagnoseError) as info:
        parse_server_error(bad)
    assert "server error text:" in str(info.value)
    assert isinstance(info.value, ValueError)
