"""A SOL003 notification subscriber (an NFVO's endpoint) as a process of its own, and the
test's handle on it.

Run as ``python -m tests.support.subscriber --port P --log FILE [--basic USER:PASS]
[--oauth CLIENT:SECRET]``, it answers:

- ``GET <any>``: 204 (the callback test), when authenticated;
- ``POST /token``: an OAuth2 client-credentials token (client authenticated with Basic);
- ``POST /revoke``: forgets every token issued (the next notification gets a 401);
- ``POST <other>``: a notification, recorded as one JSON line in FILE (its body, the
  headers that matter, when it arrived and when it was answered), 204 after ``--delay``
  seconds; 401 when not authenticated as configured.

Every request is a line in FILE, so the test sees what was refused too. Stopping the
process (SIGKILL) and starting it again on the same port is a subscriber that was down.
"""

from __future__ import annotations

import argparse
import base64
import json
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from shared.devstack import _die_with_parent


def _basic(header: str | None) -> tuple[str, str] | None:
    if not header or not header.startswith("Basic "):
        return None
    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    return user, password


def serve(port: int, log: Path, basic: str | None, oauth: str | None, delay: float = 0.0) -> None:
    tokens: set[str] = set()
    lock = threading.Lock()

    def record(entry: dict[str, Any]) -> None:
        with lock, log.open("a") as out:
            out.write(json.dumps(entry) + "\n")

    class Handler(BaseHTTPRequestHandler):
        def _authenticated(self) -> bool:
            header = self.headers.get("Authorization")
            if basic is not None:
                return _basic(header) == tuple(basic.split(":", 1))
            if oauth is not None:
                return (header or "").removeprefix("Bearer ") in tokens
            return True

        def _answer(self, status: int, body: bytes = b"") -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            if body:
                self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            ok = self._authenticated()
            record({"method": "GET", "path": self.path, "ok": ok})
            self._answer(204 if ok else 401)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path == "/token":
                return self._token()
            if self.path == "/revoke":
                tokens.clear()
                return self._answer(204)
            ok = self._authenticated()
            started = time.time()
            time.sleep(delay)  # a slow subscriber: sends that overlap would show
            record(
                {
                    "method": "POST",
                    "path": self.path,
                    "ok": ok,
                    "started": started,
                    "ended": time.time(),
                    "authorization": (self.headers.get("Authorization") or "").split(" ")[0],
                    "body": json.loads(body) if ok else None,
                }
            )
            self._answer(204 if ok else 401)

        def _token(self) -> None:
            given = _basic(self.headers.get("Authorization"))
            if oauth is None or given != tuple(oauth.split(":", 1)):
                record({"method": "POST", "path": "/token", "ok": False})
                return self._answer(401)
            token = secrets.token_hex(16)
            tokens.add(token)
            record({"method": "POST", "path": "/token", "ok": True})
            reply = {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
            self._answer(200, json.dumps(reply).encode())

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    server.serve_forever()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Subscriber:
    """The test's side: start, stop (down), start again (up), read what arrived."""

    def __init__(
        self,
        log: Path,
        *,
        basic: str | None = None,
        oauth: str | None = None,
        delay: float = 0.0,
    ) -> None:
        self.port = free_port()
        self.log = log
        self._args = [
            *(["--basic", basic] if basic else []),
            *(["--oauth", oauth] if oauth else []),
            *["--delay", str(delay)],
        ]
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/notify"

    @property
    def token_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    def start(self) -> None:
        command = [sys.executable, "-m", "tests.support.subscriber", "--port", str(self.port)]
        self._process = subprocess.Popen(
            [*command, "--log", str(self.log), *self._args], preexec_fn=_die_with_parent
        )
        # Generous: a Python process starting on a loaded 2-core machine took over 10 s.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                exited = self._process.poll()
                if exited is not None:
                    raise RuntimeError(f"the subscriber exited with {exited}") from None
                time.sleep(0.05)
        raise RuntimeError("the subscriber did not start")

    def stop(self) -> None:
        """SIGKILL: gone at once, as a crashed subscriber is."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def revoke_tokens(self) -> None:
        httpx.post(f"http://127.0.0.1:{self.port}/revoke").raise_for_status()

    def requests(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]

    def notifications(self) -> list[dict[str, Any]]:
        """The notification bodies accepted, in the order they arrived (duplicates kept)."""
        return [
            r["body"]
            for r in self.requests()
            if r["method"] == "POST" and r["ok"] and r.get("body")
        ]

    def wait_for(
        self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = 30
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            received = self.notifications()
            if predicate(received):
                return received
            time.sleep(0.1)
        summary = [(n["notificationType"], n.get("operationState")) for n in self.notifications()]
        raise AssertionError(f"never received what was expected; got {summary}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--basic")
    parser.add_argument("--oauth")
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    serve(args.port, args.log, args.basic, args.oauth, args.delay)


if __name__ == "__main__":
    main()
