"""From a VNF and an LCM request to a plan: the device steps and what the VNF becomes. Pure.

Device and VNFC ids are chosen here, once, so a plan recorded before a crash is resumed with
the same ids (a redelivered device command then finds its device).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from servicevm_lifecycle.vnflcm.domain.model import (
    PlanError,
    Step,
    StepAction,
    Vnf,
    Vnfc,
    VnfTarget,
)
from shared.contracts.vnflcm import VnfFlavourSpec, VnfState
from shared.vnfd.model import ScaleError

NewId = Callable[[], uuid.UUID]


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    target: VnfTarget


def instantiate(
    vnf: Vnf, spec: VnfFlavourSpec, params: Mapping[str, Any], new_id: NewId = uuid.uuid4
) -> Plan:
    """Per VDU, the VNFCs of the instantiation level (the default one when not named)."""
    if vnf.instantiation_state == "INSTANTIATED":
        raise PlanError(f"VNF instance {vnf.id} is already INSTANTIATED")
    level_id = params.get("instantiationLevelId")
    counts, levels = _at_level(spec, level_id)
    empty = Vnf(id=vnf.id, tenant_id=vnf.tenant_id)
    steps = _reach_counts(empty, spec, counts, new_id)
    target = VnfTarget(
        instantiation_state="INSTANTIATED",
        flavour=spec,
        instantiation_level_id=level_id,
        scale_status=levels,
        vnf_state="STARTED",
        ext_virtual_links=list(params.get("extVirtualLinks") or []),
    )
    return Plan(steps=steps, target=target)


# A GRACEFUL stop or termination without a timeout waits for the VNFC "no matter how long"
# (SOL003); the caller bounds it (lifecycle: its stuck-operation deadline).
DEFAULT_GRACEFUL_SECONDS = 3600.0


def terminate(
    vnf: Vnf, params: Mapping[str, Any], graceful_default: float = DEFAULT_GRACEFUL_SECONDS
) -> Plan:
    """Delete every VNFC's device. GRACEFUL (SOL003 5.5.2.8) first asks each running VNFC to
    stop and waits for it up to gracefulTerminationTimeout; then the deletes run, whether it
    stopped or not (best effort). FORCEFUL deletes at once."""
    _require_instantiated(vnf)
    graceful = params.get("terminationType") == "GRACEFUL"
    wait = _graceful_seconds(params, "gracefulTerminationTimeout", graceful_default)
    stops = tuple(
        Step("STOP", v.id, v.vdu_id, v.device_id, wave=0, best_effort=True, graceful_seconds=wait)
        for v in vnf.vnfcs
        if graceful and v.power_state == "STARTED"
    )
    wave = 1 if stops else 0
    deletes = tuple(Step("DELETE", v.id, v.vdu_id, v.device_id, wave=wave) for v in vnf.vnfcs)
    target = VnfTarget(instantiation_state="NOT_INSTANTIATED", clear_flavour=True)
    return Plan(steps=stops + deletes, target=target)


def scale(vnf: Vnf, params: Mapping[str, Any], new_id: NewId = uuid.uuid4) -> Plan:
    """SCALE_OUT / SCALE_IN one aspect by numberOfSteps (default 1), within max_scale_level."""
    spec = _require_instantiated(vnf)
    aspect_id = str(params.get("aspectId"))
    kind = params.get("type")
    if kind not in ("SCALE_OUT", "SCALE_IN"):
        raise PlanError(f"scale type must be SCALE_OUT or SCALE_IN, not {kind!r}")
    steps_count = int(params.get("numberOfSteps", 1))
    current = vnf.scale_status.get(aspect_id, 0)
    try:
        level = spec.flavour.scaled_level(aspect_id, current, steps_count, out=kind == "SCALE_OUT")
        levels = {**vnf.scale_status, aspect_id: level}
        counts = spec.flavour.instances_at_scale_levels(levels)
    except ScaleError as exc:
        raise PlanError(str(exc)) from None
    return Plan(_reach_counts(vnf, spec, counts, new_id), VnfTarget(scale_status=levels))


def scale_to_level(vnf: Vnf, params: Mapping[str, Any], new_id: NewId = uuid.uuid4) -> Plan:
    """To an instantiation level, or to per-aspect scale levels (scaleInfo)."""
    spec = _require_instantiated(vnf)
    level_id = params.get("instantiationLevelId")
    if level_id is not None:
        counts, levels = _at_level(spec, str(level_id))
    else:
        asked = {i["aspectId"]: int(i["scaleLevel"]) for i in params.get("scaleInfo") or []}
        if not asked:
            raise PlanError("scale_to_level needs instantiationLevelId or scaleInfo")
        levels = {**vnf.scale_status, **asked}
        try:
            counts = spec.flavour.instances_at_scale_levels(levels)
        except ScaleError as exc:
            raise PlanError(str(exc)) from None
    target = VnfTarget(scale_status=levels, instantiation_level_id=level_id)
    return Plan(_reach_counts(vnf, spec, counts, new_id), target)


def heal(vnf: Vnf, params: Mapping[str, Any], new_id: NewId = uuid.uuid4) -> Plan:
    """Replace the listed VNFCs' devices (all when none is listed): a new device for the
    same VDU first, then the old one deleted. The VNFC keeps its id."""
    spec = _require_instantiated(vnf)
    listed = [uuid.UUID(str(i)) for i in params.get("vnfcInstanceId") or []]
    known = {v.id: v for v in vnf.vnfcs}
    unknown = [str(i) for i in listed if i not in known]
    if unknown:
        raise PlanError(f"VNFC(s) {', '.join(unknown)} not in VNF instance {vnf.id}")
    chosen = [known[i] for i in listed] if listed else list(vnf.vnfcs)
    creates = tuple(
        Step(
            "CREATE",
            v.id,
            v.vdu_id,
            new_id(),
            template_id=spec.vdu_templates[v.vdu_id],
            replaces=v.device_id,
        )
        for v in chosen
    )
    deletes = tuple(Step("DELETE", v.id, v.vdu_id, v.device_id, wave=1) for v in chosen)
    return Plan(creates + deletes, VnfTarget())


def operate(
    vnf: Vnf, params: Mapping[str, Any], graceful_default: float = DEFAULT_GRACEFUL_SECONDS
) -> Plan:
    """Power every VNFC on (STARTED) or off (STOPPED) through its device driver. A GRACEFUL
    stop (SOL003 5.5.2.10) asks each VNFC to stop and waits up to gracefulStopTimeout, then
    stops it forcefully; FORCEFUL (or no stopType) stops it at once."""
    _require_instantiated(vnf)
    wanted = params.get("changeStateTo")
    if wanted not in ("STARTED", "STOPPED"):
        raise PlanError(f"changeStateTo must be STARTED or STOPPED, not {wanted!r}")
    state: VnfState = "STARTED" if wanted == "STARTED" else "STOPPED"
    action: StepAction = "START" if state == "STARTED" else "STOP"
    wait = None
    if state == "STOPPED" and params.get("stopType") == "GRACEFUL":
        wait = _graceful_seconds(params, "gracefulStopTimeout", graceful_default)
    steps = tuple(
        Step(action, v.id, v.vdu_id, v.device_id, graceful_seconds=wait)
        for v in vnf.vnfcs
        if v.power_state != state
    )
    return Plan(steps, VnfTarget(vnf_state=state))


def _graceful_seconds(params: Mapping[str, Any], key: str, default: float) -> float:
    value = params.get(key)
    try:
        return default if value is None else max(0.0, float(value))
    except (TypeError, ValueError):
        raise PlanError(f"{key} must be a number of seconds, not {value!r}") from None


def change_flavour(
    vnf: Vnf, spec: VnfFlavourSpec, params: Mapping[str, Any], new_id: NewId = uuid.uuid4
) -> Plan:
    """The new flavour's VNFCs (at its instantiation level) made, then the old ones deleted."""
    _require_instantiated(vnf)
    level_id = params.get("instantiationLevelId")
    counts, levels = _at_level(spec, level_id)
    empty = Vnf(id=vnf.id, tenant_id=vnf.tenant_id)
    creates = _reach_counts(empty, spec, counts, new_id)
    deletes = tuple(Step("DELETE", v.id, v.vdu_id, v.device_id, wave=1) for v in vnf.vnfcs)
    target = VnfTarget(flavour=spec, instantiation_level_id=level_id, scale_status=levels)
    return Plan(creates + deletes, target)


