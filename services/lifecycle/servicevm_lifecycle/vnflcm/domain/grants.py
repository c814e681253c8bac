"""Grants of an external NFVO (SOL003 9: the VNFM asks before it touches resources). Pure.

An op that needs a grant is recorded STARTING with its plan and a ``Grant`` PENDING; no
step is issued until the grant is GRANTED (``opocc.advance`` holds the plan back). The
NFVO's answer moves it on: granted -> PROCESSING and the plan runs, placed as granted;
refused -> ROLLED_BACK with the NFVO's reason; unreachable -> FAILED_TEMP, and a RETRY asks
again. An asynchronous grant (202) is POLLING at its Location until the NFVO decides.

The request names each device the plan creates (addResources) or deletes (removeResources)
as a COMPUTE resource: its id is the device id, its resourceTemplateId the VDU id.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from servicevm_lifecycle.vnflcm.domain.model import Step, Vnf

GrantStatus = Literal["PENDING", "POLLING", "GRANTED"]

# The operations SOL003 grants (as Tacker asks its NFVO); OPERATE, CHANGE_EXT_CONN and
# MODIFY_INFO add or remove no resources.
GRANTED_OPERATIONS = frozenset(
    {"INSTANTIATE", "SCALE", "SCALE_TO_LEVEL", "CHANGE_FLAVOUR", "HEAL", "TERMINATE"}
)


@dataclass(frozen=True)
class BeforeRetry:
    """The op's plan as it was when a RETRY asked for a new grant: what it goes back to
    (FAILED_TEMP, its work kept as it was) if the NFVO refuses or cannot be reached."""

    steps: tuple[Step, ...]
    rollback_steps: tuple[Step, ...] = ()
    rolling_back: bool = False


@dataclass(frozen=True)
class Grant:
    status: GrantStatus = "PENDING"
    # The NFVO's Grant id once granted, and (asynchronous) where to poll since when.
    grant_id: str | None = None
    location: str | None = None
    asked_at: datetime | None = None
    # The granted VIM when it is one of the project's VIMs; the granted zone per device.
    vim_id: uuid.UUID | None = None
    zones: dict[str, str] = field(default_factory=dict)
    # A RETRY of an op whose granted work failed asks again (SOL003: each retry that
    # changes resources is granted): set while that ask is out; the earlier grants' ids.
    retrying: BeforeRetry | None = None
    earlier_grant_ids: tuple[str, ...] = ()

    @property
    def granted(self) -> bool:
        return self.status == "GRANTED"


def request_body(
    *,
    op_id: uuid.UUID,
    operation: str,
    is_automatic_invocation: bool,
    vnf: Vnf,
    steps: tuple[Step, ...],
    params: dict[str, Any],
    flavour_vnfd: tuple[str, str] | None,
    api_url: str,
) -> dict[str, Any]:
    """The SOL003 GrantRequest for an op whose plan is ``steps``; ``flavour_vnfd`` is the
    (vnfdId, flavourId) the op works with (the VNF's, or the one it instantiates)."""
    vnfd_id, flavour_id = flavour_vnfd or ("", "")
    body: dict[str, Any] = {
        "vnfInstanceId": str(vnf.id),
        "vnfLcmOpOccId": str(op_id),
        "vnfdId": vnfd_id,
        "flavourId": flavour_id,
        "operation": operation,
        "isAutomaticInvocation": is_automatic_invocation,
        "addResources": [_resource(s) for s in steps if s.action == "CREATE"],
        "removeResources": [_resource(s, existing=True) for s in steps if s.action == "DELETE"],
        "_links": {
            "vnfLcmOpOcc": {"href": f"{api_url}/vnflcm/v1/vnf_lcm_op_occs/{op_id}"},
            "vnfInstance": {"href": f"{api_url}/vnflcm/v1/vnf_instances/{vnf.id}"},
        },
    }
    if level := params.get("instantiationLevelId"):
        body["instantiationLevelId"] = level
    return body


def remaining(steps: tuple[Step, ...]) -> tuple[Step, ...]:
    """The steps still to run: what a grant request asks for (all of them at first; on a
    RETRY the failed ones re-issued, not what is done or in flight)."""
    return tuple(s for s in steps if s.status == "PENDING")


def changes_resources(steps: tuple[Step, ...]) -> bool:
    return any(s.action in ("CREATE", "DELETE") for s in remaining(steps))


def _resource(step: Step, *, existing: bool = False) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "id": str(step.device_id),
        "type": "COMPUTE",
        "vduId": step.vdu_id,
        "resourceTemplateId": step.vdu_id,
    }
    if existing:
        resource["resource"] = {"resourceId": str(step.device_id), "vimLevelResourceType": "device"}
    return resource


def granted_zones(grant: dict[str, Any]) -> dict[str, str]:
    """resourceDefinitionId (a device id) -> the zoneId the NFVO put it in."""
    zones = {
        z["id"]: z["zoneId"]
        for z in grant.get("zones") or []
        if isinstance(z, dict) and isinstance(z.get("id"), str) and isinstance(z.get("zoneId"), str)
    }
    placed: dict[str, str] = {}
    for added in grant.get("addResources") or []:
        if not isinstance(added, dict):
            continue
        zone = zones.get(str(added.get("zoneId")))
        if zone is not None and isinstance(added.get("resourceDefinitionId"), str):
            placed[added["resourceDefinitionId"]] = zone
    return placed


def granted_vim_ids(grant: dict[str, Any]) -> list[uuid.UUID]:
    """The vimIds of the Grant's VIM connections that are uuids (which may be our VIMs):
    SOL003 v3 ``vimConnectionInfo`` (a map) or v2 ``vimConnections`` (a list)."""
    info = grant.get("vimConnectionInfo")
    connections = list(info.values()) if isinstance(info, dict) else []
    connections += grant.get("vimConnections") or []
    found: list[uuid.UUID] = []
    for connection in connections:
        if not isinstance(connection, dict):
            continue
        try:
            found.append(uuid.UUID(str(connection.get("vimId"))))
        except ValueError:
            continue
    return found
