"""The contract's list of drivers with nothing to configure (a device, a service instance)
says what the drivers say."""

from __future__ import annotations

import pytest

from servicevm_mgmt.drivers import get_mgmt_driver
from shared.contracts.mgmt_drivers import (
    needs_configuration,
    needs_service_configuration,
    needs_service_removal,
)

ATTRIBUTES = [
    {},
    {"noop_mgmt_fail": "apply"},
    {"noop_mgmt_fail": "apply_service"},
    {"noop_mgmt_fail": "remove_service"},
]


@pytest.mark.parametrize("name", ["noop", "http", "ssh"])
@pytest.mark.parametrize("attributes", ATTRIBUTES)
def test_contract_matches_the_driver(name: str, attributes: dict[str, str]) -> None:
    driver = get_mgmt_driver(name)
    assert needs_configuration(name, attributes) is driver.needs_configuration(attributes)
    assert needs_service_configuration(name, attributes) is (
        driver.needs_service_configuration(attributes)
    )
    assert needs_service_removal(name, attributes) is driver.needs_service_removal(attributes)


def test_only_noop_without_a_failing_apply_skips_configuration() -> None:
    assert not needs_configuration("noop", {})
    assert not needs_configuration("noop", {"noop_mgmt_fail": "apply_service"})
    assert needs_configuration("noop", {"noop_mgmt_fail": "apply"})
    assert needs_configuration("http", {})
    assert needs_configuration("some-plugin", {})


def test_only_noop_without_a_failing_apply_service_skips_service_configuration() -> None:
    assert not needs_service_configuration("noop", {})
    assert not needs_service_configuration("noop", {"noop_mgmt_fail": "apply"})
    assert needs_service_configuration("noop", {"noop_mgmt_fail": "apply_service"})
    assert needs_service_configuration("http", {})
    assert needs_service_configuration("some-plugin", {})


def test_only_noop_without_a_failing_remove_service_skips_service_removal() -> None:
    assert not needs_service_removal("noop", {})
    assert not needs_service_removal("noop", {"noop_mgmt_fail": "apply_service"})
    assert needs_service_removal("noop", {"noop_mgmt_fail": "remove_service"})
    assert needs_service_removal("http", {})
