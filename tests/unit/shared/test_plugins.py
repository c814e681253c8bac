"""Drivers are found by their entry point names."""

from __future__ import annotations

from servicevm_lifecycle.drivers.local import LocalDeviceDriver
from servicevm_mgmt.drivers.http import HttpMgmtDriver
from servicevm_mgmt.drivers.ssh import SshMgmtDriver
from shared import plugins


def test_drivers_are_registered_by_entry_point_name() -> None:
    assert plugins.load(plugins.DEVICE_DRIVERS, "local") is LocalDeviceDriver
    assert plugins.load(plugins.MGMT_DRIVERS, "http") is HttpMgmtDriver
    assert plugins.load(plugins.MGMT_DRIVERS, "ssh") is SshMgmtDriver
