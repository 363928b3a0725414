"""botocore as an independent oracle for EC2 requests, with no network.

A real botocore EC2 client runs its whole pipeline (serializer, ``inject_presigned_url_ec2``,
signer); a ``before-send`` hook captures the request that would go on the wire and answers
with a canned response. The clock botocore signs with is frozen.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from unittest import mock
from urllib.parse import parse_qsl

import botocore.compat
import botocore.session
from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from sigv4kit import Credentials

_COPY_RESPONSE = (
    b'<CopySnapshotResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
    b"<requestId>11111111-2222-3333-4444-555555555555</requestId>"
    b"<snapshotId>snap-0123456789abcdef0</snapshotId></CopySnapshotResponse>"
)


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


@contextmanager
def isolated_botocore_env() -> Iterator[None]:
    """No AWS_* variable or config file of the machine may steer the oracle."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    clean.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    with mock.patch.dict(os.environ, clean, clear=True):
        yield


def botocore_wire_request(
    creds: Credentials,
    region: str,
    operation: str,
    params: Mapping[str, Any],
    now: datetime,
) -> AWSPreparedRequest:
    """The request botocore's ec2 client in ``region`` sends for ``operation(**params)``."""
    captured: list[AWSPreparedRequest] = []

    def before_send(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        captured.append(request)
        return AWSResponse(request.url, 200, {}, _Body(_COPY_RESPONSE))

    with isolated_botocore_env():
        client = botocore.session.Session().create_client(
            "ec2",
            region_name=region,
            aws_access_key_id=creds.access_key_id,
            aws_secret_access_key=creds.secret_access_key,
            aws_session_token=creds.session_token,
        )
        client.meta.events.register("before-send.ec2", before_send)
        # With awscrt installed botocore signs with its CRT signers, which read the clock
        # through botocore.crt.auth: freeze both, so the oracle is whatever botocore uses.
        with _frozen_clock(now):
            try:
                getattr(client, _snake(operation))(**params)
            except Exception:  # a canned response that does not fit the operation
                if not captured:
                    raise
    return captured[0]


@contextmanager
def _frozen_clock(now: datetime) -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch("botocore.auth.get_current_datetime", return_value=now))
        if botocore.compat.HAS_CRT:
            stack.enter_context(
                mock.patch("botocore.crt.auth.get_current_datetime", return_value=now)
            )
        yield


def botocore_copy_snapshot_presigned_url(
    creds: Credentials, destination_region: str, params: Mapping[str, Any], now: datetime
) -> str:
    """The PresignedUrl botocore's ``inject_presigned_url_ec2`` puts on the wire."""
    wire = botocore_wire_request(creds, destination_region, "CopySnapshot", params, now)
    body = wire.body.decode() if isinstance(wire.body, bytes) else str(wire.body)
    return dict(parse_qsl(body, keep_blank_values=True))["PresignedUrl"]


def _snake(operation: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")