def change_ext_conn(
    vnf: Vnf, params: Mapping[str, Any], device_kwargs: Mapping[uuid.UUID, dict[str, Any]]
) -> Plan:
    """Every VNFC device gets the new external connectivity in its kwargs (an update)."""
    _require_instantiated(vnf)
    links = list(params.get("extVirtualLinks") or [])
    steps = tuple(
        Step(
            "UPDATE",
            v.id,
            v.vdu_id,
            v.device_id,
            kwargs={**device_kwargs.get(v.device_id, {}), "ext_virtual_links": links},
            undo_kwargs=device_kwargs.get(v.device_id, {}),
        )
        for v in vnf.vnfcs
    )
    return Plan(steps, VnfTarget(ext_virtual_links=links))


# The device kwarg that carries a VNF's configurable properties to its VNFCs' appliances
# (mgmt pushes it as SOL002 VNF configuration).
CONFIGURABLE_PROPERTIES_KWARG = "vnf_configurable_properties"


def modify_info(
    vnf: Vnf, params: Mapping[str, Any], device_kwargs: Mapping[uuid.UUID, dict[str, Any]]
) -> Plan:
    """MODIFY_INFO that changes vnfConfigurableProperties of an instantiated VNF: every VNFC
    device gets the whole new set in its kwargs (an update, which mgmt pushes to the
    appliance). Any other modification is the api's record alone: no step."""
    properties = params.get("vnfConfigurableProperties")
    if properties is None or vnf.instantiation_state != "INSTANTIATED":
        return Plan(steps=(), target=VnfTarget())
    steps = tuple(
        Step(
            "UPDATE",
            v.id,
            v.vdu_id,
            v.device_id,
            kwargs={
                **device_kwargs.get(v.device_id, {}),
                CONFIGURABLE_PROPERTIES_KWARG: properties,
            },
            undo_kwargs=device_kwargs.get(v.device_id, {}),
        )
        for v in vnf.vnfcs
    )
    return Plan(steps, VnfTarget())


