"""What a template's attributes say about capacity, placement and pooling. Pure.

The api validates these attributes when a template is registered (a bad value is a 400
naming it); the scheduler reads them to place service instances. One parser for both.

- ``slot_capacity``: slots each device of the template offers (default 1).
- ``slots.<service type>``: slots one instance of that service type needs (default 1).
- ``placement``: ``pack`` (fullest device first, the default) or ``spread`` (emptiest first).
- ``tenant_bound``: ``true`` when a device may host only one project's instances.
- ``desired_slots_free``: the pool keeps at least this many free slots (default 0).
- ``max_devices``: the most devices the scheduler may have for this template; without it
  the scheduler never creates or releases devices of this template itself.
- ``reschedule_on_device_loss``: ``true`` when the instances of a deleted device move to
  other devices instead of going to ERROR.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Placement = Literal["pack", "spread"]
SLOTS_PREFIX = "slots."
_BOOLEANS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}


class InvalidPolicy(ValueError):
    """An attribute has a value the scheduler cannot use; the message names it."""


@dataclass(frozen=True)
class TemplatePolicy:
    slot_capacity: int = 1
    service_slots: dict[str, int] = field(default_factory=dict)
    placement: Placement = "pack"
    tenant_bound: bool = False
    desired_slots_free: int = 0
    max_devices: int | None = None
    reschedule_on_device_loss: bool = False

    @classmethod
    def from_attributes(cls, attributes: dict[str, str]) -> TemplatePolicy:
        """Raises InvalidPolicy naming the first attribute that is unusable."""
        placement = attributes.get("placement", "pack")
        if placement not in ("pack", "spread"):
            raise InvalidPolicy(
                f"attribute placement must be 'pack' or 'spread', not {placement!r}"
            )
        max_devices = attributes.get("max_devices")
        return cls(
            slot_capacity=_count(attributes, "slot_capacity", default=1, minimum=1),
            service_slots={
                key.removeprefix(SLOTS_PREFIX): _count(attributes, key, default=1, minimum=1)
                for key in attributes
                if key.startswith(SLOTS_PREFIX)
            },
            placement=placement,  # type: ignore[arg-type]  # checked above
            tenant_bound=_flag(attributes, "tenant_bound"),
            desired_slots_free=_count(attributes, "desired_slots_free", default=0, minimum=0),
            max_devices=None
            if max_devices is None
            else _count(attributes, "max_devices", default=0, minimum=0),
            reschedule_on_device_loss=_flag(attributes, "reschedule_on_device_loss"),
        )

    @classmethod
    def lenient(cls, attributes: dict[str, str]) -> TemplatePolicy:
        """The policy, or the defaults if the attributes are unusable (never raises)."""
        try:
            return cls.from_attributes(attributes)
        except InvalidPolicy:
            return cls()

    def slots_for(self, service_type: str) -> int:
        return self.service_slots.get(service_type, 1)

    @property
    def can_grow(self) -> bool:
        return self.max_devices is not None


def _count(attributes: dict[str, str], name: str, *, default: int, minimum: int) -> int:
    raw = attributes.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidPolicy(f"attribute {name} must be an integer, not {raw!r}") from None
    if value < minimum or value > 1_000_000:
        raise InvalidPolicy(f"attribute {name} must be between {minimum} and 1000000, not {value}")
    return value


def _flag(attributes: dict[str, str], name: str) -> bool:
    raw = attributes.get(name, "false")
    value = _BOOLEANS.get(raw.strip().lower())
    if value is None:
        raise InvalidPolicy(f"attribute {name} must be true or false, not {raw!r}")
    return value
