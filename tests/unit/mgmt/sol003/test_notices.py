"""The SOL003 notifications built from the events: their shape (valid against their own
JSON Schema, SOL003's attribute names), stable ids, and the per-subscription body."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import jsonschema_rs

from servicevm_mgmt.sol003.notices import identifier_notification, op_notification
from shared.contracts import sol003
from shared.contracts.vnflcm import AffectedVnfc, VnfLcmOpOccSnapshot

NOW = datetime.now(UTC)
BASE = "https://vnfm.example.com"
OP = VnfLcmOpOccSnapshot(
    id=uuid.uuid4(),
    vnf_instance_id=uuid.uuid4(),
    tenant_id="p",
    operation="INSTANTIATE",
    operation_state="FAILED_TEMP",
    is_automatic_invocation=False,
    operation_params={"flavourId": "simple"},
    start_time=NOW,
    state_entered_time=NOW,
    affected_vnfcs=[
        AffectedVnfc(
            id=uuid.uuid4(), vdu_id="VDU1", change_type="ADDED", compute_resource=uuid.uuid4()
        )
    ],
    error={"status": 500, "title": "Driver failed", "detail": "no host"},
    revision=3,
)


def _valid(body: bytes) -> dict[str, object]:
    parsed: dict[str, object] = json.loads(body)
    kind = str(parsed["notificationType"])
    jsonschema_rs.validator_for(sol003.json_schema(kind)).validate(parsed)
    return parsed


def test_start_carries_no_result_and_result_carries_changes_and_error() -> None:
    start = op_notification(OP, "START", at=NOW, base_url=BASE)
    result = op_notification(OP, "RESULT", at=NOW, base_url=BASE)
    started = _valid(sol003.to_json(start))
    assert started["operationState"] == "STARTING" and "affectedVnfcs" not in started
    assert "subscriptionId" not in started  # on AMQP: no subscription
    body = _valid(sol003.for_subscription(result, uuid.UUID(int=7), f"{BASE}/s/7"))
    assert body["operationState"] == "FAILED_TEMP" and body["notificationStatus"] == "RESULT"
    assert body["error"] == OP.error
    assert body["subscriptionId"] == str(uuid.UUID(int=7))
    links = body["_links"]
    assert isinstance(links, dict) and links["subscription"] == {"href": f"{BASE}/s/7"}
    assert links["vnfLcmOpOcc"] == {"href": f"{BASE}/vnflcm/v1/vnf_lcm_op_occs/{OP.id}"}
    affected = body["affectedVnfcs"]
    assert isinstance(affected, list) and affected[0]["vduId"] == "VDU1"


def test_the_same_fact_always_has_the_same_id() -> None:
    first = op_notification(OP, "RESULT", at=NOW, base_url=BASE)
    again = op_notification(OP, "RESULT", at=datetime.now(UTC), base_url=BASE)
    start = op_notification(OP, "START", at=NOW, base_url=BASE)
    assert first.id == again.id != start.id
    created = identifier_notification(
        "VnfIdentifierCreationNotification", OP.vnf_instance_id, at=NOW, base_url=BASE
    )
    deleted = identifier_notification(
        "VnfIdentifierDeletionNotification", OP.vnf_instance_id, at=NOW, base_url=BASE
    )
    assert created.id != deleted.id
    assert _valid(sol003.to_json(deleted))["vnfInstanceId"] == str(OP.vnf_instance_id)


def test_the_schema_refuses_what_sol003_does_not_allow() -> None:
    schema = jsonschema_rs.validator_for(
        sol003.json_schema("VnfLcmOperationOccurrenceNotification")
    )
    body = json.loads(sol003.to_json(op_notification(OP, "RESULT", at=NOW, base_url=BASE)))
    assert schema.is_valid(body)
    assert not schema.is_valid({**body, "notificationStatus": "DONE"})
    assert not schema.is_valid({k: v for k, v in body.items() if k != "vnfLcmOpOccId"})
