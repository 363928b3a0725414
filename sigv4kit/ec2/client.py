"""A raw EC2 Query API client on ``requests``: sends exactly the parameters it is given.

Unlike boto3, it never fills in ``PresignedUrl`` or ``DestinationRegion`` for CopySnapshot:
the caller builds the URL with ``presigned_copy_snapshot_url`` and passes it, so what EC2
receives is what the caller can see and check.

https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Query-Requests.html
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
import requests.adapters
import urllib3.exceptions

from .. import __version__
from ..aws import endpoints
from ..errors import SigningError
from ..model import Credentials, Request, SignedRequest
from ..redact import redact_credentials
from ..signing import sign_request
from . import parser, serializer
from .errors import ApiError, ResponseParseError, SnapshotStateError, WaitTimeoutError

logger = logging.getLogger("sigv4kit.ec2")

CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
MAX_RESPONSE_BYTES = 10 * 1024 * 1024
_SIGNATURE_ERRORS = frozenset({"AuthFailure", "SignatureDoesNotMatch", "IncompleteSignature"})
_CLIENT_TOKEN_ACTIONS = frozenset({"ImportSnapshot", "ImportImage", "ImportVolume"})
"""Actions whose ClientToken we generate when absent, so that retries cannot duplicate them."""

CredentialSource = Credentials | Callable[[], Credentials]


def _is_idempotent(action: str, params: Mapping[str, Any]) -> bool:
    """May this call be repeated after it possibly reached EC2? Reads are; writes are only
    with a ClientToken (EC2's idempotency key). CopySnapshot and CreateSnapshot have none."""
    return action.startswith(("Describe", "Get", "List")) or bool(params.get("ClientToken"))


def _surely_not_sent(exc: requests.exceptions.RequestException) -> bool:
    """True for failures before any byte of the request could reach the server."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.SSLError):
        return False
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = exc.args[0] if exc.args else None
        inner = getattr(reason, "reason", reason)
        return isinstance(inner, urllib3.exceptions.NewConnectionError)
    return False


class Client:
    """EC2 in one Region, through one ``requests.Session`` (connections are reused).

    ``credentials`` may be a ``Credentials``, a callable returning fresh ones (refreshing
    temporary credentials), or None for botocore's whole provider chain (environment, profiles,
    SSO, assume-role, container and instance metadata). ``timeout`` is requests' (connect,
    read). Throttling and connection failures are retried up to ``max_attempts`` with capped
    exponential backoff and full jitter; see ``call`` for which failures are retried.
    """

    def __init__(
        self,
        region: str,
        credentials: CredentialSource | None = None,
        endpoint_url: str | None = None,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] = (10.0, 60.0),
        max_attempts: int = 5,
        *,
        profile: str | None = None,
        retry_base_delay: float = 0.5,
        retry_max_delay: float = 20.0,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        endpoints.partition_of(region)
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise SigningError("max_attempts: must be a whole number >= 1", field="max_attempts")
        self.region = region
        self.endpoint_url = (endpoint_url or endpoints.ec2_endpoint(region)).rstrip("/") + "/"
        split = urlsplit(self.endpoint_url)
        if split.scheme not in ("http", "https") or not split.netloc:
            raise SigningError(
                f"endpoint_url: {endpoint_url!r} is not an http(s) URL with a host",
                field="endpoint_url",
            )
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.retry_base_delay = retry_base_delay
        self.retry_max_delay = retry_max_delay
        self.max_response_bytes = max_response_bytes
        self._credentials = credentials
        self._profile = profile
        self._credentials_lock = threading.Lock()
        if session is None:
            session = requests.Session()
            adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=32)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        self.session = session
        self.on_signed: Callable[[SignedRequest, Credentials], None] | None = None
        """Called with each signed request before it is sent (the CLI's --debug)."""

    def __repr__(self) -> str:
        return f"Client(region={self.region!r}, endpoint_url={self.endpoint_url!r})"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- credentials -------------------------------------------------------------------

    def _current_credentials(self) -> Credentials:
        source = self._credentials
        if isinstance(source, Credentials):
            return source
        if source is None:
            with self._credentials_lock:
                if self._credentials is None:
                    from ..aws.credentials import chain_credentials

                    self._credentials = chain_credentials(self._profile)
                source = self._credentials
            if isinstance(source, Credentials):
                return source
        assert source is not None
        return source()

    # -- the wire ----------------------------------------------------------------------

    def _signed(self, body: bytes) -> tuple[SignedRequest, Credentials]:
        credentials = self._current_credentials()
        request = Request(
            "POST",
            self.endpoint_url,
            [("Content-Type", CONTENT_TYPE), ("User-Agent", f"sigv4kit/{__version__}")],
            body,
        )
        signed = sign_request(request, credentials, region=self.region, service="ec2")
        if self.on_signed is not None:
            self.on_signed(signed, credentials)
        return signed, credentials

    def _read(self, response: requests.Response) -> bytes:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_response_bytes:
            response.close()
            raise ResponseParseError(
                f"response larger than {self.max_response_bytes} bytes",
                http_status=response.status_code,
                body_size=int(declared),
            )
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > self.max_response_bytes:
                    response.close()
                    raise ResponseParseError(
                        f"response larger than {self.max_response_bytes} bytes",
                        http_status=response.status_code,
                    )
                chunks.append(chunk)
        except (requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError) as exc:
            # EC2 received the request and answered: it may have acted on it.
            raise ResponseParseError(
                f"response cut short or undecodable ({type(exc).__name__})",
                http_status=response.status_code,
                body_size=size,
            ) from None
        return b"".join(chunks)

    def _backoff(self, attempt: int) -> None:
        delay = random.uniform(0, min(self.retry_max_delay, self.retry_base_delay * 2**attempt))
        time.sleep(delay)

    def call(self, action: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Send ``action`` with boto3-shaped ``params`` exactly as given; return a boto3-shaped
        dict (with ``ResponseMetadata``) or raise ``ApiError``.

        Retried: throttling answers and connections that surely never reached EC2, for every
        action; 5xx answers, read timeouts and dropped connections only for reads and calls
        carrying a ClientToken, because CopySnapshot or CreateSnapshot repeated after it may
        have arrived would make a second snapshot.
        """
        params = dict(params or {})
        if action in _CLIENT_TOKEN_ACTIONS and "ClientToken" not in params:
            params["ClientToken"] = str(uuid.uuid4())
        # Form-encoded as botocore does (urlencode: space as '+'), so any server that re-encodes
        # the parsed form to check the signature, as moto does, sees the same bytes.
        body = urlencode(serializer.serialize(action, params)).encode("ascii")
        idempotent = _is_idempotent(action, params)
        attempt = 0
        while True:
            attempt += 1
            signed, credentials = self._signed(body)
            try:
                response = self.session.post(
                    self.endpoint_url,
                    data=body,
                    headers=dict(signed.request.headers),
                    timeout=self.timeout,
                    stream=True,
                )
                with response:
                    status, headers = response.status_code, dict(response.headers)
                    raw = self._read(response)
            except ResponseParseError:
                if idempotent and attempt < self.max_attempts:
                    self._backoff(attempt)
                    continue
                raise
            except requests.exceptions.RequestException as exc:
                retry = _surely_not_sent(exc) or idempotent
                logger.debug("%s attempt %d failed: %s", action, attempt, type(exc).__name__)
                if retry and attempt < self.max_attempts:
                    self._backoff(attempt)
                    continue
                raise
            try:
                result = parser.parse_response(
                    action, status, headers, raw, max_bytes=self.max_response_bytes
                )
            except ApiError as err:
                retry = err.is_throttling or status == 503 or (status >= 500 and idempotent)
                if retry and attempt < self.max_attempts:
                    logger.debug("%s attempt %d: %s, retrying", action, attempt, err.code)
                    self._backoff(attempt)
                    continue
                if err.code in _SIGNATURE_ERRORS:
                    err.debug = _debug_text(signed, credentials)
                raise
            result.setdefault("ResponseMetadata", {})["RetryAttempts"] = attempt - 1
            return result

    # -- boto3-shaped helpers ----------------------------------------------------------

    def copy_snapshot(self, **params: Any) -> dict[str, Any]:
        """CopySnapshot with exactly these parameters (``SourceRegion``, ``SourceSnapshotId``,
        ``PresignedUrl``, ``DestinationRegion`` … as in boto3). Nothing is added.

        Checked before sending, because EC2 itself only finds out when the copy runs: a
        DestinationRegion other than this client's Region, and a PresignedUrl whose
        action, source or destination disagree with this call.
        """
        destination = params.get("DestinationRegion")
        if destination is not None and destination != self.region:
            raise SigningError(
                f"DestinationRegion: {destination!r} differs from the Region this request is "
                f"sent to ({self.region!r}); send CopySnapshot to the destination Region",
                field="DestinationRegion",
            )
        url = params.get("PresignedUrl")
        if url is not None:
            check_presigned_url_matches(url, params, self.region)
        return self.call("CopySnapshot", params)

    def create_snapshot(self, **params: Any) -> dict[str, Any]:
        """CreateSnapshot (``VolumeId``, ``Description``, ``TagSpecifications`` …)."""
        return self.call("CreateSnapshot", params)

    def import_snapshot(self, **params: Any) -> dict[str, Any]:
        """ImportSnapshot; a ``ClientToken`` is generated when absent so retries are safe."""
        return self.call("ImportSnapshot", params)

    def describe_snapshots(self, **params: Any) -> dict[str, Any]:
        """DescribeSnapshots (``SnapshotIds``, ``OwnerIds``, ``Filters`` …)."""
        return self.call("DescribeSnapshots", params)

    def wait_for_snapshot(
        self,
        snapshot_id: str,
        state: str = "completed",
        timeout: float = 1800.0,
        *,
        poll_delay: float = 2.0,
        max_poll_delay: float = 30.0,
    ) -> dict[str, Any]:
        """Poll DescribeSnapshots until ``snapshot_id`` reaches ``state``; return the snapshot.

        A snapshot in ``error`` raises ``SnapshotStateError`` carrying EC2's StateMessage:
        that is how a bad PresignedUrl finally shows itself. Past ``timeout`` seconds,
        ``WaitTimeoutError``.
        """
        from . import waiters

        waiter = waiters.definition("SnapshotCompleted")
        if state != "completed":
            waiter = waiters.with_success_state(waiter, state)
        try:
            found = waiters.wait(
                self.call, waiter, {"SnapshotIds": [snapshot_id]}, delay=poll_delay,
                max_attempts=2**31, timeout=timeout, backoff=1.5, max_delay=max_poll_delay,
            )
        except waiters.WaiterError as exc:
            snapshots = (exc.last_response or {}).get("Snapshots") or []
            snapshot: dict[str, Any] = snapshots[0] if snapshots else {}
            if exc.reason == "failure":
                raise SnapshotStateError(
                    snapshot_id, str(snapshot.get("StateMessage") or "no StateMessage given")
                ) from None
            raise WaitTimeoutError(snapshot_id, state, snapshot.get("State"), timeout) from None
        result: dict[str, Any] = (found.get("Snapshots") or [{}])[0]
        return result

    def wait(self, name: str, *, delay: float | None = None,
             max_attempts: int | None = None, **params: Any) -> dict[str, Any]:
        """Wait as botocore's waiter ``name`` (``SnapshotCompleted``, ``SnapshotImported``)
        does, with its delay and attempts unless given; raises ``waiters.WaiterError``."""
        from . import waiters

        return waiters.wait(self.call, waiters.definition(name), params, delay=delay,
                            max_attempts=max_attempts)


def check_presigned_url_matches(url: str, params: Mapping[str, Any], region: str) -> None:
    """Refuse a PresignedUrl that EC2 would reject hours later: not for CopySnapshot, or for
    another source snapshot, source Region or destination Region than this call."""
    try:
        query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    except ValueError:
        raise SigningError("PresignedUrl: is not a URL", field="PresignedUrl") from None
    if query.get("Action") != "CopySnapshot":
        raise SigningError("PresignedUrl: is not for Action=CopySnapshot", field="PresignedUrl")
    if "X-Amz-Signature" not in query:
        raise SigningError("PresignedUrl: carries no X-Amz-Signature", field="PresignedUrl")
    expected = {
        "SourceRegion": params.get("SourceRegion"),
        "SourceSnapshotId": params.get("SourceSnapshotId"),
        "DestinationRegion": region,
    }
    for name, value in expected.items():
        if value is not None and query.get(name) != value:
            raise SigningError(
                f"PresignedUrl: its {name} is {query.get(name)!r} but this call's is {value!r}",
                field="PresignedUrl",
            )


def _debug_text(signed: SignedRequest, credentials: Credentials) -> str:
    return (
        "canonical request:\n"
        + redact_credentials(signed.canonical_request, credentials)
        + "\n\nstring to sign:\n"
        + signed.string_to_sign
    )
