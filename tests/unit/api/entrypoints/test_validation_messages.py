"""Validation errors become one Neutron-style sentence per problem, naming the attribute."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from servicevm_api.entrypoints.errors import validation_message
from servicevm_api.schemas.device_templates import DeviceTemplateCreateRequest
from servicevm_api.schemas.devices import DeviceCreateRequest, DeviceUpdateRequest

TEMPLATE_ID = "2f0c8f38-8a43-4d1e-9d1f-6a1a4b7e0c55"


def _message(model: type[BaseModel], body: Any, method: str = "POST") -> str:
    with pytest.raises(ValidationError) as invalid:
        model.model_validate(body)
    # FastAPI reports body errors under a leading "body" location.
    errors = [{**error, "loc": ("body", *error["loc"])} for error in invalid.value.errors()]
    return validation_message(errors, method=method)


def test_visible_attribute_not_allowed_in_post() -> None:
    message = _message(
        DeviceCreateRequest, {"device": {"template_id": TEMPLATE_ID, "status": "ACTIVE"}}
    )
    assert message == "Attribute 'status' not allowed in POST."


def test_visible_attribute_not_allowed_in_put_names_the_method() -> None:
    message = _message(DeviceUpdateRequest, {"device": {"template_id": TEMPLATE_ID}}, method="PUT")
    assert message == "Attribute 'template_id' not allowed in PUT."


def test_unknown_attribute() -> None:
    message = _message(DeviceCreateRequest, {"device": {"template_id": TEMPLATE_ID, "foo": 1}})
    assert message == "Unrecognized attribute(s) 'foo'."


def test_missing_envelope() -> None:
    assert _message(DeviceCreateRequest, {}) == "Resource body required: expected the key 'device'."


def test_wrong_envelope_names_both_keys() -> None:
    message = _message(DeviceCreateRequest, {"devise": {}})
    assert "expected the key 'device'" in message
    assert "Unrecognized attribute(s) 'devise'" in message


def test_string_over_255_characters() -> None:
    body = {"device_template": {"device_driver": "noop", "mgmt_driver": "noop", "name": "x" * 256}}
    message = _message(DeviceTemplateCreateRequest, body)
    assert message.startswith("Invalid input for name. Reason: ")
    assert "255" in message


def test_bad_uuid() -> None:
    message = _message(DeviceCreateRequest, {"device": {"template_id": "nope"}})
    assert message.startswith("Invalid input for template_id. Reason: ")


def test_nested_field_is_named_by_its_path() -> None:
    body = {"device": {"template_id": TEMPLATE_ID, "service_contexts": [{"port_id": "x"}]}}
    assert _message(DeviceCreateRequest, body).startswith(
        "Invalid input for service_contexts.0.port_id."
    )


def test_missing_required_attribute() -> None:
    message = _message(DeviceTemplateCreateRequest, {"device_template": {"mgmt_driver": "noop"}})
    assert message == "Failed to parse request. Required attribute 'device_driver' not specified."


def test_malformed_json_and_non_object_bodies() -> None:
    assert validation_message([{"loc": ("body", 0), "type": "json_invalid"}], method="POST") == (
        "Malformed JSON in request body."
    )
    assert "JSON object" in _message(DeviceCreateRequest, {"device": "x"})


def test_each_problem_is_reported_once() -> None:
    message = _message(DeviceCreateRequest, {"device": {"status": "x", "speed": 1}})
    assert message.count("not allowed in POST") == 1
    assert "Unrecognized attribute(s) 'speed'" in message
    assert "'template_id' not specified" in message
