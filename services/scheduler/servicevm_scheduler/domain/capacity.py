"""Device capacity in slots, declared by template attributes. Pure."""

from __future__ import annotations

DEFAULT_SLOT_CAPACITY = 1


def slot_capacity(attributes: dict[str, str]) -> int:
    """``slot_capacity`` of a template; a missing or unusable value means the default."""
    raw = attributes.get("slot_capacity")
    try:
        capacity = int(raw) if raw is not None else DEFAULT_SLOT_CAPACITY
    except ValueError:
        return DEFAULT_SLOT_CAPACITY
    return capacity if capacity > 0 else DEFAULT_SLOT_CAPACITY
