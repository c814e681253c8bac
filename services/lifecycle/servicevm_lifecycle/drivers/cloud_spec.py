"""Pure translation between a DeviceSpec and what the nova and heat drivers ask a cloud for.

No I/O here, so the rules (NIC order, management address, generated HOT, parameters) are
unit tested without a cloud.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from servicevm_lifecycle.drivers.base import DeviceDriverError, DeviceSpec
from shared.contracts.models import ServiceContext

MANAGEMENT_ROLE = "management"
DEVICE_ID_KEY = "servicevm_device_id"


@dataclass(frozen=True)
class PortFacts:
    """One NIC of a built server, as Neutron reports it."""

    port_id: str
    network_id: str
    ip_addresses: tuple[str, ...]


def instance_name(spec: DeviceSpec) -> str:
    return str(spec.kwargs.get("name") or f"servicevm-{spec.device_id}")


def cloud_time(value: object) -> datetime | None:
    """A cloud's ISO 8601 timestamp (``created``, ``creation_time``); None if unreadable."""
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def ready_timeout(spec: DeviceSpec, default: float) -> float:
    """Template attribute ``ready_timeout_seconds``, else the setting."""
    value = spec.template_attributes.get("ready_timeout_seconds")
    try:
        return float(value) if value else default
    except ValueError:
        raise DeviceDriverError(f"ready_timeout_seconds {value!r} is not a number") from None


def plugged_contexts(spec: DeviceSpec) -> list[ServiceContext]:
    """Contexts that give a NIC, in `index` order (unindexed ones keep their place, last)."""
    nics = [c for c in spec.service_contexts if c.port_id is not None or c.network_id is not None]
    return sorted(nics, key=lambda c: (c.index is None, c.index or 0))


def nics(spec: DeviceSpec) -> list[dict[str, str]]:
    """Nova's `networks` list: an existing port wins over its network."""
    return [
        {"port": str(c.port_id)} if c.port_id is not None else {"uuid": str(c.network_id)}
        for c in plugged_contexts(spec)
    ]


def metadata(spec: DeviceSpec) -> dict[str, str]:
    """Template-free metadata from kwargs, plus the device id so a retry finds its server."""
    given = spec.kwargs.get("metadata") or {}
    if not isinstance(given, Mapping):
        raise DeviceDriverError("kwargs 'metadata' must be a mapping of strings")
    return {**{str(k): str(v) for k, v in given.items()}, DEVICE_ID_KEY: str(spec.device_id)}


def server_request(spec: DeviceSpec) -> dict[str, Any]:
    """create_server keyword arguments except image and flavor (which need a lookup)."""
    attrs = spec.template_attributes
    request: dict[str, Any] = {"name": instance_name(spec), "metadata": metadata(spec)}
    if networks := nics(spec):
        request["networks"] = networks
    groups = [g.strip() for g in attrs.get("security_groups", "").split(",") if g.strip()]
    if groups:
        request["security_groups"] = [{"name": g} for g in groups]
    if attrs.get("key_name"):
        request["key_name"] = attrs["key_name"]
    # A zone in the device's kwargs (granted by an external NFVO) wins over the template's.
    if zone := spec.kwargs.get("availability_zone") or attrs.get("availability_zone"):
        request["availability_zone"] = str(zone)
    if attrs.get("user_data"):
        # Nova takes user data base64-encoded; openstacksdk's proxy does not encode it.
        request["user_data"] = base64.b64encode(attrs["user_data"].encode()).decode()
    return request


def pick_mgmt_address(
    contexts: Iterable[ServiceContext],
    ports: Iterable[PortFacts],
    addresses: Mapping[str, Iterable[Mapping[str, Any]]],
) -> str | None:
    """The address on the management context's NIC, else the server's first address."""
    ports = list(ports)
    for context in contexts:
        if context.role != MANAGEMENT_ROLE:
            continue
        for port in ports:
            if _plugs(context, port) and port.ip_addresses:
                return port.ip_addresses[0]
    for entries in addresses.values():
        for entry in entries:
            if entry.get("addr"):
                return str(entry["addr"])
    return None


def _plugs(context: ServiceContext, port: PortFacts) -> bool:
    if context.port_id is not None:
        return str(context.port_id) == port.port_id
    return context.network_id is not None and str(context.network_id) == port.network_id
