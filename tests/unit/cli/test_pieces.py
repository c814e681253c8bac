"""Argument parsing, the notification source and filter, the topology tree, the auth mode."""

from __future__ import annotations

import pytest
from rich.console import Console

from servicevm_cli import bus
from servicevm_cli.commands.topology import topology_tree
from servicevm_cli.errors import UsageError
from servicevm_cli.options import kwargs, pairs
from servicevm_cli.session import Options, uses_keystone
from shared.messaging.topology import NOTIFICATIONS, PROJECT_NOTIFICATIONS


def test_pairs_split_at_the_first_equals_sign() -> None:
    assert pairs(["a=1", "b=x=y", "c="], option="--attribute") == {"a": "1", "b": "x=y", "c": ""}
    with pytest.raises(UsageError, match="KEY=VALUE"):
        pairs(["novalue"], option="--attribute")


def test_kwargs_read_json_values_and_the_pairs_override_the_object() -> None:
    assert kwargs(None, None) is None
    parsed = kwargs(["vlan=20", "name=fw-1", "ha=true", 'rules=["allow 22"]'], '{"vlan": 10}')
    assert parsed == {"vlan": 20, "name": "fw-1", "ha": True, "rules": ["allow 22"]}
    with pytest.raises(UsageError, match="JSON object"):
        kwargs(None, "[1]")


def test_an_admin_listens_to_every_project_and_a_project_to_its_own_keys() -> None:
    assert bus.source(None, []) == bus.Source(NOTIFICATIONS, ("#",))
    assert bus.source(None, ["*"]) == bus.Source(NOTIFICATIONS, ("#",))
    assert bus.source("demo", ["device.*", "service_instance.active"]) == bus.Source(
        PROJECT_NOTIFICATIONS, ("demo.device.*", "demo.service_instance.active")
    )
    # A dotted project id stays one routing-key word, as the publisher encodes it.
    assert bus.source("a.b", []).keys == ("a%2Eb.#",)


def test_notifications_are_filtered_by_event_pattern_and_resource() -> None:
    body = {"event_type": "device.active", "resource_id": "d1"}
    assert bus.matches(body, event_types=[], resource_id=None)
    assert bus.matches(body, event_types=["device.*"], resource_id="d1")
    assert not bus.matches(body, event_types=["device.*"], resource_id="d2")
    assert not bus.matches(body, event_types=["device_template.*"], resource_id=None)
    assert not bus.matches(body, event_types=["device.error"], resource_id=None)


def test_the_topology_tree_shows_hosts_devices_slots_and_instances() -> None:
    topology = {
        "hosts": [
            {
                "host": "compute-1",
                "availability_zones": ["nova"],
                "devices": [
                    {
                        "id": "dev-1",
                        "status": "ACTIVE",
                        "slot_capacity": 4,
                        "slots_used": 1,
                        "slots_free": 3,
                        "service_instances": [{"id": "inst-1", "name": "edge", "status": "ACTIVE"}],
                    }
                ],
            }
        ]
    }
    console = Console(record=True, width=120)
    console.print(topology_tree(topology))
    lines = console.export_text().splitlines()
    assert "host compute-1 [nova]" in lines[1]
    assert "device dev-1 ACTIVE (1/4 used, 3 free)" in lines[2]
    assert "instance 'edge' inst-1 ACTIVE" in lines[3]


def test_keystone_is_used_for_a_named_cloud_or_os_auth_url_without_a_project() -> None:
    def options(project: str | None = None, cloud: str | None = None) -> Options:
        return Options(url="u", project=project, roles="member", cloud=cloud, http_timeout=1)

    assert not uses_keystone(options(), {})
    assert uses_keystone(options(cloud="mine"), {})
    assert uses_keystone(options(project="demo", cloud="mine"), {})
    assert uses_keystone(options(project="demo"), {"OS_CLOUD": "mine"})
    assert uses_keystone(options(), {"OS_AUTH_URL": "http://keystone/v3"})
    assert not uses_keystone(options(project="demo"), {"OS_AUTH_URL": "http://keystone/v3"})
