"""The one vocabulary of reasons and causes: what ``verify`` refuses for, what ``explain`` warns
of and what ``diff`` finds, each idea spelled once, in snake_case.

Programs match on these codes (``VerifyResult.reason``, ``ExplainWarning.code``,
``Cause.code``, the CLI's JSON), so one idea must not have two names: a signature made for the
wrong Region is ``region_mismatch`` whether ``explain`` reads it from the host or ``diff`` from
the server's scope. The verifier's ``Reason`` values come first and never change (servers store
and compare them); the debugger's codes reuse them where the idea is the same
(``scope_mismatch``, ``token_mismatch``, ``expired`` …) and add the finer ones below. A test
(``tests/test_vocabulary.py``) proves that every code the diagnose modules emit is listed here
and that no other spelling of one exists in the package.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from ..received import Reason

__all__ = ["CODES", "REASONS", "VOCABULARY"]

REASONS: Final[frozenset[str]] = frozenset(reason.value for reason in Reason)
"""The verifier's reasons (``sigv4kit.Reason``), stable: ``explain`` and ``diff`` use the same
values for the same ideas."""

CODES: Final[Mapping[str, str]] = MappingProxyType({
    # the credential scope and the time, read by explain and diff alike
    "region_mismatch": "signed for one Region, sent to or checked in another",
    "service_mismatch": "the scope's service is not the signing name the receiver uses",
    "date_mismatch": "the scope's date is not the day of X-Amz-Date",
    "algorithm_mismatch": "SigV4 on one side, SigV4a on the other",
    "clock_skew": "X-Amz-Date is too far from the receiver's clock",
    "expires_too_long": "X-Amz-Expires beyond what the service accepts",
    "expires_too_short": "X-Amz-Expires of 0: never valid",
    "outlives_credentials": "the URL expires after the temporary credentials that signed it",
    # what was signed (explain)
    "host_not_signed": "SignedHeaders lacks host",
    "header_not_signed": "a header AWS needs signed is sent unsigned",
    "token_not_signed": "the session token is sent but not signed",
    "region_set_not_signed": "X-Amz-Region-Set is sent but not signed (SigV4a)",
    "non_s3_rules": "an S3 request signed with the general path rules",
    "checksum_type_mismatch": "the checksum type does not go with the algorithm",
    # the session token (diff)
    "token_missing": "a session token was signed but not received",
    "token_unexpected": "a session token was received but not signed",
    "token_expired": "the temporary credentials have expired",
    # the canonical request, part by part (diff)
    "method_mismatch": "signed for one HTTP method, sent with another",
    "path_not_encoded": "the canonical URI is not URI-encoded",
    "path_encoded_twice": "the signer encoded the path once more than the receiver",
    "path_encoded_once": "the receiver encoded the path once more than the signer",
    "path_not_normalised": "the receiver removed dot segments the signer kept",
    "path_normalised": "the signer removed dot segments the receiver kept",
    "path_encoding_mismatch": "the same path, percent-encoded differently",
    "path_rules_mismatch": "the same path, canonicalised by different rules",
    "path_mismatch": "another path",
    "query_not_sorted": "the canonical query string is not sorted",
    "query_plus_for_space": "a space encoded as '+' instead of %20",
    "query_encoding": "a query parameter percent-encoded differently",
    "query_value_changed": "a query parameter's value changed after signing",
    "query_param_not_signed": "a query parameter was added after signing",
    "query_param_not_sent": "a signed query parameter was not sent",
    "header_name_case": "header names not lower-cased in the canonical request",
    "header_whitespace": "a header value's spaces not trimmed or folded",
    "header_changed": "a signed header's value changed after signing",
    "host_mismatch": "signed for one Host, sent to another",
    "host_port": "a port in Host on one side only",
    "signed_headers_mismatch": "the two sides sign different header lists",
    "payload_streaming_mismatch": "streaming (aws-chunked) on one side only",
    "payload_unsigned_vs_digest": "UNSIGNED-PAYLOAD on one side, a digest on the other",
    "body_changed": "the body changed after signing",
    # the whole request and the signature (diff)
    "canonical_request_mismatch": "the two canonical requests differ",
    "server_hashed_differently": "the same canonical request hashed to another value",
    "server_gave_no_canonical": "the receiver did not show its canonical request",
    "ours_inconsistent": "the signer's string to sign does not hash its canonical request",
    "signature_not_sent": "the receiver got another signature than the one computed",
    "wrong_secret_key": "everything matches but the signature: another secret key",
    "unrecognised_difference": "the sides differ in a way no check recognises",
})
"""The debugger's own codes (not verifier reasons): code -> the idea, in a few words."""

VOCABULARY: Final[frozenset[str]] = REASONS | CODES.keys()
"""Every reason, warning and cause code the package emits."""
