"""Device drivers: one interface, found by entry point name (``device_driver`` of a template)."""

from __future__ import annotations

from functools import cache

from servicevm_lifecycle.drivers.base import DeviceDriver
from shared import plugins


@cache
def get_device_driver(name: str) -> DeviceDriver:
    """The driver instance for a name; raises plugins.PluginNotFound listing the known ones."""
    driver_cls = plugins.load(plugins.DEVICE_DRIVERS, name)
    driver = driver_cls()
    if not isinstance(driver, DeviceDriver):
        raise TypeError(f"device driver {name!r} does not implement DeviceDriver")
    return driver
