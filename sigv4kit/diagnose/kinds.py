"""Which kind of presigned token a URL is, and that kind's own rules: a table, one row a kind.

A presigned URL is also how AWS hands out passwords (``sigv4kit.tokens``): an RDS or DSQL
database password, an EKS token, an ElastiCache/MemoryDB password, an MSK SASL token, a
Bedrock API key, a WebSocket URL. Each has rules besides SigV4's (RDS's 15 minutes, EKS's 60 s
and its unsent cluster header, Transcribe's 5 minutes) and parts that are unsigned by design
(IoT's session token, MSK's ``User-Agent``, the Bedrock key's ``Version``), which a generic
reading would call tampering. ``describe`` finds the row, names the kind for the first line
of ``explain``, checks the kind's rules and turns what is by design into notes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from ..received import ReceivedSignature
from ..tokens import EKS_CLUSTER_HEADER, EKS_URL_EXPIRES, RDS_MAX_EXPIRES, TRANSCRIBE_MAX_EXPIRES
from .textdiff import visible

__all__ = ["KINDS", "Kind", "Seen", "TokenKind", "describe"]


class Seen(NamedTuple):
    """What the table reads off a signed URL."""

    sig: ReceivedSignature
    scheme: str
    host: str
    params: dict[str, str]
    headers: frozenset[str]
    appended: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Kind:
    """One row: ``match`` says whether a URL is of this kind, ``title`` names it; a token
    valid for longer than ``max_expires`` is refused by the service (``why``); warnings whose
    code is in ``by_design`` are this kind's design and become ``note``s."""

    name: str
    match: Callable[[Seen], bool]
    title: Callable[[Seen], str]
    max_expires: int | None = None
    why: str = ""
    by_design: frozenset[str] = frozenset()
    note: Callable[[Seen], str | None] = lambda _: None


class TokenKind(NamedTuple):
    """What ``describe`` found: the kind's name, its title, notes, and the warnings it adds
    and those it explains away (by code)."""

    name: str
    title: str
    notes: tuple[str, ...]
    warnings: tuple[tuple[str, str], ...]
    by_design: frozenset[str]


def _action(seen: Seen, *actions: str) -> bool:
    return seen.params.get("Action") in actions


def _appended_note(seen: Seen) -> str | None:
    if not seen.appended:
        return None
    names = ", ".join(f"{name}={value}" for name, value in seen.appended)
    return f"{names}: appended after the signature, unsigned by design (not part of it)"


def _eks_title(seen: Seen) -> str:
    if EKS_CLUSTER_HEADER in seen.headers:
        return f"EKS token (STS GetCallerIdentity, {seen.sig.region}) for the cluster given as "\
            "x-k8s-aws-id"
    return "EKS token for a cluster named in x-k8s-aws-id, which the token does not carry"


def _eks_note(seen: Seen) -> str | None:
    if EKS_CLUSTER_HEADER in seen.headers:
        return None
    return ("the cluster's name is signed but not sent in the token: give it with --header "
            "'x-k8s-aws-id: CLUSTER' to check the signature")


def _iot_note(seen: Seen) -> str | None:
    if seen.sig.session_token is None:
        return None
    return "X-Amz-Security-Token: appended unsigned, as AWS IoT requires (not signed)"


KINDS: tuple[Kind, ...] = (
    Kind("eks",
         lambda s: s.sig.service == "sts" and _action(s, "GetCallerIdentity")
         and EKS_CLUSTER_HEADER in s.sig.signed_headers,
         _eks_title, EKS_URL_EXPIRES, "EKS accepts only a 60-second presign",
         frozenset({"missing_signed_header"}), _eks_note),
    Kind("rds",
         lambda s: s.sig.service == "rds-db" and _action(s, "connect"),
         lambda s: f"RDS IAM auth token for {s.params.get('DBUser', '?')}@{s.host}",
         RDS_MAX_EXPIRES, "RDS accepts a token for 15 minutes"),
    Kind("dsql",
         lambda s: s.sig.service == "dsql" and _action(s, "DbConnect", "DbConnectAdmin"),
         lambda s: "Aurora DSQL auth token for "
         f"{'the admin role' if _action(s, 'DbConnectAdmin') else 'a custom role'} on {s.host}"),
    Kind("elasticache",
         lambda s: s.sig.service == "elasticache" and _action(s, "connect"),
         lambda s: f"ElastiCache IAM auth token for user {s.params.get('User', '?')} on "
         f"{'serverless cache' if 'ResourceType' in s.params else 'cache'} {s.host}",
         RDS_MAX_EXPIRES, "ElastiCache accepts a token for 15 minutes"),
    Kind("memorydb",
         lambda s: s.sig.service == "memorydb" and _action(s, "connect"),
         lambda s: f"MemoryDB IAM auth token for user {s.params.get('User', '?')} on "
         f"cluster {s.host}",
         RDS_MAX_EXPIRES, "MemoryDB accepts a token for 15 minutes"),
    Kind("msk",
         lambda s: s.sig.service == "kafka-cluster" and _action(s, "kafka-cluster:Connect"),
         lambda s: f"MSK IAM SASL token for the clusters in {s.sig.region} ({s.host})",
         note=_appended_note),
    Kind("bedrock",
         lambda s: s.sig.service == "bedrock" and _action(s, "CallWithBearerToken"),
         lambda s: f"Bedrock API key for {s.sig.region}",
         43200, "Bedrock API keys live 12 hours at most",
         frozenset({"region_mismatch"}), _appended_note),
    Kind("iot",
         lambda s: s.sig.service == "iotdevicegateway",
         lambda s: f"AWS IoT MQTT-over-WebSocket URL for {s.host}",
         note=_iot_note),
    Kind("transcribe",
         lambda s: s.sig.service == "transcribe" and s.scheme in ("wss", "ws"),
         lambda s: f"Amazon Transcribe streaming WebSocket URL ({s.params.get('language-code')}"
         f", {s.params.get('media-encoding')}, {s.params.get('sample-rate')} Hz)",
         TRANSCRIBE_MAX_EXPIRES, "Transcribe refuses a presign valid for over 5 minutes"),
    Kind("websocket",
         lambda s: s.scheme in ("wss", "ws"),
         lambda s: f"WebSocket URL presigned for {s.sig.service} ({s.host})"),
)
"""First match wins: the specific rows before the WebSocket catch-all."""


def describe(seen: Seen) -> TokenKind | None:
    """The kind of ``seen`` with its rules checked, or None for a URL of no known kind."""
    if seen.sig.mode != "query":
        return None
    kind = next((k for k in KINDS if k.match(seen)), None)
    if kind is None:
        return None
    found: list[tuple[str, str]] = []
    expires = seen.sig.expires
    if kind.max_expires is not None and expires is not None and expires > kind.max_expires:
        found.append((
            f"{kind.name}_expires",
            f"X-Amz-Expires is {expires}s, over {kind.max_expires}s: {kind.why}",
        ))
    note = kind.note(seen)  # titles and notes quote decoded parameters: made visible
    return TokenKind(kind.name, visible(kind.title(seen)), () if note is None else
                     (visible(note),), tuple(found), kind.by_design)
