"""The ``moto_server`` fixture really checks SigV4, and what exactly moto checks.

Signed here with botocore's ``SigV4Auth`` (an independent signer), sent with ``requests``.
Findings for moto 5.x server mode with IAM auth on (``tests/servers.py`` says how it is on):

- A correct signature gets 200. A wrong secret, a tampered body, an unknown access key, or a
  session token sent with an IAM-user key get **HTTP 401 ``AuthFailure``** for EC2 (moto
  raises ``SignatureDoesNotMatch``/``InvalidClientTokenId`` only for non-EC2 services). The
  body is ``<ErrorResponse><Errors><Error><Code>…`` with ``<Type>Sender</Type>`` and no
  request id, unlike EC2's own ``<Response><Errors>…<RequestID>`` errors (which moto uses for
  service errors such as ``InvalidSnapshot.NotFound``, with ``RequestID`` ``request-id``).
- A signed request from a user without a policy gets **HTTP 403 ``AccessDenied``**.
- An unsigned request crashes moto (no ``Authorization`` header → ``KeyError``): HTTP 500
  with an HTML page, not an AWS error.
- moto recomputes the signature from the request *as received*, with the region and service
  taken from the request's own credential scope. So it does not check that the scope's
  region or service match the endpoint, nor that ``Host`` names it: a ``Host`` of
  ``ec2.us-east-1.amazonaws.com`` sent to 127.0.0.1 is fine as long as the signature covers
  what was sent, while a signature made for another ``Host`` value fails (401). The scope's
  region *selects the backend* (the region whose data you see) when the ``Host`` does not
  name one; the scope's service selects the backend service (``iam`` → HTTP 500 for an EC2
  action). ``X-Amz-Date`` is never compared with the clock: a 2015 signature passes.
- Query-signed (presigned) requests are not supported: moto needs the ``Authorization``
  header and answers 500. A header-signed GET with the parameters in the query string fails
  with 401 even when correct (moto re-signs it with the parsed parameters as a form body), so
  only POST form bodies, the way botocore and our client send EC2 calls, can be verified.
- ``CopySnapshot`` works across regions on one server: the source snapshot is looked up in
  the ``SourceRegion`` backend, the copy lands in the region of the call. moto never reads
  ``PresignedUrl`` or ``DestinationRegion``: garbage passes. Without ``SourceRegion`` moto
  crashes (500); an unknown snapshot gets 400 ``InvalidSnapshot.NotFound``.

Presigned URLs are therefore not verified by moto: their tests must use the official suite
and the project's own verifier.
"""

from __future__ import annotations

from urllib.parse import urlencode
from xml.etree import ElementTree

import requests
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotocoreCredentials

from sigv4kit import Credentials

from .servers import MotoServer

CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
DESCRIBE_SELF = "Action=DescribeSnapshots&Version=2016-11-15&OwnerId.1=self"
TIMEOUT = 10


def _send(
    server: MotoServer,
    body: str = DESCRIBE_SELF,
    *,
    credentials: Credentials | None = None,
    region: str = "us-east-1",
    service: str = "ec2",
    signed_headers: dict[str, str] | None = None,
    sent_headers: dict[str, str] | None = None,
    sent_body: str | None = None,
    timestamp: str | None = None,
) -> requests.Response:
    """POST ``body`` signed by botocore; ``sent_*`` replace what goes out after signing."""
    url = f"{server.endpoint_url}/"
    request = AWSRequest("POST", url, data=body,
                         headers={"Content-Type": CONTENT_TYPE, **(signed_headers or {})})
    if timestamp is not None:
        request.context["timestamp"] = timestamp
    if credentials is not None:
        key = BotocoreCredentials(credentials.access_key_id, credentials.secret_access_key,
                                  credentials.session_token)
        SigV4Auth(key, service, region).add_auth(request)
    headers = {**dict(request.headers.items()), **(sent_headers or {})}
    data = (sent_body if sent_body is not None else body).encode()
    return requests.post(url, data=data, headers=headers, timeout=TIMEOUT)


