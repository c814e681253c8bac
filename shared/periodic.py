"""The loop of a service's periodic background jobs (deadlines, reconcilers, monitors)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def every(seconds: float, once: Callable[[], Awaitable[object]], *, job: str) -> None:
    """Run ``once`` every ``seconds``, forever. A failed round (the database away, a bug in
    one row) is logged and the next round tries again: a job never dies of one failure."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await once()
        except Exception:
            log.warning("%s failed; trying again later", job, extra={"job": job}, exc_info=True)
