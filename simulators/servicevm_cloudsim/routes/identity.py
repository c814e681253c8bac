"""Keystone v3: discovery, password and application-credential tokens, validation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Body, Header, Response
from fastapi.responses import JSONResponse

from servicevm_cloudsim.deps import StateDep
from servicevm_cloudsim.model import CloudError
from servicevm_cloudsim.state import SimState

router = APIRouter(prefix="/identity")

# Catalog type -> (path under the simulator, service name).
SERVICES: dict[str, tuple[str, str]] = {
    "identity": ("/identity/v3", "keystone"),
    "compute": ("/compute/v2.1", "nova"),
    "network": ("/network", "neutron"),
    "image": ("/image", "glance"),
    "orchestration": ("/orchestration/v1/{project_id}", "heat"),
}


def _version(state: SimState) -> dict[str, Any]:
    return {
        "id": "v3.14",
        "status": "stable",
        "updated": "2020-04-07T00:00:00Z",
        "links": [{"rel": "self", "href": f"{state.base_url}/identity/v3/"}],
        "media-types": [
            {"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}
        ],
    }


@router.get("")
@router.get("/")
def versions(state: StateDep) -> JSONResponse:
    return JSONResponse({"versions": {"values": [_version(state)]}}, status_code=300)


@router.get("/v3")
@router.get("/v3/")
def version(state: StateDep) -> dict[str, Any]:
    return {"version": _version(state)}


@router.post("/v3/auth/tokens", status_code=201)
def issue_token(
    state: StateDep, response: Response, body: dict[str, Any] = Body(...)
) -> dict[str, Any]:
    identity = body.get("auth", {}).get("identity", {})
    methods: list[str] = identity.get("methods", [])
    if "application_credential" in methods:
        cred = identity.get("application_credential", {})
        token = state.cloud.authenticate_app_credential(
            str(cred.get("id")), str(cred.get("secret"))
        )
    elif "password" in methods:
        user = identity.get("password", {}).get("user", {})
        token = state.cloud.authenticate_password(str(user.get("name")), str(user.get("password")))
    else:
        raise CloudError(401, f"Unsupported authentication methods {methods}.")
    response.headers["X-Subject-Token"] = token
    return {"token": token_body(state, token, methods)}


@router.get("/v3/auth/tokens")
def validate_token(
    state: StateDep,
    response: Response,
    x_auth_token: str | None = Header(None),
    x_subject_token: str = Header(...),
) -> dict[str, Any]:
    """As Keystone: the caller's own token must be valid (401); an unknown or expired
    subject token is 404."""
    state.cloud.user_for_token(x_auth_token)
    try:
        state.cloud.user_for_token(x_subject_token)
    except CloudError:
        raise CloudError(404, f"Could not find token: {x_subject_token[:8]}...") from None
    response.headers["X-Subject-Token"] = x_subject_token
    return {"token": token_body(state, x_subject_token, ["password"])}


def _timestamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def token_body(state: SimState, token: str, methods: list[str]) -> dict[str, Any]:
    user = state.cloud.user_for_token(token)
    expires = datetime.fromtimestamp(state.cloud.token_expiry(token), UTC)
    project = user.project
    return {
        "methods": methods,
        "issued_at": _timestamp(datetime.now(UTC)),
        "expires_at": _timestamp(expires),
        "user": {
            "id": user.id,
            "name": user.name,
            "domain": {"id": "default", "name": user.domain},
        },
        "project": {
            "id": project.id,
            "name": project.name,
            "domain": {"id": "default", "name": project.domain},
        },
        "roles": [{"id": f"{role}-role", "name": role} for role in user.roles],
        "catalog": _catalog(state, project.id),
    }


def _catalog(state: SimState, project_id: str) -> list[dict[str, Any]]:
    own = {
        kind: (name, state.base_url + path.format(project_id=project_id))
        for kind, (path, name) in SERVICES.items()
    }
    return [
        _service(state, kind, name, url)
        for kind, (name, url) in {**own, **state.external_services}.items()
    ]


def _service(state: SimState, kind: str, name: str, url: str) -> dict[str, Any]:
    return {
        "type": kind,
        "name": name,
        "id": f"{name}-service",
        "endpoints": [
            {
                "id": f"{name}-public",
                "interface": "public",
                "region": state.region,
                "region_id": state.region,
                "url": url,
            }
        ],
    }