def _error_code(response: requests.Response) -> str | None:
    return ElementTree.fromstring(response.content).findtext("./Errors/Error/Code")


def _snapshot_ids(response: requests.Response) -> set[str]:
    assert response.status_code == 200, response.text
    root = ElementTree.fromstring(response.content)
    return {e.text or "" for e in root.iter() if e.tag.endswith("}snapshotId")}


def test_fixture_yields_keys_and_sigv4kit_credentials(moto_server: MotoServer) -> None:
    assert moto_server.endpoint_url.startswith("http://127.0.0.1:")
    creds = moto_server.credentials
    assert (creds.access_key_id, creds.secret_access_key) == (
        moto_server.access_key_id, moto_server.secret_access_key)
    assert creds.session_token is None
    assert moto_server.denied_credentials.access_key_id != creds.access_key_id
    assert moto_server.secret_access_key not in repr(moto_server)


def test_correctly_signed_request_succeeds(moto_server: MotoServer) -> None:
    response = _send(moto_server, credentials=moto_server.credentials)
    assert response.status_code == 200, response.text
    assert ElementTree.fromstring(response.content).tag.endswith("DescribeSnapshotsResponse")


def test_wrong_secret_is_auth_failure_401(moto_server: MotoServer) -> None:
    wrong = Credentials(moto_server.access_key_id, "x" * 40)
    response = _send(moto_server, credentials=wrong)
    assert response.status_code == 401
    assert _error_code(response) == "AuthFailure"
    root = ElementTree.fromstring(response.content)
    assert root.tag == "ErrorResponse" and root.findtext("./Errors/Error/Type") == "Sender"


def test_tampered_body_is_rejected(moto_server: MotoServer) -> None:
    response = _send(moto_server, credentials=moto_server.credentials,
                     sent_body=DESCRIBE_SELF.replace("self", "amazon"))
    assert (response.status_code, _error_code(response)) == (401, "AuthFailure")


def test_unknown_access_key_is_auth_failure_401(moto_server: MotoServer) -> None:
    unknown = Credentials("AKIAUNKNOWNKEY000000", moto_server.secret_access_key)
    response = _send(moto_server, credentials=unknown)
    assert (response.status_code, _error_code(response)) == (401, "AuthFailure")


def test_session_token_with_a_user_key_is_rejected(moto_server: MotoServer) -> None:
    creds = Credentials(moto_server.access_key_id, moto_server.secret_access_key, "TOKEN")
    response = _send(moto_server, credentials=creds)
    assert (response.status_code, _error_code(response)) == (401, "AuthFailure")


def test_unsigned_request_is_rejected(moto_server: MotoServer) -> None:
    response = _send(moto_server, credentials=None)
    assert response.status_code >= 400  # moto 5.2: 500, an HTML page (KeyError on the header)
    assert b"DescribeSnapshotsResponse" not in response.content


def test_user_without_policy_is_access_denied_403(moto_server: MotoServer) -> None:
    response = _send(moto_server, credentials=moto_server.denied_credentials)
    assert (response.status_code, _error_code(response)) == (403, "AccessDenied")
    assert "ec2:DescribeSnapshots" in response.text


def test_host_is_whatever_was_signed_and_sent(moto_server: MotoServer) -> None:
    aws_host = {"Host": "ec2.us-east-1.amazonaws.com"}
    same = _send(moto_server, credentials=moto_server.credentials, signed_headers=aws_host)
    assert same.status_code == 200, same.text
    real_host = moto_server.endpoint_url.removeprefix("http://")
    other = _send(moto_server, credentials=moto_server.credentials, signed_headers=aws_host,
                  sent_headers={"Host": real_host})
    assert (other.status_code, _error_code(other)) == (401, "AuthFailure")


