"""Every service serves /healthz, /readyz and /metrics; the api publishes its OpenAPI document."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from shared.config import SERVICES, ServiceName
from shared.devstack import Suite
from tests.support.api import Api


@pytest.mark.parametrize("service", SERVICES)
def test_health_readiness_and_metrics(suite: Suite, service: ServiceName) -> None:
    base = suite.url(service)
    assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{base}/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok", "consumer": "ok"}
    metrics = httpx.get(f"{base}/metrics").text
    assert "servicevm_http_requests_total" in metrics
    assert "servicevm_messages_handled_total" in metrics
    assert "# TYPE servicevm_message_handling_duration_seconds histogram" in metrics


def test_metrics_count_requests_messages_and_devices(suite: Suite, api: Api) -> None:
    template = api.create_template()
    device = api.create_device(template["id"])
    api.wait_for_status(device["id"], "ACTIVE")
    api_metrics = httpx.get(f"{suite.url('api')}/metrics").text
    assert (
        'servicevm_http_requests_total{method="POST",route="/v1.0/devices",service="api",status="201"}'
        in api_metrics
    )
    # Only lifecycle, the devices' owner, exports servicevm_devices; the api's read model
    # is servicevm_device_replicas, so a sum of servicevm_devices counts each device once.
    assert 'servicevm_device_replicas{service="api",status="ACTIVE"}' in api_metrics
    assert "servicevm_devices{" not in api_metrics
    lifecycle = httpx.get(f"{suite.url('lifecycle')}/metrics").text
    assert 'servicevm_devices{status="ACTIVE"}' in lifecycle
    assert (
        "servicevm_device_operation_duration_seconds_count"
        f'{{driver="{template["device_driver"]}",operation="create",outcome="succeeded"}}'
    ) in lifecycle
    assert 'servicevm_outbox_backlog{service="lifecycle"}' in lifecycle
    assert 'servicevm_dead_letter_messages{service="lifecycle"} 0.0' in lifecycle
    assert 'servicevm_vims{status="REACHABLE"}' in lifecycle
    assert 'servicevm_device_pending_oldest_seconds{status="PENDING_CREATE"}' in lifecycle
    assert "servicevm_message_handling_duration_seconds_bucket" in lifecycle
    assert (
        'message_type="lifecycle.create_device",outcome="handled",service="lifecycle"' in lifecycle
    )
    assert (
        'servicevm_outbox_published_total{exchange="servicevm.events",service="lifecycle"}'
        in lifecycle
    )


def test_scheduler_metrics_count_instances_and_slots(suite: Suite, api: Api) -> None:
    template = api.create_template(attributes={"slot_capacity": "3"})
    api.active_devices(template["id"], 1)
    instance = api.create_instance(api.service_type_id(template))
    api.wait_for_instance(instance["id"], "ACTIVE")
    scheduler = httpx.get(f"{suite.url('scheduler')}/metrics").text
    lines = {
        line.split(" ")[0]: float(line.split(" ")[1])
        for line in scheduler.splitlines()
        if line.startswith("servicevm_") and not line.startswith("servicevm_http")
    }
    assert lines['servicevm_service_instances{status="ACTIVE"}'] >= 1
    assert lines['servicevm_device_slots{state="used"}'] >= 1
    assert lines['servicevm_device_slots{state="free"}'] >= 2
    # This template's own slots: 1 used of its one device's 3.
    of_template = f'template_id="{template["id"]}"'
    assert lines[f'servicevm_template_slots{{state="used",{of_template}}}'] == 1
    assert lines[f'servicevm_template_slots{{state="free",{of_template}}}'] == 2
    assert 'servicevm_outbox_backlog{service="scheduler"}' in lines


def test_openapi_and_docs(suite: Suite) -> None:
    document = httpx.get(f"{suite.url('api')}/openapi.json").json()
    assert {"/v1.0/devices", "/v1.0/devices/{device_id}", "/v1.0/device_templates"} <= set(
        document["paths"]
    )
    assert "DeviceCreate" in document["components"]["schemas"]
    assert httpx.get(f"{suite.url('api')}/docs").status_code == 200


def test_logs_are_json_lines_carrying_the_request_id(
    suite: Suite, api: Api, tmp_path_factory: pytest.TempPathFactory
) -> None:
    template = api.create_template()
    response = api.post("/v1.0/devices", {"device": {"template_id": template["id"]}})
    request_id = response.headers["X-Openstack-Request-Id"]
    api.wait_for_status(response.json()["device"]["id"], "ACTIVE")
    log_dir = Path(suite.log_dir) if suite.log_dir else None
    assert log_dir is not None
    lifecycle_lines = [
        json.loads(line)
        for line in (log_dir / "lifecycle.log").read_text().splitlines()
        if line.startswith("{")
    ]
    assert any(line.get("request_id") == request_id for line in lifecycle_lines)
    assert all({"time", "level", "service", "message"} <= set(line) for line in lifecycle_lines)
