"""The monitoring engine's Celery worker and beat beside the suite, and local appliances' pids."""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from servicevm_mgmt.monitoring.engine import running_engine
from tests.support.environment import APPLIANCE_STATE_DIR

# Rounds twice a second, results written ten times a second: the tests' intervals are short.
ENGINE_ENV = {"SERVICEVM_MONITOR_ROUND_SECONDS": "0.5", "SERVICEVM_MONITOR_FLUSH_SECONDS": "0.1"}


@contextmanager
def monitoring_engine(env: dict[str, str], log_dir: Path) -> Iterator[None]:
    with running_engine({**os.environ, **env, **ENGINE_ENV}, log_dir, level="INFO"):
        yield


def appliance_pid(instance_id: str) -> int:
    """The pid of a local appliance, from the local driver's state file."""
    record: dict[str, Any] = json.loads((APPLIANCE_STATE_DIR / f"{instance_id}.json").read_text())
    return int(record["pid"])


class Listener:
    """A TCP port the ``ping`` monitor connects to, that the test closes and opens again."""

    def __init__(self) -> None:
        self.port = 0
        self._server: socket.socket | None = None
        self.open()

    def open(self) -> None:
        self._server = socket.create_server(("127.0.0.1", self.port))
        self.port = self._server.getsockname()[1]
        threading.Thread(target=self._accept, args=(self._server,), daemon=True).start()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return  # closed
            connection.close()

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
