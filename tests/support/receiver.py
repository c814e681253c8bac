"""A subscriber's HTTP endpoint: a stdlib server in a thread on 127.0.0.1 that records what
it receives, and answers with scripted status codes (or never answers)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def notification(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


class Receiver:
    def __init__(self, statuses: list[int] | None = None, *, hang: bool = False) -> None:
        # Answers to the first requests, in order; then 200. hang: never answer.
        self.statuses = list(statuses or [])
        self.hang = hang
        self.attempts: list[Received] = []
        self._ok: list[bool] = []
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/notify"

    @property
    def accepted(self) -> list[Received]:
        """What the receiver answered 2xx to."""
        with self._lock:
            return [r for r, ok in zip(self.attempts, self._ok, strict=True) if ok]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if receiver.hang:
                    receiver._released.wait(30)
                    return
                with receiver._lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.attempts.append(Received(self.path, dict(self.headers), body))
                    receiver._ok.append(200 <= status < 300)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        return Handler

    def wait_for(
        self, predicate: Callable[[list[Received]], bool], timeout: float = 20
    ) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            accepted = self.accepted
            if predicate(accepted):
                return accepted
            time.sleep(0.05)
        raise AssertionError(
            f"never received what was expected; got {[r.notification['event_type'] for r in self.accepted]}"
        )

    def for_resource(self, resource_id: str) -> list[dict[str, Any]]:
        notes = [r.notification for r in self.accepted]
        return [n for n in notes if n["resource_id"] == resource_id]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def receiving(statuses: list[int] | None = None, *, hang: bool = False) -> Iterator[Receiver]:
    receiver = Receiver(statuses, hang=hang)
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()
