"""Waiting for a cloud: capped exponential pauses for retries and for status polling."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

from servicevm_lifecycle.drivers.base import DeviceDriverError

T = TypeVar("T")


def backoff_delays(base: float, cap: float) -> Iterator[float]:
    """base, 2*base, 4*base, ... never more than cap: endless, the caller bounds it."""
    delay = base
    while True:
        yield min(delay, cap)
        delay *= 2


def retry_delays(attempts: int, base: float, cap: float) -> list[float]:
    """The pauses between `attempts` tries: one fewer than the tries."""
    delays = backoff_delays(base, cap)
    return [next(delays) for _ in range(max(attempts - 1, 0))]


async def poll_until(
    fetch: Callable[[], Awaitable[T]],
    is_done: Callable[[T], bool],
    *,
    within: float,
    min_interval: float,
    max_interval: float,
    what: str,
    describe: Callable[[T], str] = str,
) -> T:
    """Fetch until `is_done`; fetch raises to fail early. Raises DeviceDriverError on timeout.

    The driver enforces its own deadline, below the flow's, so that a slow cloud ends with
    a reason that says what it was waiting for instead of a bare TimeoutError.
    """
    deadline = time.monotonic() + within
    pauses = backoff_delays(min_interval, max_interval)
    while True:
        current = await fetch()
        if is_done(current):
            return current
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DeviceDriverError(
                f"timed out after {within:g} s waiting for {what} (last seen: {describe(current)})"
            )
        await asyncio.sleep(min(next(pauses), remaining))
