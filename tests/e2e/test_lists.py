"""Neutron-style lists: filters, field selection and limit/marker pagination."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from tests.support.api import Api


def test_filter_by_status_and_template(api: Api) -> None:
    good = api.create_template()
    bad = api.create_template(attributes={"noop_fail": "create"})
    active = api.create_device(good["id"])
    failed = api.create_device(bad["id"])
    api.wait_for_status(active["id"], "ACTIVE")
    api.wait_for_status(failed["id"], "ERROR")

    errors = api.get("/v1.0/devices", status="ERROR").json()["devices"]
    assert [d["id"] for d in errors] == [failed["id"]]
    by_template = api.get("/v1.0/devices", template_id=good["id"]).json()["devices"]
    assert [d["id"] for d in by_template] == [active["id"]]
    both = api.http.get("/v1.0/devices", params=[("status", "ERROR"), ("status", "ACTIVE")]).json()[
        "devices"
    ]
    assert {d["id"] for d in both} == {active["id"], failed["id"]}
    named = api.get("/v1.0/device_templates", device_driver="noop").json()["device_templates"]
    assert {t["id"] for t in named} == {good["id"], bad["id"]}


def test_fields_selects_attributes(api: Api) -> None:
    template = api.create_template()
    device = api.create_device(template["id"])
    listed = api.http.get("/v1.0/devices", params=[("fields", "id"), ("fields", "status")]).json()[
        "devices"
    ]
    assert listed == [{"id": device["id"], "status": listed[0]["status"]}]
    shown = api.get(f"/v1.0/device_templates/{template['id']}", fields="name").json()
    assert shown == {"device_template": {"name": template["name"]}}


def test_limit_and_marker_page_through_with_next_links(api: Api) -> None:
    template = api.create_template()
    ids = sorted(api.create_device(template["id"])["id"] for _ in range(5))
    seen: list[str] = []
    params: dict[str, str] = {"limit": "2", "fields": "id"}
    pages = 0
    while True:
        body = api.get("/v1.0/devices", **params).json()
        seen += [d["id"] for d in body["devices"]]
        pages += 1
        links = body["devices_links"]
        if not links:
            break
        assert links[0]["rel"] == "next"
        query = parse_qs(urlparse(links[0]["href"]).query)
        assert query["limit"] == ["2"] and query["fields"] == ["id"]
        params = {"limit": "2", "fields": "id", "marker": query["marker"][0]}
    assert seen == ids
    assert pages == 3
