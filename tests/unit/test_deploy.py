"""deploy/docker-compose.yml and the Dockerfile checked statically (Docker cannot run in
the tests): settings that exist, health checks, pinned images, the superuser URL in the
migration job alone, published broker ports, named volumes, cached dependency layers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from servicevm_mgmt.monitoring.settings import MonitorSettings
from shared.config import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "deploy/docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def one_shot(service: dict[str, Any]) -> bool:
    return service.get("restart") == "no"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_servicevm_variable_is_a_setting(name: str) -> None:
    unknown = [
        key
        for key in environment(SERVICES[name])
        if key.startswith("SERVICEVM_")
        and key.removeprefix("SERVICEVM_").lower() not in Settings.model_fields
        # The health monitor's own settings (SERVICEVM_MONITOR_*).
        and key.removeprefix("SERVICEVM_MONITOR_").lower() not in MonitorSettings.model_fields
    ]
    assert unknown == []


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_long_running_service_has_a_healthcheck(name: str) -> None:
    service = SERVICES[name]
    check = service.get("healthcheck")
    if one_shot(service):
        return
    assert check and not check.get("disable") and check["test"], name


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_images_are_pinned_to_a_version(name: str) -> None:
    image = SERVICES[name]["image"]
    assert ":" in image, image
    tag = image.rsplit(":", 1)[1]
    assert tag != "latest" and re.search(r"\d", tag), image


def test_the_superuser_url_reaches_the_migration_job_alone() -> None:
    holders = [n for n, s in SERVICES.items() if "SERVICEVM_DB_ADMIN_URL" in environment(s)]
    assert holders == ["bootstrap"]
    assert one_shot(SERVICES["bootstrap"])
    assert "shared.db.bootstrap" in SERVICES["bootstrap"]["command"]


def test_the_api_starts_noauth_only_by_an_explicit_opt_in_or_uses_keystone() -> None:
    env = environment(SERVICES["api"])
    assert env["SERVICEVM_BIND_HOST"] == "0.0.0.0"
    keystone = (
        env["SERVICEVM_AUTH_STRATEGY"].endswith("keystone}")
        or env["SERVICEVM_AUTH_STRATEGY"] == "keystone"
    )
    opted_in = "SERVICEVM_ALLOW_NOAUTH_ON_PUBLIC_ADDRESS" in env
    assert keystone or opted_in
    # noauth is served to this machine only.
    assert all(port.startswith("127.0.0.1:") for port in SERVICES["api"]["ports"])


def test_rabbitmq_is_published_and_brokers_keep_their_data_in_named_volumes() -> None:
    assert {"5672:5672", "15672:15672"} <= set(SERVICES["rabbitmq"]["ports"])
    named = set(COMPOSE["volumes"])
    for service, path in (
        ("rabbitmq", "/var/lib/rabbitmq"),
        ("postgres", "/var/lib/postgresql/data"),
    ):
        mounts = [m.split(":") for m in SERVICES[service]["volumes"]]
        assert any(source in named and target == path for source, target, *_ in mounts), service
    assert SERVICES["rabbitmq"].get("hostname")  # the node name, so its data is found again


def test_make_run_can_start_each_server_published_on_localhost() -> None:
    for service, port in (("postgres", 5432), ("redis", 6379), ("rabbitmq", 5672)):
        assert any(p.endswith(f"{port}:{port}") for p in SERVICES[service]["ports"]), service


def test_the_local_cloud_is_reachable_from_mgmt_with_a_state_directory() -> None:
    # Appliances listen on lifecycle's loopback; mgmt shares that network namespace.
    assert SERVICES["mgmt"]["network_mode"] == "service:lifecycle"
    state = environment(SERVICES["lifecycle"])["SERVICEVM_LOCAL_STATE_DIR"]
    assert any(m.split(":")[1] == state for m in SERVICES["lifecycle"]["volumes"])
    assert f"install -d -o servicevm -m 0750 {state}" in (ROOT / "Dockerfile").read_text()
    prometheus = (ROOT / "deploy/prometheus.yml").read_text()
    assert '"lifecycle:9893"' in prometheus and "mgmt:9893" not in prometheus


def test_the_dockerfile_installs_dependencies_before_copying_the_source() -> None:
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    install = next(i for i, line in enumerate(lines) if "pip install -r" in line)
    first_source = next(i for i, line in enumerate(lines) if line.startswith("COPY shared"))
    only_pyproject = [line for line in lines[:install] if line.startswith("COPY")]
    assert install < first_source
    assert only_pyproject == ["COPY pyproject.toml ./"]
