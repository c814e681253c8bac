"""A suite in external NFVO mode: the NFVO simulator, and the four services configured with
SERVICEVM_NFVO_URL in a database and vhost of their own (lifecycle's grant job and the
api's package fetch are per process, so they cannot share the main suite's workers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from servicevm_nfvosim import NfvoSimulator
from shared.devstack import Suite, fresh_environment, isolated_settings
from shared.preflight import preflight
from tests.support.appliances import kill_leftovers
from tests.support.environment import PORT_BASE_NFVO, TEST_ENV

NFVO_TIMEOUT_SECONDS = 2.0


def nfvo_env(sim: NfvoSimulator) -> dict[str, str]:
    state_dir = Path(TEST_ENV["SERVICEVM_LOCAL_STATE_DIR"] + "-nfvo")
    return {
        **TEST_ENV,
        **sim.env(),
        "SERVICEVM_DB_NAME": TEST_ENV["SERVICEVM_DB_NAME"] + "_nfvo",
        "SERVICEVM_AMQP_URL": TEST_ENV["SERVICEVM_AMQP_URL"] + "_nfvo",
        "SERVICEVM_LOCAL_STATE_DIR": str(state_dir),
        "SERVICEVM_API_PORT": str(PORT_BASE_NFVO),
        "SERVICEVM_SCHEDULER_PORT": str(PORT_BASE_NFVO + 1),
        "SERVICEVM_LIFECYCLE_PORT": str(PORT_BASE_NFVO + 2),
        "SERVICEVM_MGMT_PORT": str(PORT_BASE_NFVO + 3),
        "SERVICEVM_NFVO_TIMEOUT_SECONDS": str(NFVO_TIMEOUT_SECONDS),
        "SERVICEVM_NFVO_GRANT_POLL_SECONDS": "0.2",
        "SERVICEVM_DB_POOL_SIZE": "3",
        "SERVICEVM_DB_MAX_OVERFLOW": "2",
    }


def running_nfvo_suite(sim: NfvoSimulator, log_dir: Path) -> Iterator[Suite]:
    env = nfvo_env(sim)
    settings = isolated_settings(env)
    preflight(settings)
    fresh_environment(settings)
    running = Suite(settings, env=env, log_dir=log_dir)
    try:
        # The api (packages) and lifecycle (grants) are what NFVO mode changes; a noop VNFC
        # needs neither the scheduler nor mgmt to become ACTIVE.
        running.start("api", "lifecycle")
        yield running
    finally:
        running.stop()
        kill_leftovers(settings.local_state_dir)
    # The OAuth2 client secret and the NFVO's tokens must not be in any service's log.
    secrets = {sim.state.client_secret, *sim.state.tokens}
    leaked = [
        f"{p.name}" for p in log_dir.rglob("*.log") if any(x in p.read_text() for x in secrets)
    ]
    assert not leaked, f"NFVO secrets found in the logs of {leaked}"
