"""One operation at a time per device: conflicting requests get 409, never a corrupted state."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.support.api import Api


def test_update_or_delete_while_pending_is_409(api: Api) -> None:
    slow = api.create_template(attributes={"noop_delay_seconds": "1.5"})
    device = api.create_device(slow["id"])
    url = f"/v1.0/devices/{device['id']}"
    update = api.put(url, {"device": {"kwargs": {"a": 1}}})
    assert update.status_code == 409
    assert "PENDING_CREATE" in update.json()["NeutronError"]["message"]
    assert api.delete(url).status_code == 409
    active = api.wait_for_status(device["id"], "ACTIVE")
    assert active["kwargs"] == {}


def test_concurrent_deletes_one_wins(api: Api) -> None:
    template = api.create_template(attributes={"noop_delay_seconds": "0.5"})
    device = api.create_device(template["id"])
    api.wait_for_status(device["id"], "ACTIVE")
    url = f"/v1.0/devices/{device['id']}"
    with ThreadPoolExecutor(8) as pool:
        codes = sorted(
            pool.map(lambda _: api.as_project(api.project).delete(url).status_code, range(8))
        )
    assert codes.count(204) == 1
    assert set(codes) == {204, 409}
    api.wait_until_gone(device["id"])


def test_concurrent_update_and_delete_serialize(api: Api) -> None:
    template = api.create_template(attributes={"noop_delay_seconds": "0.5"})
    device = api.create_device(template["id"])
    api.wait_for_status(device["id"], "ACTIVE")
    url = f"/v1.0/devices/{device['id']}"

    def race(i: int) -> int:
        client = api.as_project(api.project)
        if i % 2:
            return client.delete(url).status_code
        return client.put(url, {"device": {"kwargs": {"i": i}}}).status_code

    with ThreadPoolExecutor(6) as pool:
        codes = list(pool.map(race, range(6)))
    assert sum(code in (200, 204) for code in codes) == 1
    assert all(code in (200, 204, 409) for code in codes)
    final = api.device(device["id"])
    # Whatever won, the device settles in a state that matches it.
    if 204 in codes:
        api.wait_until_gone(device["id"])
    else:
        assert final is not None
        api.wait_for_status(device["id"], "ACTIVE")
