"""A device shown in one pass is the JSON the route's show model gives for the same row."""

from __future__ import annotations

import json
import uuid
from typing import Any

from servicevm_api.entrypoints.routes.devices import DEVICE
from servicevm_api.schemas.devices import DeviceShow


def _row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": uuid.uuid4(),
        "tenant_id": "p",
        "template_id": uuid.uuid4(),
        "instance_id": "i-1",
        "mgmt_address": "10.0.0.5",
        "kwargs": {"vlan": 7, "name": "fw", "ratio": 0.25, "note": "caf\u00e9"},
        "service_contexts": [],
        "services": [uuid.uuid4()],
        "status": "ACTIVE",
        "error_reason": None,
        "host": "h1",
        "availability_zone": None,
        "vim_id": None,
    }
    return row | changes


def _through_show_model(row: dict[str, Any]) -> bytes:
    """What FastAPI answers for ``DEVICE.show``: validated by the show model, unset left out."""
    shown = DeviceShow.model_validate(DEVICE.show(row, None))
    return shown.model_dump_json(exclude_unset=True, by_alias=True).encode()


def test_a_device_renders_as_the_show_models_answer() -> None:
    for row in (_row(), _row(vim_id=uuid.uuid4(), error_reason="boom", status="ERROR")):
        response = DEVICE.show_response(row)
        assert bytes(response.body) == _through_show_model(row)
        assert response.media_type == "application/json"
        assert json.loads(bytes(response.body))["device"]["id"] == str(row["id"])
