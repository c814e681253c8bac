"""What the load needs, made through the REST API as an operator would: the simulator as the
project's default VIM, a template per device driver, a placement pool and a VNF package."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from chaos.client import Client
from chaos.load import Targets
from chaos.stack import Simulator
from shared.vnfd.build import sample_package

PACKAGES = "/vnfpkgm/v1/vnf_packages"
TEMPLATES: dict[str, dict[str, Any]] = {
    "noop": {"device_driver": "noop", "mgmt_driver": "noop"},
    # The local cloud: a real appliance process per device, configured over HTTP.
    "local": {"device_driver": "local", "mgmt_driver": "http"},
    "nova": {"device_driver": "nova", "mgmt_driver": "noop",
             "attributes": {"image": "cirros", "flavor": "m1.small"}},
}  # fmt: skip
POOL = {
    "device_driver": "noop",
    "mgmt_driver": "noop",
    "service_types": ["firewall"],
    "attributes": {"slot_capacity": "4", "max_devices": "8", "desired_slots_free": "1"},
}


async def prepare(client: Client, sim: Simulator | None) -> Targets:
    if sim is not None:
        await _register_vim(client, sim)
    kinds = [k for k in TEMPLATES if sim is not None or k != "nova"]
    templates = {kind: await _template(client, f"chaos {kind}", TEMPLATES[kind]) for kind in kinds}
    pool = await _created(
        client, "/v1.0/device_templates", {"device_template": {"name": "chaos pool", **POOL}}
    )
    service_type_id = pool["device_template"]["service_types"][0]["id"]
    return Targets(templates, service_type_id, await _onboard(client))


async def _template(client: Client, name: str, fields: dict[str, Any]) -> str:
    body = {"device_template": {"name": name, "service_types": [], **fields}}
    created = await _created(client, "/v1.0/device_templates", body)
    return str(created["device_template"]["id"])


async def _register_vim(client: Client, sim: Simulator) -> None:
    vim = {"name": "simulator", "auth_url": sim.auth_url, "region_name": "RegionOne",
           "project_name": "demo", "project_domain_name": "Default", "user_name": "demo",
           "user_domain_name": "Default", "password": "secret", "is_default": True}  # fmt: skip
    created = await _created(client, "/v1.0/vims", {"vim": vim})
    path = f"/v1.0/vims/{created['vim']['id']}"
    shown = await _until(client, path, lambda body: body["vim"]["status"] != "PENDING")
    if shown["vim"]["status"] != "REACHABLE":
        raise RuntimeError(f"the simulator's VIM is not reachable: {shown}")


async def _onboard(client: Client) -> str:
    """The ``simple`` sample package on noop drivers; its vnfdId."""
    user_data = {"device_driver": "noop", "mgmt_driver": "noop"}
    package = await _created(client, PACKAGES, {"userDefinedData": user_data})
    path = f"{PACKAGES}/{package['id']}"
    response = await client.request(
        "PUT", f"{path}/package_content", content=sample_package("simple"),
        headers={"Content-Type": "application/zip"},
    )  # fmt: skip
    response.raise_for_status()
    shown = await _until(
        client, path, lambda body: body["onboardingState"] in ("ONBOARDED", "CREATED")
    )
    if shown["onboardingState"] != "ONBOARDED":
        raise RuntimeError(f"the sample package was not onboarded: {shown}")
    return str(shown["vnfdId"])


async def _created(client: Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.request("POST", path, json=body)
    if response.status_code != 201:
        raise RuntimeError(f"POST {path}: {response.status_code} {response.text}")
    created: dict[str, Any] = response.json()
    return created


async def _until(client: Client, path: str, done: Any) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        body: dict[str, Any] = (await client.get(path)).json()
        if done(body) or time.monotonic() > deadline:
            return body
        await asyncio.sleep(0.2)
