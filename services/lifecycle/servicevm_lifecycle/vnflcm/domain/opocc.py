"""An operation occurrence and how its plan advances. Pure: callers persist the result and
issue the steps it hands back (marked SENT in the returned op).

Rules:
- steps of a wave are issued together, the next wave once they are all DONE;
- a FAILED step (that is not best effort) stops the issuing; the op goes FAILED_TEMP once
  no step is in flight, with the first failure as its error (the work done is kept);
- a cancel likewise stops the issuing and ends FAILED_TEMP once in-flight steps settle;
- all steps DONE: PROCESSING -> COMPLETED, ROLLING_BACK -> ROLLED_BACK.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from servicevm_lifecycle.vnflcm.domain import states as st
from servicevm_lifecycle.vnflcm.domain.grants import BeforeRetry, Grant, changes_resources
from servicevm_lifecycle.vnflcm.domain.model import Step, StepAction, VnfTarget
from shared.contracts.vnflcm import (
    CancelMode,
    OperationState,
    VnfLcmOperation,
)


@dataclass(frozen=True)
class OpOcc:
    id: uuid.UUID
    vnf_instance_id: uuid.UUID
    tenant_id: str
    operation: VnfLcmOperation
    state: OperationState
    operation_params: dict[str, Any]
    is_automatic_invocation: bool
    start_time: datetime
    state_entered_time: datetime
    steps: tuple[Step, ...] = ()
    rollback_steps: tuple[Step, ...] = ()
    # The plan being run is rollback_steps (set when a rollback starts).
    rolling_back: bool = False
    target: VnfTarget = field(default_factory=VnfTarget)
    cancel_requested: bool = False
    cancel_mode: CancelMode | None = None
    error: dict[str, Any] | None = None
    changed_info: dict[str, Any] | None = None
    changed_ext_connectivity: list[dict[str, Any]] | None = None
    deadline: datetime | None = None
    revision: int = 1
    # An external NFVO's grant (None: granted locally); no step runs before it is GRANTED.
    grant: Grant | None = None

    @property
    def awaiting_grant(self) -> bool:
        return self.grant is not None and not self.grant.granted

    @property
    def active_steps(self) -> tuple[Step, ...]:
        return self.rollback_steps if self.rolling_back else self.steps

    def with_active(self, steps: tuple[Step, ...]) -> OpOcc:
        return self.with_steps(steps, rollback=self.rolling_back)

    def with_steps(self, steps: tuple[Step, ...], *, rollback: bool) -> OpOcc:
        if rollback:
            return replace(self, rollback_steps=steps)
        return replace(self, steps=steps)

    def enter(self, state: OperationState, now: datetime, **changes: Any) -> OpOcc:
        st.check_transition(self.state, state)
        return replace(
            self,
            state=state,
            state_entered_time=now,
            revision=self.revision + 1,
            **changes,
        )


def problem(title: str, detail: str, status: int = 500) -> dict[str, Any]:
    """A SOL013 ProblemDetails body."""
    return {"type": "about:blank", "status": status, "title": title, "detail": detail}


def begin(op: OpOcc, now: datetime, timeout: timedelta) -> tuple[OpOcc, list[Step]]:
    """STARTING -> PROCESSING, and the first wave."""
    return advance(op.enter(st.PROCESSING, now, deadline=now + timeout), now)


def settle(
    op: OpOcc, device_id: uuid.UUID, actions: frozenset[StepAction], *, ok: bool, reason: str | None
) -> tuple[OpOcc, Step] | None:
    """Record the outcome of the SENT step of that device doing one of ``actions``, in the
    plan being run, else in the other one (a forward step settling during a rollback).
    None when no such step is waiting (a stale or unrelated device change)."""
    for rollback in (op.rolling_back, not op.rolling_back):
        steps = op.rollback_steps if rollback else op.steps
        for index, step in enumerate(steps):
            if step.device_id == device_id and step.status == "SENT" and step.action in actions:
                done = replace(step, status="DONE" if ok else "FAILED", reason=reason)
                changed = (*steps[:index], done, *steps[index + 1 :])
                return op.with_steps(changed, rollback=rollback), done
    return None


def advance(op: OpOcc, now: datetime) -> tuple[OpOcc, list[Step]]:
    """Move the op on as far as its plan allows; the steps to issue now come back SENT."""
    if op.state not in st.RUNNING:
        return op, []
    if op.awaiting_grant and not op.rolling_back:
        if op.cancel_requested:
            # Nothing runs before the grant: cancelled at once (a retry's plan as it was).
            error = problem("Operation cancelled", f"{op.operation} cancelled ({op.cancel_mode})")
            return undo_retry(op).enter(
                st.FAILED_TEMP, now, error=error, cancel_requested=False
            ), []
        return op, []
    steps = op.active_steps
    in_flight = any(s.status == "SENT" for s in steps)
    failed = [s for s in steps if s.status == "FAILED" and not s.best_effort]
    if failed or op.cancel_requested:
        if in_flight:
            return op, []
        if op.cancel_requested:
            error = problem("Operation cancelled", f"{op.operation} cancelled ({op.cancel_mode})")
        else:
            error = problem("Operation failed", failed[0].reason or "a step failed")
        return op.enter(st.FAILED_TEMP, now, error=error, cancel_requested=False), []
    if all(s.status in ("DONE", "FAILED") for s in steps):
        final = st.ROLLED_BACK if op.rolling_back else st.COMPLETED
        return op.enter(final, now, error=None if final == st.COMPLETED else op.error), []
    if in_flight:
        return op, []
    wave = min(s.wave for s in steps if s.status == "PENDING")
    if any(s.wave < wave and s.status != "DONE" and not s.best_effort for s in steps):
        return op, []
    issued = [_send(s, now) for s in steps if s.status == "PENDING" and s.wave == wave]
    by_device = {s.device_id: s for s in issued}
    updated = tuple(
        by_device.get(s.device_id, s) if s.status == "PENDING" and s.wave == wave else s
        for s in steps
    )
    return _wait_allowed(op.with_active(updated), issued), issued


def _send(step: Step, now: datetime) -> Step:
    """The step SENT; a graceful stop's wait starts now (recorded with the plan)."""
    wait_until = None
    if step.graceful_seconds is not None:
        wait_until = now + timedelta(seconds=step.graceful_seconds)
    return replace(step, status="SENT", wait_until=wait_until)


