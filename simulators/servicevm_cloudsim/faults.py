"""Faults the tests inject: failed boots, error answers, slow answers."""

from __future__ import annotations

import threading
from dataclasses import dataclass

NO_VALID_HOST = "No valid host was found. There are not enough hosts available."


@dataclass
class HttpFault:
    """Answer matching requests with `status` (if set) after `delay` seconds, `count` times.
    With `after`, the request is carried out first and only its answer is slow (or replaced
    by `status`): the cloud did the work, the caller does not know it yet (or never will)."""

    status: int | None = None
    delay: float = 0.0
    count: int | None = 1  # None: every matching request, until cleared
    method: str | None = None
    path_contains: str | None = None
    after: bool = False

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path_contains is None or self.path_contains in path


class Faults:
    """Thread-safe: tests inject from their thread, the server consumes from its own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._http: list[HttpFault] = []
        self._boot_failures: list[str] = []
        self._stop_seconds: list[float] = []

    def add_http(self, fault: HttpFault) -> None:
        with self._lock:
            self._http.append(fault)

    def fail_boots(self, count: int = 1, message: str = NO_VALID_HOST) -> None:
        """The next `count` servers to boot end in ERROR with this fault message."""
        with self._lock:
            self._boot_failures.extend([message] * count)

    def slow_stops(self, seconds: float | None, count: int = 1) -> None:
        """The next `count` servers asked to stop take `seconds` to power off (None: never,
        a guest ignoring the ACPI shutdown); until then they are ACTIVE, powering-off."""
        with self._lock:
            self._stop_seconds.extend([float("inf") if seconds is None else seconds] * count)

    def clear(self) -> None:
        with self._lock:
            self._http.clear()
            self._boot_failures.clear()
            self._stop_seconds.clear()

    def take_http(self, method: str, path: str) -> HttpFault | None:
        """The first fault matching this request, using up one of its count."""
        with self._lock:
            for fault in self._http:
                if not fault.matches(method, path):
                    continue
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self._http.remove(fault)
                return fault
        return None

    def take_boot_failure(self) -> str | None:
        with self._lock:
            return self._boot_failures.pop(0) if self._boot_failures else None

    def take_stop_seconds(self) -> float | None:
        with self._lock:
            return self._stop_seconds.pop(0) if self._stop_seconds else None
