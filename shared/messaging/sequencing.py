"""Run messages concurrently, except that messages about one resource run one after another.

A consumer hands over messages in delivery order; those sharing a subject (a device id, a
template id) are chained so each starts only when the previous one has finished, whatever
its outcome. A message may also depend on other subjects (a device on its template): it then
waits for their messages already in flight too, so a device is never created before the
template it was accepted with. Unrelated messages overlap, up to the consumer's prefetch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from typing import Any


class SubjectSequencer:
    """Must be used from its event loop's thread only."""

    def __init__(self) -> None:
        self._tails: dict[str, asyncio.Future[Any]] = {}

    def submit(
        self, subject: str, work: Coroutine[Any, Any, None], *, after: Sequence[str] = ()
    ) -> asyncio.Future[None]:
        previous = [self._tails[key] for key in (subject, *after) if key in self._tails]
        task: asyncio.Future[None] = asyncio.ensure_future(self._after(previous, work))
        self._tails[subject] = task
        task.add_done_callback(lambda done: self._forget(subject, done))
        return task

    async def run(
        self, subject: str, work: Coroutine[Any, Any, None], *, after: Sequence[str] = ()
    ) -> None:
        await self.submit(subject, work, after=after)

    def in_flight(self) -> int:
        return len(self._tails)

    @staticmethod
    async def _after(previous: list[asyncio.Future[Any]], work: Coroutine[Any, Any, None]) -> None:
        if previous:
            await asyncio.wait(previous)  # their failures are their own messages' business
        await work

    def _forget(self, subject: str, done: asyncio.Future[Any]) -> None:
        if self._tails.get(subject) is done:
            del self._tails[subject]
