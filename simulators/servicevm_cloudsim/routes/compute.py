"""Nova v2.1 (no microversions beyond 2.1): servers, metadata, flavors, zones."""

from __future__ import annotations

import base64
import re
from typing import Any

from fastapi import APIRouter, Body, Response

from servicevm_cloudsim import views
from servicevm_cloudsim.cloud import HOSTS, BootRequest
from servicevm_cloudsim.deps import StateDep, UserDep
from servicevm_cloudsim.model import CloudError, Flavor

router = APIRouter(prefix="/compute")


def _version(base_url: str) -> dict[str, Any]:
    return {
        "id": "v2.1",
        "status": "CURRENT",
        "version": "2.1",
        "min_version": "2.1",
        "updated": "2013-07-23T11:33:21Z",
        "links": [{"rel": "self", "href": f"{base_url}/compute/v2.1/"}],
        "media-types": [
            {
                "base": "application/json",
                "type": "application/vnd.openstack.compute+json;version=2.1",
            }
        ],
    }


@router.get("")
@router.get("/")
def versions(state: StateDep) -> dict[str, Any]:
    return {"versions": [_version(state.base_url)]}


@router.get("/v2.1")
@router.get("/v2.1/")
def version(state: StateDep) -> dict[str, Any]:
    return {"version": _version(state.base_url)}


@router.post("/v2.1/servers", status_code=202)
def create_server(
    state: StateDep, user: UserDep, response: Response, body: dict[str, Any] = Body(...)
) -> dict[str, Any]:
    server = state.cloud.boot(user, _boot_request(body.get("server") or {}))
    response.headers["Location"] = f"{state.base_url}/compute/v2.1/servers/{server.id}"
    return {
        "server": {"id": server.id, "links": [], "adminPass": "sim-password", "security_groups": []}
    }


def _boot_request(req: dict[str, Any]) -> BootRequest:
    for key in ("name", "imageRef", "flavorRef"):
        if not req.get(key):
            raise CloudError(
                400, f"Invalid input for field/attribute server: '{key}' is a required property"
            )
    nics = req.get("networks")
    nics = nics if isinstance(nics, list) else []
    user_data = req.get("user_data")
    return BootRequest(
        name=str(req["name"]),
        image_id=str(req["imageRef"]),
        flavor_id=str(req["flavorRef"]),
        networks=[str(n["uuid"]) for n in nics if "uuid" in n and "port" not in n],
        ports=[str(n["port"]) for n in nics if "port" in n],
        zone=req.get("availability_zone"),
        metadata={str(k): str(v) for k, v in (req.get("metadata") or {}).items()},
        key_name=req.get("key_name"),
        user_data=base64.b64decode(user_data).decode() if user_data else None,
        security_groups=[g["name"] for g in req.get("security_groups") or [{"name": "default"}]],
    )


@router.get("/v2.1/servers")
@router.get("/v2.1/servers/detail")
def list_servers(
    state: StateDep, user: UserDep, name: str | None = None, status: str | None = None
) -> dict[str, Any]:
    servers = [
        views.server(state.cloud, s, state.base_url)
        for s in state.cloud.snapshot_servers()
        if s.project_id == user.project.id
        and (name is None or re.search(name, s.name))
        and (status is None or s.status == status.upper())
    ]
    return {"servers": servers}


@router.get("/v2.1/servers/{server_id}")
def show_server(state: StateDep, user: UserDep, server_id: str) -> dict[str, Any]:
    return {"server": views.server(state.cloud, state.cloud.server(server_id), state.base_url)}


@router.put("/v2.1/servers/{server_id}")
def update_server(
    state: StateDep, user: UserDep, server_id: str, body: dict[str, Any] = Body(...)
) -> dict[str, Any]:
    with state.cloud.lock:
        server = state.cloud.server(server_id)
        if "name" in (body.get("server") or {}):
            server.name = str(body["server"]["name"])
        return {"server": views.server(state.cloud, server, state.base_url)}


@router.post("/v2.1/servers/{server_id}/action", status_code=202)
def server_action(
    state: StateDep, user: UserDep, server_id: str, body: dict[str, Any] = Body(...)
) -> None:
    """os-stop / os-start, as Nova answers them: 409 unless ACTIVE / SHUTOFF respectively."""
    wanted = {"os-stop": ("ACTIVE", "SHUTOFF"), "os-start": ("SHUTOFF", "ACTIVE")}
    action = next((name for name in body if name in wanted), None)
    if action is None:
        raise CloudError(400, f"unsupported server action {sorted(body)}")
    if action == "os-stop":
        state.cloud.stop_server(server_id)
        return
    with state.cloud.lock:
        server = state.cloud.server(server_id)
        before, after = wanted[action]
        if server.status != before:
            raise CloudError(
                409, f"Cannot '{action[3:]}' instance {server_id} while it is {server.status}"
            )
        server.status = after


@router.delete("/v2.1/servers/{server_id}", status_code=204)
def delete_server(state: StateDep, user: UserDep, server_id: str) -> None:
    state.cloud.delete_server(server_id)


@router.get("/v2.1/servers/{server_id}/metadata")
def show_metadata(state: StateDep, user: UserDep, server_id: str) -> dict[str, Any]:
    return {"metadata": state.cloud.server(server_id).metadata}


@router.post("/v2.1/servers/{server_id}/metadata")
@router.put("/v2.1/servers/{server_id}/metadata")
def set_metadata(
    state: StateDep, user: UserDep, server_id: str, body: dict[str, Any] = Body(...)
) -> dict[str, Any]:
    # POST merges into the metadata, PUT replaces it; Nova answers with the result.
    with state.cloud.lock:
        server = state.cloud.server(server_id)
        server.metadata.update({str(k): str(v) for k, v in (body.get("metadata") or {}).items()})
        return {"metadata": server.metadata}


@router.delete("/v2.1/servers/{server_id}/metadata/{key}", status_code=204)
def delete_metadata_item(state: StateDep, user: UserDep, server_id: str, key: str) -> None:
    with state.cloud.lock:
        if state.cloud.server(server_id).metadata.pop(key, None) is None:
            raise CloudError(404, f"Metadata item was not found: {key}")


@router.get("/v2.1/flavors")
@router.get("/v2.1/flavors/detail")
def list_flavors(state: StateDep, user: UserDep) -> dict[str, Any]:
    return {"flavors": [views.flavor(f) for f in list(state.cloud.flavors.values())]}


@router.get("/v2.1/flavors/{flavor_id}")
def show_flavor(state: StateDep, user: UserDep, flavor_id: str) -> dict[str, Any]:
    flavor: Flavor | None = state.cloud.flavors.get(flavor_id)
    if flavor is None:
        raise CloudError(404, f"Flavor {flavor_id} could not be found.")
    return {"flavor": views.flavor(flavor)}


@router.get("/v2.1/flavors/{flavor_id}/os-extra_specs")
def flavor_extra_specs(state: StateDep, user: UserDep, flavor_id: str) -> dict[str, Any]:
    return {"extra_specs": {}}


@router.get("/v2.1/os-availability-zone")
def availability_zones(state: StateDep, user: UserDep) -> dict[str, Any]:
    zones = sorted(set(HOSTS.values()))
    return {
        "availabilityZoneInfo": [
            {"zoneName": z, "zoneState": {"available": True}, "hosts": None} for z in zones
        ]
    }
