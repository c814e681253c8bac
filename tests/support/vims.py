"""Registering VIMs through the REST API and waiting for lifecycle's check."""

from __future__ import annotations

import time
from typing import Any

from servicevm_cloudsim import CloudSimulator
from tests.support.api import Api


def password_body(sim: CloudSimulator, password: str, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "sim",
        "auth_url": sim.auth_url,
        "region_name": "RegionOne",
        "project_name": "demo",
        "project_domain_name": "Default",
        "user_name": "demo",
        "user_domain_name": "Default",
        "password": password,
        **overrides,
    }


def register(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/v1.0/vims", {"vim": body})
    assert response.status_code == 201, response.text
    vim: dict[str, Any] = response.json()["vim"]
    return vim


def wait_checked(api: Api, vim_id: str, timeout: float = 20) -> dict[str, Any]:
    """The VIM once lifecycle's check is in: REACHABLE or UNREACHABLE."""
    deadline = time.monotonic() + timeout
    seen: dict[str, Any] = {}
    while time.monotonic() < deadline:
        seen = api.get(f"/v1.0/vims/{vim_id}").json()["vim"]
        if seen["status"] != "PENDING":
            return seen
        time.sleep(0.05)
    raise AssertionError(f"VIM {vim_id} still PENDING after {timeout}s: {seen}")