def _wait_allowed(op: OpOcc, issued: list[Step]) -> OpOcc:
    """The op's deadline moves back by the longest graceful wait just started: a VNFC given
    that long to stop must not time the op out meanwhile."""
    waits = [s.graceful_seconds for s in issued if s.graceful_seconds is not None]
    if not waits or op.deadline is None:
        return op
    return replace(op, deadline=op.deadline + timedelta(seconds=max(waits)))


def asked_to_stop(op: OpOcc, device_id: uuid.UUID, now: datetime) -> OpOcc:
    """The VNFC was asked to stop: its graceful wait counts from now, not from when its step
    was sent (a busy queue between the two must not eat into the time it was given). The
    op's deadline moves back by as much."""
    waiting = next((s for s in op.steps if s.device_id == device_id and s.status == "SENT"), None)
    if waiting is None or waiting.wait_until is None or waiting.graceful_seconds is None:
        return op
    restarted = now + timedelta(seconds=waiting.graceful_seconds)
    if restarted <= waiting.wait_until:
        return op
    later = restarted - waiting.wait_until
    steps = tuple(replace(s, wait_until=restarted) if s is waiting else s for s in op.steps)
    deadline = None if op.deadline is None else op.deadline + later
    return replace(op, steps=steps, deadline=deadline)


def graceful_timed_out(op: OpOcc, step: Step, now: datetime) -> tuple[OpOcc, list[Step]]:
    """A graceful STOP whose VNFC did not stop in time. Terminating (best effort): the step
    ends FAILED with the reason and the deletes go on. Stopping: the VNFC is stopped
    forcefully now (the step stays SENT, no longer waiting; returned to be issued)."""
    waited = f"{step.graceful_seconds:g}" if step.graceful_seconds is not None else "?"
    if step.best_effort:
        reason = f"VNFC did not stop within {waited} s; going on forcefully"
        settled = settle(op, step.device_id, frozenset({"STOP"}), ok=False, reason=reason)
        return (op, []) if settled is None else (settled[0], [])
    forceful = replace(step, graceful_seconds=None, wait_until=None)
    steps = tuple(
        forceful if s.device_id == step.device_id and s.wait_until is not None else s
        for s in op.steps
    )
    return replace(op, steps=steps), [forceful]


