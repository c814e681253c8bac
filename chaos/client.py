"""A REST client over every api replica, failing over as a load balancer would."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from typing import Any

import httpx

HEADERS = {"X-Project-Id": "chaos", "X-Roles": "member"}
ADMIN_HEADERS = {"X-Project-Id": "chaos", "X-Roles": "admin,member"}
# How long a request keeps trying the replicas while none answers (a restart of the broker
# or the database takes seconds; a dead replica is skipped at once).
GIVE_UP_SECONDS = 60.0


class Unanswered(Exception):
    """No replica answered, or one died after a write was sent: its outcome is unknown."""


class Client:
    def __init__(self, urls: list[str], headers: dict[str, str] = HEADERS) -> None:
        self._clients = [
            httpx.AsyncClient(base_url=url, headers=headers, timeout=30) for url in urls
        ]
        self._next = itertools.cycle(range(len(urls)))
        self.refusals: Counter[str] = Counter()  # "POST /v1.0/devices 409": how many

    async def close(self) -> None:
        await asyncio.gather(*(client.aclose() for client in self._clients))

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The first answer of a replica. A write is sent again only if no replica got it
        (connection refused); a GET is retried on any failure. 503 (a replica not ready,
        its database away) is retried like a connection refused."""
        deadline = time.monotonic() + GIVE_UP_SECONDS
        while True:
            for _ in self._clients:
                client = self._clients[next(self._next)]
                try:
                    response = await client.request(method, path, **kwargs)
                except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout):
                    continue
                except httpx.TransportError as exc:
                    if method != "GET":
                        raise Unanswered(f"{method} {path}: {exc!r}") from exc
                    continue
                if response.status_code != 503:
                    return response
            if time.monotonic() > deadline:
                raise Unanswered(f"{method} {path}: no replica answered in {GIVE_UP_SECONDS}s")
            await asyncio.sleep(0.5)

    async def write(
        self, label: str, method: str, path: str, body: Any = None
    ) -> httpx.Response | None:
        """A write's response if accepted (2xx); None, counted by label and status, if not."""
        response = await self.request(method, path, json=body)
        if response.is_success:
            return response
        self.refusals[f"{label} {response.status_code}"] += 1
        return None

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.request("GET", path, params=params)
