"""/v1.0/subscriptions models. Secrets (basic password, HMAC secret) are write-only:
SecretStr in requests (hidden from repr and logs), absent from every response model."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, Field, SecretStr, StringConstraints

from servicevm_api.entrypoints.fields import NonEmptyName, Strict
from servicevm_api.entrypoints.validators import CallbackUri
from shared.contracts.notifications import EVENT_TYPES, RESOURCE_TYPES

Secret = Annotated[SecretStr, Field(min_length=1, max_length=4096)]
ResourceType = Literal["device", "device_template", "service_instance"]
# The contract's list, spelled as a Literal so that the OpenAPI document enumerates it.
assert set(get_args(ResourceType)) == set(RESOURCE_TYPES)


def _known_event_type(value: str) -> str:
    """An event type mgmt emits, ``<resource type>.*`` for all of one resource's, or ``*``."""
    prefix, _, rest = value.partition(".")
    if value == "*" or value in EVENT_TYPES or (rest == "*" and prefix in RESOURCE_TYPES):
        return value
    raise ValueError(
        f"unknown event type {value!r}: give one such as device.active, or a prefix such as device.*"
    )


EventType = Annotated[
    str,
    StringConstraints(max_length=64, pattern=r"^(\*|[a-z_]+\.(\*|[a-z_]+))$"),
    AfterValidator(_known_event_type),
]


class SubscriptionFilter(Strict):
    # Empty: every event type (every resource type).
    event_types: list[EventType] = Field(default_factory=list, max_length=64)
    resource_types: list[ResourceType] = Field(default_factory=list, max_length=8)


class NoAuthentication(Strict):
    type: Literal["none"]


class BasicAuthentication(Strict):
    type: Literal["basic"]
    username: Annotated[NonEmptyName, StringConstraints(pattern=r"^[^:]+$")]
    password: Secret


class HmacAuthentication(Strict):
    """The body is signed: header ``X-Servicevm-Signature: sha256=<hex HMAC-SHA256>``."""

    type: Literal["hmac"]
    secret: Secret


Authentication = Annotated[
    NoAuthentication | BasicAuthentication | HmacAuthentication, Field(discriminator="type")
]


class SubscriptionCreate(Strict):
    tenant_id: NonEmptyName | None = None
    callback_uri: CallbackUri
    filter: SubscriptionFilter = Field(default_factory=SubscriptionFilter)
    authentication: Authentication = Field(default_factory=lambda: NoAuthentication(type="none"))
    # Every project's notifications: only for an admin (policy servicevm:subscription:all_projects).
    all_projects: bool = False


class SubscriptionFilterPublic(BaseModel):
    event_types: list[str]
    resource_types: list[str]


class AuthenticationPublic(BaseModel):
    """The method, never the secret."""

    type: str
    username: str | None = None


class SubscriptionPublic(BaseModel):
    id: uuid.UUID
    tenant_id: str
    callback_uri: str
    filter: SubscriptionFilterPublic
    authentication: AuthenticationPublic
    all_projects: bool


class SubscriptionCreateRequest(Strict):
    subscription: SubscriptionCreate


class SubscriptionResponse(BaseModel):
    subscription: SubscriptionPublic


class SubscriptionList(BaseModel):
    subscriptions: list[dict[str, Any]]
    # Links as in schemas.Link: {"rel": "next", "href": ...}
    subscriptions_links: list[dict[str, str]] = Field(default_factory=list)
