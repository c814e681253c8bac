"""Management drivers: one interface, found by entry point name (``mgmt_driver`` of a template)."""

from __future__ import annotations

from functools import cache

from servicevm_mgmt.drivers.base import MgmtDriver
from shared import plugins


@cache
def get_mgmt_driver(name: str) -> MgmtDriver:
    """The driver instance for a name; raises plugins.PluginNotFound listing the known ones."""
    driver = plugins.load(plugins.MGMT_DRIVERS, name)()
    if not isinstance(driver, MgmtDriver):
        raise TypeError(f"mgmt driver {name!r} does not implement MgmtDriver")
    return driver
