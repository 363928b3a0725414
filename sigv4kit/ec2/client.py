"""A raw EC2 Query API client on ``requests``: sends exactly the parameters it is given.

Unlike boto3, it never fills in ``PresignedUrl`` or ``DestinationRegion`` for CopySnapshot:
the caller builds the URL with ``presigned_copy_snapshot_url`` and passes it, so what EC2
receives is what the caller can see and check.

https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Query-Requests.html
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

import requests

from .. import __version__
from ..aws import endpoints
from ..aws.clock_skew import MAX_ERROR_BODY, ClockSkew
from ..aws.credentials import CredentialSource, check_credential_source, current_credentials
from ..aws.retries import retry_policy
from ..errors import SigningError
from ..model import Credentials, Request, SignedRequest
from ..redact import debug_text, excerpt
from ..signing import sign_request
from ..transport import (
    DeadlineExceeded,
    ReadTimedOut,
    RedirectRefused,
    ResponseBodyError,
    Transport,
    TransportError,
    check_timeout,
)
from ..url import split_url
from . import parser, serializer
from .errors import ApiError, ResponseParseError, SnapshotStateError, WaitTimeoutError

__all__ = ["MAX_ATTEMPTS", "Client", "check_presigned_url_matches", "checked_endpoint"]

logger = logging.getLogger("sigv4kit.ec2")

CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
MAX_RESPONSE_BYTES = 10 * 1024 * 1024
MAX_ATTEMPTS = 20
"""More attempts than this is a mistake (botocore's default is 5): with backoff capped at 20 s
it would hold one call for many minutes."""
DEFAULT_DEADLINE = 300.0
MAX_RETRY_DELAY = 86400.0
"""The most ``retry_base_delay`` and ``retry_max_delay`` may be: a day (the deadline's own
bound); beyond, a sleep between attempts could overflow ``time.sleep``."""
"""Seconds one ``call`` may take, every attempt and backoff included."""
_SIGNATURE_ERRORS = frozenset({"AuthFailure", "SignatureDoesNotMatch", "IncompleteSignature"})

_UNSET: Any = object()


def _is_idempotent(action: str, params: Mapping[str, Any]) -> bool:
    """May this call be repeated after it possibly reached EC2? Reads are; writes are only
    with a ClientToken (EC2's idempotency key). CopySnapshot and CreateSnapshot have none."""
    return action.startswith(("Describe", "Get", "List")) or bool(params.get("ClientToken"))


def checked_endpoint(endpoint_url: object, region: str = "us-east-1") -> str:
    """The endpoint URL with one trailing slash (the Region's when None), or a SigningError
    naming endpoint_url: the rules every endpoint (option, variable, profile) is held to."""
    if endpoint_url is None:
        return endpoints.ec2_endpoint(region).rstrip("/") + "/"
    if not isinstance(endpoint_url, str):
        raise SigningError("endpoint_url: must be a string (an http(s) URL)",
                           field="endpoint_url")
    if any(not " " < c < "\x7f" for c in endpoint_url):
        raise SigningError("endpoint_url: holds a space, a control or a non-ASCII character "
                           "(percent-encode a path; an IDNA host as its xn-- form)",
                           field="endpoint_url")
    url = endpoint_url.rstrip("/") + "/"
    try:
        split = urlsplit(url)
        host, _ = split.hostname, split.port
    except ValueError as exc:
        raise SigningError(
            f"endpoint_url: is not a valid URL ({exc})", field="endpoint_url"
        ) from None
    if split.scheme not in ("http", "https") or not host:
        raise SigningError(
            "endpoint_url: must be an http:// or https:// URL with a host", field="endpoint_url"
        )
    if split.query or split.fragment or split.username is not None:
        raise SigningError(
            "endpoint_url: must not carry a query, a fragment or user info",
            field="endpoint_url",
        )
    return url


def _configured(profile: str | None, ignore: bool | None) -> tuple[str | None, str]:
    """The configured endpoint as boto3 finds it (``aws.config_endpoints``), unless ignored."""
    from ..aws.config_endpoints import configured_endpoint

    found = configured_endpoint("ec2", profile, ignore=ignore)
    return (None, "region") if found is None else (found.url, found.source)


def _timeouts(timeout: object, connect: object, read: object) -> tuple[float | None, float | None]:
    if isinstance(timeout, tuple):
        if len(timeout) != 2:
            raise SigningError("timeout: must be seconds or (connect, read)", field="timeout")
        pair: tuple[object, object] = (timeout[0], timeout[1])
    else:
        pair = (timeout, timeout)
    chosen = (pair[0] if connect is _UNSET else connect, pair[1] if read is _UNSET else read)
    names = ("connect_timeout", "read_timeout")
    return (
        None if chosen[0] is None else check_timeout(chosen[0], names[0], zero_means_none=False),
        None if chosen[1] is None else check_timeout(chosen[1], names[1], zero_means_none=False),
    )


class Client:
    """EC2 in one Region, through one ``sigv4kit.transport.Transport`` (connections reused).

    ``credentials`` may be a ``Credentials``, a callable returning fresh ones (refreshing
    temporary credentials), botocore's credentials object, or None for botocore's whole
    provider chain (environment, profiles, SSO, assume-role, container and instance
    metadata). A provider is asked before every signing, every retry and every waiter poll;
    one that fails is one ``sigv4kit.aws.credentials.CredentialsError``.

    Endpoint: ``endpoint_url``, else the one configured as boto3 finds it
    (``AWS_ENDPOINT_URL_EC2``, ``AWS_ENDPOINT_URL``, the profile's ``services`` section or
    ``endpoint_url``; ``profile`` or ``AWS_PROFILE`` picks the profile), unless
    ``ignore_configured_endpoint_urls`` (default: ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`` or
    the profile's setting); else the Region's public endpoint. ``endpoint_source`` says which.

    Clock skew (``correct_clock_skew``, on by default): when EC2 refuses a request for its
    time (AuthFailure, RequestExpired …) and its Date header shows our clock off by more than
    five minutes, the request is signed again once with EC2's time, and that offset is used
    for this endpoint from then on (until an answer disagrees), as the AWS SDKs do.

    Time: ``timeout`` is requests' (connect, read) or one number for both;
    ``connect_timeout``/``read_timeout`` override its halves (None: none). ``deadline``
    (seconds, None: none; default 300) bounds a whole ``call``, every attempt, read and backoff
    included, so a server trickling a byte a second cannot hold it. Retries follow botocore's
    ``retry_mode`` (``legacy``, the AWS CLI v1's and the default; ``standard``; ``adaptive``,
    without its client-side rate limiter; ``sigv4kit.aws.retries``) with ``max_attempts``
    (1..20, default the mode's: 5 or 3); see ``call`` for which failures are retried.

    Errors ``call`` raises: ``ApiError`` (EC2 answered with an error), ``ResponseParseError``
    (an answer that cannot be read: too large, cut short, a gzip bomb, hostile XML),
    ``sigv4kit.transport.TransportError`` (no answer: ``ConnectFailed``, ``ReadTimedOut``,
    ``DeadlineExceeded``, ``ConnectionLost``), ``RedirectRefused`` (a redirect to another
    origin, the core's origin rule), ``SigningError`` (bad
    arguments; ``CredentialsError`` when a provider fails). A redirect is never followed.
    """

    def __init__(
        self,
        region: str,
        credentials: CredentialSource | None = None,
        endpoint_url: str | None = None,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] = (10.0, 60.0),
        max_attempts: int | None = None,
        *,
        profile: str | None = None,
        retry_base_delay: float = 0.5,
        retry_max_delay: float = 20.0,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        connect_timeout: float | None = _UNSET,
        read_timeout: float | None = _UNSET,
        deadline: float | None = DEFAULT_DEADLINE,
        correct_clock_skew: bool = True,
        ignore_configured_endpoint_urls: bool | None = None,
        retry_mode: str | None = None,
        unsigned: bool = False,
    ) -> None:
        endpoints.partition_of(region)
        if max_attempts is not None and (
                isinstance(max_attempts, bool) or not isinstance(max_attempts, int)
                or not 1 <= max_attempts <= MAX_ATTEMPTS):
            raise SigningError(
                f"max_attempts: must be a whole number from 1 to {MAX_ATTEMPTS}, "
                f"got {max_attempts!r}",
                field="max_attempts",
            )
        for name, delay in (("retry_base_delay", retry_base_delay),
                            ("retry_max_delay", retry_max_delay)):
            if (isinstance(delay, bool) or not isinstance(delay, int | float)
                    or not math.isfinite(delay) or not 0 <= delay <= MAX_RETRY_DELAY):
                raise SigningError(f"{name}: must be a number of seconds from 0 to "
                                   f"{MAX_RETRY_DELAY:g}", field=name)
        if (isinstance(max_response_bytes, bool) or not isinstance(max_response_bytes, int)
                or max_response_bytes < 1):
            raise SigningError("max_response_bytes: must be a whole number >= 1",
                               field="max_response_bytes")
        self.region = region
        self.endpoint_source = "endpoint_url"
        """Where the endpoint came from: ``endpoint_url``, a configured source
        (``AWS_ENDPOINT_URL_EC2`` …) or ``region`` (the Region's public endpoint)."""
        if endpoint_url is None:
            endpoint_url, self.endpoint_source = _configured(
                profile, ignore_configured_endpoint_urls)
        self.endpoint_url = checked_endpoint(endpoint_url, region)
        self.connect_timeout, self.read_timeout = _timeouts(timeout, connect_timeout,
                                                            read_timeout)
        self.timeout = (self.connect_timeout, self.read_timeout)
        self.deadline = None if deadline is None else check_timeout(
            deadline, "deadline", zero_means_none=False)
        self.retry = retry_policy(retry_mode, max_attempts)
        self.unsigned = bool(unsigned)
        """Send requests unsigned (no credentials read), as ``aws --no-sign-request``."""
        self.max_attempts = self.retry.max_attempts
        self.retry_base_delay = retry_base_delay
        self.retry_max_delay = retry_max_delay
        self.max_response_bytes = max_response_bytes
        if credentials is not None:
            check_credential_source(credentials)
        self._credentials = credentials
        self._profile = profile
        self._credentials_lock = threading.Lock()
        self._transport = Transport(
            connect_timeout=self.connect_timeout, read_timeout=self.read_timeout,
            deadline=self.deadline, max_body_bytes=max_response_bytes,
            max_decoded_bytes=max_response_bytes, session=session,
        )
        self.session = self._transport.session
        self._skew = ClockSkew(enabled=bool(correct_clock_skew))
        self._host = split_url(self.endpoint_url).host
        self.on_signed: Callable[[SignedRequest, Credentials], None] | None = None
        """Called with each signed request before it is sent (the CLI's --debug)."""

    def __repr__(self) -> str:
        return f"Client(region={self.region!r}, endpoint_url={self.endpoint_url!r})"

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- credentials -------------------------------------------------------------------

    def _current_credentials(self) -> Credentials:
        """The credentials to sign with now: the provider is asked each time (the same path
        as the HTTP-library adapters); None becomes botocore's chain on first use."""
        source = self._credentials
        if source is None:
            with self._credentials_lock:
                if self._credentials is None:
                    from ..aws.credentials import chain_credentials

                    self._credentials = chain_credentials(self._profile)
                source = self._credentials
        return current_credentials(source)

    # -- the wire ----------------------------------------------------------------------

    def _signed(self, body: bytes) -> tuple[SignedRequest, Credentials | None]:
        request = Request(
            "POST",
            self.endpoint_url,
            [("Content-Type", CONTENT_TYPE), ("User-Agent", f"sigv4kit/{__version__}")],
            body,
        )
        if self.unsigned:  # as botocore's UNSIGNED (aws --no-sign-request): sent as built
            return SignedRequest(request, "", "", "", "", "", "", ""), None
        credentials = self._current_credentials()
        signed = sign_request(request, credentials, region=self.region, service="ec2",
                              timestamp=self._skew.signing_time(self._host))
        if self.on_signed is not None:
            self.on_signed(signed, credentials)
        return signed, credentials

    def _exchange(self, signed: SignedRequest, remaining: float | None
                  ) -> tuple[int, dict[str, str], bytes]:
        """One attempt: status, headers and the whole body, within the limits."""
        try:
            with self._transport.send(signed.request, deadline=remaining) as response:
                return response.status, dict(response.headers), response.read()
        except ResponseBodyError as exc:
            # EC2 received the request and answered: it may have acted on it.
            raise ResponseParseError(exc.message, http_status=exc.status,
                                     body_size=exc.received) from None

    def _clock_was_wrong(self, status: int, headers: Mapping[str, str], raw: bytes) -> bool:
        """Learn EC2's clock from an answer's Date; True when it refused the request for its
        time and the offset just learnt corrects that (sign again, once)."""
        date = next((v for k, v in headers.items() if k.lower() == "date"), None)
        return self._skew.after_response(
            self._host, status, date,
            lambda: raw[:MAX_ERROR_BODY].decode("utf-8", "replace"))

    def _backoff(self, attempt: int, ends: float | None, *, throttled: bool = False,
                 timeout: bool = False) -> bool:
        """Sleep before the next attempt as the retry mode says (scaled by
        ``retry_base_delay`` / 0.5, capped at ``retry_max_delay``); False when the deadline
        or the retry quota leaves no room for one."""
        if not self.retry.take_retry(timeout=timeout):
            return False
        delay = min(self.retry_max_delay, self.retry.delay(attempt, throttled=throttled)
                    * self.retry_base_delay / 0.5)
        if ends is not None and time.monotonic() + delay >= ends:
            return False
        time.sleep(delay)
        return True

    def call(self, action: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Send ``action`` with boto3-shaped ``params`` exactly as given; return a boto3-shaped
        dict (with ``ResponseMetadata``) or raise one of the errors the class lists.

        Retried, when the retry mode retries it (botocore's data): throttling answers, 503
        and connections that surely never reached EC2, for every action; other 5xx answers,
        read timeouts and dropped connections only for reads and calls carrying a ClientToken,
        because CopySnapshot or CreateSnapshot repeated after it may have arrived would make a
        second snapshot. Never retried: a refused redirect, a passed deadline, an answer that
        is not XML (as botocore).
        """
        params = dict(params or {})
        # Form-encoded as botocore does (urlencode: space as '+'), so any server that re-encodes
        # the parsed form to check the signature, as moto does, sees the same bytes.
        body = urlencode(serializer.serialize(action, params)).encode("ascii")
        idempotent = _is_idempotent(action, params)
        ends = None if self.deadline is None else time.monotonic() + self.deadline
        attempt = 0
        resigned = False  # a clock-skew correction is made once per call, beside the retries
        while True:
            attempt += 1
            remaining = None if ends is None else ends - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise DeadlineExceeded(
                    f"{action}: no answer within the deadline of {self.deadline:g} s "
                    f"({attempt - 1} attempts)"
                )
            signed, credentials = self._signed(body)
            try:
                status, headers, raw = self._exchange(signed, remaining)
            except ResponseParseError:
                if idempotent and attempt < self.max_attempts and self._backoff(attempt, ends):
                    continue
                raise
            except (RedirectRefused, DeadlineExceeded):
                raise
            except TransportError as exc:
                retry = (not exc.sent or idempotent) and self.retry.retryable(
                    None, None, connection_error=True)
                logger.debug("%s attempt %d failed: %s", action, attempt, type(exc).__name__)
                if retry and attempt < self.max_attempts and self._backoff(
                        attempt, ends, timeout=isinstance(exc, ReadTimedOut)):
                    continue
                raise
            skewed = self._clock_was_wrong(status, headers, raw)
            try:
                result = _parse(action, status, headers, raw, self.max_response_bytes)
            except ApiError as err:
                if skewed and not resigned:
                    resigned = True  # refused for its time: nothing was done; sign anew
                    logger.debug("%s attempt %d: %s, clock corrected by %+.0f s", action,
                                 attempt, err.code, self._skew.offset(self._host))
                    continue
                throttled = self.retry.is_throttling(status, err.code) or err.is_throttling
                # botocore's rule for the mode, and never a write that may have been done
                retry = self.retry.retryable(status, err.code) and (
                    idempotent or throttled or status == 503)
                if retry and attempt < self.max_attempts and self._backoff(
                        attempt, ends, throttled=throttled):
                    logger.debug("%s attempt %d: %s, retrying", action, attempt, err.code)
                    continue
                err.retry_attempts = attempt - 1
                err.max_attempts_reached = retry and attempt >= self.max_attempts
                if err.code in _SIGNATURE_ERRORS and credentials is not None:
                    err.debug = debug_text(signed, credentials)
                raise
            self.retry.succeeded()
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
        """ImportSnapshot with exactly these parameters, as boto3 and aws send it: no
        ``ClientToken`` is added (without one, a 5xx or a lost connection is not retried;
        give one to make retries safe)."""
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
            if exc.error is not None:
                raise exc.error from None
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
    another source snapshot, source Region or destination Region than this call, or with any
    other member (Description, Encrypted, KmsKeyId, TagSpecifications …) that differs from
    this call's: EC2 replays the URL and checks it against the call it came with."""
    if not isinstance(url, str):
        raise SigningError(
            f"PresignedUrl: must be a string (a URL), got {type(url).__name__}",
            field="PresignedUrl",
        )
    try:
        query = _url_members(url)
    except ValueError as exc:
        raise SigningError(f"PresignedUrl: {exc or 'is not a URL'}", field="PresignedUrl") from None
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
                f"PresignedUrl: its {name} is {excerpt(str(query.get(name)))} but this call's "
                f"is {excerpt(str(value))}",
                field="PresignedUrl",
            )
    _check_scope(query.get("X-Amz-Credential", ""), params.get("SourceRegion"))
    _check_other_members(query, params)


def _check_scope(credential: str, source_region: object) -> None:
    """The URL must be signed for EC2 in the source Region (``AKID/date/region/ec2/…``): EC2
    sends it there, and a URL signed for another Region or service fails only when the copy
    runs."""
    parts = credential.split("/")
    if len(parts) != 5 or parts[3] != "ec2" or (
            isinstance(source_region, str) and parts[2] != source_region):
        scope = "/".join(parts[1:]) if len(parts) == 5 else "unreadable"
        raise SigningError(
            f"PresignedUrl: its X-Amz-Credential scope is {_shown(scope)}, not "
            f"<date>/{source_region if isinstance(source_region, str) else '<SourceRegion>'}"
            "/ec2/aws4_request: presign it for EC2 in the source Region",
            field="PresignedUrl",
        )


def _url_members(url: str) -> dict[str, str]:
    """The URL's query parameters, percent-decoded as UTF-8 ('+' is a plus: AWS never reads a
    space). ValueError for a member given twice (which one EC2 replays is not ours to guess)
    or an escape that is not UTF-8."""
    members: dict[str, str] = {}
    for piece in urlsplit(url).query.split("&"):
        if piece:
            key, _, value = piece.partition("=")
            try:
                name, decoded = unquote(key, errors="strict"), unquote(value, errors="strict")
            except UnicodeDecodeError:
                raise ValueError("has a percent-escape that is not UTF-8") from None
            if name in members:
                raise ValueError(f"has {_shown(name)} more than once")
            members[name] = decoded
    return members


def _shown(value: str | None) -> str:
    return "absent" if value is None else repr(value if len(value) <= 60 else value[:57] + "…")


def _check_other_members(query: Mapping[str, str], params: Mapping[str, Any]) -> None:
    """Every member of the call, serialized as EC2 reads it, must be in the URL with the same
    value, and the URL must carry none the call lacks (DestinationRegion aside: the call may
    leave it to the endpoint)."""
    call = {k: v for k, v in params.items() if k != "PresignedUrl"}
    ours = dict(serializer.serialize("CopySnapshot", call)[2:])  # past Action and Version
    theirs = {k: v for k, v in query.items()  # X-Amz-* in any case: presigning's, not members
              if not k.lower().startswith("x-amz-") and k not in ("Action", "Version")}
    for key in sorted(ours.keys() | theirs.keys()):
        if key == "DestinationRegion" or ours.get(key) == theirs.get(key):
            continue
        member = key.partition(".")[0]
        raise SigningError(
            f"PresignedUrl: its {key} is {_shown(theirs.get(key))} but this call's is "
            f"{_shown(ours.get(key))}; EC2 replays the URL with this call's members, so "
            f"{member} must be the same in both (presign with the same parameters)",
            field=member if member in params else "PresignedUrl",
        )


def _parse(action: str, status: int, headers: dict[str, str], raw: bytes,
           max_bytes: int) -> dict[str, Any]:
    """The parser's result or ApiError; any other failure on a hostile answer is a
    ResponseParseError, so callers meet only the documented errors."""
    try:
        return parser.parse_response(action, status, headers, raw, max_bytes=max_bytes)
    except (ApiError, ResponseParseError):
        raise
    except (ValueError, TypeError, KeyError, RecursionError, MemoryError) as exc:
        raise ResponseParseError(f"response unreadable ({type(exc).__name__})",
                                 http_status=status, body_size=len(raw)) from None
