"""Where the scheduler puts instances: pack, spread, explicit devices, tenant_bound, HA,
concurrency without overbooking, pools that grow and shrink, topology, device loss."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import httpx

from tests.support.api import Api


def template_with(api: Api, **attributes: str) -> dict[str, Any]:
    return api.create_template(service_types=["firewall"], attributes=attributes)


def place(api: Api, template: dict[str, Any], **fields: Any) -> dict[str, Any]:
    instance = api.create_instance(api.service_type_id(template), **fields)
    return api.wait_for_instance(instance["id"], "ACTIVE", "ERROR")


def test_pack_fills_the_fullest_device_first(api: Api) -> None:
    template = template_with(api, slot_capacity="3", placement="pack")
    api.active_devices(template["id"], 3)
    placed = [place(api, template) for _ in range(4)]
    assert all(p["status"] == "ACTIVE" for p in placed)
    per_device = Counter(p["devices"][0] for p in placed)
    assert sorted(per_device.values()) == [1, 3]


def test_spread_uses_the_emptiest_device_first(api: Api) -> None:
    template = template_with(api, slot_capacity="3", placement="spread")
    devices = api.active_devices(template["id"], 3)
    placed = [place(api, template) for _ in range(3)]
    assert sorted(p["devices"][0] for p in placed) == sorted(d["id"] for d in devices)


def test_explicit_devices_are_honoured_or_refused_with_the_reason(api: Api) -> None:
    template = template_with(api, slot_capacity="1")
    _, second = api.active_devices(template["id"], 2)
    chosen = place(api, template, devices=[second["id"]])
    assert chosen["devices"] == [second["id"]]
    refused = place(api, template, devices=[second["id"]])
    assert refused["status"] == "ERROR"
    assert f"requested device {second['id']} has 0 free slot(s)" in refused["error_reason"]
    other = api.create_template(service_types=["router"])
    (router,) = api.active_devices(other["id"], 1)
    wrong = place(api, template, devices=[router["id"]])
    assert "does not offer service type firewall" in wrong["error_reason"]


def test_tenant_bound_devices_host_one_project(api: Api) -> None:
    template = template_with(api, slot_capacity="4", tenant_bound="true")
    (device,) = api.active_devices(template["id"], 1)
    other = api.as_project("neighbour")
    mine = place(api, template)
    assert mine["devices"] == [device["id"]]
    theirs = place(other, template)
    assert theirs["status"] == "ERROR"
    assert "no ACTIVE device" in theirs["error_reason"]
    # Once empty, the device is free for any project again.
    assert api.delete(f"/v1.0/service_instances/{mine['id']}").status_code == 204
    api.wait_until_instance_gone(mine["id"])
    assert place(other, template)["devices"] == [device["id"]]

    shared = template_with(api, slot_capacity="4")
    (shared_device,) = api.active_devices(shared["id"], 1)
    assert place(api, shared)["devices"] == [shared_device["id"]]
    assert place(other, shared)["devices"] == [shared_device["id"]]


def test_ha_instances_get_devices_on_different_hosts(api: Api) -> None:
    template = template_with(api, slot_capacity="2")
    on_a = api.active_devices(template["id"], 2, host="host-a", availability_zone="az1")
    (on_b,) = api.active_devices(template["id"], 1, host="host-b", availability_zone="az2")
    ha = place(api, template, kwargs={"ha": True})
    assert ha["status"] == "ACTIVE"
    assert len(ha["devices"]) == 2
    hosts = {api.device(d)["host"] for d in ha["devices"]}  # type: ignore[index]
    assert hosts == {"host-a", "host-b"}
    assert on_b["id"] in ha["devices"]

    lonely = template_with(api, slot_capacity="2")
    api.active_devices(lonely["id"], 2, host="host-a")
    refused = place(api, lonely, kwargs={"ha": True})
    assert refused["status"] == "ERROR"
    assert "different known hosts" in refused["error_reason"]
    assert {d["id"] for d in on_a}


async def _post_many(api: Api, service_type_id: str, count: int) -> list[httpx.Response]:
    headers = dict(api.http.headers)
    async with httpx.AsyncClient(base_url=api.base_url, headers=headers, timeout=60) as client:
        body = {"service_instance": {"service_type_id": service_type_id}}
        return await asyncio.gather(
            *(client.post("/v1.0/service_instances", json=body) for _ in range(count))
        )


def _instances(api: Api) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    marker: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 500}
        if marker:
            params["marker"] = marker
        page = api.get("/v1.0/service_instances", **params).json()["service_instances"]
        found += page
        if len(page) < 500:
            return found
        marker = page[-1]["id"]


def _wait_settled(api: Api, count: int, timeout: float = 120) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        instances = _instances(api)
        if len(instances) == count and all(i["status"] in ("ACTIVE", "ERROR") for i in instances):
            return instances
        time.sleep(0.5)
    statuses = Counter(i["status"] for i in _instances(api))
    raise AssertionError(f"instances not settled after {timeout}s: {statuses}")


def test_concurrent_requests_never_overbook_and_the_pool_grows_then_shrinks(api: Api) -> None:
    """200 requests at once against room for 100, with room to grow by 2 devices of 10."""
    template = template_with(api, slot_capacity="10", max_devices="12")
    originals = {d["id"] for d in api.active_devices(template["id"], 10)}
    responses = asyncio.run(_post_many(api, api.service_type_id(template), 200))
    assert [r.status_code for r in responses] == [201] * 200

    instances = _wait_settled(api, 200)
    active = [i for i in instances if i["status"] == "ACTIVE"]
    failed = [i for i in instances if i["status"] == "ERROR"]
    per_device = Counter(i["devices"][0] for i in active)
    assert max(per_device.values()) <= 10, per_device
    # Exactly the 100 slots there were at once, plus the 20 the pool grew by.
    assert sum(n for d, n in per_device.items() if d in originals) == 100
    grown = set(per_device) - originals
    assert len(grown) == 2
    assert len(active) == 120
    assert len(failed) == 80
    assert all("max_devices (12)" in i["error_reason"] for i in failed)
    devices = api.get("/v1.0/devices", template_id=template["id"]).json()["devices"]
    assert len(devices) == 12

    # Free the grown devices: once idle, the pool gives them back; hand-made ones stay.
    for instance in instances:
        if instance["status"] == "ERROR" or instance["devices"][0] in grown:
            assert api.delete(f"/v1.0/service_instances/{instance['id']}").status_code == 204
    for device_id in grown:
        api.wait_until_gone(device_id, timeout=60)
    left = {d["id"] for d in api.get("/v1.0/devices", template_id=template["id"]).json()["devices"]}
    assert left == originals


def test_a_request_without_room_waits_for_the_pool_to_grow(api: Api) -> None:
    template = template_with(api, slot_capacity="2", max_devices="1")
    waiting = api.create_instance(api.service_type_id(template))
    placed = api.wait_for_instance(waiting["id"], "ACTIVE")
    (device_id,) = placed["devices"]
    assert api.wait_for_status(device_id, "ACTIVE")["tenant_id"] == api.project


def test_the_pool_keeps_its_desired_free_slots(api: Api) -> None:
    template = template_with(api, slot_capacity="2", max_devices="3", desired_slots_free="3")
    deadline = time.monotonic() + 30
    devices: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        devices = api.get("/v1.0/devices", template_id=template["id"], status="ACTIVE").json()[
            "devices"
        ]
        if len(devices) == 2:
            break
        time.sleep(0.2)
    assert len(devices) == 2  # 4 free slots >= 3 desired, in as few devices as that takes
    time.sleep(2)
    assert len(api.get("/v1.0/devices", template_id=template["id"]).json()["devices"]) == 2


def test_topology_shows_hosts_devices_and_instances(api: Api, admin: Api) -> None:
    template = template_with(api, slot_capacity="4")
    (device,) = api.active_devices(template["id"], 1, host="rack1-node7", availability_zone="az-x")
    instance = place(api, template, name="edge")
    assert api.get("/v1.0/devices", host="rack1-node7").json()["devices"][0]["id"] == device["id"]
    assert api.get("/v1.0/devices", availability_zone="az-x").json()["devices"][0]["host"] == (
        "rack1-node7"
    )

    topology = api.get("/v1.0/topology").json()["topology"]
    (host,) = [h for h in topology["hosts"] if h["host"] == "rack1-node7"]
    assert host["availability_zones"] == ["az-x"]
    (shown,) = host["devices"]
    assert (shown["id"], shown["slots_used"], shown["slots_free"]) == (device["id"], 1, 3)
    assert [i["id"] for i in shown["service_instances"]] == [instance["id"]]

    # Another project places an instance on the shared device: it sees its own instance only.
    other = api.as_project("tenant-b")
    theirs = place(other, template)
    assert theirs["devices"] == [device["id"]]
    seen = other.get("/v1.0/topology").json()["topology"]["hosts"]
    assert [i["id"] for h in seen for d in h["devices"] for i in d["service_instances"]] == [
        theirs["id"]
    ]
    everything = admin.get("/v1.0/topology", host="rack1-node7").json()["topology"]["hosts"]
    hosted = {i["id"] for h in everything for d in h["devices"] for i in d["service_instances"]}
    assert hosted == {instance["id"], theirs["id"]}


def test_deleting_a_device_that_hosts_instances(api: Api) -> None:
    moving = template_with(api, slot_capacity="2", reschedule_on_device_loss="true")
    first, second = api.active_devices(moving["id"], 2)
    instance = place(api, moving, devices=[first["id"]])
    path = f"/v1.0/devices/{first['id']}"
    refused = api.delete(path)
    assert refused.status_code == 409
    assert instance["id"] in refused.json()["NeutronError"]["message"]
    assert api.delete(path, force="maybe").status_code == 400

    assert api.delete(path, force="true").status_code == 204
    api.wait_until_gone(first["id"])
    moved = api.wait_for_instance(instance["id"], "ACTIVE")
    deadline = time.monotonic() + 30
    while moved["devices"] != [second["id"]] and time.monotonic() < deadline:
        moved = api.instance(instance["id"]) or moved
        time.sleep(0.1)
    assert moved["devices"] == [second["id"]]

    staying = template_with(api, slot_capacity="2")
    (lone,) = api.active_devices(staying["id"], 1)
    stranded = place(api, staying)
    assert api.delete(f"/v1.0/devices/{lone['id']}", force="true").status_code == 204
    failed = api.wait_for_instance(stranded["id"], "ERROR")
    assert f"device {lone['id']} hosting it was deleted" in failed["error_reason"]
    assert failed["devices"] == []


def test_a_pool_whose_devices_fail_stops_at_max_devices(api: Api) -> None:
    template = template_with(api, slot_capacity="2", max_devices="2", noop_fail="create")
    waiting = api.create_instance(api.service_type_id(template))
    failed = api.wait_for_instance(waiting["id"], "ERROR")
    assert "in ERROR" in failed["error_reason"]
    time.sleep(3)  # the pool keeper runs every second: it must not try again
    devices = api.get("/v1.0/devices", template_id=template["id"]).json()["devices"]
    assert [d["status"] for d in devices] == ["ERROR", "ERROR"]
