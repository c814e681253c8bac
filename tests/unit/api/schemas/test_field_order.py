"""Request and response models derived from the contract's field groups keep the attributes,
and the order, of the REST bodies (a response's JSON stays the same byte for byte)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from servicevm_api.schemas import device_templates, devices, service_instances, subscriptions, vims

ORDER: list[tuple[type[BaseModel], str]] = [
    (
        device_templates.DeviceTemplateCreate,
        "tenant_id name description service_types device_driver mgmt_driver attributes vim_id",
    ),
    (
        device_templates.DeviceTemplatePublic,
        "id tenant_id name description service_types device_driver mgmt_driver attributes vim_id",
    ),
    (devices.DeviceCreate, "tenant_id template_id kwargs service_contexts vim_id"),
    (
        devices.DevicePublic,
        "id tenant_id template_id instance_id mgmt_address kwargs service_contexts services "
        "status error_reason host availability_zone vim_id monitors",
    ),
    (
        service_instances.ServiceInstanceCreate,
        "tenant_id name service_type_id service_table_id mgmt_driver mgmt_address "
        "service_contexts devices kwargs managed_by_user",
    ),
    (
        service_instances.ServiceInstancePublic,
        "id tenant_id name service_type_id service_table_id mgmt_driver mgmt_address "
        "service_contexts devices kwargs managed_by_user status error_reason",
    ),
    (
        vims.VimCreate,
        "tenant_id name description type auth_url region_name project_name project_domain_name "
        "project_id user_name user_domain_name password application_credential_id "
        "application_credential_secret is_default auth_cred vim_project",
    ),
    (
        vims.VimPublic,
        "id tenant_id name description type auth_url region_name project_name "
        "project_domain_name project_id user_name user_domain_name application_credential_id "
        "is_default status status_reason auth_cred vim_project placement_attr",
    ),
    (
        subscriptions.SubscriptionCreate,
        "tenant_id callback_uri filter authentication all_projects",
    ),
    (
        subscriptions.SubscriptionPublic,
        "id tenant_id callback_uri filter authentication all_projects",
    ),
]


@pytest.mark.parametrize(("model", "fields"), ORDER, ids=lambda m: getattr(m, "__name__", ""))
def test_bodies_keep_their_attributes_in_order(model: type[BaseModel], fields: str) -> None:
    assert list(model.model_fields) == fields.split()


def test_a_request_refuses_an_attribute_it_does_not_declare() -> None:
    for model, _ in ORDER:
        if not model.__name__.endswith("Public"):
            assert model.model_config.get("extra") == "forbid", model
