"""Every SigV4 bearer token AWS uses, each byte for byte as the tool AWS ships for it.

A presigned URL is how AWS hands out a password: a database password (RDS and Aurora IAM
auth, Aurora DSQL), a Kubernetes token (EKS), a Valkey/Redis password (ElastiCache, MemoryDB),
a Kafka SASL token (MSK), a Bedrock API key, a WebSocket URL (IoT MQTT, Transcribe streaming,
API Gateway). Each is the core's ``presign`` with its own inputs, its own wrapping, and the
query parameters in the order its reference tool writes them:

- botocore's pure-Python ``SigV4QueryAuth`` (a plain ``pip install boto3``; what the AWS CLI
  v1, ``aws-msk-iam-sasl-signer-python`` and ``aws-bedrock-token-generator`` call) writes the
  operation's parameters, then ``X-Amz-Algorithm, -Credential, -Date, -Expires,
  -SignedHeaders, -Security-Token, -Signature``;
- awscrt (the WebSocket samples) writes ``-SignedHeaders`` before ``-Expires``, as ``presign``.

The order is not signed (the canonical query is sorted), but a token is compared, cached and
logged as text, so each kind matches its reference exactly.

Pure: no I/O and no clock unless ``timestamp`` is None. A token that would outlive the
credentials that signed it is made with a ``TokenOutlivesCredentials`` warning (Python's
``warnings``; ``aws-cli#4613``); one from credentials already expired is refused.
"""

from __future__ import annotations

import base64
import re
import warnings
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from .canonical import uri_encode
from .errors import Error, SigningError
from .model import Credentials, PresignedRequest, Request
from .options import MAX_EXPIRES, check_scope_name
from .signing import presign, presign_get_query
from .timestamps import amz_date, parse_amz_date

__all__ = [
    "APPENDED_UNSIGNED",
    "BEDROCK_TOKEN_PREFIX",
    "EKS_TOKEN_LIFETIME",
    "RDS_MAX_EXPIRES",
    "TRANSCRIBE_MAX_EXPIRES",
    "EksToken",
    "TokenOutlivesCredentials",
    "bedrock_api_key",
    "decode_token",
    "dns_suffix",
    "dsql_auth_token",
    "eks_token",
    "elasticache_auth_token",
    "exec_api_version",
    "exec_credential",
    "iot_mqtt_url",
    "memorydb_auth_token",
    "msk_auth_token",
    "rds_auth_token",
    "split_appended",
    "transcribe_streaming_url",
    "websocket_url",
]

CredentialsLike = Credentials | Callable[[], Credentials]
"""Fixed credentials, or a zero-argument provider asked once per token."""

RDS_MAX_EXPIRES = 900
"""RDS IAM auth tokens live 15 minutes at most (botocore always signs them for 900 s)."""
EKS_URL_EXPIRES = 60
"""The AWS CLI presigns the STS call for 60 s; EKS itself accepts the token for 15 minutes."""
EKS_TOKEN_LIFETIME = timedelta(minutes=14)
"""``expirationTimestamp`` of the ExecCredential: issue time + 14 minutes (the AWS CLI's), so
client-go refreshes the token a minute before EKS stops accepting it."""
EKS_TOKEN_PREFIX = "k8s-aws-v1."
EKS_CLUSTER_HEADER = "x-k8s-aws-id"
MSK_EXPIRES = 900
BEDROCK_MAX_EXPIRES = 43200
BEDROCK_TOKEN_PREFIX = "bedrock-api-key-"
TRANSCRIBE_MAX_EXPIRES = 300
"""Transcribe streaming refuses a presigned WebSocket URL valid for more than 5 minutes."""
DEFAULT_MSK_USER_AGENT = "sigv4kit"

_APPENDED = {
    "kafka-cluster": ("kafka-cluster%3AConnect", "kafka.", "User-Agent",
                      re.compile(r"[A-Za-z0-9._~%+!*'()-]{1,512}")),
    "bedrock": ("CallWithBearerToken", "bedrock.amazonaws.com", "Version", re.compile("1")),
}
"""The one parameter a kind's reference tool appends after ``X-Amz-Signature``, unsigned by
design: signing service -> (the ``Action`` its tokens sign, their host (a prefix, for MSK's
per-Region hosts), the name, its value's form). MSK's ``User-Agent`` and the Bedrock key's
``Version=1``. Nothing else is ever left unsigned: a verifier leaves exactly this out of the
canonical query, as the service does, and only on a token of that kind."""

