"""Per-project limits on writes, counted in Redis (fixed windows), shared by every api process.

If Redis cannot be reached the write is let through and a warning logged ("fail open"): an
outage of the limiter must not become an outage of the API, and each write is still bounded by
authentication, policy, the body limit and the request timeout.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from redis import asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

KEY_PREFIX = "servicevm:writes"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0


class WriteRateLimiter:
    def __init__(self, redis_url: str, *, limit: int, window_seconds: int) -> None:
        self.limit = limit
        self.window = max(1, window_seconds)
        self._redis = aioredis.from_url(
            redis_url, socket_connect_timeout=0.5, socket_timeout=0.5, retry_on_timeout=False
        )

    async def hit(self, project_id: str) -> Verdict:
        """Count one write of ``project_id``; refuse it past the limit of the current window."""
        if self.limit <= 0:
            return Verdict(allowed=True)
        now = time.time()
        window = int(now // self.window)
        key = f"{KEY_PREFIX}:{project_id}:{window}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, self.window + 1)
                count, _ = await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning(
                "write rate limiter unavailable, letting the write through: %s",
                exc.__class__.__name__,
            )
            return Verdict(allowed=True)
        if int(count) <= self.limit:
            return Verdict(allowed=True)
        retry_after = max(1, math.ceil((window + 1) * self.window - now))
        return Verdict(allowed=False, retry_after=retry_after)

    async def close(self) -> None:
        await self._redis.aclose()
