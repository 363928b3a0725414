"""A local EC2-compatible endpoint: moto's server on 127.0.0.1, with signature checking on.

For the demo and the tests. moto is a development dependency (the ``test`` extra), imported
only by the child process that serves it.

moto checks signatures once its request counter reaches ``INITIAL_NO_AUTH_ACTION_COUNT``
(default: never). The server starts with checking off; the set-up calls (an IAM user with an
allow-all policy and its access key, and a user with no policy) go through, signed by
sigv4kit itself; then ``POST /moto-api/reset-auth 0`` switches checking on for every later
request. (Counting the set-up calls instead would break silently on any retry.) moto then
recomputes each signature with botocore and answers a wrong one with 401 ``AuthFailure``.

The server runs in a child process, so moto's global state never leaks into the caller; the
child binds port 0 and reports the port on stdout (no race for a "free" port), and exits
when its stdin closes, so it cannot outlive its parent.
"""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from types import TracebackType
from typing import IO
from urllib.parse import urlencode
from xml.etree.ElementTree import Element

import requests
from defusedxml import ElementTree

from ..errors import Error
from ..model import Credentials, Request
from ..signing import sign_request

__all__ = ["LocalEndpoint", "LocalEndpointError"]

_ALLOW_ALL = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
_SETUP_CREDENTIALS = Credentials("AKIDSETUP00000000000", "any-key-signs-while-auth-is-off")


class LocalEndpointError(Error, RuntimeError):
    """The local server could not be started or set up (the message includes its log)."""


class LocalEndpoint:
    """``with LocalEndpoint() as ep:`` a moto server with signature checking on.

    ``ep.endpoint_url``; ``ep.credentials``, the key of a user allowed everything;
    ``ep.denied_credentials``, the key of a user with no policy (moto answers its correctly
    signed calls with 403 ``AccessDenied``).
    """

    def __init__(self, *, start_timeout: float = 30.0) -> None:
        self.start_timeout = start_timeout
        self.endpoint_url = ""
        self._process: subprocess.Popen[str] | None = None
        self._log: IO[str] | None = None
        self._credentials: Credentials | None = None
        self._denied: Credentials | None = None

    def __repr__(self) -> str:
        return f"LocalEndpoint(endpoint_url={self.endpoint_url!r})"

    @property
    def credentials(self) -> Credentials:
        if self._credentials is None:
            raise LocalEndpointError("the local endpoint is not started")
        return self._credentials

    @property
    def denied_credentials(self) -> Credentials:
        if self._denied is None:
            raise LocalEndpointError("the local endpoint is not started")
        return self._denied

    def start(self) -> LocalEndpoint:
        deadline = time.monotonic() + self.start_timeout
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("MOTO_", "AWS_", "TEST_SERVER_MODE", "TEST_PROXY_MODE"))}
        env.update(INITIAL_NO_AUTH_ACTION_COUNT="inf", PYTHONUNBUFFERED="1")
        # Closed in stop(): it outlives this method, with the server.
        self._log = tempfile.TemporaryFile("w+", prefix="sigv4kit-moto-", suffix=".log")  # noqa: SIM115
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "sigv4kit.testing.local_endpoint", "--serve"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log,
                env=env, text=True,
            )
            self.endpoint_url = f"http://127.0.0.1:{self._read_port(deadline)}"
            self._wait_until_answering(deadline)
            self._credentials = self._create_user("sigv4kit-user", allow_all=True)
            self._denied = self._create_user("sigv4kit-no-policy", allow_all=False)
            self._enable_auth()
        except BaseException:
            self.stop()
            raise
        return self

    def _fail(self, reason: str) -> LocalEndpointError:
        log = ""
        if self._log is not None:
            self._log.seek(0)
            log = self._log.read()[-2000:]
        hint = " (is the 'test' extra installed? pip install 'sigv4kit[test]')"
        return LocalEndpointError(f"local endpoint: {reason}{hint}\n{log}".rstrip())

    def _read_port(self, deadline: float) -> int:
        process = self._process
        assert process is not None and process.stdout is not None
        lines: queue.Queue[str] = queue.Queue()
        stdout = process.stdout

        def pump() -> None:
            with stdout:
                for line in stdout:
                    lines.put(line)

        threading.Thread(target=pump, name="moto-stdout", daemon=True).start()
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                if process.poll() is not None:
                    status = process.returncode
                    raise self._fail(f"moto's server exited with status {status}") from None
                continue
            if line.startswith("PORT "):
                return int(line.split()[1])
        raise self._fail(f"moto's server reported no port within {self.start_timeout:g} s")

    def _wait_until_answering(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.endpoint_url}/moto-api/config", timeout=2).ok:
                    return
            time.sleep(0.05)
        raise self._fail(f"moto's server did not answer within {self.start_timeout:g} s")

    def _iam(self, params: dict[str, str]) -> Element:
        body = urlencode({**params, "Version": "2010-05-08"}).encode()
        request = Request(
            "POST", self.endpoint_url + "/",
            [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], body,
        )
        signed = sign_request(request, _SETUP_CREDENTIALS, region="us-east-1", service="iam")
        response = requests.post(
            signed.request.url, data=body, headers=dict(signed.request.headers), timeout=30
        )
        if response.status_code != 200:
            raise self._fail(f"IAM {params['Action']} answered HTTP {response.status_code}")
        root: Element = ElementTree.fromstring(response.content)
        return root

    def _create_user(self, name: str, *, allow_all: bool) -> Credentials:
        self._iam({"Action": "CreateUser", "UserName": name})
        if allow_all:
            self._iam({"Action": "PutUserPolicy", "UserName": name, "PolicyName": "allow-all",
                       "PolicyDocument": _ALLOW_ALL})
        root = self._iam({"Action": "CreateAccessKey", "UserName": name})
        found = {el.tag.rpartition("}")[2]: (el.text or "") for el in root.iter()}
        if not found.get("AccessKeyId") or not found.get("SecretAccessKey"):
            raise self._fail("IAM CreateAccessKey returned no key")
        return Credentials(found["AccessKeyId"], found["SecretAccessKey"])

    def _enable_auth(self) -> None:
        response = requests.post(f"{self.endpoint_url}/moto-api/reset-auth", data=b"0",
                                 timeout=10)
        if not response.ok or response.json().get("PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT") != "inf":
            raise self._fail("could not switch signature checking on")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            if process.stdin is not None:
                with contextlib.suppress(OSError):
                    process.stdin.close()  # the child exits at EOF
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LocalEndpoint:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _serve() -> None:
    """Child process: serve moto on 127.0.0.1 and an OS-chosen port until stdin closes."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer("127.0.0.1", 0, verbose=False)
    server.start()
    print(f"PORT {server.get_host_and_port()[1]}", flush=True)
    sys.stdin.read()
    os._exit(0)  # nothing to flush; a graceful stop would wait for the serve loop


if __name__ == "__main__" and sys.argv[1:] == ["--serve"]:
    _serve()
