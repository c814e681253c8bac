"""Value objects shared by several messages, derived from the field groups in ``resources``."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from shared.contracts import resources as r
from shared.contracts.fields import Condition, Identified, Owned, Revisioned
from shared.contracts.resources import ServiceContext, ServiceTypeRef
from shared.contracts.statuses import DeviceStatus, ServiceInstanceStatus, VimStatus

__all__ = [
    "DeviceSnapshot",
    "DeviceStatus",
    "DeviceTemplateFields",
    "DeviceTemplateSnapshot",
    "LccnSubscriptionSpec",
    "ServiceContext",
    "ServiceInstanceFields",
    "ServiceInstanceSnapshot",
    "ServiceInstanceStatus",
    "ServiceTypeRef",
    "SubscriptionSpec",
    "VimSpec",
    "VimStatus",
]


class DeviceTemplateFields(
    r.DeviceTemplateOptions,
    r.DeviceTemplateServiceTypes,
    r.DeviceTemplateDrivers,
    r.DeviceTemplateNaming,
    Owned,
):
    """A template as lifecycle keeps it (the order of its messages' fields)."""


class DeviceTemplateSnapshot(DeviceTemplateFields, Identified):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeviceSnapshot(r.DevicePlacement, Revisioned, Condition, r.DeviceBody, Owned, Identified):
    """The whole visible state of a device at one revision (state-transfer events)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ServiceInstanceFields(Condition, r.ServiceInstanceRequest, Owned, Identified):
    """A logical service instance as clients and the scheduler see it."""

    # The devices hosting it (bindings), in the order they were chosen.
    devices: list[uuid.UUID]


class ServiceInstanceSnapshot(Revisioned, ServiceInstanceFields):
    """The whole visible state of a logical service instance at one revision."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class VimSecret(BaseModel):
    encrypted_secret: str


class VimSpec(r.VimDefault, VimSecret, r.VimAppCredential, r.VimUser, r.VimNaming, Owned):
    """A VIM's registration as lifecycle stores it. The secret (password or application
    credential secret) travels only as a Fernet token; no plaintext ever leaves the api."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SubscriptionAuth(BaseModel):
    # oauth2: SOL003 OAUTH2_CLIENT_CREDENTIALS (auth_username is the client id).
    auth_type: Literal["none", "basic", "hmac", "oauth2"]
    auth_username: str | None = None
    encrypted_secret: str | None = None


class SubscriptionSpec(
    SubscriptionAuth,
    r.SubscriptionScope,
    r.SubscriptionFilterFields,
    r.SubscriptionTarget,
    Owned,
):
    """An HTTP subscription as mgmt stores it. Its secret (basic password or HMAC key)
    travels only as a Fernet token; no plaintext ever leaves the api."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LccnSubscriptionSpec(SubscriptionAuth, Owned):
    """A SOL003 subscription (``/vnflcm/v1/subscriptions``) as mgmt stores it: its
    LifecycleChangeNotificationsFilter as the client gave it (camelCase; empty: every
    notification of the project), and for OAuth2 client credentials the token endpoint."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    callback_uri: str
    lccn_filter: dict[str, Any]
    token_endpoint: str | None = None
