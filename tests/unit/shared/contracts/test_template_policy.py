"""A template's placement policy, read from its attributes."""

from __future__ import annotations

import pytest

from shared.contracts.template_policy import InvalidPolicy, TemplatePolicy


def test_policy_defaults() -> None:
    policy = TemplatePolicy.from_attributes({})
    assert policy.slot_capacity == 1
    assert policy.slots_for("firewall") == 1
    assert policy.placement == "pack"
    assert not policy.tenant_bound
    assert not policy.can_grow
    assert not policy.reschedule_on_device_loss


def test_policy_reads_every_attribute() -> None:
    policy = TemplatePolicy.from_attributes(
        {
            "slot_capacity": "8",
            "slots.vpn": "3",
            "placement": "spread",
            "tenant_bound": "true",
            "desired_slots_free": "4",
            "max_devices": "5",
            "reschedule_on_device_loss": "yes",
        }
    )
    assert policy.slot_capacity == 8
    assert policy.slots_for("vpn") == 3
    assert policy.slots_for("firewall") == 1
    assert policy.placement == "spread"
    assert policy.tenant_bound
    assert policy.desired_slots_free == 4
    assert policy.max_devices == 5
    assert policy.reschedule_on_device_loss


@pytest.mark.parametrize(
    ("attributes", "named"),
    [
        ({"slot_capacity": "0"}, "slot_capacity"),
        ({"slot_capacity": "many"}, "slot_capacity"),
        ({"slots.vpn": "-1"}, "slots.vpn"),
        ({"placement": "random"}, "placement"),
        ({"tenant_bound": "perhaps"}, "tenant_bound"),
        ({"max_devices": "-2"}, "max_devices"),
        ({"desired_slots_free": "x"}, "desired_slots_free"),
    ],
)
def test_unusable_attribute_is_named(attributes: dict[str, str], named: str) -> None:
    with pytest.raises(InvalidPolicy, match=named):
        TemplatePolicy.from_attributes(attributes)
    assert TemplatePolicy.lenient(attributes) == TemplatePolicy()