APPENDED_UNSIGNED = {service: (row[2],) for service, row in _APPENDED.items()}
"""Signing service -> the names its tokens append after the signature unsigned."""

_EXEC_API_VERSIONS = (
    "client.authentication.k8s.io/v1",
    "client.authentication.k8s.io/v1beta1",
)
_EXEC_DEPRECATED = ("client.authentication.k8s.io/v1alpha1",)
_EXEC_FALLBACK = "client.authentication.k8s.io/v1beta1"

_DNS_SUFFIXES = (
    ("cn-", "amazonaws.com.cn"),
    ("us-isob-", "sc2s.sgov.gov"),
    ("us-isof-", "csp.hci.ic.gov"),
    ("us-iso-", "c2s.ic.gov"),
    ("eu-isoe-", "cloud.adc-e.uk"),
    ("eusc-", "amazonaws.eu"),
)
"""Region-name prefix -> DNS suffix of its partition (botocore's ``partitions.json``; a test
compares every Region it lists). Every other Region is in ``aws`` or ``aws-us-gov``, both
``amazonaws.com``."""

_BOTOCORE_ORDER = (
    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
    "X-Amz-SignedHeaders", "X-Amz-Security-Token", "X-Amz-Signature",
)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?")
_REGION = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_EKS_CLUSTER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")
_CACHE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,39}")
_USER_AGENT = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~/()-]{1,256}")
_B64URL = re.compile(r"[A-Za-z0-9_-]{16,}")


class TokenOutlivesCredentials(Error, UserWarning):
    """Warning: the token stays valid after the credentials that signed it expire; AWS
    refuses it from that moment (``aws-cli#4613``). Turn it into an error with
    ``warnings.simplefilter("error", TokenOutlivesCredentials)``."""


class EksToken(NamedTuple):
    """An EKS bearer token and when the AWS CLI says to refresh it (aware UTC datetime)."""

    token: str
    expiration: datetime


# --- inputs -------------------------------------------------------------------------------


def _credentials(source: object) -> Credentials:
    if isinstance(source, Credentials):
        return source
    if callable(source):
        value = source()
        if isinstance(value, Credentials):
            return value
        raise SigningError(
            f"credentials: the provider returned {type(value).__name__}, not Credentials",
            field="credentials",
        )
    raise SigningError(
        "credentials: must be a sigv4kit.Credentials or a provider returning one",
        field="credentials",
    )


def _text(field: str, value: object, what: str, limit: int = 256) -> str:
    if not isinstance(value, str) or not value:
        raise SigningError(f"{field}: must be a non-empty string ({what})", field=field)
    if len(value) > limit:
        raise SigningError(f"{field}: longer than {limit} characters", field=field)
    if not value.isprintable():
        raise SigningError(f"{field}: must not contain control characters", field=field)
    return value


