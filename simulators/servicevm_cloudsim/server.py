"""CloudSimulator: the simulated cloud served over real HTTP from a background thread."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from servicevm_cloudsim.app import build_app
from servicevm_cloudsim.cloud import Cloud, Timing
from servicevm_cloudsim.faults import Faults
from servicevm_cloudsim.model import Server, Stack
from servicevm_cloudsim.state import SimState


class CloudSimulator:
    """Start it, point openstacksdk at `auth_url`, inject faults, inspect what is left.

    >>> with CloudSimulator() as sim:
    ...     conn = openstack.connection.Connection(auth=sim.password_auth(), ...)
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, timing: Timing | None = None
    ) -> None:
        self.state = SimState.new(Cloud(timing=timing))
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))  # port 0: the kernel picks a free one
        self.host, self.port = self._socket.getsockname()[:2]
        self.url = f"http://{self.host}:{self.port}"
        self.state.base_url = self.url
        config = uvicorn.Config(build_app(self.state), log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="cloudsim", daemon=True)

    def _run(self) -> None:
        self._server.run(sockets=[self._socket])

    def start(self, timeout: float = 10.0) -> CloudSimulator:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("cloud simulator did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> CloudSimulator:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- what a client needs --------------------------------------------------------
    @property
    def auth_url(self) -> str:
        return f"{self.url}/identity/v3"

    @property
    def cloud(self) -> Cloud:
        return self.state.cloud

    @property
    def faults(self) -> Faults:
        return self.state.cloud.faults

    def add_service(self, kind: str, name: str, url: str) -> None:
        """Name a service outside the simulator in the Keystone catalog (for every token)."""
        self.state.external_services[kind] = (name, url)

    # --- inspection -----------------------------------------------------------------
    @property
    def servers(self) -> list[Server]:
        return self.state.cloud.snapshot_servers()

    @property
    def stacks(self) -> list[Stack]:
        return self.state.orchestration.snapshot()

    def requests(self, path_contains: str = "") -> list[tuple[str, str, int]]:
        return [
            (r.method, r.path, r.status)
            for r in list(self.state.requests)
            if path_contains in r.path
        ]
