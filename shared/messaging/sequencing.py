"""Run messages concurrently, except that messages about one resource run one after another.

A consumer hands over messages in delivery order; those sharing a subject (a device id, a
template id) are chained so each starts only when the previous one has finished, whatever
its outcome. Messages about different subjects overlap, up to the consumer's prefetch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


class SubjectSequencer:
    """Must be used from its event loop's thread only."""

    def __init__(self) -> None:
        self._tails: dict[str, asyncio.Future[Any]] = {}

    def submit(self, subject: str, work: Coroutine[Any, Any, None]) -> asyncio.Future[None]:
        previous = self._tails.get(subject)
        task: asyncio.Future[None] = asyncio.ensure_future(self._after(previous, work))
        self._tails[subject] = task
        task.add_done_callback(lambda done: self._forget(subject, done))
        return task

    async def run(self, subject: str, work: Coroutine[Any, Any, None]) -> None:
        await self.submit(subject, work)

    def in_flight(self) -> int:
        return len(self._tails)

    @staticmethod
    async def _after(previous: asyncio.Future[Any] | None, work: Coroutine[Any, Any, None]) -> None:
        if previous is not None:
            await asyncio.wait([previous])  # its failure is its own message's business
        await work

    def _forget(self, subject: str, done: asyncio.Future[Any]) -> None:
        if self._tails.get(subject) is done:
            del self._tails[subject]
