"""The tools AWS ships for each SigV4 token, called with a frozen clock: the oracles that
``sigv4kit.tokens`` must equal byte for byte. Imported by ``tests/test_tokens.py`` and by
``generate.py`` (which writes the committed corpus); it never imports sigv4kit.

botocore signs with its pure-Python signers here, as a plain ``pip install boto3`` does (the
``boto3[crt]`` extra swaps in awscrt's, which orders the query differently); the MSK and
Bedrock generators construct ``SigV4QueryAuth`` themselves and always use the pure-Python one.
The WebSocket kinds' oracle is awscrt's query signing.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from unittest import mock
from urllib.parse import ParseResult, urlencode, urlunparse


@contextlib.contextmanager
def frozen(now: datetime) -> Iterator[None]:
    """botocore's (and the AWS CLI's) clock stopped at ``now``, its pure-Python signers in use,
    and no AWS_* variable or config file of this machine steering anything."""
    import botocore.auth

    naive = now.astimezone(UTC).replace(tzinfo=None)
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("AWS_") or k == "AWS_DATA_PATH"}  # awscli's own data
    clean.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    pure = {"v4": botocore.auth.SigV4Auth, "v4-query": botocore.auth.SigV4QueryAuth}
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.dict(os.environ, clean, clear=True))
        stack.enter_context(mock.patch.dict(botocore.auth.AUTH_TYPE_MAPS, pure))
        stack.enter_context(
            mock.patch.object(botocore.auth, "get_current_datetime", return_value=naive)
        )
        yield


def _session(creds: tuple[str, str, str | None]) -> Any:
    import botocore.session

    session = botocore.session.Session()
    session.set_credentials(*creds)
    return session


def rds(creds: tuple[str, str, str | None], now: datetime, *, hostname: str, port: int,
        username: str, region: str) -> str:
    with frozen(now):
        client = _session(creds).create_client("rds", region_name=region)
        return str(client.generate_db_auth_token(hostname, port, username, Region=region))


def dsql(creds: tuple[str, str, str | None], now: datetime, *, hostname: str, region: str,
         admin: bool, expires: int = 900) -> str:
    with frozen(now):
        client = _session(creds).create_client("dsql", region_name=region)
        make = (client.generate_db_connect_admin_auth_token if admin
                else client.generate_db_connect_auth_token)
        return str(make(hostname, region, expires))


def eks(creds: tuple[str, str, str | None], now: datetime, *, cluster: str, region: str,
        exec_info: str | None = None) -> dict[str, Any]:
    """The ExecCredential ``aws eks get-token`` prints, parsed."""
    result: dict[str, Any] = json.loads(
        eks_output(creds, now, cluster=cluster, region=region, exec_info=exec_info))
    return result


def eks_output(creds: tuple[str, str, str | None], now: datetime, *, cluster: str, region: str,
               exec_info: str | None = None) -> str:
    """What ``aws eks get-token --cluster-name cluster --region region`` prints (the AWS CLI
    v1 run in this process, with its clock and botocore's frozen)."""
    from awscli.clidriver import create_clidriver

    env = {"AWS_ACCESS_KEY_ID": creds[0], "AWS_SECRET_ACCESS_KEY": creds[1]}
    if creds[2] is not None:
        env["AWS_SESSION_TOKEN"] = creds[2]
    if exec_info is not None:
        env["KUBERNETES_EXEC_INFO"] = exec_info
    out = io.StringIO()
    naive = now.astimezone(UTC).replace(tzinfo=None)
    with frozen(now), mock.patch.dict(os.environ, env), contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch(
            "awscli.customizations.eks.get_token.get_current_datetime", return_value=naive))
        stack.enter_context(mock.patch("sys.stdout", out))
        code = create_clidriver().main(
            ["eks", "get-token", "--cluster-name", cluster, "--region", region,
             "--output", "json"])
    assert code == 0, code
    return out.getvalue()


def eks_url(token: str) -> str:
    body = token.removeprefix("k8s-aws-v1.")
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()


def elasticache(creds: tuple[str, str, str | None], now: datetime, *, cache_name: str,
                user_id: str, region: str, serverless: bool = False,
                signing_name: str = "elasticache") -> str:
    """The AWS docs' (and redis-py's) ElastiCache IAM sample; MemoryDB with ``memorydb``."""
    from botocore.model import ServiceId
    from botocore.signers import RequestSigner

    with frozen(now):
        session = _session(creds)
        signer = RequestSigner(ServiceId(signing_name), region, signing_name, "v4",
                               session.get_credentials(), session.get_component("event_emitter"))
        query: dict[str, str] = {"Action": "connect", "User": user_id}
        if serverless:
            query["ResourceType"] = "ServerlessCache"
        url = urlunparse(ParseResult(scheme="https", netloc=cache_name, path="/",
                                     query=urlencode(query), params="", fragment=""))
        signed = signer.generate_presigned_url(
            {"method": "GET", "url": url, "body": {}, "headers": {}, "context": {}},
            operation_name="connect", expires_in=900, region_name=region)
        return str(signed).removeprefix("https://")


def msk(creds: tuple[str, str, str | None], now: datetime, *, region: str,
        dns_suffix: str = "amazonaws.com") -> tuple[str, int, str]:
    """aws-msk-iam-sasl-signer-python's token, expiry (ms) and User-Agent. The library
    hard-codes ``.amazonaws.com``; ``dns_suffix`` patches its template to the partition's."""
    import aws_msk_iam_sasl_signer.MSKAuthTokenProvider as provider
    from botocore.credentials import Credentials

    template = f"https://kafka.{{}}.{dns_suffix}/"
    with frozen(now), mock.patch.object(provider, "ENDPOINT_URL_TEMPLATE", template):
        token, expiry = getattr(provider, "__construct_auth_token")(region, Credentials(*creds))
        return str(token), int(expiry), str(provider.__get_user_agent__())


def bedrock(creds: tuple[str, str, str | None], now: datetime, *, region: str,
            expires: int = 43200) -> str:
    from aws_bedrock_token_generator import token_generator
    from botocore.credentials import Credentials

    with frozen(now):
        return str(token_generator._generate_token(Credentials(*creds), region,
                                                               expires))


def crt_query(creds: tuple[str, str, str | None], now: datetime, *, url: str, region: str,
              service: str, expires: int, sign_token: bool = True,
              unsigned_payload: bool = False) -> str:
    """``url`` query-signed by awscrt (GET, Host signed): the WebSocket kinds' oracle.
    ``sign_token=False`` leaves the session token out of the signing (IoT's form: awscrt's
    ``omit_session_token``, which still adds it to the URL)."""
    from awscrt import auth, http

    scheme, rest = url.split("://", 1)
    host, _, target = rest.partition("/")
    provider = auth.AwsCredentialsProvider.new_static(*creds)
    request = http.HttpRequest("GET", "/" + target, http.HttpHeaders([("Host", host)]))
    config = auth.AwsSigningConfig(
        algorithm=auth.AwsSigningAlgorithm.V4,
        signature_type=auth.AwsSignatureType.HTTP_REQUEST_QUERY_PARAMS,
        credentials_provider=provider, region=region, service=service, date=now,
        expiration_in_seconds=expires, omit_session_token=not sign_token,
        signed_body_value=(auth.AwsSignedBodyValue.UNSIGNED_PAYLOAD if unsigned_payload
                           else auth.AwsSignedBodyValue.EMPTY_SHA256),
    )
    auth.aws_sign_request(request, config).result(timeout=10)
    return f"{scheme}://{host}{request.path}"
