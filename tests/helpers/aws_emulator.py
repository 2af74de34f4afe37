"""AWS for the publish tests: moto's server on 127.0.0.1, clients for assertions, and a fault proxy.

boto3 reaches the emulator through ``AWS_ENDPOINT_URL`` with dummy credentials; no AWS configuration
of the machine leaks in (config and credentials files point nowhere, instance metadata is off).
``tests/conftest.py`` loads this module as a plugin (``pytest_plugins``), so its fixtures reach every test;
its constants and classes are imported (``from tests.helpers.aws_emulator import REGION``).

:class:`FaultProxy` stands between the tool and moto: it forwards every request and answers as moto
does, except for the faults a test arms (answer 500 after moto created the version, or instead of
it; hang; run a hook first), and counts what it forwarded.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
import socket
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Tuple
from urllib.parse import urlsplit

import boto3
import pytest
from moto.server import ThreadedMotoServer

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account
SECRET = "dummy-secret-Key-7f3a9c"


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def aws_vars(moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> Dict[str, str]:
    nowhere = tmp_path_factory.mktemp("aws") / "absent"
    return {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(nowhere / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(nowhere / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def without_aws(env: Dict[str, str]) -> Dict[str, str]:
    return {key: value for key, value in env.items() if not key.startswith("AWS_")}


@pytest.fixture(scope="session")
def aws_env(offline_env: Dict[str, str], aws_vars: Dict[str, str]) -> Dict[str, str]:
    """The offline subprocess environment, pointed at the emulator."""
    return dict(without_aws(offline_env), **aws_vars)


def _post(url: str, data: bytes = b"") -> None:
    with urllib.request.urlopen(urllib.request.Request(url, data=data, method="POST",
                                                       headers={"Content-Type": "text/plain"}), timeout=10) as response:
        response.read()


class Aws:
    """Clients for assertions, on the emulator reset for each test (always moto itself, never a proxy)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.lambda_ = boto3.client("lambda", region_name=REGION, endpoint_url=url)
        self.s3 = boto3.client("s3", region_name=REGION, endpoint_url=url)

    def versions(self, layer: str) -> list:
        return [v["Version"] for v in self.lambda_.list_layer_versions(LayerName=layer)["LayerVersions"]]

    def keys(self, bucket: str) -> list:
        return [item["Key"] for item in self.s3.list_objects_v2(Bucket=bucket).get("Contents", [])]

    def bucket(self, name: str, region: str = REGION) -> None:
        boto3.client("s3", region_name=region, endpoint_url=self.url).create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})

    def object_versions(self, bucket: str, key: str) -> int:
        """How many times ``key`` was PUT into a bucket with versioning on."""
        return len([v for v in self.s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", [])
                    if v["Key"] == key])


@pytest.fixture
def aws(core_env: Dict[str, str], aws_vars: Dict[str, str], moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Aws:
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    for key, value in aws_vars.items():
        monkeypatch.setenv(key, value)
    _post(f"{moto_url}/moto-api/reset")
    return Aws(moto_url)


# -- the fault proxy -------------------------------------------------------------------------

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "expect"}
#: What Lambda answers for an internal failure (botocore reads the code from the header).
_LAMBDA_500 = json.dumps({"Type": "Service", "message": "Internal failure (injected by the test proxy)"}).encode()


@dataclass
class Fault:
    """What to do with the next request matching ``method`` and ``path`` (a regular expression)."""

    method: str
    path: str
    #: "after": forward, then answer 500; "instead": answer 500 without forwarding; "hang": forward,
    #: then answer nothing for ``hang_seconds``; "forward": forward as usual (for a hook alone).
    mode: str
    hook: Optional[Callable[[], None]] = None
    hang_seconds: float = 5.0


@dataclass
class FaultProxy:
    upstream: str
    faults: List[Fault] = field(default_factory=list)
    forwarded: List[Tuple[str, str]] = field(default_factory=list)
    url: str = ""

    def arm(self, method: str, path: str, mode: str = "forward", hook: Optional[Callable[[], None]] = None,
            hang_seconds: float = 5.0) -> None:
        self.faults.append(Fault(method, path, mode, hook, hang_seconds))

    def take(self, method: str, path: str) -> Optional[Fault]:
        for fault in self.faults:
            if fault.method == method and re.fullmatch(fault.path, path.split("?")[0]):
                self.faults.remove(fault)
                return fault
        return None

    def count(self, method: str, path: str) -> int:
        return len([1 for seen_method, seen in self.forwarded if seen_method == method and re.fullmatch(path, seen.split("?")[0])])


def _handler(proxy: FaultProxy) -> type:
    upstream = urlsplit(proxy.upstream)

    class Relay(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            return None

        def _relay(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            fault = proxy.take(self.command, self.path)
            if fault is not None and fault.hook is not None:
                fault.hook()
            if fault is not None and fault.mode == "instead":
                self._answer_500()
                return
            headers = {key: value for key, value in self.headers.items() if key.lower() not in _HOP_BY_HOP}
            connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            connection.close()
            proxy.forwarded.append((self.command, self.path))
            if fault is not None and fault.mode == "after":
                self._answer_500()
                return
            if fault is not None and fault.mode == "hang":
                time.sleep(fault.hang_seconds)
                self.close_connection = True
                return
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                    self.send_header(key, value)
            length = response.getheader("Content-Length") if self.command == "HEAD" else str(len(data))
            self.send_header("Content-Length", length or "0")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _answer_500(self) -> None:
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.send_header("x-amzn-ErrorType", "ServiceException")
            self.send_header("Content-Length", str(len(_LAMBDA_500)))
            self.end_headers()
            self.wfile.write(_LAMBDA_500)

        do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _relay

    return Relay


#: The project most publish tests publish: python3.12 arm64, layer name demo-app-py312-arm64.
DEMO_PYPROJECT = """\
[project]
name = "Demo_App"
version = "1.0"

[tool.lambda-layer]
python-version = "3.12"
architecture = "arm64"
"""


@pytest.fixture
def demo(make_project: Callable[..., Path]) -> Path:
    """:data:`DEMO_PYPROJECT` with two pinned requirements."""
    return make_project(DEMO_PYPROJECT, name="demo", requirements__txt="fake-a==1.0\nfake-b==1.0\n")


@pytest.fixture
def proxy(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    """A fault proxy in front of moto, and ``AWS_ENDPOINT_URL`` pointed at it."""
    relay = FaultProxy(aws.url)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(relay))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    relay.url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", relay.url)
    try:
        yield relay
    finally:
        server.shutdown()
        server.server_close()


# -- endpoints that fail -----------------------------------------------------------------------

class BrokenEndpoint:
    """A TCP server on 127.0.0.1 that accepts connections and then never answers ("silent") or closes
    each one as soon as a request arrives ("closing")."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = self.server.getsockname()[1]
        self.held: List[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return  # closed
            if self.behaviour == "silent":
                self.held.append(connection)
            else:
                connection.settimeout(5)
                try:
                    connection.recv(65536)
                except OSError:
                    pass
                connection.close()

    def close(self) -> None:
        self.server.close()
        for connection in self.held:
            connection.close()


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
