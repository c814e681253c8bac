"""The api's request and response models, one module per resource, derived from the field
groups in ``shared.contracts.resources``."""

from __future__ import annotations

from servicevm_api.schemas.device_templates import DeviceTemplatePublic
from servicevm_api.schemas.devices import DevicePublic
from servicevm_api.schemas.service_instances import ServiceInstancePublic
from servicevm_api.schemas.service_types import ServiceTypePublic
from servicevm_api.schemas.subscriptions import SubscriptionPublic
from servicevm_api.schemas.vims import VimPublic

# Resource key in a request body -> the attributes a client can see (for error messages).
VISIBLE_ATTRIBUTES: dict[str, frozenset[str]] = {
    "device_template": frozenset(DeviceTemplatePublic.model_fields),
    "device": frozenset(DevicePublic.model_fields),
    "service_instance": frozenset(ServiceInstancePublic.model_fields),
    "service_type": frozenset(ServiceTypePublic.model_fields),
    "vim": frozenset(VimPublic.model_fields),
    "subscription": frozenset(SubscriptionPublic.model_fields),
}
