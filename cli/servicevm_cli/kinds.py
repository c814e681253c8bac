"""The /v1.0 resources as the client sees them: where they live, what they are called in
request and response bodies, whether they have names, and the columns a list shows."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    label: str  # for messages: "device template"
    collection: str  # the path under /v1.0 and the list's key: "device_templates"
    key: str  # the body's key for one resource: "device_template"
    named: bool  # has a "name" attribute (unique per project), so names resolve to ids
    columns: tuple[str, ...]  # shown by `list -f table`

    @property
    def path(self) -> str:
        return f"/v1.0/{self.collection}"

    def item_path(self, resource_id: str) -> str:
        return f"{self.path}/{resource_id}"


TEMPLATE = Kind(
    "device template",
    "device_templates",
    "device_template",
    named=True,
    columns=("id", "name", "service_types", "device_driver", "mgmt_driver"),
)
DEVICE = Kind(
    "device",
    "devices",
    "device",
    named=False,
    columns=("id", "template_id", "status", "mgmt_address", "host", "services"),
)
INSTANCE = Kind(
    "service instance",
    "service_instances",
    "service_instance",
    named=True,
    columns=("id", "name", "service_type_id", "status", "devices"),
)
SERVICE_TYPE = Kind(
    "service type",
    "service_types",
    "service_type",
    named=False,
    columns=("id", "service_type", "template_id", "tenant_id"),
)
VIM = Kind(
    "VIM",
    "vims",
    "vim",
    named=True,
    columns=("id", "name", "auth_url", "region_name", "is_default", "status"),
)
SUBSCRIPTION = Kind(
    "subscription",
    "subscriptions",
    "subscription",
    named=False,
    columns=("id", "callback_uri", "filter", "all_projects"),
)
