"""The simulator's own control API: inject faults, inspect what is left in the cloud."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel

from servicevm_cloudsim import views
from servicevm_cloudsim.deps import StateDep
from servicevm_cloudsim.faults import NO_VALID_HOST, HttpFault

router = APIRouter(prefix="/_sim")


class FaultIn(BaseModel):
    """`boot_error`: next boots go ERROR; `http`: error/slow answers; `quota`: instances;
    `slow_stop`: the next `count` servers stopped take `delay` seconds to power off (or
    never, with `never`)."""

    kind: Literal["boot_error", "http", "quota", "remove_image", "slow_stop"]
    count: int | None = 1
    message: str = NO_VALID_HOST
    status: int | None = None
    delay: float = 0.0
    after: bool = False
    method: str | None = None
    path_contains: str | None = None
    instances: int = 10
    image: str = ""
    never: bool = False


@router.post("/faults", status_code=204)
def add_fault(state: StateDep, fault: FaultIn) -> None:
    cloud = state.cloud
    if fault.kind == "boot_error":
        cloud.faults.fail_boots(fault.count or 1, fault.message)
    elif fault.kind == "http":
        cloud.faults.add_http(
            HttpFault(
                fault.status,
                fault.delay,
                fault.count,
                fault.method,
                fault.path_contains,
                after=fault.after,
            )
        )
    elif fault.kind == "slow_stop":
        cloud.faults.slow_stops(None if fault.never else fault.delay, fault.count or 1)
    elif fault.kind == "quota":
        cloud.quota_instances = fault.instances
    else:
        cloud.remove_image(fault.image)


@router.delete("/faults", status_code=204)
def clear_faults(state: StateDep) -> None:
    state.cloud.faults.clear()


@router.get("/servers")
def servers(state: StateDep) -> dict[str, Any]:
    return {
        "servers": [
            views.server(state.cloud, s, state.base_url) for s in state.cloud.snapshot_servers()
        ]
    }


@router.get("/stacks")
def stacks(state: StateDep) -> dict[str, Any]:
    return {"stacks": [views.stack(s, state.base_url) for s in state.orchestration.snapshot()]}


@router.get("/requests")
def requests(state: StateDep) -> dict[str, Any]:
    return {"requests": [r.__dict__ for r in state.requests]}


class StatusIn(BaseModel):
    """A server's status (ERROR, SHUTOFF, ...) or a stack's (CREATE_FAILED, ...)."""

    status: str
    reason: str = "set through the simulator's control API"


@router.put("/servers/{server_id}/status", status_code=204)
def set_server_status(state: StateDep, server_id: str, body: StatusIn) -> None:
    state.cloud.force_server_status(server_id, body.status, fault=body.reason)


@router.delete("/servers/{server_id}", status_code=204)
def vanish_server(state: StateDep, server_id: str) -> None:
    """Deleted behind the client's back, at once."""
    state.cloud.vanish_server(server_id)


@router.put("/stacks/{stack_id}/status", status_code=204)
def set_stack_status(state: StateDep, stack_id: str, body: StatusIn) -> None:
    state.orchestration.force_status(stack_id, body.status, body.reason)
