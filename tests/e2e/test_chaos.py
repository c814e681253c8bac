"""The fault suite, reduced to fit ``make test``: two replicas of every service under a
short load of device, placement and VNF cycles; lifecycle killed -9 once, poison messages,
every message delivered twice for a while. The full suite (``make chaos``) also restarts
RabbitMQ and PostgreSQL (private ones); here the shared servers are used and never
restarted, in a database and vhost of this test's own."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import pytest

from chaos.report import render
from chaos.run import Plan, execute
from tests.support.environment import CHAOS_PORT_BASE, TEST_ENV


def _own_vhost(amqp_url: str) -> str:
    parts = urlsplit(amqp_url)
    vhost = parts.path.lstrip("/") or "servicevm_test"
    return urlunsplit(parts._replace(path=f"/{vhost}_chaos"))


@pytest.fixture(scope="module")
def plan() -> Plan:
    return Plan(
        port_base=CHAOS_PORT_BASE,
        db_name=f"{TEST_ENV['SERVICEVM_DB_NAME']}_chaos",
        replicas=2,
        mix={"noop": 1, "local": 1, "placement": 1, "vnf": 1},
        faults=["kill-lifecycle", "poison", "duplicate-delivery"],
        warmup_seconds=2.0,
        gap_seconds=2.0,
        phase_seconds=5.0,
        op_deadline_seconds=60.0,
        orphan_grace_seconds=2.0,
        shared_amqp_url=_own_vhost(TEST_ENV["SERVICEVM_AMQP_URL"]),
        simulator=False,
    )


def test_faults_lose_nothing_and_leave_nothing_behind(plan: Plan) -> None:
    figures = execute(plan)
    print(render(figures))
    assert len(figures.ledger.operations) >= 10, "the load hardly ran"
    assert [fault.name for fault in figures.faults] == plan.faults
    assert all(fault.recovery_seconds is not None for fault in figures.faults), figures.faults
    assert figures.poison_sent == 8 and figures.duplicates_copied > 0
    # Lost, stuck, orphans, double boots, notifications out of order, poison not parked.
    assert not figures.failed_figures, render(figures)
