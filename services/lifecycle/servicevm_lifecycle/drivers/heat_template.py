"""Pure HOT handling for the heat driver: the template to use, its parameters, its outputs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from servicevm_lifecycle.drivers import cloud_spec
from servicevm_lifecycle.drivers.base import DeviceDriverError, DeviceSpec, InstanceFacts

HOT_VERSION = "2018-08-31"
MGMT_OUTPUTS = ("mgmt_address", "mgmt_ip")


class _HotLoader(yaml.SafeLoader):
    """Heat's own rule: dates stay strings (``heat_template_version: 2018-08-31``), so the
    template goes to Heat as written and stays JSON-serializable."""


_HotLoader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def template_for(spec: DeviceSpec) -> dict[str, Any]:
    """The template attribute ``heat_template`` (YAML), else a generated single server."""
    text = spec.template_attributes.get("heat_template")
    if not text:
        return generated_template(spec)
    try:
        template = yaml.load(text, Loader=_HotLoader)  # a SafeLoader: no objects built
    except yaml.YAMLError as exc:
        raise DeviceDriverError(f"heat_template is not valid YAML: {exc}") from exc
    if not isinstance(template, dict) or "heat_template_version" not in template:
        raise DeviceDriverError("heat_template is not a HOT template (no heat_template_version)")
    return template


def generated_template(spec: DeviceSpec) -> dict[str, Any]:
    """One OS::Nova::Server from image/flavor/... attributes and the service contexts."""
    attrs = spec.template_attributes
    for key in ("image", "flavor"):
        if not attrs.get(key):
            raise DeviceDriverError(
                f"template attribute {key!r} or 'heat_template' is required by the heat driver"
            )
    request = cloud_spec.server_request(spec)
    properties: dict[str, Any] = {
        "image": {"get_param": "image"},
        "flavor": {"get_param": "flavor"},
        "name": request["name"],
        "metadata": request["metadata"],
        "networks": [
            {"port": nic["port"]} if "port" in nic else {"network": nic["uuid"]}
            for nic in request.get("networks", [])
        ],
    }
    for key in ("key_name", "availability_zone"):
        if key in request:
            properties[key] = request[key]
    if attrs.get("user_data"):
        properties["user_data"] = attrs["user_data"]  # Heat encodes it for Nova itself
    if "security_groups" in request:
        properties["security_groups"] = [g["name"] for g in request["security_groups"]]
    return {
        "heat_template_version": HOT_VERSION,
        "description": f"servicevm device {spec.device_id}",
        "parameters": {
            "image": {"type": "string", "default": attrs["image"]},
            "flavor": {"type": "string", "default": attrs["flavor"]},
        },
        "resources": {"server": {"type": "OS::Nova::Server", "properties": properties}},
        "outputs": {
            "mgmt_address": {"value": _mgmt_address_value(spec)},
            "host": {"value": {"get_attr": ["server", "show", "OS-EXT-SRV-ATTR:host"]}},
            "availability_zone": {
                "value": {"get_attr": ["server", "show", "OS-EXT-AZ:availability_zone"]}
            },
        },
    }


def _mgmt_address_value(spec: DeviceSpec) -> dict[str, Any]:
    # Heat's `networks` attribute is keyed by network name and by id: take the management
    # network's first address; with no management network (or only a port), the first one.
    for context in cloud_spec.plugged_contexts(spec):
        if context.role == cloud_spec.MANAGEMENT_ROLE and context.network_id is not None:
            return {"get_attr": ["server", "networks", str(context.network_id), 0]}
    return {"get_attr": ["server", "first_address"]}


def stack_parameters(template: Mapping[str, Any], kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """kwargs ``parameters`` (a dict), plus scalar kwargs named like a template parameter."""
    declared = template.get("parameters") or {}
    given = kwargs.get("parameters") or {}
    if not isinstance(given, Mapping):
        raise DeviceDriverError("kwargs 'parameters' must be a mapping")
    scalars = {
        key: value
        for key, value in kwargs.items()
        if key in declared and isinstance(value, str | int | float | bool)
    }
    return {**scalars, **given}


def facts_from_outputs(outputs: Iterable[Mapping[str, Any]] | None) -> InstanceFacts:
    values = {o.get("output_key"): o.get("output_value") for o in outputs or []}
    mgmt = next((values[k] for k in MGMT_OUTPUTS if values.get(k)), None)
    host, zone = values.get("host"), values.get("availability_zone")
    return InstanceFacts(
        mgmt_address=str(mgmt) if mgmt else None,
        host=str(host) if host else None,
        availability_zone=str(zone) if zone else None,
    )
