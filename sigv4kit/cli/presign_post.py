"""``sigv4kit presign post``: an S3 browser-upload form (fields as JSON, or an HTML form), and
the POST-policy branch of ``explain`` / ``verify`` (a policy, or a whole form as ``@file``).

Imported with ``presign`` (it registers the command), so it imports nothing heavy at load:
``presign copy-snapshot`` must not pay for json or html."""

from __future__ import annotations

import os
import stat
import sys
from typing import Any

import click

from ..model import Credentials
from .common import (
    InputError,
    clean_message,
    credential_options,
    load_credentials,
    load_region,
    print_json,
    signing_errors,
)
from .presign import presign

__all__ = ["explain_policy_source", "form_html", "policy_source", "post", "verify_policy_source"]

_FIELDS = {"bucket": "S3URL", "key": "S3URL", "region": "--region", "expires": "--expires",
           "timestamp": "--timestamp", "conditions": "--condition", "fields": "--field",
           "endpoint_url": "--endpoint-url"}


def _s3url(value: str) -> tuple[str, str]:
    if not value.startswith("s3://") or "/" not in value[5:]:
        raise click.BadParameter("must be s3://bucket/key", param_hint="S3URL")
    bucket, _, key = value[5:].partition("/")
    if not bucket or not key:
        raise click.BadParameter("must be s3://bucket/key", param_hint="S3URL")
    return bucket, key


def _condition(text: str) -> Any:
    import json

    try:
        value = json.loads(text)
    except ValueError:
        raise click.BadParameter(f"{text[:60]!r} is not JSON", param_hint="--condition") from None
    return value


def form_html(url: str, fields: dict[str, str]) -> str:
    """A ready upload form: the fields as hidden inputs, the file last (S3 ignores what
    follows it)."""
    from html import escape

    inputs = "\n".join(
        f'    <input type="hidden" name="{escape(k)}" value="{escape(v)}">'
        for k, v in fields.items()
    )
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Upload</title></head>\n"
        f'<body>\n  <form action="{escape(url)}" method="post" enctype="multipart/form-data">\n'
        f"{inputs}\n"
        '    <input type="file" name="file" id="file">\n'
        '    <input type="submit" value="Upload" id="upload">\n  </form>\n</body></html>\n'
    )


@presign.command(
    "post",
    epilog="Examples:\n\n\b\n  sigv4kit presign post 's3://uploads/user1/${filename}' "
    "--region us-east-1 \\\n      --condition '[\"content-length-range\", 1, 10485760]'\n"
    "  sigv4kit presign post s3://uploads/a.png --region eu-west-1 --field Content-Type="
    "image/png \\\n      --condition '{\"Content-Type\": \"image/png\"}' --html > form.html",
)
@click.argument("s3url", metavar="S3URL")
@click.option("--region", help="Region of the bucket (default: AWS_REGION or the profile's).")
@click.option("--condition", "conditions", multiple=True, metavar="JSON",
              help="A policy condition as JSON (repeatable), e.g. "
              "'[\"starts-with\", \"$Content-Type\", \"image/\"]'.")
@click.option("--field", "fields", multiple=True, metavar="K=V",
              help="A form field to pre-fill (repeatable); give a condition for it too.")
