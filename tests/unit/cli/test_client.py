"""The HTTP client: noauth identity headers, NeutronError messages, lists read to the end."""

from __future__ import annotations

import httpx
import pytest

from servicevm_cli.client import ApiClient, error_from
from servicevm_cli.errors import ApiError, UsageError
from servicevm_cli.kinds import DEVICE
from servicevm_cli.session import Identity, Options

URL = "http://api.test:9890"


def client(handler: httpx.MockTransport, project: str | None = "demo") -> ApiClient:
    options = Options(url=URL, project=project, roles="admin,member", cloud=None, http_timeout=5)
    return ApiClient(Identity(options), transport=handler)


def test_noauth_requests_carry_the_project_and_roles_headers() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"device": {"id": "d"}})

    assert client(httpx.MockTransport(answer)).get(DEVICE, "d") == {"id": "d"}
    assert seen[0].headers["X-Project-Id"] == "demo"
    assert seen[0].headers["X-Roles"] == "admin,member"
    assert str(seen[0].url) == f"{URL}/v1.0/devices/d"


def test_without_a_project_or_keystone_the_client_refuses_before_sending() -> None:
    api = client(httpx.MockTransport(lambda _: httpx.Response(500)), project=None)
    with pytest.raises(UsageError, match="--project"):
        api.get(DEVICE, "d")


def test_an_error_is_the_neutron_message_with_its_status_and_type() -> None:
    body = {"NeutronError": {"type": "DeviceInUse", "message": "Device d is busy.", "detail": ""}}
    api = client(httpx.MockTransport(lambda _: httpx.Response(409, json=body)))
    with pytest.raises(ApiError) as caught:
        api.delete(DEVICE, "d")
    assert caught.value.message == "Device d is busy. (HTTP 409 DeviceInUse)"
    assert caught.value.status == 409 and caught.value.exit_code == 1


def test_an_error_without_a_neutron_body_keeps_its_text() -> None:
    error = error_from(httpx.Response(502, text="Bad Gateway from the proxy"))
    assert error.message == "Bad Gateway from the proxy (HTTP 502 HTTPError)"


def test_find_is_none_once_the_resource_is_gone() -> None:
    missing = {"NeutronError": {"type": "DeviceNotFound", "message": "gone", "detail": ""}}
    api = client(httpx.MockTransport(lambda _: httpx.Response(404, json=missing)))
    assert api.find(DEVICE, "d") is None


def test_a_list_follows_its_next_links_to_the_end() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if "marker" not in request.url.params:
            link = {"rel": "next", "href": f"{URL}/v1.0/devices?limit=1&marker=a"}
            return httpx.Response(200, json={"devices": [{"id": "a"}], "devices_links": [link]})
        return httpx.Response(200, json={"devices": [{"id": "b"}], "devices_links": []})

    api = client(httpx.MockTransport(answer))
    assert [d["id"] for d in api.list(DEVICE, {"limit": "1"})] == ["a", "b"]
