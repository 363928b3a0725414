"""Why was my signature rejected? Compare our canonical request with the server's.

A signature is an HMAC, so it can only say *that* the inputs differ; the two canonical
requests say *where*. Given what we signed and what the server reported it computed (a
``ServerReport``, read by ``server_error.parse_server_error``), ``diff_report`` compares them
line by line (``textdiff``) and runs the cause checks (``CHECKS``, ``REQUEST_CHECKS``: small
functions in ``causes`` and ``request_causes``), most likely cause first. ``render`` presents
the result.

It is pure: no network, no clock, no HTTP library.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-troubleshooting.html
"""

from __future__ import annotations

from dataclasses import dataclass, field
from hashlib import sha256
from urllib.parse import unquote

from .causes import (
    RANK,
    Cause,
    Check,
    Compared,
    Findings,
    RequestCheck,
    check_code,
    check_method,
    check_scope,
    check_signatures,
    check_time,
    check_token,
    dedupe,
    masked,
)
from .request_causes import check_headers, check_path, check_payload, check_query
from .server_error import DiagnoseError, ServerReport, escape_lone_surrogates
from .textdiff import PartDiff, part_diff
from .texts import CanonicalText, parse_canonical, parse_sts, service_of, sts_component

__all__ = ["CHECKS", "REQUEST_CHECKS", "Diagnosis", "diff_report"]


@dataclass(frozen=True)
class Diagnosis:
    """The comparison of what we signed with what the server computed.

    ``canonical_request`` / ``string_to_sign`` are None when the server did not report that
    part. ``causes`` are ordered most likely first. ``sensitive`` holds the session tokens
    found in either canonical request, which every presentation redacts.
    """

    report: ServerReport
    canonical_request: PartDiff | None
    string_to_sign: PartDiff | None
    causes: tuple[Cause, ...]
    notes: tuple[str, ...] = ()
    sensitive: tuple[str, ...] = field(default=(), repr=False)

    @property
    def identical(self) -> bool:
        """Both parts reported and byte-for-byte equal to ours: only the key can differ."""
        parts = (self.canonical_request, self.string_to_sign)
        return all(p is not None and p.identical for p in parts)


def _tokens(*canonicals: CanonicalText | None) -> tuple[str, ...]:
    """Session tokens in either canonical request: decoded first (so the redaction shows the
    real length), then as written, in case the server escaped it another way."""
    found: list[str] = []
    for c in canonicals:
        if c is None:
            continue
        for value in (c.header("x-amz-security-token"), c.param("X-Amz-Security-Token")):
            if value:
                found.append(unquote(value))
    for c in canonicals:
        param = None if c is None else c.param("X-Amz-Security-Token")
        if param:
            found.append(param)
    return tuple(dict.fromkeys(found))


