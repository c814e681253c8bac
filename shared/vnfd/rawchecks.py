"""Checks, on the YAML itself, of the VNFD values servicevm builds on. Pure.

tosca-parser reports a missing field of a data type without naming the node it is in, and
fails with a TypeError on some wrong value types; these checks run first and say, for each
node or policy of each flavour file, which value is missing or wrong, e.g.
``Definitions/df.yaml: node VDU1: vdu_profile.max_number_of_instances is missing``.
Values given by a TOSCA function (``get_input``...) are left to tosca-parser.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.vnfd.errors import VnfdError
from shared.vnfd.sources import Sources
from shared.vnfd.units import size_bytes

VDU = "tosca.nodes.nfv.Vdu.Compute"
STORAGE = "tosca.nodes.nfv.Vdu.VirtualBlockStorage"

_COMPUTE = "capabilities.virtual_compute.properties."
_IMAGE_FIELDS = (
    ("name", "str"),
    ("version", "str"),
    ("checksum.algorithm", "str"),
    ("checksum.hash", "str"),
    ("container_format", "str"),
    ("disk_format", "str"),
    ("min_disk", "size"),
    ("size", "size"),
)
_NODE_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    VDU: (
        ("properties.name", "str"),
        ("properties.description", "str"),
        ("properties.vdu_profile.min_number_of_instances", "int"),
        ("properties.vdu_profile.max_number_of_instances", "int"),
        (_COMPUTE + "virtual_cpu.num_virtual_cpu", "positive"),
        (_COMPUTE + "virtual_memory.virtual_mem_size", "size"),
    ),
    STORAGE: (("properties.virtual_block_storage_data.size_of_storage", "size"),),
}
# policy type -> (path to a map, fields each of its entries needs) or plain fields.
_POLICY_MAPS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "tosca.policies.nfv.ScalingAspects": (
        "properties.aspects",
        (("name", "str"), ("description", "str"), ("max_scale_level", "int")),
    ),
    "tosca.policies.nfv.VduScalingAspectDeltas": (
        "properties.deltas",
        (("number_of_instances", "int"),),
    ),
    "tosca.policies.nfv.InstantiationLevels": ("properties.levels", (("description", "str"),)),
    "tosca.policies.nfv.VduInstantiationLevels": (
        "properties.levels",
        (("number_of_instances", "int"),),
    ),
}
_POLICY_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "tosca.policies.nfv.VduInitialDelta": (
        ("properties.initial_delta.number_of_instances", "int"),
    ),
    "tosca.policies.nfv.VduScalingAspectDeltas": (("properties.aspect", "str"),),
}
_MISSING = object()
_NORMATIVE_POLICIES = {
    "tosca.policies.Root",
    "tosca.policies.Placement",
    "tosca.policies.Scaling",
    "tosca.policies.Monitoring",
    "tosca.policies.Update",
    "tosca.policies.Performance",
    "tosca.policies.Reservation",
}


def check_sources(sources: Sources) -> None:
    """Raises VnfdError for the first missing or ill-typed value, naming file and node."""
    for path in sources.flavour_files():
        for name, node in sources.node_templates(path).items():
            _check_node(sources, path, str(name), node if isinstance(node, dict) else {})
        for name, policy in sources.policies(path):
            _check_policy(sources, path, name, policy)


def _check_node(sources: Sources, path: str, name: str, node: dict[str, Any]) -> None:
    for base, fields in _NODE_FIELDS.items():
        if sources.is_a(node.get("type"), base):
            _check_fields(node, fields, file=path, node=name, what="node")
            image = _get(node, "properties.sw_image_data")
            if image is not _MISSING:
                prefixed = tuple((f"properties.sw_image_data.{p}", k) for p, k in _IMAGE_FIELDS)
                _check_fields(node, prefixed, file=path, node=name, what="node")


def _check_policy(sources: Sources, path: str, name: str, policy: dict[str, Any]) -> None:
    kind = policy.get("type")
    if kind not in _NORMATIVE_POLICIES and kind not in sources.parent_types:
        # tosca-parser fails with an AttributeError on a policy of an unknown type.
        raise VnfdError(f"type {kind} is unknown", file=path, node=name, what="policy")
    for base, fields in _POLICY_FIELDS.items():
        if sources.is_a(policy.get("type"), base):
            _check_fields(policy, fields, file=path, node=name, what="policy")
    for base, (map_path, entry_fields) in _POLICY_MAPS.items():
        if not sources.is_a(policy.get("type"), base):
            continue
        entries = _get(policy, map_path)
        shown = _shown(map_path)
        if not isinstance(entries, dict) or not entries:
            raise VnfdError(f"{shown} must be a non-empty map", file=path, node=name, what="policy")
        for key, entry in entries.items():
            fields = tuple((f"{key}.{field}", kind) for field, kind in entry_fields)
            _check_fields(
                {str(key): entry}, fields, file=path, node=name, what="policy", prefix=shown + "."
            )


def _check_fields(
    body: dict[str, Any],
    fields: tuple[tuple[str, str], ...],
    *,
    file: str,
    node: str,
    what: str,
    prefix: str = "",
) -> None:
    for dotted, kind in fields:
        value = _get(body, dotted)
        shown = prefix + _shown(dotted)
        if value is _MISSING:
            raise VnfdError(f"{shown} is missing", file=file, node=node, what=what)
        if _is_function(value):
            continue
        problem = _KINDS[kind](value)
        if problem:
            raise VnfdError(f"{shown} {problem}", file=file, node=node, what=what)


def _get(body: dict[str, Any], dotted: str) -> Any:
    current: Any = body
    for part in dotted.split("."):
        if not isinstance(current, dict) or part not in current or current[part] is None:
            return _MISSING
        current = current[part]
    return current


def _shown(dotted: str) -> str:
    """The path as a VNFD author reads it: without properties/capabilities wrappers."""
    parts = dotted.split(".")
    if parts[0] == "capabilities" and len(parts) > 2 and parts[2] == "properties":
        parts = parts[1:2] + parts[3:]
    elif parts[0] == "properties":
        parts = parts[1:]
    return ".".join(parts)


def _is_function(value: object) -> bool:
    return isinstance(value, dict) and len(value) == 1 and str(next(iter(value))).startswith("get_")


def _int_problem(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return f"must be an integer, not {value!r}"
    return None if value >= 0 else f"must not be negative, not {value}"


def _positive_problem(value: object) -> str | None:
    problem = _int_problem(value)
    if problem is None and value == 0:
        return "must be at least 1, not 0"
    return problem


def _str_problem(value: object) -> str | None:
    return (
        None
        if isinstance(value, str | int | float) and not isinstance(value, bool)
        else (f"must be a string, not {value!r}")
    )


def _size_problem(value: object) -> str | None:
    try:
        size_bytes(value)
    except ValueError as exc:
        return f"must be a size: {exc}"
    return None


_KINDS: dict[str, Callable[[object], str | None]] = {
    "int": _int_problem,
    "positive": _positive_problem,
    "str": _str_problem,
    "size": _size_problem,
}
