"""``sigv4kit proxy``: a local signing (or re-signing) proxy in front of one AWS endpoint.

Flag names follow awslabs/aws-sigv4-proxy where they mean the same thing (``--name`` for the
service, ``--region``, ``--sign-host``, ``--unsigned-payload``, ``--strip``); the upstream is
always explicit and the proxy never forwards anywhere else (see ``sigv4kit.server.proxy``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
import sys
from typing import Any

import click

from .common import InputError, Seconds, credential_options, load_credential_source

__all__ = ["proxy"]

MAX_KEYS_FILE = 1024 * 1024


def _listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise click.BadParameter("must be HOST:PORT, e.g. 127.0.0.1:8080", param_hint="--listen")
    return host.strip("[]") or "127.0.0.1", int(port)


def _keys_file_fault(status: os.stat_result) -> str | None:
    """Why the keys file cannot be trusted, or None. Whoever can write it can add a virtual
    key of their own and use the real credentials through the proxy; whoever can read it can
    impersonate every client (as ssh treats a private key file)."""
    if not stat.S_ISREG(status.st_mode):
        return "is not a regular file"
    if hasattr(os, "getuid") and status.st_uid not in (os.getuid(), 0):
        return "belongs to another user"
    if status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "is writable by other users (chmod 600 it)"
    if status.st_mode & stat.S_IROTH:
        return "is readable by every user (chmod 600 it)"
    return None


def _read_keys_file(path: str) -> bytes:
    """At most MAX_KEYS_FILE + 1 bytes of a trusted regular file; never waits on a FIFO."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise InputError(f"--verify-keys: cannot read {path!r} ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as f:
        fault = _keys_file_fault(os.fstat(fd))
        if fault is not None:
            raise InputError(f"--verify-keys: {path!r} {fault}")
        try:
            return f.read(MAX_KEYS_FILE + 1)
        except OSError as exc:
            raise InputError(f"--verify-keys: cannot read {path!r} ({exc.strerror})") from None


def _verify_keys(path: str) -> dict[str, str]:
    raw = _read_keys_file(path)
    if len(raw) > MAX_KEYS_FILE:
        raise InputError(f"--verify-keys: more than {MAX_KEYS_FILE} bytes")
    try:
        keys = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InputError("--verify-keys: not a JSON object of access key id -> secret") from None
    if not isinstance(keys, dict) or not keys or not all(
        isinstance(k, str) and isinstance(v, str) and k and v for k, v in keys.items()
    ):
        raise InputError("--verify-keys: must be a non-empty JSON object of access key id -> "
                         "secret (strings)")
    return keys


@click.command(
    "proxy",
    epilog="Example:\n\n\b\n  sigv4kit proxy --upstream https://ec2.us-east-1.amazonaws.com "
    "--name ec2 --region us-east-1\n  curl 'http://127.0.0.1:8080/?Action=DescribeRegions&"
    "Version=2016-11-15'\n\n\b\n  sigv4kit proxy --upstream https://s3.us-east-1.amazonaws.com "
    "--verify-keys virtual-keys.json",
)
@click.option("--listen", default="127.0.0.1:8080", show_default=True, metavar="HOST:PORT",
              help="Address to listen on (port 0: any free port, printed on start).")
@click.option("--upstream", required=True, metavar="URL",
              help="The endpoint to forward to: https://HOST[:PORT].")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="URL",
              help="Another origin a request may name in its Host header (repeatable).")
@click.option("--name", "--service", "service", metavar="SERVICE",
              help="Service to sign for; with --verify-keys the only service a client's scope "
              "may name (default: read from an upstream host SERVICE.REGION.amazonaws.com).")
@click.option("--region", metavar="REGION",
              help="Region to sign for; with --verify-keys the only Region a client's scope "
              "may name (default: read from the upstream host, as --name).")
@click.option("--sign-host", metavar="HOST", help="Host to sign for and send as Host.")
@click.option("--unsigned-payload", is_flag=True,
              help="Stream bodies with UNSIGNED-PAYLOAD (services that accept it, as S3).")
@click.option("--strip", "-s", multiple=True, metavar="HEADER",
              help="Header to remove from incoming requests (repeatable).")
@click.option("--verify-keys", metavar="FILE",
              help="Re-signing mode: JSON object of the clients' virtual access key id -> "
              "secret; each request is verified, then signed with the real credentials for "
              "--name and --region only (a scope naming another service or Region is refused "
              "with 403 SignatureDoesNotMatch). "
              "Must be yours (or root's), writable by no one else, not readable by all.")
@click.option("--timeout", type=Seconds(zero_means_none=False), default="60", show_default=True,
              help="Per-request deadline, seconds; also how long a connection may idle or "
              "take to send a request's head.")
@click.option("--max-body", type=click.IntRange(0), default=64 * 1024 * 1024,
              show_default=True, help="Largest body read whole before signing, bytes.")
@click.option("--ca-bundle", metavar="FILE", help="CA certificates to trust for the upstream.")
@credential_options
def proxy(listen: str, upstream: str, allow_hosts: tuple[str, ...], service: str | None,
          region: str | None, sign_host: str | None, unsigned_payload: bool,
          strip: tuple[str, ...], verify_keys: str | None, timeout: float, max_body: int,
          ca_bundle: str | None, profile: str | None, access_key_id: str | None,
          secret_access_key_stdin: bool) -> None:
    """Sign requests from clients that cannot (curl, dashboards, legacy apps), or re-sign
    requests made with virtual keys, for one upstream endpoint. One log line per request on
    standard error (never a token or signature)."""
    from ..server.proxy import LogFormatter, ProxyConfig, ProxyError, ProxyServer

    host, port = _listen(listen)
    credentials = load_credential_source(profile, access_key_id, secret_access_key_stdin)
    try:
        config = ProxyConfig(
            upstream=upstream, credentials=credentials, service=service, region=region,
            allow_hosts=allow_hosts, sign_host=sign_host, unsigned_payload=unsigned_payload,
            strip=strip, verify_keys=None if verify_keys is None else _verify_keys(verify_keys),
            timeout=timeout, max_body=max_body, ca_file=ca_bundle,
        )
    except ProxyError as exc:
        raise InputError(str(exc)) from None
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LogFormatter("%(asctime)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    asyncio.run(_serve(ProxyServer(config, host=host, port=port)))


async def _serve(server: Any) -> None:
    try:
        runner = await server.start_async()
    except OSError as exc:
        raise InputError(f"--listen: cannot listen on {server.host}:{server.port} "
                         f"({exc.strerror})") from None
    click.echo(f"sigv4kit proxy listening on {server.url}", err=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
