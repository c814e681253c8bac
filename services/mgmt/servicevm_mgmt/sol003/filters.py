"""SOL003 LifecycleChangeNotificationsFilter (5.5.3.12) and VnfInstanceSubscriptionFilter
(SOL003 4.4.1.5): every attribute given must match (a list matches when any of its
entries does); an absent attribute matches everything. operationTypes and operationStates
apply to VnfLcmOperationOccurrenceNotification only. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.contracts.vnflcm import VnfIdentity

OP_OCC_NOTIFICATION = "VnfLcmOperationOccurrenceNotification"


@dataclass(frozen=True)
class Subject:
    """What a notification is about, as the filters see it."""

    notification_type: str
    vnf_instance_id: str
    # None: mgmt has no record of the instance (made before mgmt kept them).
    identity: VnfIdentity | None
    operation: str | None = None
    operation_state: str | None = None


def matches(lccn_filter: Mapping[str, Any] | None, subject: Subject) -> bool:
    wanted = lccn_filter or {}
    types = wanted.get("notificationTypes")
    if types and subject.notification_type not in types:
        return False
    if subject.notification_type == OP_OCC_NOTIFICATION:
        operations = wanted.get("operationTypes")
        if operations and subject.operation not in operations:
            return False
        states = wanted.get("operationStates")
        if states and subject.operation_state not in states:
            return False
    return instance_matches(wanted.get("vnfInstanceSubscriptionFilter") or {}, subject)


def instance_matches(wanted: Mapping[str, Any], subject: Subject) -> bool:
    ids = wanted.get("vnfInstanceIds")
    if ids and subject.vnf_instance_id not in ids:
        return False
    identity = subject.identity
    needs_identity = any(
        wanted.get(key) for key in ("vnfdIds", "vnfProductsFromProviders", "vnfInstanceNames")
    )
    if not needs_identity:
        return True
    if identity is None:
        return False
    vnfd_ids = wanted.get("vnfdIds")
    if vnfd_ids and identity.vnfd_id not in vnfd_ids:
        return False
    names = wanted.get("vnfInstanceNames")
    if names and identity.name not in names:
        return False
    providers = wanted.get("vnfProductsFromProviders")
    return not providers or any(_provider_matches(p, identity) for p in providers)


def _provider_matches(provider: Mapping[str, Any], identity: VnfIdentity) -> bool:
    if provider.get("vnfProvider") != identity.vnf_provider:
        return False
    products = provider.get("vnfProducts")
    return not products or any(_product_matches(p, identity) for p in products)


def _product_matches(product: Mapping[str, Any], identity: VnfIdentity) -> bool:
    if product.get("vnfProductName") != identity.vnf_product_name:
        return False
    versions = product.get("versions")
    return not versions or any(
        version.get("vnfSoftwareVersion") == identity.vnf_software_version
        and (
            not version.get("vnfdVersions")
            or identity.vnfd_version in version.get("vnfdVersions", [])
        )
        for version in versions
    )
