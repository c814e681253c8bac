"""The cloud simulator on a free port, the drivers' VIM sessions, and flow-like helpers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest

from servicevm_cloudsim import CloudSimulator, Timing
from servicevm_lifecycle.drivers.base import DeviceDriver, DeviceSpec, InstanceFacts, VimCredentials
from servicevm_lifecycle.drivers.vim import VimSessions
from shared.config import Settings
from shared.contracts.models import ServiceContext
from shared.flows import Task, run_flow

# Fast but real: every wait below still crosses several polls of the simulator.
FAST_TIMING = Timing(boot_seconds=0.1, delete_seconds=0.05, stack_seconds=0.05)
FAST_SETTINGS = Settings(
    vim_max_concurrency=4,
    vim_api_timeout_seconds=2.0,
    vim_retry_attempts=3,
    vim_retry_base_seconds=0.01,
    vim_retry_max_seconds=0.05,
    vim_ready_timeout_seconds=5.0,
    vim_poll_min_seconds=0.02,
    vim_poll_max_seconds=0.1,
)
# The flows' bound on one driver call (SERVICEVM_DRIVER_TIMEOUT_SECONDS), scaled down.
FLOW_TIMEOUT = 20.0


@pytest.fixture
def sim() -> Iterator[CloudSimulator]:
    # A copy: a test may slow its own simulator down.
    with CloudSimulator(timing=replace(FAST_TIMING)) as simulator:
        yield simulator


@pytest.fixture
async def sessions() -> AsyncIterator[VimSessions]:
    pool = VimSessions(FAST_SETTINGS)
    yield pool
    await asyncio.to_thread(pool.close)


def password_vim(sim: CloudSimulator, password: str = "secret") -> VimCredentials:
    return VimCredentials(
        auth_url=sim.auth_url,
        region_name="RegionOne",
        project_name="demo",
        project_domain_name="Default",
        user_name="demo",
        user_domain_name="Default",
        password=password,
    )


def app_credential_vim(sim: CloudSimulator) -> VimCredentials:
    return VimCredentials(
        auth_url=sim.auth_url,
        region_name="RegionOne",
        application_credential_id="appcred-demo",
        application_credential_secret="appcred-secret",
    )


def make_spec(
    vim: VimCredentials | None,
    attributes: dict[str, str],
    contexts: list[ServiceContext] | None = None,
    **kwargs: Any,
) -> DeviceSpec:
    return DeviceSpec(
        device_id=uuid.uuid4(),
        tenant_id="tenant-1",
        template_attributes=attributes,
        kwargs=kwargs,
        service_contexts=contexts or [],
        vim=vim,
    )


@dataclass
class _FlowState:
    driver: DeviceDriver
    spec: DeviceSpec
    instance_id: str | None = None
    facts: InstanceFacts | None = None


class _Spawn(Task[_FlowState]):
    """SpawnInstance without its database write: same driver calls, same revert."""

    async def execute(self, state: _FlowState) -> None:
        state.instance_id = await asyncio.wait_for(state.driver.create(state.spec), FLOW_TIMEOUT)

    async def revert(self, state: _FlowState) -> None:
        if state.instance_id is not None:
            await asyncio.wait_for(state.driver.delete(state.instance_id, state.spec), FLOW_TIMEOUT)


class _Wait(Task[_FlowState]):
    async def execute(self, state: _FlowState) -> None:
        assert state.instance_id is not None
        state.facts = await asyncio.wait_for(
            state.driver.wait_until_ready(state.instance_id, state.spec), FLOW_TIMEOUT
        )


async def create_like_flow(driver: DeviceDriver, spec: DeviceSpec) -> tuple[str, InstanceFacts]:
    """The create flow through shared.flows.run_flow: a failure reverts (deletes the
    instance) and raises FlowFailed whose reason becomes the device's ERROR reason."""
    state = _FlowState(driver, spec)
    await run_flow((_Spawn(), _Wait()), state)
    assert state.instance_id is not None and state.facts is not None
    return state.instance_id, state.facts


@pytest.fixture(scope="module")
def shared_sim() -> Iterator[CloudSimulator]:
    """One simulator for a module of e2e tests: the suite's lifecycle reaches it over HTTP."""
    with CloudSimulator(timing=replace(FAST_TIMING)) as simulator:
        yield simulator


def set_secrets(sim: CloudSimulator, *, password: str, app_secret: str) -> None:
    """Distinctive secrets, so a test can look for them in every response and log."""
    with sim.cloud.lock:
        sim.cloud.users["demo"].password = password
        sim.cloud.app_credentials["appcred-demo"].secret = app_secret
