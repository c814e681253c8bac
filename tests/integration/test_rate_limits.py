"""Writes per project per window, counted in the real Redis; fail open when Redis is down."""

from __future__ import annotations

import logging
import uuid

import pytest

from servicevm_api.ratelimit import WriteRateLimiter
from shared.config import Settings
from tests.support.front_door import client, small_app


async def test_writes_past_the_limit_are_429_with_retry_after() -> None:
    limiter = WriteRateLimiter(Settings().redis_url, limit=3, window_seconds=60)
    app = small_app(limiter=limiter)
    project = f"rate-{uuid.uuid4().hex[:8]}"
    try:
        async with client(app, project=project) as member:
            for _ in range(3):
                assert (await member.post("/devices")).status_code == 201
            refused = await member.delete("/devices")
            assert refused.status_code == 429
            assert 1 <= int(refused.headers["Retry-After"]) <= 60
            error = refused.json()["NeutronError"]
            assert error["type"] == "OverLimit"
            assert "Retry after" in error["message"]
            # Reads are not limited, nor are other projects' writes.
            assert (await member.get("/devices")).status_code == 200
        async with client(app, project=f"{project}-other") as other:
            assert (await other.post("/devices")).status_code == 201
    finally:
        await limiter.close()


async def test_refused_callers_do_not_use_up_the_limit() -> None:
    limiter = WriteRateLimiter(Settings().redis_url, limit=1, window_seconds=60)
    app = small_app(limiter=limiter)
    project = f"rate-{uuid.uuid4().hex[:8]}"
    try:
        async with client(app, project=project, roles="reader") as reader:
            for _ in range(3):
                assert (await reader.post("/devices")).status_code == 403
        async with client(app, project=project) as member:
            assert (await member.post("/devices")).status_code == 201
    finally:
        await limiter.close()


async def test_redis_down_lets_writes_through_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Nothing listens on port 1: every count fails to connect.
    limiter = WriteRateLimiter("redis://127.0.0.1:1/0", limit=1, window_seconds=60)
    app = small_app(limiter=limiter)
    try:
        with caplog.at_level(logging.WARNING, logger="servicevm_api.ratelimit"):
            async with client(app) as member:
                for _ in range(3):
                    assert (await member.post("/devices")).status_code == 201
        assert "rate limiter unavailable" in caplog.text
    finally:
        await limiter.close()
