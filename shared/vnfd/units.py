"""TOSCA ``scalar-unit.size`` values (``512 MB``, ``1 GiB``) as bytes. Pure."""

from __future__ import annotations

import re

# TOSCA Simple Profile 3.3.6.4: decimal and binary units, matched case-insensitively.
_UNITS = {
    "b": 1,
    "kb": 1000,
    "kib": 1024,
    "mb": 1000**2,
    "mib": 1024**2,
    "gb": 1000**3,
    "gib": 1024**3,
    "tb": 1000**4,
    "tib": 1024**4,
}
_SCALAR = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$")


def size_bytes(value: object) -> int:
    """``"512 MB"`` -> 512000000; raises ValueError naming what is wrong."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{value!r} is not a size such as '512 MB'")
    if isinstance(value, int):
        raise ValueError(f"{value!r} has no unit (write e.g. '{value} MB')")
    match = _SCALAR.match(value)
    if match is None:
        raise ValueError(f"{value!r} is not a size such as '512 MB'")
    number, unit = match.groups()
    factor = _UNITS.get(unit.lower())
    if factor is None:
        raise ValueError(f"{value!r} has an unknown unit {unit!r}")
    return int(float(number) * factor) if "." in number else int(number) * factor
