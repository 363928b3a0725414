"""``sigv4kit token …``: the SigV4 bearer tokens of ``sigv4kit.tokens`` on the command line.

Options are named as the AWS CLI names them where it has the command (``aws rds
generate-db-auth-token``, ``aws dsql generate-db-connect-auth-token``, ``aws eks get-token``).
``token eks`` prints the ExecCredential JSON, so a kubeconfig ``exec`` can run sigv4kit in
place of the AWS CLI. Needs neither requests nor (with environment credentials) botocore.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import click

from .common import credential_options, load_credentials, load_region, signing_errors

__all__ = ["token"]

F = TypeVar("F", bound=Callable[..., Any])

_FIELDS = {
    "hostname": "--hostname", "port": "--port", "username": "--username", "region": "--region",
    "expires": "--expires-in", "cluster_name": "--cluster-name", "cluster_id": "--cluster-id",
    "cache_name": "--cache-name", "user_id": "--user-id", "user_agent": "--user-agent",
    "timestamp": "--timestamp", "url": "URL", "service": "--service", "endpoint": "--endpoint",
}


def _common(f: F) -> F:
    """--region, --timestamp and the credential options, and SigningError as a bad option."""
    f = signing_errors(_FIELDS)(f)
    f = credential_options(f)
    f = click.option("--timestamp", help="Signing time (ISO 8601); default now.")(f)
    f = click.option("--region", help="Region (default: AWS_REGION or the profile's).")(f)
    return f


def _make(profile: str | None, access_key_id: str | None, secret_stdin: bool,
          region: str | None) -> tuple[Any, str]:
    return load_credentials(profile, access_key_id, secret_stdin), load_region(region, profile)


def _warned(make: Callable[[], Any]) -> Any:
    """``make()``, with a token outliving its credentials said on stderr (one line)."""
    from ..tokens import TokenOutlivesCredentials

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TokenOutlivesCredentials)
        result = make()
    for warning in caught:
        click.echo(f"Warning: {warning.message}", err=True)
    return result


@click.group()
def token() -> None:
    """Make SigV4 bearer tokens: database passwords, Kubernetes and Kafka tokens, Bedrock API
    keys, WebSocket URLs."""


@token.command(epilog="Example:\n\n\b\n  sigv4kit token rds --hostname mydb.abc.us-east-1.rds."
               "amazonaws.com --port 5432 --username app --region us-east-1")
@click.option("--hostname", required=True, help="Database host name (no scheme).")
@click.option("--port", type=int, required=True, help="Database port.")
@click.option("--username", required=True, help="Database user to log in as.")
@_common
def rds(hostname: str, port: int, username: str, region: str | None, timestamp: str | None,
        profile: str | None, access_key_id: str | None, secret_access_key_stdin: bool) -> None:
    """An RDS / Aurora IAM auth token (as aws rds generate-db-auth-token)."""
    from ..tokens import rds_auth_token

    creds, region = _make(profile, access_key_id, secret_access_key_stdin, region)
    click.echo(_warned(functools.partial(
        rds_auth_token, creds, hostname=hostname, port=port, username=username, region=region,
        timestamp=timestamp)))


@token.command(epilog="Example:\n\n\b\n  sigv4kit token dsql --hostname abc.dsql.us-east-1."
               "on.aws --region us-east-1 --admin")
@click.option("--hostname", required=True, help="Cluster endpoint.")
@click.option("--expires-in", "expires", type=int, default=900, show_default=True,
              help="Seconds, 1..604800.")
@click.option("--admin", is_flag=True, help="For the admin role (DbConnectAdmin).")
@_common
def dsql(hostname: str, expires: int, admin: bool, region: str | None, timestamp: str | None,
         profile: str | None, access_key_id: str | None, secret_access_key_stdin: bool) -> None:
    """An Aurora DSQL auth token (as aws dsql generate-db-connect[-admin]-auth-token)."""
    from ..tokens import dsql_auth_token

    creds, region = _make(profile, access_key_id, secret_access_key_stdin, region)
    click.echo(_warned(functools.partial(
        dsql_auth_token, creds, hostname=hostname, region=region, admin=admin, expires=expires,
        timestamp=timestamp)))


@token.command(epilog="Example (a kubeconfig user's exec runs the same: command sigv4kit, "
               "args the rest):\n\n\b\n  sigv4kit token eks --cluster-name my-cluster "
               "--region us-east-1")
@click.option("--cluster-name", help="EKS cluster name.")
@click.option("--cluster-id", help="Cluster id (local clusters on AWS Outposts).")
@_common
def eks(cluster_name: str | None, cluster_id: str | None, region: str | None,
        timestamp: str | None, profile: str | None, access_key_id: str | None,
        secret_access_key_stdin: bool) -> None:
    """Print the ExecCredential JSON for an EKS cluster (as aws eks get-token)."""
    import json
    import os

    from ..tokens import eks_token, exec_api_version, exec_credential

    if not cluster_name and not cluster_id:
        raise click.UsageError("Missing option '--cluster-name' (or '--cluster-id').")
    if cluster_name and cluster_id:
        raise click.UsageError("--cluster-name and --cluster-id cannot be given together.")
    version, note = exec_api_version(os.environ.get("KUBERNETES_EXEC_INFO"))
    if note:
        click.echo(note, err=True)
    creds, region = _make(profile, access_key_id, secret_access_key_stdin, region)
    made = _warned(functools.partial(eks_token, creds, cluster_name=cluster_name,
                                     cluster_id=cluster_id, region=region, timestamp=timestamp))
    click.echo(json.dumps(exec_credential(made, version), indent=4) + "\n")  # as the AWS CLI


@token.command(epilog="Example:\n\n\b\n  sigv4kit token elasticache --cache-name my-cache "
               "--user-id app --region us-east-1 --serverless")
@click.option("--cache-name", required=True,
              help="Serverless cache name or replication group id.")
@click.option("--user-id", required=True, help="The IAM-enabled user's id.")
@click.option("--serverless", is_flag=True, help="The cache is serverless.")
@_common
def elasticache(cache_name: str, user_id: str, serverless: bool, region: str | None,
                timestamp: str | None, profile: str | None, access_key_id: str | None,
                secret_access_key_stdin: bool) -> None:
    """A Valkey / Redis OSS password for ElastiCache IAM authentication."""
    from ..tokens import elasticache_auth_token

    creds, region = _make(profile, access_key_id, secret_access_key_stdin, region)
    click.echo(_warned(functools.partial(
        elasticache_auth_token, creds, cache_name=cache_name, user_id=user_id, region=region,
        serverless=serverless, timestamp=timestamp)))


@token.command(epilog="Example:\n\n\b\n  sigv4kit token memorydb --cluster-name my-cluster "
               "--user-id app --region us-east-1")
@click.option("--cluster-name", required=True, help="MemoryDB cluster name.")
@click.option("--user-id", required=True, help="The IAM-enabled user's name.")
@_common
def memorydb(cluster_name: str, user_id: str, region: str | None, timestamp: str | None,
             profile: str | None, access_key_id: str | None,
             secret_access_key_stdin: bool) -> None:
    """A Valkey / Redis OSS password for MemoryDB IAM authentication."""
    from ..tokens import memorydb_auth_token

    creds, region = _make(profile, access_key_id, secret_access_key_stdin, region)
    click.echo(_warned(functools.partial(
        memorydb_auth_token, creds, cluster_name=cluster_name, user_id=user_id, region=region,
        timestamp=timestamp)))


@token.command(epilog="Example:\n\n\b\n  sigv4kit token msk --region cn-north-1")
@click.option("--user-agent", default="sigv4kit", show_default=True,
              help="User-Agent appended (unsigned) to the token.")
@click.option("--output", type=click.Choice(["json", "text"]), default=None,
              help="json: the token and its expiry in ms.")
@_common
def msk(user_agent: str, output: str | None, region: str | None, timestamp: str | None,
        profile: str | None, access_key_id: str | None, secret_access_key_stdin: bool) -> None:
    """An MSK IAM SASL/OAUTHBEARER token (as aws-msk-iam-sasl-signer-python), for the
    Region's own partition."""
    from ..tokens import msk_auth_token

    creds, region = _make(profile, access_key_id, secret_access_key_stdin, region)
    made, expiry = _warned(functools.partial(msk_auth_token, creds, region=region,
                                             user_agent=user_agent, timestamp=timestamp))
    if output == "json":
        from .common import print_json

        print_json({"token": made, "expiry_ms": expiry})
    else:
        click.echo(made)