def _matching(field: str, value: object, pattern: re.Pattern[str], rule: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        shown = repr(value)[:80] if isinstance(value, str) else type(value).__name__
        raise SigningError(f"{field}: {shown} is not {rule}", field=field)
    return value


def _hostname(field: str, value: object) -> str:
    if isinstance(value, str) and "://" in value:
        raise SigningError(
            f"{field}: give the host name alone, without {value.partition('://')[0]}://",
            field=field,
        )
    return _matching(field, value, _HOSTNAME, "a DNS host name (letters, digits, '-', '.')")


def _port(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise SigningError(f"port: must be a whole number in 1..65535, got {value!r}",
                           field="port")
    return value


def _region(value: object) -> str:
    check_scope_name("region", "region", value)
    return _matching("region", value, _REGION, "a Region name (lower-case letters, digits, '-')")


def _expires(value: object, cap: int, why: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SigningError(f"expires: must be a whole number of seconds, got {value!r}",
                           field="expires")
    if not 1 <= value <= cap:
        raise SigningError(f"expires: must be between 1 and {cap} seconds ({why}), got {value}",
                           field="expires")
    return value


def dns_suffix(region: str) -> str:
    """The DNS suffix of ``region``'s partition: ``amazonaws.com.cn`` for ``cn-north-1`` …"""
    _region(region)
    for prefix, suffix in _DNS_SUFFIXES:
        if region.startswith(prefix):
            return suffix
    return "amazonaws.com"


def _suffix(region: str, given: str | None) -> str:
    if given is None:
        return dns_suffix(region)
    return _matching("dns_suffix", given, _HOSTNAME, "a DNS suffix such as amazonaws.com")


# --- time and credentials -----------------------------------------------------------------


def _issued(timestamp: str | datetime | None) -> tuple[str, datetime]:
    stamp = amz_date(timestamp)
    moment = parse_amz_date(stamp)
    assert moment is not None  # amz_date writes only valid dates
    return stamp, moment


def _check_lifetime(creds: Credentials, issued: datetime, valid_until: datetime) -> None:
    """Refuse credentials expired at signing time; warn when the token outlives them."""
    expiry = creds.expiration
    if expiry is None:
        return
    if expiry.tzinfo is None:
        raise SigningError("credentials: expiration must be an aware datetime",
                           field="credentials")
    if expiry <= issued:
        raise SigningError(
            f"credentials: expired at {expiry.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}, before the "
            f"token's signing time {issued:%Y-%m-%dT%H:%M:%SZ}: refresh them",
            field="credentials",
        )
    if expiry < valid_until:
        warnings.warn(
            TokenOutlivesCredentials(
                f"credentials: the token is valid until {valid_until:%Y-%m-%dT%H:%M:%SZ} but "
                f"the credentials that signed it expire at "
                f"{expiry.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}; AWS rejects it from then on"
            ),
            stacklevel=3,
        )


def _start(credentials: object, timestamp: str | datetime | None,
           lifetime: timedelta) -> tuple[Credentials, str]:
    creds = _credentials(credentials)
    stamp, moment = _issued(timestamp)
    try:
        valid_until = moment + lifetime
    except OverflowError:
        raise SigningError(
            f"timestamp: {stamp} is too late: the token would expire after the year 9999",
            field="timestamp",
        ) from None
    _check_lifetime(creds, moment, valid_until)
    return creds, stamp


# --- layouts ------------------------------------------------------------------------------


def _botocore_layout(url: str) -> str:
    """``url`` (as ``presign`` writes it) with the X-Amz-* parameters in botocore's order,
    after the operation's own parameters."""
    base, _, query = url.partition("?")
    pieces = query.split("&")
    own = [p for p in pieces if not p.startswith("X-Amz-")]
    auth = {p.partition("=")[0]: p for p in pieces if p.startswith("X-Amz-")}
    ordered = own + [auth[name] for name in _BOTOCORE_ORDER if name in auth]
    return f"{base}?{'&'.join(ordered)}"


def _query_presign(base: str, pairs: Iterable[tuple[str, str]], creds: Credentials, *,
                   region: str, service: str, expires: int, stamp: str) -> str:
    """GET ``base?pairs`` presigned (Host signed), in botocore's layout."""
    signed = presign_get_query(base, list(pairs), creds, region=region, service=service,
                               expires=expires, timestamp=stamp)
    return _botocore_layout(signed.url)


def _without_scheme(url: str) -> str:
    return url.partition("://")[2]


def _b64url(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# --- the kinds ----------------------------------------------------------------------------


def rds_auth_token(credentials: CredentialsLike, *, hostname: str, port: int, username: str,
                   region: str, expires: int = RDS_MAX_EXPIRES,
                   timestamp: str | datetime | None = None) -> str:
    """An RDS / Aurora IAM database password: botocore's ``generate_db_auth_token``
    (``host:port/?Action=connect&DBUser=…``, signed for ``rds-db``, without ``https://``)."""
    host = _hostname("hostname", hostname)
    number = _port(port)
    user = _text("username", username, "the database user")
    region = _region(region)
    expires = _expires(expires, RDS_MAX_EXPIRES, "RDS accepts a token for 15 minutes")
    creds, stamp = _start(credentials, timestamp, timedelta(seconds=expires))
    url = _query_presign(f"https://{host}:{number}/", [("Action", "connect"), ("DBUser", user)],
                         creds, region=region, service="rds-db", expires=expires, stamp=stamp)
    return _without_scheme(url)


def dsql_auth_token(credentials: CredentialsLike, *, hostname: str, region: str,
                    admin: bool = False, expires: int = 900,
                    timestamp: str | datetime | None = None) -> str:
    """An Aurora DSQL password: botocore's ``generate_db_connect_auth_token`` (or
    ``…_admin_auth_token`` with ``admin=True``), ``host/?Action=DbConnect[Admin]&…``."""
    host = _hostname("hostname", hostname)
    region = _region(region)
    if not isinstance(admin, bool):
        raise SigningError("admin: must be True or False", field="admin")
    expires = _expires(expires, MAX_EXPIRES, "7 days, DSQL's maximum")
    creds, stamp = _start(credentials, timestamp, timedelta(seconds=expires))
    action = "DbConnectAdmin" if admin else "DbConnect"
    url = _query_presign(f"https://{host}/", [("Action", action)], creds, region=region,
                         service="dsql", expires=expires, stamp=stamp)
    return _without_scheme(url)


def eks_token(credentials: CredentialsLike, *, cluster_name: str | None = None, region: str,
              cluster_id: str | None = None, dns_suffix: str | None = None,
              timestamp: str | datetime | None = None) -> EksToken:
    """An EKS bearer token: ``aws eks get-token``'s (AWS CLI v1), ``k8s-aws-v1.`` + unpadded
    base64url of an STS GetCallerIdentity URL presigned for 60 s that signs the cluster's name
    (or, for a local cluster on Outposts, its ``cluster_id``) as ``x-k8s-aws-id``."""
    if (cluster_name is None) == (cluster_id is None):
        raise SigningError("cluster_name: give either cluster_name or cluster_id (not both)",
                           field="cluster_name")
    field = "cluster_name" if cluster_id is None else "cluster_id"
    cluster = _matching(field, cluster_name if cluster_id is None else cluster_id,
                        _EKS_CLUSTER, "an EKS cluster name (1-100 letters, digits, '-', '_')")
    region = _region(region)
    suffix = _suffix(region, dns_suffix)
    creds, stamp = _start(credentials, timestamp, EKS_TOKEN_LIFETIME)
    request = Request(
        "GET", f"https://sts.{region}.{suffix}/?Action=GetCallerIdentity&Version=2011-06-15",
        [(EKS_CLUSTER_HEADER, cluster)],
    )
    signed = presign(request, creds, region=region, service="sts", expires=EKS_URL_EXPIRES,
                     timestamp=stamp)
    token = EKS_TOKEN_PREFIX + _b64url(_botocore_layout(signed.url))
    issued = parse_amz_date(stamp)
    assert issued is not None
    return EksToken(token, issued + EKS_TOKEN_LIFETIME)


def exec_api_version(exec_info: str | None) -> tuple[str, str | None]:
    """The ExecCredential apiVersion for a ``KUBERNETES_EXEC_INFO`` value, and the message the
    AWS CLI prints to stderr with it (None when it prints none): v1 and v1beta1 as asked,
    v1alpha1 with a deprecation note, anything else v1beta1 with a note."""
    import json

    if not exec_info:
        return _EXEC_FALLBACK, None
    try:
        info = json.loads(exec_info)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python parses
        return _EXEC_FALLBACK, (
            f"Error parsing KUBERNETES_EXEC_INFO, defaulting to {_EXEC_FALLBACK}. This is likely "
            "a bug in your Kubernetes client. Please update your Kubernetes client."
        )
    asked = info.get("apiVersion") if isinstance(info, dict) else None
    if asked in _EXEC_API_VERSIONS:
        return str(asked), None
    if asked in _EXEC_DEPRECATED:
        return str(asked), (
            f"Kubeconfig user entry is using deprecated API version {asked}. Run "
            "'aws eks update-kubeconfig' to update."
        )
    return _EXEC_FALLBACK, (
        f"Unrecognized API version in KUBERNETES_EXEC_INFO, defaulting to {_EXEC_FALLBACK}. "
        "This is likely due to an outdated AWS CLI. Please update your AWS CLI."
    )


def exec_credential(token: EksToken, api_version: str | None = None) -> dict[str, Any]:
    """The ExecCredential ``aws eks get-token`` prints for ``token`` (a client-go exec
    plugin's answer); ``api_version`` defaults to v1beta1, as the AWS CLI's."""
    if (not isinstance(token, EksToken) or not isinstance(token.expiration, datetime)
            or token.expiration.tzinfo is None):
        raise SigningError("token: must be an EksToken (from eks_token), its expiration an "
                           "aware datetime", field="token")
    version = _EXEC_FALLBACK if api_version is None else api_version
    if version not in (*_EXEC_API_VERSIONS, *_EXEC_DEPRECATED):
        raise SigningError(f"api_version: {version!r} is not a client.authentication.k8s.io "
                           "version (v1, v1beta1, v1alpha1)", field="api_version")
    return {
        "kind": "ExecCredential",
        "apiVersion": version,
        "spec": {},
        "status": {
            "expirationTimestamp": f"{token.expiration.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}",
            "token": token.token,
        },
    }


def _cache_token(credentials: object, *, service: str, name: str, user_id: str, region: str,
                 extra: list[tuple[str, str]], expires: int,
                 timestamp: str | datetime | None) -> str:
    """The AWS docs' botocore ``RequestSigner`` sample: ``name/?Action=connect&User=…``."""
    host = _matching("cache_name" if service == "elasticache" else "cluster_name", name,
                     _CACHE_NAME, "a cache or cluster name (1-40 letters, digits, '-')").lower()
    user = _text("user_id", user_id, "the IAM-enabled user")
    region = _region(region)
    expires = _expires(expires, RDS_MAX_EXPIRES, "the service accepts a token for 15 minutes")
    creds, stamp = _start(credentials, timestamp, timedelta(seconds=expires))
    url = _query_presign(f"https://{host}/", [("Action", "connect"), ("User", user), *extra],
                         creds, region=region, service=service, expires=expires, stamp=stamp)
    return _without_scheme(url)


def elasticache_auth_token(credentials: CredentialsLike, *, cache_name: str, user_id: str,
                           region: str, serverless: bool = False, expires: int = 900,
                           timestamp: str | datetime | None = None) -> str:
    """A Valkey/Redis OSS password for ElastiCache IAM auth: the AWS docs' botocore sample
    (host = the lower-cased cache or replication group name, ``&ResourceType=ServerlessCache``
    for a serverless cache)."""
    if not isinstance(serverless, bool):
        raise SigningError("serverless: must be True or False", field="serverless")
    extra = [("ResourceType", "ServerlessCache")] if serverless else []
    return _cache_token(credentials, service="elasticache", name=cache_name, user_id=user_id,
                        region=region, extra=extra, expires=expires, timestamp=timestamp)


def memorydb_auth_token(credentials: CredentialsLike, *, cluster_name: str, user_id: str,
                        region: str, expires: int = 900,
                        timestamp: str | datetime | None = None) -> str:
    """A MemoryDB IAM password: the ElastiCache sample signed for ``memorydb``."""
    return _cache_token(credentials, service="memorydb", name=cluster_name, user_id=user_id,
                        region=region, extra=[], expires=expires, timestamp=timestamp)


def msk_auth_token(credentials: CredentialsLike, *, region: str,
                   user_agent: str = DEFAULT_MSK_USER_AGENT, dns_suffix: str | None = None,
                   timestamp: str | datetime | None = None) -> tuple[str, int]:
    """An MSK IAM SASL token and its expiry (ms since the epoch): as
    ``aws-msk-iam-sasl-signer-python`` (``kafka-cluster``, ``Action=kafka-cluster:Connect``,
    ``User-Agent`` appended unsigned, unpadded base64url), with the host in the Region's own
    partition (the library hard-codes ``.amazonaws.com``)."""
    region = _region(region)
    agent = _matching("user_agent", user_agent, _USER_AGENT, "a User-Agent product token")
    suffix = _suffix(region, dns_suffix)
    creds, stamp = _start(credentials, timestamp, timedelta(seconds=MSK_EXPIRES))
    url = _query_presign(f"https://kafka.{region}.{suffix}/",
                         [("Action", "kafka-cluster:Connect")], creds, region=region,
                         service="kafka-cluster", expires=MSK_EXPIRES, stamp=stamp)
    url += f"&User-Agent={uri_encode(agent)}"
    issued = parse_amz_date(stamp)
    assert issued is not None
    return _b64url(url), (int(issued.timestamp()) + MSK_EXPIRES) * 1000


def bedrock_api_key(credentials: CredentialsLike, *, region: str,
                    expires: int = BEDROCK_MAX_EXPIRES,
                    timestamp: str | datetime | None = None) -> str:
    """A short-term Bedrock API key: as ``aws-bedrock-token-generator`` (POST
    ``bedrock.amazonaws.com/?Action=CallWithBearerToken`` signed for ``bedrock``,
    ``&Version=1`` appended unsigned, standard base64, ``bedrock-api-key-`` prefix)."""
    region = _region(region)
    expires = _expires(expires, BEDROCK_MAX_EXPIRES, "Bedrock API keys live 12 hours at most")
    creds, stamp = _start(credentials, timestamp, timedelta(seconds=expires))
    request = Request("POST", "https://bedrock.amazonaws.com/?Action=CallWithBearerToken")
    signed = presign(request, creds, region=region, service="bedrock", expires=expires,
                     timestamp=stamp)
    text = _without_scheme(_botocore_layout(signed.url)) + "&Version=1"
    return BEDROCK_TOKEN_PREFIX + base64.b64encode(text.encode()).decode()


def _websocket(credentials: object, url: str, *, region: str, service: str, expires: int,
               cap: int, why: str, sign_token: bool, timestamp: str | datetime | None) -> str:
    """``url`` presigned as awscrt presigns it (the core's layout)."""
    region = _region(region)
    expires = _expires(expires, cap, why)
    creds, stamp = _start(credentials, timestamp, timedelta(seconds=expires))
    signed: PresignedRequest = presign(Request("GET", url), creds, region=region,
                                       service=service, expires=expires, timestamp=stamp,
                                       sign_session_token=sign_token)
    return signed.url


def iot_mqtt_url(credentials: CredentialsLike, *, endpoint: str, region: str,
                 expires: int = 3600, timestamp: str | datetime | None = None) -> str:
    """An AWS IoT MQTT-over-WebSocket URL (``wss://endpoint/mqtt``, ``iotdevicegateway``):
    awscrt's, with the session token appended unsigned (IoT's rule)."""
    host = _hostname("endpoint", endpoint)
    return websocket_url(credentials, f"wss://{host}/mqtt", region=region,
                         service="iotdevicegateway", expires=expires, timestamp=timestamp)


def transcribe_streaming_url(credentials: CredentialsLike, *, region: str, language_code: str,
                             media_encoding: str, sample_rate: int, expires: int = 300,
                             dns_suffix: str | None = None,
                             timestamp: str | datetime | None = None, **params: str) -> str:
    """An Amazon Transcribe streaming WebSocket URL (port 8443, ``transcribe``, at most 300 s);
    further parameters as keywords, ``_`` written ``-`` (``vocabulary_name="x"``)."""
    region = _region(region)
    suffix = _suffix(region, dns_suffix)
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or sample_rate < 1:
        raise SigningError("sample_rate: must be a positive whole number of Hz",
                           field="sample_rate")
    pairs = [("language-code", _text("language_code", language_code, "e.g. en-US")),
             ("media-encoding", _text("media_encoding", media_encoding, "pcm, ogg-opus, flac")),
             ("sample-rate", str(sample_rate))]
    pairs += [(name.replace("_", "-"), _text(name, value, "a parameter value"))
              for name, value in params.items()]
    query = "&".join(f"{uri_encode(k)}={uri_encode(v)}" for k, v in pairs)
    url = f"wss://transcribestreaming.{region}.{suffix}:8443/stream-transcription-websocket"
    return websocket_url(credentials, f"{url}?{query}", region=region, service="transcribe",
                         expires=expires, timestamp=timestamp)


_WEBSOCKET_RULES = {
    "iotdevicegateway": (False, MAX_EXPIRES, "7 days"),
    "transcribe": (True, TRANSCRIBE_MAX_EXPIRES, "Transcribe refuses longer"),
}
"""Signing name -> (session token signed?, longest X-Amz-Expires, why) where a service's
WebSocket presigns have their own rule; any other service: signed, 7 days."""


def _awscrt_form(url: str) -> str:
    """``url`` (RFC 6455's form, checked) as awscrt writes it when it presigns: an empty path
    as ``/``, a parameter without ``=`` as ``name=``, empty parameters (``&&``) dropped. Same
    signature either way; the text is what clients compare, cache and log."""
    scheme, _, rest = url.partition("://")
    if "#" in rest:
        raise SigningError("url: a WebSocket URL has no #fragment (RFC 6455)", field="url")
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    authority, target = rest[:cut], rest[cut:]
    if "@" in authority:
        raise SigningError("url: a WebSocket URL has no user:password@ (RFC 6455); the "
                           "presigned query is the credential", field="url")
    path, question, query = target.partition("?")
    if not path.startswith("/"):
        path = "/" + path
    if question:
        query = "&".join(p if "=" in p else f"{p}=" for p in query.split("&") if p)
    return f"{scheme}://{authority}{path}{question}{query}"


def websocket_url(credentials: CredentialsLike, url: str, *, region: str,
                  service: str = "execute-api", expires: int = 3600,
                  timestamp: str | datetime | None = None) -> str:
    """Any WebSocket URL (``wss://``, e.g. an API Gateway WebSocket API, ``execute-api``)
    presigned as awscrt presigns it; the query is signed as given (already encoded). The
    service's own rule applies (``iotdevicegateway``: token unsigned; ``transcribe``: 300 s)."""
    if not isinstance(url, str) or not url.startswith(("wss://", "ws://")):
        raise SigningError("url: must start with wss:// (or ws://)", field="url")
    check_scope_name("service", "service", service)
    sign_token, cap, why = _WEBSOCKET_RULES.get(service, (True, MAX_EXPIRES, "7 days"))
    url = _awscrt_form(url)
    return _websocket(credentials, url, region=region, service=service, expires=expires,
                      cap=cap, why=why, sign_token=sign_token, timestamp=timestamp)


# --- reading tokens back ------------------------------------------------------------------


def decode_token(text: str) -> str | None:
    """The presigned URL inside an MSK token (unpadded base64url of an https URL) or a Bedrock
    API key (``bedrock-api-key-`` + base64 of a URL without its scheme); None for any other
    text. (EKS, RDS, DSQL, ElastiCache and MemoryDB forms are read by ``wire.token_url``.)"""
    try:
        if text.startswith(BEDROCK_TOKEN_PREFIX):
            body = text[len(BEDROCK_TOKEN_PREFIX):]
            decoded = base64.b64decode(body, validate=True).decode()
            return None if "://" in decoded else f"https://{decoded}"
        if _B64URL.fullmatch(text):
            decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            return decoded if decoded.startswith("https://") else None
    except (ValueError, UnicodeDecodeError):
        return None
    return None


def split_appended(url: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """``url`` without the parameter its kind appends after ``X-Amz-Signature`` unsigned
    (``APPENDED_UNSIGNED``), and that (name, raw value). Only a token of that kind qualifies:
    signed for its service and ``Action`` on its host, one signature, one credential, and
    after the signature exactly one such parameter of the expected form. Anything else stays,
    so that the verifier refuses it as added afterwards."""
    base, _, query = url.partition("?")
    signed, _, last = query.rpartition("&")
    name, equals, value = last.partition("=")
    row = next((r for r in _APPENDED.values() if r[2] == name), None)
    if row is None or not equals or "#" in query:
        return url, ()
    action, host, _, form = row
    pieces = f"&{signed}"
    credential = pieces.partition("&X-Amz-Credential=")[2].partition("&")[0]
    scope = credential.replace("%2F", "/").replace("%2f", "/").split("/")
    if (
        not signed.rpartition("&")[2].startswith("X-Amz-Signature=")
        or pieces.count("&X-Amz-Signature=") != 1
        or pieces.count("&X-Amz-Credential=") != 1
        or len(scope) != 5
        or _APPENDED.get(scope[3]) is not row
        or pieces.count("&Action=") != 1
        or f"&Action={action}&" not in f"{pieces}&"
        or not _on_host(base, host, scope[2])
        or not form.fullmatch(value)
    ):
        return url, ()
    return f"{base}?{signed}", ((name, value),)


def _on_host(base: str, host: str, region: str) -> bool:
    """Whether ``base`` (scheme and authority, maybe a path) is on the kind's ``host``: that
    name, or for a prefix such as ``kafka.``, the prefix then the Region's name."""
    authority = base.partition("://")[2].partition("/")[0].lower()
    return authority.startswith(f"{host}{region}.") if host.endswith(".") else authority == host
