"""What other services may know of a management driver without importing mgmt's code.

Lifecycle skips the round trip through mgmt (``DeviceSpawned`` → apply → ``DeviceConfigured``)
for a device whose management driver has nothing to configure: it makes the device ACTIVE
itself and only tells mgmt which device it now manages. The scheduler does the same for a
service instance placed or updated where its driver configures no service
(``ServiceInstancePlaced`` → apply_service → ``ServiceInstanceConfigured``), and deleted
where it removes none (``ServiceInstanceReleasing`` → remove_service → ``...Unconfigured``). The list lives here, in the contract every
side imports, rather than in entry-point metadata: an entry point names a class, and reading
a class attribute means importing mgmt's driver modules (and their dependencies, paramiko
and httpx) into lifecycle and the scheduler. Each driver states the same thing as
``MgmtDriver.needs_configuration``, ``needs_service_configuration`` and
``needs_service_removal``; a unit test keeps them in step.
"""

from __future__ import annotations

from collections.abc import Mapping

# Drivers whose ``apply``, ``apply_service`` and ``remove_service`` change nothing on the
# appliance.
WITHOUT_CONFIGURATION = frozenset({"noop"})

# The noop driver's failure injection for tests: told to fail at ``apply``, it must be asked.
_NOOP_FAIL = "noop_mgmt_fail"


def needs_configuration(mgmt_driver: str, template_attributes: Mapping[str, str]) -> bool:
    """Whether a device with this driver and these template attributes must go through mgmt."""
    if mgmt_driver not in WITHOUT_CONFIGURATION:
        return True
    return template_attributes.get(_NOOP_FAIL) == "apply"


def needs_service_configuration(mgmt_driver: str, template_attributes: Mapping[str, str]) -> bool:
    """Whether placing a service instance on a device with this driver and these template
    attributes must go through mgmt (its ``apply_service``)."""
    if mgmt_driver not in WITHOUT_CONFIGURATION:
        return True
    return template_attributes.get(_NOOP_FAIL) == "apply_service"


def needs_service_removal(mgmt_driver: str, template_attributes: Mapping[str, str]) -> bool:
    """Whether deleting a service instance from a device with this driver and these template
    attributes must go through mgmt (its ``remove_service``)."""
    if mgmt_driver not in WITHOUT_CONFIGURATION:
        return True
    return template_attributes.get(_NOOP_FAIL) == "remove_service"