@click.option("--expires", type=int, default=3600, show_default=True, help="Seconds, 1..604800.")
@click.option("--endpoint-url", help="Post to this endpoint (path-style) instead of AWS's.")
@click.option("--timestamp", help="Signing time (ISO 8601); default now.")
@click.option("--html", "as_html", is_flag=True, help="Print a ready HTML form instead of JSON.")
@credential_options
@signing_errors(_FIELDS)
def post(s3url: str, region: str | None, conditions: tuple[str, ...], fields: tuple[str, ...],
         expires: int, endpoint_url: str | None, timestamp: str | None, as_html: bool,
         profile: str | None, access_key_id: str | None, secret_access_key_stdin: bool) -> None:
    """Print the URL and form fields of a browser upload (S3 POST policy), as boto3's
    generate_presigned_post makes them (SigV4)."""
    from ..post_policy import presigned_post

    bucket, key = _s3url(s3url)
    given: dict[str, str] = {}
    for item in fields:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item[:60]!r} is not K=V", param_hint="--field")
        given[name] = value
    parsed = [_condition(c) for c in conditions]
    scope_region = load_region(region, profile)
    credentials = load_credentials(profile, access_key_id, secret_access_key_stdin)
    result = presigned_post(credentials, bucket=bucket, key=key, region=scope_region,
                            fields=given, conditions=parsed, expires=expires,
                            endpoint_url=endpoint_url, timestamp=timestamp)
    if as_html:
        click.echo(form_html(result.url, result.fields), nl=False)
    else:
        print_json({"url": result.url, "fields": result.fields})


def policy_source(source: str) -> bytes | None:
    """The bytes of ``source`` when it holds a POST policy or form, else None (the caller then
    reads it as a URL or raw request). ``@-`` is left to the caller: stdin cannot be re-read."""
    from ..diagnose.policy import MAX_INPUT, read_policy_input

    if source == "@-":
        return None
    if source.startswith("@"):
        from .debugging import read_limited
        from .inputfile import InputFileError, open_regular

        try:
            fh = open_regular(source[1:])  # never blocks on a FIFO, refuses devices
        except InputFileError:
            return None
        with fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                return None  # a pipe cannot be read twice: left to the raw-request reader
            head = fh.read(2)
        if head[:1] not in (b"-", b"{", b"e"):  # a form, JSON, or base64 of '{"' ("eyJ")
            return None
        data = read_limited(source[1:], MAX_INPUT, "REQUEST")
    elif "://" in source or len(source) > MAX_INPUT:
        return None
    else:
        data = source.encode("utf-8", "replace")
    return data if read_policy_input(data) is not None else None


def explain_policy_source(data: bytes, now: Any, output: str | None) -> None:
    from ..diagnose.policy import PolicyError, explain_policy, read_policy_input, render_policy
    from ..diagnose.policy import to_dict as policy_dict

    given = read_policy_input(data)
    assert given is not None
    try:
        report = explain_policy(given, now)
    except PolicyError as exc:
        raise InputError(str(exc)) from None
    if output == "json":
        print_json(policy_dict(report))
    else:
        click.echo(clean_message(render_policy(report, now)), nl=False)
    if report.warnings or report.expired:
        sys.exit(1)


def verify_policy_source(data: bytes, now: Any, credentials: Credentials,
                         output: str | None) -> None:
    from ..diagnose.policy import read_policy_input
    from ..diagnose.textdiff import visible
    from ..post_policy import decode_policy, verify_post

    given = read_policy_input(data)
    assert given is not None
    if given.fields is None:
        raise InputError("REQUEST: verifying a POST policy needs the whole form "
                         "(@form.txt, multipart/form-data), not the policy alone")
    bucket = ""
    try:
        _, _, conditions = decode_policy(given.encoded)
        bucket = next((str(c.value) for c in conditions
                       if c.name.lower() == "$bucket" and c.op == "eq"), "")
    except ValueError:
        pass
    bucket = bucket or next((v for k, v in given.fields if k.lower() == "bucket"), "")

    def lookup(key_id: str) -> Credentials | None:
        return credentials if key_id == credentials.access_key_id else None

    verdict = verify_post(given.fields, lookup, bucket=bucket, now=now)
    if output == "json":
        print_json({"valid": verdict.valid, "reason": str(verdict.reason), "code": verdict.code,
                    "message": clean_message(verdict.message)})
    else:
        label = "valid" if verdict.valid else f"invalid ({verdict.reason}, {verdict.code})"
        # the form's own text (field names, conditions) must not drive the terminal
        click.echo(visible(f"{label}: {clean_message(verdict.message)} (bucket {bucket or '?'})"))
    if not verdict.valid:
        sys.exit(1)
