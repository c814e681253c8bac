"""NfvoSimulator: the simulated NFVO served over real HTTP from a background thread.

``down()`` stops the HTTP server (connections are refused, as for an NFVO that is down) and
``up()`` serves again on the same port with the same state.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import uvicorn

from servicevm_nfvosim.app import build_app
from servicevm_nfvosim.state import Behaviour, NfvoState, Package
from shared.vnfd.build import build_csar_from_files, sample_package
from shared.vnfd.csar import read_csar
from shared.vnfd.parser import parse_package


class NfvoSimulator:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = NfvoState()
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        probe.bind((host, port))  # port 0: the kernel picks a free one, kept across up/down
        self.host, self.port = probe.getsockname()[:2]
        probe.close()
        self.url = f"http://{self.host}:{self.port}"
        self.token_url = f"{self.url}/token"
        self._server: uvicorn.Server | None = None
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def env(self) -> dict[str, str]:
        """The VNFM settings that point at this NFVO."""
        return {
            "SERVICEVM_NFVO_URL": self.url,
            "SERVICEVM_NFVO_TOKEN_URL": self.token_url,
            "SERVICEVM_NFVO_CLIENT_ID": self.state.client_id,
            "SERVICEVM_NFVO_CLIENT_SECRET": self.state.client_secret,
        }

    def up(self, timeout: float = 10.0) -> NfvoSimulator:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        config = uvicorn.Config(build_app(self.state), log_level="warning", access_log=False)
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="nfvosim", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("NFVO simulator did not start")
            time.sleep(0.01)
        self._server, self._thread, self._socket = server, thread, sock
        return self

    def down(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server, self._thread, self._socket = None, None, None

    def behave(self, **fields: Any) -> None:
        """How the next grant requests are answered (``Behaviour``'s fields)."""
        with self.state.lock:
            self.state.behaviour = Behaviour(**fields)

    def add_package(self, sample: str, user_defined_data: Mapping[str, Any] | None = None) -> str:
        """Onboard ``samples/vnf_packages/<sample>`` at the NFVO; its vnfdId."""
        return self.add_csar(sample_package(sample), user_defined_data)

    def add_csar(self, content: bytes, user_defined_data: Mapping[str, Any] | None = None) -> str:
        vnfd = parse_package(content).vnfd
        info = {
            "id": vnfd.descriptor_id,
            "vnfdId": vnfd.descriptor_id,
            "vnfProvider": vnfd.provider,
            "vnfProductName": vnfd.product_name,
            "vnfSoftwareVersion": vnfd.software_version,
            "vnfdVersion": vnfd.descriptor_version,
            "onboardingState": "ONBOARDED",
            "operationalState": "ENABLED",
            "usageState": "NOT_IN_USE",
            "userDefinedData": dict(user_defined_data or {}),
        }
        package = Package(info=info, content=content, vnfd=_definitions(content))
        with self.state.lock:
            self.state.packages[vnfd.descriptor_id] = package
        return vnfd.descriptor_id

    def __enter__(self) -> NfvoSimulator:
        return self.up()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.down()


def _definitions(content: bytes) -> bytes:
    """The VNFD's files (Definitions/) as a zip, as SOL005's GET .../vnfd gives them."""
    files = read_csar(content).files
    return build_csar_from_files({k: v for k, v in files.items() if k.startswith("Definitions/")})
