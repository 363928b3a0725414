"""Verifying a POST upload as it arrives (sans-I/O): fields first, then the file's bytes.

S3's form puts every field before the file (fields after it are ignored), so the policy can
be checked completely before the first byte of the file is read, and the file's size counted
against ``content-length-range`` as it streams: an upload is refused the moment it passes the
maximum, never buffered whole. Parser-agnostic, as h11 is: a multipart parser (python-multipart
in ``sigv4kit.testing.post_server``) calls ``field``, ``start_file``, ``data`` and ``finish``.
Memory is bounded by the field limits; the file's bytes are handed back, never kept.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from .errors import Error
from .post_policy import (
    MAX_FIELD_BYTES,
    MAX_FIELDS,
    Lookup,
    PostReason,
    PostVerdict,
    verify_post,
)
from .timestamps import now_or

__all__ = ["PostRefused", "PostUploadVerifier"]


class PostRefused(Error):
    """The upload is refused; ``verdict`` says why in S3's words (code, status, message)."""

    def __init__(self, verdict: PostVerdict) -> None:
        super().__init__(verdict.message)
        self.verdict = verdict


def _refusal(reason: PostReason, code: str, message: str, status: int = 400) -> PostRefused:
    return PostRefused(PostVerdict(False, reason, code, message, status))


class PostUploadVerifier:
    """One upload: ``field(name, value)`` for each field before the file, ``start_file(filename)``
    (checks the policy; raises ``PostRefused``), ``data(chunk)`` for each piece of the file
    (raises once it passes the maximum size), ``finish()`` for the final verdict."""

    def __init__(
        self,
        lookup: Lookup,
        *,
        bucket: str,
        now: datetime | str | None = None,
        max_fields: int = MAX_FIELDS,
        max_field_bytes: int = MAX_FIELD_BYTES,
    ) -> None:
        self.lookup = lookup
        self.bucket = bucket
        self.now = now_or(now)
        self.max_fields = max_fields
        self.max_field_bytes = max_field_bytes
        self.fields: list[tuple[str, str]] = []
        self.size = 0
        self.verdict: PostVerdict | None = None
        self._form_bytes = 0
        self._field_count = 0

    def field(self, name: str, value: bytes | str) -> None:
        """A form field; after the file, ignored (as S3 does) but still counted."""
        raw = value.encode("utf-8") if isinstance(value, str) else value
        self._form_bytes += len(name) + len(raw)
        self._field_count += 1  # those after the file too: empty parts cost nothing in bytes
        if self._form_bytes > self.max_field_bytes or self._field_count > self.max_fields:
            raise _refusal(
                PostReason.MALFORMED, "MaxPostPreDataLengthExceeded",
                "Your POST request fields preceeding the upload file were too large.",
            )
        if self.verdict is not None:
            return
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _refusal(
                PostReason.MALFORMED, "MalformedPOSTRequest",
                f"The body of your POST request is not well-formed multipart/form-data: field "
                f"{name[:64]!r} is not UTF-8.",
            ) from None
        self.fields.append((name, text))

    def start_file(self, filename: str | None) -> PostVerdict:
        """Every field is in: check signature, expiration and conditions (size aside)."""
        if self.verdict is not None:
            raise _refusal(
                PostReason.MALFORMED, "InvalidArgument",
                "POST requires exactly one file upload per request.",
            )
        verdict = verify_post(
            self.fields, self.lookup, bucket=self.bucket, now=self.now, filename=filename or ""
        )
        if not verdict.valid:
            raise PostRefused(verdict)
        self.verdict = verdict
        return verdict

    def data(self, chunk: bytes) -> bytes:
        """Counts a piece of the file against the maximum; returns it for the caller to store."""
        verdict = self._started()
        self.size += len(chunk)
        limits = verdict.content_length_range
        if limits is not None and self.size > limits[1]:
            raise _refusal(
                PostReason.ENTITY_TOO_LARGE, "EntityTooLarge",
                f"Your proposed upload exceeds the maximum allowed size (ProposedSize at "
                f"least {self.size}, MaxSizeAllowed {limits[1]})",
            )
        return chunk

    def finish(self) -> PostVerdict:
        """The whole file is in: the minimum size, then the final verdict."""
        verdict = self._started()
        limits = verdict.content_length_range
        if limits is not None and self.size < limits[0]:
            raise _refusal(
                PostReason.ENTITY_TOO_SMALL, "EntityTooSmall",
                f"Your proposed upload is smaller than the minimum allowed size (ProposedSize "
                f"{self.size}, MinSizeAllowed {limits[0]})",
            )
        return replace(verdict, message=f"{verdict.message}; file of {self.size} bytes")

    def _started(self) -> PostVerdict:
        if self.verdict is None:
            raise _refusal(
                PostReason.MISSING_FIELD, "InvalidArgument",
                "POST requires exactly one file upload per request.",
            )
        return self.verdict