def retry(op: OpOcc, now: datetime, timeout: timedelta, new_id: Callable[[], uuid.UUID]) -> OpOcc:
    """FAILED_TEMP -> PROCESSING with the forward plan: failed steps re-issued (a failed
    create gets a new device and the failed one is deleted), and creates a rollback undid
    are made again."""
    undone = {s.device_id for s in op.rollback_steps if s.action == "DELETE" and s.status == "DONE"}
    steps: list[Step] = []
    for step in op.steps:
        if step.action == "CREATE" and step.device_id in undone:
            steps.append(replace(step, device_id=new_id(), status="PENDING", reason=None))
        elif step.action == "CREATE" and step.status == "FAILED":
            # A new device for the VNFC (which moves to it once it is ACTIVE), and the failed
            # one deleted beside it; should that delete finish first, the VNFC moves then.
            fresh = new_id()
            replaces = step.replaces or step.device_id
            steps.append(
                replace(step, device_id=fresh, status="PENDING", reason=None, replaces=replaces)
            )
            steps.append(
                Step(
                    "DELETE",
                    step.vnfc_id,
                    step.vdu_id,
                    step.device_id,
                    wave=step.wave,
                    replaces=fresh,
                )
            )
        elif step.status == "FAILED":
            steps.append(replace(step, status="PENDING", reason=None, wait_until=None))
        else:
            steps.append(step)
    return op.enter(
        st.PROCESSING,
        now,
        steps=tuple(steps),
        rollback_steps=(),
        rolling_back=False,
        error=None,
        deadline=now + timeout,
    )


def ask_again(before: OpOcc, retried: OpOcc) -> OpOcc:
    """The RETRY ``retried`` of ``before``, whose work an external NFVO granted: when what
    remains to do adds or removes resources, its grant is asked for again (PENDING: no step
    runs until the NFVO answers), keeping the plan as it was in case the NFVO says no."""
    grant = before.grant
    if grant is None or not grant.granted or not changes_resources(retried.steps):
        return retried
    base = BeforeRetry(before.steps, before.rollback_steps, before.rolling_back)
    asking = replace(grant, status="PENDING", location=None, asked_at=None, retrying=base)
    return replace(retried, grant=asking)


def undo_retry(op: OpOcc) -> OpOcc:
    """A retry whose new grant was refused, not given or cancelled: the plan and the last
    grant as they were before it (FAILED_TEMP follows; retry, rollback or fail again)."""
    grant = op.grant
    if grant is None or grant.retrying is None:
        return op
    base = grant.retrying
    return replace(
        op,
        steps=base.steps,
        rollback_steps=base.rollback_steps,
        rolling_back=base.rolling_back,
        grant=replace(grant, status="GRANTED", location=None, asked_at=None, retrying=None),
    )


def rollback(op: OpOcc, now: datetime, timeout: timedelta) -> OpOcc:
    """FAILED_TEMP -> ROLLING_BACK with the inverse plan of what the forward plan did."""
    inverse: list[Step] = []
    for step in op.steps:
        if step.status == "PENDING":
            continue
        if step.action == "CREATE":
            inverse.append(
                Step("DELETE", step.vnfc_id, step.vdu_id, step.device_id, replaces=step.replaces)
            )
        elif step.action == "UPDATE" and step.status == "DONE":
            inverse.append(replace(step, kwargs=step.undo_kwargs, status="PENDING", wave=0))
        elif step.action in ("START", "STOP") and step.status == "DONE" and not step.best_effort:
            undo: StepAction = "STOP" if step.action == "START" else "START"
            inverse.append(
                replace(
                    step,
                    action=undo,
                    status="PENDING",
                    wave=0,
                    graceful_seconds=None,
                    wait_until=None,
                )
            )
        # A deleted device cannot be brought back: its delete stands.
    return op.enter(
        st.ROLLING_BACK,
        now,
        rollback_steps=tuple(inverse),
        rolling_back=True,
        deadline=now + timeout,
    )


def cancel(op: OpOcc, mode: CancelMode | None, now: datetime) -> OpOcc:
    """STARTING -> ROLLED_BACK at once; PROCESSING / ROLLING_BACK: stop issuing steps, then
    FAILED_TEMP once the steps in flight settle (``advance``)."""
    if op.state == st.STARTING:
        return op.enter(st.ROLLED_BACK, now)
    return replace(op, cancel_requested=True, cancel_mode=mode, revision=op.revision + 1)


def time_out(op: OpOcc, now: datetime) -> OpOcc:
    """Past its deadline: FAILED_TEMP with the reason, whatever is still in flight."""
    detail = f"{op.operation} did not finish in time (deadline {op.deadline})"
    if op.rolling_back:
        detail = f"rollback of {detail}"
    return op.enter(st.FAILED_TEMP, now, error=problem("Operation timed out", detail))