def test_scope_region_is_not_checked_and_selects_the_backend(moto_server: MotoServer) -> None:
    snapshot = moto_server.create_snapshot("us-east-1")
    east = _send(moto_server, credentials=moto_server.credentials, region="us-east-1")
    ireland = _send(moto_server, credentials=moto_server.credentials, region="eu-west-1")
    assert snapshot.snapshot_id in _snapshot_ids(east)
    assert snapshot.snapshot_id not in _snapshot_ids(ireland)


def test_scope_service_selects_the_backend_service(moto_server: MotoServer) -> None:
    response = _send(moto_server, credentials=moto_server.credentials, service="iam")
    assert response.status_code >= 400  # moto 5.2: 500 (IAM has no DescribeSnapshots)


def test_signing_time_is_not_checked(moto_server: MotoServer) -> None:
    response = _send(moto_server, credentials=moto_server.credentials,
                     timestamp="20150830T123600Z")
    assert response.status_code == 200, response.text


def test_query_signed_requests_cannot_be_verified(moto_server: MotoServer) -> None:
    url = f"{moto_server.endpoint_url}/?{DESCRIBE_SELF}"
    creds = moto_server.credentials
    key = BotocoreCredentials(creds.access_key_id, creds.secret_access_key)
    presigned = AWSRequest("GET", url)
    SigV4QueryAuth(key, "ec2", "us-east-1", expires=300).add_auth(presigned)
    response = requests.get(presigned.prepare().url, timeout=TIMEOUT)
    assert response.status_code == 500  # needs an Authorization header
    header_signed = AWSRequest("GET", url)
    SigV4Auth(key, "ec2", "us-east-1").add_auth(header_signed)
    prepared = header_signed.prepare()
    response = requests.get(prepared.url, headers=dict(prepared.headers.items()),
                            timeout=TIMEOUT)
    assert (response.status_code, _error_code(response)) == (401, "AuthFailure")


def _copy(server: MotoServer, **params: str) -> requests.Response:
    body = urlencode({"Action": "CopySnapshot", "Version": "2016-11-15", **params})
    return _send(server, body, credentials=server.credentials, region="us-east-1")


def test_copy_snapshot_across_regions_ignores_presigned_url(moto_server: MotoServer) -> None:
    source = moto_server.create_snapshot("us-west-2", description="source")
    response = _copy(moto_server, SourceRegion="us-west-2", SourceSnapshotId=source.snapshot_id,
                     Description="copy", PresignedUrl="not-a-url",
                     DestinationRegion="eu-west-1")
    assert response.status_code == 200, response.text
    copy_id = ElementTree.fromstring(response.content).findtext(
        "{http://ec2.amazonaws.com/doc/2016-11-15}snapshotId")
    assert copy_id and copy_id != source.snapshot_id
    east = moto_server.botocore_client("ec2", "us-east-1")
    (copy,) = east.describe_snapshots(SnapshotIds=[copy_id])["Snapshots"]
    assert copy["State"] == "completed" and copy["Description"] == "copy"
    assert copy["VolumeId"] == source.volume_id
    west = moto_server.botocore_client("ec2", "us-west-2")
    west_ids = {s["SnapshotId"] for s in west.describe_snapshots(OwnerIds=["self"])["Snapshots"]}
    assert source.snapshot_id in west_ids and copy_id not in west_ids


def test_copy_snapshot_needs_source_region_and_an_existing_snapshot(
    moto_server: MotoServer,
) -> None:
    source = moto_server.create_snapshot("us-west-2")
    missing_region = _copy(moto_server, SourceSnapshotId=source.snapshot_id)
    assert missing_region.status_code >= 400  # moto 5.2: 500 (backend lookup for None)
    wrong_region = _copy(moto_server, SourceRegion="eu-west-1",
                         SourceSnapshotId=source.snapshot_id)
    assert wrong_region.status_code == 400
    root = ElementTree.fromstring(wrong_region.content)
    ns = "{http://ec2.amazonaws.com/doc/2016-11-15}"
    assert root.findtext(f"./{ns}Errors/{ns}Error/{ns}Code") == "InvalidSnapshot.NotFound"
    assert root.findtext(f"./{ns}RequestID") == "request-id"
