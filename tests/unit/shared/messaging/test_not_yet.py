"""A message that comes before the resource it depends on is handled again shortly, a
bounded while, then fails as its handler always did (shared/messaging/not_yet.py)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from shared.contracts.envelope import Envelope
from shared.messaging.errors import DependencyNotYetKnown, is_transient
from shared.messaging.not_yet import DependencyNeverKnown, WaitForDependencies, wait_for
from shared.messaging.sequencing import SubjectSequencer

FAST = {"first_delay": 0.001, "max_delay": 0.01}


def envelope(subject: str = "device-1") -> Envelope:
    return Envelope(
        type="lifecycle.create_device",
        version=1,
        correlation_id="req-1",
        tenant_id="t",
        subject_id=subject,
        producer="api",
        payload={},
    )


class DeviceHandler:
    """Like lifecycle's create_device: needs its template, fails for want of it at the end."""

    def __init__(self, template_after_attempts: int | None) -> None:
        self.template_after_attempts = template_after_attempts
        self.attempts = 0
        self.outcome: str | None = None

    async def __call__(self, message: Envelope) -> None:
        self.attempts += 1
        known = self.template_after_attempts
        if known is None or self.attempts <= known:
            wait_for(message, "device template t-1")
            self.outcome = "ERROR: device template t-1 not found"
            return
        self.outcome = "ACTIVE"


async def test_a_message_is_handled_again_until_its_dependency_is_known() -> None:
    handler = DeviceHandler(template_after_attempts=3)
    await WaitForDependencies(handler, wait_seconds=5.0, **FAST)(envelope())
    assert (handler.attempts, handler.outcome) == (4, "ACTIVE")


async def test_past_the_wait_the_handler_fails_as_it_always_did() -> None:
    handler = DeviceHandler(template_after_attempts=None)
    await WaitForDependencies(handler, wait_seconds=0.05, **FAST)(envelope())
    assert handler.attempts > 2  # it waited, then ran once more without the template
    assert handler.outcome == "ERROR: device template t-1 not found"


async def test_a_handler_that_still_cannot_go_on_fails_clearly_and_is_not_retried() -> None:
    async def always_missing(message: Envelope) -> None:
        raise DependencyNotYetKnown("device 42 (its device.spawned)")

    with pytest.raises(DependencyNeverKnown, match=r"device 42 .*still not known after") as failed:
        await WaitForDependencies(always_missing, wait_seconds=0.02, **FAST)(envelope())
    assert not is_transient(failed.value)  # parked with the reason, not requeued forever


async def test_the_last_attempt_is_this_message_s_alone() -> None:
    """Outside its wrapper's last attempt, and for any other message, wait_for raises."""
    late, other = envelope(), envelope()
    seen: list[str] = []

    async def handler(message: Envelope) -> None:
        with pytest.raises(DependencyNotYetKnown):
            wait_for(other, "template")  # another message, concurrently: not given up
        wait_for(message, "template")
        seen.append("went on")

    await WaitForDependencies(handler, wait_seconds=0.01, **FAST)(late)
    assert seen == ["went on"]
    with pytest.raises(DependencyNotYetKnown):
        wait_for(late, "template")  # the last attempt is over


async def test_other_failures_pass_through_at_once() -> None:
    attempts = 0

    async def broken(message: Envelope) -> None:
        nonlocal attempts
        attempts += 1
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        await WaitForDependencies(broken, wait_seconds=5.0, **FAST)(envelope())
    assert attempts == 1


async def test_a_subject_s_later_message_waits_behind_the_waiting_one() -> None:
    """The waiting message keeps its place: a device's delete queued behind its create runs
    after the create, even though the create waited for its template."""
    log: list[str] = []
    template_known = asyncio.Event()

    async def dispatch(message: Envelope) -> None:
        if message.type == "lifecycle.create_device":
            if not template_known.is_set():
                wait_for(message, "device template t-1")
            log.append("created")
        else:
            log.append("deleted")

    waiting = WaitForDependencies(dispatch, wait_seconds=5.0, **FAST)
    sequencer = SubjectSequencer()
    create = sequencer.submit("device-1", waiting(envelope()))
    delete_message = envelope().model_copy(
        update={"type": "lifecycle.delete_device", "message_id": uuid.uuid4()}
    )
    delete = sequencer.submit("device-1", waiting(delete_message))
    await asyncio.sleep(0.02)
    assert log == []
    template_known.set()
    await asyncio.gather(create, delete)
    assert log == ["created", "deleted"]
