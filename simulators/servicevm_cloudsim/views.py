"""Resource records -> the JSON bodies each OpenStack API answers with."""

from __future__ import annotations

from typing import Any

from servicevm_cloudsim.cloud import Cloud
from servicevm_cloudsim.model import Flavor, Image, Network, Port, Server, Stack


def server(cloud: Cloud, s: Server, base_url: str) -> dict[str, Any]:
    addresses: dict[str, list[dict[str, Any]]] = {}
    for port_id in s.port_ids:
        port = cloud.ports[port_id]
        net = cloud.networks[port.network_id].name
        addresses.setdefault(net, []).append(
            {
                "addr": port.ip_address,
                "version": 4,
                "OS-EXT-IPS:type": "fixed",
                "OS-EXT-IPS-MAC:mac_addr": port.mac_address,
            }
        )
    body: dict[str, Any] = {
        "id": s.id,
        "name": s.name,
        "status": s.status,
        "tenant_id": s.project_id,
        "user_id": s.user_id,
        "metadata": s.metadata,
        "addresses": addresses,
        "image": {"id": s.image_id},
        "flavor": {"id": s.flavor_id},
        "key_name": s.key_name,
        "security_groups": [{"name": g} for g in s.security_groups],
        "hostId": f"host-{s.host}",
        "OS-EXT-SRV-ATTR:host": s.host,
        "OS-EXT-AZ:availability_zone": s.zone,
        "OS-EXT-STS:vm_state": s.status.lower(),
        "OS-EXT-STS:task_state": _task_state(s),
        "created": s.created,
        "updated": s.updated or s.created,
        "links": [{"rel": "self", "href": f"{base_url}/compute/v2.1/servers/{s.id}"}],
    }
    if s.fault is not None:
        body["fault"] = {"code": 500, "message": s.fault, "created": s.updated}
    return body


def flavor(f: Flavor) -> dict[str, Any]:
    return {
        "id": f.id,
        "name": f.name,
        "vcpus": f.vcpus,
        "ram": f.ram,
        "disk": f.disk,
        "OS-FLV-EXT-DATA:ephemeral": 0,
        "swap": "",
        "rxtx_factor": 1.0,
        "os-flavor-access:is_public": True,
        "links": [],
    }


def image(i: Image) -> dict[str, Any]:
    return {
        "id": i.id,
        "name": i.name,
        "status": "active",
        "visibility": "public",
        "disk_format": "qcow2",
        "container_format": "bare",
        "min_disk": 0,
        "min_ram": 0,
        "size": 16 * 1024 * 1024,
        "tags": [],
    }


def network(n: Network, project_id: str) -> dict[str, Any]:
    return {
        "id": n.id,
        "name": n.name,
        "status": "ACTIVE",
        "admin_state_up": True,
        "subnets": [n.subnet_id],
        "tenant_id": project_id,
        "project_id": project_id,
        "shared": True,
    }


def port(p: Port, project_id: str) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "network_id": p.network_id,
        "device_id": p.device_id,
        "device_owner": p.device_owner,
        "mac_address": p.mac_address,
        "fixed_ips": [{"subnet_id": p.subnet_id, "ip_address": p.ip_address}],
        "status": "ACTIVE" if p.device_id else "DOWN",
        "admin_state_up": True,
        "tenant_id": project_id,
        "project_id": project_id,
    }


def stack(s: Stack, base_url: str) -> dict[str, Any]:
    return {
        "id": s.id,
        "stack_name": s.name,
        "stack_status": s.stack_status,
        "stack_status_reason": s.status_reason,
        "outputs": s.outputs,
        "parameters": s.parameters,
        "creation_time": s.created,
        "updated_time": s.updated,
        "disable_rollback": True,
        "timeout_mins": None,
        "template_description": s.template.get("description", ""),
        "project": s.project_id,
        "links": [
            {
                "rel": "self",
                "href": f"{base_url}/orchestration/v1/{s.project_id}/stacks/{s.name}/{s.id}",
            }
        ],
    }


def _task_state(s: Server) -> str | None:
    if s.delete_at is not None:
        return "deleting"
    return "powering-off" if s.stop_at is not None else None
