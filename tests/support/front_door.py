"""A small app behind the api's real front door: identity, policy, rate limits and guards."""

from __future__ import annotations

import asyncio
from typing import Annotated

import httpx
from fastapi import FastAPI, Request

from servicevm_api.entrypoints.deps import Caller, authorize
from servicevm_api.entrypoints.errors import install_error_handlers
from servicevm_api.entrypoints.guards import BodySizeLimit, RequestTimeout
from servicevm_api.identity import NoAuth
from servicevm_api.policy import make_enforcer
from servicevm_api.ratelimit import WriteRateLimiter


def small_app(
    *,
    policy_file: str = "",
    limiter: WriteRateLimiter | None = None,
    max_body_bytes: int = 1024,
    timeout_seconds: float = 5.0,
) -> FastAPI:
    app = FastAPI()
    app.state.authenticator = NoAuth()
    app.state.enforcer = make_enforcer(policy_file)
    app.state.rate_limiter = limiter
    install_error_handlers(app)
    app.add_middleware(RequestTimeout, seconds=timeout_seconds)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)

    @app.get("/devices")
    async def list_devices(
        caller: Annotated[Caller, authorize("device", "get_all")],
    ) -> dict[str, object]:
        return {"project": caller.project_id, "admin": caller.is_admin}

    @app.post("/devices", status_code=201)
    async def create_device(
        request: Request, caller: Annotated[Caller, authorize("device", "create")]
    ) -> dict[str, int]:
        return {"received": len(await request.body())}

    @app.delete("/devices", status_code=204)
    async def delete_device(caller: Annotated[Caller, authorize("device", "delete")]) -> None:
        return None

    @app.get("/slow")
    async def slow() -> dict[str, str]:
        await asyncio.sleep(10)
        return {"late": "yes"}

    return app


def client(app: FastAPI, project: str = "p1", roles: str = "member") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers={"X-Project-Id": project, "X-Roles": roles},
    )
