"""What becomes of service instances when their device dies, on the local cloud: moved to
another device when the device is not replaced (and their template says
``reschedule_on_device_loss``), kept on their respawned device otherwise; an HA pair keeps
its members on different hosts either way."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from shared.devstack import Suite
from tests.support.api import Api
from tests.support.db import fetch
from tests.support.monitoring import Listener, appliance_pid

pytestmark = pytest.mark.e2e

PING = {"type": "ping", "interval": 1, "timeout": 0.5, "threshold": 2}


def template(api: Api, action: str) -> dict[str, Any]:
    return api.create_template(
        name=f"watched {action}",
        device_driver="local",
        mgmt_driver="http",
        attributes={
            "slot_capacity": "4",
            "monitoring": json.dumps({"monitors": [PING], "action": action}),
            "reschedule_on_device_loss": "true",
        },
    )


def devices_on(api: Api, template_id: str, *hosts: str) -> list[dict[str, Any]]:
    made = [api.create_device(template_id, kwargs={"host": host}) for host in hosts]
    return [api.wait_for_status(device["id"], "ACTIVE", timeout=60) for device in made]


def place(api: Api, template: dict[str, Any], devices: list[str], **kwargs: Any) -> dict[str, Any]:
    made = api.create_instance(api.service_type_id(template), devices=devices, kwargs=kwargs)
    return api.wait_for_instance(made["id"], "ACTIVE")


def services_of(device: dict[str, Any]) -> list[str]:
    response = httpx.get(f"http://{device['mgmt_address']}/services", timeout=5)
    response.raise_for_status()
    return list(response.json()["services"])


def eventually(check: Callable[[], Any], timeout: float = 40) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def hosted_on(suite: Suite, instance_id: str) -> set[str]:
    """The devices mgmt would re-apply the instance on, were they respawned."""
    query = "SELECT device_id FROM hosted_services WHERE instance_id = $1::uuid"
    return {str(row["device_id"]) for row in fetch(suite.settings, "mgmt", query, instance_id)}


def test_instances_of_a_dead_device_that_is_not_replaced_move_to_another(
    api: Api, suite: Suite, engine: None
) -> None:
    fw = template(api, "none")
    doomed, spare = devices_on(api, fw["id"], "host-a", "host-b")
    instance = place(api, fw, [doomed["id"]], vip="10.0.0.5")
    time.sleep(1)  # its monitor is registered and probed once

    os.kill(appliance_pid(doomed["instance_id"]), signal.SIGKILL)
    api.wait_for_status(doomed["id"], "DEAD", timeout=20)

    def moved() -> dict[str, Any] | None:
        now = api.instance(instance["id"])
        return (
            now if now and now["status"] == "ACTIVE" and now["devices"] == [spare["id"]] else None
        )

    eventually(moved)
    assert instance["id"] in services_of(spare)  # configured there by mgmt
    assert eventually(lambda: hosted_on(suite, instance["id"]) == {spare["id"]})
    # The dead device's capacity is given back and not used: a new instance goes to the spare.
    again = api.create_instance(api.service_type_id(fw), kwargs={"vip": "10.0.0.6"})
    assert api.wait_for_instance(again["id"], "ACTIVE")["devices"] == [spare["id"]]


def test_an_ha_pair_whose_member_dies_unreplaced_gets_a_member_on_another_host(
    api: Api, engine: None
) -> None:
    fw = template(api, "none")
    a, b, b2, c = devices_on(api, fw["id"], "host-a", "host-b", "host-b", "host-c")
    place(api, fw, [b2["id"]], vip="10.0.0.8")  # b2 fuller: packing would prefer it
    pair = place(api, fw, [a["id"], b["id"]], ha=True, vip="10.0.0.9")
    time.sleep(1)

    os.kill(appliance_pid(a["instance_id"]), signal.SIGKILL)
    api.wait_for_status(a["id"], "DEAD", timeout=20)

    def moved() -> dict[str, Any] | None:
        now = api.instance(pair["id"])
        return now if now and now["status"] == "ACTIVE" and a["id"] not in now["devices"] else None

    now = eventually(moved)
    # Not b2, on the host of the surviving member b, however full: c, on a host of its own.
    assert sorted(now["devices"]) == sorted([b["id"], c["id"]])
    assert pair["id"] in services_of(c)


def test_an_ha_pair_whose_member_is_respawned_keeps_it_on_its_own_host(
    api: Api, engine: None
) -> None:
    fw = template(api, "respawn")
    a, b = devices_on(api, fw["id"], "host-a", "host-b")
    pair = place(api, fw, [a["id"], b["id"]], ha=True, vip="10.0.0.10")
    time.sleep(1)

    os.kill(appliance_pid(a["instance_id"]), signal.SIGKILL)

    again = api.wait_respawned(a)
    assert again["host"] == "host-a" != api.device(b["id"])["host"]  # type: ignore[index]
    assert pair["id"] in services_of(again)  # its service re-applied on the new appliance
    now = api.instance(pair["id"])
    assert now is not None and now["status"] == "ACTIVE"
    assert sorted(now["devices"]) == sorted([a["id"], b["id"]])


def test_a_dead_physical_device_is_never_respawned_and_its_instances_move(
    api: Api, engine: None
) -> None:
    doomed_box, spare_box = Listener(), Listener()
    try:
        fw = api.create_template(
            name="adopted appliances",
            device_driver="physical",
            mgmt_driver="noop",
            attributes={
                "slot_capacity": "2",
                # respawn asked, but hardware is never rebuilt: marked DEAD, instances moved
                "monitoring": json.dumps({"monitors": [PING], "action": "respawn"}),
                "reschedule_on_device_loss": "true",
            },
        )
        doomed, spare = (
            api.create_device(fw["id"], kwargs={"mgmt_address": f"127.0.0.1:{box.port}"})
            for box in (doomed_box, spare_box)
        )
        doomed = api.wait_for_status(doomed["id"], "ACTIVE")
        spare = api.wait_for_status(spare["id"], "ACTIVE")
        instance = place(api, fw, [doomed["id"]], vip="10.0.0.11")
        time.sleep(1)

        doomed_box.close()
        dead = api.wait_for_status(doomed["id"], "DEAD", timeout=20)

        def moved() -> dict[str, Any] | None:
            now = api.instance(instance["id"])
            on_spare = now and now["status"] == "ACTIVE" and now["devices"] == [spare["id"]]
            return now if on_spare else None

        eventually(moved)
        time.sleep(2)
        still = api.device(doomed["id"])
        assert still is not None and still["status"] == "DEAD"  # not respawned
        assert still["instance_id"] == dead["instance_id"] == doomed["instance_id"]
    finally:
        doomed_box.close()
        spare_box.close()
