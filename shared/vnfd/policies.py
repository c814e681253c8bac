"""Scaling aspects, deltas and instantiation levels from a parsed flavour's policies.

Checked here, each refused naming the file and the policy: targets must be VDUs of the
flavour, deltas must name a known aspect and cover its step deltas, levels must name known
aspects within their max_scale_level, a VDU level must name a known instantiation level,
``default_level`` must be one of the levels (and is required when there are several), and
a level's per-VDU count must equal what its scale levels give (see ``model``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.vnfd.errors import VnfdError
from shared.vnfd.model import Flavour, InstantiationLevel, ScaleError, ScalingAspect, Vdu

ASPECTS = "tosca.policies.nfv.ScalingAspects"
INITIAL_DELTA = "tosca.policies.nfv.VduInitialDelta"
ASPECT_DELTAS = "tosca.policies.nfv.VduScalingAspectDeltas"
LEVELS = "tosca.policies.nfv.InstantiationLevels"
VDU_LEVELS = "tosca.policies.nfv.VduInstantiationLevels"


@dataclass
class FlavourPolicies:
    aspects: dict[str, ScalingAspect] = field(default_factory=dict)
    vdu_initial_deltas: dict[str, int] = field(default_factory=dict)
    aspect_deltas: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    levels: dict[str, InstantiationLevel] = field(default_factory=dict)
    default_level: str | None = None
    # level id -> vdu id -> instances, from VduInstantiationLevels.
    vdu_levels: dict[str, dict[str, int]] = field(default_factory=dict)


def read_policies(template: Any, *, path: str, vdus: dict[str, Vdu]) -> FlavourPolicies:
    found = FlavourPolicies()
    policies = list(template.policies or [])
    # Aspects and levels first: the per-VDU policies refer to them.
    order = (ASPECTS, LEVELS, INITIAL_DELTA, ASPECT_DELTAS, VDU_LEVELS)
    for kind in order:
        for policy in policies:
            if not policy.is_derived_from(kind):
                continue
            try:
                _READERS[kind](policy, found, _vdu_targets(policy, kind, vdus))
            except ValueError as exc:
                raise VnfdError(str(exc), file=path, node=policy.name, what="policy") from None
    if len(found.levels) > 1 and found.default_level is None:
        raise VnfdError("InstantiationLevels has several levels and no default_level", file=path)
    return found


def check_levels(flavour: Flavour, *, path: str) -> None:
    """The initial counts fit the VDU profiles, and each level's per-VDU count equals what
    the level's scale levels give."""
    try:
        flavour.instances_at_scale_levels({})
    except ScaleError as exc:
        raise VnfdError(f"before any scaling: {exc}", file=path) from None
    for level_id, level in flavour.instantiation_levels.items():
        try:
            computed = flavour.instances_at_scale_levels(flavour.scale_levels_at_level(level_id))
        except ScaleError as exc:
            raise VnfdError(f"instantiation level {level_id}: {exc}", file=path) from None
        for vdu_id, count in level.vdu_instances.items():
            if computed[vdu_id] != count:
                raise VnfdError(
                    f"instantiation level {level_id} gives VDU {vdu_id} {count} instances but "
                    f"its scale levels give {computed[vdu_id]} (initial delta plus aspect deltas)",
                    file=path,
                )


def _aspects(policy: Any, found: FlavourPolicies, _targets: list[str]) -> None:
    for aspect_id, body in (policy.get_property_value("aspects") or {}).items():
        if aspect_id in found.aspects:
            raise ValueError(f"aspect {aspect_id} is defined twice")
        found.aspects[aspect_id] = ScalingAspect(
            aspect_id=aspect_id,
            name=str(body["name"]),
            description=str(body["description"]),
            max_scale_level=body["max_scale_level"],
            step_deltas=tuple(body.get("step_deltas") or ()),
        )


def _levels(policy: Any, found: FlavourPolicies, _targets: list[str]) -> None:
    for level_id, body in (policy.get_property_value("levels") or {}).items():
        scale_info = {a: i["scale_level"] for a, i in (body.get("scale_info") or {}).items()}
        for aspect_id, scale_level in scale_info.items():
            aspect = found.aspects.get(aspect_id)
            if aspect is None:
                raise ValueError(f"level {level_id} names unknown aspect {aspect_id}")
            if scale_level > aspect.max_scale_level:
                raise ValueError(
                    f"level {level_id} puts aspect {aspect_id} at scale level {scale_level}, "
                    f"above its max_scale_level {aspect.max_scale_level}"
                )
        found.levels[level_id] = InstantiationLevel(
            level_id=level_id, description=str(body["description"]), scale_info=scale_info
        )
    default = policy.get_property_value("default_level")
    if default is not None and default not in found.levels:
        raise ValueError(f"default_level {default} is not one of the levels")
    found.default_level = default


def _initial_delta(policy: Any, found: FlavourPolicies, targets: list[str]) -> None:
    count = policy.get_property_value("initial_delta")["number_of_instances"]
    for vdu_id in targets:
        found.vdu_initial_deltas[vdu_id] = count


def _aspect_deltas(policy: Any, found: FlavourPolicies, targets: list[str]) -> None:
    aspect_id = policy.get_property_value("aspect")
    aspect = found.aspects.get(aspect_id)
    if aspect is None:
        raise ValueError(f"aspect {aspect_id} is not in the flavour's ScalingAspects")
    deltas = {
        d: body["number_of_instances"] for d, body in policy.get_property_value("deltas").items()
    }
    missing = [d for d in aspect.step_deltas if d not in deltas]
    if missing:
        raise ValueError(f"deltas lack {', '.join(missing)} of aspect {aspect_id}'s step_deltas")
    for vdu_id in targets:
        found.aspect_deltas.setdefault(aspect_id, {})[vdu_id] = deltas


def _vdu_levels(policy: Any, found: FlavourPolicies, targets: list[str]) -> None:
    for level_id, body in (policy.get_property_value("levels") or {}).items():
        if level_id not in found.levels:
            raise ValueError(f"level {level_id} is not in the flavour's InstantiationLevels")
        for vdu_id in targets:
            found.vdu_levels.setdefault(level_id, {})[vdu_id] = body["number_of_instances"]


def _vdu_targets(policy: Any, kind: str, vdus: dict[str, Vdu]) -> list[str]:
    targets = [str(t) for t in (policy.targets or [])]
    if kind in (INITIAL_DELTA, ASPECT_DELTAS, VDU_LEVELS) and not targets:
        raise ValueError("targets is missing (the VDUs it applies to)")
    unknown = [t for t in targets if t not in vdus]
    if unknown:
        raise ValueError(f"targets {', '.join(unknown)} are not VDUs of the flavour")
    return targets


_READERS = {
    ASPECTS: _aspects,
    LEVELS: _levels,
    INITIAL_DELTA: _initial_delta,
    ASPECT_DELTAS: _aspect_deltas,
    VDU_LEVELS: _vdu_levels,
}
