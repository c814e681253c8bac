"""Plug-ins found by entry point name (``device_driver`` and ``mgmt_driver`` in a template)."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

DEVICE_DRIVERS = "servicevm.device_drivers"
MGMT_DRIVERS = "servicevm.mgmt_drivers"


class PluginNotFound(LookupError):
    def __init__(self, group: str, name: str, available: list[str]) -> None:
        super().__init__(f"no {group} plug-in named {name!r}; available: {', '.join(available)}")
        self.available = available


def available(group: str) -> list[str]:
    """Names only: reading them imports no plug-in code, so the api can validate names."""
    return sorted(ep.name for ep in entry_points(group=group))


def load(group: str, name: str) -> Any:
    matches = entry_points(group=group, name=name)
    if not matches:
        raise PluginNotFound(group, name, available(group))
    return next(iter(matches)).load()
