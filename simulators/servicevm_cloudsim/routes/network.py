"""Neutron v2.0: networks (read-only) and ports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from servicevm_cloudsim import views
from servicevm_cloudsim.deps import StateDep, UserDep
from servicevm_cloudsim.model import CloudError

router = APIRouter(prefix="/network")


@router.get("")
@router.get("/")
def versions(state: StateDep) -> dict[str, Any]:
    link = {"rel": "self", "href": f"{state.base_url}/network/v2.0/"}
    return {"versions": [{"id": "v2.0", "status": "CURRENT", "links": [link]}]}


@router.get("/v2.0/networks")
def list_networks(
    state: StateDep, user: UserDep, name: str | None = None, id: str | None = None
) -> dict[str, Any]:
    with state.cloud.lock:
        networks = [
            views.network(n, user.project.id)
            for n in state.cloud.networks.values()
            if (name is None or n.name == name) and (id is None or n.id == id)
        ]
    return {"networks": networks}


@router.get("/v2.0/networks/{network_id}")
def show_network(state: StateDep, user: UserDep, network_id: str) -> dict[str, Any]:
    network = state.cloud.networks.get(network_id)
    if network is None:
        raise CloudError(404, f"Network {network_id} could not be found.")
    return {"network": views.network(network, user.project.id)}


@router.get("/v2.0/ports")
def list_ports(
    state: StateDep, user: UserDep, device_id: str | None = None, network_id: str | None = None
) -> dict[str, Any]:
    with state.cloud.lock:
        ports = [
            views.port(p, user.project.id)
            for p in state.cloud.ports.values()
            if (device_id is None or p.device_id == device_id)
            and (network_id is None or p.network_id == network_id)
        ]
    return {"ports": ports}


@router.get("/v2.0/ports/{port_id}")
def show_port(state: StateDep, user: UserDep, port_id: str) -> dict[str, Any]:
    port = state.cloud.ports.get(port_id)
    if port is None:
        raise CloudError(404, f"Port {port_id} could not be found.")
    return {"port": views.port(port, user.project.id)}


@router.post("/v2.0/ports", status_code=201)
def create_port(state: StateDep, user: UserDep, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    req = body.get("port") or {}
    port = state.cloud.create_port(str(req.get("network_id")), name=str(req.get("name") or ""))
    return {"port": views.port(port, user.project.id)}


@router.delete("/v2.0/ports/{port_id}", status_code=204)
def delete_port(state: StateDep, user: UserDep, port_id: str) -> None:
    state.cloud.delete_port(port_id)
