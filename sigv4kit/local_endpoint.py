"""A local EC2-compatible endpoint: moto's server on 127.0.0.1, with signature checking on.

For the demo and for tests. moto is a development dependency (the ``test`` extra), imported
by the child process only. Auth is switched on with ``INITIAL_NO_AUTH_ACTION_COUNT``: the
few set-up calls that create an IAM user, its access key and an allow-all policy go through
unauthenticated; every call after them must carry a valid SigV4 signature of that key.
Those set-up calls are IAM Query requests signed by sigv4kit itself.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from types import TracebackType
from urllib.parse import urlencode
from xml.etree.ElementTree import Element

import requests
from defusedxml import ElementTree

from .model import Credentials, Request
from .signing import sign_request

_SETUP_CALLS = 3
_ALLOW_ALL = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'


class LocalEndpointError(RuntimeError):
    """The local server could not be started or set up."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class LocalEndpoint:
    """``with LocalEndpoint() as ep: ep.endpoint_url, ep.credentials`` — a moto server in a
    child process, stopped on exit."""

    def __init__(self, *, start_timeout: float = 30.0, user_name: str = "sigv4kit-demo") -> None:
        self.start_timeout = start_timeout
        self.user_name = user_name
        self.port = _free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None
        self._credentials: Credentials | None = None

    @property
    def credentials(self) -> Credentials:
        if self._credentials is None:
            raise LocalEndpointError("the local endpoint is not started")
        return self._credentials

    def start(self) -> LocalEndpoint:
        env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT=str(_SETUP_CALLS))
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            env.pop(name, None)
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        except OSError as exc:
            raise LocalEndpointError(f"cannot start moto's server: {exc}") from None
        self._wait_until_up()
        self._credentials = self._create_user()
        return self

    def _wait_until_up(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                stderr = self._process.stderr
                err = stderr.read().decode(errors="replace") if stderr else ""
                raise LocalEndpointError(
                    "moto's server exited at start (is the 'test' extra installed? "
                    f"pip install 'sigv4kit[test]'): {err.strip()[-500:]}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise LocalEndpointError(f"moto's server did not answer within {self.start_timeout:g} s")

    def _iam(self, credentials: Credentials, params: dict[str, str]) -> Element:
        body = urlencode({**params, "Version": "2010-05-08"}).encode()
        request = Request(
            "POST",
            self.endpoint_url + "/",
            [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
            body,
        )
        signed = sign_request(request, credentials, region="us-east-1", service="iam")
        response = requests.post(
            signed.request.url, data=body, headers=dict(signed.request.headers), timeout=30
        )
        if response.status_code != 200:
            raise LocalEndpointError(
                f"IAM {params['Action']} failed on the local endpoint: HTTP {response.status_code}"
            )
        root: Element = ElementTree.fromstring(response.content)
        return root

    def _create_user(self) -> Credentials:
        # Set-up calls are not authenticated; any well-formed key signs them.
        bootstrap = Credentials("AKIDBOOTSTRAP000000", "bootstrap-secret-not-checked")
        self._iam(bootstrap, {"Action": "CreateUser", "UserName": self.user_name})
        self._iam(
            bootstrap,
            {
                "Action": "PutUserPolicy",
                "UserName": self.user_name,
                "PolicyName": "allow-all",
                "PolicyDocument": _ALLOW_ALL,
            },
        )
        root = self._iam(bootstrap, {"Action": "CreateAccessKey", "UserName": self.user_name})
        found = {el.tag.rpartition("}")[2]: (el.text or "") for el in root.iter()}
        if not found.get("AccessKeyId") or not found.get("SecretAccessKey"):
            raise LocalEndpointError("the local endpoint returned no access key")
        return Credentials(found["AccessKeyId"], found["SecretAccessKey"])

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()

    def __enter__(self) -> LocalEndpoint:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
