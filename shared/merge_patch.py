"""JSON merge patch (RFC 7396): the SOL003 PATCH of VNF instances and packages, and the
SOL002 VNF configuration that mgmt pushes to appliances, both speak it."""

from __future__ import annotations

import json
from typing import Any


def apply(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """``null`` removes a key, objects merge, anything else replaces."""
    merged = dict(target)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict):
            current = merged.get(key)
            merged[key] = apply(current if isinstance(current, dict) else {}, value)
        else:
            merged[key] = value
    return merged


def between(current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """The merge patch that turns current into wanted (empty when they are equal)."""
    patch: dict[str, Any] = {key: None for key in current if key not in wanted}
    for key, value in wanted.items():
        old = current.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            nested = between(old, value)
            if nested:
                patch[key] = nested
        elif key not in current or _json(value) != _json(old):
            patch[key] = value
    return patch


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
