"""Attack review of the HTTP adapters (requests, httpx, aiohttp) and the origin rule they share
with the transport: each test is a finding that failed on the code before its fix."""

from __future__ import annotations

import pytest

import sigv4kit.errors
import sigv4kit.integrations._common as common
import sigv4kit.transport
import sigv4kit.transport.exchange as exchange
import sigv4kit.url

# -- the origin rule, defined once -------------------------------------------------------------


def test_one_redirect_refused_and_one_origin_rule_for_transport_and_adapters() -> None:
    """The transport and the adapters raised two different RedirectRefused classes and kept
    two origin comparisons (urlsplit's and split_url's): one is in the core now, re-exported."""
    core = sigv4kit.errors.RedirectRefused
    assert sigv4kit.transport.RedirectRefused is core
    assert common.RedirectRefused is core
    assert common.check_redirect is sigv4kit.url.check_redirect
    assert common.origin is sigv4kit.url.origin
    assert exchange.check_redirect is sigv4kit.url.check_redirect
    assert not hasattr(exchange, "_origin")


@pytest.mark.parametrize(
    ("location", "refused"),
    [("/same", False), ("https://H.example:443/x", False), ("http://h.example/x", True),
     ("//127.0.0.2/x", True), ("https://h.example:8443/", True), ("https://u@other/", True),
     ("http://[::1/", True), ("\t//evil.example/", True), ("x" * 100_000, False)],
)
def test_the_transport_refuses_what_the_adapters_refuse(location: str, refused: bool) -> None:
    class _Answer:
        url = "https://h.example/a"
        status = 307

        def header(self, name: str) -> str | None:
            return location if name == "location" else None

    answer = _Answer()
    if refused:
        with pytest.raises(sigv4kit.errors.RedirectRefused) as info:
            exchange.Response.refuse_foreign_redirect(answer)  # type: ignore[arg-type]
        assert info.value.status == 307 and len(str(info.value)) < 600
        with pytest.raises(common.RedirectRefused):
            common.check_redirect(answer.url, 307, location)
    else:
        exchange.Response.refuse_foreign_redirect(answer)  # type: ignore[arg-type]
        common.check_redirect(answer.url, 307, location)