def diff_report(
    ours_canonical: str,
    ours_string_to_sign: str,
    report: ServerReport,
    *,
    signature: str | None = None,
) -> Diagnosis:
    """Compare what we signed with what the server computed, and name the likely causes.

    ``ours_canonical`` / ``ours_string_to_sign`` are the signer's artefacts (``SignedRequest``
    and ``PresignedRequest`` carry them); ``signature``, if given, is checked against the
    signature the server received. Causes come from the structure of both canonical requests
    (method, URI, query, headers, signed headers, payload hash) and strings to sign (time,
    scope), not from text heuristics; when everything is identical the key must differ.
    """
    if not isinstance(ours_canonical, str) or not isinstance(ours_string_to_sign, str):
        raise DiagnoseError("ours: the canonical request and string to sign must be str")
    if not isinstance(report, ServerReport):
        raise DiagnoseError("report: must be a ServerReport (see parse_server_error)")
    ours_text, ours_sts_text = (
        escape_lone_surrogates(ours_canonical),
        escape_lone_surrogates(ours_string_to_sign),
    )
    ours_c = parse_canonical(ours_text)
    server_c = (
        None
        if report.canonical_request is None
        else parse_canonical(escape_lone_surrogates(report.canonical_request))
    )
    ours_s, server_s = (
        parse_sts(ours_sts_text),
        parse_sts(
            None if report.string_to_sign is None else escape_lone_surrogates(report.string_to_sign)
        ),
    )
    secrets = _tokens(ours_c, server_c)
    out = Findings(secrets)
    notes = list(report.notes)
    service = service_of(server_s) or service_of(ours_s)

    canonical_part = None
    if server_c is not None:
        canonical_part = part_diff(
            "canonical request", ours_text, server_c.text, server_c.component, secrets
        )
    sts_part = None
    if report.string_to_sign is not None:
        server_sts = escape_lone_surrogates(report.string_to_sign)
        sts_part = part_diff("string to sign", ours_sts_text, server_sts, sts_component, secrets)

    if ours_s is not None and ours_s.digest != sha256(ours_text.encode("utf-8")).hexdigest():
        out.add(
            "ours_inconsistent",
            "Your string to sign does not hash your canonical request",
            "Line 4 of your string to sign is not the SHA-256 of the canonical request you "
            "passed: they come from different signings, or your signer hashed other bytes "
            "(another encoding, a trailing newline). Compare the artefacts of one signing.",
        )
    if (
        server_c is not None
        and server_s is not None
        and server_s.digest != sha256(server_c.text.encode("utf-8")).hexdigest()
    ):
        notes.append(
            "the server's canonical request as reported does not hash to its string to sign: "
            "characters were lost on the way (XML text instead of the *Bytes form, or a copy "
            "that changed whitespace), so small whitespace differences may be artefacts"
        )

    compared = Compared(
        ours_c,
        server_c,
        ours_s,
        server_s,
        ours_sts_text,
        report,
        signature,
        service,
        canonical_part,
    )
    for check in CHECKS:
        check(compared, out)
    ranked = sorted(out.causes, key=lambda c: RANK[c.confidence])
    return Diagnosis(
        report=report,
        canonical_request=canonical_part,
        string_to_sign=sts_part,
        causes=tuple(dedupe(ranked)),
        notes=tuple(notes),
        sensitive=secrets,
    )


def check_request(c: Compared, out: Findings) -> None:
    """The request's structure, where the server showed its canonical request; a difference
    that none of ``REQUEST_CHECKS`` explains is reported as such."""
    server = c.server_c
    if server is None:
        return
    before = len(out.causes)
    for check in REQUEST_CHECKS:
        check(c.ours_c, server, c, out)
    if len(out.causes) > before or masked(c.ours_c) == masked(server):
        return
    first = None if c.canonical_part is None else c.canonical_part.first_difference
    where = "" if first is None else f" (line {first.line}: {first.component})"
    out.add(
        "canonical_request_mismatch",
        f"The canonical requests differ{where}",
        "The server built another canonical request from the request it received; "
        "the diff below shows where. "
        + (
            "Its structure could not be read, so no specific cause is named."
            if not (c.ours_c.structured and server.structured)
            else "None of the usual causes matches."
        ),
        () if first is None else (f"ours:   {first.ours}", f"server: {first.server}"),
        confidence="medium",
    )


def check_reported(c: Compared, out: Findings) -> None:
    """A server that showed neither canonical request nor string to sign."""
    if (
        c.server_c is None
        and c.server_s is None
        and not any(cause.code == "server_gave_no_canonical" for cause in out.causes)
    ):
        out.add(
            "server_gave_no_canonical",
            "The server did not report its canonical request or string to sign",
            "Without them the difference cannot be located from the response. EC2 never sends "
            "them; S3 and the Query/JSON services do in SignatureDoesNotMatch responses. Check "
            "the request offline with `sigv4kit explain` and `sigv4kit verify`.",
            confidence="low",
        )


def check_recognised(c: Compared, out: Findings) -> None:
    """The last word when no other check named a cause."""
    if not out.causes:
        out.add(
            "unrecognised_difference",
            "No known cause matches",
            "The two sides differ in a way none of the checks recognise (or the texts are not "
            "a canonical request and string to sign); read the line diff below.",
            confidence="low",
        )


REQUEST_CHECKS: tuple[RequestCheck, ...] = (
    check_method,
    check_token,
    check_path,
    check_query,
    check_payload,  # before check_headers, which leaves X-Amz-Content-SHA256 to it
    check_headers,
)
"""The checks of the request's structure, in the order they run."""

CHECKS: tuple[Check, ...] = (
    check_scope,
    check_time,
    check_request,
    check_signatures,
    check_code,
    check_reported,
    check_recognised,  # last: it speaks only when nothing else did
)
"""Every cause check of ``diff_report``, in the order it runs."""
