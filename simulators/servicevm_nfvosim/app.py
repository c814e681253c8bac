"""The simulated NFVO's HTTP interface (FastAPI): token, grants, packages, admin."""

from __future__ import annotations

import asyncio
import base64
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import Body, FastAPI, Header, HTTPException, Request, Response
from fastapi.responses import JSONResponse

from servicevm_nfvosim.state import Behaviour, NfvoState

PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str) -> JSONResponse:
    body = {"type": "about:blank", "status": status, "title": title, "detail": detail}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def build_app(state: NfvoState) -> FastAPI:
    app = FastAPI(title="servicevm NFVO simulator")

    def check_token(authorization: str | None) -> None:
        token = (authorization or "").removeprefix("Bearer ").strip()
        if token not in state.tokens:
            raise HTTPException(401, "a valid bearer token is required")

    @app.post("/token")
    async def token(request: Request, authorization: Annotated[str | None, Header()] = None) -> Any:
        # The form by hand: python-multipart is not a dependency of the suite.
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        user, _, secret = _basic(authorization)
        if form.get("grant_type") != "client_credentials" or (user, secret) != (
            state.client_id,
            state.client_secret,
        ):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        return {"access_token": state.issue_token(), "token_type": "Bearer", "expires_in": 3600}

    @app.post("/grant/v1/grants")
    async def create_grant(
        body: Annotated[dict[str, Any], Body()],
        authorization: Annotated[str | None, Header()] = None,
    ) -> Response:
        check_token(authorization)
        with state.lock:
            state.grant_requests.append(body)
            behaviour = state.behaviour
        if behaviour.delay_seconds:
            await asyncio.sleep(behaviour.delay_seconds)
        if behaviour.mode == "refuse":
            return problem(403, "Grant rejected", behaviour.reason)
        if behaviour.mode == "error":
            return problem(503, "NFVO unavailable", "the NFVO cannot decide now")
        with state.lock:
            grant = state.grant_for(body)
        if behaviour.mode == "async":
            with state.lock:
                state.pending[grant["id"]] = (behaviour.async_polls, grant)
            location = f"/grant/v1/grants/{grant['id']}"
            return Response(status_code=202, headers={"Location": location})
        return JSONResponse(
            grant, status_code=201, headers={"Location": f"/grant/v1/grants/{grant['id']}"}
        )

    @app.get("/grant/v1/grants/{grant_id}")
    async def show_grant(
        grant_id: str, authorization: Annotated[str | None, Header()] = None
    ) -> Response:
        check_token(authorization)
        with state.lock:
            found = state.pending.get(grant_id)
            if found is None:
                return problem(404, "Not Found", f"grant {grant_id} is unknown")
            polls, grant = found
            state.pending[grant_id] = (max(0, polls - 1), grant)
        if polls > 0:
            return Response(status_code=202, headers={"Location": f"/grant/v1/grants/{grant_id}"})
        assert grant is not None
        return JSONResponse(grant, status_code=200)

    @app.get("/vnfpkgm/v1/onboarded_vnf_packages/{vnfd_id}")
    async def package(vnfd_id: str, authorization: Annotated[str | None, Header()] = None) -> Any:
        check_token(authorization)
        found = state.packages.get(vnfd_id)
        if found is None:
            return problem(404, "Not Found", f"no package onboarded with vnfdId {vnfd_id}")
        return found.info

    @app.get("/vnfpkgm/v1/onboarded_vnf_packages/{vnfd_id}/package_content")
    async def content(vnfd_id: str, authorization: Annotated[str | None, Header()] = None) -> Any:
        check_token(authorization)
        found = state.packages.get(vnfd_id)
        if found is None:
            return problem(404, "Not Found", f"no package onboarded with vnfdId {vnfd_id}")
        return Response(found.content, media_type="application/zip")

    @app.get("/vnfpkgm/v1/onboarded_vnf_packages/{vnfd_id}/vnfd")
    async def vnfd(vnfd_id: str, authorization: Annotated[str | None, Header()] = None) -> Any:
        check_token(authorization)
        found = state.packages.get(vnfd_id)
        if found is None:
            return problem(404, "Not Found", f"no package onboarded with vnfdId {vnfd_id}")
        return Response(found.vnfd, media_type="application/zip")

    # --- the test's controls -------------------------------------------------------------

    @app.put("/admin/behaviour")
    async def set_behaviour(body: Annotated[dict[str, Any], Body()]) -> Any:
        try:
            behaviour = Behaviour(**body)
        except TypeError as exc:
            return problem(422, "Unprocessable Content", str(exc))
        with state.lock:
            state.behaviour = behaviour
        return body

    @app.get("/admin/grant_requests")
    async def grant_requests() -> Any:
        with state.lock:
            return list(state.grant_requests)

    return app


def _basic(authorization: str | None) -> tuple[str, str, str]:
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return "", "", ""
    try:
        decoded = base64.b64decode(value).decode()
    except (ValueError, UnicodeDecodeError):
        return "", "", ""
    return decoded.partition(":")
