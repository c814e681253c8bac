"""The fault suite's pure judgements: notification order per resource, operation outcomes
and the exit decision (the harness itself runs in tests/e2e/test_chaos.py)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from chaos.ledger import Ledger, Outcome
from chaos.report import Figures, render
from chaos.watch import NotificationOrder


def notification(resource: str, revision: int, key: str = "revision") -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "event_type": "device.active", "resource_id": resource,
            "payload": {key: revision}}  # fmt: skip


def test_a_revision_below_the_last_one_of_its_resource_is_out_of_order() -> None:
    order = NotificationOrder()
    for body in (notification("a", 1), notification("b", 5), notification("a", 3)):
        order.see(body)
    order.see(notification("a", 2))
    assert len(order.out_of_order) == 1 and "revision 2 after 3" in order.out_of_order[0]


def test_capacity_revisions_are_ordered_apart_from_status_revisions() -> None:
    order = NotificationOrder()
    order.see(notification("a", 7))
    order.see(notification("a", 1, key="capacity_revision"))
    assert order.out_of_order == []


def test_the_same_notification_twice_is_a_duplicate_not_disorder() -> None:
    order = NotificationOrder()
    body = notification("a", 2)
    order.see(body)
    order.see(notification("a", 3))
    order.see(body)
    assert order.duplicates == 1 and order.out_of_order == []


def test_an_operation_still_pending_at_its_deadline_is_stuck() -> None:
    ledger = Ledger(deadline_seconds=0.0)
    op = ledger.accept("device.create noop", "d1")

    async def pending() -> tuple[Outcome, str] | None:
        return None

    assert asyncio.run(ledger.settle(op, pending)) == "stuck"
    assert ledger.count("stuck") == 1


def test_any_must_be_zero_figure_fails_the_run() -> None:
    ledger = Ledger(deadline_seconds=1.0)
    ledger.accept("device.create noop", "d1").end("completed")
    ledger.accept("device.update noop", "d1").end("lost", "ACTIVE with the old kwargs")
    figures = Figures(
        ledger=ledger, faults=[], orphans=[], double_boots=[], out_of_order=[],
        notifications=0, duplicate_notifications=0, poison_sent=2, poison_parked=2,
        duplicates_copied=0, unanswered=0,
    )  # fmt: skip
    assert figures.failed_figures == ["lost"]
    assert "lost: device.update noop d1: ACTIVE with the old kwargs" in render(figures)
