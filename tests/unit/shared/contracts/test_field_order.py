"""The field groups give each message the fields, in the order, it had when each model listed
its own: a message's JSON stays the same byte for byte."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from shared.contracts import commands, models

ORDER: list[tuple[type[BaseModel], str]] = [
    (
        models.DeviceTemplateSnapshot,
        "id tenant_id name description device_driver mgmt_driver service_types attributes vim_id",
    ),
    (
        commands.CreateDeviceTemplate,
        "id tenant_id name description device_driver mgmt_driver service_types attributes vim_id",
    ),
    (
        models.DeviceSnapshot,
        "id tenant_id template_id instance_id mgmt_address kwargs service_contexts status "
        "error_reason revision host availability_zone vim_id",
    ),
    (commands.CreateDevice, "id tenant_id template_id kwargs service_contexts vim_id"),
    (
        models.ServiceInstanceSnapshot,
        "id tenant_id name service_type_id service_table_id mgmt_driver mgmt_address "
        "service_contexts devices kwargs managed_by_user status error_reason revision",
    ),
    (
        commands.CreateServiceInstance,
        "id tenant_id name service_type_id service_table_id mgmt_driver mgmt_address "
        "service_contexts devices kwargs managed_by_user",
    ),
    (
        models.VimSpec,
        "tenant_id name description type auth_url region_name project_name project_domain_name "
        "project_id user_name user_domain_name application_credential_id encrypted_secret "
        "is_default",
    ),
    (
        models.SubscriptionSpec,
        "tenant_id callback_uri event_types resource_types all_projects auth_type "
        "auth_username encrypted_secret",
    ),
    (models.ServiceContext, "network_id subnet_id port_id router_id role index"),
]


@pytest.mark.parametrize(("model", "fields"), ORDER, ids=lambda m: getattr(m, "__name__", ""))
def test_fields_keep_their_wire_order(model: type[BaseModel], fields: str) -> None:
    assert list(model.model_fields) == fields.split()


@pytest.mark.parametrize("model", [m for m, _ in ORDER])
def test_messages_refuse_unknown_fields_and_never_change(model: type[BaseModel]) -> None:
    assert model.model_config.get("extra") == "forbid"
    assert model.model_config.get("frozen") is True
