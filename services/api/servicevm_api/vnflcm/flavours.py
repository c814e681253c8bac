"""What a task's request must name of the VNF package's VNFD: a flavour, a level, an
aspect within its max scale level. Pure: raises ``ProblemError`` 422 naming what is wrong.

The VNFD is the package's parsed one (``api.vnf_packages.vnfd``), the templates its
``vdu_templates`` (flavour id -> VDU id -> device template id) made at onboarding.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from servicevm_api.etsi.problem import unprocessable
from shared.contracts.vnflcm import VnfFlavourSpec
from shared.vnfd.model import Flavour, ScaleError, Vnfd


def flavour_of(vnfd_json: Mapping[str, Any] | None, flavour_id: str) -> Flavour:
    if not vnfd_json:
        raise unprocessable("The VNF package of this instance has no parsed VNFD")
    vnfd = Vnfd.model_validate(vnfd_json)
    flavour = vnfd.flavours.get(flavour_id)
    if flavour is None:
        known = ", ".join(sorted(vnfd.flavours))
        raise unprocessable(
            f"flavourId {flavour_id} is not a flavour of VNFD {vnfd.descriptor_id} ({known})"
        )
    return flavour


def flavour_spec(package: Any, flavour_id: str, level_id: str | None) -> VnfFlavourSpec:
    """The flavour (checked, with its level) and the template of each of its VDUs."""
    flavour = flavour_of(package.vnfd, flavour_id)
    check_level(flavour, level_id)
    templates: Mapping[str, str] = package.vdu_templates.get(flavour_id, {})
    missing = sorted(set(flavour.vdus) - set(templates))
    if missing:
        raise unprocessable(f"VDU(s) {', '.join(missing)} of flavour {flavour_id} have no template")
    return VnfFlavourSpec(
        vnfd_id=package.vnfd_id,
        vnf_package_id=package.id,
        flavour=flavour,
        vdu_templates={vdu_id: uuid.UUID(templates[vdu_id]) for vdu_id in flavour.vdus},
    )


def check_level(flavour: Flavour, level_id: str | None) -> None:
    try:
        flavour.instances_at_level(level_id)
    except ScaleError as exc:
        raise unprocessable(str(exc)) from None


def check_scale(flavour: Flavour, info: Mapping[str, Any], params: Mapping[str, Any]) -> None:
    """SCALE: the aspect is the flavour's and its level stays within 0..max_scale_level."""
    aspect_id = params["aspectId"]
    if aspect_id not in flavour.aspects:
        raise unprocessable(
            f"aspectId {aspect_id} is not an aspect of flavour {flavour.flavour_id}"
        )
    levels = scale_levels(info)
    try:
        flavour.scaled_level(
            aspect_id,
            levels.get(aspect_id, 0),
            int(params.get("numberOfSteps", 1)),
            out=params["type"] == "SCALE_OUT",
        )
    except ScaleError as exc:
        raise unprocessable(str(exc)) from None


def check_scale_to_level(flavour: Flavour, params: Mapping[str, Any]) -> None:
    if params.get("instantiationLevelId") is not None:
        check_level(flavour, params["instantiationLevelId"])
        return
    wanted = {i["aspectId"]: int(i["scaleLevel"]) for i in params.get("scaleInfo", [])}
    unknown = sorted(set(wanted) - set(flavour.aspects))
    if unknown:
        raise unprocessable(f"aspect(s) {', '.join(unknown)} not in flavour {flavour.flavour_id}")
    try:
        flavour.instances_at_scale_levels(wanted)
    except ScaleError as exc:
        raise unprocessable(str(exc)) from None


def scale_levels(info: Mapping[str, Any]) -> dict[str, int]:
    return {s["aspectId"]: int(s["scaleLevel"]) for s in info.get("scaleStatus", [])}
