"""Just enough of HOT (Heat templates) to run single- and multi-server stacks.

Supported: parameters with defaults, OS::Nova::Server resources, and the intrinsic
functions get_param, get_resource, get_attr (first_address, networks, name, show) and
list_join. Anything else is refused the way Heat refuses it, so a test never passes on a
template the simulator silently misread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from servicevm_cloudsim.model import CloudError

SERVER_TYPE = "OS::Nova::Server"

# (resource name, attribute path) -> value; supplied by the orchestration state.
AttrResolver = Callable[[str, list[Any]], Any]


def merge_parameters(template: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    declared: dict[str, Any] = template.get("parameters") or {}
    for name in given:
        if name not in declared:
            raise CloudError(400, f"The Parameter ({name}) was not defined in template.")
    merged: dict[str, Any] = {}
    for name, schema in declared.items():
        if name in given:
            merged[name] = given[name]
        elif isinstance(schema, dict) and "default" in schema:
            merged[name] = schema["default"]
        else:
            raise CloudError(400, f"The Parameter ({name}) was not provided.")
    return merged


def server_resources(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Logical name -> unresolved properties of every server in the template."""
    resources: dict[str, Any] = template.get("resources") or {}
    servers: dict[str, dict[str, Any]] = {}
    for name, body in resources.items():
        kind = body.get("type") if isinstance(body, dict) else None
        if kind != SERVER_TYPE:
            raise CloudError(400, f"The Resource Type ({kind}) could not be found.")
        servers[name] = dict(body.get("properties") or {})
    return servers


def resolve(value: Any, params: dict[str, Any], attr: AttrResolver) -> Any:
    """Evaluate the intrinsic functions inside a template value."""
    if isinstance(value, list):
        return [resolve(item, params, attr) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((fn, args),) = value.items()
        if fn == "get_param":
            return _get_param(resolve(args, params, attr), params)
        if fn == "get_resource":
            return attr(str(args), ["id"])
        if fn == "get_attr":
            name, *path = resolve(args, params, attr)
            return attr(str(name), path)
        if fn == "list_join":
            separator, items = resolve(args, params, attr)
            return str(separator).join(str(item) for item in items)
    return {key: resolve(item, params, attr) for key, item in value.items()}


def _get_param(args: Any, params: dict[str, Any]) -> Any:
    name, *path = args if isinstance(args, list) else [args]
    if name not in params:
        raise CloudError(400, f"The Parameter ({name}) was not provided.")
    value = params[name]
    for key in path:
        value = value[key]
    return value


def walk(value: Any, path: list[Any]) -> Any:
    """Follow get_attr's extra path elements into a dict or list attribute."""
    for key in path:
        value = value[int(key)] if isinstance(value, list) else value.get(key)
    return value
