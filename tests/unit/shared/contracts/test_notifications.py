"""Routing keys of the per-project notification exchange."""

from __future__ import annotations

from shared.contracts.notifications import project_routing_key


def test_project_ids_are_one_routing_key_word() -> None:
    assert project_routing_key("4f1c0e", "device.active") == "4f1c0e.device.active"
    # A dotted id cannot pose as a prefix of another project's keys.
    assert project_routing_key("a.b", "device.active") == "a%2Eb.device.active"
    assert project_routing_key("x" * 300, "device.active") is None
