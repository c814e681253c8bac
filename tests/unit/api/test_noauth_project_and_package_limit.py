"""SERVICEVM_NOAUTH_PROJECT for clients that name no project, and the larger body limit of a
VNF package's content."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, Request

from servicevm_api.entrypoints.errors import install_error_handlers
from servicevm_api.entrypoints.guards import BodySizeLimit
from servicevm_api.identity import NoAuth, Unauthenticated


async def test_a_request_naming_no_project_uses_the_configured_one_as_member() -> None:
    identity = await NoAuth("cli-project").identify({})
    assert identity.project_id == "cli-project" and identity.roles == frozenset({"member"})
    named = await NoAuth("cli-project").identify({"x-project-id": "p2", "x-roles": "reader"})
    assert named.project_id == "p2" and named.roles == frozenset({"reader"})
    with pytest.raises(Unauthenticated):
        await NoAuth().identify({})


async def test_package_content_may_be_larger_than_other_bodies() -> None:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=10, max_package_bytes=1000)

    @app.put("/{path:path}")
    async def put(request: Request) -> dict[str, int]:
        return {"received": len(await request.body())}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        content = b"x" * 500
        package = await http.put("/vnfpkgm/v1/vnf_packages/abc/package_content", content=content)
        assert package.status_code == 200 and package.json() == {"received": 500}
        other = await http.put("/vnfpkgm/v1/vnf_packages/abc", content=content)
        assert other.status_code == 413
        too_big = await http.put(
            "/vnfpkgm/v1/vnf_packages/abc/package_content", content=b"x" * 1001
        )
        assert too_big.status_code == 413
