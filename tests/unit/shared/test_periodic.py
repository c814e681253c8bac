"""A periodic job outlives a failed round: it is logged and the next round runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from shared.periodic import every


async def test_a_failed_round_is_logged_and_the_next_one_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rounds: list[int] = []
    third = asyncio.Event()

    async def once() -> None:
        rounds.append(len(rounds) + 1)
        if len(rounds) == 1:
            raise RuntimeError("the database is away")
        if len(rounds) == 3:
            third.set()

    with caplog.at_level(logging.WARNING, logger="shared.periodic"):
        job = asyncio.create_task(every(0.01, once, job="test sweep"))
        await asyncio.wait_for(third.wait(), 5)
        job.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await job

    assert rounds[:3] == [1, 2, 3]
    failures = [
        r for r in caplog.records if r.getMessage() == "test sweep failed; trying again later"
    ]
    assert len(failures) == 1 and failures[0].exc_info is not None