def _require_instantiated(vnf: Vnf) -> VnfFlavourSpec:
    if vnf.instantiation_state != "INSTANTIATED" or vnf.flavour is None:
        raise PlanError(f"VNF instance {vnf.id} is not INSTANTIATED")
    return vnf.flavour


def _at_level(spec: VnfFlavourSpec, level_id: object) -> tuple[dict[str, int], dict[str, int]]:
    """VNFC count per VDU and scale level per aspect at an instantiation level."""
    chosen = None if level_id is None else str(level_id)
    try:
        return spec.flavour.instances_at_level(chosen), spec.flavour.scale_levels_at_level(chosen)
    except ScaleError as exc:
        raise PlanError(str(exc)) from None


def _reach_counts(
    vnf: Vnf, spec: VnfFlavourSpec, counts: Mapping[str, int], new_id: NewId
) -> tuple[Step, ...]:
    """Create or delete VNFCs of each VDU until the counts match; the newest go first."""
    steps: list[Step] = []
    for vdu_id, count in counts.items():
        template = spec.vdu_templates.get(vdu_id)
        if template is None:
            raise PlanError(f"no device template for VDU {vdu_id} in the flavour spec")
        have = vnf.vnfcs_of(vdu_id)
        steps += [
            Step("CREATE", new_id(), vdu_id, new_id(), template_id=template, adds_vnfc=True)
            for _ in range(count - len(have))
        ]
        steps += [_delete(v) for v in reversed(have[count:])]
    return tuple(steps)


def _delete(vnfc: Vnfc) -> Step:
    return Step("DELETE", vnfc.id, vnfc.vdu_id, vnfc.device_id)