@token.command(epilog="Example:\n\n\b\n  sigv4kit token bedrock --region us-east-1 "
               "--expires-in 3600")
@click.option("--expires-in", "expires", type=int, default=43200, show_default=True,
              help="Seconds, 1..43200.")
@_common
def bedrock(expires: int, region: str | None, timestamp: str | None, profile: str | None,
            access_key_id: str | None, secret_access_key_stdin: bool) -> None:
    """A short-term Bedrock API key (as aws-bedrock-token-generator)."""
    from ..tokens import bedrock_api_key

    creds, region = _make(profile, access_key_id, secret_access_key_stdin, region)
    click.echo(_warned(functools.partial(bedrock_api_key, creds, region=region, expires=expires,
                                         timestamp=timestamp)))


@token.command(epilog="Example:\n\n\b\n  sigv4kit token websocket "
               "'wss://abc.execute-api.us-east-1.amazonaws.com/prod' --region us-east-1")
@click.argument("url")
@click.option("--service", default="execute-api", show_default=True,
              help="Signing name: execute-api, iotdevicegateway (token unsigned), "
              "transcribe (300 s at most) …")
@click.option("--expires-in", "expires", type=int, default=None,
              help="Seconds (default 3600; transcribe 300).")
@_common
def websocket(url: str, service: str, expires: int | None, region: str | None,
              timestamp: str | None, profile: str | None, access_key_id: str | None,
              secret_access_key_stdin: bool) -> None:
    """A presigned WebSocket URL (as awscrt presigns it)."""
    from ..tokens import TRANSCRIBE_MAX_EXPIRES, websocket_url

    if expires is None:
        expires = TRANSCRIBE_MAX_EXPIRES if service == "transcribe" else 3600
    creds, region = _make(profile, access_key_id, secret_access_key_stdin, region)
    click.echo(_warned(functools.partial(websocket_url, creds, url, region=region,
                                         service=service, expires=expires,
                                         timestamp=timestamp)))
