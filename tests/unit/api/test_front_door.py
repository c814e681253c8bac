"""Policy per action (defaults and an operator's file), body and time guards, noauth binding."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from servicevm_api.bootstrap import DEFINITION
from servicevm_api.identity import check_noauth_address
from servicevm_api.policy import list_rules, make_enforcer
from shared.config import Settings
from shared.runtime import create_app
from tests.support.front_door import client, small_app


async def test_default_rules_member_writes_reader_reads_admin_everything() -> None:
    app = small_app()
    async with client(app, roles="member") as member:
        assert (await member.post("/devices")).status_code == 201
        assert (await member.get("/devices")).json() == {"project": "p1", "admin": False}
    async with client(app, roles="reader") as reader:
        assert (await reader.get("/devices")).status_code == 200
        refused = await reader.post("/devices")
        assert refused.status_code == 403
        assert refused.json()["NeutronError"] == {
            "type": "PolicyNotAuthorized",
            "message": "Policy doesn't allow servicevm:device:create to be performed.",
            "detail": "",
        }
        assert (await reader.delete("/devices")).status_code == 403
    async with client(app, roles="") as nobody:
        assert (await nobody.get("/devices")).status_code == 403
    async with client(app, roles="admin") as admin:
        assert (await admin.get("/devices")).json()["admin"] is True
        assert (await admin.delete("/devices")).status_code == 204


async def test_no_identity_is_401() -> None:
    async with client(small_app(), project="") as anonymous:
        response = await anonymous.get("/devices")
    assert response.status_code == 401
    assert response.json()["NeutronError"]["type"] == "HTTPUnauthorized"


async def test_operator_policy_file_overrides_rules(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        '"servicevm:device:delete": "role:admin"\n'
        '"context_is_admin": "role:admin or role:cloud_admin"\n'
    )
    app = small_app(policy_file=str(policy))
    async with client(app, roles="member") as member:
        assert (await member.post("/devices")).status_code == 201  # still the default
        denied = await member.delete("/devices")
        assert denied.status_code == 403
        assert "servicevm:device:delete" in denied.json()["NeutronError"]["message"]
    async with client(app, roles="cloud_admin") as cloud_admin:
        assert (await cloud_admin.get("/devices")).json()["admin"] is True


def test_every_api_action_has_a_rule_and_a_missing_policy_file_is_refused() -> None:
    names = {rule.name for rule in list_rules()}
    for resource in ("device_template", "device", "service_instance"):
        for verb in ("create", "get", "get_all", "update", "delete"):
            assert f"servicevm:{resource}:{verb}" in names
    assert {"servicevm:service_type:get", "servicevm:topology:get"} <= names
    with pytest.raises(RuntimeError, match="does not exist"):
        make_enforcer("/nonexistent/policy.yaml")


async def test_body_over_the_limit_is_413_announced_or_streamed() -> None:
    app = small_app(max_body_bytes=100)
    async with client(app) as member:
        assert (await member.post("/devices", content=b"x" * 100)).json() == {"received": 100}
        announced = await member.post("/devices", content=b"x" * 101)
        assert announced.status_code == 413
        assert announced.json()["NeutronError"]["type"] == "HTTPRequestEntityTooLarge"

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(10):
                yield b"y" * 50

        streamed = await member.post("/devices", content=chunks())
        assert streamed.status_code == 413
        assert streamed.json()["NeutronError"]["type"] == "HTTPRequestEntityTooLarge"


async def test_request_over_the_time_limit_is_504() -> None:
    async with client(small_app(timeout_seconds=0.2)) as member:
        response = await member.get("/slow")
    assert response.status_code == 504
    assert response.json()["NeutronError"]["type"] == "HTTPGatewayTimeout"


def test_noauth_refuses_a_public_address_unless_forced() -> None:
    for host in ("127.0.0.1", "::1", "localhost"):
        check_noauth_address(Settings(bind_host=host))
    with pytest.raises(RuntimeError, match=r"noauth refuses to listen on 0\.0\.0\.0"):
        create_app(DEFINITION, Settings(bind_host="0.0.0.0"))
    with pytest.raises(RuntimeError, match="non-loopback"):
        check_noauth_address(Settings(bind_host="192.0.2.10"))
    create_app(DEFINITION, Settings(bind_host="0.0.0.0", allow_noauth_on_public_address=True))
    create_app(
        DEFINITION,
        Settings(bind_host="0.0.0.0", auth_strategy="keystone", keystone_url="http://k/v3"),
    )
